//! The install wizard as data, with no user interface in it.
//!
//! A [`Wizard`] holds the administrator's [`Draft`], the page being shown and whether a dialog
//! is open. Front ends send it [`Msg`]s through [`Wizard::update`] and carry out the
//! [`Effect`]s it returns; they never change the state themselves. Which pages exist is a pure
//! function of the draft ([`page::flow`]) and each page has a pure validator, so the whole walk
//! is testable without a window.

pub mod app_filter;
pub mod apply;
pub mod components;
pub mod configuring;
pub mod database;
pub mod directories;
pub mod express;
pub mod extensions;
pub mod features;
pub mod federation;
pub mod filtering;
pub mod headless;
pub mod identity;
pub mod page;
pub mod pilot;
pub mod plan;
pub mod probe;
pub mod problem;
pub mod profile;
pub mod ready;
pub mod settings;
pub mod signin;
pub mod signin_config;
pub mod sso;
pub mod tasks;
pub mod tenant;
pub mod text;
pub mod welcome;

pub use express::InstallMode;
pub use page::PageId;
pub use problem::{Problem, Severity};
pub use signin::SignInMethod;

/// What the administrator has entered so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// The data folder holds an installation: the wizard shows Additional tasks only.
    pub additional: bool,
    /// What is chosen on Additional tasks.
    pub tasks: tasks::TasksDraft,
    /// The licence terms were accepted on the Welcome page.
    pub licence_accepted: bool,
    /// Express or custom install (none chosen yet).
    pub mode: Option<InstallMode>,
    /// How people sign in.
    pub sign_in: SignInMethod,
    /// Seamless single sign-on.
    pub single_sign_on: bool,
    /// The tenant sign-in.
    pub tenant: tenant::TenantDraft,
    /// The forest being added.
    pub directory_form: directories::DirectoryForm,
    /// The forests added.
    pub directories: Vec<directories::AddedDirectory>,
    /// The attribute people sign in with, when not userPrincipalName.
    pub alternate_sign_in: Option<String>,
    /// Domain and OU filtering: only the ticked containers (else everything).
    pub sync_selected: bool,
    /// The ticked containers of each forest.
    pub ou_filters: std::collections::BTreeMap<String, filtering::OuSelection>,
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
    pub features: std::collections::BTreeSet<features::Feature>,
    /// The cloud services in use (app filtering; all until the administrator says otherwise).
    pub services: std::collections::BTreeSet<crate::engine::attributes::Service>,
    /// Attributes the chosen services read that the administrator left out (LDAP names).
    pub unticked_attributes: std::collections::BTreeSet<String>,
    /// Single sign-on credentials and skips, per forest (in memory only).
    pub sso: std::collections::BTreeMap<String, sso::SsoEntry>,
    /// Attributes chosen as directory extensions (LDAP names).
    pub extensions: std::collections::BTreeSet<String>,
    /// The text in the directory extensions' search box.
    pub extension_search: String,
    /// Configure in staging mode: import and synchronize, never export.
    pub staging: bool,
    /// Do not start synchronizing once configured.
    pub no_start_sync: bool,
    /// What happens to the service once configured.
    pub service: ready::ServiceChoice,
    /// Warnings confirmed with "continue anyway": (page, message id).
    pub confirmed: std::collections::BTreeSet<(PageId, &'static str)>,
    /// The data folder to install into (`--data`, else the default).
    pub data_dir: std::path::PathBuf,
    /// The settings file typed for import.
    pub import_file: String,
    /// What was entered on the federation pages.
    pub federation: federation::FederationDraft,
    /// The database server for the engine's state (Required components), if one is used.
    pub database: database::DatabaseDraft,
}

impl Default for Draft {
    fn default() -> Self {
        Draft {
            additional: false,
            tasks: tasks::TasksDraft::default(),
            licence_accepted: false,
            mode: None,
            sign_in: SignInMethod::default(),
            single_sign_on: false,
            tenant: tenant::TenantDraft::default(),
            directory_form: directories::DirectoryForm::default(),
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
            service: ready::ServiceChoice::default(),
            confirmed: std::collections::BTreeSet::new(),
            data_dir: crate::engine::install::default_data_dir(),
            import_file: String::new(),
            federation: federation::FederationDraft::default(),
            database: database::DatabaseDraft::default(),
        }
    }
}

/// What probes have learned (never entered by the administrator).
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The tenant sign-in's outcome, for the sign-in name and settings now in the draft.
    pub tenant: Option<Result<tenant::TenantFacts, String>>,
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
    pub installed: Option<Result<Box<tasks::Installed>, String>>,
    /// The last change applied from Additional tasks, or why it was not.
    pub task_change: Option<Result<crate::engine::config::Applied, String>>,
    /// The troubleshooting checklist run from Additional tasks, or why it could not run.
    pub checks: Option<Result<Vec<crate::engine::troubleshoot::Check>, String>>,
    /// The last cycle asked for from Additional tasks, or why it failed.
    pub task_cycle: Option<Result<String, String>>,
    /// Each forest's single sign-on account as Additional tasks read it, or why it could not.
    pub sso_states: Option<Result<Vec<tasks::SsoForest>, String>>,
    /// What creating or renewing a forest's single sign-on account did, or why it failed.
    pub sso_renewed: std::collections::BTreeMap<String, Result<String, String>>,
    /// What the last directory schema refresh found, or why it failed.
    pub schema_refresh: Option<Result<Box<tasks::SchemaRefresh>, String>>,
    /// What the last search on Additional tasks found, or why it could not run.
    pub found: Option<Result<Vec<crate::engine::search::Hit>, String>>,
    /// What was last done to the service from Additional tasks, or why it could not be.
    pub service_action: Option<Result<String, String>>,
    /// Each forest's single sign-on administrator, checked (or why not).
    pub sso_checks: std::collections::BTreeMap<String, Result<(), String>>,
    /// The forest whose single sign-on administrator is being checked.
    pub verifying_sso: Option<String>,
    /// The connector account created last (name and DN), to say so on the page.
    pub created_connector: Option<String>,
    /// The outcome of adding the forest in the form, when it was not added.
    pub directory_probe: Option<Result<directories::ForestFacts, String>>,
    /// A forest is being added.
    pub adding_directory: bool,
    /// What was learned about each added forest, by its name.
    pub forests: std::collections::BTreeMap<String, directories::ForestFacts>,
    /// The pilot group found (or not) in each forest.
    pub pilot_groups: std::collections::BTreeMap<String, Result<pilot::GroupFound, String>>,
    /// The forest whose pilot group is being looked up.
    pub finding_group: Option<String>,
    /// The plan being applied, once Configure was pressed.
    pub configuring: Option<configuring::Configuring>,
    /// The data folder checked last, and what the check found.
    pub data_folder: Option<(std::path::PathBuf, components::FolderCheck)>,
    /// The last Test connection of the database server.
    pub database: Option<database::DatabaseTest>,
    /// A settings import under way or finished (its notes stay to be read).
    pub import: Option<settings::ImportRun>,
    /// Why the last settings file could not be imported.
    pub settings_file: Option<Result<String, String>>,
    /// Where the settings were last exported, or why they could not be.
    pub export: Option<Result<String, String>>,
    /// What the federation pages' checks found.
    pub federation: federation::FederationFacts,
}

/// A probe's ticket: the answer carrying the latest ticket of its kind is the one awaited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(pub u64);

/// Something the administrator did, or a probe's answer.
#[derive(Debug, Clone)]
pub enum Msg {
    /// Ticked or cleared the licence check box.
    SetLicenceAccepted(bool),
    /// Chose express or custom.
    SetMode(InstallMode),
    /// Chose a sign-in method.
    SetSignIn(SignInMethod),
    /// Ticked or cleared single sign-on.
    SetSingleSignOn(bool),
    /// Typed the tenant administrator's sign-in name.
    SetTenantUser(String),
    /// Typed their password.
    SetTenantPassword(crate::secret::Secret),
    /// Changed the identity platform authority.
    SetTenantAuthority(String),
    /// Changed the Graph root.
    SetTenantGraph(String),
    /// Changed the application (client) id.
    SetTenantClientId(String),
    /// Changed the CA file.
    SetTenantCaFile(String),
    /// Chose to sign in with a code in a browser (multi-factor accounts) or with a password.
    SetTenantDeviceCode(bool),
    /// Pressed Sign in.
    SignInTenant,
    /// Typed a domain controller address.
    SetDirectoryServer(String),
    /// Typed the connector account.
    SetDirectoryAccount(String),
    /// Typed its password.
    SetDirectoryPassword(crate::secret::Secret),
    /// Ticked or cleared StartTLS.
    SetDirectoryStartTls(bool),
    /// Typed a CA file.
    SetDirectoryCaFile(String),
    /// Chose to create a new connector account (`true`) or to use an existing one.
    SetDirectoryCreateAccount(bool),
    /// Pressed Add directory.
    AddDirectory,
    /// Removed an added forest (by name).
    RemoveDirectory(String),
    /// Chose to synchronize only the ticked domains and OUs (or everything).
    SetSyncSelected(bool),
    /// Ticked (`true`) or cleared a container of a forest: (forest, DN, ticked).
    TickContainer(String, String, bool),
    /// Typed in the OU search box.
    SetOuSearch(String),
    /// Replaced a forest's whole selection (an imported settings file): (forest, selection).
    SetOuSelection(String, filtering::OuSelection),
    /// Typed or chose the data folder.
    SetDataDir(std::path::PathBuf),
    /// Pressed a Browse button: open the system's dialog for this path.
    Browse(PathFor),
    /// Entered something on a federation page.
    Federation(federation::FedMsg),
    /// Entered something for the database server (Required components).
    Database(database::DatabaseInput),
    /// Pressed Test connection (the database server).
    TestDatabase,
    /// Pressed Check certificate (AD FS farm).
    CheckFarmCertificate,
    /// Pressed Fetch metadata (existing farm, PingFederate).
    FetchFederationMetadata,
    /// Pressed Run checks (federation verification).
    RunFederationChecks,
    /// Pressed Save for the PingFederate administrator's settings.
    SavePingSettings,
    /// Pressed Convert for a federated domain (Additional tasks).
    ConvertToManaged(String),
    /// Typed the path of a settings file to import.
    SetImportFile(String),
    /// Chose a settings file to import (its secrets are looked up where it says).
    ImportSettingsFrom(std::path::PathBuf),
    /// A settings file read with its secrets: fill the pages from it.
    ImportSettings(Box<settings::Imported>),
    /// Chose where to export the settings.
    ExportSettingsTo(std::path::PathBuf),
    /// Ticked or cleared staging mode.
    SetStaging(bool),
    /// Ticked or cleared "start synchronizing when configured".
    SetStartSync(bool),
    /// Chose what happens to the service once configured.
    SetServiceChoice(ready::ServiceChoice),
    /// Ticked or cleared an optional feature.
    SetFeature(features::Feature, bool),
    /// Ticked or cleared a cloud service on App filtering.
    SetService(crate::engine::attributes::Service, bool),
    /// Ticked (`true`) or cleared an attribute on Attribute filtering (its LDAP name).
    SetAttribute(String, bool),
    /// Chose a task on Additional tasks.
    ChooseTask(tasks::Task),
    /// Ticked or cleared staging mode on Additional tasks.
    SetTaskStaging(bool),
    /// Pressed Apply on Additional tasks.
    ApplyTaskChange,
    /// Pressed "Run a cycle now" on Additional tasks.
    RunCycleNow,
    /// Pressed Start, Stop, Register or Unregister for the service on Additional tasks.
    ServiceAction(tasks::ServiceAction),
    /// Pressed Customize (or Change sign-in) on Additional tasks: open that walk's pages with
    /// today's values.
    BeginChange(tasks::Change),
    /// Read each forest's single sign-on account (Additional tasks).
    ReadSsoStates,
    /// Pressed Refresh on Refresh directory schema (Additional tasks).
    RefreshSchema,
    /// Pressed Renew (or Create) for a forest's single sign-on account (Additional tasks).
    RenewSso(String),
    /// Typed in the search box on Additional tasks.
    SetTaskSearch(String),
    /// Pressed Search on Additional tasks.
    SearchInstalled,
    /// Chose where to export the installed settings (Additional tasks).
    ExportInstalledTo(std::path::PathBuf),
    /// Pressed "Run the checks" on Additional tasks.
    RunChecks,
    /// Read the installation again (Additional tasks).
    RefreshInstalled,
    /// Typed a forest's single sign-on administrator: (forest, account).
    SetSsoAccount(String, String),
    /// Typed their password: (forest, password).
    SetSsoPassword(String, crate::secret::Secret),
    /// Skipped a forest for single sign-on, or took it back: (forest, skip).
    SetSsoSkip(String, bool),
    /// Pressed Verify for a forest's single sign-on administrator.
    VerifySso(String),
    /// Chose (`true`) or removed an attribute as a directory extension.
    SetExtension(String, bool),
    /// Typed in the directory extensions' search box.
    SetExtensionSearch(String),
    /// Chose everyone (`false`) or a pilot group's members.
    SetPilotEnabled(bool),
    /// Typed a forest's pilot group: (forest, name or DN).
    SetPilotGroup(String, String),
    /// Pressed Find for a forest's pilot group.
    FindPilotGroup(String),
    /// Chose how people are recognised across forests.
    SetMatching(crate::engine::rules::Matching),
    /// Chose where the immutable anchor comes from.
    SetAnchor(crate::engine::rules::AnchorMode),
    /// Chose userPrincipalName (`None`) or another sign-in attribute.
    SetAlternateSignIn(Option<String>),
    /// Ticked or cleared "continue anyway" for a warning (page, message id).
    Confirm(PageId, &'static str, bool),
    /// A probe answered.
    ProbeDone(Ticket, probe::ProbeResult),
    /// A configuring step finished.
    ApplyDone(Ticket, Box<apply::Done>),
    /// A running configuring step got further: (its ticket, what it does, objects handled).
    StepProgress(Ticket, crate::engine::install::CyclePhase, u64),
    /// Pressed Retry on the Configuring page: carry on from the first step not done.
    RetryApply,
    /// Pressed Stop: stop after the running step.
    StopApply,
    /// Pressed Next.
    Next,
    /// Pressed Back.
    Back,
    /// Pressed Cancel (asks for confirmation first).
    Cancel,
    /// Confirmed leaving setup.
    CancelConfirmed,
    /// Chose to stay after pressing Cancel.
    CancelDismissed,
}

/// Work the front end must carry out for the wizard.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Close the wizard; nothing was applied.
    Close,
    /// Run [`probe::run`] off the drawing thread and send back [`Msg::ProbeDone`] with this
    /// ticket.
    Probe(Ticket, Box<probe::Probe>),
    /// Run [`apply::run`] off the drawing thread and send back [`Msg::ApplyDone`] with this
    /// ticket.
    Apply(Ticket, Box<apply::Job>),
    /// Open the system's folder or file dialog and send back [`PathFor::chosen`] for the path
    /// chosen (nothing when the dialog is cancelled).
    ChoosePath(PathFor),
}

/// What a file or folder dialog chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathFor {
    /// The data folder.
    DataFolder,
    /// A settings file to import.
    ImportSettings,
    /// Where to export the settings.
    ExportSettings,
    /// Where to export the installed settings (Additional tasks).
    ExportInstalled,
    /// The AD FS farm's certificate file.
    FarmCertificate,
}

impl PathFor {
    /// The message that carries the chosen path.
    pub fn chosen(self, path: std::path::PathBuf) -> Msg {
        match self {
            PathFor::DataFolder => Msg::SetDataDir(path),
            PathFor::ImportSettings => Msg::ImportSettingsFrom(path),
            PathFor::ExportSettings => Msg::ExportSettingsTo(path),
            PathFor::ExportInstalled => Msg::ExportInstalledTo(path),
            PathFor::FarmCertificate => Msg::Federation(federation::FedMsg::SetCertificateFile(
                path.display().to_string(),
            )),
        }
    }
}

/// Where the walk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// On a page.
    Page(PageId),
    /// Past the last page this build contains.
    EndOfBuild,
}

/// Whether a problem stops Next: an error, or a warning not confirmed with "continue anyway".
pub fn blocks(problem: &Problem, draft: &Draft) -> bool {
    match problem.severity {
        Severity::Error => true,
        Severity::Confirm => !draft.confirmed.contains(&(problem.page, problem.message)),
        Severity::Warning => false,
    }
}

/// The problems of a page for a draft and what probes learned.
pub fn problems_of(page: PageId, draft: &Draft, facts: &Facts) -> Vec<Problem> {
    match page {
        PageId::Welcome => welcome::validate(draft),
        PageId::AdditionalTasks => Vec::new(),
        PageId::Express => express::validate(draft),
        PageId::RequiredComponents => components::validate(draft, facts),
        PageId::UserSignIn => signin::validate(draft),
        PageId::ConnectTenant => tenant::validate(draft, facts),
        PageId::ConnectDirectories => directories::validate(draft, facts),
        PageId::SignInConfiguration => signin_config::validate(draft, facts),
        PageId::DomainOuFiltering => filtering::validate(draft, facts),
        PageId::IdentifyingUsers => identity::validate(draft, facts),
        PageId::FilterUsers => pilot::validate(draft, facts),
        PageId::OptionalFeatures => features::validate(draft, facts),
        PageId::AppFiltering => app_filter::validate_apps(draft, facts),
        PageId::AttributeFiltering => app_filter::validate_attributes(draft, facts),
        PageId::DirectoryExtensions => extensions::validate(draft, facts),
        PageId::SingleSignOn => sso::validate(draft, facts),
        PageId::AdfsFarm => federation::validate_farm(draft, facts),
        PageId::FederationServers => federation::validate_servers(draft),
        PageId::ProxyServers => federation::validate_proxies(draft),
        PageId::AdfsServiceAccount => federation::validate_account(draft, facts),
        PageId::FederatedDomain => federation::validate_domain(draft, facts),
        PageId::FederationVerification => federation::validate_verification(draft, facts),
        PageId::PingFederate => federation::validate_ping(draft, facts),
        PageId::ConvertDomains => federation::validate_convert(facts),
        PageId::ReadyToConfigure => ready::validate(draft, facts),
        PageId::Configuring => configuring::validate(draft, facts),
        PageId::Complete => Vec::new(),
    }
}

/// The wizard's whole state.
#[derive(Debug, Clone)]
pub struct Wizard {
    draft: Draft,
    facts: Facts,
    position: Position,
    confirming_cancel: bool,
    /// The awaited answer of each kind of probe.
    awaited: std::collections::BTreeMap<probe::ProbeKind, Ticket>,
    /// The awaited answer of the running configuring step.
    applying: Option<Ticket>,
    next_ticket: u64,
}

impl Default for Wizard {
    fn default() -> Self {
        Self::new()
    }
}

impl Wizard {
    /// A wizard on its first page with an empty draft.
    pub fn new() -> Self {
        Wizard {
            draft: Draft::default(),
            facts: Facts::default(),
            position: Position::Page(PageId::Welcome),
            confirming_cancel: false,
            awaited: std::collections::BTreeMap::new(),
            applying: None,
            next_ticket: 1,
        }
    }

    /// A wizard that installs into `data_dir`; when the folder already holds an installation,
    /// one that opens on Additional tasks for it.
    pub fn with_data_dir(data_dir: std::path::PathBuf) -> Self {
        let mut wizard = Self::new();
        if data_dir.join("settings.json").is_file() {
            wizard.draft.additional = true;
            wizard.position = Position::Page(PageId::AdditionalTasks);
            // One window at a time changes an installation.
            wizard.facts.config_lock =
                Some(crate::service::lock::ConfigLock::acquire(&data_dir).map(std::sync::Arc::new));
        }
        wizard.draft.data_dir = data_dir;
        wizard
    }

    /// What has been entered.
    pub fn draft(&self) -> &Draft {
        &self.draft
    }

    /// What probes have learned.
    pub fn facts(&self) -> &Facts {
        &self.facts
    }

    /// Whether a probe of this kind is under way.
    pub fn probing(&self, kind: probe::ProbeKind) -> bool {
        self.awaited.contains_key(&kind)
    }

    /// Where the walk is.
    pub fn position(&self) -> Position {
        self.position
    }

    /// Whether the "leave setup?" dialog is open.
    pub fn confirming_cancel(&self) -> bool {
        self.confirming_cancel
    }

    /// The pages of this walk, in order.
    pub fn flow(&self) -> Vec<PageId> {
        page::flow(&self.draft)
    }

    /// Whether a page of the flow lies before the current one (it is shown as done).
    pub fn is_completed(&self, page: PageId) -> bool {
        let flow = self.flow();
        let index = |p| flow.iter().position(|&q| q == p);
        match self.position {
            Position::EndOfBuild => index(page).is_some(),
            Position::Page(current) => {
                matches!((index(page), index(current)), (Some(a), Some(b)) if a < b)
            }
        }
    }

    /// The problems of a page as the draft stands.
    pub fn problems(&self, page: PageId) -> Vec<Problem> {
        problems_of(page, &self.draft, &self.facts)
    }

    /// The plan the draft resolves into, or the first page that stops it.
    pub fn plan(&self) -> Result<plan::InstallPlan, plan::NotReady> {
        plan::resolve(&self.draft, &self.facts)
    }

    /// Whether Next may be pressed now.
    pub fn can_go_next(&self) -> bool {
        match self.position {
            Position::Page(page) => !self.problems(page).iter().any(|p| blocks(p, &self.draft)),
            Position::EndOfBuild => false,
        }
    }

    /// Whether Back may be pressed now: not once configuring has begun.
    pub fn can_go_back(&self) -> bool {
        match self.position {
            Position::Page(PageId::Configuring | PageId::Complete) => false,
            Position::Page(page) => self.flow().first() != Some(&page),
            Position::EndOfBuild => true,
        }
    }

    /// Changes a tenant setting: what was learned with the old settings no longer holds, and
    /// a sign-in under way answers for the old ones.
    fn tenant_input(&mut self, change: impl FnOnce(&mut tenant::TenantDraft)) {
        change(&mut self.draft.tenant);
        self.facts.tenant = None;
        self.facts.signing_in = false;
        self.facts.device_prompt = None;
        self.awaited.remove(&probe::ProbeKind::TenantSignIn);
    }

    /// Changes the forest form: an earlier outcome no longer holds.
    fn directory_input(&mut self, change: impl FnOnce(&mut directories::DirectoryForm)) {
        change(&mut self.draft.directory_form);
        self.facts.directory_probe = None;
        self.facts.adding_directory = false;
        self.awaited.remove(&probe::ProbeKind::Directory);
    }

    /// A forest was read: added when its account is acceptable and it is new; otherwise the
    /// outcome stays on the page with the form as it was.
    fn directory_found(&mut self, outcome: Result<directories::ForestFacts, String>) {
        if let Ok(found) = &outcome
            && found.account.acceptable
            && !self
                .draft
                .directories
                .iter()
                .any(|d| d.forest.eq_ignore_ascii_case(&found.forest.name))
        {
            let form = std::mem::take(&mut self.draft.directory_form);
            self.draft.directories.push(directories::AddedDirectory {
                forest: found.forest.name.clone(),
                form,
            });
            self.draft.ou_filters.insert(
                found.forest.name.clone(),
                filtering::OuSelection::everything(found),
            );
            self.facts
                .forests
                .insert(found.forest.name.clone(), found.clone());
            self.facts.directory_probe = None;
            return;
        }
        self.facts.directory_probe = Some(outcome);
    }

    /// Leaves the customizing walk for Additional tasks; what it entered is dropped.
    fn end_customizing(&mut self) {
        self.draft.tasks.customizing = false;
        self.facts.import = None;
        self.position = Position::Page(PageId::AdditionalTasks);
    }

    /// Reads the installed configuration again (Additional tasks).
    fn reload_installed(&mut self) -> Vec<Effect> {
        let data = self.draft.data_dir.clone();
        vec![self.ask(probe::Probe::LoadInstalled { data })]
    }

    /// New single sign-on input for a forest: its earlier check no longer holds.
    fn sso_input(&mut self, forest: &str) {
        sso::forget(&mut self.facts.sso_checks, forest);
        if self.facts.verifying_sso.as_deref() == Some(forest) {
            self.facts.verifying_sso = None;
            self.awaited.remove(&probe::ProbeKind::SsoAdmin);
        }
    }

    /// Checks a forest's single sign-on administrator at its domain controller.
    fn verify_sso(&mut self, forest: String) -> Vec<Effect> {
        let entry = sso::entry(&self.draft, &forest).into_owned();
        let Some(added) = self.draft.directories.iter().find(|d| d.forest == forest) else {
            return Vec::new();
        };
        let Ok((server, _)) = added.form.parsed() else {
            return Vec::new();
        };
        let account = match crate::directory::AccountName::parse(entry.account.trim()) {
            Ok(account) => account,
            Err(e) => {
                self.facts.sso_checks.insert(forest, Err(e.to_string()));
                return Vec::new();
            }
        };
        let probe = probe::Probe::VerifySsoAdmin {
            forest: forest.clone(),
            server,
            account,
            password: entry.password,
        };
        self.facts.sso_checks.remove(&forest);
        self.facts.verifying_sso = Some(forest);
        vec![self.ask(probe)]
    }

    /// Looks a forest's pilot group up, with the forest's connector account.
    fn find_pilot_group(&mut self, forest: String) -> Vec<Effect> {
        let typed = self
            .draft
            .pilot_groups
            .get(&forest)
            .map(|t| t.trim().to_string())
            .unwrap_or_default();
        let added = self.draft.directories.iter().find(|d| d.forest == forest);
        let (Some(added), Some(found)) = (added, self.facts.forests.get(&forest)) else {
            return Vec::new();
        };
        let Ok((server, account)) = added.form.parsed() else {
            return Vec::new();
        };
        if typed.is_empty() {
            return Vec::new();
        }
        let bases = found.reachable_naming_contexts();
        let probe = probe::Probe::FindGroup {
            forest: forest.clone(),
            server,
            account,
            password: added.form.password.clone(),
            bases,
            typed,
        };
        self.facts.pilot_groups.remove(&forest);
        self.facts.finding_group = Some(forest);
        vec![self.ask(probe)]
    }

    /// Starts the first step not done yet, unless one runs or the administrator stopped.
    fn next_step(&mut self) -> Vec<Effect> {
        let Some(configuring) = &mut self.facts.configuring else {
            return Vec::new();
        };
        if configuring.running() || configuring.stopping || configuring.failure().is_some() {
            return Vec::new();
        }
        let Some(step) = configuring.next_to_run() else {
            return Vec::new();
        };
        configuring
            .steps
            .insert(step, configuring::StepState::Running);
        let job = apply::Job {
            step,
            plan: configuring.plan.clone(),
            carried: configuring.carried.clone(),
        };
        let ticket = self.fresh_ticket();
        self.applying = Some(ticket);
        vec![Effect::Apply(ticket, Box::new(job))]
    }

    /// Checks the data folder as it now stands (a relative one needs no asking).
    fn check_data_folder(&mut self) -> Vec<Effect> {
        if !self.draft.data_dir.is_absolute() {
            self.awaited.remove(&probe::ProbeKind::DataFolder);
            return Vec::new();
        }
        let path = self.draft.data_dir.clone();
        vec![self.ask(probe::Probe::DataFolder { path })]
    }

    /// A ticket never handed out before.
    fn fresh_ticket(&mut self) -> Ticket {
        let ticket = Ticket(self.next_ticket);
        self.next_ticket += 1;
        ticket
    }

    /// A probe with a fresh ticket, which becomes the awaited one of its kind.
    fn ask(&mut self, probe: probe::Probe) -> Effect {
        let ticket = self.fresh_ticket();
        self.awaited.insert(probe.kind(), ticket);
        Effect::Probe(ticket, Box::new(probe))
    }

    /// Applies what the administrator did and returns the work to carry out.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let mut effects = self.apply_msg(msg);
        effects.extend(self.continue_import());
        effects
    }

    /// Sends the next stages of a settings import while nothing it asked is unanswered.
    fn continue_import(&mut self) -> Vec<Effect> {
        let mut effects = Vec::new();
        while self.awaited.is_empty() {
            let Some(mut import) = self.facts.import.take() else {
                break;
            };
            let msgs = import.next_stage(&self.draft, &self.facts);
            self.facts.import = Some(import);
            let Some(msgs) = msgs else {
                break;
            };
            for msg in msgs {
                effects.extend(self.apply_msg(msg));
            }
        }
        effects
    }

    /// Applies one message.
    fn apply_msg(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::SetLicenceAccepted(accepted) => self.draft.licence_accepted = accepted,
            Msg::SetMode(mode) => {
                self.draft.mode = Some(mode);
                if mode == InstallMode::Express {
                    // The express install's own settings, whatever a custom walk chose before.
                    self.draft.sign_in = SignInMethod::PasswordHashSync;
                    self.draft.single_sign_on = false;
                    self.draft.sync_selected = false;
                    self.draft.pilot_enabled = false;
                    self.draft.features.clear();
                    self.draft.extensions.clear();
                    self.draft.alternate_sign_in = None;
                    self.draft.anchor = crate::engine::rules::AnchorMode::Managed;
                    self.draft.matching = crate::engine::rules::Matching::Mail;
                    self.draft.no_start_sync = false;
                }
            }
            Msg::SetSignIn(method) => {
                if method != self.draft.sign_in {
                    // Another provider: its metadata must be read (and checked) afresh.
                    self.facts.federation.forget_provider();
                }
                self.draft.sign_in = method;
                // Single sign-on goes only with some methods: a method without it clears it.
                if !method.allows_single_sign_on() {
                    self.draft.single_sign_on = false;
                }
            }
            Msg::SetSingleSignOn(on) => self.draft.single_sign_on = on,
            Msg::SetTenantUser(v) => self.tenant_input(|t| t.user = v),
            Msg::SetTenantPassword(v) => self.tenant_input(|t| t.password = v),
            Msg::SetTenantAuthority(v) => self.tenant_input(|t| t.authority = v),
            Msg::SetTenantGraph(v) => self.tenant_input(|t| t.graph = v),
            Msg::SetTenantClientId(v) => self.tenant_input(|t| t.client_id = v),
            Msg::SetTenantCaFile(v) => self.tenant_input(|t| t.ca_file = v),
            Msg::SetTenantDeviceCode(on) => self.tenant_input(|t| t.device_code = on),
            Msg::SignInTenant if self.draft.tenant.device_code => {
                let probe = probe::Probe::DeviceCodeStart {
                    endpoint: self.draft.tenant.endpoint(),
                };
                self.facts.tenant = None;
                self.facts.signing_in = true;
                self.facts.device_prompt = None;
                return vec![self.ask(probe)];
            }
            Msg::SignInTenant => {
                let t = &self.draft.tenant;
                if !tenant::is_upn(t.user.trim()) || t.password.expose().is_empty() {
                    return Vec::new();
                }
                let probe = probe::Probe::TenantSignIn {
                    endpoint: t.endpoint(),
                    user: t.user.trim().to_string(),
                    password: t.password.clone(),
                };
                self.facts.tenant = None;
                self.facts.signing_in = true;
                return vec![self.ask(probe)];
            }
            Msg::SetDirectoryServer(v) => self.directory_input(|f| f.server = v),
            Msg::SetDirectoryAccount(v) => self.directory_input(|f| f.account = v),
            Msg::SetDirectoryPassword(v) => self.directory_input(|f| f.password = v),
            Msg::SetDirectoryStartTls(v) => self.directory_input(|f| f.starttls = v),
            Msg::SetDirectoryCaFile(v) => self.directory_input(|f| f.ca_file = v),
            Msg::SetDirectoryCreateAccount(v) => self.directory_input(|f| f.create_account = v),
            Msg::AddDirectory => {
                let Ok((server, account)) = self.draft.directory_form.parsed() else {
                    return Vec::new();
                };
                let password = self.draft.directory_form.password.clone();
                let probe = if directories::creates_account(&self.draft) {
                    probe::Probe::CreateConnector {
                        server,
                        admin: account,
                        password,
                        hash_sync: features::Feature::PasswordHashSync
                            .is_on(&self.draft, &self.facts),
                    }
                } else {
                    probe::Probe::Directory {
                        server,
                        account,
                        password,
                    }
                };
                self.facts.created_connector = None;
                self.facts.directory_probe = None;
                self.facts.adding_directory = true;
                return vec![self.ask(probe)];
            }
            Msg::SetAlternateSignIn(attribute) => self.draft.alternate_sign_in = attribute,
            Msg::SetSyncSelected(selected) => self.draft.sync_selected = selected,
            Msg::SetMatching(matching) => self.draft.matching = matching,
            Msg::SetPilotEnabled(on) => self.draft.pilot_enabled = on,
            Msg::SetStaging(on) => self.draft.staging = on,
            Msg::SetStartSync(on) => self.draft.no_start_sync = !on,
            Msg::SetServiceChoice(choice) => self.draft.service = choice,
            Msg::SetFeature(feature, on) => {
                if on {
                    self.draft.features.insert(feature);
                } else {
                    self.draft.features.remove(&feature);
                }
            }
            Msg::SetPilotGroup(forest, typed) => {
                if self.facts.finding_group.as_deref() == Some(forest.as_str()) {
                    self.facts.finding_group = None;
                    self.awaited.remove(&probe::ProbeKind::FindGroup);
                }
                self.draft.pilot_groups.insert(forest, typed);
            }
            Msg::FindPilotGroup(forest) => return self.find_pilot_group(forest),
            Msg::SetAnchor(anchor) => self.draft.anchor = anchor,
            Msg::TickContainer(forest, dn, ticked) => {
                if let Some(selection) = self.draft.ou_filters.get_mut(&forest) {
                    selection.set(&dn, ticked);
                }
            }
            Msg::SetOuSearch(text) => self.draft.ou_search = text,
            Msg::SetExtensionSearch(text) => self.draft.extension_search = text,
            Msg::ChooseTask(task) => self.draft.tasks.task = task,
            Msg::SetTaskStaging(on) => self.draft.tasks.staging = Some(on),
            Msg::RefreshInstalled => return self.reload_installed(),
            Msg::ApplyTaskChange => {
                let Some(Ok(installed)) = &self.facts.installed else {
                    return Vec::new();
                };
                let Some(settings) = tasks::staging_change(&self.draft, installed) else {
                    return Vec::new();
                };
                self.facts.task_change = None;
                let data = self.draft.data_dir.clone();
                return vec![self.ask(probe::Probe::ApplyChange {
                    data,
                    settings: Box::new(settings),
                })];
            }
            Msg::RunChecks => {
                self.facts.checks = None;
                let data = self.draft.data_dir.clone();
                return vec![self.ask(probe::Probe::Troubleshoot { data })];
            }
            Msg::SetTaskSearch(text) => self.draft.tasks.search = text,
            Msg::RefreshSchema => {
                self.facts.schema_refresh = None;
                let data = self.draft.data_dir.clone();
                return vec![self.ask(probe::Probe::RefreshSchema { data })];
            }
            Msg::ReadSsoStates => {
                let data = self.draft.data_dir.clone();
                return vec![self.ask(probe::Probe::SsoStates { data })];
            }
            Msg::RenewSso(forest) => {
                let entry = sso::entry(&self.draft, &forest);
                let (account, password) = (entry.account.clone(), entry.password.clone());
                self.facts.sso_renewed.remove(&forest);
                let data = self.draft.data_dir.clone();
                return vec![self.ask(probe::Probe::RenewSso {
                    data,
                    forest,
                    account,
                    password,
                })];
            }
            Msg::SearchInstalled => {
                let text = self.draft.tasks.search.trim().to_string();
                if text.is_empty() {
                    return Vec::new();
                }
                let data = self.draft.data_dir.clone();
                return vec![self.ask(probe::Probe::Search { data, text })];
            }
            Msg::BeginChange(change) => {
                self.draft.tasks.change = change;
                self.facts.task_change = None;
                let data = self.draft.data_dir.clone();
                return vec![self.ask(probe::Probe::ReadForChange { data })];
            }
            Msg::ExportInstalledTo(path) => {
                self.facts.export = None;
                let data = self.draft.data_dir.clone();
                return vec![self.ask(probe::Probe::ExportInstalled { data, path })];
            }
            Msg::ServiceAction(action) => {
                self.facts.service_action = None;
                let data = self.draft.data_dir.clone();
                return vec![self.ask(probe::Probe::Service { data, action })];
            }
            Msg::RunCycleNow => {
                self.facts.task_cycle = None;
                let data = self.draft.data_dir.clone();
                return vec![self.ask(probe::Probe::RunCycle { data })];
            }
            Msg::SetSsoAccount(forest, account) => {
                self.sso_input(&forest);
                self.draft.sso.entry(forest).or_default().account = account;
            }
            Msg::SetSsoPassword(forest, password) => {
                self.sso_input(&forest);
                self.draft.sso.entry(forest).or_default().password = password;
            }
            Msg::SetSsoSkip(forest, skip) => self.draft.sso.entry(forest).or_default().skip = skip,
            Msg::VerifySso(forest) => return self.verify_sso(forest),
            Msg::SetService(service, on) => {
                if on {
                    self.draft.services.insert(service);
                } else {
                    self.draft.services.remove(&service);
                }
            }
            Msg::SetAttribute(name, on) => {
                if on {
                    self.draft
                        .unticked_attributes
                        .retain(|u| !u.eq_ignore_ascii_case(&name));
                } else {
                    self.draft.unticked_attributes.insert(name);
                }
            }
            Msg::SetExtension(name, on) => {
                if on {
                    self.draft.extensions.insert(name);
                } else {
                    self.draft.extensions.remove(&name);
                }
            }
            Msg::SetOuSelection(forest, selection) => {
                if self.draft.ou_filters.contains_key(&forest) {
                    self.draft.ou_filters.insert(forest, selection);
                }
            }
            Msg::SetDataDir(path) => {
                self.draft.data_dir = path;
                return self.check_data_folder();
            }
            Msg::Browse(what) => return vec![Effect::ChoosePath(what)],
            Msg::Federation(input) => {
                self.facts.federation.forget_for(&input);
                self.draft.federation.apply(input);
            }
            Msg::Database(input) => {
                if self.draft.database.apply(input) {
                    // A test of other values says nothing about these.
                    self.facts.database = None;
                    self.awaited.remove(&probe::ProbeKind::Database);
                }
            }
            Msg::TestDatabase => {
                self.facts.database = None;
                if let Some(server) = self.draft.database.server() {
                    return vec![self.ask(probe::Probe::TestDatabase { server })];
                }
            }
            Msg::CheckFarmCertificate => {
                let fed = &self.draft.federation;
                let probe = probe::Probe::FederationCertificate {
                    file: fed.certificate_file.trim().into(),
                    password: fed.certificate_password.clone(),
                    name: fed.name(),
                };
                self.facts.federation.certificate = None;
                return vec![self.ask(probe)];
            }
            Msg::FetchFederationMetadata => {
                let fed = &self.draft.federation;
                let host =
                    federation::provider(&self.draft).and_then(|p| p.host().map(str::to_string));
                let probe = probe::Probe::FederationMetadata {
                    url: fed.metadata_address(),
                    ca_file: fed.ca_path(),
                    host,
                };
                self.facts.federation.metadata = None;
                return vec![self.ask(probe)];
            }
            Msg::RunFederationChecks => {
                self.facts.federation.verification = None;
                let Some(checks) = federation::farm_checks(&self.draft, &self.facts) else {
                    self.facts.federation.verification = Some(Err(
                        "the forest or the farm's inputs are not complete: go back to the pages before"
                            .into(),
                    ));
                    return Vec::new();
                };
                return vec![self.ask(probe::Probe::VerifyFarm(Box::new(checks)))];
            }
            Msg::ConvertToManaged(domain) => {
                let Some(Ok(tenant)) = &self.facts.tenant else {
                    return Vec::new();
                };
                let probe = probe::Probe::ConvertToManaged {
                    admin: tenant.admin.clone(),
                    domain: domain.clone(),
                };
                self.facts.federation.converted.remove(&domain);
                return vec![self.ask(probe)];
            }
            Msg::Next
                if self.position == Position::Page(PageId::ConvertDomains)
                    && self.draft.tasks.customizing =>
            {
                // Each conversion is done when pressed: Next returns to the tasks.
                self.end_customizing();
                return self.reload_installed();
            }
            Msg::SavePingSettings => {
                let path = self.draft.federation.ping_export.trim().to_string();
                if path.is_empty() {
                    self.facts.federation.saved =
                        Some(Err("type where to save the settings first".into()));
                    return Vec::new();
                }
                let text = federation::ping_settings(&self.draft, &self.facts);
                self.facts.federation.saved = None;
                return vec![self.ask(probe::Probe::SaveText {
                    path: path.into(),
                    text,
                })];
            }
            Msg::SetImportFile(text) => self.draft.import_file = text,
            Msg::ImportSettingsFrom(path) => {
                self.draft.import_file = path.display().to_string();
                self.facts.settings_file = None;
                return vec![self.ask(probe::Probe::ReadSettings { path })];
            }
            Msg::ImportSettings(imported) => {
                // An import starts from a clean slate: forests added before are removed, so
                // the result is the file's configuration, not a mixture.
                self.draft.directories.clear();
                self.draft.ou_filters.clear();
                self.draft.pilot_groups.clear();
                self.draft.confirmed.clear();
                self.draft.features.clear();
                self.draft.extensions.clear();
                self.draft.unticked_attributes.clear();
                self.draft.services = crate::engine::attributes::Service::ALL
                    .iter()
                    .copied()
                    .collect();
                self.facts.forests.clear();
                self.facts.pilot_groups.clear();
                self.facts.settings_file = None;
                self.draft.mode = Some(InstallMode::Custom);
                self.facts.import = Some(settings::ImportRun::new(*imported));
            }
            Msg::ExportSettingsTo(path) => {
                let file = settings::SettingsFile::from_draft(&self.draft, &self.facts);
                self.facts.export = None;
                return vec![self.ask(probe::Probe::WriteSettings {
                    path,
                    file: Box::new(file),
                })];
            }
            Msg::Confirm(page, message, yes) => {
                if yes {
                    self.draft.confirmed.insert((page, message));
                } else {
                    self.draft.confirmed.remove(&(page, message));
                }
            }
            Msg::RemoveDirectory(forest) => {
                self.draft.directories.retain(|d| d.forest != forest);
                self.draft.ou_filters.remove(&forest);
                self.draft.sso.remove(&forest);
                self.facts.sso_checks.remove(&forest);
                self.facts.forests.remove(&forest);
            }
            Msg::ProbeDone(ticket, result) => {
                let kind = result.kind();
                // An answer to a question that has since changed is of no use.
                if self.awaited.get(&kind) != Some(&ticket) {
                    return Vec::new();
                }
                self.awaited.remove(&kind);
                match result {
                    probe::ProbeResult::DatabaseTested(test) => {
                        self.facts.database = Some(test);
                    }
                    probe::ProbeResult::FederationCertificate(found) => {
                        self.facts.federation.certificate = Some(found);
                    }
                    probe::ProbeResult::FederationMetadata(found) => {
                        self.facts.federation.metadata = Some(found);
                    }
                    probe::ProbeResult::FarmVerified(rows) => {
                        self.facts.federation.verification = Some(Ok(rows));
                    }
                    probe::ProbeResult::ConvertedToManaged(domain, outcome) => {
                        if outcome.is_ok()
                            && let Some(Ok(tenant)) = &mut self.facts.tenant
                            && let Some(d) = tenant
                                .domains
                                .iter_mut()
                                .find(|d| d.id.eq_ignore_ascii_case(&domain))
                        {
                            d.authentication_type = "Managed".into();
                        }
                        self.facts.federation.converted.insert(domain, outcome);
                    }
                    probe::ProbeResult::TextSaved(outcome) => {
                        self.facts.federation.saved = Some(outcome);
                    }
                    probe::ProbeResult::TenantSignIn(outcome) => {
                        self.facts.signing_in = false;
                        self.facts.device_prompt = None;
                        self.facts.tenant = Some(outcome);
                    }
                    probe::ProbeResult::DeviceCode(Err(reason)) => {
                        self.facts.signing_in = false;
                        self.facts.tenant = Some(Err(reason));
                    }
                    probe::ProbeResult::DeviceCode(Ok(prompt)) => {
                        // Show the code, and wait for the administrator to enter it.
                        self.facts.device_prompt =
                            Some((prompt.verification_uri.clone(), prompt.user_code.clone()));
                        let wait = probe::Probe::DeviceCodeWait {
                            endpoint: self.draft.tenant.endpoint(),
                            prompt,
                        };
                        return vec![self.ask(wait)];
                    }
                    probe::ProbeResult::FindGroup(forest, outcome) => {
                        self.facts.finding_group = None;
                        self.facts.pilot_groups.insert(forest, outcome);
                    }
                    probe::ProbeResult::Directory(outcome) => {
                        self.facts.adding_directory = false;
                        self.directory_found(outcome.map(|found| *found));
                    }
                    probe::ProbeResult::Installed(outcome) => self.facts.installed = Some(outcome),
                    probe::ProbeResult::TaskChanged(outcome) => {
                        if outcome.is_ok() {
                            self.draft.tasks.staging = None;
                            if self.draft.tasks.customizing {
                                self.end_customizing();
                                self.draft.tasks.task = tasks::Task::Configuration;
                            }
                        }
                        self.facts.task_change = Some(outcome);
                        return self.reload_installed();
                    }
                    probe::ProbeResult::Checks(outcome) => self.facts.checks = Some(outcome),
                    probe::ProbeResult::Found(outcome) => self.facts.found = Some(outcome),
                    probe::ProbeResult::SchemaRefreshed(outcome) => {
                        self.facts.schema_refresh = Some(outcome);
                        return self.reload_installed();
                    }
                    probe::ProbeResult::SsoStates(outcome) => {
                        self.facts.sso_states = Some(outcome);
                    }
                    probe::ProbeResult::SsoRenewed(forest, outcome) => {
                        let done = outcome.is_ok();
                        self.facts.sso_renewed.insert(forest, outcome);
                        if done {
                            return self.apply_msg(Msg::ReadSsoStates);
                        }
                    }
                    probe::ProbeResult::ForChange(Ok(imported)) => {
                        self.draft.tasks.customizing = true;
                        self.position = Position::Page(PageId::ConnectTenant);
                        return self.apply_msg(Msg::ImportSettings(imported));
                    }
                    probe::ProbeResult::ForChange(Err(why)) => {
                        self.facts.task_change = Some(Err(why));
                    }
                    probe::ProbeResult::ServiceDone(outcome) => {
                        self.facts.service_action = Some(outcome);
                        return self.reload_installed();
                    }
                    probe::ProbeResult::TaskCycle(outcome) => {
                        self.facts.task_cycle = Some(outcome);
                        return self.reload_installed();
                    }
                    probe::ProbeResult::SsoVerified(forest, outcome) => {
                        self.facts.verifying_sso = None;
                        self.facts.sso_checks.insert(forest, outcome);
                    }
                    probe::ProbeResult::ConnectorCreated(outcome) => {
                        self.facts.adding_directory = false;
                        match outcome {
                            Ok(created) => {
                                // From here on the forest is read with the new account; the
                                // administrator's password is forgotten.
                                let created = *created;
                                let form = &mut self.draft.directory_form;
                                form.account = created.account.clone();
                                form.password = created.password;
                                form.create_account = false;
                                self.facts.created_connector =
                                    Some(format!("{} ({})", created.account, created.dn));
                                self.directory_found(Ok(created.facts));
                            }
                            Err(why) => self.facts.directory_probe = Some(Err(why)),
                        }
                    }
                    probe::ProbeResult::ReadSettings(Ok(imported)) => {
                        return self.apply_msg(Msg::ImportSettings(imported));
                    }
                    probe::ProbeResult::ReadSettings(Err(why)) => {
                        self.facts.settings_file = Some(Err(why));
                    }
                    probe::ProbeResult::WriteSettings(outcome) => {
                        self.facts.export = Some(outcome);
                    }
                    probe::ProbeResult::DataFolder(path, check) => {
                        self.facts.data_folder = Some((path, check));
                    }
                }
            }
            Msg::Next
                if matches!(
                    self.position,
                    Position::Page(PageId::Complete | PageId::AdditionalTasks)
                ) =>
            {
                return vec![Effect::Close];
            }
            Msg::Next
                if self.position == Position::Page(PageId::ReadyToConfigure)
                    && self.draft.tasks.customizing =>
            {
                if !self.can_go_next() || self.probing(probe::ProbeKind::TaskChange) {
                    return Vec::new();
                }
                let (Ok(plan), Some(Ok(installed))) = (self.plan(), &self.facts.installed) else {
                    return Vec::new();
                };
                let settings =
                    tasks::customized(&installed.settings, &plan, self.draft.tasks.change);
                self.facts.task_change = None;
                let data = self.draft.data_dir.clone();
                return vec![self.ask(probe::Probe::ApplyCustomized {
                    data,
                    settings: Box::new(settings),
                    plan: Box::new(plan),
                })];
            }
            Msg::Next
                if self.position == Position::Page(PageId::ReadyToConfigure)
                    && self.can_go_next() =>
            {
                let Ok(plan) = self.plan() else {
                    return Vec::new();
                };
                self.facts.configuring = Some(configuring::Configuring::new(plan));
                self.position = Position::Page(PageId::Configuring);
                return self.next_step();
            }
            Msg::ApplyDone(ticket, done) => {
                if self.applying != Some(ticket) {
                    return Vec::new();
                }
                self.applying = None;
                if let Some(configuring) = &mut self.facts.configuring {
                    configuring.progress = None;
                    let state = match done.outcome {
                        Ok((carried, line)) => {
                            configuring.carried = carried;
                            configuring::StepState::Done(line)
                        }
                        Err(why) => configuring::StepState::Failed(why),
                    };
                    configuring.steps.insert(done.step, state);
                }
                return self.next_step();
            }
            Msg::StepProgress(ticket, phase, handled) => {
                if self.applying == Some(ticket)
                    && let Some(configuring) = &mut self.facts.configuring
                {
                    configuring.progress = Some((phase, handled));
                }
            }
            Msg::RetryApply => {
                if let Some(configuring) = &mut self.facts.configuring
                    && !configuring.running()
                {
                    configuring.stopping = false;
                    for state in configuring.steps.values_mut() {
                        if matches!(state, configuring::StepState::Failed(_)) {
                            *state = configuring::StepState::Pending;
                        }
                    }
                }
                return self.next_step();
            }
            Msg::StopApply => {
                if let Some(configuring) = &mut self.facts.configuring {
                    configuring.stopping = true;
                }
            }
            Msg::Next => {
                if self.can_go_next()
                    && let Position::Page(page) = self.position
                {
                    let flow = self.flow();
                    let next = flow
                        .iter()
                        .position(|&p| p == page)
                        .and_then(|i| flow.get(i + 1));
                    self.position = next.map_or(Position::EndOfBuild, |&p| Position::Page(p));
                    if self.position == Position::Page(PageId::RequiredComponents) {
                        return self.check_data_folder();
                    }
                }
            }
            Msg::Back => {
                if self.can_go_back() {
                    let flow = self.flow();
                    self.position = match self.position {
                        Position::EndOfBuild => {
                            flow.last().map_or(self.position, |&p| Position::Page(p))
                        }
                        Position::Page(page) => flow
                            .iter()
                            .position(|&p| p == page)
                            .and_then(|i| i.checked_sub(1))
                            .and_then(|i| flow.get(i))
                            .map_or(self.position, |&p| Position::Page(p)),
                    };
                    if self.position == Position::Page(PageId::AdditionalTasks) {
                        self.end_customizing();
                    }
                }
            }
            // While a step runs, Cancel stops after it rather than leaving half-way through.
            Msg::Cancel
                if self
                    .facts
                    .configuring
                    .as_ref()
                    .is_some_and(configuring::Configuring::running) =>
            {
                return self.apply_msg(Msg::StopApply);
            }
            Msg::Cancel => self.confirming_cancel = true,
            Msg::CancelDismissed => self.confirming_cancel = false,
            Msg::CancelConfirmed if self.draft.tasks.customizing => {
                // Leaving a customization goes back to the tasks; nothing was applied.
                self.confirming_cancel = false;
                self.end_customizing();
            }
            Msg::CancelConfirmed => {
                self.confirming_cancel = false;
                return vec![Effect::Close];
            }
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choosing_express_puts_back_the_express_settings() {
        let mut wizard = Wizard::new();
        wizard.update(Msg::SetMode(InstallMode::Custom));
        wizard.update(Msg::SetSignIn(SignInMethod::PassThrough));
        wizard.update(Msg::SetSyncSelected(true));
        wizard.update(Msg::SetPilotEnabled(true));
        wizard.update(Msg::SetFeature(
            features::Feature::DirectoryExtensions,
            true,
        ));
        wizard.update(Msg::SetAnchor(crate::engine::rules::AnchorMode::Attribute(
            "employeeID".into(),
        )));
        wizard.update(Msg::SetMode(InstallMode::Express));
        let draft = wizard.draft();
        assert_eq!(draft.sign_in, SignInMethod::PasswordHashSync);
        assert!(!draft.sync_selected && !draft.pilot_enabled && draft.features.is_empty());
        assert_eq!(draft.anchor, crate::engine::rules::AnchorMode::Managed);
    }

    #[test]
    fn next_is_refused_until_the_licence_is_accepted() {
        let mut wizard = Wizard::new();
        assert!(!wizard.can_go_next());
        wizard.update(Msg::Next);
        assert_eq!(wizard.position(), Position::Page(PageId::Welcome));
        wizard.update(Msg::SetLicenceAccepted(true));
        assert!(wizard.can_go_next());
        wizard.update(Msg::Next);
        assert_eq!(wizard.position(), Position::Page(PageId::Express));
        assert!(wizard.is_completed(PageId::Welcome));
    }

    #[test]
    fn back_returns_and_keeps_what_was_entered() {
        let mut wizard = Wizard::new();
        assert!(!wizard.can_go_back());
        wizard.update(Msg::SetLicenceAccepted(true));
        wizard.update(Msg::Next);
        wizard.update(Msg::Back);
        assert_eq!(wizard.position(), Position::Page(PageId::Welcome));
        assert!(wizard.draft().licence_accepted);
        assert!(!wizard.is_completed(PageId::Welcome));
    }

    #[test]
    fn the_custom_walk_reaches_sign_in_and_a_method_without_sso_clears_it() {
        let mut wizard = Wizard::new();
        wizard.update(Msg::SetLicenceAccepted(true));
        wizard.update(Msg::Next);
        assert!(!wizard.can_go_next(), "express or custom must be chosen");
        wizard.update(Msg::SetMode(InstallMode::Custom));
        // Entering Required components checks the data folder; Next waits for the answer.
        let effects = wizard.update(Msg::Next);
        assert_eq!(
            wizard.position(),
            Position::Page(PageId::RequiredComponents)
        );
        let [Effect::Probe(ticket, check)] = effects.as_slice() else {
            panic!("one folder check: {effects:?}");
        };
        let probe::Probe::DataFolder { path } = check.as_ref() else {
            panic!("a folder check: {check:?}");
        };
        assert_eq!(path, &wizard.draft().data_dir);
        assert!(!wizard.can_go_next());
        wizard.update(Msg::ProbeDone(
            *ticket,
            probe::ProbeResult::DataFolder(path.clone(), components::FolderCheck::Usable),
        ));
        assert!(wizard.can_go_next());
        // Another folder is checked afresh; the answer for it replaces the old one.
        let effects = wizard.update(Msg::SetDataDir("/srv/skybridge-two".into()));
        assert!(!wizard.can_go_next());
        let [Effect::Probe(second, _)] = effects.as_slice() else {
            panic!("a new check: {effects:?}");
        };
        wizard.update(Msg::ProbeDone(
            *second,
            probe::ProbeResult::DataFolder(
                "/srv/skybridge-two".into(),
                components::FolderCheck::Installed,
            ),
        ));
        assert!(!wizard.can_go_next(), "an installed folder is refused");
        wizard.update(Msg::SetDataDir(path.clone()));
        wizard.update(Msg::ProbeDone(
            *ticket,
            probe::ProbeResult::DataFolder(path.clone(), components::FolderCheck::Usable),
        ));
        assert!(!wizard.can_go_next(), "an old answer is dropped");
        let effects = wizard.update(Msg::SetDataDir(path.clone()));
        let [Effect::Probe(third, _)] = effects.as_slice() else {
            panic!("a new check: {effects:?}");
        };
        wizard.update(Msg::ProbeDone(
            *third,
            probe::ProbeResult::DataFolder(path.clone(), components::FolderCheck::Usable),
        ));
        wizard.update(Msg::Next);
        assert_eq!(wizard.position(), Position::Page(PageId::UserSignIn));
        wizard.update(Msg::SetSingleSignOn(true));
        assert!(wizard.can_go_next());
        wizard.update(Msg::SetSignIn(SignInMethod::FederationAdfs));
        assert!(!wizard.draft().single_sign_on);
        assert!(wizard.can_go_next(), "federation goes on to its own pages");
        wizard.update(Msg::SetSignIn(SignInMethod::DoNotConfigure));
        assert!(wizard.can_go_next(), "a warning does not block");
        wizard.update(Msg::Next);
        assert_eq!(wizard.position(), Position::Page(PageId::ConnectTenant));
    }

    fn signed_in_facts(user: &str) -> tenant::TenantFacts {
        tenant::TenantFacts {
            user: user.into(),
            tenant_id: "t".into(),
            display_name: "Contoso".into(),
            domains: Vec::new(),
            admin: Default::default(),
        }
    }

    #[test]
    fn a_sign_in_answer_for_input_that_has_changed_is_dropped() {
        let mut wizard = Wizard::new();
        wizard.update(Msg::SetTenantUser("admin@contoso.com".into()));
        wizard.update(Msg::SetTenantPassword(crate::secret::Secret::new("pw")));
        let effects = wizard.update(Msg::SignInTenant);
        let [Effect::Probe(first, asked)] = effects.as_slice() else {
            panic!("one probe: {effects:?}");
        };
        let probe::Probe::TenantSignIn { user, .. } = asked.as_ref() else {
            panic!("a sign-in probe: {asked:?}");
        };
        assert_eq!(user, "admin@contoso.com");
        assert!(wizard.probing(probe::ProbeKind::TenantSignIn));
        // The administrator corrects the name while the first sign-in is on its way.
        wizard.update(Msg::SetTenantUser("admin@fabrikam.com".into()));
        wizard.update(Msg::ProbeDone(
            *first,
            probe::ProbeResult::TenantSignIn(Ok(signed_in_facts("admin@contoso.com"))),
        ));
        assert!(wizard.facts().tenant.is_none(), "a stale answer is dropped");
        let effects = wizard.update(Msg::SignInTenant);
        let [Effect::Probe(second, _)] = effects.as_slice() else {
            panic!("{effects:?}");
        };
        assert_ne!(first, second);
        wizard.update(Msg::ProbeDone(
            *second,
            probe::ProbeResult::TenantSignIn(Ok(signed_in_facts("admin@fabrikam.com"))),
        ));
        assert!(matches!(&wizard.facts().tenant, Some(Ok(f)) if f.user == "admin@fabrikam.com"));
        assert!(!wizard.probing(probe::ProbeKind::TenantSignIn));
    }

    #[test]
    fn sign_in_is_not_attempted_without_a_name_and_password() {
        let mut wizard = Wizard::new();
        assert!(wizard.update(Msg::SignInTenant).is_empty());
        wizard.update(Msg::SetTenantUser("not-a-upn".into()));
        wizard.update(Msg::SetTenantPassword(crate::secret::Secret::new("pw")));
        assert!(wizard.update(Msg::SignInTenant).is_empty());
    }

    #[test]
    fn another_sign_in_method_forgets_the_metadata_read_for_the_last() {
        let mut wizard = Wizard::new();
        wizard.update(Msg::SetSignIn(SignInMethod::FederationPing));
        wizard.facts.federation.metadata = Some(Err("read for PingFederate".into()));
        wizard.update(Msg::SetSignIn(SignInMethod::FederationPing));
        assert!(
            wizard.facts.federation.metadata.is_some(),
            "the same method keeps it"
        );
        wizard.update(Msg::SetSignIn(SignInMethod::FederationAdfs));
        assert!(wizard.facts.federation.metadata.is_none());
    }

    fn an_empty_plan() -> plan::InstallPlan {
        plan::InstallPlan {
            sign_in: SignInMethod::default(),
            single_sign_on: false,
            tenant: crate::tenant::TenantEndpoint::default(),
            tenant_name: "Contoso".into(),
            directories: Vec::new(),
            sync: crate::engine::sync::SyncSettings::new(
                Vec::new(),
                Vec::new(),
                "c.onmicrosoft.com",
            ),
            alternate_sign_in: None,
            features: Vec::new(),
            start_sync: true,
            service: ready::ServiceChoice::None,
            choices: None,
            tenant_id: "t".into(),
            admin: Default::default(),
            data_dir: std::env::temp_dir().join("never-written"),
            sso: Vec::new(),
            federation: None,
            database: None,
        }
    }

    fn step_of(effects: &[Effect]) -> (Ticket, apply::Step) {
        match effects {
            [Effect::Apply(ticket, job)] => (*ticket, job.step),
            other => panic!("one step expected: {other:?}"),
        }
    }

    #[test]
    fn configuring_runs_steps_in_turn_retries_a_failed_one_and_stops_when_asked() {
        let mut wizard = Wizard::new();
        wizard.position = Position::Page(PageId::Configuring);
        wizard.facts.configuring = Some(configuring::Configuring::new(an_empty_plan()));
        let (first, step) = step_of(&wizard.next_step());
        assert_eq!(step, apply::Step::CreateStore);
        assert!(!wizard.can_go_back() && !wizard.can_go_next());
        let done =
            |step, outcome| Msg::ApplyDone(Ticket(0), Box::new(apply::Done { step, outcome }));
        // An answer with another ticket is not the awaited one.
        assert!(
            wizard
                .update(done(step, Ok((Default::default(), String::new()))))
                .is_empty()
        );
        let answer =
            |ticket, step, outcome| Msg::ApplyDone(ticket, Box::new(apply::Done { step, outcome }));
        // Progress of the running step is kept; a report for another ticket is not.
        use crate::engine::install::CyclePhase;
        let progress = |w: &Wizard| {
            w.facts()
                .configuring
                .as_ref()
                .and_then(|c| c.progress.clone())
        };
        wizard.update(Msg::StepProgress(
            first,
            CyclePhase::Import("f".into()),
            250,
        ));
        wizard.update(Msg::StepProgress(Ticket(0), CyclePhase::Export, 9));
        assert_eq!(
            progress(&wizard),
            Some((CyclePhase::Import("f".into()), 250))
        );
        let effects = wizard.update(answer(first, step, Ok((Default::default(), "made".into()))));
        assert_eq!(progress(&wizard), None, "a finished step has no progress");
        let (second, step) = step_of(&effects);
        assert_eq!(step, apply::Step::PrepareTenant);
        // It fails: nothing more runs, Next stays off and the reason is on the page.
        let effects = wizard.update(answer(second, step, Err("refused".into())));
        assert!(effects.is_empty());
        let problems = wizard.problems(PageId::Configuring);
        assert!(problems[0].text().contains("refused"), "{problems:?}");
        // Retry runs the failed step again, not the first one.
        let (third, step) = step_of(&wizard.update(Msg::RetryApply));
        assert_eq!(step, apply::Step::PrepareTenant);
        // Cancel while it runs asks to stop after it; nothing follows.
        assert!(wizard.update(Msg::Cancel).is_empty());
        assert!(!wizard.confirming_cancel());
        let effects = wizard.update(answer(third, step, Ok((Default::default(), "app".into()))));
        assert!(effects.is_empty(), "stopped after the step");
        let (_, step) = step_of(&wizard.update(Msg::RetryApply));
        assert_eq!(step, apply::Step::SaveCredentials);
    }

    #[test]
    fn cancel_asks_first_and_only_a_confirmation_closes() {
        let mut wizard = Wizard::new();
        assert!(wizard.update(Msg::Cancel).is_empty());
        assert!(wizard.confirming_cancel());
        assert!(wizard.update(Msg::CancelDismissed).is_empty());
        assert!(!wizard.confirming_cancel());
        wizard.update(Msg::Cancel);
        assert!(matches!(
            wizard.update(Msg::CancelConfirmed).as_slice(),
            [Effect::Close]
        ));
    }
}
