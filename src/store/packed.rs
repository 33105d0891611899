//! [`Packed`]: the engine's store over any ordered key-value [`Backend`]. The big spaces are
//! packed many entries to a compressed value ([`super::pack`]) and recently read groups stay
//! decoded, so reading a connector space in order decompresses each group once. The layout
//! version is stored and checked on open.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::pack::{self, Entries, Packing};
use super::{Batch, RawPairs, SCHEMA_VERSION, Space, Store, StoreError, Visitor};

/// Decoded groups recently read, so that reading the identities of a connector space in order
/// decompresses each group once.
#[derive(Default)]
struct GroupCache {
    /// Bumped by every commit: a reader that started before it does not fill the cache.
    generation: u64,
    groups: HashMap<Vec<u8>, Arc<Entries>>,
    /// Values of unpacked spaces read by key (or their absence): bookkeeping a step checks
    /// for every object must not cost a database round trip each time.
    singles: HashMap<Vec<u8>, Option<Vec<u8>>>,
    /// For a backend that lists its keys cheaply: the groups that exist, by packed space, so
    /// that looking up a group that does not exist costs no round trip.
    existing: HashMap<Space, std::collections::HashSet<Vec<u8>>>,
    /// The backend's epoch the cache was filled in.
    epoch: u64,
    order: VecDeque<Vec<u8>>,
    /// Entries in the cached groups.
    entries: usize,
}

/// Entries kept decoded (about 50 MB of connector objects).
const CACHED_ENTRIES: usize = 100_000;

/// Unpacked values kept; past that the cache of them starts again empty.
const CACHED_SINGLES: usize = 10_000;

/// What a cached group counts for (an absent group is cached too).
fn weight(entries: &Entries) -> usize {
    entries.len().max(1)
}

impl GroupCache {
    /// Keeps a group read from the store, dropping the oldest to make room. (The order may
    /// still name groups that left since: they are skipped.)
    fn keep(&mut self, key: &[u8], entries: Arc<Entries>) {
        while self.entries + weight(&entries) > CACHED_ENTRIES
            && let Some(old) = self.order.pop_front()
        {
            self.forget(&old);
        }
        self.order.push_back(key.to_vec());
        self.entries += weight(&entries);
        self.groups.insert(key.to_vec(), entries);
    }

    /// Gives a cached group its new contents; a group not cached stays out.
    fn refresh(&mut self, key: &[u8], entries: Arc<Entries>) {
        if let Some(cached) = self.groups.get_mut(key) {
            self.entries = self.entries - weight(cached) + weight(&entries);
            *cached = entries;
        }
    }

    /// Forgets everything when the backend reconnected since the cache was filled.
    fn follow(&mut self, epoch: u64) {
        if self.epoch != epoch {
            let generation = self.generation + 1;
            *self = GroupCache {
                generation,
                epoch,
                ..GroupCache::default()
            };
        }
    }

    /// Keeps an unpacked value read from the store.
    fn keep_single(&mut self, key: Vec<u8>, value: Option<Vec<u8>>) {
        if self.singles.len() >= CACHED_SINGLES {
            self.singles.clear();
        }
        self.singles.insert(key, value);
    }

    /// Drops a group.
    fn forget(&mut self, key: &[u8]) {
        if let Some(gone) = self.groups.remove(key) {
            self.entries -= weight(&gone);
        }
    }
}

/// What a packed store needs from the database under it: full keys (space prefix included)
/// to bytes, read one at a time or by prefix in key order, and changes applied atomically and
/// durably. [`super::SledTree`] is the embedded one; [`super::postgres`] keeps them on a
/// PostgreSQL server.
pub trait Backend: Send + Sync {
    /// Where the data is, for messages (a folder, or a server and database; never a password).
    fn location(&self) -> &str;
    /// The value under a full key.
    fn get(&self, full_key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// The values under many full keys, in their order (one round trip where the database
    /// allows it).
    fn get_many(&self, full_keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        full_keys.iter().map(|k| self.get(k)).collect()
    }
    /// Every (full key, value) whose key starts with `full_prefix`, in key order.
    fn scan(&self, full_prefix: &[u8], visit: Visitor<'_>) -> Result<(), StoreError>;
    /// Every full key that starts with `full_prefix`, when the database can list keys without
    /// reading their values (a server); None when it cannot do better than reading them.
    fn keys(&self, full_prefix: &[u8]) -> Result<Option<Vec<Vec<u8>>>, StoreError> {
        let _ = full_prefix;
        Ok(None)
    }
    /// Sets (Some) or removes (None) full keys, all or none, durably. A key named twice takes
    /// its last change.
    fn apply(&self, ops: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> Result<(), StoreError>;
    /// Bytes used (approximate).
    fn size(&self) -> Result<u64, StoreError>;
    /// Changes when the backend had to reconnect (and another process may have written in
    /// between): what the store keeps in memory is then forgotten.
    fn epoch(&self) -> u64 {
        0
    }
}

/// The engine's store over a [`Backend`]: the big spaces packed many entries to a value
/// ([`super::pack`]), recently read groups kept decoded, one commit at a time.
pub struct Packed<B: Backend> {
    backend: B,
    /// Commits read, change and write whole groups: one at a time.
    committing: Mutex<()>,
    cache: Mutex<GroupCache>,
}

impl<B: Backend> std::fmt::Debug for Packed<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.backend.location())
            .finish_non_exhaustive()
    }
}

/// A lock whose holder panicked still guards plain data: keep using it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The key under which a store's layout version is kept.
pub const SCHEMA_VERSION_KEY: &[u8] = b"schema-version";

impl<B: Backend> Packed<B> {
    /// A store over `backend`: an empty one is given this build's layout version, one with
    /// another layout is refused.
    pub fn over(backend: B) -> Result<Packed<B>, StoreError> {
        let store = Packed {
            backend,
            committing: Mutex::new(()),
            cache: Mutex::new(GroupCache::default()),
        };
        let key = Space::Meta.key(SCHEMA_VERSION_KEY);
        match store.backend.get(&key)? {
            None => store
                .backend
                .apply(vec![(key, Some(SCHEMA_VERSION.to_be_bytes().to_vec()))])?,
            Some(found) => {
                let found = <[u8; 4]>::try_from(found.as_slice())
                    .map(u32::from_be_bytes)
                    .unwrap_or(0);
                if found != SCHEMA_VERSION {
                    return Err(StoreError::Version {
                        path: store.backend.location().to_string(),
                        found,
                    });
                }
            }
        }
        Ok(store)
    }

    /// The database underneath.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    fn decode(&self, full_key: &[u8], bytes: &[u8]) -> Result<Entries, StoreError> {
        pack::decode(bytes).map_err(|detail| StoreError::Corrupt {
            key: String::from_utf8_lossy(full_key).into_owned(),
            detail,
        })
    }

    /// The decoded group stored under a full key (empty when there is none).
    fn group(&self, full_key: &[u8]) -> Result<Arc<Entries>, StoreError> {
        let space = Space::of_full_key(full_key);
        let (generation, listed) = {
            let mut cache = lock(&self.cache);
            cache.follow(self.backend.epoch());
            if let Some(hit) = cache.groups.get(full_key) {
                return Ok(hit.clone());
            }
            let listed = space.and_then(|s| cache.existing.get(&s));
            if listed.is_some_and(|groups| !groups.contains(full_key)) {
                return Ok(Arc::new(Vec::new()));
            }
            (cache.generation, listed.is_some())
        };
        if !listed
            && let Some(space) = space
            && self.list_groups(space, generation)?
        {
            return self.group(full_key);
        }
        let entries = match self.backend.get(full_key)? {
            Some(bytes) => Arc::new(self.decode(full_key, &bytes)?),
            None => Arc::new(Vec::new()),
        };
        let mut cache = lock(&self.cache);
        // A commit since the read may have changed the group: then do not keep it.
        if cache.generation == generation && !cache.groups.contains_key(full_key) {
            cache.keep(full_key, entries.clone());
        }
        Ok(entries)
    }
}

impl<B: Backend> Packed<B> {
    /// Learns which groups of `space` exist, if the backend can say so cheaply and no commit
    /// came since `generation`. Whether it did.
    fn list_groups(&self, space: Space, generation: u64) -> Result<bool, StoreError> {
        let Some(keys) = self.backend.keys(space.prefix())? else {
            return Ok(false);
        };
        let mut cache = lock(&self.cache);
        if cache.generation != generation {
            return Ok(false);
        }
        cache.existing.insert(space, keys.into_iter().collect());
        Ok(true)
    }
}

impl<B: Backend> Store for Packed<B> {
    fn get_raw(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let packing = space.packing();
        if packing == Packing::Single {
            let full = space.key(key);
            let generation = {
                let mut cache = lock(&self.cache);
                cache.follow(self.backend.epoch());
                if let Some(hit) = cache.singles.get(&full) {
                    return Ok(hit.clone());
                }
                cache.generation
            };
            let value = self.backend.get(&full)?;
            let mut cache = lock(&self.cache);
            // A commit since the read may have changed it: then do not keep it.
            if cache.generation == generation {
                cache.keep_single(full, value.clone());
            }
            return Ok(value);
        }
        let group = self.group(&space.key(&pack::group_of(packing, key)))?;
        Ok(pack::find(&group, key).map(<[u8]>::to_vec))
    }

    fn scan_raw(&self, space: Space, prefix: &[u8]) -> Result<RawPairs, StoreError> {
        let mut out = Vec::new();
        self.for_each_raw(space, prefix, &mut |k, v| {
            out.push((k.to_vec(), v.to_vec()));
            Ok(())
        })?;
        // Groups of keys at different depths may interleave: give them in key order.
        if space.packing() != Packing::Single {
            out.sort_by(|a, b| a.0.cmp(&b.0));
        }
        Ok(out)
    }

    fn for_each_raw(
        &self,
        space: Space,
        prefix: &[u8],
        visit: Visitor<'_>,
    ) -> Result<(), StoreError> {
        let skip = space.prefix().len();
        let packing = space.packing();
        if packing == Packing::Single {
            return self
                .backend
                .scan(&space.key(prefix), &mut |k, v| visit(&k[skip..], v));
        }
        let (scan, extra) = pack::scan_plan(packing, prefix);
        let mut visit_group = |entries: &Entries| -> Result<(), StoreError> {
            for (k, v) in entries {
                if k.starts_with(prefix) {
                    visit(k, v)?;
                }
            }
            Ok(())
        };
        if let Some(extra) = extra {
            visit_group(self.group(&space.key(&extra))?.as_ref())?;
        }
        // A scan decodes each group once and leaves the cache to point reads.
        self.backend.scan(&space.key(&scan), &mut |k, v| {
            visit_group(&self.decode(k, v)?)
        })
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        if batch.ops.is_empty() {
            return Ok(());
        }
        let _one_at_a_time = lock(&self.committing);
        let mut ops = Vec::new();
        // Changes to unpacked spaces, as they will be once written.
        let mut singles: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::new();
        // Changes to packed spaces, by the full key of their group.
        let mut grouped: HashMap<Vec<u8>, pack::Changes> = HashMap::new();
        for (full, v) in batch.ops {
            let Some(space) = Space::of_full_key(&full).filter(|s| s.packing() != Packing::Single)
            else {
                singles.push((full.clone(), v.clone()));
                ops.push((full, v));
                continue;
            };
            let key = full[space.prefix().len()..].to_vec();
            let group = space.key(&pack::group_of(space.packing(), &key));
            grouped.entry(group).or_default().push((key, v));
        }
        // The groups to change that are not at hand, read together.
        let missing: Vec<Vec<u8>> = {
            let mut cache = lock(&self.cache);
            cache.follow(self.backend.epoch());
            grouped
                .keys()
                .filter(|g| !cache.groups.contains_key(*g))
                .cloned()
                .collect()
        };
        let found = self.backend.get_many(&missing)?;
        let mut read: HashMap<Vec<u8>, Entries> = HashMap::with_capacity(missing.len());
        for (group, bytes) in missing.into_iter().zip(found) {
            let entries = match bytes {
                Some(bytes) => self.decode(&group, &bytes)?,
                None => Vec::new(),
            };
            read.insert(group, entries);
        }
        let mut written = Vec::with_capacity(grouped.len());
        for (group, changes) in grouped {
            let mut entries = match read.remove(&group) {
                Some(entries) => entries,
                None => Arc::unwrap_or_clone(self.group(&group)?),
            };
            pack::apply(&mut entries, changes);
            if entries.is_empty() {
                ops.push((group.clone(), None));
            } else {
                let bytes = pack::encode(&entries).map_err(|e| StoreError::Backend {
                    path: self.backend.location().to_string(),
                    detail: e,
                })?;
                ops.push((group.clone(), Some(bytes)));
            }
            written.push((group, Arc::new(entries)));
        }
        let applied = self.backend.apply(ops);
        // Cached groups take their new contents (or leave, if the write failed), and a
        // reader that started before the change must not cache what it read.
        let mut cache = lock(&self.cache);
        cache.generation += 1;
        for (group, entries) in written {
            let space = Space::of_full_key(&group);
            if applied.is_ok() {
                if let Some(listed) = space.and_then(|s| cache.existing.get_mut(&s)) {
                    if entries.is_empty() {
                        listed.remove(&group);
                    } else {
                        listed.insert(group.clone());
                    }
                }
                cache.refresh(&group, entries);
            } else {
                if let Some(space) = space {
                    cache.existing.remove(&space);
                }
                cache.forget(&group);
            }
        }
        for (key, value) in singles {
            match (&applied, cache.singles.get_mut(&key)) {
                (Ok(()), Some(cached)) => *cached = value,
                (Err(_), Some(_)) => {
                    cache.singles.remove(&key);
                }
                (_, None) => {}
            }
        }
        applied
    }

    fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.backend.size()
    }
}
