//! The configuration lock: one window at a time changes an installation. The wizard takes it
//! when it opens on an installed data folder and keeps it while it runs; a second window sees
//! who holds it. The operating system lets go of it when the process ends, however it ends.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// The lock file's name in the data folder.
pub const LOCK_NAME: &str = "wizard.lock";

/// A held configuration lock (let go when dropped).
#[derive(Debug)]
pub struct ConfigLock {
    _file: File,
}

/// Why the lock could not be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockError {
    /// Another window holds it.
    #[error(
        "another Skybridge window (process {pid}) is changing this installation; close it first"
    )]
    Held {
        /// Its process id, as it wrote it (0 when unreadable).
        pid: u32,
    },
    /// The lock file cannot be used.
    #[error("the configuration lock {path} cannot be used: {detail}")]
    Unusable {
        /// The file.
        path: String,
        /// What the system said.
        detail: String,
    },
}

impl ConfigLock {
    /// Takes the lock of the installation in `data`, writing this process's id into it.
    pub fn acquire(data: &Path) -> Result<ConfigLock, LockError> {
        let path = data.join(LOCK_NAME);
        let unusable = |e: std::io::Error| LockError::Unusable {
            path: path.display().to_string(),
            detail: e.to_string(),
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(unusable)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                return Err(LockError::Held {
                    pid: text.trim().parse().unwrap_or(0),
                });
            }
            Err(TryLockError::Error(e)) => return Err(unusable(e)),
        }
        file.set_len(0).map_err(unusable)?;
        file.seek(SeekFrom::Start(0)).map_err(unusable)?;
        write!(file, "{}", std::process::id()).map_err(unusable)?;
        file.flush().map_err(unusable)?;
        Ok(ConfigLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_told_who_holds_it_until_the_first_lets_go() {
        let dir = std::env::temp_dir().join(format!("skybridge-lock-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let first = ConfigLock::acquire(&dir).unwrap();
        assert_eq!(
            ConfigLock::acquire(&dir).unwrap_err(),
            LockError::Held {
                pid: std::process::id()
            }
        );
        drop(first);
        assert!(ConfigLock::acquire(&dir).is_ok());
        let _ = std::fs::remove_dir_all(dir);
    }
}
