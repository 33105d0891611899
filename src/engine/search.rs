//! Searching the engine's state: connector-space objects and metaverse identities whose name,
//! sign-in name, mail or DN contains some text — what an administrator looks for when asking
//! "why did this user not sync?".

use serde::{Deserialize, Serialize};

use super::model::{CsObject, MvObject};
use super::sync::pending_for;
use crate::store::{Space, Store, StoreError, StoreExt};

/// One hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "in")]
pub enum Hit {
    /// A connector-space object.
    ConnectorSpace {
        /// The connector.
        connector: String,
        /// Its DN.
        dn: String,
        /// Its class.
        class: String,
        /// Deleted in the directory.
        deleted: bool,
        /// The metaverse identity it is joined to.
        joined_to: Option<String>,
    },
    /// A metaverse identity.
    Metaverse {
        /// Its id.
        id: String,
        /// What the tenant object should be.
        desired: serde_json::Value,
        /// Its tenant object id.
        tenant_id: Option<String>,
        /// Why it is not exported, when it is not.
        not_exportable: Option<String>,
        /// Its last export error.
        error: Option<String>,
        /// What export would change now.
        pending: Option<String>,
    },
}

/// Objects whose DN or values contain `text` (case-insensitive), at most `limit`.
pub fn search(store: &dyn Store, text: &str, limit: usize) -> Result<Vec<Hit>, StoreError> {
    let needle = text.trim().to_lowercase();
    let mut hits = Vec::new();
    if needle.is_empty() {
        return Ok(hits);
    }
    for (_, object) in store.scan::<CsObject>(Space::Connector, b"")? {
        if hits.len() >= limit {
            break;
        }
        let matched = object.dn.to_lowercase().contains(&needle)
            || [
                "displayname",
                "userprincipalname",
                "mail",
                "samaccountname",
                "cn",
            ]
            .iter()
            .any(|a| {
                object
                    .text
                    .get(*a)
                    .is_some_and(|v| v.iter().any(|s| s.to_lowercase().contains(&needle)))
            });
        if matched {
            hits.push(Hit::ConnectorSpace {
                connector: object.connector.clone(),
                dn: object.dn.clone(),
                class: format!("{:?}", object.class),
                deleted: object.deleted,
                joined_to: super::sync::joined_to(
                    store,
                    &object.connector,
                    &object.anchor,
                    object.class,
                )?,
            });
        }
    }
    for (_, mv) in store.scan::<MvObject>(Space::Metaverse, b"")? {
        if hits.len() >= limit {
            break;
        }
        let text = mv.desired.to_string().to_lowercase();
        if text.contains(&needle) || mv.id.contains(&needle) {
            let pending = pending_for(&mv).map(|p| match p.change {
                super::model::ExportChange::Add { .. } => "add".to_string(),
                super::model::ExportChange::Update { changes } => {
                    format!(
                        "update {}",
                        changes.keys().cloned().collect::<Vec<_>>().join(", ")
                    )
                }
                super::model::ExportChange::Delete => "delete".to_string(),
            });
            hits.push(Hit::Metaverse {
                id: mv.id.clone(),
                desired: mv.desired.clone(),
                tenant_id: mv.tenant_id.clone(),
                not_exportable: mv.not_exportable.clone(),
                error: mv.error.clone(),
                pending,
            });
        }
    }
    Ok(hits)
}
