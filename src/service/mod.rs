//! The installed service and its control channel.
//!
//! - [`protocol`]: the typed requests and answers (JSON lines over a Unix socket in the data
//!   folder, owner-only).
//! - [`server`]: `skybridge service run`, the one process that holds the store, runs the
//!   scheduled cycles and answers requests.
//! - [`lock`]: the configuration lock, so that one window at a time changes an installation.
//! - [`client`]: asking it from the CLI or the GUI, and telling a stopped service from a crashed
//!   one.
//! - [`launch`]: starting it detached (or through its service manager) and stopping it.
//! - [`systemd`]: registering it as a systemd user unit.

pub mod client;
pub mod launch;
pub mod lock;
pub mod protocol;
#[cfg(unix)]
pub mod server;
pub mod systemd;

use std::path::{Path, PathBuf};

use crate::engine::config::{Applied, ChangeError};
use crate::engine::install::Installation;

/// Applies changed settings to the installation in `data` — what the Additional tasks pages and
/// `skybridge config apply` do. With a service running, the service applies them and starts
/// the cycle they need at once; with none, they are applied to the store here and the next
/// cycle (full when the scope or the rules changed) picks them up. Locked settings are refused
/// either way, and a change that fails leaves the previous settings in use.
pub fn change_settings(data: &Path, new: &Installation) -> Result<Applied, ChangeError> {
    use client::{Reach, ask};
    use protocol::{Request, Response};
    let request = Request::ApplySettings {
        settings: Box::new(new.clone()),
    };
    match ask(data, &request).map_err(|e| ChangeError::Failed(e.to_string()))? {
        Reach::Answer(Response::Applied(applied)) => Ok(applied),
        Reach::Answer(Response::Refused(locked)) => Err(ChangeError::Locked(locked)),
        Reach::Answer(Response::Failed(why)) => Err(ChangeError::Failed(why)),
        Reach::Answer(other) => Err(ChangeError::Failed(format!(
            "unexpected answer from the service: {other:?}"
        ))),
        Reach::NotRunning | Reach::Stale => {
            let store = crate::engine::install::open_store(data)
                .map_err(|e| ChangeError::Failed(e.to_string()))?;
            crate::engine::config::apply_change(&store, data, new, crate::clock::unix_now())
        }
    }
}

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
