//! The Additional tasks page: what the wizard shows when its data folder already holds an
//! installation. The current configuration (locked settings with their reason), staging mode
//! changed through the same change API as `skybridge config apply`, the run history with a
//! chart, the pending exports object by object, and a cycle on request.
//!
//! Owns the page's ids, its slice of the state, the settings a task would apply and the words
//! for what a task did; the work itself is in [`crate::ops`] (`installed`, `sso`, `schema`).

use crate::engine::install::Installation;
use crate::ops::installed::{Installed, ServiceDone};
use crate::ops::sso::SsoMade;
use crate::wizard::probe::{Answer, Probe};
use crate::wizard::{Draft, PageId, Position};
use crate::wizard::{Effect, Msg, Wizard};

/// Field ids of this page.
pub const FIELDS: &[&str] = &[
    PASS_THROUGH_RECORDED,
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
    SERVICE_STALE,
    START_SERVICE,
    START_AGAIN,
    STOP_SERVICE,
    REGISTER,
    UNREGISTER,
    REGISTERED,
    LINGER_NOTE,
    SERVICE_STARTED,
    SERVICE_ENDED,
    SERVICE_REGISTERED,
    SERVICE_UNREGISTERED,
    INSTALLED_SOURCE,
    RELEASES,
    TASK_SCHEMA,
    SCHEMA_HELP,
    REFRESH,
    SCHEMA_FOREST,
    SCHEMA_FIRST,
    SCHEMA_NEW,
    SCHEMA_NOTHING_NEW,
    DOMAIN_ADDED,
    DOMAIN_GONE,
    SCHEMA_APPLIED,
    TASK_SSO,
    SSO_ACCOUNT,
    SSO_NONE,
    SSO_OLD,
    SSO_ADMIN,
    SSO_PASSWORD,
    SSO_RENEW,
    SSO_CREATE,
    SSO_CREATED,
    SSO_RENEWED,
    SSO_HELP,
    TASK_PASSWORDS,
    PASSWORDS_HELP,
    PASSWORDS_AGENT,
    PASSWORDS_NO_AGENT,
    PASSWORDS_COUNTS,
    PASSWORDS_WITHOUT,
    PASSWORDS_FAILURE,
    PASSWORDS_NEW_CODE,
    PASSWORDS_CODE,
    PASSWORDS_INSTALL,
    PASSWORDS_REFRESH,
    TASK_SEARCH,
    SEARCH_BOX,
    SEARCH_HINT,
    SEARCH,
    FOUND,
    HIT_CS,
    HIT_JOINED,
    HIT_NOT_JOINED,
    HIT_DELETED,
    HIT_MV,
    HIT_TENANT,
    HIT_NOT_IN_TENANT,
    HIT_NOT_EXPORTED,
    HIT_ERROR,
    HIT_PENDING,
    TASK_CUSTOMIZE,
    TASK_SIGN_IN,
    TASK_FEDERATION,
    FEDERATION_HELP,
    FEDERATION_START,
    SIGN_IN_HELP,
    SIGN_IN_NOW,
    SIGN_IN_START,
    SSO_IS_ON,
    SSO_IS_OFF,
    CUSTOMIZE_HELP,
    CUSTOMIZE_START,
    TASK_EXPORT,
    EXPORT_TO,
    EXPORTED,
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
pub const MESSAGES: &[&str] = &[
    LOAD_FAILED,
    CHANGE_FAILED,
    CYCLE_FAILED,
    SERVICE_FAILED,
    SEARCH_FAILED,
    SSO_UNREADABLE,
    SSO_FAILED,
    SCHEMA_FAILED,
    PASSWORDS_OFF,
    PASSWORDS_FAILED,
];

/// The installation recorded pass-through authentication, which Skybridge cannot set up.
pub const PASS_THROUGH_RECORDED: &str = "pass_through_recorded";
/// Task: read each forest's domains and schema again.
pub const TASK_SCHEMA: &str = "task_schema";
/// What refreshing does.
pub const SCHEMA_HELP: &str = "schema_help";
/// The refresh button.
pub const REFRESH: &str = "refresh";
/// A forest's schema (`{forest}`, `{attributes}`, `{candidates}`).
pub const SCHEMA_FOREST: &str = "schema_forest";
/// The first refresh: nothing to compare with.
pub const SCHEMA_FIRST: &str = "schema_first";
/// Attributes new since the last refresh (`{names}`).
pub const SCHEMA_NEW: &str = "schema_new";
/// No attribute new since the last refresh.
pub const SCHEMA_NOTHING_NEW: &str = "schema_nothing_new";
/// A new domain (`{domain}`).
pub const DOMAIN_ADDED: &str = "domain_added";
/// A domain gone (`{domain}`).
pub const DOMAIN_GONE: &str = "domain_gone";
/// The domain lists were applied (`{version}`).
pub const SCHEMA_APPLIED: &str = "schema_applied";
/// A forest could not be read, or the refresh failed (detail: why).
pub const SCHEMA_FAILED: &str = "schema_failed";
/// Task: password synchronization's agents and deliveries.
pub const TASK_PASSWORDS: &str = "task_passwords";
/// What the task does.
pub const PASSWORDS_HELP: &str = "passwords_help";
/// An agent (`{name}`, `{last_seen}`, `{version}`, `{revoked}`).
pub const PASSWORDS_AGENT: &str = "passwords_agent";
/// No agent is enrolled.
pub const PASSWORDS_NO_AGENT: &str = "passwords_no_agent";
/// What was delivered since the service started (`{received}`, `{delivered}`, `{failed}`,
/// `{waiting}`, `{staged}`).
pub const PASSWORDS_COUNTS: &str = "passwords_counts";
/// Users no password has reached yet (`{count}`).
pub const PASSWORDS_WITHOUT: &str = "passwords_without";
/// A failure (`{user}`, `{words}`).
pub const PASSWORDS_FAILURE: &str = "passwords_failure";
/// The button that opens an enrolment code.
pub const PASSWORDS_NEW_CODE: &str = "passwords_new_code";
/// The code opened (`{code}`, `{expires}`, `{fingerprint}`).
pub const PASSWORDS_CODE: &str = "passwords_code";
/// The command to run on a domain controller (`{listen}`).
pub const PASSWORDS_INSTALL: &str = "passwords_install";
/// Read the status again.
pub const PASSWORDS_REFRESH: &str = "passwords_refresh";
/// The installation does not synchronize passwords.
pub const PASSWORDS_OFF: &str = "passwords_off";
/// The status or the code could not be had (detail: why).
pub const PASSWORDS_FAILED: &str = "passwords_failed";
/// Task: single sign-on accounts and their keys.
pub const TASK_SSO: &str = "task_sso";
/// What the task does.
pub const SSO_HELP: &str = "sso_help";
/// A forest's account (`{forest}`, `{dn}`, `{date}`, `{days}`).
pub const SSO_ACCOUNT: &str = "sso_account";
/// A forest has no account (`{forest}`).
pub const SSO_NONE: &str = "sso_none";
/// The key is older than it should be (`{days}`).
pub const SSO_OLD: &str = "sso_old";
/// The domain administrator box.
pub const SSO_ADMIN: &str = "sso_admin";
/// Their password box.
pub const SSO_PASSWORD: &str = "sso_password";
/// Renew the key.
pub const SSO_RENEW: &str = "sso_renew";
/// Create the account.
pub const SSO_CREATE: &str = "sso_create";
/// Created (`{dn}`).
pub const SSO_CREATED: &str = "sso_created";
/// Renewed (`{dn}`).
pub const SSO_RENEWED: &str = "sso_renewed";
/// A forest's account could not be read (`{forest}`; detail: why).
pub const SSO_UNREADABLE: &str = "sso_unreadable";
/// Creating or renewing failed (detail: why).
pub const SSO_FAILED: &str = "sso_failed";
/// Turning staging off releases the pending exports (`{n}`).
pub const RELEASES: &str = "releases";
/// Task: search the connector spaces and the metaverse.
pub const TASK_SEARCH: &str = "task_search";
/// The search box.
pub const SEARCH_BOX: &str = "search_box";
/// What can be searched for.
pub const SEARCH_HINT: &str = "search_hint";
/// The search button.
pub const SEARCH: &str = "search";
/// How many were found (`{n}`).
pub const FOUND: &str = "found";
/// A connector-space hit (`{connector}`, `{class}`, `{dn}`).
pub const HIT_CS: &str = "hit_cs";
/// Joined to a metaverse identity (`{id}`).
pub const HIT_JOINED: &str = "hit_joined";
/// Not joined.
pub const HIT_NOT_JOINED: &str = "hit_not_joined";
/// Deleted in the directory.
pub const HIT_DELETED: &str = "hit_deleted";
/// A metaverse hit (`{id}`, `{name}`).
pub const HIT_MV: &str = "hit_mv";
/// Its tenant object (`{id}`).
pub const HIT_TENANT: &str = "hit_tenant";
/// Not in the tenant yet.
pub const HIT_NOT_IN_TENANT: &str = "hit_not_in_tenant";
/// Why it is not exported (`{why}`).
pub const HIT_NOT_EXPORTED: &str = "hit_not_exported";
/// Its last export error (`{error}`).
pub const HIT_ERROR: &str = "hit_error";
/// What the next export changes (`{change}`).
pub const HIT_PENDING: &str = "hit_pending";
/// The search failed (detail: why).
pub const SEARCH_FAILED: &str = "search_failed";
/// Task: change the forests, the scope and the features through the install's pages.
pub const TASK_CUSTOMIZE: &str = "task_customize";
/// What customizing does.
pub const CUSTOMIZE_HELP: &str = "customize_help";
/// Start customizing.
pub const CUSTOMIZE_START: &str = "customize_start";
/// Task: change how people sign in.
pub const TASK_SIGN_IN: &str = "task_sign_in";
/// Task: convert a federated domain back to managed.
pub const TASK_FEDERATION: &str = "task_federation";
/// What converting does.
pub const FEDERATION_HELP: &str = "federation_help";
/// Start: sign in to the tenant and list its federated domains.
pub const FEDERATION_START: &str = "federation_start";
/// What changing sign-in does.
pub const SIGN_IN_HELP: &str = "sign_in_help";
/// The sign-in method in use (`{method}`, `{sso}`).
pub const SIGN_IN_NOW: &str = "sign_in_now";
/// Single sign-on is on.
pub const SSO_IS_ON: &str = "sso_is_on";
/// Single sign-on is off.
pub const SSO_IS_OFF: &str = "sso_is_off";
/// Start changing sign-in.
pub const SIGN_IN_START: &str = "sign_in_start";
/// Task: export the settings.
pub const TASK_EXPORT: &str = "task_export";
/// Choose where to export.
pub const EXPORT_TO: &str = "export_to";
/// Exported (followed by where).
pub const EXPORTED: &str = "exported";
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
/// A service died and left its socket.
pub const SERVICE_STALE: &str = "service_stale";
/// Start the service.
pub const START_SERVICE: &str = "start_service";
/// Start a crashed service again.
pub const START_AGAIN: &str = "start_again";
/// Stop the service.
pub const STOP_SERVICE: &str = "stop_service";
/// Register the service with systemd.
pub const REGISTER: &str = "register";
/// Remove the service's systemd unit.
pub const UNREGISTER: &str = "unregister";
/// The service is registered (`{unit}`).
pub const REGISTERED: &str = "registered";
/// What running with nobody logged in needs.
pub const LINGER_NOTE: &str = "linger_note";
/// The service was started (`{pid}`).
pub const SERVICE_STARTED: &str = "service_started";
/// The service was stopped.
pub const SERVICE_ENDED: &str = "service_ended";
/// The service was registered (`{unit}`).
pub const SERVICE_REGISTERED: &str = "service_registered";
/// The service was unregistered.
pub const SERVICE_UNREGISTERED: &str = "service_unregistered";
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
/// Where a change's values come from (a settings import's source).
pub const INSTALLED_SOURCE: &str = "installed_source";
/// The installation could not be read (detail: why).
pub const LOAD_FAILED: &str = "load_failed";
/// A change was refused or failed (detail: why).
pub const CHANGE_FAILED: &str = "change_failed";
/// A cycle failed (detail: why).
pub const CYCLE_FAILED: &str = "cycle_failed";
/// Starting, stopping or registering the service failed (detail: why).
pub const SERVICE_FAILED: &str = "service_failed";

/// What a service action did, in the page's words.
pub fn service_done(done: &ServiceDone) -> String {
    let words = crate::wizard::text::page(PageId::AdditionalTasks);
    match done {
        ServiceDone::Started { pid } => {
            words.field_with(SERVICE_STARTED, &[("pid", &pid.to_string())])
        }
        ServiceDone::Stopped => words.field(SERVICE_ENDED).to_string(),
        ServiceDone::Registered { unit } => words.field_with(SERVICE_REGISTERED, &[("unit", unit)]),
        ServiceDone::Unregistered => words.field(SERVICE_UNREGISTERED).to_string(),
    }
}

/// What creating or renewing a forest's single sign-on account did, in the page's words.
pub fn sso_done(SsoMade { created, dn }: &SsoMade) -> String {
    let done = if *created { SSO_CREATED } else { SSO_RENEWED };
    crate::wizard::text::page(PageId::AdditionalTasks).field_with(done, &[("dn", dn)])
}

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
    /// Change the forests, scope and features through the pages.
    Customize,
    /// Export the settings for a rebuild.
    Export,
    /// Search the connector spaces and the metaverse.
    Search,
    /// Single sign-on accounts and their keys.
    SingleSignOn,
    /// Password synchronization: agents, deliveries, enrolment codes.
    Passwords,
    /// How people sign in.
    SignIn,
    /// Read each forest's domains and schema again.
    RefreshSchema,
    /// Convert a federated domain back to managed.
    Federation,
}

impl Task {
    /// Every task, in the page's order.
    pub const ALL: [Task; 13] = [
        Task::Configuration,
        Task::Customize,
        Task::SignIn,
        Task::Staging,
        Task::History,
        Task::Pending,
        Task::Search,
        Task::SingleSignOn,
        Task::Passwords,
        Task::RefreshSchema,
        Task::Troubleshoot,
        Task::Export,
        Task::Federation,
    ];

    /// Its field id.
    pub fn field(self) -> &'static str {
        match self {
            Task::Configuration => TASK_CONFIGURATION,
            Task::Staging => TASK_STAGING,
            Task::History => TASK_HISTORY,
            Task::Pending => TASK_PENDING,
            Task::Troubleshoot => TASK_TROUBLESHOOT,
            Task::Customize => TASK_CUSTOMIZE,
            Task::SignIn => TASK_SIGN_IN,
            Task::Export => TASK_EXPORT,
            Task::Search => TASK_SEARCH,
            Task::SingleSignOn => TASK_SSO,
            Task::Passwords => TASK_PASSWORDS,
            Task::RefreshSchema => TASK_SCHEMA,
            Task::Federation => TASK_FEDERATION,
        }
    }
}

/// Which walk through the install's pages changes an installation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Change {
    /// Forests, scope, features, attributes and extensions.
    #[default]
    SyncOptions,
    /// How people sign in, and seamless single sign-on.
    SignIn,
    /// The tenant's federated domains, to convert back to managed.
    Federation,
}

/// What the administrator has chosen on the page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TasksDraft {
    /// The task shown.
    pub task: Task,
    /// Staging mode as ticked (`None`: as installed).
    pub staging: Option<bool>,
    /// The install's pages are open to change the installation (the walk is [`Self::change`]).
    pub customizing: bool,
    /// Which walk.
    pub change: Change,
    /// The text in the search box.
    pub search: String,
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

/// Applies a message of this page (the wizard hands each message to the page that owns it).
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    // Every task's probe works on the installation in the data folder.
    let data = w.draft.data_dir.clone();
    match msg {
        Msg::ChooseTask(task) => w.draft.tasks.task = task,
        Msg::SetTaskStaging(on) => w.draft.tasks.staging = Some(on),
        Msg::ApplyTaskChange => {
            let Some(Ok(installed)) = &w.facts.installed else {
                return Vec::new();
            };
            let Some(settings) = staging_change(&w.draft, installed) else {
                return Vec::new();
            };
            w.facts.task_change = None;
            let settings = Box::new(settings);
            return vec![
                w.operate(crate::wizard::operation::Operation::ApplyChange { data, settings }),
            ];
        }
        Msg::RunCycleNow => {
            w.facts.task_cycle = None;
            return vec![w.operate(crate::wizard::operation::Operation::RunCycle { data })];
        }
        Msg::ServiceAction(action) => {
            w.facts.service_action = None;
            return vec![w.operate(crate::wizard::operation::Operation::Service { data, action })];
        }
        Msg::BeginChange(change) => {
            w.draft.tasks.change = change;
            w.facts.task_change = None;
            return vec![w.ask(Probe::ReadForChange { data })];
        }
        Msg::ReadSsoStates => return vec![w.ask(Probe::SsoStates { data })],
        Msg::ReadPasswordStatus => return vec![w.ask(Probe::PasswordStatus { data })],
        Msg::NewEnrolmentCode => {
            w.facts.enrolment_code = None;
            return vec![w.operate(crate::wizard::operation::Operation::NewEnrolmentCode { data })];
        }
        Msg::RefreshSchema => {
            w.facts.schema_refresh = None;
            return vec![w.operate(crate::wizard::operation::Operation::RefreshSchema { data })];
        }
        Msg::RenewSso(forest) => {
            let entry = crate::wizard::state::sso::entry(&w.draft, &forest);
            let (account, password) = (entry.account.clone(), entry.password.clone());
            w.facts.sso_renewed.remove(&forest);
            return vec![w.operate(crate::wizard::operation::Operation::RenewSso {
                data,
                forest,
                account,
                password,
            })];
        }
        Msg::SetTaskSearch(text) => w.draft.tasks.search = text,
        Msg::SearchInstalled => {
            let text = w.draft.tasks.search.trim().to_string();
            if text.is_empty() {
                return Vec::new();
            }
            return vec![w.ask(Probe::Search { data, text })];
        }
        Msg::ExportInstalledTo(path) => {
            w.facts.export = None;
            return vec![
                w.operate(crate::wizard::operation::Operation::ExportInstalled { data, path }),
            ];
        }
        Msg::RunChecks => {
            w.facts.checks = None;
            return vec![w.ask(Probe::Troubleshoot { data })];
        }
        Msg::RefreshInstalled => return w.reload_installed(),
        // Messages of other pages never come here.
        _ => {}
    }
    Vec::new()
}

/// Takes a probe's answer for this page (already checked to be the awaited one).
pub(crate) fn answered(w: &mut Wizard, result: Answer) -> Vec<Effect> {
    match result {
        Answer::Installed(outcome) => w.facts.installed = Some(outcome),
        Answer::TaskChanged(outcome) => {
            if outcome.is_ok() {
                w.draft.tasks.staging = None;
                if w.draft.tasks.customizing {
                    w.end_customizing();
                    w.draft.tasks.task = Task::Configuration;
                }
            }
            w.facts.task_change = Some(outcome);
            return w.reload_installed();
        }
        Answer::Checks(outcome) => w.facts.checks = Some(outcome),
        Answer::Found(outcome) => w.facts.found = Some(outcome),
        Answer::SchemaRefreshed(outcome) => {
            w.facts.schema_refresh = Some(outcome);
            return w.reload_installed();
        }
        Answer::SsoStates(outcome) => w.facts.sso_states = Some(outcome),
        Answer::PasswordStatus(outcome) => w.facts.password_status = Some(outcome),
        Answer::EnrolmentCode(outcome) => w.facts.enrolment_code = Some(outcome),
        Answer::SsoRenewed(forest, outcome) => {
            let done = outcome.is_ok();
            w.facts.sso_renewed.insert(forest, outcome);
            if done {
                return w.apply_msg(Msg::ReadSsoStates);
            }
        }
        Answer::ForChange(Ok(imported)) => {
            w.draft.tasks.customizing = true;
            w.position = Position::Page(PageId::ConnectTenant);
            return w.apply_msg(Msg::ImportSettings(imported));
        }
        Answer::ForChange(Err(why)) => w.facts.task_change = Some(Err(why)),
        Answer::ServiceDone(outcome) => {
            w.facts.service_action = Some(outcome);
            return w.reload_installed();
        }
        Answer::TaskCycle(outcome) => {
            w.facts.task_cycle = Some(outcome);
            return w.reload_installed();
        }
        // Answers for other pages never come here.
        _ => {}
    }
    Vec::new()
}

impl Wizard {
    /// Leaves the customizing walk for Additional tasks; what it entered is dropped.
    pub(crate) fn end_customizing(&mut self) {
        self.draft.tasks.customizing = false;
        self.facts.import = None;
        self.position = Position::Page(PageId::AdditionalTasks);
    }

    /// Reads the installed configuration again (Additional tasks).
    pub(crate) fn reload_installed(&mut self) -> Vec<Effect> {
        let data = self.draft.data_dir.clone();
        vec![self.ask(Probe::LoadInstalled { data })]
    }
}
