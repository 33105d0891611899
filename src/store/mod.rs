//! Where the engine keeps its state: behind the small [`Store`] trait, so a database server
//! can stand in for the embedded database.
//!
//! The state is a set of named key spaces ([`Space`]) — connector spaces, the metaverse, join
//! links both ways, pending exports, watermarks, run history, settings. Every change a run step
//! makes goes into one [`Batch`] and is committed atomically, then flushed, so a store opened
//! after a crash at any point holds either all of a step or none of it. [`Staged`] layers a
//! step's writes in memory until it flushes them.
//!
//! - [`pack`]: the packed layout (many entries to a compressed value); pure, no I/O.
//! - [`packed`]: [`Packed`], the store over any ordered key-value [`Backend`], with its cache.
//! - [`embedded`]: [`SledStore`], the store in one `sled` tree in the data folder.
//! - [`postgres`]: the store on a PostgreSQL server, and that server's Test connection.
//! - [`migrate`]: copying every entry from one store to another, and the stores' addresses.
//!
//! This module knows nothing of installations: the engine and [`crate::ops`] decide which
//! store an installation uses.

pub mod embedded;
pub mod migrate;
pub mod pack;
pub mod packed;
pub mod postgres;

pub use embedded::{SledStore, SledTree};
pub use packed::{Backend, Packed, SCHEMA_VERSION_KEY};
pub use postgres::PostgresStore;

use std::sync::Arc;

use serde::{Serialize, de::DeserializeOwned};

use pack::Packing;

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
    pub(crate) fn packing(self) -> Packing {
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
        packed::lock(&self.overlay)
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
