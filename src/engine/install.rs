//! An installation: the data folder with its settings file (`settings.json`, written by the
//! wizard or `skybridge apply`), its store, and the secrets it names in the OS keychain; and the
//! sync cycle run against it (imports, sync, export, anchor write-back, history purge).
//!
//! The settings file holds no secret. Directory passwords are kept in the keychain as
//! `directory:<connector>` and the engine's application secret as `tenant:client-secret`, under
//! the keychain service named in the settings (`skybridge` by default).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::model::RunRecord;
use super::run::{self, RunError};
use super::sync::SyncSettings;
use crate::clock::SystemClock;
use crate::directory::{AccountName, ServerSpec, Session};
use crate::secret::Keychain;
use crate::secret::Secret;
use crate::store::{SledStore, Store};
use crate::tenant::graph::{GraphClient, WriteLimiter};
use crate::tenant::{SignIn, TenantEndpoint};

/// How one forest is reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryConnection {
    /// The connector's name (as in the sync settings).
    pub connector: String,
    /// The domain controller (`ldaps://dc1.contoso.com`).
    pub server: String,
    /// Upgrade an `ldap://` server with StartTLS.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub starttls: bool,
    /// CA file for the DC's certificate, when not in the system store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// The connector account (`CONTOSO\sky-sync`).
    pub account: String,
}

impl DirectoryConnection {
    /// Signs in to its domain controller as its account with `password`.
    pub fn sign_in(&self, password: &Secret) -> Result<Session, InstallError> {
        Ok(Session::open(
            &self.server_spec()?,
            &AccountName::parse(&self.account)?,
            password,
        )?)
    }

    /// The domain controller to sign in to.
    pub fn server_spec(&self) -> Result<ServerSpec, crate::directory::DirectoryError> {
        Ok(ServerSpec::parse(&self.server, self.starttls, false)?
            .with_ca_file(self.ca_file.clone()))
    }
}

/// How the tenant is reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantConnection {
    /// The identity platform authority with the tenant (`https://login.microsoftonline.com/<id>`).
    pub authority: String,
    /// The Graph root.
    pub graph: String,
    /// The engine's application (client) id.
    pub client_id: String,
    /// CA file for the tenant's certificate, when not in the system store (an emulator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// Writes per window the engine allows itself.
    #[serde(default = "default_budget")]
    pub write_budget: usize,
    /// That window, in seconds.
    #[serde(default = "default_window")]
    pub budget_window_seconds: u64,
}

impl TenantConnection {
    /// Where the engine signs in, as its own application.
    pub fn endpoint(&self) -> TenantEndpoint {
        TenantEndpoint {
            authority: self.authority.clone(),
            graph: self.graph.clone(),
            client_id: self.client_id.clone(),
            ca_file: self.ca_file.clone(),
            ..TenantEndpoint::default()
        }
    }
}

/// The write budget a new installation gets.
pub fn default_budget() -> usize {
    WriteLimiter::DEFAULT_BUDGET
}

/// Its window, in seconds.
pub fn default_window() -> u64 {
    WriteLimiter::DEFAULT_WINDOW.as_secs()
}

/// The keychain service of the default installation.
pub(crate) fn default_service() -> String {
    "skybridge".into()
}

/// Days of run history a new installation keeps.
pub(crate) fn default_history_days() -> u64 {
    7
}

/// Everything in `settings.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Installation {
    /// What to synchronize and how.
    pub sync: SyncSettings,
    /// The forests.
    pub directories: Vec<DirectoryConnection>,
    /// The tenant.
    pub tenant: TenantConnection,
    /// The keychain service that holds this installation's secrets.
    #[serde(default = "default_service")]
    pub keychain_service: String,
    /// Days of run history kept.
    #[serde(default = "default_history_days")]
    pub history_days: u64,
    /// How people sign in, as the wizard names the method (`passwordHashSync`), when recorded.
    /// With password synchronization the service receives new passwords from agents
    /// ([`Installation::password_sync`]); the other methods are carried out by the wizard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_in: Option<String>,
    /// Seamless single sign-on is on.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub single_sign_on: bool,
    /// The database server that keeps the engine's state; none = the embedded store in the
    /// data folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseConnection>,
    /// Where the service listens for password agents (with password synchronization).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_sync: Option<crate::passwords::PasswordSyncSettings>,
}

pub use crate::store::postgres::DatabaseConnection;

/// The keychain entry of the database account's password.
pub const DATABASE_PASSWORD: &str = "database:password";

/// Why an installation cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// No settings file.
    #[error(
        "{path} holds no Skybridge installation (no settings.json). Run the setup wizard, or `skybridge apply`, to create one; or give --data with the right folder."
    )]
    NotInstalled {
        /// The data folder.
        path: PathBuf,
    },
    /// The settings file cannot be read.
    #[error("{path} cannot be used: {detail}")]
    Settings {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// A secret is missing from the keychain.
    #[error(
        "the keychain has no {what} for this installation (entry '{name}' of service '{service}'). Re-enter it in the wizard's Additional tasks."
    )]
    MissingSecret {
        /// What it is.
        what: &'static str,
        /// The entry name.
        name: String,
        /// The keychain service.
        service: String,
    },
    /// A run failed.
    #[error(transparent)]
    Run(#[from] RunError),
    /// The tenant side failed before any run.
    #[error(transparent)]
    Tenant(#[from] crate::tenant::TenantError),
    /// The keychain.
    #[error(transparent)]
    Keychain(#[from] crate::secret::KeychainError),
    /// The directory side failed before any run.
    #[error(transparent)]
    Directory(#[from] crate::directory::DirectoryError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// The default data folder: `$XDG_DATA_HOME/skybridge`, else `~/.local/share/skybridge`.
pub fn default_data_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("skybridge");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".local/share/skybridge")
}

impl Installation {
    /// Reads `settings.json` from a data folder.
    pub fn load(data: &Path) -> Result<Installation, InstallError> {
        let path = data.join("settings.json");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(InstallError::NotInstalled {
                    path: data.to_path_buf(),
                });
            }
            Err(e) => {
                return Err(InstallError::Settings {
                    path,
                    detail: e.to_string(),
                });
            }
        };
        serde_json::from_str(&text).map_err(|e| InstallError::Settings {
            path,
            detail: format!("not valid settings ({e})"),
        })
    }

    /// Writes `settings.json` (atomically: a new file renamed over the old one).
    pub fn save(&self, data: &Path) -> Result<(), InstallError> {
        let path = data.join("settings.json");
        let fail = |e: std::io::Error| InstallError::Settings {
            path: path.clone(),
            detail: e.to_string(),
        };
        std::fs::create_dir_all(data).map_err(fail)?;
        let text = serde_json::to_string_pretty(self).map_err(|e| InstallError::Settings {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        let temp = data.join("settings.json.new");
        std::fs::write(&temp, text).map_err(fail)?;
        std::fs::rename(&temp, &path).map_err(fail)
    }

    fn keychain(&self) -> Keychain {
        Keychain::new(&self.keychain_service)
    }

    fn secret(&self, name: &str, what: &'static str) -> Result<Secret, InstallError> {
        self.keychain()
            .load(name)?
            .ok_or_else(|| InstallError::MissingSecret {
                what,
                name: name.to_string(),
                service: self.keychain_service.clone(),
            })
    }

    /// Keeps a connector account's password in the keychain.
    pub fn store_directory_password(
        &self,
        connector: &str,
        password: &Secret,
    ) -> Result<(), InstallError> {
        Ok(self
            .keychain()
            .store(&format!("directory:{connector}"), password)?)
    }

    /// Keeps the database account's password in the keychain.
    pub fn store_database_password(&self, password: &Secret) -> Result<(), InstallError> {
        Ok(self.keychain().store(DATABASE_PASSWORD, password)?)
    }

    /// The database account's password, from the keychain.
    pub fn database_password(&self) -> Result<Secret, InstallError> {
        self.secret(DATABASE_PASSWORD, "database account password")
    }

    /// Opens the engine's store: the database server named in the settings (with the
    /// password from the keychain), else the embedded store in `data`.
    pub fn open_store(&self, data: &Path) -> Result<Box<dyn Store>, InstallError> {
        Ok(match &self.database {
            None => Box::new(SledStore::open(&data.join("store"))?),
            Some(db) => {
                let password = self.database_password()?;
                Box::new(crate::store::postgres::PostgresStore::connect(
                    &db.server(password),
                )?)
            }
        })
    }

    /// Keeps the engine application's secret in the keychain.
    pub fn store_client_secret(&self, secret: &Secret) -> Result<(), InstallError> {
        Ok(self.keychain().store("tenant:client-secret", secret)?)
    }

    /// Signs in to every forest.
    pub fn directory_sessions(&self) -> Result<Vec<(DirectoryConnection, Session)>, InstallError> {
        let mut out = Vec::new();
        for d in &self.directories {
            out.push((d.clone(), self.directory_session(d)?));
        }
        Ok(out)
    }

    /// A forest's connector account password, from the keychain.
    pub fn directory_password(&self, d: &DirectoryConnection) -> Result<Secret, InstallError> {
        self.secret(
            &format!("directory:{}", d.connector),
            "connector account password",
        )
    }

    /// Signs in to one forest with its connector account.
    pub fn directory_session(&self, d: &DirectoryConnection) -> Result<Session, InstallError> {
        d.sign_in(&self.directory_password(d)?)
    }

    /// The forest root domain's naming context of a connector (where its single sign-on
    /// account lives): its domain named as the forest, else its first domain.
    pub fn root_domain(&self, connector: &str) -> Option<String> {
        let scope = self.sync.connectors.iter().find(|c| c.name == connector)?;
        scope
            .domains
            .iter()
            .find(|(_, dns)| dns.eq_ignore_ascii_case(connector))
            .or_else(|| scope.domains.first())
            .map(|(nc, _)| nc.clone())
    }

    /// The engine application's secret from the keychain. (Read it outside any async
    /// runtime: the keychain client runs one of its own.)
    pub fn client_secret(&self) -> Result<Secret, InstallError> {
        self.secret("tenant:client-secret", "application secret")
    }

    /// Password synchronization's settings, when this installation synchronizes passwords
    /// (its sign-in method is password synchronization and it names where agents deliver).
    pub fn password_sync(&self) -> Option<crate::passwords::PasswordSyncSettings> {
        (self.sign_in.as_deref() == Some("passwordHashSync"))
            .then(|| self.password_sync.clone())
            .flatten()
    }

    /// Signs the engine in to the tenant with its application secret.
    pub async fn graph(&self, secret: Secret) -> Result<GraphClient, InstallError> {
        let graph = self
            .tenant
            .endpoint()
            .connect(&SignIn::ClientSecret(secret))
            .await?;
        let limiter = Arc::new(WriteLimiter::new(
            self.tenant.write_budget,
            Duration::from_secs(self.tenant.budget_window_seconds),
            Arc::new(SystemClock::default()),
        ));
        Ok(graph.with_limiter(limiter))
    }
}

/// The store of an installation: the embedded one in the folder, or the database server its
/// settings name. A folder without settings is not an installation: no store is created there
/// (a mistyped --data must not leave an empty store behind).
pub fn open_store(data: &Path) -> Result<Box<dyn Store>, InstallError> {
    Installation::load(data)?.open_store(data)
}

/// Runs one cycle: import every forest (full or delta), sync, export, write anchors back, purge
/// old history. Returns the runs it recorded. Blocking: LDAP runs on this thread, the tenant on
/// a runtime of its own.
pub fn run_cycle(data: &Path, full: bool) -> Result<Vec<RunRecord>, InstallError> {
    run_cycle_observed(data, full, &|_, _| {})
}

/// What a cycle is doing, for a progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CyclePhase {
    /// Importing a forest (the connector's name).
    Import(String),
    /// Synchronizing into the metaverse.
    Synchronize,
    /// Exporting to the tenant.
    Export,
}

/// [`run_cycle`], telling `progress` what it is doing and how many objects it has handled in
/// that phase (every few hundred objects).
pub fn run_cycle_observed(
    data: &Path,
    full: bool,
    progress: &(dyn Fn(CyclePhase, u64) + Sync),
) -> Result<Vec<RunRecord>, InstallError> {
    let install = Installation::load(data)?;
    let store = install.open_store(data)?;
    run_cycle_on(&*store, &install, data, full, progress)
}

/// [`run_cycle_observed`] on a store already open (the service keeps its store open between
/// cycles). Blocking, and must not be called from inside an async runtime: it starts one.
pub fn run_cycle_on(
    store: &dyn Store,
    install: &Installation,
    data: &Path,
    full: bool,
    progress: &(dyn Fn(CyclePhase, u64) + Sync),
) -> Result<Vec<RunRecord>, InstallError> {
    // A settings change of scope or rules asked for a full cycle.
    let due = store
        .get_raw(crate::store::Space::Meta, super::config::FULL_SYNC_DUE)?
        .is_some();
    let full = full || due;
    let mut sessions = install.directory_sessions()?;
    let mut records = Vec::new();
    for (connection, session) in sessions.iter_mut() {
        let Some(scope) = install
            .sync
            .connectors
            .iter()
            .find(|c| c.name == connection.connector)
        else {
            continue;
        };
        let phase = CyclePhase::Import(scope.name.clone());
        progress(phase.clone(), 0);
        records.push(run::import_observed(
            store,
            session,
            scope,
            full,
            &install.sync.read_also(),
            &|n| progress(phase.clone(), n),
        )?);
    }
    progress(CyclePhase::Synchronize, 0);
    records.push(run::synchronize_observed(
        store,
        &install.sync,
        full,
        &|n| progress(CyclePhase::Synchronize, n),
    )?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| InstallError::Settings {
            path: data.to_path_buf(),
            detail: format!("cannot start the network runtime: {e}"),
        })?;
    let secret = install.client_secret()?;
    let exported = runtime.block_on(async {
        let graph = install.graph(secret).await?;
        progress(CyclePhase::Export, 0);
        let report = |n| progress(CyclePhase::Export, n);
        Ok::<_, InstallError>(run::export_observed(store, &install.sync, &graph, &report).await?)
    })?;
    let staging = install.sync.staging;
    records.push(exported);
    if !staging {
        for (connection, session) in sessions.iter_mut() {
            run::write_back_anchors(store, &connection.connector, session)?;
        }
    }
    let cutoff = crate::clock::unix_now().saturating_sub(install.history_days * 24 * 3600);
    run::purge_history(store, cutoff)?;
    for (_, session) in sessions {
        session.close();
    }
    if due && records.iter().all(RunRecord::succeeded) {
        let mut batch = crate::store::Batch::default();
        batch.remove(crate::store::Space::Meta, super::config::FULL_SYNC_DUE);
        store.commit(batch)?;
    }
    Ok(records)
}
