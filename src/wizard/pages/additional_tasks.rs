//! The Additional tasks page: what the wizard shows when its data folder already holds an
//! installation. The current configuration (locked settings with their reason), staging mode
//! changed through the same change API as `skybridge config apply`, the run history with a
//! chart, the pending exports object by object, and a cycle on request.
//!
//! Owns the page's ids, what is loaded from the installation (through its running service, or
//! from the store when none runs), and the settings a task would apply.

use crate::engine::install::Installation;
use crate::wizard::Draft;
use crate::wizard::probe::ProbeResult;
use crate::wizard::{Effect, Msg, Wizard};

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
];

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

pub use crate::ops::installed::{Installed, SEARCH_LIMIT, ServiceAction};

/// What a service action did, in the page's words.
pub fn service_done(done: &crate::ops::installed::ServiceDone) -> String {
    use crate::ops::installed::ServiceDone;
    let words = crate::wizard::text::page(crate::wizard::PageId::AdditionalTasks);
    match done {
        ServiceDone::Started { pid } => {
            words.field_with(SERVICE_STARTED, &[("pid", &pid.to_string())])
        }
        ServiceDone::Stopped => words.field(SERVICE_ENDED).to_string(),
        ServiceDone::Registered { unit } => words.field_with(SERVICE_REGISTERED, &[("unit", unit)]),
        ServiceDone::Unregistered => words.field(SERVICE_UNREGISTERED).to_string(),
    }
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
    /// How people sign in.
    SignIn,
    /// Read each forest's domains and schema again.
    RefreshSchema,
    /// Convert a federated domain back to managed.
    Federation,
}

impl Task {
    /// Every task, in the page's order.
    pub const ALL: [Task; 12] = [
        Task::Configuration,
        Task::Customize,
        Task::SignIn,
        Task::Staging,
        Task::History,
        Task::Pending,
        Task::Search,
        Task::SingleSignOn,
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

/// A forest's single sign-on account as the Manage single sign-on task read it.
#[derive(Debug, Clone)]
pub struct SsoForest {
    /// The forest (its connector).
    pub forest: String,
    /// The account (`None`: the forest has none), or why it could not be read.
    pub state: Result<Option<crate::directory::sso::SsoState>, String>,
    /// Days since its key was set, when known.
    pub key_age_days: Option<i64>,
}

/// The single sign-on key should be renewed at least this often (days).
pub const SSO_KEY_DAYS: i64 = 30;

/// Reads each forest's single sign-on account with its connector account. Blocking.
pub fn sso_states(data: &std::path::Path) -> Result<Vec<SsoForest>, String> {
    let installed = Installation::load(data).map_err(|e| e.to_string())?;
    let now = crate::clock::unix_now() as i64;
    Ok(installed
        .directories
        .iter()
        .map(|d| {
            let state = installed
                .root_domain(&d.connector)
                .ok_or_else(|| format!("{} has no domain in the settings", d.connector))
                .and_then(|nc| {
                    let mut session = installed.directory_session(d).map_err(|e| e.to_string())?;
                    let state =
                        crate::directory::sso::state(&mut session, &nc).map_err(|e| e.to_string());
                    session.close();
                    state
                });
            let key_age_days = match &state {
                Ok(Some(s)) => s.key_set.map(|set| (now - set).max(0) / 86_400),
                _ => None,
            };
            SsoForest {
                forest: d.connector.clone(),
                state,
                key_age_days,
            }
        })
        .collect())
}

/// Creates a forest's single sign-on account, or gives it a new key, signed in as a domain
/// administrator of the forest root (checked first; their password is not kept). Blocking.
/// Says what was done, in the page's words.
pub fn renew_sso(
    data: &std::path::Path,
    forest: &str,
    account: &str,
    password: &crate::secret::Secret,
) -> Result<String, String> {
    let installed = Installation::load(data).map_err(|e| e.to_string())?;
    let d = installed
        .directories
        .iter()
        .find(|d| d.connector == forest)
        .ok_or_else(|| format!("{forest} is not connected to this installation"))?;
    let nc = installed
        .root_domain(forest)
        .ok_or_else(|| format!("{forest} has no domain in the settings"))?;
    let server = d.server_spec().map_err(|e| e.to_string())?;
    let account =
        crate::directory::AccountName::parse(account.trim()).map_err(|e| e.to_string())?;
    crate::ops::discover::verify_sso_admin(&server, &account, password)
        .map_err(|e| e.to_string())?;
    let mut session =
        crate::directory::Session::open(&server, &account, password).map_err(|e| e.to_string())?;
    let made = crate::directory::sso::ensure_account(&mut session, &nc);
    session.close();
    let made = made.map_err(|e| e.to_string())?;
    let words = crate::wizard::text::page(crate::wizard::PageId::AdditionalTasks);
    let done = if made.created {
        SSO_CREATED
    } else {
        SSO_RENEWED
    };
    Ok(words.field_with(done, &[("dn", &made.dn)]))
}

/// What refreshing the directory schema found in one forest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForestRefresh {
    /// Domains the forest has now that the settings did not list (DNS names).
    pub domains_added: Vec<String>,
    /// Domains the settings listed that the forest no longer has (naming contexts).
    pub domains_gone: Vec<String>,
    /// The schema's attributes.
    pub attributes: usize,
    /// Those that can be directory extensions.
    pub extension_candidates: usize,
    /// Attributes new since the last refresh (`None`: the first one).
    pub new_attributes: Option<Vec<String>>,
}

/// The outcome of refreshing the directory schema.
#[derive(Debug, Clone)]
pub struct SchemaRefresh {
    /// Per forest, what was found, or why it could not be read.
    pub forests: Vec<(String, Result<ForestRefresh, String>)>,
    /// The settings version that took in changed domain lists, when they changed.
    pub applied: Option<crate::engine::config::Applied>,
}

/// Where the attribute names of each forest's schema are kept between refreshes.
const SCHEMA_FOLDER: &str = "schema";

/// Refresh directory schema: each forest is read again with its connector account — its
/// domains and its schema. A changed domain list is applied to the settings (through the
/// change API, as a new version; a new domain is synchronized only once it is ticked in
/// Customize synchronization options). The schema's attribute names are kept to say, next
/// time, which are new. Blocking.
pub fn refresh_schema(data: &std::path::Path) -> Result<SchemaRefresh, String> {
    let installed = Installation::load(data).map_err(|e| e.to_string())?;
    let mut new = installed.clone();
    let mut forests = Vec::new();
    for d in &installed.directories {
        let outcome = refresh_forest(data, &installed, d, &mut new);
        forests.push((d.connector.clone(), outcome));
    }
    let applied = if new.sync.connectors != installed.sync.connectors {
        Some(crate::service::change_settings(data, &new).map_err(|e| e.to_string())?)
    } else {
        None
    };
    Ok(SchemaRefresh { forests, applied })
}

fn refresh_forest(
    data: &std::path::Path,
    installed: &Installation,
    d: &crate::engine::install::DirectoryConnection,
    new: &mut Installation,
) -> Result<ForestRefresh, String> {
    // Discovery needs the password as well as the session: one keychain read for both.
    let password = installed.directory_password(d).map_err(|e| e.to_string())?;
    let mut session = d.sign_in(&password).map_err(|e| e.to_string())?;
    let forest = crate::directory::discovery::discover(&mut session, &password);
    session.close();
    let forest = forest.map_err(|e| e.to_string())?;
    let mut domains_added = Vec::new();
    let mut domains_gone = Vec::new();
    if let Some(scope) = new
        .sync
        .connectors
        .iter_mut()
        .find(|c| c.name == d.connector)
    {
        let now: Vec<(String, String)> = forest
            .domains
            .iter()
            .map(|dm| (dm.naming_context.clone(), dm.dns_name.clone()))
            .collect();
        let known = |nc: &str, list: &[(String, String)]| {
            list.iter().any(|(other, _)| other.eq_ignore_ascii_case(nc))
        };
        domains_added = now
            .iter()
            .filter(|(nc, _)| !known(nc, &scope.domains))
            .map(|(_, dns)| dns.clone())
            .collect();
        domains_gone = scope
            .domains
            .iter()
            .filter(|(nc, _)| !known(nc, &now))
            .map(|(nc, _)| nc.clone())
            .collect();
        if !domains_added.is_empty() || !domains_gone.is_empty() {
            scope.domains = now;
            // A domain that is gone is no longer synchronized or left out.
            let gone = |dn: &String| {
                domains_gone.iter().any(|nc| {
                    dn.len() >= nc.len() && dn[dn.len() - nc.len()..].eq_ignore_ascii_case(nc)
                })
            };
            scope.included.retain(|dn| !gone(dn));
            scope.excluded.retain(|dn| !gone(dn));
        }
    }
    let names: std::collections::BTreeSet<String> = forest
        .schema
        .attributes
        .iter()
        .map(|a| a.name.clone())
        .collect();
    let folder = data.join(SCHEMA_FOLDER);
    let kept = folder.join(format!("{}.txt", d.connector));
    let new_attributes = std::fs::read_to_string(&kept).ok().map(|text| {
        let before: std::collections::BTreeSet<&str> = text.lines().collect();
        names
            .iter()
            .filter(|n| !before.contains(n.as_str()))
            .cloned()
            .collect()
    });
    std::fs::create_dir_all(&folder)
        .and_then(|()| {
            std::fs::write(
                &kept,
                names.iter().cloned().collect::<Vec<_>>().join("\n") + "\n",
            )
        })
        .map_err(|e| format!("cannot keep the schema in {}: {e}", kept.display()))?;
    Ok(ForestRefresh {
        domains_added,
        domains_gone,
        attributes: names.len(),
        extension_candidates: crate::wizard::pages::directory_extensions::candidates_in(
            std::iter::once(&forest.schema),
        )
        .len(),
        new_attributes,
    })
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

/// The wizard's own choices, kept beside the settings when configuring (`wizard.json`, a
/// settings file without secrets): what the engine's settings do not hold, such as the sign-in
/// method, the tenant administrator and the optional features.
pub const CHOICES_NAME: &str = "wizard.json";

/// Keeps the wizard's choices beside the installation's settings (no secret: each connector
/// password is named by its entry in the keychain `service`).
pub fn keep_choices(
    data: &std::path::Path,
    choices: &crate::wizard::settings::SettingsFile,
    service: &str,
) -> Result<(), String> {
    let kept = choices.kept_in(service);
    let mut text = serde_json::to_string_pretty(&kept).map_err(|e| e.to_string())?;
    text.push('\n');
    let path = data.join(CHOICES_NAME);
    let partial = path.with_extension("json.partial");
    std::fs::write(&partial, text)
        .and_then(|()| std::fs::rename(&partial, &path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The installation as a settings file: the engine's settings as they are now (forests,
/// scope, sourceAnchor, matching, pilot groups, staging, attributes left out, extensions) over
/// the wizard's choices kept at install. Each connector password is named by its keychain
/// entry; the tenant administrator signs in again. What "Customize synchronization options"
/// starts from, and what "Export settings" writes.
pub fn installed_choices(
    data: &std::path::Path,
    installed: &Installation,
) -> crate::wizard::settings::SettingsFile {
    use crate::wizard::settings::{
        DirectorySettings, OuFilter, SCHEMA_FILE, SecretRef, SettingsFile, TenantSettings, VERSION,
    };
    let kept = SettingsFile::load(&data.join(CHOICES_NAME)).ok();
    let sync = &installed.sync;
    let directories = installed
        .directories
        .iter()
        .map(|d| {
            let scope = sync.connectors.iter().find(|c| c.name == d.connector);
            let sso_skip = kept.as_ref().is_some_and(|k| {
                k.directories.iter().any(|kd| {
                    kd.sso_skip
                        && kd
                            .forest
                            .as_deref()
                            .is_some_and(|f| f.eq_ignore_ascii_case(&d.connector))
                })
            });
            DirectorySettings {
                forest: Some(d.connector.clone()),
                server: d.server.clone(),
                starttls: d.starttls,
                ca_file: d.ca_file.as_ref().map(|p| p.display().to_string()),
                account: d.account.clone(),
                password: SecretRef::Keychain {
                    service: installed.keychain_service.clone(),
                    entry: format!("directory:{}", d.connector),
                },
                ou_filter: scope.map(|c| OuFilter {
                    included: c.included.clone(),
                    excluded: c.excluded.clone(),
                }),
                pilot_group: sync.pilot_groups.get(&d.connector).cloned(),
                sso_admin: None,
                sso_skip,
            }
        })
        .collect();
    // Everything synchronized: each forest's scope is its domains, nothing left out.
    let everything = sync.connectors.iter().all(|c| {
        let mut domains: Vec<String> = c.domains.iter().map(|(nc, _)| nc.to_lowercase()).collect();
        let mut included: Vec<String> = c.included.iter().map(|i| i.to_lowercase()).collect();
        domains.sort();
        included.sort();
        c.excluded.is_empty() && domains == included
    });
    let tenant = match &kept {
        Some(k) => TenantSettings {
            password: None,
            ..k.tenant.clone()
        },
        None => {
            let defaults = crate::wizard::pages::connect_tenant::TenantDraft::default();
            TenantSettings {
                authority: defaults.authority,
                graph: installed.tenant.graph.clone(),
                client_id: defaults.client_id,
                ca_file: installed
                    .tenant
                    .ca_file
                    .as_ref()
                    .map(|p| p.display().to_string()),
                user: String::new(),
                device_code: false,
                password: None,
            }
        }
    };
    let mut features: Vec<crate::wizard::pages::optional_features::Feature> = kept
        .as_ref()
        .map(|k| k.features.clone())
        .unwrap_or_default();
    for (on, feature) in [
        (
            !sync.extensions.is_empty(),
            crate::wizard::pages::optional_features::Feature::DirectoryExtensions,
        ),
        (
            !sync.excluded_attributes.is_empty(),
            crate::wizard::pages::optional_features::Feature::AppAttributeFiltering,
        ),
    ] {
        if on && !features.contains(&feature) {
            features.push(feature);
        }
    }
    SettingsFile {
        schema: Some(SCHEMA_FILE.into()),
        version: VERSION,
        settings_version: None,
        database: None,
        sign_in: installed
            .sign_in
            .as_deref()
            .and_then(crate::wizard::SignInMethod::from_key)
            .or_else(|| kept.as_ref().map(|k| k.sign_in))
            .unwrap_or_default(),
        single_sign_on: if installed.sign_in.is_some() {
            installed.single_sign_on
        } else {
            kept.as_ref().is_some_and(|k| k.single_sign_on)
        },
        tenant,
        directories,
        alternate_sign_in: kept.as_ref().and_then(|k| k.alternate_sign_in.clone()),
        sync_selected: !everything,
        matching: sync.matching.clone(),
        anchor: sync.anchor.clone(),
        pilot: !sync.pilot_groups.is_empty(),
        features,
        services: kept.as_ref().and_then(|k| k.services.clone()),
        excluded_attributes: sync.excluded_attributes.iter().cloned().collect(),
        directory_extensions: sync
            .extensions
            .iter()
            .map(|e| e.attribute.clone())
            .collect(),
        staging: sync.staging,
        start_sync: true,
        acknowledged: kept.map(|k| k.acknowledged).unwrap_or_default(),
    }
}

/// Reads the installation in `data` for "Customize synchronization options": its settings as
/// a settings file with the connector passwords looked up in the keychain, ready to be
/// imported into the pages. Blocking.
pub fn read_for_change(
    data: &std::path::Path,
) -> Result<crate::wizard::settings::Imported, String> {
    let installed = Installation::load(data).map_err(|e| e.to_string())?;
    let file = installed_choices(data, &installed);
    let words = crate::wizard::text::page(crate::wizard::PageId::AdditionalTasks);
    Ok(crate::wizard::settings::resolve(
        file,
        words.field(INSTALLED_SOURCE),
    ))
}

/// Writes the installation's settings to `path` for a rebuild (and the schema beside it), each
/// password named by an environment variable as the Ready page's export does; never a secret.
/// Blocking.
pub fn export_installed(data: &std::path::Path, path: &std::path::Path) -> Result<String, String> {
    use crate::wizard::settings::SecretRef;
    let installed = Installation::load(data).map_err(|e| e.to_string())?;
    let mut file = installed_choices(data, &installed);
    // Which settings version this is, so that a rebuild may reuse the installation's database
    // (asked of the service when it runs, since it holds the store).
    file.settings_version = crate::ops::installed::settings_versions(data)
        .ok()
        .and_then(|versions| versions.last().map(|v| v.version));
    // The database server, if the store is on one (reusing its data stays a deliberate choice).
    file.database =
        installed
            .database
            .as_ref()
            .map(|db| crate::wizard::settings::DatabaseSettings {
                host: db.host.clone(),
                port: db.port,
                database: db.database.clone(),
                user: db.user.clone(),
                password: SecretRef::Env(crate::wizard::settings::DATABASE_PASSWORD_ENV.into()),
                tls_off: db.tls_off,
                ca_file: db.ca_file.as_ref().map(|f| f.display().to_string()),
                reuse: false,
            });
    for d in &mut file.directories {
        let forest = d.forest.clone().unwrap_or_default();
        d.password = SecretRef::directory_env(&forest);
    }
    if !file.tenant.device_code {
        file.tenant.password = Some(SecretRef::Env(
            crate::wizard::settings::TENANT_PASSWORD_ENV.into(),
        ));
    }
    file.save(path)?;
    Ok(path.display().to_string())
}

/// The settings a "Customize synchronization options" walk would apply: today's settings with
/// what its pages control replaced by the plan's — the forests and their connections, the
/// scope, the tenant's domains, the attributes left out and the directory extensions (a new
/// extension's tenant property is named after the engine's application). Everything else
/// (sourceAnchor, matching, pilot groups, staging, thresholds) stays as it is.
pub fn customized(
    installed: &Installation,
    plan: &crate::wizard::plan::InstallPlan,
    change: Change,
) -> Installation {
    let mut new = installed.clone();
    if change == Change::SignIn {
        // That walk changes how people sign in, and nothing else.
        new.sign_in = Some(plan.sign_in.key().to_string());
        new.single_sign_on = plan.single_sign_on;
        return new;
    }
    new.directories = plan
        .directories
        .iter()
        .map(|d| crate::engine::install::DirectoryConnection {
            connector: d.connector.clone(),
            server: d.server.url(),
            starttls: d.server.security == crate::directory::Security::StartTls,
            ca_file: d.server.ca_file.clone(),
            account: d.account.to_string(),
        })
        .collect();
    new.sync.connectors = plan.sync.connectors.clone();
    // A forest removed takes its pilot group with it.
    new.sync
        .pilot_groups
        .retain(|forest, _| plan.directories.iter().any(|d| &d.connector == forest));
    new.sync.verified_domains = plan.sync.verified_domains.clone();
    new.sync.initial_domain = plan.sync.initial_domain.clone();
    new.sync.excluded_attributes = plan.sync.excluded_attributes.clone();
    new.sync.extensions = plan
        .sync
        .extensions
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e.property =
                crate::engine::extensions::property_name(&installed.tenant.client_id, &e.attribute);
            e
        })
        .collect();
    new
}

/// Applies a message of this page (the wizard hands each message to the page that owns it).
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::ChooseTask(task) => w.draft.tasks.task = task,
        Msg::SetTaskStaging(on) => w.draft.tasks.staging = Some(on),
        Msg::ApplyTaskChange => {
            let Some(Ok(installed)) = &w.facts.installed else {
                return Vec::new();
            };
            let Some(settings) =
                crate::wizard::pages::additional_tasks::staging_change(&w.draft, installed)
            else {
                return Vec::new();
            };
            w.facts.task_change = None;
            let data = w.draft.data_dir.clone();
            return vec![w.ask(crate::wizard::probe::Probe::ApplyChange {
                data,
                settings: Box::new(settings),
            })];
        }
        Msg::RunCycleNow => {
            w.facts.task_cycle = None;
            let data = w.draft.data_dir.clone();
            return vec![w.ask(crate::wizard::probe::Probe::RunCycle { data })];
        }
        Msg::ServiceAction(action) => {
            w.facts.service_action = None;
            let data = w.draft.data_dir.clone();
            return vec![w.ask(crate::wizard::probe::Probe::Service { data, action })];
        }
        Msg::BeginChange(change) => {
            w.draft.tasks.change = change;
            w.facts.task_change = None;
            let data = w.draft.data_dir.clone();
            return vec![w.ask(crate::wizard::probe::Probe::ReadForChange { data })];
        }
        Msg::ReadSsoStates => {
            let data = w.draft.data_dir.clone();
            return vec![w.ask(crate::wizard::probe::Probe::SsoStates { data })];
        }
        Msg::RefreshSchema => {
            w.facts.schema_refresh = None;
            let data = w.draft.data_dir.clone();
            return vec![w.ask(crate::wizard::probe::Probe::RefreshSchema { data })];
        }
        Msg::RenewSso(forest) => {
            let entry = crate::wizard::pages::single_sign_on::entry(&w.draft, &forest);
            let (account, password) = (entry.account.clone(), entry.password.clone());
            w.facts.sso_renewed.remove(&forest);
            let data = w.draft.data_dir.clone();
            return vec![w.ask(crate::wizard::probe::Probe::RenewSso {
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
            let data = w.draft.data_dir.clone();
            return vec![w.ask(crate::wizard::probe::Probe::Search { data, text })];
        }
        Msg::ExportInstalledTo(path) => {
            w.facts.export = None;
            let data = w.draft.data_dir.clone();
            return vec![w.ask(crate::wizard::probe::Probe::ExportInstalled { data, path })];
        }
        Msg::RunChecks => {
            w.facts.checks = None;
            let data = w.draft.data_dir.clone();
            return vec![w.ask(crate::wizard::probe::Probe::Troubleshoot { data })];
        }
        Msg::RefreshInstalled => return w.reload_installed(),
        // Messages of other pages never come here.
        _ => {}
    }
    Vec::new()
}

/// Takes a probe's answer for this page (already checked to be the awaited one).
pub(crate) fn answered(w: &mut Wizard, result: ProbeResult) -> Vec<Effect> {
    match result {
        crate::wizard::probe::ProbeResult::Installed(outcome) => w.facts.installed = Some(outcome),
        crate::wizard::probe::ProbeResult::TaskChanged(outcome) => {
            if outcome.is_ok() {
                w.draft.tasks.staging = None;
                if w.draft.tasks.customizing {
                    w.end_customizing();
                    w.draft.tasks.task =
                        crate::wizard::pages::additional_tasks::Task::Configuration;
                }
            }
            w.facts.task_change = Some(outcome);
            return w.reload_installed();
        }
        crate::wizard::probe::ProbeResult::Checks(outcome) => w.facts.checks = Some(outcome),
        crate::wizard::probe::ProbeResult::Found(outcome) => w.facts.found = Some(outcome),
        crate::wizard::probe::ProbeResult::SchemaRefreshed(outcome) => {
            w.facts.schema_refresh = Some(outcome);
            return w.reload_installed();
        }
        crate::wizard::probe::ProbeResult::SsoStates(outcome) => {
            w.facts.sso_states = Some(outcome);
        }
        crate::wizard::probe::ProbeResult::SsoRenewed(forest, outcome) => {
            let done = outcome.is_ok();
            w.facts.sso_renewed.insert(forest, outcome);
            if done {
                return w.apply_msg(Msg::ReadSsoStates);
            }
        }
        crate::wizard::probe::ProbeResult::ForChange(Ok(imported)) => {
            w.draft.tasks.customizing = true;
            w.position = crate::wizard::Position::Page(crate::wizard::PageId::ConnectTenant);
            return w.apply_msg(Msg::ImportSettings(imported));
        }
        crate::wizard::probe::ProbeResult::ForChange(Err(why)) => {
            w.facts.task_change = Some(Err(why));
        }
        crate::wizard::probe::ProbeResult::ServiceDone(outcome) => {
            w.facts.service_action = Some(outcome);
            return w.reload_installed();
        }
        crate::wizard::probe::ProbeResult::TaskCycle(outcome) => {
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
        self.position = crate::wizard::Position::Page(crate::wizard::PageId::AdditionalTasks);
    }

    /// Reads the installed configuration again (Additional tasks).
    pub(crate) fn reload_installed(&mut self) -> Vec<Effect> {
        let data = self.draft.data_dir.clone();
        vec![self.ask(crate::wizard::probe::Probe::LoadInstalled { data })]
    }
}
