//! Filling `{name}` placeholders in a text: the wizard's words (`wizard-pages/`) and the
//! scripts Skybridge writes for administrators use the same one-pass rule.

/// Puts each value in place of its `{name}` in a text, in one pass: a value that itself
/// holds a `{name}` (a server's message, a typed name) stays as it is; braces that name no
/// value are left alone.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let named = after.find('}').and_then(|end| {
            let name = &after[..end];
            values
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (end, *value))
        });
        match named {
            Some((end, value)) => {
                out.push_str(value);
                rest = &after[end + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::fill;

    #[test]
    fn fill_puts_values_in_one_pass_and_leaves_other_braces() {
        assert_eq!(
            fill("{a} and {b}; {c} {", &[("a", "{b}"), ("b", "2")]),
            "{b} and 2; {c} {"
        );
    }
}
