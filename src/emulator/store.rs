//! The tenant's persistent state: one sled database under `--data`, one tree per kind of
//! object, plus deleted items, memberships, unique-value indexes, the change log that delta
//! queries read, and tenant metadata.
//!
//! Objects are stored as [`Record`]s: the Graph properties as JSON, and beside them the hidden
//! values Graph never returns (password hashes, domain verification codes, federation).

use std::path::Path;

use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::errors::{GraphError, GraphResult};

/// The kinds of directory objects the emulator keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// `microsoft.graph.user`
    User,
    /// `microsoft.graph.group`
    Group,
    /// `microsoft.graph.orgContact`
    Contact,
    /// `microsoft.graph.application`
    Application,
    /// `microsoft.graph.servicePrincipal`
    ServicePrincipal,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 5] = [
        Kind::User,
        Kind::Group,
        Kind::Contact,
        Kind::Application,
        Kind::ServicePrincipal,
    ];

    fn tree(self) -> &'static str {
        match self {
            Kind::User => "users",
            Kind::Group => "groups",
            Kind::Contact => "contacts",
            Kind::Application => "applications",
            Kind::ServicePrincipal => "servicePrincipals",
        }
    }

    /// The collection name in URLs and `@odata.context` (`users`).
    pub fn collection(self) -> &'static str {
        self.tree()
    }

    /// The type name without `#` (`microsoft.graph.user`).
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::User => "microsoft.graph.user",
            Kind::Group => "microsoft.graph.group",
            Kind::Contact => "microsoft.graph.orgContact",
            Kind::Application => "microsoft.graph.application",
            Kind::ServicePrincipal => "microsoft.graph.servicePrincipal",
        }
    }

    /// The kind named by a cast segment or a `types` entry (`microsoft.graph.user`, `user`).
    pub fn from_type_name(name: &str) -> Option<Kind> {
        let short = name.strip_prefix("microsoft.graph.").unwrap_or(name);
        Kind::ALL.into_iter().find(|k| {
            k.type_name()
                .strip_prefix("microsoft.graph.")
                .is_some_and(|t| t.eq_ignore_ascii_case(short))
        })
    }
}

/// One stored object.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Record {
    /// The Graph properties.
    pub props: Map<String, Value>,
    /// Values Graph never returns.
    #[serde(default)]
    pub hidden: Map<String, Value>,
}

impl Record {
    /// A string property.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.props.get(name).and_then(Value::as_str)
    }

    /// The object id.
    pub fn id(&self) -> &str {
        self.str("id").unwrap_or_default()
    }
}

/// A deleted object waiting in `directory/deletedItems`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deleted {
    /// Its kind.
    pub kind: Kind,
    /// The object as it was (with `deletedDateTime` set).
    pub record: Record,
    /// Group memberships it had (group ids), restored with it.
    #[serde(default)]
    pub member_of: Vec<String>,
}

/// What happened to an object, for delta queries.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", tag = "op")]
pub enum Change {
    /// Created or restored.
    Created {
        /// Kind.
        kind: Kind,
        /// Object id.
        id: String,
    },
    /// Properties changed.
    Updated {
        /// Kind.
        kind: Kind,
        /// Object id.
        id: String,
        /// The names of the properties written.
        props: Vec<String>,
    },
    /// Deleted; `restorable` when it went to deletedItems.
    Deleted {
        /// Kind.
        kind: Kind,
        /// Object id.
        id: String,
        /// Soft delete (`@removed` reason `changed`) or hard (`deleted`).
        restorable: bool,
    },
    /// A member was added to or removed from a group.
    Member {
        /// The group.
        group: String,
        /// The member.
        member: String,
        /// The member's kind.
        member_kind: Kind,
        /// Added (true) or removed.
        added: bool,
    },
}

/// The sled database and its trees.
#[derive(Debug)]
pub struct Store {
    db: sled::Db,
    objects: Vec<(Kind, sled::Tree)>,
    deleted: sled::Tree,
    /// Domains by lower-case name.
    pub domains: sled::Tree,
    members: sled::Tree,
    index: sled::Tree,
    changes: sled::Tree,
    meta: sled::Tree,
}

/// A store failure as a Graph 500.
pub fn internal(error: impl std::fmt::Display) -> GraphError {
    GraphError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "generalException",
        format!("The emulator's store failed: {error}"),
    )
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> GraphResult<T> {
    serde_json::from_slice(bytes).map_err(internal)
}

fn encode<T: Serialize>(value: &T) -> GraphResult<Vec<u8>> {
    serde_json::to_vec(value).map_err(internal)
}

fn member_key(group: &str, member: &str) -> Vec<u8> {
    format!("{group}/{member}").into_bytes()
}

impl Store {
    /// Opens (or creates) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Store, sled::Error> {
        let db = sled::Config::new()
            .path(dir.join("tenant.sled"))
            .flush_every_ms(Some(200))
            .open()?;
        let mut objects = Vec::new();
        for kind in Kind::ALL {
            objects.push((kind, db.open_tree(kind.tree())?));
        }
        Ok(Store {
            deleted: db.open_tree("deletedItems")?,
            domains: db.open_tree("domains")?,
            members: db.open_tree("members")?,
            index: db.open_tree("index")?,
            changes: db.open_tree("changes")?,
            meta: db.open_tree("meta")?,
            objects,
            db,
        })
    }

    fn tree(&self, kind: Kind) -> &sled::Tree {
        // `objects` holds every kind, in the order of Kind::ALL.
        &self.objects[Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0)].1
    }

    /// Writes everything to disk.
    pub fn flush(&self) -> Result<(), sled::Error> {
        self.db.flush().map(|_| ())
    }

    /// One object.
    pub fn get(&self, kind: Kind, id: &str) -> GraphResult<Option<Record>> {
        match self
            .tree(kind)
            .get(id.to_ascii_lowercase())
            .map_err(internal)?
        {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    /// An object of any kind.
    pub fn find(&self, id: &str) -> GraphResult<Option<(Kind, Record)>> {
        for kind in Kind::ALL {
            if let Some(record) = self.get(kind, id)? {
                return Ok(Some((kind, record)));
            }
        }
        Ok(None)
    }

    /// Stores an object under its id.
    pub fn put(&self, kind: Kind, record: &Record) -> GraphResult<()> {
        self.tree(kind)
            .insert(record.id().to_ascii_lowercase(), encode(record)?)
            .map_err(internal)?;
        Ok(())
    }

    /// Removes an object.
    pub fn remove(&self, kind: Kind, id: &str) -> GraphResult<()> {
        self.tree(kind)
            .remove(id.to_ascii_lowercase())
            .map_err(internal)?;
        Ok(())
    }

    /// Every object of a kind, in id order.
    pub fn all(&self, kind: Kind) -> GraphResult<Vec<Record>> {
        self.tree(kind)
            .iter()
            .values()
            .map(|v| decode(&v.map_err(internal)?))
            .collect()
    }

    /// The properties of every object of a kind.
    pub fn all_props(&self, kind: Kind) -> GraphResult<Vec<Map<String, Value>>> {
        Ok(self.all(kind)?.into_iter().map(|r| r.props).collect())
    }

    /// The id indexed under a unique value (`upn:alice@contoso.com`); keys are compared exactly,
    /// so callers lower-case the values that are case-insensitive.
    pub fn index_get(&self, key: &str) -> GraphResult<Option<String>> {
        Ok(self
            .index
            .get(key)
            .map_err(internal)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    /// Indexes a unique value.
    pub fn index_set(&self, key: &str, id: &str) -> GraphResult<()> {
        self.index.insert(key, id.as_bytes()).map_err(internal)?;
        Ok(())
    }

    /// Forgets a unique value.
    pub fn index_remove(&self, key: &str) -> GraphResult<()> {
        self.index.remove(key).map_err(internal)?;
        Ok(())
    }

    /// Moves an object to deletedItems.
    pub fn put_deleted(&self, deleted: &Deleted) -> GraphResult<()> {
        self.deleted
            .insert(deleted.record.id().to_ascii_lowercase(), encode(deleted)?)
            .map_err(internal)?;
        Ok(())
    }

    /// A deleted object.
    pub fn get_deleted(&self, id: &str) -> GraphResult<Option<Deleted>> {
        match self
            .deleted
            .get(id.to_ascii_lowercase())
            .map_err(internal)?
        {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Removes an object from deletedItems.
    pub fn remove_deleted(&self, id: &str) -> GraphResult<()> {
        self.deleted
            .remove(id.to_ascii_lowercase())
            .map_err(internal)?;
        Ok(())
    }

    /// Every deleted object.
    pub fn all_deleted(&self) -> GraphResult<Vec<Deleted>> {
        self.deleted
            .iter()
            .values()
            .map(|v| decode(&v.map_err(internal)?))
            .collect()
    }

    /// The direct members of a group: (member id, kind).
    pub fn members(&self, group: &str) -> GraphResult<Vec<(String, Kind)>> {
        let prefix = format!("{}/", group.to_ascii_lowercase());
        let mut out = Vec::new();
        for item in self.members.scan_prefix(prefix.as_bytes()) {
            let (key, value) = item.map_err(internal)?;
            let key = String::from_utf8_lossy(&key).into_owned();
            let member = key[prefix.len()..].to_owned();
            out.push((member, decode(&value)?));
        }
        Ok(out)
    }

    /// Whether `member` is a direct member of `group`.
    pub fn is_member(&self, group: &str, member: &str) -> GraphResult<bool> {
        self.members
            .contains_key(member_key(
                &group.to_ascii_lowercase(),
                &member.to_ascii_lowercase(),
            ))
            .map_err(internal)
    }

    /// Adds a member.
    pub fn add_member(&self, group: &str, member: &str, kind: Kind) -> GraphResult<()> {
        self.members
            .insert(
                member_key(&group.to_ascii_lowercase(), &member.to_ascii_lowercase()),
                encode(&kind)?,
            )
            .map_err(internal)?;
        Ok(())
    }

    /// Removes a member.
    pub fn remove_member(&self, group: &str, member: &str) -> GraphResult<()> {
        self.members
            .remove(member_key(
                &group.to_ascii_lowercase(),
                &member.to_ascii_lowercase(),
            ))
            .map_err(internal)?;
        Ok(())
    }

    /// The groups `member` belongs to directly.
    pub fn groups_of(&self, member: &str) -> GraphResult<Vec<String>> {
        let suffix = format!("/{}", member.to_ascii_lowercase());
        let mut out = Vec::new();
        for key in self.members.iter().keys() {
            let key = key.map_err(internal)?;
            let key = String::from_utf8_lossy(&key);
            if let Some(group) = key.strip_suffix(&suffix) {
                out.push(group.to_owned());
            }
        }
        Ok(out)
    }

    /// Appends to the change log.
    pub fn record_change(&self, change: &Change) -> GraphResult<u64> {
        let seq = self.db.generate_id().map_err(internal)? + 1;
        self.changes
            .insert(seq.to_be_bytes(), encode(change)?)
            .map_err(internal)?;
        Ok(seq)
    }

    /// The number of the newest change (0 when none).
    pub fn last_change(&self) -> GraphResult<u64> {
        Ok(match self.changes.last().map_err(internal)? {
            Some((key, _)) => u64::from_be_bytes(key.as_ref().try_into().unwrap_or([0; 8])),
            None => 0,
        })
    }

    /// Changes after `since` up to and including `upto`.
    pub fn changes_between(&self, since: u64, upto: u64) -> GraphResult<Vec<Change>> {
        let mut out = Vec::new();
        for item in self
            .changes
            .range((since + 1).to_be_bytes()..=upto.to_be_bytes())
        {
            let (_, value) = item.map_err(internal)?;
            out.push(decode(&value)?);
        }
        Ok(out)
    }

    /// A metadata value.
    pub fn meta<T: DeserializeOwned>(&self, key: &str) -> GraphResult<Option<T>> {
        match self.meta.get(key).map_err(internal)? {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Stores a metadata value.
    pub fn set_meta<T: Serialize>(&self, key: &str, value: &T) -> GraphResult<()> {
        self.meta.insert(key, encode(value)?).map_err(internal)?;
        Ok(())
    }

    /// Removes a metadata value.
    pub fn remove_meta(&self, key: &str) -> GraphResult<()> {
        self.meta.remove(key).map_err(internal)?;
        Ok(())
    }

    /// A domain by name.
    pub fn domain(&self, name: &str) -> GraphResult<Option<Record>> {
        match self.domains.get(name.to_lowercase()).map_err(internal)? {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Stores a domain.
    pub fn put_domain(&self, record: &Record) -> GraphResult<()> {
        self.domains
            .insert(record.id().to_lowercase(), encode(record)?)
            .map_err(internal)?;
        Ok(())
    }

    /// Every domain.
    pub fn all_domains(&self) -> GraphResult<Vec<Record>> {
        self.domains
            .iter()
            .values()
            .map(|v| decode(&v.map_err(internal)?))
            .collect()
    }
}
