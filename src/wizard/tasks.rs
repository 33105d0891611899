//! The Additional tasks page: what the wizard shows when its data folder already holds an
//! installation. The current configuration (locked settings with their reason), staging mode
//! changed through the same change API as `skybridge config apply`, the run history with a
//! chart, the pending exports object by object, and a cycle on request.
//!
//! Owns the page's ids, what is loaded from the installation (through its running service, or
//! from the store when none runs), and the settings a task would apply.

use serde::Serialize;

use super::Draft;
use crate::engine::config::SettingsVersion;
use crate::engine::install::Installation;
use crate::engine::model::{PendingExport, RunRecord};
use crate::service::protocol::Status;

/// Field ids of this page.
pub const FIELDS: &[&str] = &[
    TASK_CONFIGURATION,
    TASK_STAGING,
    TASK_HISTORY,
    TASK_PENDING,
    TASK_TROUBLESHOOT,
    RUN_CHECKS,
    CHECK_PASS,
    CHECK_WARN,
    CHECK_FAIL,
    SERVICE_RUNNING,
    SERVICE_STOPPED,
    LOADING,
    SETTING,
    VALUE,
    LOCKED,
    FORESTS,
    SCOPE,
    ANCHOR,
    MATCHING,
    PILOT,
    STAGING,
    STAGING_BOX,
    CHANGES,
    NO_CHANGES,
    APPLY,
    APPLIED,
    RUN_NOW,
    CYCLE_DONE,
    NOTHING_PENDING,
    HISTORY_CHART,
    ADDS,
    UPDATES,
    DELETES,
    VERSION,
];
/// Message ids of this page.
pub const MESSAGES: &[&str] = &[LOAD_FAILED, CHANGE_FAILED, CYCLE_FAILED];

/// Task: the settings in use.
pub const TASK_CONFIGURATION: &str = "task_configuration";
/// Task: staging mode.
pub const TASK_STAGING: &str = "task_staging";
/// Task: run history.
pub const TASK_HISTORY: &str = "task_history";
/// Task: pending exports.
pub const TASK_PENDING: &str = "task_pending";
/// Task: the troubleshooting checklist.
pub const TASK_TROUBLESHOOT: &str = "task_troubleshoot";
/// Run the checks.
pub const RUN_CHECKS: &str = "run_checks";
/// A check passed.
pub const CHECK_PASS: &str = "check_pass";
/// A check deserves a look.
pub const CHECK_WARN: &str = "check_warn";
/// A check failed.
pub const CHECK_FAIL: &str = "check_fail";
/// The service runs (`{pid}`).
pub const SERVICE_RUNNING: &str = "service_running";
/// No service runs.
pub const SERVICE_STOPPED: &str = "service_stopped";
/// Reading the installation.
pub const LOADING: &str = "loading";
/// Column: setting.
pub const SETTING: &str = "setting";
/// Column: value.
pub const VALUE: &str = "value";
/// A setting that cannot change after install (before its reason).
pub const LOCKED: &str = "locked";
/// Row: forests.
pub const FORESTS: &str = "forests";
/// Row: scope.
pub const SCOPE: &str = "scope";
/// Row: sourceAnchor.
pub const ANCHOR: &str = "anchor";
/// Row: matching.
pub const MATCHING: &str = "matching";
/// Row: group-based filtering.
pub const PILOT: &str = "pilot";
/// Row: staging mode.
pub const STAGING: &str = "staging";
/// The staging mode box.
pub const STAGING_BOX: &str = "staging_box";
/// Heading of the changes a task would make.
pub const CHANGES: &str = "changes";
/// Nothing would change.
pub const NO_CHANGES: &str = "no_changes";
/// Apply the change.
pub const APPLY: &str = "apply";
/// Applied (`{version}`).
pub const APPLIED: &str = "applied";
/// Run a cycle now.
pub const RUN_NOW: &str = "run_now";
/// A cycle ran, or was started in the service.
pub const CYCLE_DONE: &str = "cycle_done";
/// No pending export.
pub const NOTHING_PENDING: &str = "nothing_pending";
/// The chart's title.
pub const HISTORY_CHART: &str = "history_chart";
/// Adds (chart legend and columns).
pub const ADDS: &str = "adds";
/// Updates.
pub const UPDATES: &str = "updates";
/// Deletes.
pub const DELETES: &str = "deletes";
/// Settings version (`{version}`).
pub const VERSION: &str = "version";
/// The installation could not be read (detail: why).
pub const LOAD_FAILED: &str = "load_failed";
/// A change was refused or failed (detail: why).
pub const CHANGE_FAILED: &str = "change_failed";
/// A cycle failed (detail: why).
pub const CYCLE_FAILED: &str = "cycle_failed";

/// One task of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Task {
    /// The settings in use, locked ones with their reason.
    #[default]
    Configuration,
    /// Turn staging mode on or off.
    Staging,
    /// Runs, with a chart.
    History,
    /// What the next export would change.
    Pending,
    /// The troubleshooting checklist.
    Troubleshoot,
}

impl Task {
    /// Every task, in the page's order.
    pub const ALL: [Task; 5] = [
        Task::Configuration,
        Task::Staging,
        Task::History,
        Task::Pending,
        Task::Troubleshoot,
    ];

    /// Its field id.
    pub fn field(self) -> &'static str {
        match self {
            Task::Configuration => TASK_CONFIGURATION,
            Task::Staging => TASK_STAGING,
            Task::History => TASK_HISTORY,
            Task::Pending => TASK_PENDING,
            Task::Troubleshoot => TASK_TROUBLESHOOT,
        }
    }
}

/// What the administrator has chosen on the page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TasksDraft {
    /// The task shown.
    pub task: Task,
    /// Staging mode as ticked (`None`: as installed).
    pub staging: Option<bool>,
}

/// What was read of the installation.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Installed {
    /// The settings in use.
    pub settings: Installation,
    /// The running service, if one answers.
    pub service: Option<Status>,
    /// The run history.
    pub history: Vec<RunRecord>,
    /// What the next export would change.
    pub pending: Vec<PendingExport>,
    /// Applied settings versions.
    pub versions: Vec<SettingsVersion>,
}

/// Reads the installation in `data`: through its service when one runs (it holds the store),
/// else from the store. Blocking.
pub fn load(data: &std::path::Path) -> Result<Installed, String> {
    use crate::service::client::{Reach, ask};
    use crate::service::protocol::{Request, Response};
    let settings = Installation::load(data).map_err(|e| e.to_string())?;
    let asked = |request: Request| -> Result<Option<Response>, String> {
        match ask(data, &request).map_err(|e| e.to_string())? {
            Reach::Answer(Response::Failed(why)) => Err(why),
            Reach::Answer(answer) => Ok(Some(answer)),
            Reach::NotRunning | Reach::Stale => Ok(None),
        }
    };
    if let Some(Response::Status(status)) = asked(Request::Status)? {
        let history = match asked(Request::History)? {
            Some(Response::History(h)) => h,
            _ => Vec::new(),
        };
        let pending = match asked(Request::Pending)? {
            Some(Response::Pending(p)) => p,
            _ => Vec::new(),
        };
        let versions = match asked(Request::SettingsHistory)? {
            Some(Response::SettingsHistory(v)) => v,
            _ => Vec::new(),
        };
        return Ok(Installed {
            settings,
            service: Some(status),
            history,
            pending,
            versions,
        });
    }
    let store = crate::engine::install::open_store(data).map_err(|e| e.to_string())?;
    Ok(Installed {
        settings,
        service: None,
        history: crate::engine::run::history(&store).map_err(|e| e.to_string())?,
        pending: crate::engine::sync::pending_exports(&store).map_err(|e| e.to_string())?,
        versions: crate::engine::config::versions(&store).map_err(|e| e.to_string())?,
    })
}

/// Runs a cycle: the service's, when one runs (it is asked to start one now), else one here.
/// Blocking. Says what happened.
pub fn run_cycle(data: &std::path::Path) -> Result<String, String> {
    use crate::service::client::{Reach, ask};
    use crate::service::protocol::{Request, Response};
    match ask(data, &Request::RunNow { full: false }).map_err(|e| e.to_string())? {
        Reach::Answer(Response::Queued) => Ok(String::new()),
        Reach::Answer(Response::Failed(why)) => Err(why),
        Reach::Answer(other) => Err(format!("unexpected answer from the service: {other:?}")),
        Reach::NotRunning | Reach::Stale => crate::engine::install::run_cycle(data, false)
            .map(|records| super::apply::summarize(&records))
            .map_err(|e| e.to_string()),
    }
}

/// Runs the troubleshooting checklist: the service's, when one runs, else here. Blocking.
pub fn troubleshoot(
    data: &std::path::Path,
) -> Result<Vec<crate::engine::troubleshoot::Check>, String> {
    use crate::service::client::{Reach, ask};
    use crate::service::protocol::{Request, Response};
    match ask(data, &Request::Troubleshoot).map_err(|e| e.to_string())? {
        Reach::Answer(Response::Checks(checks)) => Ok(checks),
        Reach::Answer(Response::Failed(why)) => Err(why),
        Reach::Answer(other) => Err(format!("unexpected answer from the service: {other:?}")),
        Reach::NotRunning | Reach::Stale => {
            let store = crate::engine::install::open_store(data).map_err(|e| e.to_string())?;
            let history = crate::engine::run::history(&store).map_err(|e| e.to_string())?;
            Ok(crate::engine::troubleshoot::run(data, &store, &history))
        }
    }
}

/// The settings the Staging task would apply, if they differ from the ones in use.
pub fn staging_change(draft: &Draft, installed: &Installed) -> Option<Installation> {
    let wanted = draft.tasks.staging?;
    (wanted != installed.settings.sync.staging).then(|| {
        let mut new = installed.settings.clone();
        new.sync.staging = wanted;
        new
    })
}
