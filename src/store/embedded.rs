//! The embedded store: [`Packed`] over one `sled` tree in the data folder, the space as a key
//! prefix (one tree makes every batch atomic without multi-tree transactions).

use std::path::Path;

use super::{Backend, Packed, StoreError, Visitor};

/// The embedded store: one sled database in the data folder.
pub type SledStore = Packed<SledTree>;

/// The embedded database: one sled tree in the data folder.
pub struct SledTree {
    db: sled::Db,
    tree: sled::Tree,
    path: String,
}

impl SledTree {
    fn fail(&self, e: impl std::fmt::Display) -> StoreError {
        StoreError::Backend {
            path: self.path.clone(),
            detail: e.to_string(),
        }
    }
}

impl Packed<SledTree> {
    /// Opens (or creates) the embedded store in `dir`.
    pub fn open(dir: &Path) -> Result<SledStore, StoreError> {
        // sled reports a held lock as an I/O error of kind WouldBlock, or wrapped in one of
        // another kind whose words say so.
        fn locked(e: &sled::Error) -> bool {
            matches!(e, sled::Error::Io(io)
                if io.kind() == std::io::ErrorKind::WouldBlock
                    || io.to_string().contains("could not acquire lock"))
        }
        let path = dir.display().to_string();
        let fail = |e: sled::Error| {
            StoreError::Backend {
            path: path.clone(),
            detail: match &e {
                e if locked(e) => {
                    "another Skybridge process has it open (the sync service?); stop it or ask it through `skybridge sync` instead".into()
                }
                _ => e.to_string(),
            },
        }
        };
        let config = sled::Config::new()
            .path(dir)
            .mode(sled::Mode::LowSpace)
            // The page cache, not the data, decides memory use: keep it modest.
            .cache_capacity(128 * 1024 * 1024);
        // A store just closed by this process can hold its file lock a moment longer (sled's
        // background threads let go of it last, later still on a busy machine): ask again for
        // up to five seconds.
        let mut attempts = 0;
        let db = loop {
            match config.open() {
                Err(e) if locked(&e) && attempts < 100 => {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => break other.map_err(fail)?,
            }
        };
        let tree = db.open_tree("skybridge").map_err(fail)?;
        Packed::over(SledTree { db, tree, path })
    }
}

impl Backend for SledTree {
    fn location(&self) -> &str {
        &self.path
    }

    fn get(&self, full_key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .tree
            .get(full_key)
            .map_err(|e| self.fail(e))?
            .map(|v| v.to_vec()))
    }

    fn scan(&self, full_prefix: &[u8], visit: Visitor<'_>) -> Result<(), StoreError> {
        for item in self.tree.scan_prefix(full_prefix) {
            let (k, v) = item.map_err(|e| self.fail(e))?;
            visit(&k, &v)?;
        }
        Ok(())
    }

    fn apply(&self, ops: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for (k, v) in ops {
            match v {
                Some(v) => batch.insert(k, v),
                None => batch.remove(k),
            }
        }
        self.tree.apply_batch(batch).map_err(|e| self.fail(e))?;
        self.db.flush().map_err(|e| self.fail(e))?;
        Ok(())
    }

    fn size(&self) -> Result<u64, StoreError> {
        self.db.size_on_disk().map_err(|e| self.fail(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Batch, SCHEMA_VERSION_KEY, Space, Staged, Store, StoreExt};

    fn temp() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "skybridge-store-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_batch_is_all_or_nothing_and_spaces_do_not_mix() {
        let dir = temp();
        let store = SledStore::open(&dir).unwrap();
        let mut batch = Batch::default();
        batch.put(Space::Connector, b"contoso/a", &"alpha").unwrap();
        batch
            .put(Space::Metaverse, b"contoso/a", &"other space")
            .unwrap();
        batch.put(Space::Connector, b"contoso/b", &"beta").unwrap();
        batch.put(Space::Connector, b"fabrikam/a", &"fab").unwrap();
        store.commit(batch).unwrap();
        let contoso: Vec<(Vec<u8>, String)> = store.scan(Space::Connector, b"contoso/").unwrap();
        assert_eq!(contoso.len(), 2);
        assert_eq!(contoso[0].1, "alpha");
        let mut batch = Batch::default();
        batch.remove(Space::Connector, b"contoso/a");
        store.commit(batch).unwrap();
        assert_eq!(
            store.get::<String>(Space::Connector, b"contoso/a").unwrap(),
            None
        );
        assert_eq!(
            store
                .get::<String>(Space::Metaverse, b"contoso/a")
                .unwrap()
                .as_deref(),
            Some("other space")
        );
        drop(store);
        // Reopened, the state is there.
        let store = SledStore::open(&dir).unwrap();
        assert_eq!(
            store
                .get::<String>(Space::Connector, b"contoso/b")
                .unwrap()
                .as_deref(),
            Some("beta")
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_staged_layer_reads_its_own_writes_and_flushes_them_at_once() {
        let dir = temp();
        let store = SledStore::open(&dir).unwrap();
        let mut batch = Batch::default();
        batch.put(Space::Connector, b"c/1", &"one").unwrap();
        batch.put(Space::Connector, b"c/2", &"two").unwrap();
        store.commit(batch).unwrap();
        let staged = Staged::new(&store);
        let mut batch = Batch::default();
        batch.put(Space::Connector, b"c/3", &"three").unwrap();
        batch.remove(Space::Connector, b"c/1");
        staged.commit(batch).unwrap();
        assert_eq!(
            staged
                .get::<String>(Space::Connector, b"c/3")
                .unwrap()
                .as_deref(),
            Some("three")
        );
        assert_eq!(
            staged.get::<String>(Space::Connector, b"c/1").unwrap(),
            None
        );
        let seen: Vec<String> = staged
            .scan::<String>(Space::Connector, b"c/")
            .unwrap()
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        assert_eq!(seen, ["two", "three"]);
        // Not in the store until flushed.
        assert_eq!(store.get::<String>(Space::Connector, b"c/3").unwrap(), None);
        staged.flush().unwrap();
        assert_eq!(
            store
                .get::<String>(Space::Connector, b"c/3")
                .unwrap()
                .as_deref(),
            Some("three")
        );
        assert_eq!(store.get::<String>(Space::Connector, b"c/1").unwrap(), None);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_store_from_another_layout_is_refused_with_advice() {
        let dir = temp();
        {
            let store = SledStore::open(&dir).unwrap();
            store
                .backend()
                .apply(vec![(
                    Space::Meta.key(SCHEMA_VERSION_KEY),
                    Some(99u32.to_be_bytes().to_vec()),
                )])
                .unwrap();
        }
        let error = SledStore::open(&dir).unwrap_err().to_string();
        assert!(
            error.contains("layout 99") && error.contains("full synchronization"),
            "{error}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
