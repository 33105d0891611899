//! The wizard's state as data: what the administrator entered ([`Draft`]) and what probes
//! learned ([`Facts`]). A slice only one page uses is defined in that page's module; the slices
//! several pages read are here:
//!
//! - [`choices`]: the install mode, the sign-in method, the optional features.
//! - [`tenant`]: the tenant sign-in entered and learned.
//! - [`directories`]: the forest form and the forests added.
//! - [`scope`]: the domains and OUs selected.
//! - [`sso`]: single sign-on's per-forest entries.

pub mod choices;
pub mod directories;
pub mod scope;
pub mod sso;
pub mod tenant;

use super::{InstallMode, PageId, SignInMethod, pages, settings};

/// What the administrator has entered so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// The data folder holds an installation: the wizard shows Additional tasks only.
    pub additional: bool,
    /// What is chosen on Additional tasks.
    pub tasks: pages::additional_tasks::TasksDraft,
    /// The licence terms were accepted on the Welcome page.
    pub licence_accepted: bool,
    /// Express or custom install (none chosen yet).
    pub mode: Option<InstallMode>,
    /// How people sign in.
    pub sign_in: SignInMethod,
    /// Seamless single sign-on.
    pub single_sign_on: bool,
    /// Where the service listens for password agents (`host:port`), with password
    /// synchronization.
    pub password_listen: String,
    /// The tenant sign-in.
    pub tenant: crate::wizard::state::tenant::TenantDraft,
    /// The forest being added.
    pub directory_form: crate::wizard::state::directories::DirectoryForm,
    /// The forests added.
    pub directories: Vec<crate::wizard::state::directories::AddedDirectory>,
    /// The attribute people sign in with, when not userPrincipalName.
    pub alternate_sign_in: Option<String>,
    /// Domain and OU filtering: only the ticked containers (else everything).
    pub sync_selected: bool,
    /// The ticked containers of each forest.
    pub ou_filters: std::collections::BTreeMap<String, crate::wizard::state::scope::OuSelection>,
    /// The text in the OU search box.
    pub ou_search: String,
    /// How the same person is recognised across forests.
    pub matching: crate::engine::rules::Matching,
    /// Where the immutable anchor comes from.
    pub anchor: crate::engine::rules::AnchorMode,
    /// Only the members of a pilot group are synchronized.
    pub pilot_enabled: bool,
    /// The pilot group typed for each forest.
    pub pilot_groups: std::collections::BTreeMap<String, String>,
    /// Optional features ticked.
    pub features: std::collections::BTreeSet<crate::wizard::state::choices::Feature>,
    /// The cloud services in use (app filtering; all until the administrator says otherwise).
    pub services: std::collections::BTreeSet<crate::engine::attributes::Service>,
    /// Attributes the chosen services read that the administrator left out (LDAP names).
    pub unticked_attributes: std::collections::BTreeSet<String>,
    /// Single sign-on credentials and skips, per forest (in memory only).
    pub sso: std::collections::BTreeMap<String, crate::wizard::state::sso::SsoEntry>,
    /// Attributes chosen as directory extensions (LDAP names).
    pub extensions: std::collections::BTreeSet<String>,
    /// The text in the directory extensions' search box.
    pub extension_search: String,
    /// Configure in staging mode: import and synchronize, never export.
    pub staging: bool,
    /// Do not start synchronizing once configured.
    pub no_start_sync: bool,
    /// What happens to the service once configured.
    pub service: pages::ready_to_configure::ServiceChoice,
    /// Warnings confirmed with "continue anyway": (page, message id).
    pub confirmed: std::collections::BTreeSet<(PageId, &'static str)>,
    /// The data folder to install into (`--data`, else the default).
    pub data_dir: std::path::PathBuf,
    /// The settings file typed for import.
    pub import_file: String,
    /// What was entered on the federation pages.
    pub federation: super::federation::FederationDraft,
    /// The database server for the engine's state (Required components), if one is used.
    pub database: pages::required_components::database::DatabaseDraft,
}

impl Default for Draft {
    fn default() -> Self {
        Draft {
            additional: false,
            tasks: pages::additional_tasks::TasksDraft::default(),
            licence_accepted: false,
            mode: None,
            sign_in: SignInMethod::default(),
            single_sign_on: false,
            password_listen: crate::passwords::DEFAULT_LISTEN.to_string(),
            tenant: crate::wizard::state::tenant::TenantDraft::default(),
            directory_form: crate::wizard::state::directories::DirectoryForm::default(),
            directories: Vec::new(),
            alternate_sign_in: None,
            sync_selected: false,
            ou_filters: std::collections::BTreeMap::new(),
            ou_search: String::new(),
            // The documented defaults: join by mail, managed sourceAnchor.
            matching: crate::engine::rules::Matching::Mail,
            anchor: crate::engine::rules::AnchorMode::Managed,
            pilot_enabled: false,
            pilot_groups: std::collections::BTreeMap::new(),
            features: std::collections::BTreeSet::new(),
            services: crate::engine::attributes::Service::ALL
                .iter()
                .copied()
                .collect(),
            unticked_attributes: std::collections::BTreeSet::new(),
            sso: std::collections::BTreeMap::new(),
            extensions: std::collections::BTreeSet::new(),
            extension_search: String::new(),
            staging: false,
            no_start_sync: false,
            service: pages::ready_to_configure::ServiceChoice::default(),
            confirmed: std::collections::BTreeSet::new(),
            data_dir: crate::engine::install::default_data_dir(),
            import_file: String::new(),
            federation: super::federation::FederationDraft::default(),
            database: pages::required_components::database::DatabaseDraft::default(),
        }
    }
}

/// What probes have learned (never entered by the administrator).
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The tenant sign-in's outcome, for the sign-in name and settings now in the draft.
    pub tenant: Option<Result<crate::wizard::state::tenant::TenantFacts, crate::ops::Failure>>,
    /// A tenant sign-in is under way.
    pub signing_in: bool,
    /// The code a device-code sign-in waits for: (where to enter it, the code).
    pub device_prompt: Option<(String, String)>,
    /// The configuration lock this window holds on an installed folder, or why it could not
    /// take it (another window holds it).
    pub config_lock: Option<
        Result<std::sync::Arc<crate::service::lock::ConfigLock>, crate::service::lock::LockError>,
    >,
    /// The installed configuration (Additional tasks), or why it could not be read.
    pub installed: Option<Result<Box<crate::ops::installed::Installed>, crate::ops::Failure>>,
    /// The last change applied from Additional tasks, or why it was not.
    pub task_change: Option<Result<crate::engine::config::Applied, crate::ops::Failure>>,
    /// The troubleshooting checklist run from Additional tasks, or why it could not run.
    pub checks: Option<Result<Vec<crate::engine::troubleshoot::Check>, crate::ops::Failure>>,
    /// The last cycle asked for from Additional tasks, or why it failed.
    pub task_cycle: Option<Result<String, crate::ops::Failure>>,
    /// Each forest's single sign-on account as Additional tasks read it, or why it could not.
    pub sso_states: Option<Result<Vec<crate::ops::sso::SsoForest>, crate::ops::Failure>>,
    /// Password synchronization's status as Additional tasks read it, or why it could not.
    pub password_status:
        Option<Result<crate::passwords::service::PasswordStatus, crate::ops::Failure>>,
    /// The enrolment code last opened, or why none could be.
    pub enrolment_code: Option<Result<crate::ops::passwords::NewCode, crate::ops::Failure>>,
    /// What creating or renewing a forest's single sign-on account did, or why it failed.
    pub sso_renewed: std::collections::BTreeMap<String, Result<String, crate::ops::Failure>>,
    /// What the last directory schema refresh found, or why it failed.
    pub schema_refresh: Option<Result<Box<crate::ops::schema::SchemaRefresh>, crate::ops::Failure>>,
    /// What the last search on Additional tasks found, or why it could not run.
    pub found: Option<Result<Vec<crate::engine::search::Hit>, crate::ops::Failure>>,
    /// What was last done to the service from Additional tasks, or why it could not be.
    pub service_action: Option<Result<String, crate::ops::Failure>>,
    /// Each forest's single sign-on administrator, checked (or why not).
    pub sso_checks: std::collections::BTreeMap<String, Result<(), crate::ops::Failure>>,
    /// The forest whose single sign-on administrator is being checked.
    pub verifying_sso: Option<String>,
    /// The connector account created last (name and DN), to say so on the page.
    pub created_connector: Option<String>,
    /// The outcome of adding the forest in the form, when it was not added.
    pub directory_probe: Option<Result<crate::ops::discover::ForestFacts, crate::ops::Failure>>,
    /// A forest is being added.
    pub adding_directory: bool,
    /// What was learned about each added forest, by its name.
    pub forests: std::collections::BTreeMap<String, crate::ops::discover::ForestFacts>,
    /// The pilot group found (or not) in each forest.
    pub pilot_groups: std::collections::BTreeMap<
        String,
        Result<pages::filter_users::GroupFound, crate::ops::Failure>,
    >,
    /// The forest whose pilot group is being looked up.
    pub finding_group: Option<String>,
    /// The plan being applied, once Configure was pressed.
    pub configuring: Option<pages::configuring::Configuring>,
    /// The data folder checked last, and what the check found.
    pub data_folder: Option<(std::path::PathBuf, pages::required_components::FolderCheck)>,
    /// The last Test connection of the database server.
    pub database: Option<pages::required_components::database::DatabaseTest>,
    /// A settings import under way or finished (its notes stay to be read).
    pub import: Option<settings::ImportRun>,
    /// Why the last settings file could not be imported.
    pub settings_file: Option<Result<String, crate::ops::Failure>>,
    /// Where the settings were last exported, or why they could not be.
    pub export: Option<Result<String, crate::ops::Failure>>,
    /// What the federation pages' checks found.
    pub federation: super::federation::FederationFacts,
}
