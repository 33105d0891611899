//! The install wizard as data, with no user interface in it.
//!
//! A [`Wizard`] holds the administrator's [`Draft`], the page being shown and whether a dialog
//! is open. Front ends send it [`Msg`]s through [`Wizard::update`] and carry out the
//! [`Effect`]s it returns; they never change the state themselves. Which pages exist is a pure
//! function of the draft ([`flow::flow`]) and each page has a pure validator, so the whole walk
//! is testable without a window.

pub mod apply;
pub mod flow;
pub mod headless;
pub mod msg;
pub mod pages;
pub mod plan;
pub mod probe;
pub mod problem;
pub mod profile;
pub mod registry;
pub mod settings;
pub mod state;
pub mod text;

pub use pages::express::InstallMode;
pub use pages::user_sign_in::SignInMethod;
pub use problem::{Problem, Severity};
pub use registry::PageId;

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

pub use msg::{Effect, Msg, PathFor, Ticket};
pub use registry::problems_of;
pub use state::{Draft, Facts};

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
        flow::flow(&self.draft)
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
    fn tenant_input(&mut self, change: impl FnOnce(&mut pages::connect_tenant::TenantDraft)) {
        change(&mut self.draft.tenant);
        self.facts.tenant = None;
        self.facts.signing_in = false;
        self.facts.device_prompt = None;
        self.awaited.remove(&probe::ProbeKind::TenantSignIn);
    }

    /// Changes the forest form: an earlier outcome no longer holds.
    fn directory_input(
        &mut self,
        change: impl FnOnce(&mut pages::connect_directories::DirectoryForm),
    ) {
        change(&mut self.draft.directory_form);
        self.facts.directory_probe = None;
        self.facts.adding_directory = false;
        self.awaited.remove(&probe::ProbeKind::Directory);
    }

    /// A forest was read: added when its account is acceptable and it is new; otherwise the
    /// outcome stays on the page with the form as it was.
    fn directory_found(
        &mut self,
        outcome: Result<pages::connect_directories::ForestFacts, String>,
    ) {
        if let Ok(found) = &outcome
            && found.account.acceptable
            && !self
                .draft
                .directories
                .iter()
                .any(|d| d.forest.eq_ignore_ascii_case(&found.forest.name))
        {
            let form = std::mem::take(&mut self.draft.directory_form);
            self.draft
                .directories
                .push(pages::connect_directories::AddedDirectory {
                    forest: found.forest.name.clone(),
                    form,
                });
            self.draft.ou_filters.insert(
                found.forest.name.clone(),
                pages::domain_ou_filtering::OuSelection::everything(found),
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
        pages::single_sign_on::forget(&mut self.facts.sso_checks, forest);
        if self.facts.verifying_sso.as_deref() == Some(forest) {
            self.facts.verifying_sso = None;
            self.awaited.remove(&probe::ProbeKind::SsoAdmin);
        }
    }

    /// Checks a forest's single sign-on administrator at its domain controller.
    fn verify_sso(&mut self, forest: String) -> Vec<Effect> {
        let entry = pages::single_sign_on::entry(&self.draft, &forest).into_owned();
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
            .insert(step, pages::configuring::StepState::Running);
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
                if !pages::connect_tenant::is_upn(t.user.trim()) || t.password.expose().is_empty() {
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
                let probe = if pages::connect_directories::creates_account(&self.draft) {
                    probe::Probe::CreateConnector {
                        server,
                        admin: account,
                        password,
                        hash_sync: pages::optional_features::Feature::PasswordHashSync
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
                let Some(settings) =
                    pages::additional_tasks::staging_change(&self.draft, installed)
                else {
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
                let entry = pages::single_sign_on::entry(&self.draft, &forest);
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
                let host = pages::federation::provider(&self.draft)
                    .and_then(|p| p.host().map(str::to_string));
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
                let Some(checks) = pages::federation::farm_checks(&self.draft, &self.facts) else {
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
                let text = pages::federation::ping_settings(&self.draft, &self.facts);
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
                                self.draft.tasks.task =
                                    pages::additional_tasks::Task::Configuration;
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
                let settings = pages::additional_tasks::customized(
                    &installed.settings,
                    &plan,
                    self.draft.tasks.change,
                );
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
                self.facts.configuring = Some(pages::configuring::Configuring::new(plan));
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
                            pages::configuring::StepState::Done(line)
                        }
                        Err(why) => pages::configuring::StepState::Failed(why),
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
                        if matches!(state, pages::configuring::StepState::Failed(_)) {
                            *state = pages::configuring::StepState::Pending;
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
                    .is_some_and(pages::configuring::Configuring::running) =>
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
            pages::optional_features::Feature::DirectoryExtensions,
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
            probe::ProbeResult::DataFolder(
                path.clone(),
                pages::required_components::FolderCheck::Usable,
            ),
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
                pages::required_components::FolderCheck::Installed,
            ),
        ));
        assert!(!wizard.can_go_next(), "an installed folder is refused");
        wizard.update(Msg::SetDataDir(path.clone()));
        wizard.update(Msg::ProbeDone(
            *ticket,
            probe::ProbeResult::DataFolder(
                path.clone(),
                pages::required_components::FolderCheck::Usable,
            ),
        ));
        assert!(!wizard.can_go_next(), "an old answer is dropped");
        let effects = wizard.update(Msg::SetDataDir(path.clone()));
        let [Effect::Probe(third, _)] = effects.as_slice() else {
            panic!("a new check: {effects:?}");
        };
        wizard.update(Msg::ProbeDone(
            *third,
            probe::ProbeResult::DataFolder(
                path.clone(),
                pages::required_components::FolderCheck::Usable,
            ),
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

    fn signed_in_facts(user: &str) -> pages::connect_tenant::TenantFacts {
        pages::connect_tenant::TenantFacts {
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
            service: pages::ready_to_configure::ServiceChoice::None,
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
        wizard.facts.configuring = Some(pages::configuring::Configuring::new(an_empty_plan()));
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
