//! The sync run profile: full and delta sync of the connector spaces into the metaverse (the
//! per-object rules are in [`crate::engine::sync`]), then the group memberships.

use super::history::record;
use super::{PROGRESS_EVERY, RunError, now};
use crate::directory::import::ObjectClass;
use crate::engine::model::{CsObject, MvKind, MvObject, RunCounts, RunRecord, key};
use crate::engine::sync::{self, SyncSettings};
use crate::store::{Batch, Space, Staged, Store, StoreError, StoreExt};

/// Synchronizes every connector object (`full`) or those imports marked changed.
pub fn synchronize(
    store: &dyn Store,
    settings: &SyncSettings,
    full: bool,
) -> Result<RunRecord, RunError> {
    synchronize_observed(store, settings, full, &|_| {})
}

/// [`synchronize`], telling `progress` how many objects it has handled, every
/// [`PROGRESS_EVERY`].
pub fn synchronize_observed(
    store: &dyn Store,
    settings: &SyncSettings,
    full: bool,
    progress: &dyn Fn(u64),
) -> Result<RunRecord, RunError> {
    let started = now();
    let mut handled = 0u64;
    let mut counts = RunCounts::default();
    // Work collects in memory and reaches the store every few thousand changes.
    let outer = store;
    // A change to a pilot group changes who takes part: look at everything.
    let full = full
        || settings.pilot_groups.iter().any(|(connector, dn)| {
            sync::lookup_dn(store, connector, dn)
                .ok()
                .flatten()
                .is_some_and(|(anchor, _)| {
                    store
                        .get_raw(Space::Dirty, &key(connector, &anchor))
                        .ok()
                        .flatten()
                        .is_some()
                })
        });
    sync::ensure_join_index(store, settings)?;
    // What imports marked changed (the sync step itself never marks anything).
    let dirty: Vec<Vec<u8>> = store
        .scan_raw(Space::Dirty, b"")?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let staged = Staged::new(store);
    let store: &dyn Store = &staged;
    let flush_every = 20_000;
    // People and other objects first, groups last: members must be joined to be resolved.
    let mut groups = Vec::new();
    let mut step = |object: CsObject| -> Result<(), StoreError> {
        handled += 1;
        if handled.is_multiple_of(PROGRESS_EVERY) {
            progress(handled);
        }
        if object.class == ObjectClass::Group {
            groups.push(object);
            return Ok(());
        }
        sync::sync_object(store, settings, &object, &mut counts)?;
        if staged.pending() > flush_every {
            staged.flush()?;
        }
        Ok(())
    };
    if full {
        // Read straight from the store underneath: the sync step never changes connector
        // objects, so nothing in the layer above would be missed.
        outer.for_each_raw(Space::Connector, b"", &mut |k, v| {
            let object: CsObject = serde_json::from_slice(v).map_err(|e| StoreError::Corrupt {
                key: String::from_utf8_lossy(k).into_owned(),
                detail: e.to_string(),
            })?;
            step(object)
        })?;
    } else {
        for k in &dirty {
            if let Some(object) = store.get::<CsObject>(Space::Connector, k)? {
                step(object)?;
            }
        }
    }
    for object in &groups {
        sync::sync_object(store, settings, object, &mut counts)?;
        if staged.pending() > flush_every {
            staged.flush()?;
        }
    }
    // Memberships follow identities that appeared or left: then every group is recomputed (a
    // group lists members by DN, resolved to metaverse ids). Otherwise only changed groups,
    // already synchronized above, can have other members.
    let mut batch = Batch::default();
    if full || counts.adds > 0 || counts.deletes > 0 {
        let groups = format!("{}/", sync::kind_prefix(MvKind::Group));
        for (k, mut mv) in store.scan::<MvObject>(Space::Metaverse, groups.as_bytes())? {
            if mv.kind == MvKind::Group && !mv.deleting {
                sync::recompute(store, settings, &mut mv, None)?;
                batch.put(Space::Metaverse, &k, &mv)?;
            }
        }
    }
    for k in &dirty {
        batch.remove(Space::Dirty, k);
    }
    store.commit(batch)?;
    staged.flush()?;
    let store = outer;
    let profile = if full { "full sync" } else { "delta sync" };
    Ok(record(
        store,
        profile,
        "metaverse",
        started,
        counts,
        "completed".into(),
        Vec::new(),
    )?)
}
