//! Work on an installed system, for the wizard's Additional tasks and the command line alike.
//!
//! The running service holds the installation's store, so every read and every cycle goes
//! through it when it runs; with none running the store is opened here. That rule is written
//! once, in [`service_or_store`]: the search, the run history, the pending exports, the
//! settings versions, the troubleshooting checklist and a cycle all follow it. Every function
//! here blocks (call it off a window's drawing thread).

use std::path::Path;

use crate::engine::config::SettingsVersion;
use crate::engine::install::{InstallError, Installation};
use crate::engine::model::{PendingExport, RunRecord};
use crate::engine::search::Hit;
use crate::engine::troubleshoot::Check;
use crate::service::ServiceError;
use crate::service::client::{Reach, ask};
use crate::service::protocol::{Request, Response, Status};
use crate::store::{Store, StoreError};

/// How many hits a search returns, in the wizard and on the command line.
pub const SEARCH_LIMIT: usize = 200;

/// Why an operation on an installed system could not be done.
#[derive(Debug, thiserror::Error)]
pub enum InstalledError {
    /// The installation's settings or keychain.
    #[error(transparent)]
    Install(#[from] InstallError),
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Talking to the service.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// The running service tried and could not.
    #[error("the service could not: {0}")]
    Refused(String),
    /// The service answered something else than the question asked for.
    #[error("unexpected answer from the service: {0}")]
    Unexpected(String),
    /// A forest could not be read or changed.
    #[error(transparent)]
    Directory(#[from] crate::directory::DirectoryError),
    /// A settings change was refused.
    #[error(transparent)]
    Change(#[from] crate::engine::config::ChangeError),
    /// A file could not be written.
    #[error("{0}")]
    File(String),
}

/// Asks the service of the installation in `data` when one runs: its answer, or `None` when
/// none runs (or one died and left its socket).
pub fn via_service(data: &Path, request: &Request) -> Result<Option<Response>, InstalledError> {
    match ask(data, request)? {
        Reach::Answer(Response::Failed(why)) => Err(InstalledError::Refused(why)),
        Reach::Answer(answer) => Ok(Some(answer)),
        Reach::NotRunning | Reach::Stale => Ok(None),
    }
}

/// The one rule: asks the running service with `request` and takes its answer through
/// `answer` (which hands back an answer of another kind); with no service running, opens the
/// store and calls `here` on it.
pub fn service_or_store<T>(
    data: &Path,
    request: Request,
    answer: impl FnOnce(Response) -> Result<T, Response>,
    here: impl FnOnce(&dyn Store) -> Result<T, InstalledError>,
) -> Result<T, InstalledError> {
    match via_service(data, &request)? {
        // Only an unexpected answer is described: a search's hits are not formatted each time.
        Some(response) => {
            answer(response).map_err(|other| InstalledError::Unexpected(format!("{other:?}")))
        }
        None => {
            let store = crate::engine::install::open_store(data)?;
            here(&*store)
        }
    }
}

/// Finds objects in the connector spaces and the metaverse (at most [`SEARCH_LIMIT`]).
pub fn search(data: &Path, text: &str) -> Result<Vec<Hit>, InstalledError> {
    let request = Request::Search {
        text: text.to_string(),
        limit: SEARCH_LIMIT,
    };
    service_or_store(
        data,
        request,
        |r| match r {
            Response::Found(hits) => Ok(hits),
            other => Err(other),
        },
        |store| Ok(crate::engine::search::search(store, text, SEARCH_LIMIT)?),
    )
}

/// The troubleshooting checklist.
pub fn troubleshoot(data: &Path) -> Result<Vec<Check>, InstalledError> {
    service_or_store(
        data,
        Request::Troubleshoot,
        |r| match r {
            Response::Checks(checks) => Ok(checks),
            other => Err(other),
        },
        |store| {
            let history = crate::engine::run::history(store)?;
            Ok(crate::engine::troubleshoot::run(data, store, &history))
        },
    )
}

/// The run history, oldest first.
pub fn history(data: &Path) -> Result<Vec<RunRecord>, InstalledError> {
    service_or_store(
        data,
        Request::History,
        |r| match r {
            Response::History(h) => Ok(h),
            other => Err(other),
        },
        |store| Ok(crate::engine::run::history(store)?),
    )
}

/// What the next export would change.
pub fn pending(data: &Path) -> Result<Vec<PendingExport>, InstalledError> {
    service_or_store(
        data,
        Request::Pending,
        |r| match r {
            Response::Pending(p) => Ok(p),
            other => Err(other),
        },
        |store| Ok(crate::engine::sync::pending_exports(store)?),
    )
}

/// Every applied settings version, oldest first.
pub fn settings_versions(data: &Path) -> Result<Vec<SettingsVersion>, InstalledError> {
    service_or_store(
        data,
        Request::SettingsHistory,
        |r| match r {
            Response::SettingsHistory(v) => Ok(v),
            other => Err(other),
        },
        |store| Ok(crate::engine::config::versions(store)?),
    )
}

/// What asking for a cycle did.
#[derive(Debug, Clone)]
pub enum Cycle {
    /// The running service starts it now (follow it in its status and history).
    Queued,
    /// It ran here, with these runs.
    Ran(Vec<RunRecord>),
}

/// Runs a cycle (a full one when `full`): the service's, when one runs, else one here.
pub fn run_cycle(data: &Path, full: bool) -> Result<Cycle, InstalledError> {
    match via_service(data, &Request::RunNow { full })? {
        Some(Response::Queued) => Ok(Cycle::Queued),
        Some(other) => Err(InstalledError::Unexpected(format!("{other:?}"))),
        None => Ok(Cycle::Ran(crate::engine::install::run_cycle(data, full)?)),
    }
}

/// Applies new settings as a settings version (through the service when it runs).
pub fn change_settings(
    data: &Path,
    new: &Installation,
) -> Result<crate::engine::config::Applied, InstalledError> {
    Ok(crate::service::change_settings(data, new)?)
}

/// What was read of an installation for Additional tasks.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Installed {
    /// The settings in use.
    pub settings: Installation,
    /// The running service, if one answers.
    pub service: Option<Status>,
    /// No service answers, but one left its socket: it stopped unexpectedly.
    pub stale: bool,
    /// The service's systemd unit, when it is registered.
    pub registered: Option<String>,
    /// The run history.
    pub history: Vec<RunRecord>,
    /// What the next export would change.
    pub pending: Vec<PendingExport>,
    /// Applied settings versions.
    pub versions: Vec<SettingsVersion>,
}

/// Reads the installation in `data`: through its service when one runs (it holds the store),
/// else from the store.
pub fn load(data: &Path) -> Result<Installed, InstalledError> {
    let settings = Installation::load(data)?;
    let manager = crate::service::systemd::UserManager::from_env();
    let registered = manager
        .is_registered(data)
        .then(|| crate::service::systemd::unit_name(data));
    // One question tells a running service, none, and one that died leaving its socket.
    let status = ask(data, &Request::Status)?;
    let stale = status == Reach::Stale;
    if let Reach::Answer(Response::Status(status)) = status {
        let history = match via_service(data, &Request::History)? {
            Some(Response::History(h)) => h,
            _ => Vec::new(),
        };
        let pending = match via_service(data, &Request::Pending)? {
            Some(Response::Pending(p)) => p,
            _ => Vec::new(),
        };
        let versions = match via_service(data, &Request::SettingsHistory)? {
            Some(Response::SettingsHistory(v)) => v,
            _ => Vec::new(),
        };
        return Ok(Installed {
            settings,
            service: Some(status),
            stale: false,
            registered,
            history,
            pending,
            versions,
        });
    }
    // A service that has just crashed closes its socket a moment before the system lets go of
    // its store: give it that moment.
    let mut tries = if stale { 20 } else { 1 };
    let store = loop {
        tries -= 1;
        match crate::engine::install::open_store(data) {
            Ok(store) => break store,
            Err(e) if tries == 0 => return Err(e.into()),
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(100)),
        }
    };
    Ok(Installed {
        settings,
        service: None,
        stale,
        registered,
        history: crate::engine::run::history(&store)?,
        pending: crate::engine::sync::pending_exports(&store)?,
        versions: crate::engine::config::versions(&store)?,
    })
}

/// Something done to the installation's service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceAction {
    /// Start it in the background (through systemd when registered); also after a crash.
    Start,
    /// Stop it after its running cycle.
    Stop,
    /// Register it with systemd, which starts it.
    Register,
    /// Stop it and remove its systemd unit.
    Unregister,
}

/// What a [`ServiceAction`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceDone {
    /// Started, as this process.
    Started {
        /// Its process id.
        pid: u32,
    },
    /// Stopped.
    Stopped,
    /// Registered as this systemd unit (and started).
    Registered {
        /// The unit's name.
        unit: String,
    },
    /// Unregistered.
    Unregistered,
}

/// Carries out `action` on the service of the installation in `data`.
pub fn service_action(data: &Path, action: ServiceAction) -> Result<ServiceDone, InstalledError> {
    use crate::service::{launch, systemd};
    let manager = systemd::UserManager::from_env();
    Ok(match action {
        ServiceAction::Start => ServiceDone::Started {
            pid: launch::bring_up(data, false)?.pid(),
        },
        ServiceAction::Stop => {
            launch::stop(data, &manager)?;
            ServiceDone::Stopped
        }
        ServiceAction::Register => {
            launch::bring_up(data, true)?;
            ServiceDone::Registered {
                unit: systemd::unit_name(data),
            }
        }
        ServiceAction::Unregister => {
            manager.unregister(data)?;
            ServiceDone::Unregistered
        }
    })
}
