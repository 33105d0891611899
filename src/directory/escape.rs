//! Escaping for LDAP: values placed in search filters (RFC 4515) and in distinguished names
//! (RFC 4514), and reading DNs back into their components.
//!
//! Everything that puts text from an administrator, a configuration file or the directory into
//! a filter or a DN goes through here, so a name such as `Smith, John` or `*)(uid=*` stays one
//! value and never changes the meaning of what is sent. Reading a DN honours escapes, so
//! `CN=Smith\, John,OU=Corp` has two components, not three. Nothing here panics: input that
//! cannot be read is an [`EscapeError`].

use std::fmt::Write as _;

/// Why a DN, or a value from one, could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EscapeError {
    /// A backslash is the last character, with nothing after it to escape.
    #[error("the value ends with a backslash that escapes nothing")]
    DanglingEscape,
    /// A backslash is followed by a character that may not be escaped.
    #[error(
        "'\\{found}' is not a valid escape: a backslash must be followed by two hex digits or by \
         one of , + \" \\ < > ; = # or a space"
    )]
    InvalidEscape {
        /// The character after the backslash.
        found: char,
    },
    /// A backslash is followed by one hex digit but not a second.
    #[error("the escape '\\{first}' needs a second hex digit (escaped bytes are written \\xx)")]
    IncompleteHexPair {
        /// The one hex digit that was there.
        first: char,
    },
    /// The bytes written as `\xx` hex pairs do not form UTF-8 text.
    #[error("the bytes written as \\xx hex pairs are not valid UTF-8 text")]
    InvalidUtf8,
    /// A character that must be escaped in a DN value appears without a backslash.
    #[error("the character {found:?} must be escaped with a backslash inside a DN value")]
    Unescaped {
        /// The character.
        found: char,
    },
    /// The value starts with an unescaped `#`, the form for BER-encoded values.
    #[error("values written as '#' followed by hex (BER-encoded) are not supported")]
    BerEncodedValue,
    /// A DN has an empty component: a comma at the start or end, or two in a row.
    #[error("the DN has an empty component (a comma at the start or end, or two commas in a row)")]
    EmptyComponent,
    /// A DN component has no `=` between its attribute type and its value.
    #[error("the DN component '{component}' has no '=' between attribute type and value")]
    MissingEquals {
        /// The component as written.
        component: String,
    },
    /// A DN component's attribute type is empty or has characters a type cannot have.
    #[error(
        "'{attribute}' is not an attribute type: expected a name such as CN, OU or DC, or an OID"
    )]
    InvalidAttributeType {
        /// The type as written.
        attribute: String,
    },
    /// A DN component holds several values joined by an unescaped `+`.
    #[error(
        "the DN component '{component}' joins several values with '+'; multi-valued RDNs are \
         not supported (escape the plus as \\+ if it is part of the value)"
    )]
    MultiValuedRdn {
        /// The component as written.
        component: String,
    },
}

/// Escapes text to be an assertion value in a search filter (RFC 4515): `*`, `(`, `)`, `\` and
/// NUL become `\2a`, `\28`, `\29`, `\5c` and `\00`. Other characters, UTF-8 included, are kept
/// as they are, which Active Directory accepts.
pub fn filter_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '*' => out.push_str("\\2a"),
            '(' => out.push_str("\\28"),
            ')' => out.push_str("\\29"),
            '\\' => out.push_str("\\5c"),
            '\0' => out.push_str("\\00"),
            _ => out.push(c),
        }
    }
    out
}

/// Writes every byte as a `\xx` escape (lowercase hex), for binary values such as objectGUID or
/// objectSid in a search filter.
pub fn filter_bytes(value: &[u8]) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value {
        // Writing to a String cannot fail.
        let _ = write!(out, "\\{b:02x}");
    }
    out
}

/// Escapes text to be the value of one DN component (RFC 4514): a backslash goes before
/// `, + " \ < > ; =`, before a leading `#` or space and before a trailing space; NUL becomes
/// `\00`. Other characters, UTF-8 included, are kept as they are.
pub fn rdn_value(value: &str) -> String {
    let last = value.chars().count().saturating_sub(1);
    let mut out = String::with_capacity(value.len() + 4);
    for (i, c) in value.chars().enumerate() {
        match c {
            '\0' => out.push_str("\\00"),
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            _ => out.push(c),
        }
    }
    out
}

/// Characters that may follow a backslash in a DN value as themselves.
fn escapable(b: u8) -> bool {
    matches!(
        b,
        b',' | b'+' | b'"' | b'\\' | b'<' | b'>' | b';' | b'=' | b'#' | b' '
    )
}

/// Characters that must never appear unescaped in a DN value.
fn needs_escape(b: u8) -> bool {
    matches!(b, b',' | b'+' | b'"' | b'<' | b'>' | b';' | b'\0')
}

fn hex_digit(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// The character starting at byte `at` of `text`, for error messages.
fn char_at(text: &str, at: usize) -> char {
    text.get(at..)
        .and_then(|rest| rest.chars().next())
        .unwrap_or('\u{fffd}')
}

/// Reads one escaped DN value back into its text: the inverse of [`rdn_value`]. Both escape forms
/// are accepted, `\,` and `\2C`; hex pairs may spell out UTF-8 sequences (`\C3\A9` is `é`).
pub fn unescape_rdn_value(value: &str) -> Result<String, EscapeError> {
    let bytes = value.as_bytes();
    if bytes.first() == Some(&b'#') {
        return Err(EscapeError::BerEncodedValue);
    }
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b != b'\\' {
            if needs_escape(b) {
                return Err(EscapeError::Unescaped {
                    found: char::from(b),
                });
            }
            out.push(b);
            i += 1;
            continue;
        }
        let Some(&next) = bytes.get(i + 1) else {
            return Err(EscapeError::DanglingEscape);
        };
        if let Some(high) = hex_digit(next) {
            let low = bytes.get(i + 2).and_then(|&b| hex_digit(b)).ok_or(
                EscapeError::IncompleteHexPair {
                    first: char::from(next),
                },
            )?;
            out.push((high << 4) | low);
            i += 3;
        } else if escapable(next) {
            out.push(next);
            i += 2;
        } else {
            return Err(EscapeError::InvalidEscape {
                found: char_at(value, i + 1),
            });
        }
    }
    String::from_utf8(out).map_err(|_| EscapeError::InvalidUtf8)
}

/// The byte positions of the unescaped occurrences of the ASCII character `sep` in `text`.
fn unescaped_positions(text: &str, sep: u8) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'\\' {
            // Skip the escaped byte; in a hex pair the second digit is never a separator.
            i += 2;
        } else {
            if b == sep {
                found.push(i);
            }
            i += 1;
        }
    }
    found
}

/// `raw` without unescaped spaces at its end; a space after an odd run of backslashes is kept.
fn trim_unescaped_end(raw: &str) -> &str {
    let mut end = raw.len();
    let bytes = raw.as_bytes();
    while end > 0 && bytes.get(end - 1) == Some(&b' ') {
        let backslashes = bytes
            .get(..end - 1)
            .unwrap_or_default()
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if backslashes % 2 == 1 {
            break;
        }
        end -= 1;
    }
    raw.get(..end).unwrap_or(raw)
}

fn valid_attribute_type(attribute: &str) -> bool {
    let mut chars = attribute.chars();
    match chars.next() {
        Some(first) if first.is_ascii_alphabetic() => {
            chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
        }
        Some(first) if first.is_ascii_digit() => attribute
            .split('.')
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())),
        _ => false,
    }
}

/// Splits a DN into its components, leaf first, as (attribute type, value) with the value
/// unescaped: `CN=Smith\, John,OU=Corp,DC=contoso,DC=test` gives four components, the first
/// `("CN", "Smith, John")`. Spaces around types, values and commas are ignored unless escaped.
/// An empty DN (the root) has no components. Multi-valued components (`CN=a+SN=b`), which
/// Active Directory does not use, are refused.
pub fn split_dn(dn: &str) -> Result<Vec<(String, String)>, EscapeError> {
    if dn.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut starts = vec![0];
    let mut ends = Vec::new();
    for comma in unescaped_positions(dn, b',') {
        ends.push(comma);
        starts.push(comma + 1);
    }
    ends.push(dn.len());
    let mut rdns = Vec::with_capacity(starts.len());
    for (&start, &end) in starts.iter().zip(&ends) {
        let component = dn.get(start..end).unwrap_or_default();
        if component.trim().is_empty() {
            return Err(EscapeError::EmptyComponent);
        }
        let Some((attribute, raw)) = component.split_once('=') else {
            return Err(EscapeError::MissingEquals {
                component: component.trim().to_string(),
            });
        };
        let attribute = attribute.trim();
        if !valid_attribute_type(attribute) {
            return Err(EscapeError::InvalidAttributeType {
                attribute: attribute.to_string(),
            });
        }
        let raw = trim_unescaped_end(raw.trim_start_matches(' '));
        if !unescaped_positions(raw, b'+').is_empty() {
            return Err(EscapeError::MultiValuedRdn {
                component: component.trim().to_string(),
            });
        }
        rdns.push((attribute.to_string(), unescape_rdn_value(raw)?));
    }
    Ok(rdns)
}

/// Builds a DN from components, leaf first, escaping each value: `[("CN", "Smith, John"),
/// ("DC", "test")]` gives `CN=Smith\, John,DC=test`.
pub fn join_dn(rdns: &[(&str, &str)]) -> String {
    rdns.iter()
        .map(|(attribute, value)| format!("{attribute}={}", rdn_value(value)))
        .collect::<Vec<_>>()
        .join(",")
}

/// The DN of the object named `rdn_type=value` directly under `parent` (an already escaped DN),
/// the value escaped. An empty parent gives the component alone.
pub fn child_dn(rdn_type: &str, value: &str, parent: &str) -> String {
    let rdn = join_dn(&[(rdn_type, value)]);
    let parent = parent.trim();
    if parent.is_empty() {
        rdn
    } else {
        format!("{rdn},{parent}")
    }
}

/// The DN of the parent: everything after the first unescaped comma, as written. `None` for a
/// DN with one component or none.
pub fn parent_dn(dn: &str) -> Option<String> {
    let comma = unescaped_positions(dn, b',').into_iter().next()?;
    let rest = dn.get(comma + 1..)?.trim();
    if rest.is_empty() {
        None
    } else {
        Some(rest.to_string())
    }
}

/// The components of a DN with types and values in lower case, for comparing.
fn normalized(dn: &str) -> Result<Vec<(String, String)>, EscapeError> {
    Ok(split_dn(dn)?
        .into_iter()
        .map(|(attribute, value)| (attribute.to_lowercase(), value.to_lowercase()))
        .collect())
}

/// Whether two DNs name the same object, as Active Directory compares them: component by
/// component, ignoring case, spacing around commas and the choice of escape form. Two texts that
/// cannot be read as DNs are compared as plain text, ignoring case.
pub fn dn_eq(a: &str, b: &str) -> bool {
    match (normalized(a), normalized(b)) {
        (Ok(a), Ok(b)) => a == b,
        (Err(_), Err(_)) => a.trim().to_lowercase() == b.trim().to_lowercase(),
        _ => false,
    }
}

/// Whether `dn` is `base` itself or somewhere beneath it, compared as [`dn_eq`] does. Every DN
/// is within the empty DN (the root); a text that cannot be read as a DN is within nothing.
pub fn dn_is_within(dn: &str, base: &str) -> bool {
    match (normalized(dn), normalized(base)) {
        (Ok(dn), Ok(base)) => dn.ends_with(&base),
        _ => false,
    }
}

/// Of the `bases` that hold `dn` (or are it), the depth (number of components) of the
/// deepest; `None` when none holds it. Compared as [`dn_is_within`] compares.
pub fn deepest_base(dn: &str, bases: &[String]) -> Option<usize> {
    let dn = normalized(dn).ok()?;
    bases
        .iter()
        .filter_map(|b| normalized(b).ok())
        .filter(|b| dn.ends_with(b))
        .map(|b| b.len())
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values that must survive escaping unchanged and never leak structure.
    const TRICKY: &[&str] = &[
        "*)(uid=*",
        "\\",
        "\0",
        "a\0b",
        ",+\"<>;=",
        "#lead",
        " lead and trail ",
        " ",
        "  ",
        "Ünïcødé 山田",
        "Smith, John",
        "trail\\",
        "back\\ slash ",
        "",
        "plain",
        "a=b",
        "#",
        "\\2C",
    ];

    #[test]
    fn filter_value_escapes_each_special() {
        assert_eq!(filter_value("*"), "\\2a");
        assert_eq!(filter_value("("), "\\28");
        assert_eq!(filter_value(")"), "\\29");
        assert_eq!(filter_value("\\"), "\\5c");
        assert_eq!(filter_value("\0"), "\\00");
        assert_eq!(filter_value("*)(uid=*"), "\\2a\\29\\28uid=\\2a");
        assert_eq!(filter_value("Ünïcødé 山田"), "Ünïcødé 山田");
        assert_eq!(filter_value("plain text"), "plain text");
    }

    #[test]
    fn filtered_values_keep_no_special_characters() {
        for value in TRICKY {
            let escaped = filter_value(value);
            assert!(
                !escaped.contains(['*', '(', ')', '\0']),
                "{value:?} -> {escaped:?}"
            );
            // Every backslash left starts one of the escapes this function writes.
            for (i, _) in escaped.match_indices('\\') {
                let pair = escaped.get(i + 1..i + 3).unwrap();
                assert!(
                    ["2a", "28", "29", "5c", "00"].contains(&pair),
                    "{escaped:?}"
                );
            }
        }
    }

    #[test]
    fn filter_bytes_writes_every_byte_in_lowercase_hex() {
        assert_eq!(filter_bytes(&[0x01, 0xab, 0x00, 0xff]), "\\01\\ab\\00\\ff");
        assert_eq!(filter_bytes(&[]), "");
    }

    #[test]
    fn rdn_value_escapes_what_rfc_4514_requires() {
        assert_eq!(rdn_value("Smith, John"), "Smith\\, John");
        assert_eq!(rdn_value(",+\"\\<>;="), "\\,\\+\\\"\\\\\\<\\>\\;\\=");
        assert_eq!(rdn_value("#lead"), "\\#lead");
        assert_eq!(rdn_value("mid#dle"), "mid#dle");
        assert_eq!(rdn_value(" lead and trail "), "\\ lead and trail\\ ");
        assert_eq!(rdn_value(" "), "\\ ");
        assert_eq!(rdn_value("a\0b"), "a\\00b");
        assert_eq!(rdn_value("Ünïcødé 山田"), "Ünïcødé 山田");
        assert_eq!(rdn_value(""), "");
    }

    #[test]
    fn rdn_values_round_trip() {
        for value in TRICKY {
            let escaped = rdn_value(value);
            assert_eq!(
                unescape_rdn_value(&escaped).as_deref(),
                Ok(*value),
                "{escaped:?}"
            );
        }
    }

    #[test]
    fn unescape_accepts_hex_pairs_and_utf8_sequences() {
        assert_eq!(unescape_rdn_value("Smith\\2C John").unwrap(), "Smith, John");
        assert_eq!(unescape_rdn_value("Smith\\2c John").unwrap(), "Smith, John");
        assert_eq!(unescape_rdn_value("caf\\C3\\A9").unwrap(), "café");
        assert_eq!(unescape_rdn_value("\\23lead").unwrap(), "#lead");
        assert_eq!(unescape_rdn_value("\\e5\\b1\\b1田").unwrap(), "山田");
        assert_eq!(unescape_rdn_value("a=b").unwrap(), "a=b");
    }

    #[test]
    fn unescape_refuses_invalid_escapes() {
        assert_eq!(
            unescape_rdn_value("abc\\"),
            Err(EscapeError::DanglingEscape)
        );
        assert_eq!(
            unescape_rdn_value("a\\xb"),
            Err(EscapeError::InvalidEscape { found: 'x' })
        );
        assert_eq!(
            unescape_rdn_value("a\\é"),
            Err(EscapeError::InvalidEscape { found: 'é' })
        );
        assert_eq!(
            unescape_rdn_value("a\\4"),
            Err(EscapeError::IncompleteHexPair { first: '4' })
        );
        assert_eq!(
            unescape_rdn_value("a\\4g"),
            Err(EscapeError::IncompleteHexPair { first: '4' })
        );
        assert_eq!(unescape_rdn_value("\\C3"), Err(EscapeError::InvalidUtf8));
        assert_eq!(unescape_rdn_value("\\ff"), Err(EscapeError::InvalidUtf8));
        assert_eq!(
            unescape_rdn_value("a,b"),
            Err(EscapeError::Unescaped { found: ',' })
        );
        assert_eq!(
            unescape_rdn_value("a\0b"),
            Err(EscapeError::Unescaped { found: '\0' })
        );
        assert_eq!(
            unescape_rdn_value("#0401"),
            Err(EscapeError::BerEncodedValue)
        );
    }

    #[test]
    fn split_honours_escapes() {
        let parts = split_dn("CN=Smith\\, John,OU=Corp,DC=contoso,DC=test").unwrap();
        assert_eq!(
            parts,
            vec![
                ("CN".to_string(), "Smith, John".to_string()),
                ("OU".to_string(), "Corp".to_string()),
                ("DC".to_string(), "contoso".to_string()),
                ("DC".to_string(), "test".to_string()),
            ]
        );
        let parts = split_dn("CN=Smith\\2C John,OU=a\\\\,DC=test").unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].1, "Smith, John");
        assert_eq!(parts[1].1, "a\\");
    }

    #[test]
    fn split_ignores_unescaped_spacing_but_keeps_escaped_spaces() {
        let parts = split_dn("cn = Smith ,  ou=Corp\\ , DC=test").unwrap();
        assert_eq!(parts[0], ("cn".to_string(), "Smith".to_string()));
        assert_eq!(parts[1], ("ou".to_string(), "Corp ".to_string()));
        assert_eq!(parts[2], ("DC".to_string(), "test".to_string()));
        let parts = split_dn("CN=a\\\\ ,DC=test").unwrap();
        assert_eq!(parts[0].1, "a\\");
    }

    #[test]
    fn split_and_join_round_trip() {
        for value in TRICKY {
            let dn = join_dn(&[("CN", value), ("OU", value), ("DC", "test")]);
            let parts = split_dn(&dn).unwrap_or_else(|e| panic!("{dn:?}: {e}"));
            assert_eq!(parts.len(), 3, "{dn:?}");
            assert_eq!(parts[0], ("CN".to_string(), value.to_string()), "{dn:?}");
            assert_eq!(parts[1], ("OU".to_string(), value.to_string()), "{dn:?}");
            assert_eq!(
                parent_dn(&dn).unwrap(),
                join_dn(&[("OU", value), ("DC", "test")])
            );
        }
    }

    #[test]
    fn split_refuses_malformed_dns() {
        assert_eq!(split_dn("").unwrap(), Vec::new());
        assert_eq!(split_dn("  ").unwrap(), Vec::new());
        assert_eq!(split_dn("CN=a,,DC=b"), Err(EscapeError::EmptyComponent));
        assert_eq!(split_dn("CN=a,"), Err(EscapeError::EmptyComponent));
        assert_eq!(split_dn(",CN=a"), Err(EscapeError::EmptyComponent));
        assert!(matches!(
            split_dn("CN=a,DC"),
            Err(EscapeError::MissingEquals { .. })
        ));
        assert!(matches!(
            split_dn("=a"),
            Err(EscapeError::InvalidAttributeType { .. })
        ));
        assert!(matches!(
            split_dn("C N=a"),
            Err(EscapeError::InvalidAttributeType { .. })
        ));
        assert!(matches!(
            split_dn("CN\\=x=a"),
            Err(EscapeError::InvalidAttributeType { .. })
        ));
        assert!(matches!(
            split_dn("CN=a+SN=b,DC=c"),
            Err(EscapeError::MultiValuedRdn { .. })
        ));
        assert_eq!(split_dn("CN=a\\"), Err(EscapeError::DanglingEscape));
        assert_eq!(
            split_dn("CN=a;b"),
            Err(EscapeError::Unescaped { found: ';' })
        );
        assert_eq!(
            split_dn("1.2.840.113556.1.4.1=x").unwrap()[0].0,
            "1.2.840.113556.1.4.1"
        );
        assert!(split_dn("1..2=x").is_err());
        assert_eq!(
            split_dn("CN=").unwrap(),
            vec![("CN".to_string(), String::new())]
        );
    }

    #[test]
    fn child_and_parent() {
        assert_eq!(
            child_dn("CN", "Smith, John", "OU=Corp,DC=test"),
            "CN=Smith\\, John,OU=Corp,DC=test"
        );
        assert_eq!(child_dn("OU", "Top", ""), "OU=Top");
        assert_eq!(
            parent_dn("CN=Smith\\, John,OU=Corp,DC=test").unwrap(),
            "OU=Corp,DC=test"
        );
        assert_eq!(parent_dn("CN=a, DC=test").unwrap(), "DC=test");
        assert_eq!(parent_dn("DC=test"), None);
        assert_eq!(parent_dn("CN=a\\,b"), None);
        assert_eq!(parent_dn(""), None);
    }

    #[test]
    fn dn_comparison_normalises() {
        assert!(dn_eq(
            "CN=Smith\\, John,DC=Test",
            "cn=smith\\2c john, dc=test"
        ));
        assert!(dn_eq("CN=Ünïcødé,DC=test", "cn=\\c3\\9cnïcødé,dc=TEST"));
        assert!(!dn_eq("CN=a,DC=test", "CN=b,DC=test"));
        assert!(!dn_eq("CN=a,DC=test", "DC=test"));
        assert!(dn_eq("not a dn", "NOT A DN"));
        assert!(!dn_eq("CN=a", "not a dn"));
        assert!(dn_is_within("CN=a,OU=Corp,DC=test", "ou=corp,dc=test"));
        assert!(dn_is_within("OU=Corp,DC=test", "OU=Corp,DC=test"));
        assert!(!dn_is_within("OU=Corp,DC=test", "CN=a,OU=Corp,DC=test"));
        assert!(!dn_is_within("CN=a,OU=Corp2,DC=test", "OU=Corp,DC=test"));
        assert!(dn_is_within("DC=test", ""));
        assert!(!dn_is_within("CN=a,,DC=test", "DC=test"));
    }
}
