//! The questions the wizard asks servers (reads), as data, each answered through the library.
//! Work that writes is an [`super::operation::Operation`].
//!
//! The wizard returns a [`Probe`] inside an effect; the front end runs [`run`] on its tokio
//! runtime (never on the thread that draws) and sends the [`Answer`] back as a message with
//! the probe's ticket. A result whose ticket is no longer the latest for its kind (the input
//! changed meanwhile) is dropped by the wizard.

use crate::ops::discover::{CreatedConnector, ForestFacts, GroupFound};
use crate::secret::Secret;
use crate::tenant::{SignIn, TenantEndpoint};
use crate::wizard::state::tenant::TenantFacts;

/// A question for a server.
#[derive(Debug, Clone)]
pub enum Probe {
    /// Sign in to a domain controller, discover its forest and check the account.
    Directory {
        /// The domain controller.
        server: crate::directory::ServerSpec,
        /// The account.
        account: crate::directory::AccountName,
        /// Its password.
        password: Secret,
    },
    /// Sign in to a forest as the administrator given for single sign-on and check they may
    /// create its computer account.
    VerifySsoAdmin {
        /// The forest (its answer is filed under it).
        forest: String,
        /// The domain controller.
        server: crate::directory::ServerSpec,
        /// The administrator.
        account: crate::directory::AccountName,
        /// Their password.
        password: Secret,
    },
    /// Test connection: sign in to the database server and see whether the engine can keep
    /// its state there.
    TestDatabase {
        /// The server and how to sign in.
        server: crate::store::postgres::DbServer,
    },
    /// Check a federation farm's certificate file for its service name.
    FederationCertificate {
        /// The file.
        file: std::path::PathBuf,
        /// Its password.
        password: Secret,
        /// The federation service name.
        name: String,
    },
    /// Fetch, read and check an identity provider's metadata.
    FederationMetadata {
        /// Where it is.
        url: String,
        /// Certificate authorities to trust for it.
        ca_file: Option<std::path::PathBuf>,
        /// The host its endpoints must be on (an AD FS farm's name).
        host: Option<String>,
    },
    /// Run the federation verification's checks.
    VerifyFarm(Box<super::federation::FarmChecks>),
    /// Read an installed configuration (through its service, or its store).
    LoadInstalled {
        /// The data folder.
        data: std::path::PathBuf,
    },
    /// Run the troubleshooting checklist of an installation.
    Troubleshoot {
        /// The data folder.
        data: std::path::PathBuf,
    },
    /// Read an installation's settings for customizing, with its connector passwords.
    ReadForChange {
        /// The data folder.
        data: std::path::PathBuf,
    },
    /// Read each forest's single sign-on account of an installation.
    SsoStates {
        /// The data folder.
        data: std::path::PathBuf,
    },
    /// Read an installation's password synchronization status.
    PasswordStatus {
        /// The data folder.
        data: std::path::PathBuf,
    },
    /// Search an installation's connector spaces and metaverse.
    Search {
        /// The data folder.
        data: std::path::PathBuf,
        /// The text to look for.
        text: String,
    },
    /// Look up a pilot group in a forest.
    FindGroup {
        /// The forest (its answer is filed under it).
        forest: String,
        /// The domain controller.
        server: crate::directory::ServerSpec,
        /// The connector account.
        account: crate::directory::AccountName,
        /// Its password.
        password: Secret,
        /// The domains' naming contexts to look in.
        bases: Vec<String>,
        /// What the administrator typed.
        typed: String,
    },
    /// Start a device-code sign-in: ask the identity platform for a code to show.
    DeviceCodeStart {
        /// Where the tenant is.
        endpoint: TenantEndpoint,
    },
    /// Wait until the administrator has entered the code (and any second factor) in a browser,
    /// then read the organization and domains.
    DeviceCodeWait {
        /// Where the tenant is.
        endpoint: TenantEndpoint,
        /// The code that was shown.
        prompt: Box<crate::tenant::auth::DeviceCodePrompt>,
    },
    /// Check that a data folder can be installed into.
    DataFolder {
        /// The folder.
        path: std::path::PathBuf,
    },
    /// Read a settings file and look up the secrets it names.
    ReadSettings {
        /// The file.
        path: std::path::PathBuf,
    },
    /// Sign in to the tenant and read its organization and domains.
    TenantSignIn {
        /// Where the tenant is.
        endpoint: TenantEndpoint,
        /// The administrator.
        user: String,
        /// Their password.
        password: Secret,
    },
}

/// Which answer a probe or an operation gives: one answer of each kind is awaited at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProbeKind {
    /// [`Probe::TenantSignIn`].
    TenantSignIn,
    /// [`Probe::Directory`].
    Directory,
    /// [`Probe::FindGroup`].
    FindGroup,
    /// [`Probe::ReadSettings`] and `Operation::WriteSettings`.
    SettingsFile,
    /// [`Probe::DataFolder`].
    DataFolder,
    /// [`Probe::TestDatabase`].
    Database,
    /// [`Probe::VerifySsoAdmin`].
    SsoAdmin,
    /// The federation pages' checks.
    Federation,
    /// [`Probe::LoadInstalled`].
    Installed,
    /// The changes and runs of Additional tasks (`Operation::ApplyChange`, `Operation::RunCycle`, …).
    TaskChange,
    /// [`Probe::Search`].
    Search,
    /// [`Probe::SsoStates`].
    SsoStates,
    /// [`Probe::PasswordStatus`] and opening an enrolment code.
    Passwords,
}

impl Probe {
    /// Its kind.
    pub fn kind(&self) -> ProbeKind {
        match self {
            // One tenant sign-in at a time, whichever way.
            Probe::TenantSignIn { .. }
            | Probe::DeviceCodeStart { .. }
            | Probe::DeviceCodeWait { .. } => ProbeKind::TenantSignIn,
            Probe::Directory { .. } => ProbeKind::Directory,
            Probe::VerifySsoAdmin { .. } => ProbeKind::SsoAdmin,
            Probe::FederationCertificate { .. }
            | Probe::FederationMetadata { .. }
            | Probe::VerifyFarm(_) => ProbeKind::Federation,
            Probe::LoadInstalled { .. } => ProbeKind::Installed,
            Probe::Troubleshoot { .. } => ProbeKind::TaskChange,
            Probe::ReadForChange { .. } => ProbeKind::SettingsFile,
            Probe::Search { .. } => ProbeKind::Search,
            Probe::SsoStates { .. } => ProbeKind::SsoStates,
            Probe::PasswordStatus { .. } => ProbeKind::Passwords,
            Probe::FindGroup { .. } => ProbeKind::FindGroup,
            Probe::ReadSettings { .. } => ProbeKind::SettingsFile,
            Probe::DataFolder { .. } => ProbeKind::DataFolder,
            Probe::TestDatabase { .. } => ProbeKind::Database,
        }
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub enum Answer {
    /// The tenant sign-in: what was learned, or why it failed (in words).
    TenantSignIn(Result<TenantFacts, crate::ops::Failure>),
    /// A device code to show, or why none was given.
    DeviceCode(Result<Box<crate::tenant::auth::DeviceCodePrompt>, crate::ops::Failure>),
    /// A forest: what was learned, or why it could not be read (in words).
    Directory(Result<Box<ForestFacts>, crate::ops::Failure>),
    /// What Test connection found.
    DatabaseTested(super::pages::required_components::database::DatabaseTest),
    /// A farm certificate checked.
    FederationCertificate(super::federation::CertificateFacts),
    /// Metadata read and checked, or why it could not be had.
    FederationMetadata(Result<super::federation::MetadataFacts, crate::ops::Failure>),
    /// The federation verification's rows.
    FarmVerified(Vec<super::federation::CheckRow>),
    /// Where a text file was written, or why not.
    TextSaved(Result<String, crate::ops::Failure>),
    /// A domain converted to managed (it was federated, or it was already managed), or why
    /// not.
    ConvertedToManaged(String, Result<bool, crate::ops::Failure>),
    /// An installed configuration read, or why not.
    Installed(Result<Box<crate::ops::installed::Installed>, crate::ops::Failure>),
    /// A settings change applied, or why not.
    TaskChanged(Result<crate::engine::config::Applied, crate::ops::Failure>),
    /// The troubleshooting checklist, or why it could not run.
    Checks(Result<Vec<crate::engine::troubleshoot::Check>, crate::ops::Failure>),
    /// A cycle ran (its summary, empty when the service started it), or why not.
    TaskCycle(Result<String, crate::ops::Failure>),
    /// What was done to the service, or why it could not be.
    ServiceDone(Result<String, crate::ops::Failure>),
    /// Each forest's single sign-on account, or why the installation could not be read.
    SsoStates(Result<Vec<crate::ops::sso::SsoForest>, crate::ops::Failure>),
    /// Password synchronization's status, or why it could not be read.
    PasswordStatus(Result<crate::passwords::service::PasswordStatus, crate::ops::Failure>),
    /// A new enrolment code, or why none could be opened.
    EnrolmentCode(Result<crate::ops::passwords::NewCode, crate::ops::Failure>),
    /// A forest's single sign-on account created or renewed (what was done), or why not.
    SsoRenewed(String, Result<String, crate::ops::Failure>),
    /// What refreshing the directory schema found, or why it failed.
    SchemaRefreshed(Result<Box<crate::ops::schema::SchemaRefresh>, crate::ops::Failure>),
    /// What a search found, or why it could not run.
    Found(Result<Vec<crate::engine::search::Hit>, crate::ops::Failure>),
    /// An installation read for customizing, or why it could not be.
    ForChange(Result<Box<super::settings::Imported>, crate::ops::Failure>),
    /// A forest's single sign-on administrator checked, or why they cannot be used.
    SsoVerified(String, Result<(), crate::ops::Failure>),
    /// A connector account created and its forest read, or why not (in words).
    ConnectorCreated(Result<Box<CreatedConnector>, crate::ops::Failure>),
    /// A pilot group of a forest: found, or why not.
    FindGroup(String, Result<GroupFound, crate::ops::Failure>),
    /// A settings file read with its secrets, or why it cannot be used.
    ReadSettings(Result<Box<super::settings::Imported>, crate::ops::Failure>),
    /// Where the settings were written, or why they were not.
    WriteSettings(Result<String, crate::ops::Failure>),
    /// A data folder and what its check found.
    DataFolder(
        std::path::PathBuf,
        super::pages::required_components::FolderCheck,
    ),
}

impl Answer {
    /// The kind of probe it answers.
    pub fn kind(&self) -> ProbeKind {
        match self {
            Answer::TenantSignIn(_) | Answer::DeviceCode(_) => ProbeKind::TenantSignIn,
            Answer::Directory(_) | Answer::ConnectorCreated(_) => ProbeKind::Directory,
            Answer::FindGroup(..) => ProbeKind::FindGroup,
            Answer::ReadSettings(_) | Answer::WriteSettings(_) => ProbeKind::SettingsFile,
            Answer::DataFolder(..) => ProbeKind::DataFolder,
            Answer::DatabaseTested(_) => ProbeKind::Database,
            Answer::SsoVerified(..) => ProbeKind::SsoAdmin,
            Answer::Installed(_) => ProbeKind::Installed,
            Answer::FederationCertificate(_)
            | Answer::FederationMetadata(_)
            | Answer::FarmVerified(_)
            | Answer::ConvertedToManaged(..)
            | Answer::TextSaved(_) => ProbeKind::Federation,
            Answer::TaskChanged(_)
            | Answer::TaskCycle(_)
            | Answer::Checks(_)
            | Answer::ServiceDone(_) => ProbeKind::TaskChange,
            Answer::ForChange(_) => ProbeKind::SettingsFile,
            Answer::Found(_) => ProbeKind::Search,
            Answer::SchemaRefreshed(_) => ProbeKind::TaskChange,
            Answer::SsoStates(_) => ProbeKind::SsoStates,
            Answer::PasswordStatus(_) | Answer::EnrolmentCode(_) => ProbeKind::Passwords,
            Answer::SsoRenewed(..) => ProbeKind::SsoAdmin,
        }
    }
}

/// Answers a probe.
pub async fn run(probe: Probe) -> Answer {
    match probe {
        Probe::TenantSignIn {
            endpoint,
            user,
            password,
        } => Answer::TenantSignIn(tenant_sign_in(&endpoint, user, password).await),
        Probe::DeviceCodeStart { endpoint } => Answer::DeviceCode(
            device_code_start(&endpoint)
                .await
                .map(Box::new)
                .map_err(crate::ops::Failure::new),
        ),
        Probe::DeviceCodeWait { endpoint, prompt } => Answer::TenantSignIn(
            device_code_wait(&endpoint, &prompt)
                .await
                .map_err(crate::ops::Failure::new),
        ),
        Probe::Directory {
            server,
            account,
            password,
        } => {
            let answer = blocking(move || {
                crate::ops::discover::read_forest(&server, &account, &password)
                    .map(Box::new)
                    .map_err(crate::ops::Failure::new)
            })
            .await;
            Answer::Directory(answer)
        }
        Probe::TestDatabase { server } => {
            let outcome = server
                .test_connection()
                .await
                .map(|usable| usable.server_version);
            Answer::DatabaseTested(super::pages::required_components::database::DatabaseTest {
                tested: server,
                outcome,
            })
        }
        Probe::FederationCertificate {
            file,
            password,
            name,
        } => Answer::FederationCertificate(
            blocking(move || Ok(federation_certificate(&file, &password, &name)))
                .await
                .unwrap_or_else(|why| super::federation::CertificateFacts {
                    findings: vec![crate::federation::certificate::Finding {
                        check: crate::federation::certificate::Check::Opens,
                        outcome: crate::federation::certificate::Outcome::Fail,
                        detail: why,
                    }],
                    thumbprint: None,
                }),
        ),
        Probe::FederationMetadata { url, ca_file, host } => Answer::FederationMetadata(
            crate::federation::verify::read_metadata(&url, ca_file.as_deref(), host.as_deref())
                .await
                .map_err(crate::ops::Failure::new),
        ),
        Probe::VerifyFarm(checks) => {
            Answer::FarmVerified(crate::federation::verify::verify_farm(*checks).await)
        }
        Probe::LoadInstalled { data } => Answer::Installed(
            blocking(move || {
                crate::ops::installed::load(&data)
                    .map(Box::new)
                    .map_err(crate::ops::Failure::new)
            })
            .await,
        ),
        Probe::Troubleshoot { data } => Answer::Checks(
            blocking(move || {
                crate::ops::installed::troubleshoot(&data).map_err(crate::ops::Failure::new)
            })
            .await,
        ),
        Probe::SsoStates { data } => Answer::SsoStates(
            blocking(move || crate::ops::sso::sso_states(&data).map_err(crate::ops::Failure::new))
                .await,
        ),
        Probe::PasswordStatus { data } => Answer::PasswordStatus(
            blocking(move || {
                crate::ops::passwords::status(&data).map_err(crate::ops::Failure::new)
            })
            .await,
        ),
        Probe::Search { data, text } => Answer::Found(
            blocking(move || {
                crate::ops::installed::search(&data, &text).map_err(crate::ops::Failure::new)
            })
            .await,
        ),
        Probe::ReadForChange { data } => Answer::ForChange(
            blocking(move || {
                super::installed_choices::read_for_change(&data)
                    .map(Box::new)
                    .map_err(crate::ops::Failure::new)
            })
            .await,
        ),
        Probe::VerifySsoAdmin {
            forest,
            server,
            account,
            password,
        } => {
            let answer = blocking(move || {
                crate::ops::discover::verify_sso_admin(&server, &account, &password)
                    .map_err(crate::ops::Failure::new)
            })
            .await;
            Answer::SsoVerified(forest, answer)
        }
        Probe::FindGroup {
            forest,
            server,
            account,
            password,
            bases,
            typed,
        } => {
            let answer = blocking(move || {
                crate::ops::discover::group_lookup(&server, &account, &password, &bases, &typed)
                    .map_err(crate::ops::Failure::new)
            })
            .await;
            Answer::FindGroup(forest, answer)
        }
        Probe::DataFolder { path } => {
            let checked = path.clone();
            let check =
                blocking(move || Ok(super::pages::required_components::check_folder(&checked)))
                    .await
                    .unwrap_or_else(super::pages::required_components::FolderCheck::Unusable);
            Answer::DataFolder(path, check)
        }
        Probe::ReadSettings { path } => Answer::ReadSettings(
            blocking(move || {
                super::settings::read(&path)
                    .map(Box::new)
                    .map_err(crate::ops::Failure::new)
            })
            .await,
        ),
    }
}

/// Runs work that blocks and may drive a runtime of its own (ldap3's client, the keychain
/// client) on a plain thread, outside any async runtime; a panic in it becomes an answer in
/// words.
pub(crate) async fn blocking<T: Send + 'static, E: From<&'static str> + Send + 'static>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, E> {
    let (send, receive) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = send.send(work());
    });
    receive
        .await
        .unwrap_or_else(|_| Err("the work stopped unexpectedly (see the log)".into()))
}

fn clock() -> std::sync::Arc<dyn crate::clock::Clock> {
    std::sync::Arc::new(crate::clock::SystemClock::default())
}

async fn device_code_start(
    endpoint: &TenantEndpoint,
) -> Result<crate::tenant::auth::DeviceCodePrompt, crate::tenant::TenantError> {
    endpoint
        .identity(clock())?
        .device_code(&endpoint.scope)
        .await
}

async fn device_code_wait(
    endpoint: &TenantEndpoint,
    prompt: &crate::tenant::auth::DeviceCodePrompt,
) -> Result<TenantFacts, crate::tenant::TenantError> {
    let clock = clock();
    let identity = endpoint.identity(clock.clone())?;
    let tokens = identity.poll_device_code(prompt).await?;
    let graph = endpoint.graph_with(identity, tokens, clock)?;
    let me = graph.get("me?$select=userPrincipalName").await?;
    let organization = graph.organization().await?;
    let domains = graph.domains().await?;
    Ok(TenantFacts {
        user: me["userPrincipalName"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        tenant_id: organization.id,
        display_name: organization.display_name,
        domains,
        admin: crate::wizard::state::tenant::AdminSession::new(graph),
    })
}

async fn tenant_sign_in(
    endpoint: &TenantEndpoint,
    user: String,
    password: Secret,
) -> Result<TenantFacts, crate::ops::Failure> {
    let graph = endpoint
        .connect(&SignIn::Password {
            user: user.clone(),
            password,
        })
        .await
        .map_err(crate::ops::Failure::new)?;
    let organization = graph
        .organization()
        .await
        .map_err(crate::ops::Failure::new)?;
    let domains = graph.domains().await.map_err(crate::ops::Failure::new)?;
    Ok(TenantFacts {
        user,
        tenant_id: organization.id,
        display_name: organization.display_name,
        domains,
        admin: crate::wizard::state::tenant::AdminSession::new(graph),
    })
}

/// Checks a farm certificate file now, and reads its thumbprint.
fn federation_certificate(
    file: &std::path::Path,
    password: &Secret,
    name: &str,
) -> super::federation::CertificateFacts {
    use crate::federation::certificate;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    // Read once: the checks and the thumbprint see the same bytes.
    let bytes = match certificate::read_file(file) {
        Ok(bytes) => bytes,
        Err(unreadable) => {
            return super::federation::CertificateFacts {
                findings: vec![unreadable],
                thumbprint: None,
            };
        }
    };
    super::federation::CertificateFacts {
        findings: certificate::check(&bytes, password.expose(), name, now),
        thumbprint: certificate::leaf_der(&bytes, password.expose())
            .ok()
            .map(|der| certificate::thumbprint(&der)),
    }
}
