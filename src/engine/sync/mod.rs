//! Synchronization: from connector-space objects to metaverse objects (scoping, built-in
//! exclusions, joining across forests, projection) and from metaverse objects to the state each
//! should have in the tenant (the outbound rules), from which pending exports follow.
//!
//! A full sync looks at every connector object; a delta sync only at those imports marked
//! changed. Each object's step is committed with its links and index entries in one batch.
//!
//! This module holds the settings ([`SyncSettings`], [`ConnectorScope`]); the steps are in:
//!
//! - [`join`]: scoping, the DN and join indexes, metaverse ids and links, and the step that
//!   joins or projects one connector object ([`sync_object`]).
//! - [`desired`]: the outbound rules: the tenant state each metaverse object should have.
//! - [`pending`]: the pending exports that follow from it.
//!
//! Everything the submodules offer is re-exported here: callers use `sync::sync_object`,
//! `sync::pending_exports` and so on.

pub mod desired;
pub mod join;
pub mod pending;

pub use desired::{WRITE_BACK_PENDING, recompute};
pub use join::{
    dn_key, ensure_join_index, index_dn, joined_to, kind_prefix, lookup_dn, out_of_scope, own_id,
    sync_object,
};
pub use pending::{pending_exports, pending_for};

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::rules::{AnchorMode, Matching};
use crate::directory::escape;

/// What to synchronize and how: the settings the wizard writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncSettings {
    /// The connected forests.
    pub connectors: Vec<ConnectorScope>,
    /// Where the immutableId comes from.
    pub anchor: AnchorMode,
    /// How the same person is found across forests.
    pub matching: Matching,
    /// The tenant's verified domains.
    pub verified_domains: Vec<String>,
    /// The tenant's initial domain (`contoso.onmicrosoft.com`).
    pub initial_domain: String,
    /// Only members of this group (DN, per connector) are synchronized, when set.
    #[serde(default)]
    pub pilot_groups: BTreeMap<String, String>,
    /// Stop an export that would delete more than this many objects (`None`: no limit).
    #[serde(default = "default_threshold")]
    pub delete_threshold: Option<u64>,
    /// Import and sync, never export.
    #[serde(default)]
    pub staging: bool,
    /// Synchronize computers as devices.
    #[serde(default)]
    pub devices: bool,
    /// Take over a cloud-only user (no immutableId yet) with the same sign-in name instead of
    /// failing on the conflict ("soft match").
    #[serde(default)]
    pub soft_match: bool,
    /// Attributes copied into tenant extension properties.
    #[serde(default)]
    pub extensions: Vec<super::extensions::Extension>,
    /// Active Directory attributes of the catalogue ([`super::attributes::FLOWS`]) that are not
    /// copied to the tenant (app and attribute filtering). Required ones are copied anyway.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub excluded_attributes: BTreeSet<String>,
    /// The attribute whose value is the tenant sign-in name, when not userPrincipalName (the
    /// alternate sign-in ID, `mail` say), with the same verified-suffix rule and fallback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in_attribute: Option<String>,
}

impl SyncSettings {
    /// The defaults the wizard starts from: managed sourceAnchor, matching by mail, a delete
    /// threshold of 500, no pilot group, no staging, no devices, no soft match.
    pub fn new(
        connectors: Vec<ConnectorScope>,
        verified_domains: Vec<String>,
        initial_domain: &str,
    ) -> SyncSettings {
        SyncSettings {
            connectors,
            anchor: AnchorMode::Managed,
            matching: Matching::Mail,
            verified_domains,
            initial_domain: initial_domain.to_string(),
            pilot_groups: BTreeMap::new(),
            delete_threshold: default_threshold(),
            staging: false,
            devices: false,
            soft_match: false,
            extensions: Vec::new(),
            excluded_attributes: BTreeSet::new(),
            sign_in_attribute: None,
        }
    }

    /// Whether the rules copy this Active Directory attribute of the catalogue to the tenant.
    pub fn copies(&self, source: &str) -> bool {
        super::attributes::flow(source).is_none_or(|f| f.required)
            || !self
                .excluded_attributes
                .iter()
                .any(|x| x.eq_ignore_ascii_case(source))
    }

    /// Attributes the rules use besides the ones every import reads: a chosen anchor or
    /// matching attribute, and the directory extensions.
    pub fn read_also(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        if let AnchorMode::Attribute(name) = &self.anchor {
            names.push(name.clone());
        }
        if let Matching::Attribute(name) = &self.matching {
            names.push(name.clone());
        }
        names.extend(self.extensions.iter().map(|e| e.attribute.clone()));
        names.extend(self.sign_in_attribute.iter().cloned());
        names.retain(|n| {
            !crate::directory::import::DEFAULT_ATTRIBUTES
                .iter()
                .any(|d| d.eq_ignore_ascii_case(n))
        });
        names.sort_by_key(|n| n.to_lowercase());
        names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        names
    }
}

impl SyncSettings {
    /// Whether identities are joined across forests: with more than one forest connected and a
    /// matching rule. Only then is the join index kept.
    pub fn joins_forests(&self) -> bool {
        self.connectors.len() > 1 && self.matching != Matching::None
    }
}

fn default_threshold() -> Option<u64> {
    Some(500)
}

/// One forest's part of the scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorScope {
    /// The connector's name (the forest's DNS name).
    pub name: String,
    /// Domain naming contexts and their DNS names.
    pub domains: Vec<(String, String)>,
    /// Domains or OUs included.
    pub included: Vec<String>,
    /// OUs excluded.
    pub excluded: Vec<String>,
}

impl ConnectorScope {
    /// Whether a DN is in scope.
    pub fn contains(&self, dn: &str) -> bool {
        crate::directory::import::in_scope(dn, &self.included, &self.excluded)
    }

    /// The DNS name of the domain holding `dn`.
    pub fn domain_of(&self, dn: &str) -> String {
        self.domains
            .iter()
            .filter(|(nc, _)| escape::dn_is_within(dn, nc))
            .max_by_key(|(nc, _)| nc.len())
            .map(|(_, dns)| dns.clone())
            .unwrap_or_default()
    }
}
