//! The documented Graph behaviour in `tests/data/graph-fixtures/`: reading a fixture (an
//! exchange, or the rules of a resource), sending an exchange's request to the emulator, and
//! checking an answer against a documented shape.

use serde_json::Value;

use crate::harness::{Env, Resp};

pub(crate) const FIXTURES: &str = "tests/data/graph-fixtures";

/// The fixture `name` (`<FIXTURES>/<name>.json`).
pub(crate) fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{FIXTURES}/{name}.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The rules of a rules fixture.
pub(crate) fn rules(name: &str) -> Value {
    let fx = fixture(name);
    assert_eq!(fx["kind"], "rules");
    fx["rules"].clone()
}

/// The strings of a JSON array.
pub(crate) fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

/// Checks the documented shape: keys present with the same JSON types.
pub(crate) fn shape(expected: &Value, actual: &Value, at: &str, errors: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Null, _) => {}
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                match a.get(k) {
                    Some(av) => shape(v, av, &format!("{at}.{k}"), errors),
                    None => errors.push(format!("{at}: documented key '{k}' is missing")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.is_empty() {
                return;
            }
            for (i, item) in a.iter().enumerate() {
                // Each element must have the shape of one of the documented elements.
                let mut best: Option<Vec<String>> = None;
                for candidate in e {
                    let mut errs = Vec::new();
                    shape(candidate, item, &format!("{at}[{i}]"), &mut errs);
                    if best.as_ref().is_none_or(|b| errs.len() < b.len()) {
                        best = Some(errs);
                    }
                }
                errors.extend(best.unwrap_or_default());
            }
        }
        (_, Value::Null) if !expected.is_object() && !expected.is_array() => {}
        (e, a) => {
            let kind = |v: &Value| match v {
                Value::Null => "null",
                Value::Bool(_) => "boolean",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            if kind(e) != kind(a) {
                errors.push(format!(
                    "{at}: documented as {} but the emulator answered {}: {a}",
                    kind(e),
                    kind(a)
                ));
            }
        }
    }
}

/// Sends a Graph fixture's request after replacing placeholders (in the URL and the body).
pub(crate) async fn send(env: &Env, fx: &Value, subst: &[(&str, &str)]) -> Resp {
    let req = &fx["request"];
    let mut url = req["url"].as_str().unwrap().to_owned();
    let mut body = match &req["body"] {
        Value::Null => None,
        b => Some(b.to_string()),
    };
    for (from, to) in subst {
        url = url.replace(from, to);
        body = body.map(|b| b.replace(from, to));
    }
    let headers: Vec<(String, String)> = req["headers"]
        .as_object()
        .map(|h| {
            h.iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case("host"))
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    env.raw(
        req["method"].as_str().unwrap(),
        &url,
        &headers,
        body.map(String::into_bytes),
        Some(&env.token),
    )
    .await
}
