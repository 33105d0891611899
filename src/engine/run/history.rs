//! The run history: the record each run leaves in the store, reading them back, and purging
//! those older than the installation keeps.

use super::now;
use crate::engine::model::{RunCounts, RunRecord};
use crate::store::{Batch, Space, Store, StoreError, StoreExt};

/// Records a finished run in the history, under the next run id: the engine's runs and
/// password synchronization's deliveries. Runs of one process take turns: the next id is read
/// and written in one step.
pub fn record(
    store: &dyn Store,
    profile: &str,
    connector: &str,
    started: u64,
    counts: RunCounts,
    outcome: String,
    errors: Vec<(String, String)>,
) -> Result<RunRecord, StoreError> {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = TURN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let last: Option<u64> = store.get(Space::Meta, b"last-run-id")?;
    let id = last.unwrap_or(0) + 1;
    let run = RunRecord {
        id,
        profile: profile.to_string(),
        connector: connector.to_string(),
        started,
        ended: now(),
        counts,
        outcome,
        errors,
    };
    let mut batch = Batch::default();
    batch.put(Space::History, &id.to_be_bytes(), &run)?;
    batch.put(Space::Meta, b"last-run-id", &id)?;
    store.commit(batch)?;
    Ok(run)
}

/// The run history, oldest first.
pub fn history(store: &dyn Store) -> Result<Vec<RunRecord>, StoreError> {
    Ok(store
        .scan::<RunRecord>(Space::History, b"")?
        .into_iter()
        .map(|(_, r)| r)
        .collect())
}

/// Removes runs that ended before `cutoff` (seconds since the epoch).
pub fn purge_history(store: &dyn Store, cutoff: u64) -> Result<usize, StoreError> {
    let mut batch = Batch::default();
    for (k, run) in store.scan::<RunRecord>(Space::History, b"")? {
        if run.ended < cutoff {
            batch.remove(Space::History, &k);
        }
    }
    let n = batch.len();
    store.commit(batch)?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SledStore;

    #[test]
    fn history_older_than_the_cutoff_is_purged() {
        let dir = std::env::temp_dir().join(format!("skybridge-history-{}", uuid::Uuid::new_v4()));
        let store = SledStore::open(&dir).unwrap();
        for (id, ended) in [(1u64, 100u64), (2, 200), (3, 300)] {
            let run = RunRecord {
                id,
                profile: "export".into(),
                connector: "tenant".into(),
                started: ended - 10,
                ended,
                counts: RunCounts::default(),
                outcome: "completed".into(),
                errors: Vec::new(),
            };
            let mut batch = Batch::default();
            batch.put(Space::History, &id.to_be_bytes(), &run).unwrap();
            store.commit(batch).unwrap();
        }
        assert_eq!(purge_history(&store, 250).unwrap(), 2);
        let left: Vec<u64> = history(&store).unwrap().iter().map(|r| r.id).collect();
        assert_eq!(left, [3]);
        let _ = std::fs::remove_dir_all(dir);
    }
}
