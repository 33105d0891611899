//! The engine's store on a PostgreSQL server: a [`Backend`] for [`Packed`], so the engine and
//! the CLI work on it exactly as on the embedded store (same packing, same group cache, one
//! commit = one transaction, the same step boundaries).
//!
//! Layout, in the schema [`SCHEMA`]: one table per key space (`connector_space`, `metaverse`,
//! `join_links`, …, `run_history`, `engine_meta`), each `(key bytea PRIMARY KEY, value bytea)`,
//! and `meta (key text, value text)` with the database layout version (`db_schema`) and the
//! newest settings version of the installation (`settings_version`), which Test connection
//! reads to recognise an earlier installation's data. [`MIGRATIONS`] takes a database from any
//! earlier layout to this build's, each step in a transaction.
//!
//! Two connections: one reads (committed data only), one writes transactions and holds a
//! session advisory lock, so that only one Skybridge process uses a database at a time (what
//! sled's file lock does for the embedded store). The calls are blocking, like sled's: the
//! connections are driven by a small runtime of the store's own, so the store can be used from
//! plain threads and from inside another runtime alike.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use super::{ConnectionProblem, DbServer, SCHEMA};
use crate::store::{Backend, Packed, Space, StoreError, Visitor};

/// The engine's store on a database server.
pub type PostgresStore = Packed<PgTree>;

/// The database layout steps: step `i` takes layout `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the engine's spaces.
    "CREATE TABLE skybridge.connector_space (key bytea PRIMARY KEY, value bytea NOT NULL);
     CREATE TABLE skybridge.metaverse (key bytea PRIMARY KEY, value bytea NOT NULL);
     CREATE TABLE skybridge.join_links (key bytea PRIMARY KEY, value bytea NOT NULL);
     CREATE TABLE skybridge.join_index (key bytea PRIMARY KEY, value bytea NOT NULL);
     CREATE TABLE skybridge.dn_index (key bytea PRIMARY KEY, value bytea NOT NULL);
     CREATE TABLE skybridge.dirty (key bytea PRIMARY KEY, value bytea NOT NULL);
     CREATE TABLE skybridge.pending_export (key bytea PRIMARY KEY, value bytea NOT NULL);
     CREATE TABLE skybridge.watermark (key bytea PRIMARY KEY, value bytea NOT NULL);
     CREATE TABLE skybridge.run_history (key bytea PRIMARY KEY, value bytea NOT NULL);
     CREATE TABLE skybridge.engine_meta (key bytea PRIMARY KEY, value bytea NOT NULL);",
];

/// The advisory lock that marks a database as in use by a Skybridge process.
const IN_USE_LOCK: i64 = 0x536b_7942_7269_6467; // "SkyBridg"

/// How many times the in-use lock is asked for (a quarter of a second apart).
const LOCK_ATTEMPTS: u32 = 12;

/// The table of a space.
fn table(space: Space) -> &'static str {
    match space {
        Space::Connector => "connector_space",
        Space::Metaverse => "metaverse",
        Space::JoinToMetaverse => "join_links",
        Space::JoinIndex => "join_index",
        Space::DnIndex => "dn_index",
        Space::Dirty => "dirty",
        Space::PendingExport => "pending_export",
        Space::Watermark => "watermark",
        Space::History => "run_history",
        Space::Meta => "engine_meta",
    }
}

/// The key prefix of settings versions in the engine's meta space (then 8 bytes, big-endian).
const SETTINGS_VERSION_PREFIX: &[u8] = b"settings-version/";

/// The first key after every key that starts with `prefix`, if there is one.
fn after_prefix(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// One table's share of a commit: the keys to set, their values, the keys to remove.
type TableChanges = (Vec<Vec<u8>>, Vec<Vec<u8>>, Vec<Vec<u8>>);

/// The database under a [`PostgresStore`].
pub struct PgTree {
    /// Drives the connections.
    runtime: tokio::runtime::Runtime,
    /// Where to sign in again when the connections are lost.
    server: DbServer,
    /// The connections in use (none until the first is opened).
    session: RwLock<Option<Arc<Session>>>,
    /// Sessions opened so far: the cache above forgets what it knew when this changes.
    epoch: AtomicU64,
    location: String,
}

/// One pair of connections, with the in-use lock held by the writer.
struct Session {
    reader: tokio_postgres::Client,
    writer: Mutex<tokio_postgres::Client>,
    /// The reader's prepared point reads, one per space (in the order of [`Space::ALL`]).
    gets: Vec<tokio_postgres::Statement>,
    /// A connection failed: the next call signs in again.
    broken: AtomicBool,
}

impl PgTree {
    /// The error for a failed query; a failure of the connection itself (not an answer from
    /// the server) marks the session for a new sign-in at the next call.
    fn fail(&self, session: &Session, e: tokio_postgres::Error) -> StoreError {
        if ends_the_session(&e) {
            session.broken.store(true, Ordering::SeqCst);
        }
        failure(&self.location, e)
    }

    /// The session to use: the current one, or a new one when there is none or it was lost
    /// (the server restarted, the network failed). A new session takes the in-use lock again,
    /// so a process that took the database meanwhile is not written over.
    fn session(&self) -> Result<Arc<Session>, StoreError> {
        let usable = |s: &Arc<Session>| !s.broken.load(Ordering::SeqCst) && !s.reader.is_closed();
        if let Some(s) = self
            .session
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            && usable(s)
        {
            return Ok(s.clone());
        }
        let mut slot = self.session.write().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = slot.as_ref()
            && usable(s)
        {
            return Ok(s.clone());
        }
        // The lost session's connections close (and release the lock) once nobody uses them.
        *slot = None;
        let fresh = Arc::new(self.open_session()?);
        *slot = Some(fresh.clone());
        self.epoch.fetch_add(1, Ordering::SeqCst);
        Ok(fresh)
    }

    /// Runs a query future to its end on the calling thread (the connections are driven by the
    /// store's runtime, so this works inside or outside another runtime).
    fn wait<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        futures_executor::block_on(f)
    }

    /// Splits a full key into its space's table and the key within it.
    fn split<'k>(&self, full_key: &'k [u8]) -> Result<(Space, &'k [u8]), StoreError> {
        let space = Space::of_full_key(full_key).ok_or_else(|| StoreError::Corrupt {
            key: String::from_utf8_lossy(full_key).into_owned(),
            detail: "the key names no space of the store".into(),
        })?;
        Ok((space, &full_key[space.prefix().len()..]))
    }
}

/// Whether an error means the connection is gone: it closed, it failed below the protocol, or
/// the server ended the session with its reason (an administrator's `pg_terminate_backend`, a
/// shutdown: class 57P; a connection exception: class 08). The server's last word arrives as an
/// ordinary error answer before the connection closes, so the answer alone must be enough.
fn ends_the_session(e: &tokio_postgres::Error) -> bool {
    match e.as_db_error() {
        None => true,
        Some(db) => {
            let code = db.code().code();
            e.is_closed() || code.starts_with("57P") || code.starts_with("08")
        }
    }
}

fn failure(location: &str, e: tokio_postgres::Error) -> StoreError {
    let detail = match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => {
            let mut why = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                why = format!("{why}: {cause}");
                source = cause.source();
            }
            why
        }
    };
    StoreError::Backend {
        path: location.to_string(),
        detail,
    }
}

impl Packed<PgTree> {
    /// Signs in to the server, takes the database for this process, brings its layout up to
    /// date, and opens the engine's store in it.
    pub fn connect(server: &DbServer) -> Result<PostgresStore, StoreError> {
        let location = server.name();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("skybridge-postgres")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Backend {
                path: location.clone(),
                detail: format!("cannot start the database runtime: {e}"),
            })?;
        let tree = PgTree {
            runtime,
            server: server.clone(),
            session: RwLock::new(None),
            epoch: AtomicU64::new(0),
            location,
        };
        tree.session()?;
        Packed::over(tree)
    }
}

impl PgTree {
    /// Signs in (two connections), takes the in-use lock, applies the layout steps this
    /// database has not had, and prepares the point reads.
    fn open_session(&self) -> Result<Session, StoreError> {
        // Signing in spawns the connection tasks, which needs the runtime's context: do it on
        // a thread of its own, so that a caller inside another runtime is no obstacle.
        let (reader, mut writer) = std::thread::scope(|s| {
            s.spawn(|| {
                self.runtime.block_on(async {
                    let reader = self.server.connect().await?;
                    let writer = self.server.connect().await?;
                    Ok::<_, ConnectionProblem>((reader, writer))
                })
            })
            .join()
            .unwrap_or_else(|_| Err(ConnectionProblem::Other("the sign-in thread failed".into())))
        })
        .map_err(|p| StoreError::Backend {
            path: self.location.clone(),
            detail: p.to_string(),
        })?;
        self.prepare(&mut writer)?;
        let fail = |e| failure(&self.location, e);
        let gets = self.wait(async {
            let mut gets = Vec::new();
            for space in Space::ALL {
                let sql = format!("SELECT value FROM {SCHEMA}.{} WHERE key = $1", table(space));
                gets.push(reader.prepare(&sql).await.map_err(fail)?);
            }
            Ok::<_, StoreError>(gets)
        })?;
        Ok(Session {
            reader,
            writer: Mutex::new(writer),
            gets,
            broken: AtomicBool::new(false),
        })
    }

    /// Takes the in-use lock and applies the layout steps this database has not had.
    fn prepare(&self, writer: &mut tokio_postgres::Client) -> Result<(), StoreError> {
        let fail = |e| failure(&self.location, e);
        self.wait(async {
            // A process that just died may still hold the lock until the server notices
            // its connection is gone: ask again for a few seconds before refusing.
            let mut taken = false;
            for attempt in 0..LOCK_ATTEMPTS {
                if attempt > 0 {
                    std::thread::sleep(std::time::Duration::from_millis(250));
                }
                taken = writer
                    .query_one("SELECT pg_try_advisory_lock($1)", &[&IN_USE_LOCK])
                    .await
                    .map_err(fail)?
                    .get(0);
                if taken {
                    break;
                }
            }
            if !taken {
                return Err(StoreError::Backend {
                    path: self.location.clone(),
                    detail: "another Skybridge process is using this database (the sync service?); stop it or ask it through `skybridge sync` instead".into(),
                });
            }
            writer
                .batch_execute(&format!(
                    "CREATE SCHEMA IF NOT EXISTS {SCHEMA};
                     CREATE TABLE IF NOT EXISTS {SCHEMA}.meta (key text PRIMARY KEY, value text NOT NULL);"
                ))
                .await
                .map_err(fail)?;
            let found: usize = writer
                .query_opt(
                    &format!("SELECT value FROM {SCHEMA}.meta WHERE key = 'db_schema'"),
                    &[],
                )
                .await
                .map_err(fail)?
                .and_then(|row| row.get::<_, String>(0).parse().ok())
                .unwrap_or(0);
            if found > MIGRATIONS.len() {
                return Err(StoreError::Version {
                    path: self.location.clone(),
                    found: u32::try_from(found).unwrap_or(u32::MAX),
                });
            }
            for (step, sql) in MIGRATIONS.iter().enumerate().skip(found) {
                let tx = writer.transaction().await.map_err(fail)?;
                tx.batch_execute(sql).await.map_err(fail)?;
                tx.execute(
                    &format!(
                        "INSERT INTO {SCHEMA}.meta VALUES ('db_schema', $1)
                         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
                    ),
                    &[&(step + 1).to_string()],
                )
                .await
                .map_err(fail)?;
                tx.commit().await.map_err(fail)?;
            }
            Ok(())
        })
    }

    /// The newest settings version recorded in the database, if any.
    pub fn settings_version(&self) -> Result<Option<u64>, StoreError> {
        let s = self.session()?;
        self.wait(async {
            Ok(s.reader
                .query_opt(
                    &format!("SELECT value FROM {SCHEMA}.meta WHERE key = 'settings_version'"),
                    &[],
                )
                .await
                .map_err(|e| self.fail(&s, e))?
                .and_then(|row| row.get::<_, String>(0).parse().ok()))
        })
    }
}

impl Backend for PgTree {
    fn location(&self) -> &str {
        &self.location
    }

    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    fn get(&self, full_key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let (space, key) = self.split(full_key)?;
        let index = Space::ALL
            .iter()
            .position(|s| *s == space)
            .unwrap_or_default();
        let s = self.session()?;
        let statement = s.gets.get(index).ok_or_else(|| StoreError::Backend {
            path: self.location.clone(),
            detail: "the store's reads are not prepared".into(),
        })?;
        self.wait(async {
            Ok(s.reader
                .query_opt(statement, &[&key])
                .await
                .map_err(|e| self.fail(&s, e))?
                .map(|row| row.get::<_, Vec<u8>>(0)))
        })
    }

    fn get_many(&self, full_keys: &[Vec<u8>]) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        // The keys by table, and where each one's answer goes.
        let mut by_table: BTreeMap<&'static str, (Vec<&[u8]>, Vec<usize>)> = BTreeMap::new();
        for (i, full) in full_keys.iter().enumerate() {
            let (space, key) = self.split(full)?;
            let (keys, places) = by_table.entry(table(space)).or_default();
            keys.push(key);
            places.push(i);
        }
        let mut out = vec![None; full_keys.len()];
        let s = self.session()?;
        self.wait(async {
            for (name, (keys, places)) in &by_table {
                let rows = s
                    .reader
                    .query(
                        &format!("SELECT key, value FROM {SCHEMA}.{name} WHERE key = ANY($1)"),
                        &[keys],
                    )
                    .await
                    .map_err(|e| self.fail(&s, e))?;
                let mut found: std::collections::HashMap<Vec<u8>, Vec<u8>> = rows
                    .into_iter()
                    .map(|row| (row.get::<_, Vec<u8>>(0), row.get::<_, Vec<u8>>(1)))
                    .collect();
                for (key, place) in keys.iter().zip(places) {
                    out[*place] = found.remove(*key);
                }
            }
            Ok::<_, StoreError>(())
        })?;
        Ok(out)
    }

    fn scan(&self, full_prefix: &[u8], visit: Visitor<'_>) -> Result<(), StoreError> {
        let (space, prefix) = self.split(full_prefix)?;
        let name = table(space);
        // Rows are read whole before they are visited: a visitor may read the store itself.
        let s = self.session()?;
        let rows = self.wait(async {
            match after_prefix(prefix) {
                Some(end) => {
                    s.reader
                        .query(
                            &format!(
                                "SELECT key, value FROM {SCHEMA}.{name} WHERE key >= $1 AND key < $2 ORDER BY key"
                            ),
                            &[&prefix, &end],
                        )
                        .await
                }
                None => {
                    s.reader
                        .query(
                            &format!(
                                "SELECT key, value FROM {SCHEMA}.{name} WHERE key >= $1 ORDER BY key"
                            ),
                            &[&prefix],
                        )
                        .await
                }
            }
            .map_err(|e| self.fail(&s, e))
        })?;
        let mut full = space.prefix().to_vec();
        for row in rows {
            let key: &[u8] = row.get(0);
            let value: &[u8] = row.get(1);
            full.truncate(space.prefix().len());
            full.extend_from_slice(key);
            visit(&full, value)?;
        }
        Ok(())
    }

    fn keys(&self, full_prefix: &[u8]) -> Result<Option<Vec<Vec<u8>>>, StoreError> {
        let (space, prefix) = self.split(full_prefix)?;
        let name = table(space);
        let s = self.session()?;
        let rows = self.wait(async {
            s.reader
                .query(
                    &format!("SELECT key FROM {SCHEMA}.{name} WHERE substr(key, 1, $2) = $1"),
                    &[&prefix, &i32::try_from(prefix.len()).unwrap_or(i32::MAX)],
                )
                .await
                .map_err(|e| self.fail(&s, e))
        })?;
        Ok(Some(
            rows.into_iter()
                .map(|row| {
                    let mut full = space.prefix().to_vec();
                    full.extend_from_slice(row.get::<_, &[u8]>(0));
                    full
                })
                .collect(),
        ))
    }

    fn apply(&self, ops: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> Result<(), StoreError> {
        // The last change of each key, by table.
        let mut last: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
        for (k, v) in ops {
            last.insert(k, v);
        }
        let mut by_table: BTreeMap<&'static str, TableChanges> = BTreeMap::new();
        let mut settings_version = None;
        for (full, v) in last {
            let (space, key) = self.split(&full)?;
            let (put_keys, put_values, removed) = by_table.entry(table(space)).or_default();
            match v {
                Some(v) => {
                    if space == Space::Meta
                        && let Some(n) = key.strip_prefix(SETTINGS_VERSION_PREFIX)
                        && let Ok(n) = <[u8; 8]>::try_from(n)
                    {
                        settings_version = settings_version.max(Some(u64::from_be_bytes(n)));
                    }
                    put_keys.push(key.to_vec());
                    put_values.push(v);
                }
                None => removed.push(key.to_vec()),
            }
        }
        let s = self.session()?;
        let mut writer = s.writer.lock().unwrap_or_else(|e| e.into_inner());
        let fail = |e| self.fail(&s, e);
        self.wait(async {
            let tx = writer.transaction().await.map_err(fail)?;
            for (name, (put_keys, put_values, removed)) in &by_table {
                if !removed.is_empty() {
                    tx.execute(
                        &format!("DELETE FROM {SCHEMA}.{name} WHERE key = ANY($1)"),
                        &[removed],
                    )
                    .await
                    .map_err(fail)?;
                }
                if !put_keys.is_empty() {
                    tx.execute(
                        &format!(
                            "INSERT INTO {SCHEMA}.{name} (key, value)
                             SELECT * FROM unnest($1::bytea[], $2::bytea[])
                             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
                        ),
                        &[put_keys, put_values],
                    )
                    .await
                    .map_err(fail)?;
                }
            }
            if let Some(version) = settings_version {
                tx.execute(
                    &format!(
                        "INSERT INTO {SCHEMA}.meta VALUES ('settings_version', $1)
                         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
                    ),
                    &[&version.to_string()],
                )
                .await
                .map_err(fail)?;
            }
            tx.commit().await.map_err(fail)
        })
    }

    fn size(&self) -> Result<u64, StoreError> {
        let s = self.session()?;
        self.wait(async {
            let bytes: i64 = s
                .reader
                .query_one(
                    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
                     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = $1 AND c.relkind = 'r'",
                    &[&SCHEMA],
                )
                .await
                .map_err(|e| self.fail(&s, e))?
                .get(0);
            Ok(u64::try_from(bytes).unwrap_or(0))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_a_prefix_range_is_the_next_key_after_it() {
        assert_eq!(after_prefix(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(after_prefix(&[b'a', 0xff]), Some(b"b".to_vec()));
        assert_eq!(after_prefix(&[0xff, 0xff]), None);
        assert_eq!(after_prefix(b""), None);
    }

    #[test]
    fn every_space_has_a_table_of_its_own_created_by_the_migrations() {
        let mut names: Vec<&str> = Space::ALL.into_iter().map(table).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Space::ALL.len());
        let created = MIGRATIONS.join("\n");
        for name in names {
            assert!(
                created.contains(&format!("CREATE TABLE skybridge.{name} ")),
                "{name}"
            );
        }
    }
}
