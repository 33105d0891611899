//! What flows into the wizard ([`Msg`]: something the administrator did, or a probe's answer)
//! and out of it ([`Effect`]: work for the front end to carry out).

use super::{InstallMode, PageId, SignInMethod, apply, pages, probe, settings};

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
    /// Typed where the service listens for password agents.
    SetPasswordListen(String),
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
    SetOuSelection(String, crate::wizard::state::scope::OuSelection),
    /// Typed or chose the data folder.
    SetDataDir(std::path::PathBuf),
    /// Pressed a Browse button: open the system's dialog for this path.
    Browse(PathFor),
    /// Entered something on a federation page.
    Federation(super::federation::FedMsg),
    /// Entered something for the database server (Required components).
    Database(pages::required_components::database::DatabaseInput),
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
    SetServiceChoice(pages::ready_to_configure::ServiceChoice),
    /// Ticked or cleared an optional feature.
    SetFeature(crate::wizard::state::choices::Feature, bool),
    /// Ticked or cleared a cloud service on App filtering.
    SetService(crate::engine::attributes::Service, bool),
    /// Ticked (`true`) or cleared an attribute on Attribute filtering (its LDAP name).
    SetAttribute(String, bool),
    /// Chose a task on Additional tasks.
    ChooseTask(pages::additional_tasks::Task),
    /// Ticked or cleared staging mode on Additional tasks.
    SetTaskStaging(bool),
    /// Pressed Apply on Additional tasks.
    ApplyTaskChange,
    /// Pressed "Run a cycle now" on Additional tasks.
    RunCycleNow,
    /// Pressed Start, Stop, Register or Unregister for the service on Additional tasks.
    ServiceAction(crate::ops::installed::ServiceAction),
    /// Pressed Customize (or Change sign-in) on Additional tasks: open that walk's pages with
    /// today's values.
    BeginChange(pages::additional_tasks::Change),
    /// Read each forest's single sign-on account (Additional tasks).
    ReadSsoStates,
    /// Read password synchronization's status (Additional tasks).
    ReadPasswordStatus,
    /// Open a one-time enrolment code for a domain controller's agent.
    NewEnrolmentCode,
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
    Answered(Ticket, probe::Answer),
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
    /// Run [`probe::run`] off the drawing thread and send back [`Msg::Answered`] with this
    /// ticket.
    Probe(Ticket, Box<probe::Probe>),
    /// Run [`super::operation::run`] off the drawing thread and send back [`Msg::Answered`]
    /// with this ticket.
    Operate(Ticket, Box<super::operation::Operation>),
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
            PathFor::FarmCertificate => Msg::Federation(
                super::federation::FedMsg::SetCertificateFile(path.display().to_string()),
            ),
        }
    }
}
