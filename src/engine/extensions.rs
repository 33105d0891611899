//! Directory extensions: attributes of the forests copied into tenant extension properties.
//!
//! Owns which Active Directory syntaxes can become which tenant data type, which schema
//! attributes can be chosen ([`candidates_in`]: held by users or groups, of a syntax the tenant
//! can store, not computed by the server), the name the tenant gives the property (`extension_{appId without hyphens}_{name}`), and each value converted the
//! way the tenant documents it (strings and binary values up to 256 characters or bytes, 32- and
//! 64-bit integers, booleans, ISO 8601 times in UTC). A value the tenant would refuse is left out
//! rather than cut short: a shortened value would be wrong without anyone knowing.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How many extension values the tenant keeps on one object, over every application.
pub const MAX_EXTENSIONS: usize = 100;
/// The longest string value, in characters.
pub const MAX_STRING_CHARS: usize = 256;
/// The longest binary value, in bytes.
pub const MAX_BINARY_BYTES: usize = 256;

/// The data type of an extension property, as the tenant names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DataType {
    /// Up to 256 bytes, base64 in JSON.
    Binary,
    /// `true` or `false`.
    Boolean,
    /// An ISO 8601 time in UTC.
    DateTime,
    /// A 32-bit integer.
    Integer,
    /// A 64-bit integer.
    LargeInteger,
    /// Up to 256 characters.
    String,
}

impl DataType {
    /// The tenant type for an Active Directory `attributeSyntax`, or `None` for the syntaxes
    /// with no tenant equivalent (distinguished names and their variants, object identifiers,
    /// security descriptors, presentation addresses).
    pub fn for_syntax(syntax: &str) -> Option<DataType> {
        Some(match syntax {
            // Case-sensitive, case-insensitive, printable/IA5, numeric and Unicode strings.
            "2.5.5.3" | "2.5.5.4" | "2.5.5.5" | "2.5.5.6" | "2.5.5.12" => DataType::String,
            "2.5.5.8" => DataType::Boolean,
            "2.5.5.9" => DataType::Integer,
            "2.5.5.16" => DataType::LargeInteger,
            // Octet strings and security identifiers.
            "2.5.5.10" | "2.5.5.17" => DataType::Binary,
            // UTC time and generalized time.
            "2.5.5.11" => DataType::DateTime,
            _ => return None,
        })
    }

    /// Its name in the tenant's `dataType`.
    pub fn tenant_name(self) -> &'static str {
        match self {
            DataType::Binary => "Binary",
            DataType::Boolean => "Boolean",
            DataType::DateTime => "DateTime",
            DataType::Integer => "Integer",
            DataType::LargeInteger => "LargeInteger",
            DataType::String => "String",
        }
    }
}

/// One attribute synchronized as a directory extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Extension {
    /// The attribute's LDAP name, as the schema spells it.
    pub attribute: String,
    /// The tenant property it fills (`extension_…_name`).
    pub property: String,
    /// The tenant data type.
    pub data_type: DataType,
    /// Whether it holds several values.
    pub multi_valued: bool,
    /// Copied onto users.
    pub users: bool,
    /// Copied onto groups.
    pub groups: bool,
}

/// An attribute of the forests' schemas that can be chosen as a directory extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Its LDAP name, as the schema spells it.
    pub name: String,
    /// The tenant data type it becomes.
    pub data_type: DataType,
    /// Whether it holds several values (in any forest).
    pub multi_valued: bool,
    /// Held by users.
    pub users: bool,
    /// Held by groups.
    pub groups: bool,
}

/// Every attribute of some forests' schemas that users or groups hold and the tenant can store,
/// by name. An attribute in several forests is one candidate (multi-valued if it is anywhere).
pub fn candidates_in<'a>(
    schemas: impl Iterator<Item = &'a crate::directory::discovery::Schema>,
) -> Vec<Candidate> {
    let mut out: BTreeMap<String, Candidate> = BTreeMap::new();
    for schema in schemas {
        let users = lowercase(schema.attributes_of("user"));
        let groups = lowercase(schema.attributes_of("group"));
        for attribute in &schema.attributes {
            let Some(data_type) = DataType::for_syntax(&attribute.syntax) else {
                continue;
            };
            let key = attribute.name.to_lowercase();
            let (on_users, on_groups) = (users.contains(&key), groups.contains(&key));
            if attribute.constructed || !(on_users || on_groups) {
                continue;
            }
            let c = out.entry(key).or_insert_with(|| Candidate {
                name: attribute.name.clone(),
                data_type,
                multi_valued: false,
                users: false,
                groups: false,
            });
            c.multi_valued |= !attribute.single_valued;
            c.users |= on_users;
            c.groups |= on_groups;
        }
    }
    out.into_values().collect()
}

fn lowercase(names: BTreeSet<String>) -> BTreeSet<String> {
    names.into_iter().map(|n| n.to_lowercase()).collect()
}

/// The name part the tenant accepts for an attribute (letters, digits and `_`): the hyphen of
/// names such as `msDS-cloudExtensionAttribute1` becomes `_`. LDAP names hold no `_` of their
/// own, so two attributes never share a name.
pub fn name_part(attribute: &str) -> String {
    attribute
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The tenant property for `attribute` on the application `app_id`.
pub fn property_name(app_id: &str, attribute: &str) -> String {
    format!(
        "extension_{}_{}",
        app_id.replace('-', "").to_lowercase(),
        name_part(attribute)
    )
}

/// The tenant value for an object's raw values of the attribute, or `None` when it has none the
/// tenant would take (the property is then cleared).
pub fn tenant_value(extension: &Extension, values: &[Vec<u8>]) -> Option<Value> {
    if extension.multi_valued {
        let converted: Vec<Value> = values
            .iter()
            .filter_map(|v| convert(extension.data_type, v))
            .collect();
        (!converted.is_empty()).then_some(Value::Array(converted))
    } else {
        values.first().and_then(|v| convert(extension.data_type, v))
    }
}

fn convert(data_type: DataType, raw: &[u8]) -> Option<Value> {
    match data_type {
        DataType::Binary => (raw.len() <= MAX_BINARY_BYTES)
            .then(|| Value::String(base64::engine::general_purpose::STANDARD.encode(raw))),
        DataType::String => {
            let text = std::str::from_utf8(raw).ok()?;
            (text.chars().count() <= MAX_STRING_CHARS && !text.is_empty())
                .then(|| Value::String(text.to_string()))
        }
        DataType::Boolean => match std::str::from_utf8(raw).ok()? {
            "TRUE" => Some(Value::Bool(true)),
            "FALSE" => Some(Value::Bool(false)),
            _ => None,
        },
        DataType::Integer => {
            let n: i64 = std::str::from_utf8(raw).ok()?.trim().parse().ok()?;
            // Active Directory keeps 32-bit integers, and shows flags above 2^31 as negative.
            i32::try_from(n).ok().map(Value::from)
        }
        DataType::LargeInteger => std::str::from_utf8(raw)
            .ok()?
            .trim()
            .parse::<i64>()
            .ok()
            .map(Value::from),
        DataType::DateTime => iso_time(std::str::from_utf8(raw).ok()?).map(Value::String),
    }
}

/// `YYYYMMDDHHMMSS[.f]Z` (generalized time) or `YYMMDDHHMMSSZ` (UTC time) as ISO 8601 in UTC.
fn iso_time(text: &str) -> Option<String> {
    let text = text.trim();
    let body = text.strip_suffix('Z')?;
    let digits = body.split('.').next()?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let full = match digits.len() {
        14 => digits.to_string(),
        // Two-digit years: 50–99 are 19xx, 00–49 are 20xx (X.680's reading of UTCTime).
        12 => {
            let century = if digits[..2].parse::<u8>().ok()? >= 50 {
                "19"
            } else {
                "20"
            };
            format!("{century}{digits}")
        }
        _ => return None,
    };
    let n = |r: std::ops::Range<usize>| full[r].parse::<u32>().ok();
    let (month, day, hour, minute, second) =
        (n(4..6)?, n(6..8)?, n(8..10)?, n(10..12)?, n(12..14)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    Some(format!(
        "{}-{}-{}T{}:{}:{}Z",
        &full[0..4],
        &full[4..6],
        &full[6..8],
        &full[8..10],
        &full[10..12],
        &full[12..14]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extension(data_type: DataType, multi_valued: bool) -> Extension {
        Extension {
            attribute: "a".into(),
            property: "extension_x_a".into(),
            data_type,
            multi_valued,
            users: true,
            groups: false,
        }
    }

    #[test]
    fn syntaxes_map_to_the_documented_types_and_references_do_not() {
        assert_eq!(DataType::for_syntax("2.5.5.12"), Some(DataType::String));
        assert_eq!(DataType::for_syntax("2.5.5.9"), Some(DataType::Integer));
        assert_eq!(
            DataType::for_syntax("2.5.5.16"),
            Some(DataType::LargeInteger)
        );
        assert_eq!(DataType::for_syntax("2.5.5.10"), Some(DataType::Binary));
        assert_eq!(DataType::for_syntax("2.5.5.11"), Some(DataType::DateTime));
        for reference in ["2.5.5.1", "2.5.5.7", "2.5.5.14", "2.5.5.2", "2.5.5.15"] {
            assert_eq!(DataType::for_syntax(reference), None, "{reference}");
        }
    }

    #[test]
    fn names_follow_the_tenant_convention() {
        assert_eq!(
            property_name(
                "5bfc8fda-cfc9-43a9-a6de-214ea9d15fdb",
                "msDS-cloudExtensionAttribute1"
            ),
            "extension_5bfc8fdacfc943a9a6de214ea9d15fdb_msDS_cloudExtensionAttribute1"
        );
    }

    #[test]
    fn values_are_converted_or_left_out_never_cut() {
        let s = extension(DataType::String, false);
        assert_eq!(tenant_value(&s, &[b"Lyon".to_vec()]), Some("Lyon".into()));
        assert_eq!(tenant_value(&s, &[vec![b'x'; 257]]), None);
        assert_eq!(tenant_value(&s, &[]), None);
        let i = extension(DataType::Integer, false);
        assert_eq!(tenant_value(&i, &[b"-7".to_vec()]), Some(Value::from(-7)));
        assert_eq!(tenant_value(&i, &[b"4294967296".to_vec()]), None);
        let l = extension(DataType::LargeInteger, false);
        assert_eq!(
            tenant_value(&l, &[b"133497216000000000".to_vec()]),
            Some(Value::from(133_497_216_000_000_000i64))
        );
        let b = extension(DataType::Boolean, false);
        assert_eq!(
            tenant_value(&b, &[b"TRUE".to_vec()]),
            Some(Value::Bool(true))
        );
        assert_eq!(tenant_value(&b, &[b"yes".to_vec()]), None);
        let bin = extension(DataType::Binary, false);
        assert_eq!(tenant_value(&bin, &[vec![0, 255]]), Some("AP8=".into()));
        assert_eq!(tenant_value(&bin, &[vec![0; 257]]), None);
        let t = extension(DataType::DateTime, false);
        assert_eq!(
            tenant_value(&t, &[b"20240229120000.0Z".to_vec()]),
            Some("2024-02-29T12:00:00Z".into())
        );
        assert_eq!(
            tenant_value(&t, &[b"991231235959Z".to_vec()]),
            Some("1999-12-31T23:59:59Z".into())
        );
        assert_eq!(tenant_value(&t, &[b"20241301000000.0Z".to_vec()]), None);
        let multi = extension(DataType::String, true);
        assert_eq!(
            tenant_value(&multi, &[b"a".to_vec(), vec![b'x'; 300], b"b".to_vec()]),
            Some(serde_json::json!(["a", "b"]))
        );
        assert_eq!(tenant_value(&multi, &[]), None);
    }
}
