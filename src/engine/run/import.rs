//! Import from Active Directory: full and delta import through DirSync into a forest's
//! connector space, with the cookie (watermark) of each domain kept in the store.

use std::collections::BTreeSet;

use super::history::record;
use super::{PROGRESS_EVERY, RunError, now};
use crate::directory::Session;
use crate::directory::delta::{self, Change};
use crate::directory::import::{ImportScope, ObjectClass};
use crate::engine::model::{CsObject, RunCounts, RunRecord, key};
use crate::engine::sync::{self, ConnectorScope, dn_key};
use crate::store::{Batch, Space, Staged, Store, StoreError, StoreExt};

fn cookie_key(connector: &str, nc: &str) -> Vec<u8> {
    format!("{connector}/{}", nc.to_lowercase()).into_bytes()
}

/// Everything the import reads: all classes of the whole domain. Scope is decided at sync, so
/// an object that moves out of the selected OUs is seen leaving.
fn domain_scope(nc: &str, also: &[String]) -> ImportScope {
    let mut scope = ImportScope::new(vec![nc.to_string()]);
    if !also.is_empty() {
        scope.attributes = crate::directory::import::DEFAULT_ATTRIBUTES
            .iter()
            .map(|a| a.to_string())
            .chain(also.iter().cloned())
            .collect();
    }
    scope.classes = vec![
        ObjectClass::User,
        ObjectClass::Group,
        ObjectClass::Contact,
        ObjectClass::Computer,
    ];
    scope.page_size = 1000;
    scope
}

/// Applies one change to the connector space and counts it.
fn apply_change(
    store: &dyn Store,
    batch: &mut Batch,
    scope: &ConnectorScope,
    change: &Change,
    counts: &mut RunCounts,
) -> Result<(), StoreError> {
    let anchor = base64_guid(&change.guid);
    let k = key(&scope.name, &anchor);
    let existing: Option<CsObject> = store.get(Space::Connector, &k)?;
    if change.deleted {
        if let Some(mut o) = existing {
            o.deleted = true;
            batch.remove(Space::DnIndex, &dn_key(&scope.name, &o.dn));
            batch.put(Space::Connector, &k, &o)?;
            batch.put(Space::Dirty, &k, &true)?;
            counts.deletes += 1;
        }
        return Ok(());
    }
    let entry = change.as_entry();
    let object = match existing {
        Some(mut o) => {
            if !crate::directory::escape::dn_eq(&o.dn, &change.dn) {
                // The old DN keeps pointing here: groups still list a renamed or moved member
                // under its old DN until the group itself changes (AD does not report the group).
                o.dn = change.dn.clone();
                o.domain = scope.domain_of(&o.dn);
                counts.renames += 1;
            } else {
                counts.updates += 1;
            }
            for (name, values) in &change.attrs {
                o.set(name, values);
            }
            for name in change.added.keys().chain(change.removed.keys()) {
                let added = change.added.get(name).cloned().unwrap_or_default();
                let removed = change.removed.get(name).cloned().unwrap_or_default();
                o.change_values(name, &added, &removed);
            }
            o.deleted = false;
            o
        }
        None => {
            // Only objects of the chosen domains and OUs enter the connector space.
            if !scope.contains(&change.dn) {
                return Ok(());
            }
            let Some(o) = CsObject::from_entry(&scope.name, &scope.domain_of(&change.dn), &entry)
            else {
                return Ok(());
            };
            counts.adds += 1;
            o
        }
    };
    sync::index_dn(batch, &scope.name, &object.dn, &object.anchor, object.class)?;
    batch.put(Space::Connector, &k, &object)?;
    batch.put(Space::Dirty, &k, &true)?;
    Ok(())
}

fn base64_guid(guid: &[u8; 16]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(guid)
}

/// Changes an import keeps in memory before committing them (with their DN index and change
/// marks, three per object): about 10,000 objects.
const IMPORT_FLUSH_EVERY: usize = 30_000;

/// Imports a forest through DirSync: from scratch with `full` (objects not seen any more are
/// marked deleted), else the changes since the stored cookie. Changes are committed about every
/// 10,000 objects; the new cookie comes with the last commit, so an import cut short is read
/// again from the old cookie.
pub fn import(
    store: &dyn Store,
    session: &mut Session,
    scope: &ConnectorScope,
    full: bool,
) -> Result<RunRecord, RunError> {
    import_observed(store, session, scope, full, &[], &|_| {})
}

/// [`import`], reading `also` besides the default attributes (see
/// [`SyncSettings::read_also`](crate::engine::sync::SyncSettings::read_also)) and telling
/// `progress` how many objects it has read, every [`PROGRESS_EVERY`].
pub fn import_observed(
    store: &dyn Store,
    session: &mut Session,
    scope: &ConnectorScope,
    full: bool,
    also: &[String],
    progress: &dyn Fn(u64),
) -> Result<RunRecord, RunError> {
    let started = now();
    let mut read = 0u64;
    let mut counts = RunCounts::default();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for (nc, _) in &scope.domains {
        let ck = cookie_key(&scope.name, nc);
        let cookie: Vec<u8> = if full {
            Vec::new()
        } else {
            store
                .get::<Vec<u8>>(Space::Watermark, &ck)?
                .unwrap_or_default()
        };
        // Changes collect in memory (reads see them) and reach the store every few thousand
        // objects: the store rewrites a packed group once per commit, not once per object.
        let staged = Staged::new(store);
        let outcome = delta::dirsync(
            session,
            nc,
            &domain_scope(nc, also),
            &cookie,
            |change| -> Result<(), RunError> {
                read += 1;
                if read.is_multiple_of(PROGRESS_EVERY) {
                    progress(read);
                }
                if full {
                    seen.insert(base64_guid(&change.guid));
                }
                let mut batch = Batch::default();
                apply_change(&staged, &mut batch, scope, &change, &mut counts)?;
                staged.commit(batch)?;
                if staged.pending() >= IMPORT_FLUSH_EVERY {
                    staged.flush()?;
                }
                Ok(())
            },
        )?;
        let mut batch = Batch::default();
        batch.put(Space::Watermark, &ck, &outcome.cookie)?;
        staged.commit(batch)?;
        staged.flush()?;
    }
    if full {
        // A full import is the whole truth: what it did not see is gone.
        let mut batch = Batch::default();
        let prefix = format!("{}/", scope.name);
        for (_, mut o) in store.scan::<CsObject>(Space::Connector, prefix.as_bytes())? {
            if !o.deleted && !seen.contains(&o.anchor) {
                o.deleted = true;
                let k = o.key();
                batch.put(Space::Connector, &k, &o)?;
                batch.put(Space::Dirty, &k, &true)?;
                counts.deletes += 1;
            }
        }
        store.commit(batch)?;
    }
    let profile = if full { "full import" } else { "delta import" };
    Ok(record(
        store,
        profile,
        &scope.name,
        started,
        counts,
        "completed".into(),
        Vec::new(),
    )?)
}
