//! Moving engine state between stores (the embedded one in a data folder, or a PostgreSQL
//! database) without a full re-import: the stores' addresses ([`StoreAddress`]), the copy
//! ([`copy`]) and the checks around it. [`crate::ops::store`] moves an installation with them.
//!
//! Every entry of every key space is copied as it is (connector spaces, metaverse, links,
//! pending exports, watermarks and delta cookies, run history, settings versions), then counted
//! again in the target and compared. A target that already holds Skybridge data is refused,
//! never overwritten.

use std::path::{Path, PathBuf};

use super::postgres::{ConnectionProblem, DatabaseConnection, DbServer};
use super::{Batch, Space, Store, StoreError};

/// Entries copied per transaction.
const CHUNK: usize = 5_000;

/// One end of a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreAddress {
    /// The embedded store of the installation in this data folder (`sled:DIR`).
    Embedded(PathBuf),
    /// A database (`postgres://user@host:port/database`).
    Server(DatabaseConnection),
}

/// Why a migration cannot be done, or stopped.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// An address that cannot be read.
    #[error("{0}")]
    Address(String),
    /// A store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The target database cannot take the state.
    #[error("the target database cannot be used: {0}")]
    Target(ConnectionProblem),
    /// The migration is not one this installation can make.
    #[error("{0}")]
    Refused(String),
    /// The copy does not match its source.
    #[error(
        "the copy does not match its source ({space}: {source_count} entries, {copied} in the target); the installation still uses its old store"
    )]
    Mismatch {
        /// The space.
        space: String,
        /// Entries in the source.
        source_count: u64,
        /// Entries in the target.
        copied: u64,
    },
}

impl StoreAddress {
    /// Reads `sled:DIR` or `postgres://user@host[:port]/database[?sslmode=disable|require|verify-full&sslrootcert=FILE]`.
    /// A password in the address is refused: it would be seen in process lists and shell history.
    pub fn parse(text: &str) -> Result<StoreAddress, MigrateError> {
        if let Some(dir) = text.strip_prefix("sled:") {
            if dir.is_empty() {
                return Err(MigrateError::Address(
                    "sled: needs the installation's data folder after it (sled:/var/lib/skybridge)"
                        .into(),
                ));
            }
            return Ok(StoreAddress::Embedded(PathBuf::from(dir)));
        }
        let bad = |why: &str| {
            MigrateError::Address(format!(
                "'{text}' is not a store address ({why}): give sled:DIR or postgres://user@host:port/database"
            ))
        };
        let url = url::Url::parse(text).map_err(|e| bad(&e.to_string()))?;
        if url.scheme() != "postgres" && url.scheme() != "postgresql" {
            return Err(bad("only sled: and postgres:// are known"));
        }
        if url.password().is_some() {
            return Err(MigrateError::Address(
                "the address holds a password: leave it out (it would show in process lists and shell history) and put it in the environment variable named by --password-env".into(),
            ));
        }
        let user = url.username();
        if user.is_empty() {
            return Err(bad("it names no account: postgres://ACCOUNT@host/database"));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("it names no host"))?;
        let database = url.path().trim_start_matches('/');
        if database.is_empty() || database.contains('/') {
            return Err(bad(
                "it names no database: postgres://account@host/DATABASE",
            ));
        }
        let mut connection = DatabaseConnection {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port: url.port().unwrap_or(5432),
            database: percent(database),
            user: percent(user),
            tls_off: false,
            ca_file: None,
        };
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref()) {
                ("sslmode", "disable") => connection.tls_off = true,
                ("sslmode", "require" | "verify-full" | "verify-ca") => connection.tls_off = false,
                ("sslmode", other) => {
                    return Err(bad(&format!(
                        "sslmode={other} is not offered: Skybridge verifies TLS (sslmode=verify-full) or turns it off (sslmode=disable)"
                    )));
                }
                ("sslrootcert", file) => connection.ca_file = Some(PathBuf::from(file)),
                (other, _) => return Err(bad(&format!("the option {other} is not known"))),
            }
        }
        Ok(StoreAddress::Server(connection))
    }
}

fn percent(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| text.to_string())
}

/// What a migration moved, space by space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// (space name, entries).
    pub spaces: Vec<(String, u64)>,
    /// Where the old store was kept.
    pub old_store: String,
    /// Where the state now is.
    pub new_store: String,
}

/// A space's name for people.
pub fn space_name(space: Space) -> &'static str {
    match space {
        Space::Connector => "connector spaces",
        Space::Metaverse => "metaverse",
        Space::JoinToMetaverse => "join links",
        Space::JoinIndex => "join index",
        Space::DnIndex => "DN index",
        Space::Dirty => "changes waiting for sync",
        Space::PendingExport => "pending exports",
        Space::Watermark => "watermarks and delta cookies",
        Space::History => "run history",
        Space::Meta => "settings versions and bookkeeping",
    }
}

fn count(store: &dyn Store, space: Space) -> Result<u64, StoreError> {
    let mut n = 0;
    store.for_each_raw(space, b"", &mut |_, _| {
        n += 1;
        Ok(())
    })?;
    Ok(n)
}

/// Copies every entry of `from` into `to`, which must be empty but for its layout version, and
/// checks the counts afterwards.
pub fn copy(from: &dyn Store, to: &dyn Store) -> Result<Vec<(String, u64)>, MigrateError> {
    for space in Space::ALL {
        // A fresh store holds its layout version and nothing else.
        let held = count(to, space)? - u64::from(space == Space::Meta);
        if held > 0 {
            return Err(MigrateError::Refused(format!(
                "the target store already holds {held} entries ({}): Skybridge does not overwrite a store",
                space_name(space)
            )));
        }
    }
    let mut moved = Vec::new();
    for space in Space::ALL {
        let mut batch = Batch::default();
        // A failed write stops the visit; its error is the one to report.
        let mut write_error = None;
        let visited = from.for_each_raw(space, b"", &mut |k, v| {
            batch.put_raw(space, k, v.to_vec());
            if batch.len() >= CHUNK
                && let Err(e) = to.commit(std::mem::take(&mut batch))
            {
                write_error = Some(e);
                return Err(StoreError::Corrupt {
                    key: String::new(),
                    detail: "the copy stopped".into(),
                });
            }
            Ok(())
        });
        if let Some(e) = write_error {
            return Err(e.into());
        }
        visited?;
        to.commit(batch)?;
        let source_count = count(from, space)?;
        let copied = count(to, space)?;
        if source_count != copied {
            return Err(MigrateError::Mismatch {
                space: space_name(space).into(),
                source_count,
                copied,
            });
        }
        moved.push((space_name(space).to_string(), source_count));
    }
    Ok(moved)
}

/// The target must be reachable, usable and hold no Skybridge data (Test connection's rules).
pub fn check_target(server: &DbServer) -> Result<(), MigrateError> {
    server
        .test_connection_blocking()
        .map(|_| ())
        .map_err(MigrateError::Target)
}

/// Renames the old embedded store to a name no other store has.
pub fn keep_aside(store: &Path) -> Result<PathBuf, MigrateError> {
    let stamp = crate::clock::unix_now();
    let mut kept = store.with_file_name(format!("store.before-migration-{stamp}"));
    let mut n = 1;
    while kept.exists() {
        kept = store.with_file_name(format!("store.before-migration-{stamp}-{n}"));
        n += 1;
    }
    std::fs::rename(store, &kept).map_err(|e| {
        MigrateError::Refused(format!(
            "the state was copied and the settings now name the new store, but the old store could not be renamed ({e}): move {} away yourself",
            store.display()
        ))
    })?;
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_read_and_a_password_in_one_is_refused() {
        assert_eq!(
            StoreAddress::parse("sled:/var/lib/sky").unwrap(),
            StoreAddress::Embedded("/var/lib/sky".into())
        );
        let StoreAddress::Server(db) =
            StoreAddress::parse("postgres://sky%20sync@db.example:6543/engine?sslmode=disable")
                .unwrap()
        else {
            panic!("a server");
        };
        assert_eq!(
            (
                db.user.as_str(),
                db.host.as_str(),
                db.port,
                db.database.as_str(),
                db.tls_off
            ),
            ("sky sync", "db.example", 6543, "engine", true)
        );
        let StoreAddress::Server(db) =
            StoreAddress::parse("postgresql://sky@db/engine?sslrootcert=/etc/ca.pem").unwrap()
        else {
            panic!("a server");
        };
        assert_eq!((db.port, db.tls_off), (5432, false));
        assert_eq!(db.ca_file.as_deref(), Some(Path::new("/etc/ca.pem")));
        let said = StoreAddress::parse("postgres://sky:Secret-1@db/engine")
            .unwrap_err()
            .to_string();
        assert!(
            said.contains("--password-env") && !said.contains("Secret-1"),
            "{said}"
        );
        for bad in [
            "sled:",
            "mysql://a@b/c",
            "postgres://db/engine",
            "postgres://a@db/",
            "postgres://a@db/e?sslmode=prefer",
        ] {
            assert!(StoreAddress::parse(bad).is_err(), "{bad}");
        }
    }
}
