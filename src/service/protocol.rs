//! The control channel's typed requests and answers: one JSON object per line, one request per
//! connection. Only the owner of the data folder can connect (the socket is `0600`).

use serde::{Deserialize, Serialize};

use crate::engine::model::{PendingExport, RunRecord};
use crate::engine::search::Hit;

/// The socket's file name in the data folder.
pub const SOCKET_NAME: &str = "skybridge.sock";

/// A request to the running service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "request")]
pub enum Request {
    /// What the service is doing.
    Status,
    /// Run a cycle now (after the running one, if any).
    RunNow {
        /// A full cycle (full import and synchronization) instead of a delta one.
        full: bool,
    },
    /// What the next export would change.
    Pending,
    /// The run history.
    History,
    /// Objects of the connector spaces and the metaverse matching a text.
    Search {
        /// The text.
        text: String,
        /// At most this many.
        limit: usize,
    },
    /// Every applied settings version.
    SettingsHistory,
    /// Run the troubleshooting checklist against the live installation.
    Troubleshoot,
    /// Apply changed settings (the scope, staging mode, …) to the running installation.
    ApplySettings {
        /// The whole new settings (as in `settings.json`; no secrets).
        settings: Box<crate::engine::install::Installation>,
    },
    /// Stop after the running cycle.
    Stop,
    /// Password synchronization's status.
    PasswordStatus,
}

/// What the service is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// The service's process id.
    pub pid: u32,
    /// Its data folder.
    pub data_dir: String,
    /// A cycle is running now.
    pub cycle_running: bool,
    /// Cycles finished since the service started.
    pub cycles_done: u64,
    /// How the last cycle ended (`None` before the first one ends).
    pub last_cycle: Option<CycleOutcome>,
    /// Minutes between scheduled cycles.
    pub interval_minutes: u64,
    /// Staging mode: nothing is exported.
    pub staging: bool,
    /// Changes waiting for the next export.
    pub pending_exports: usize,
}

/// How a cycle ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CycleOutcome {
    /// When it ended, seconds since the Unix epoch.
    pub ended: u64,
    /// Whether it was a full cycle.
    pub full: bool,
    /// `None` when it completed; else what went wrong.
    pub error: Option<String>,
}

/// An answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "answer", content = "value")]
pub enum Response {
    /// [`Request::Status`].
    Status(Status),
    /// [`Request::RunNow`]: the cycle is queued.
    Queued,
    /// [`Request::Pending`].
    Pending(Vec<PendingExport>),
    /// [`Request::History`].
    History(Vec<RunRecord>),
    /// [`Request::Search`].
    Found(Vec<Hit>),
    /// [`Request::Troubleshoot`].
    Checks(Vec<crate::engine::troubleshoot::Check>),
    /// [`Request::SettingsHistory`].
    SettingsHistory(Vec<crate::engine::config::SettingsVersion>),
    /// [`Request::ApplySettings`]: applied as this version; a cycle follows.
    Applied(crate::engine::config::Applied),
    /// [`Request::ApplySettings`]: refused, because these settings cannot change after install.
    Refused(Vec<crate::engine::config::Locked>),
    /// [`Request::Stop`]: the service stops after the running cycle.
    Stopping,
    /// [`Request::PasswordStatus`].
    Passwords(Box<crate::passwords::service::PasswordStatus>),
    /// The request could not be carried out.
    Failed(String),
}
