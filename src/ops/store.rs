//! Moving an installation's engine state to another store (`skybridge store migrate`): from
//! the embedded store in its data folder to a PostgreSQL database, back, or between databases.
//!
//! The copy itself is [`crate::store::migrate::copy`]. Only once every entry was copied and
//! counted again does the installation's `settings.json` name the new store; the old one is
//! kept beside it (the embedded store folder renamed, a database left as it was) as a backup the
//! administrator removes when satisfied. The move is recorded in the new store as a settings
//! version of its own.

use std::path::{Path, PathBuf};

use crate::engine::install::{InstallError, Installation};
use crate::secret::Secret;
use crate::store::migrate::{MigrateError, Moved, StoreAddress, check_target, copy, keep_aside};
use crate::store::{PostgresStore, SledStore, StoreError};

/// Why an installation's store cannot be moved.
#[derive(Debug, thiserror::Error)]
pub enum MoveError {
    /// The installation's settings or keychain.
    #[error(transparent)]
    Install(#[from] InstallError),
    /// The copy, or a store.
    #[error(transparent)]
    Migrate(#[from] MigrateError),
}

impl From<StoreError> for MoveError {
    fn from(e: StoreError) -> Self {
        MoveError::Migrate(MigrateError::Store(e))
    }
}

fn refused(why: impl Into<String>) -> MoveError {
    MoveError::Migrate(MigrateError::Refused(why.into()))
}

/// The installation's data folder for a migration between `from` and `to`: the one given, or
/// the one a `sled:` end names.
pub fn data_folder(
    from: &StoreAddress,
    to: &StoreAddress,
    given: Option<&Path>,
) -> Result<PathBuf, MoveError> {
    match (from, to, given) {
        (_, _, Some(data)) => Ok(data.to_path_buf()),
        (StoreAddress::Embedded(dir), _, None) | (_, StoreAddress::Embedded(dir), None) => {
            Ok(dir.clone())
        }
        _ => Err(refused("give --data with the installation's data folder")),
    }
}

/// Moves the state of the installation in `data` from `from` (which must be the store it uses)
/// to `to`, and makes its settings name the new store. `password` is the target database
/// account's (kept in the installation's keychain). The sync service must be stopped: the
/// stores refuse a second user.
pub fn migrate(
    data: &Path,
    from: &StoreAddress,
    to: &StoreAddress,
    password: Option<Secret>,
) -> Result<Moved, MoveError> {
    let mut install = Installation::load(data)?;
    let embedded = data.join("store");
    let uses_it = match (from, &install.database) {
        (StoreAddress::Embedded(dir), None) => dir == data,
        (StoreAddress::Server(a), Some(b)) => a.same_database(b),
        _ => false,
    };
    if !uses_it {
        return Err(refused(format!(
            "--from does not name the store this installation uses ({}): nothing was moved",
            match &install.database {
                None => format!("sled:{}", data.display()),
                Some(db) => db.name(),
            }
        )));
    }
    match (&install.database, to) {
        (None, StoreAddress::Embedded(_)) => Err(refused(
            "this installation already keeps its state in its data folder",
        )),
        (Some(current), StoreAddress::Server(target)) if current.same_database(target) => Err(
            refused("this installation already keeps its state in that database"),
        ),
        (None, StoreAddress::Server(target)) => {
            let password = password.ok_or_else(|| {
                refused("the database account's password is needed (--password-env)")
            })?;
            let server = target.server(password.clone());
            let source = SledStore::open(&embedded)?;
            check_target(&server)?;
            install.database = Some(target.clone());
            let spaces = {
                let target_store = PostgresStore::connect(&server)?;
                let spaces = copy(&source, &target_store)?;
                crate::engine::config::record(&target_store, &install, crate::clock::unix_now())?;
                spaces
            };
            drop(source);
            install.store_database_password(&password)?;
            install.save(data)?;
            let kept = keep_aside(&embedded)?;
            Ok(Moved {
                spaces,
                old_store: kept.display().to_string(),
                new_store: target.name(),
            })
        }
        (Some(current), _) => {
            let source_password = install.database_password()?;
            let source = PostgresStore::connect(&current.server(source_password))?;
            let current = current.clone();
            let (spaces, new_store) = match to {
                StoreAddress::Embedded(dir) => {
                    if dir != data {
                        return Err(refused(format!(
                            "the embedded store goes into the installation's own data folder ({}), not {}",
                            data.display(),
                            dir.display()
                        )));
                    }
                    if embedded.exists() {
                        return Err(refused(format!(
                            "{} already exists: move it away first (Skybridge does not overwrite a store)",
                            embedded.display()
                        )));
                    }
                    let target_store = SledStore::open(&embedded)?;
                    let spaces = copy(&source, &target_store)?;
                    install.database = None;
                    crate::engine::config::record(
                        &target_store,
                        &install,
                        crate::clock::unix_now(),
                    )?;
                    (spaces, embedded.display().to_string())
                }
                StoreAddress::Server(target) => {
                    let password = password.ok_or_else(|| {
                        refused("the database account's password is needed (--password-env)")
                    })?;
                    let server = target.server(password.clone());
                    check_target(&server)?;
                    let target_store = PostgresStore::connect(&server)?;
                    let spaces = copy(&source, &target_store)?;
                    install.database = Some(target.clone());
                    crate::engine::config::record(
                        &target_store,
                        &install,
                        crate::clock::unix_now(),
                    )?;
                    install.store_database_password(&password)?;
                    (spaces, target.name())
                }
            };
            drop(source);
            install.save(data)?;
            Ok(Moved {
                spaces,
                old_store: format!("{} (left as it was)", current.name()),
                new_store,
            })
        }
    }
}
