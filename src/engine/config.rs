//! Changing an installation's settings after install: what may change and what may not, the
//! difference between two settings in words, and every applied settings version kept in the
//! store with its time and difference.
//!
//! Locked after install, as the reference product documents: the sourceAnchor, the matching of
//! people across forests, and whether group-based (pilot) filtering is used. Changing them would
//! make the tenant see different people; the way forward is a new installation that imports the
//! exported settings.

use serde::{Deserialize, Serialize};

use super::install::Installation;
use crate::store::{Batch, Space, Store, StoreError, StoreExt};

/// Key prefix of settings versions in [`Space::Meta`] (then the number, big-endian).
const PREFIX: &[u8] = b"settings-version/";

/// Marks, in [`Space::Meta`], that the next cycle must be a full one (a change of scope or
/// rules was applied); the cycle clears it once it has run.
pub const FULL_SYNC_DUE: &[u8] = b"full-sync-due";

/// One applied version of the settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsVersion {
    /// 1 for the installation's own settings, then one more per change.
    pub version: u64,
    /// When it was applied, seconds since the Unix epoch.
    pub applied: u64,
    /// What changed from the version before, in words (empty for the first).
    pub changes: Vec<String>,
    /// The settings (no secrets: they are in the keychain).
    pub settings: Installation,
}

/// A setting that cannot change after install, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Locked {
    /// The setting.
    pub setting: String,
    /// Why it cannot change, and what to do instead.
    pub reason: String,
}

/// The way forward for every locked setting.
const NEW_INSTALLATION: &str = "To change it, export the settings, install Skybridge anew with the change, and import them there.";

/// The settings that cannot change after install, each with its reason: the sourceAnchor,
/// the matching across forests, group-based filtering (in that order).
pub fn locks() -> [Locked; 3] {
    [
        Locked {
            setting: "sourceAnchor".into(),
            reason: format!(
                "The anchor is each person's identity in the tenant: another one would make every synchronized person a new one. {NEW_INSTALLATION}"
            ),
        },
        Locked {
            setting: "matching across forests".into(),
            reason: format!(
                "Identities were joined with the current rule; another rule would split or merge people already in the tenant. {NEW_INSTALLATION}"
            ),
        },
        Locked {
            setting: "group-based filtering".into(),
            reason: format!(
                "Synchronizing only a pilot group's members is meant for a trial; turning it on or off after install is not supported. {NEW_INSTALLATION}"
            ),
        },
    ]
}

/// The locked settings that `new` would change.
pub fn locked_changes(old: &Installation, new: &Installation) -> Vec<Locked> {
    let [anchor, matching, pilot] = locks();
    let mut out = Vec::new();
    if old.sync.anchor != new.sync.anchor {
        out.push(anchor);
    }
    if old.sync.matching != new.sync.matching {
        out.push(matching);
    }
    if old.sync.pilot_groups.is_empty() != new.sync.pilot_groups.is_empty() {
        out.push(pilot);
    }
    out
}

/// What changes from `old` to `new`, one line per change, in words.
pub fn differences(old: &Installation, new: &Installation) -> Vec<String> {
    let mut out = Vec::new();
    for c in &new.sync.connectors {
        let before = old.sync.connectors.iter().find(|o| o.name == c.name);
        let (inc, exc) = before.map_or((&[][..], &[][..]), |o| {
            (o.included.as_slice(), o.excluded.as_slice())
        });
        if before.is_none() {
            out.push(format!("{}: connected", c.name));
        }
        if let Some(o) = before
            && o.domains != c.domains
        {
            let dns = |s: &super::sync::ConnectorScope| {
                s.domains
                    .iter()
                    .map(|(_, dns)| dns.clone())
                    .collect::<Vec<_>>()
            };
            out.push(format!(
                "{}: domains were {}, now {}",
                c.name,
                list(dns(o).iter()),
                list(dns(c).iter())
            ));
        }
        for dn in c.included.iter().filter(|d| !inc.contains(d)) {
            out.push(format!("{}: now synchronizes {dn}", c.name));
        }
        for dn in inc.iter().filter(|d| !c.included.contains(d)) {
            out.push(format!("{}: no longer synchronizes {dn}", c.name));
        }
        for dn in c.excluded.iter().filter(|d| !exc.contains(d)) {
            out.push(format!("{}: now leaves out {dn}", c.name));
        }
        for dn in exc.iter().filter(|d| !c.excluded.contains(d)) {
            out.push(format!("{}: no longer leaves out {dn}", c.name));
        }
    }
    for d in &new.directories {
        let Some(before) = old.directories.iter().find(|o| o.connector == d.connector) else {
            continue;
        };
        if before.account != d.account {
            out.push(format!(
                "{}: connector account was {}, now {}",
                d.connector, before.account, d.account
            ));
        }
        if before.server != d.server || before.starttls != d.starttls {
            out.push(format!(
                "{}: domain controller was {}, now {}",
                d.connector, before.server, d.server
            ));
        }
    }
    for o in &old.sync.connectors {
        if !new.sync.connectors.iter().any(|c| c.name == o.name) {
            out.push(format!("{}: disconnected", o.name));
        }
    }
    if old.sign_in != new.sign_in {
        out.push(format!(
            "user sign-in: was {}, now {}",
            old.sign_in.as_deref().unwrap_or("not recorded"),
            new.sign_in.as_deref().unwrap_or("not recorded")
        ));
    }
    if old.single_sign_on != new.single_sign_on {
        out.push(format!(
            "seamless single sign-on: {}",
            if new.single_sign_on { "on" } else { "off" }
        ));
    }
    if old.sync.staging != new.sync.staging {
        out.push(format!(
            "staging mode: {}",
            if new.sync.staging {
                "on (nothing is exported)"
            } else {
                "off (exports resume)"
            }
        ));
    }
    if old.sync.delete_threshold != new.sync.delete_threshold {
        out.push(format!(
            "delete threshold: was {}, now {}",
            threshold(old.sync.delete_threshold),
            threshold(new.sync.delete_threshold)
        ));
    }
    if old.sync.excluded_attributes != new.sync.excluded_attributes {
        out.push(format!(
            "attributes left out: was {}, now {}",
            list(old.sync.excluded_attributes.iter()),
            list(new.sync.excluded_attributes.iter())
        ));
    }
    let names = |i: &Installation| -> Vec<String> {
        i.sync
            .extensions
            .iter()
            .map(|e| e.attribute.clone())
            .collect()
    };
    if names(old) != names(new) {
        out.push(format!(
            "directory extensions: was {}, now {}",
            list(names(old).iter()),
            list(names(new).iter())
        ));
    }
    if old.sync.sign_in_attribute != new.sync.sign_in_attribute {
        let name = |i: &Installation| {
            i.sync
                .sign_in_attribute
                .clone()
                .unwrap_or_else(|| "userPrincipalName".into())
        };
        out.push(format!(
            "sign-in name from: was {}, now {} (every user's tenant sign-in name is exported again)",
            name(old),
            name(new)
        ));
    }
    if old.sync.verified_domains != new.sync.verified_domains {
        out.push(format!(
            "verified domains: was {}, now {}",
            list(old.sync.verified_domains.iter()),
            list(new.sync.verified_domains.iter())
        ));
    }
    if old.sync.pilot_groups != new.sync.pilot_groups {
        out.push(format!(
            "pilot groups: was {}, now {}",
            list(old.sync.pilot_groups.values()),
            list(new.sync.pilot_groups.values())
        ));
    }
    if old.sync.anchor != new.sync.anchor {
        out.push("sourceAnchor changed".into());
    }
    if old.sync.matching != new.sync.matching {
        out.push("matching across forests changed".into());
    }
    if old.directories != new.directories {
        out.push("forest connections (servers or accounts) changed".into());
    }
    if old.tenant != new.tenant {
        out.push("tenant connection changed".into());
    }
    if old.history_days != new.history_days {
        out.push(format!(
            "run history kept: was {} days, now {} days",
            old.history_days, new.history_days
        ));
    }
    if old.database != new.database {
        let store = |d: &Option<super::install::DatabaseConnection>| match d {
            None => "the embedded store".to_string(),
            Some(d) => d.name(),
        };
        out.push(format!(
            "synchronization store: was {}, now {}",
            store(&old.database),
            store(&new.database)
        ));
    }
    out
}

fn threshold(t: Option<u64>) -> String {
    t.map_or_else(|| "none".into(), |n| n.to_string())
}

fn list<'a>(items: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<&str> = items.map(String::as_str).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// Whether a change needs a full synchronization (the scope or the rules changed, so objects
/// that did not change in Active Directory may still change in the tenant).
pub fn needs_full_sync(old: &Installation, new: &Installation) -> bool {
    let scope = |i: &Installation| {
        i.sync
            .connectors
            .iter()
            .map(|c| (c.name.clone(), c.included.clone(), c.excluded.clone()))
            .collect::<Vec<_>>()
    };
    scope(old) != scope(new)
        || old.sync.excluded_attributes != new.sync.excluded_attributes
        || old.sync.extensions != new.sync.extensions
        || old.sync.verified_domains != new.sync.verified_domains
        || old.sync.pilot_groups != new.sync.pilot_groups
        || old.sync.sign_in_attribute != new.sync.sign_in_attribute
}

fn key(version: u64) -> Vec<u8> {
    let mut k = PREFIX.to_vec();
    k.extend_from_slice(&version.to_be_bytes());
    k
}

/// Every settings version kept, oldest first.
pub fn versions(store: &dyn Store) -> Result<Vec<SettingsVersion>, StoreError> {
    Ok(store
        .scan::<SettingsVersion>(Space::Meta, PREFIX)?
        .into_iter()
        .map(|(_, v)| v)
        .collect())
}

/// Keeps `settings` as the next version, with what changed from the last one. The first one
/// kept is version 1, with no changes.
pub fn record(
    store: &dyn Store,
    settings: &Installation,
    applied: u64,
) -> Result<SettingsVersion, StoreError> {
    let all = versions(store)?;
    let (version, changes) = match all.last() {
        Some(last) => (last.version + 1, differences(&last.settings, settings)),
        None => (1, Vec::new()),
    };
    let kept = SettingsVersion {
        version,
        applied,
        changes,
        settings: settings.clone(),
    };
    let mut batch = Batch::default();
    batch.put(Space::Meta, &key(version), &kept)?;
    store.commit(batch)?;
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::install::{DirectoryConnection, TenantConnection};
    use crate::engine::rules::AnchorMode;
    use crate::engine::sync::{ConnectorScope, SyncSettings};
    use crate::store::SledStore;

    fn installation() -> Installation {
        Installation {
            sync: SyncSettings::new(
                vec![ConnectorScope {
                    name: "contoso.test".into(),
                    domains: vec![("DC=contoso,DC=test".into(), "contoso.test".into())],
                    included: vec!["OU=Users,DC=contoso,DC=test".into()],
                    excluded: Vec::new(),
                }],
                vec!["contoso.com".into()],
                "contoso.onmicrosoft.com",
            ),
            directories: vec![DirectoryConnection {
                connector: "contoso.test".into(),
                server: "ldaps://dc1".into(),
                starttls: false,
                ca_file: None,
                account: "CONTOSO\\sky".into(),
            }],
            tenant: TenantConnection {
                authority: "https://login.example/t".into(),
                graph: "https://graph.example".into(),
                client_id: "c".into(),
                ca_file: None,
                write_budget: 7000,
                budget_window_seconds: 300,
            },
            keychain_service: "skybridge:test".into(),
            history_days: 7,
            sign_in: None,
            single_sign_on: false,
            database: None,
            password_sync: None,
        }
    }

    #[test]
    fn differences_are_said_in_words_and_scope_changes_need_a_full_sync() {
        let old = installation();
        let mut new = old.clone();
        assert!(differences(&old, &new).is_empty());
        assert!(!needs_full_sync(&old, &new));
        new.sync.connectors[0]
            .included
            .push("OU=Staff,DC=contoso,DC=test".into());
        new.sync.staging = true;
        assert_eq!(
            differences(&old, &new),
            [
                "contoso.test: now synchronizes OU=Staff,DC=contoso,DC=test",
                "staging mode: on (nothing is exported)"
            ]
        );
        assert!(needs_full_sync(&old, &new));
        assert!(locked_changes(&old, &new).is_empty());
        let mut moved = old.clone();
        moved.database = Some(crate::engine::install::DatabaseConnection {
            host: "db.contoso.test".into(),
            port: 5432,
            database: "skybridge".into(),
            user: "sky".into(),
            tls_off: false,
            ca_file: None,
        });
        assert_eq!(
            differences(&old, &moved),
            [
                "synchronization store: was the embedded store, now postgres://sky@db.contoso.test:5432/skybridge"
            ]
        );
        assert!(!needs_full_sync(&old, &moved));
    }

    #[test]
    fn the_anchor_matching_and_group_filtering_are_locked_with_a_way_forward() {
        let old = installation();
        let mut new = old.clone();
        new.sync.anchor = AnchorMode::Attribute("employeeID".into());
        new.sync.matching = crate::engine::rules::Matching::None;
        new.sync
            .pilot_groups
            .insert("contoso.test".into(), "CN=Pilot,DC=contoso,DC=test".into());
        let locked = locked_changes(&old, &new);
        let settings: Vec<&str> = locked.iter().map(|l| l.setting.as_str()).collect();
        assert_eq!(
            settings,
            [
                "sourceAnchor",
                "matching across forests",
                "group-based filtering"
            ]
        );
        assert!(locked.iter().all(|l| l.reason.contains("import")));
    }

    #[test]
    fn versions_are_kept_in_order_with_their_changes() {
        let dir = std::env::temp_dir().join(format!("skybridge-config-{}", uuid::Uuid::new_v4()));
        let store = SledStore::open(&dir).unwrap();
        let first = installation();
        assert_eq!(record(&store, &first, 10).unwrap().version, 1);
        let mut second = first.clone();
        second.sync.staging = true;
        let kept = record(&store, &second, 20).unwrap();
        assert_eq!(kept.version, 2);
        assert_eq!(kept.changes, ["staging mode: on (nothing is exported)"]);
        let all = versions(&store).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].settings, second);
        drop(store);
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// A settings change that was applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    /// The new version's number.
    pub version: u64,
    /// What changed, in words.
    pub changes: Vec<String>,
    /// Whether the next cycle must be a full one (scope or rules changed).
    pub full_sync: bool,
}

/// Why a change was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// It touches settings that cannot change after install.
    #[error("{}", locked_text(.0))]
    Locked(Vec<Locked>),
    /// Nothing would change.
    #[error("these settings are the ones in use: nothing to change")]
    Unchanged,
    /// The installation or its store could not be used; the previous settings stay in use.
    #[error("the change was not applied, the previous settings stay in use: {0}")]
    Failed(String),
}

fn locked_text(locked: &[Locked]) -> String {
    locked
        .iter()
        .map(|l| format!("{} cannot change after install. {}", l.setting, l.reason))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Applies `new` to the installation in `data` whose store is `store`: refuses locked changes,
/// writes `settings.json` (atomically), and keeps the version; should keeping it fail, the
/// previous settings file is put back. The installation's own settings become version 1 the
/// first time, if nothing recorded them.
pub fn apply_change(
    store: &dyn Store,
    data: &std::path::Path,
    new: &Installation,
    now: u64,
) -> Result<Applied, ChangeError> {
    let failed = |e: &dyn std::fmt::Display| ChangeError::Failed(e.to_string());
    let current = Installation::load(data).map_err(|e| failed(&e))?;
    let locked = locked_changes(&current, new);
    if !locked.is_empty() {
        return Err(ChangeError::Locked(locked));
    }
    let changes = differences(&current, new);
    if changes.is_empty() {
        return Err(ChangeError::Unchanged);
    }
    if versions(store).map_err(|e| failed(&e))?.is_empty() {
        record(store, &current, now).map_err(|e| failed(&e))?;
    }
    new.save(data).map_err(|e| failed(&e))?;
    let full_sync = needs_full_sync(&current, new);
    let marked = if full_sync {
        let mut batch = Batch::default();
        batch.put_raw(Space::Meta, FULL_SYNC_DUE, Vec::new());
        store.commit(batch)
    } else {
        Ok(())
    };
    match marked.and_then(|()| record(store, new, now)) {
        Ok(kept) => Ok(Applied {
            version: kept.version,
            changes: kept.changes,
            full_sync,
        }),
        Err(e) => {
            let _ = current.save(data);
            Err(failed(&e))
        }
    }
}
