//! The installed service and its control channel.
//!
//! - [`protocol`]: the typed requests and answers (JSON lines over a Unix socket in the data
//!   folder, owner-only).
//! - [`server`]: `skybridge service run`, the one process that holds the store, runs the
//!   scheduled cycles and answers requests.
//! - [`client`]: asking it from the CLI or the GUI, and telling a stopped service from a crashed
//!   one.

pub mod client;
pub mod protocol;
#[cfg(unix)]
pub mod server;

use std::path::PathBuf;

/// What can go wrong with the service.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A service already runs for this folder.
    #[error(
        "a Skybridge service already runs for {data} (process {pid}); stop it with `skybridge service stop`"
    )]
    AlreadyRunning {
        /// The data folder.
        data: PathBuf,
        /// Its process id.
        pid: u32,
    },
    /// The installation cannot be used.
    #[error(transparent)]
    Install(#[from] crate::engine::install::InstallError),
    /// Talking to the socket or the system failed.
    #[error("{what}: {detail}")]
    Io {
        /// What was being done.
        what: String,
        /// What the system said.
        detail: String,
    },
    /// Not on this platform yet.
    #[error(
        "the Skybridge service and its control channel need a Unix system in this build (a named pipe for Windows comes later)"
    )]
    Unsupported,
}
