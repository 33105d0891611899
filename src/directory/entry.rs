//! A directory entry as Skybridge keeps it: the DN and every value as the exact bytes the
//! server sent.
//!
//! Binary attributes (objectGUID, objectSid, ms-DS-ConsistencyGuid, …) are never passed through
//! text conversion, so a GUID whose bytes happen to be valid UTF-8 is still a GUID. Attribute
//! names are compared case-insensitively, as LDAP requires. Ranged values (`member;range=0-1499`)
//! are recorded so the reader can fetch the rest.

use std::collections::BTreeMap;

use ldap3::ResultEntry;
use ldap3::asn1::{PL, StructureTag};
use serde::Serialize;

/// An entry read from the directory.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Entry {
    /// Distinguished name, as the server wrote it.
    pub dn: String,
    /// Values by lower-case attribute name (options such as `;range=` removed).
    pub attrs: BTreeMap<String, Vec<Vec<u8>>>,
    /// Attributes whose values came in ranges and are not complete yet: name → first missing
    /// value index.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub incomplete: BTreeMap<String, usize>,
}

/// An entry the server sent that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the server sent an entry Skybridge cannot read: {0}")]
pub struct EntryError(pub &'static str);

/// The range option of an attribute description: `member;range=1500-2999` → (1500, Some(2999));
/// `member;range=1500-*` → (1500, None), meaning these are the last values.
pub fn parse_range(description: &str) -> Option<(String, usize, Option<usize>)> {
    let mut parts = description.split(';');
    let name = parts.next()?.to_ascii_lowercase();
    for option in parts {
        let lower = option.to_ascii_lowercase();
        if let Some(range) = lower.strip_prefix("range=") {
            let (low, high) = range.split_once('-')?;
            let low = low.parse().ok()?;
            let high = if high == "*" {
                None
            } else {
                Some(high.parse().ok()?)
            };
            return Some((name, low, high));
        }
    }
    None
}

impl Entry {
    /// Reads a search result entry. References and intermediate messages are not entries.
    pub fn from_result(entry: ResultEntry) -> Result<Entry, EntryError> {
        Self::from_tag(entry.0)
    }

    fn from_tag(tag: StructureTag) -> Result<Entry, EntryError> {
        let (dn, attributes) = raw_parts(tag)?;
        let mut entry = Entry {
            dn,
            ..Entry::default()
        };
        for (description, values) in attributes {
            entry.add_values(&description, values);
        }
        Ok(entry)
    }

    /// Adds values under an attribute description, following its range option if it has one.
    pub fn add_values(&mut self, description: &str, values: Vec<Vec<u8>>) {
        match parse_range(description) {
            Some((name, low, high)) => {
                let count = values.len();
                self.attrs.entry(name.clone()).or_default().extend(values);
                match high {
                    // An empty range with a number as its end would loop forever: treat as done.
                    Some(_) if count > 0 => {
                        self.incomplete.insert(name, low + count);
                    }
                    _ => {
                        self.incomplete.remove(&name);
                    }
                }
            }
            None => {
                let name = description
                    .split(';')
                    .next()
                    .unwrap_or(description)
                    .to_ascii_lowercase();
                self.attrs.entry(name).or_default().extend(values);
            }
        }
    }

    /// All values of an attribute, as bytes.
    pub fn values(&self, name: &str) -> &[Vec<u8>] {
        self.attrs
            .get(&name.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// The first value as bytes.
    pub fn first(&self, name: &str) -> Option<&[u8]> {
        self.values(name).first().map(Vec::as_slice)
    }

    /// The first value as text (lossy only for values that are not text at all).
    pub fn text(&self, name: &str) -> Option<String> {
        self.first(name)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// Every value as text.
    pub fn texts(&self, name: &str) -> Vec<String> {
        self.values(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect()
    }

    /// The first value as a number.
    pub fn number(&self, name: &str) -> Option<i64> {
        self.text(name).and_then(|t| t.trim().parse().ok())
    }

    /// The entry's objectGUID, when it was read and is 16 bytes.
    pub fn guid(&self) -> Option<[u8; 16]> {
        self.first("objectGUID").and_then(|v| v.try_into().ok())
    }

    /// Whether an attribute holds `TRUE`.
    pub fn flag(&self, name: &str) -> bool {
        self.first(name)
            .is_some_and(|v| v.eq_ignore_ascii_case(b"TRUE"))
    }

    /// Whether the entry's objectClass list contains `class`.
    pub fn is_class(&self, class: &str) -> bool {
        self.values("objectClass")
            .iter()
            .any(|c| c.eq_ignore_ascii_case(class.as_bytes()))
    }
}

/// The DN and the attribute descriptions with their values, exactly as sent (options such as
/// `;range=1-1` kept), for readers that give options their own meaning (DirSync).
pub fn raw_entry(entry: ResultEntry) -> Result<RawEntry, EntryError> {
    raw_parts(entry.0)
}

/// A DN and its attribute descriptions with values, as sent.
pub type RawEntry = (String, Vec<(String, Vec<Vec<u8>>)>);

fn raw_parts(tag: StructureTag) -> Result<RawEntry, EntryError> {
    if tag.id != 4 {
        return Err(EntryError("not a search result entry"));
    }
    let mut parts = constructed(tag)?.into_iter();
    let dn = parts
        .next()
        .ok_or(EntryError("no DN"))
        .and_then(primitive)
        .and_then(|b| String::from_utf8(b).map_err(|_| EntryError("the DN is not UTF-8")))?;
    let mut out = Vec::new();
    let Some(attributes) = parts.next() else {
        return Ok((dn, out));
    };
    for attribute in constructed(attributes)? {
        let mut pieces = constructed(attribute)?.into_iter();
        let description = pieces
            .next()
            .ok_or(EntryError("an attribute without a name"))
            .and_then(primitive)
            .and_then(|b| {
                String::from_utf8(b).map_err(|_| EntryError("an attribute name is not UTF-8"))
            })?;
        let values = match pieces.next() {
            Some(set) => constructed(set)?
                .into_iter()
                .map(primitive)
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        out.push((description, values));
    }
    Ok((dn, out))
}

fn constructed(tag: StructureTag) -> Result<Vec<StructureTag>, EntryError> {
    match tag.payload {
        PL::C(items) => Ok(items),
        PL::P(_) => Err(EntryError("a primitive value where a list was expected")),
    }
}

fn primitive(tag: StructureTag) -> Result<Vec<u8>, EntryError> {
    match tag.payload {
        PL::P(bytes) => Ok(bytes),
        PL::C(_) => Err(EntryError("a list where a value was expected")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ldap3::asn1::TagClass;

    fn prim(bytes: &[u8]) -> StructureTag {
        StructureTag {
            class: TagClass::Universal,
            id: 4,
            payload: PL::P(bytes.to_vec()),
        }
    }

    fn cons(id: u64, items: Vec<StructureTag>) -> StructureTag {
        StructureTag {
            class: TagClass::Universal,
            id,
            payload: PL::C(items),
        }
    }

    fn entry(dn: &str, attrs: &[(&str, &[&[u8]])]) -> StructureTag {
        let list = attrs
            .iter()
            .map(|(name, values)| {
                cons(
                    16,
                    vec![
                        prim(name.as_bytes()),
                        cons(17, values.iter().map(|v| prim(v)).collect()),
                    ],
                )
            })
            .collect();
        StructureTag {
            class: TagClass::Application,
            id: 4,
            payload: PL::C(vec![prim(dn.as_bytes()), cons(16, list)]),
        }
    }

    #[test]
    fn binary_values_stay_bytes_even_when_they_look_like_text() {
        let guid: &[u8] = b"ABCDEFGHIJKLMNOP"; // 16 bytes of valid UTF-8
        let raw = entry(
            "CN=A,DC=x",
            &[("objectGUID", &[guid]), ("cn", &[b"A"]), ("mail", &[])],
        );
        let e = Entry::from_tag(raw).unwrap();
        assert_eq!(e.guid(), Some(*b"ABCDEFGHIJKLMNOP"));
        assert_eq!(e.text("CN").as_deref(), Some("A"));
        assert!(e.values("mail").is_empty());
    }

    #[test]
    fn ranged_values_record_where_to_continue() {
        let raw = entry("CN=G,DC=x", &[("member;range=0-1", &[b"CN=a", b"CN=b"])]);
        let mut e = Entry::from_tag(raw).unwrap();
        assert_eq!(e.incomplete.get("member"), Some(&2));
        e.add_values("member;range=2-*", vec![b"CN=c".to_vec()]);
        assert!(e.incomplete.is_empty());
        assert_eq!(e.texts("member"), ["CN=a", "CN=b", "CN=c"]);
        assert_eq!(
            parse_range("member;Range=1500-*"),
            Some(("member".into(), 1500, None))
        );
        assert_eq!(parse_range("member;range=x-1"), None);
        assert_eq!(parse_range("member"), None);
    }

    #[test]
    fn malformed_entries_are_errors() {
        let mut bad = entry("CN=A", &[]);
        bad.id = 19;
        assert!(Entry::from_tag(bad).is_err());
        let not_utf8 = StructureTag {
            class: TagClass::Application,
            id: 4,
            payload: PL::C(vec![prim(&[0xff, 0xfe])]),
        };
        assert!(Entry::from_tag(not_utf8).is_err());
        let flat = StructureTag {
            class: TagClass::Application,
            id: 4,
            payload: PL::P(vec![1]),
        };
        assert!(Entry::from_tag(flat).is_err());
    }
}
