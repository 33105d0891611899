//! Where the engine keeps its state: behind the small [`Store`] trait, so another backend (a
//! database server) can stand in for the embedded one.
//!
//! The state is a set of named key spaces ([`Space`]) — connector spaces, the metaverse, join
//! links both ways, pending exports, watermarks, run history, settings. Every change a run step
//! makes goes into one [`Batch`] and is committed atomically, then flushed, so a store opened
//! after a crash at any point holds either all of a step or none of it.
//!
//! [`Packed`] is the store over any ordered key-value [`Backend`]: the big spaces are packed
//! many entries to a compressed value ([`super::pack`]) and recently read groups stay decoded.
//! The layout version is stored and checked on open. [`SledStore`] is it over one `sled` tree
//! in the data folder, the space as a key prefix (one tree makes every batch atomic without
//! multi-tree transactions); [`crate::dbserver::store`] puts it on a PostgreSQL server.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Serialize, de::DeserializeOwned};

use super::pack::{self, Entries, Packing};

/// The version of the stored layout this build reads and writes.
pub const SCHEMA_VERSION: u32 = 2;

/// A key space of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Space {
    /// Connector-space objects: key = connector name, `/`, anchor.
    Connector,
    /// Metaverse objects: key = metaverse id.
    Metaverse,
    /// Connector object → metaverse id: key = connector, `/`, anchor. (The other direction is
    /// the metaverse object's own list of sources.)
    JoinToMetaverse,
    /// Join keys (`mail:…`) → metaverse id.
    JoinIndex,
    /// Connector, `/`, lower-case DN → the object's anchor and class.
    DnIndex,
    /// Connector objects an import changed and the next sync reads: key = connector, `/`, anchor.
    Dirty,
    /// Pending exports to the tenant: key = metaverse id.
    PendingExport,
    /// Watermarks and cookies: key = connector name.
    Watermark,
    /// Run history: key = run id (big-endian, so keys sort by time).
    History,
    /// Settings and bookkeeping: key = name.
    Meta,
}

impl Space {
    /// The bytes that begin every full key of the space.
    pub fn prefix(self) -> &'static [u8] {
        match self {
            Space::Connector => b"cs\0",
            Space::Metaverse => b"mv\0",
            Space::JoinToMetaverse => b"jt\0",
            Space::JoinIndex => b"ji\0",
            Space::DnIndex => b"dn\0",
            Space::Dirty => b"dy\0",
            Space::PendingExport => b"pe\0",
            Space::Watermark => b"wm\0",
            Space::History => b"rh\0",
            Space::Meta => b"md\0",
        }
    }

    /// Every space.
    pub const ALL: [Space; 10] = [
        Space::Connector,
        Space::Metaverse,
        Space::JoinToMetaverse,
        Space::JoinIndex,
        Space::DnIndex,
        Space::Dirty,
        Space::PendingExport,
        Space::Watermark,
        Space::History,
        Space::Meta,
    ];

    /// The space a full key (prefix included) is in.
    pub fn of_full_key(key: &[u8]) -> Option<Space> {
        Space::ALL
            .into_iter()
            .find(|space| key.starts_with(space.prefix()))
    }

    /// How the embedded store lays the space out.
    fn packing(self) -> Packing {
        match self {
            Space::Connector
            | Space::Metaverse
            | Space::JoinToMetaverse
            | Space::Dirty
            | Space::PendingExport => Packing::ByTail,
            Space::DnIndex | Space::JoinIndex => Packing::ByHash,
            Space::Watermark | Space::History | Space::Meta => Packing::Single,
        }
    }

    /// The full key (space prefix, then `key`) a [`Backend`] sees.
    pub fn key(self, key: &[u8]) -> Vec<u8> {
        let mut k = self.prefix().to_vec();
        k.extend_from_slice(key);
        k
    }
}

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backend failed (disk full, permissions, corruption).
    #[error("the engine's store at {path} failed: {detail}")]
    Backend {
        /// Where the store is.
        path: String,
        /// What the backend said.
        detail: String,
    },
    /// The store holds another layout version.
    #[error(
        "the store at {path} was written by a version of Skybridge with store layout {found}; this build reads layout {SCHEMA_VERSION}. Use the matching Skybridge version, or move that store away (the folder, or the database's skybridge schema) and run a full synchronization to rebuild it."
    )]
    Version {
        /// Where the store is.
        path: String,
        /// The version found.
        found: u32,
    },
    /// A stored value could not be read.
    #[error("a stored value under {key} cannot be read: {detail}")]
    Corrupt {
        /// The key, printable.
        key: String,
        /// What was wrong.
        detail: String,
    },
}

/// Changes committed together.
#[derive(Debug, Default)]
pub struct Batch {
    ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

impl Batch {
    /// Sets `key` in `space` to a value serialised as JSON.
    pub fn put<T: Serialize>(
        &mut self,
        space: Space,
        key: &[u8],
        value: &T,
    ) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(value).map_err(|e| StoreError::Corrupt {
            key: String::from_utf8_lossy(key).into_owned(),
            detail: e.to_string(),
        })?;
        self.ops.push((space.key(key), Some(bytes)));
        Ok(())
    }

    /// Sets raw bytes.
    pub fn put_raw(&mut self, space: Space, key: &[u8], value: Vec<u8>) {
        self.ops.push((space.key(key), Some(value)));
    }

    /// Removes `key` from `space`.
    pub fn remove(&mut self, space: Space, key: &[u8]) {
        self.ops.push((space.key(key), None));
    }

    /// Whether nothing is in the batch.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// How many changes the batch holds.
    pub fn len(&self) -> usize {
        self.ops.len()
    }
}

/// Raw (key, value) pairs, keys without their space prefix.
pub type RawPairs = Vec<(Vec<u8>, Vec<u8>)>;

/// A visitor of raw entries.
pub type Visitor<'a> = &'a mut dyn FnMut(&[u8], &[u8]) -> Result<(), StoreError>;

/// The storage the engine needs.
pub trait Store: Send + Sync {
    /// Raw bytes under a key.
    fn get_raw(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Every (key without the space prefix, value) whose key starts with `prefix`, in key order.
    fn scan_raw(&self, space: Space, prefix: &[u8]) -> Result<RawPairs, StoreError>;
    /// Visits every entry under `prefix` without collecting them; stops at the first error.
    fn for_each_raw(
        &self,
        space: Space,
        prefix: &[u8],
        visit: Visitor<'_>,
    ) -> Result<(), StoreError>;
    /// Commits a batch atomically and makes it durable.
    fn commit(&self, batch: Batch) -> Result<(), StoreError>;
    /// Bytes the store uses on disk (approximate).
    fn size_on_disk(&self) -> Result<u64, StoreError>;
}

/// A store behind a pointer is a store (an installation's store is chosen when it opens).
macro_rules! store_behind {
    ($($pointer:ident),*) => {$(
        impl<S: Store + ?Sized> Store for $pointer<S> {
            fn get_raw(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
                (**self).get_raw(space, key)
            }
            fn scan_raw(&self, space: Space, prefix: &[u8]) -> Result<RawPairs, StoreError> {
                (**self).scan_raw(space, prefix)
            }
            fn for_each_raw(
                &self,
                space: Space,
                prefix: &[u8],
                visit: Visitor<'_>,
            ) -> Result<(), StoreError> {
                (**self).for_each_raw(space, prefix, visit)
            }
            fn commit(&self, batch: Batch) -> Result<(), StoreError> {
                (**self).commit(batch)
            }
            fn size_on_disk(&self) -> Result<u64, StoreError> {
                (**self).size_on_disk()
            }
        }
    )*};
}
store_behind!(Box, Arc);

/// Typed reads on any store.
pub trait StoreExt: Store {
    /// A value under a key, deserialised from JSON.
    fn get<T: DeserializeOwned>(&self, space: Space, key: &[u8]) -> Result<Option<T>, StoreError> {
        match self.get_raw(space, key)? {
            None => Ok(None),
            Some(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| StoreError::Corrupt {
                        key: String::from_utf8_lossy(key).into_owned(),
                        detail: e.to_string(),
                    })
            }
        }
    }

    /// Every value under a prefix, deserialised.
    fn scan<T: DeserializeOwned>(
        &self,
        space: Space,
        prefix: &[u8],
    ) -> Result<Vec<(Vec<u8>, T)>, StoreError> {
        self.scan_raw(space, prefix)?
            .into_iter()
            .map(|(k, v)| {
                serde_json::from_slice(&v)
                    .map(|t| (k.clone(), t))
                    .map_err(|e| StoreError::Corrupt {
                        key: String::from_utf8_lossy(&k).into_owned(),
                        detail: e.to_string(),
                    })
            })
            .collect()
    }
}

impl<S: Store + ?Sized> StoreExt for S {}

/// A write-back layer over a store: commits collect in memory (reads see them at once) and
/// reach the store together on [`Staged::flush`], one atomic, durable batch instead of one per
/// object. The sync step uses it; what it has not flushed when the process dies is simply
/// recomputed by the next run.
pub struct Staged<'a> {
    inner: &'a dyn Store,
    overlay: std::sync::Mutex<std::collections::BTreeMap<Vec<u8>, Option<Vec<u8>>>>,
}

impl<'a> Staged<'a> {
    /// A layer over `inner`.
    pub fn new(inner: &'a dyn Store) -> Staged<'a> {
        Staged {
            inner,
            overlay: std::sync::Mutex::new(std::collections::BTreeMap::new()),
        }
    }

    fn overlay(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<Vec<u8>, Option<Vec<u8>>>> {
        lock(&self.overlay)
    }

    /// Changes waiting.
    pub fn pending(&self) -> usize {
        self.overlay().len()
    }

    /// Commits everything collected to the store underneath.
    pub fn flush(&self) -> Result<(), StoreError> {
        let taken = std::mem::take(&mut *self.overlay());
        let batch = Batch {
            ops: taken.into_iter().collect(),
        };
        self.inner.commit(batch)
    }
}

impl Store for Staged<'_> {
    fn get_raw(&self, space: Space, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(v) = self.overlay().get(&space.key(key)) {
            return Ok(v.clone());
        }
        self.inner.get_raw(space, key)
    }

    fn scan_raw(&self, space: Space, prefix: &[u8]) -> Result<RawPairs, StoreError> {
        let mut merged: std::collections::BTreeMap<Vec<u8>, Vec<u8>> =
            self.inner.scan_raw(space, prefix)?.into_iter().collect();
        let full = space.key(prefix);
        let skip = space.prefix().len();
        for (k, v) in self.overlay().range(full.clone()..) {
            if !k.starts_with(&full) {
                break;
            }
            match v {
                Some(v) => {
                    merged.insert(k[skip..].to_vec(), v.clone());
                }
                None => {
                    merged.remove(&k[skip..]);
                }
            }
        }
        Ok(merged.into_iter().collect())
    }

    fn for_each_raw(
        &self,
        space: Space,
        prefix: &[u8],
        visit: Visitor<'_>,
    ) -> Result<(), StoreError> {
        for (k, v) in self.scan_raw(space, prefix)? {
            visit(&k, &v)?;
        }
        Ok(())
    }

    fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        let mut overlay = self.overlay();
        for (k, v) in batch.ops {
            overlay.insert(k, v);
        }
        Ok(())
    }

    fn size_on_disk(&self) -> Result<u64, StoreError> {
        self.inner.size_on_disk()
    }
}

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
/// durably. [`SledTree`] is the embedded one; [`crate::dbserver::store`] keeps them on a
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

/// The embedded store: one sled database in the data folder.
pub type SledStore = Packed<SledTree>;

impl<B: Backend> std::fmt::Debug for Packed<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("location", &self.backend.location())
            .finish_non_exhaustive()
    }
}

/// A lock whose holder panicked still guards plain data: keep using it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
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
        let path = dir.display().to_string();
        let fail = |e: sled::Error| {
            StoreError::Backend {
            path: path.clone(),
            detail: match &e {
                sled::Error::Io(io) if io.kind() == std::io::ErrorKind::WouldBlock => {
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
        // background threads let go of it last): ask again for up to two seconds.
        let mut attempts = 0;
        let db = loop {
            match config.open() {
                Err(sled::Error::Io(io))
                    if io.kind() == std::io::ErrorKind::WouldBlock && attempts < 40 =>
                {
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
