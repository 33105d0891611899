//! The engine's objects: connector-space objects (a staged copy of each directory object),
//! metaverse objects (one per real person, group or contact), pending exports and runs.
//!
//! Attribute values are kept as text when they are text and as base64 when they are binary,
//! which keeps the store close to the size of the data itself.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::directory::Entry;
use crate::directory::import::ObjectClass;

/// Attributes whose values are binary whatever their bytes look like.
const BINARY: &[&str] = &[
    "objectguid",
    "objectsid",
    "ms-ds-consistencyguid",
    "msexchmasteraccountsid",
    "msexchmailboxguid",
    "msrtcsip-originatorsid",
    "parentguid",
    "sidhistory",
    "thumbnailphoto",
    "usercertificate",
];

/// An object as imported from one connected directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CsObject {
    /// The connector (forest) it came from.
    pub connector: String,
    /// Its anchor in that directory: the objectGUID, base64.
    pub anchor: String,
    /// Its DN now.
    pub dn: String,
    /// Its class.
    pub class: ObjectClass,
    /// The DNS name of its domain.
    pub domain: String,
    /// Text values by lower-case attribute name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub text: BTreeMap<String, Vec<String>>,
    /// Binary values (base64) by lower-case attribute name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub binary: BTreeMap<String, Vec<String>>,
    /// Deleted in the directory (a tombstone was imported).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

impl CsObject {
    /// From an imported entry; `None` for an entry without objectGUID or of another class.
    pub fn from_entry(connector: &str, domain: &str, entry: &Entry) -> Option<CsObject> {
        let guid = entry.guid()?;
        let class = ObjectClass::of(entry)?;
        let mut object = CsObject {
            connector: connector.to_string(),
            anchor: BASE64.encode(guid),
            dn: entry.dn.clone(),
            class,
            domain: domain.to_string(),
            text: BTreeMap::new(),
            binary: BTreeMap::new(),
            deleted: false,
        };
        object.merge(entry);
        Some(object)
    }

    /// Replaces the attributes an entry carries (a delta brings only changed ones).
    pub fn merge(&mut self, entry: &Entry) {
        for (name, values) in &entry.attrs {
            self.set(name, values);
        }
    }

    /// Sets one attribute's values (an empty list removes it).
    pub fn set(&mut self, name: &str, values: &[Vec<u8>]) {
        let name = name.to_ascii_lowercase();
        self.text.remove(&name);
        self.binary.remove(&name);
        if values.is_empty() {
            return;
        }
        let as_text: Option<Vec<String>> = if BINARY.contains(&name.as_str()) {
            None
        } else {
            values
                .iter()
                .map(|v| String::from_utf8(v.clone()).ok())
                .collect()
        };
        match as_text {
            Some(text) => {
                self.text.insert(name, text);
            }
            None => {
                self.binary
                    .insert(name, values.iter().map(|v| BASE64.encode(v)).collect());
            }
        }
    }

    /// Adds and removes single values (incremental member changes).
    pub fn change_values(&mut self, name: &str, added: &[Vec<u8>], removed: &[Vec<u8>]) {
        let mut values: Vec<Vec<u8>> = self.values(name);
        values.retain(|v| !removed.contains(v));
        for a in added {
            if !values.contains(a) {
                values.push(a.clone());
            }
        }
        self.set(name, &values);
    }

    /// The values of an attribute as bytes.
    pub fn values(&self, name: &str) -> Vec<Vec<u8>> {
        let name = name.to_ascii_lowercase();
        if let Some(t) = self.text.get(&name) {
            return t.iter().map(|s| s.as_bytes().to_vec()).collect();
        }
        self.binary
            .get(&name)
            .map(|b| b.iter().filter_map(|s| BASE64.decode(s).ok()).collect())
            .unwrap_or_default()
    }

    /// The first text value of an attribute, without copying.
    pub fn first_text(&self, name: &str) -> Option<&str> {
        self.text
            .get(&name.to_ascii_lowercase())
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    /// The object as an entry, for the rules.
    pub fn to_entry(&self) -> Entry {
        let mut entry = Entry {
            dn: self.dn.clone(),
            ..Entry::default()
        };
        for name in self.text.keys().chain(self.binary.keys()) {
            entry.attrs.insert(name.clone(), self.values(name));
        }
        entry
    }

    /// Its store key.
    pub fn key(&self) -> Vec<u8> {
        key(&self.connector, &self.anchor)
    }
}

/// The store key of a connector object.
pub fn key(connector: &str, anchor: &str) -> Vec<u8> {
    format!("{connector}/{anchor}").into_bytes()
}

/// What a metaverse object stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MvKind {
    /// A user.
    Person,
    /// A group.
    Group,
    /// A contact.
    Contact,
    /// A computer.
    Device,
}

/// One identity, joined from its connector objects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MvObject {
    /// Its id.
    pub id: String,
    /// What it is.
    pub kind: MvKind,
    /// Its connector objects (connector, anchor); the first is where the anchor comes from.
    pub sources: Vec<(String, String)>,
    /// The tenant object state it should have (Graph property names), members as metaverse ids.
    pub desired: Value,
    /// Its object id in the tenant, once created or matched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// The state last confirmed in the tenant.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub exported: Value,
    /// Why it is not exported, when it cannot be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_exportable: Option<String>,
    /// The last export error, retried next cycle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Leaving: its sources are gone or out of scope; delete it from the tenant.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleting: bool,
    /// An export of this object was sent but not confirmed (a crash may have hidden the answer).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub in_flight: bool,
    /// Its managed sourceAnchor (the primary source's objectGUID) waits to be written back to
    /// ms-DS-ConsistencyGuid.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub write_back: bool,
}

/// What an export does to one tenant object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "action")]
pub enum ExportChange {
    /// Create it.
    Add {
        /// The properties to create it with.
        properties: Value,
    },
    /// Change properties.
    Update {
        /// Property → (was, will be).
        changes: BTreeMap<String, (Value, Value)>,
    },
    /// Delete it.
    Delete,
}

/// A change waiting for export, with the object's names for people to read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingExport {
    /// The metaverse object.
    pub mv_id: String,
    /// What it is.
    pub kind: MvKind,
    /// Its display name.
    pub display_name: String,
    /// Its tenant sign-in name (people) or nickname (groups).
    pub name: String,
    /// What will change.
    pub change: ExportChange,
    /// Why, in words.
    pub reason: String,
    /// Group members to add and remove (tenant object ids are resolved at export).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members_added: Vec<String>,
    /// Members to remove.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members_removed: Vec<String>,
}

/// Counts of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunCounts {
    /// Objects added.
    pub adds: u64,
    /// Objects changed.
    pub updates: u64,
    /// Objects renamed or moved.
    pub renames: u64,
    /// Objects deleted.
    pub deletes: u64,
    /// Objects with errors.
    pub errors: u64,
}

/// One run, as the history keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    /// Sequence number.
    pub id: u64,
    /// The profile (`full import`, `delta sync`, `export`, …) and the connector.
    pub profile: String,
    /// Connector, or `tenant`.
    pub connector: String,
    /// Start, seconds since the Unix epoch.
    pub started: u64,
    /// End, seconds since the Unix epoch.
    pub ended: u64,
    /// Counts.
    pub counts: RunCounts,
    /// `completed`, `stopped: …` or `failed: …`.
    pub outcome: String,
    /// Per-object errors: (object, message).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<(String, String)>,
}

impl RunRecord {
    /// Whether the run did what it was asked: it completed, or (an export in staging mode) it
    /// held its changes back as it should.
    pub fn succeeded(&self) -> bool {
        self.outcome == "completed" || self.outcome.starts_with("staging")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_stays_text_and_binary_goes_base64() {
        let mut e = Entry {
            dn: "CN=a,DC=x".into(),
            ..Entry::default()
        };
        e.add_values("objectGUID", vec![b"ABCDEFGHIJKLMNOP".to_vec()]);
        e.add_values(
            "objectClass",
            vec![b"top".to_vec(), b"person".to_vec(), b"user".to_vec()],
        );
        e.add_values("displayName", vec!["Zoë".as_bytes().to_vec()]);
        e.add_values("thumbnailPhoto", vec![vec![0xff, 0xd8]]);
        let o = CsObject::from_entry("contoso", "contoso.test", &e).unwrap();
        assert_eq!(o.text["displayname"], ["Zoë"]);
        assert!(o.binary.contains_key("objectguid"));
        assert!(o.binary.contains_key("thumbnailphoto"));
        let back = o.to_entry();
        assert_eq!(back.guid(), e.guid());
        assert_eq!(back.text("displayName").as_deref(), Some("Zoë"));
    }

    #[test]
    fn member_changes_add_and_remove_single_values() {
        let mut e = Entry {
            dn: "CN=g,DC=x".into(),
            ..Entry::default()
        };
        e.add_values("objectGUID", vec![vec![1; 16]]);
        e.add_values("objectClass", vec![b"group".to_vec()]);
        e.add_values("member", vec![b"CN=a".to_vec(), b"CN=b".to_vec()]);
        let mut o = CsObject::from_entry("c", "x", &e).unwrap();
        o.change_values("member", &[b"CN=c".to_vec()], &[b"CN=a".to_vec()]);
        assert_eq!(o.text["member"], ["CN=b", "CN=c"]);
    }
}
