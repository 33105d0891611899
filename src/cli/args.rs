//! The command line's arguments (clap): every command, its options and their help texts, as
//! `skybridge --help` shows them. No behaviour here.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use super::password_from_env;
use crate::directory::{AccountName, ServerSpec, Session};
use crate::secret::Secret;

/// Skybridge: connect on-premises Active Directory forests to a cloud directory tenant.
#[derive(Debug, Parser)]
#[command(name = "skybridge", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without a command the setup wizard opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the setup wizard window (the default).
    Wizard(WizardArgs),
    /// Check a server without changing anything.
    #[command(subcommand)]
    Probe(Probe),
    /// Run the tenant emulator: a local stand-in for Microsoft Graph and its sign-in endpoints.
    Emulator(crate::emulator::EmulatorArgs),
    /// The sync engine of an installation: run a cycle, show status, pending changes, history.
    #[command(subcommand)]
    Sync(SyncCommand),
    /// Find objects in the connector spaces and the metaverse by name, sign-in name, mail or DN.
    Search(SearchArgs),
    /// The installed service: run it, ask how it is doing, stop it.
    #[command(subcommand)]
    Service(ServiceCommand),
    /// An installation's settings after install: apply a change, list and export versions.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Check a live installation: domain controllers, sign-ins, delta cookies, clocks, the
    /// tenant token, the write budget and the last runs' errors. Fails when a check fails.
    Troubleshoot(DataArgs),
    /// Connector accounts in Active Directory.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Check a settings file with the wizard's own checks, against the real forests and
    /// tenant, and print every problem with its page and field. Changes nothing.
    Plan(PlanArgs),
    /// Configure an installation from a settings file, as the wizard's Configuring page does.
    Apply(ApplyArgs),
    /// Settings files.
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Where the engine keeps its state.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Password synchronization's agent: on the sync server, `enroll` opens a one-time code;
    /// on a Samba domain controller (as root), `install`, `status` and `uninstall` set it up
    /// and take it away; Samba's password sync loop runs `hook`.
    #[command(subcommand)]
    PasswordAgent(PasswordAgentCommand),
    /// Password synchronization on the sync server.
    #[command(subcommand)]
    Passwords(PasswordsCommand),
}

/// `skybridge store`.
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Move an installation's state to another store without a full re-import; the sync service
    /// must be stopped. The old store is kept as a backup.
    Migrate {
        /// The store the installation uses now: sled:DIR (its data folder) or
        /// postgres://account@host:port/database.
        #[arg(long)]
        from: String,
        /// The store to move to (the same forms; a database must hold no Skybridge data).
        #[arg(long)]
        to: String,
        /// The installation's data folder, when neither end is sled:DIR.
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// The environment variable holding the target database account's password (never a
        /// command-line argument).
        #[arg(long, default_value = "PGPASSWORD")]
        password_env: String,
    },
}

/// `skybridge settings`.
#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Print the JSON Schema of settings files (as in assets/settings.schema.json).
    Schema,
}

/// `skybridge plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The settings file (its passwords are read from where it names them).
    pub file: PathBuf,
    /// Accept the licence terms (as the wizard's Welcome page asks).
    #[arg(long)]
    pub accept_licence: bool,
    /// The data folder `apply` would install into, which is checked too (default:
    /// $XDG_DATA_HOME/skybridge or ~/.local/share/skybridge).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `skybridge apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The settings file.
    pub file: PathBuf,
    /// Accept the licence terms (as the wizard's Welcome page asks).
    #[arg(long)]
    pub accept_licence: bool,
    /// The data folder to install into (default: $XDG_DATA_HOME/skybridge or ~/.local/share/skybridge).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Configure without running the first synchronization (whatever the file says).
    #[arg(long)]
    pub no_first_sync: bool,
    /// Once configured: start the service in the background (`start`) or register it with
    /// systemd as a user unit (`register`); `none` leaves cycles to `skybridge sync run` or to
    /// a supervisor of your own running `skybridge service run`.
    #[arg(long, value_enum, default_value_t = ServiceArg::None)]
    pub service: ServiceArg,
}

/// `apply --service`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ServiceArg {
    /// No service.
    None,
    /// Started in the background.
    Start,
    /// Registered with systemd, which starts it.
    Register,
}

/// `skybridge account`.
#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create a connector account with the rights Skybridge needs, signed in as a domain
    /// administrator. Its generated password goes to a file only its owner can read.
    Create(CreateAccountArgs),
}

/// `skybridge account create`.
#[derive(Debug, Args)]
pub struct CreateAccountArgs {
    /// The administrator who creates it.
    #[command(flatten)]
    pub admin: SignInArgs,
    /// The OU or container to create it in.
    #[arg(long, value_name = "DN")]
    pub ou: String,
    /// Its name (at most 20 characters).
    #[arg(long)]
    pub name: String,
    /// Also let it write ms-DS-ConsistencyGuid of the users in these OUs or domains (managed
    /// sourceAnchor); may be repeated.
    #[arg(long, value_name = "DN")]
    pub anchor_writeback: Vec<String>,
    /// Where to write the generated password (created with owner-only permissions; an existing
    /// file is not overwritten).
    #[arg(long, value_name = "FILE")]
    pub password_file: PathBuf,
}

/// `skybridge wizard`.
#[derive(Debug, Args)]
pub struct WizardArgs {
    /// The data folder to install into (default: $XDG_DATA_HOME/skybridge or ~/.local/share/skybridge).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// A JSON file of values to start the forms with (where the tenant is, which domain
    /// controller); never passwords.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,
}

/// The data folder of an installation.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// The installation's data folder (default: $XDG_DATA_HOME/skybridge or ~/.local/share/skybridge).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

impl DataArgs {
    /// The folder to use.
    pub fn dir(&self) -> PathBuf {
        self.data
            .clone()
            .unwrap_or_else(crate::engine::install::default_data_dir)
    }
}

/// Sync engine commands.
#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Run one cycle now: import, synchronize, export (a delta cycle unless --full).
    Run {
        /// Full import and full synchronization instead of deltas.
        #[arg(long)]
        full: bool,
        /// The data folder.
        #[command(flatten)]
        data: DataArgs,
    },
    /// What the engine holds and how its last runs went.
    Status(DataArgs),
    /// The changes the next export would make, object by object, and why.
    Pending(DataArgs),
    /// The run history.
    History(DataArgs),
}

/// `skybridge service`.
#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Run the service in the foreground: it holds the store, runs a cycle at once and then
    /// every interval, and answers `skybridge sync`, `search` and the wizard. Stops on
    /// `skybridge service stop`, SIGTERM or Ctrl-C, after the running cycle.
    Run {
        /// Minutes between cycles.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=10080))]
        interval_minutes: u64,
        /// The data folder.
        #[command(flatten)]
        data: DataArgs,
    },
    /// Start the service in the background (through systemd when it is registered there) and
    /// wait until it answers.
    Start {
        /// Minutes between cycles.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=10080))]
        interval_minutes: u64,
        /// The data folder.
        #[command(flatten)]
        data: DataArgs,
    },
    /// Register the service as a systemd user unit (started with your user manager, restarted
    /// when it fails) and start it.
    Register {
        /// Minutes between cycles.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=10080))]
        interval_minutes: u64,
        /// The data folder.
        #[command(flatten)]
        data: DataArgs,
    },
    /// Stop the registered service and remove its systemd unit.
    Unregister(DataArgs),
    /// Whether the service runs, and what it is doing.
    Status(DataArgs),
    /// Stop the service after its running cycle, and wait until it has.
    Stop(DataArgs),
}

/// `skybridge config`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Apply changed settings (a settings.json edited, or exported by `config export`): through
    /// the running service, or to the store when none runs. Settings locked after install are
    /// refused with the reason.
    Apply {
        /// The new settings (the format of the data folder's settings.json).
        file: PathBuf,
        /// The data folder.
        #[command(flatten)]
        data: DataArgs,
    },
    /// Every applied settings version with its time and what changed.
    History(DataArgs),
    /// Write one settings version (as settings.json) to a file, or print it.
    Export {
        /// The version (see `config history`).
        #[arg(long)]
        version: u64,
        /// Where to write it (default: print it).
        #[arg(long)]
        output: Option<PathBuf>,
        /// The data folder.
        #[command(flatten)]
        data: DataArgs,
    },
}

/// `skybridge search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Text to look for (part of a name, sign-in name, mail or DN).
    pub text: String,
    /// The data folder.
    #[command(flatten)]
    pub data: DataArgs,
}

/// Read-only checks.
#[derive(Debug, Subcommand)]
pub enum Probe {
    /// Connect to a domain controller anonymously over verified TLS and show what it says about
    /// itself (naming contexts, functional levels, change counter, supported controls).
    Server(ServerArgs),
    /// Sign in to a domain controller and discover its forest: domains, UPN suffixes, the OU
    /// tree, schema, Exchange schema, KDS root key, functional level.
    Forest(SignInArgs),
    /// Say whether an account is acceptable as the connector account, and why.
    Account(SignInArgs),
    /// Sign in to the cloud tenant and show its id, domains and directory sync state.
    Tenant(TenantArgs),
    /// Check a federation farm's certificate file (PFX or PEM) for a federation service name:
    /// password, private key, key strength, validity, names and chain. Fails when a check does.
    Certificate(CertificateArgs),
}

/// `skybridge probe certificate`.
#[derive(Debug, Args)]
pub struct CertificateArgs {
    /// The certificate file (.pfx/.p12, or PEM with the key).
    pub file: PathBuf,
    /// The federation service name it must cover (`fs.contoso.com`).
    #[arg(long)]
    pub name: String,
    /// The environment variable that holds the file's password (none for a PEM file).
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// How to reach and sign in to the tenant.
#[derive(Debug, Args)]
pub struct TenantArgs {
    /// The identity platform authority.
    #[arg(long, default_value = crate::tenant::auth::DEFAULT_AUTHORITY)]
    pub authority: String,
    /// The Microsoft Graph root.
    #[arg(long, default_value = crate::tenant::graph::DEFAULT_GRAPH)]
    pub graph: String,
    /// The administrator's user name (user@domain); not needed with --device-code.
    #[arg(long)]
    pub user: Option<String>,
    /// Name of the environment variable that holds the password.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Sign in with a code on another device (works with multi-factor authentication).
    #[arg(long)]
    pub device_code: bool,
    /// The application (client) id to sign in as.
    #[arg(long, default_value = crate::tenant::auth::DEFAULT_CLIENT_ID)]
    pub client_id: String,
    /// PEM file of certificate authorities to trust instead of the system's.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// A server and the account to sign in to it with.
#[derive(Debug, Args)]
pub struct SignInArgs {
    /// The server.
    #[command(flatten)]
    pub server: ServerArgs,
    /// The account: DOMAIN\user, user@domain.com or a DN.
    #[arg(long)]
    pub user: String,
    /// Name of the environment variable that holds the password (never a command-line argument,
    /// which other users of the machine could read).
    #[arg(long, value_name = "VAR")]
    pub password_env: String,
}

impl SignInArgs {
    /// Opens the session these arguments describe.
    pub fn open(&self) -> anyhow::Result<(Session, Secret)> {
        let spec = self.server.spec()?;
        let account = AccountName::parse(&self.user)?;
        let password = password_from_env(&self.password_env)?;
        let session = Session::open(&spec, &account, &password)?;
        Ok((session, password))
    }
}

/// How to reach one LDAP server.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Server address: ldaps://HOST, ldaps://HOST:PORT, ldap://HOST with --starttls, or a host name.
    #[arg(long)]
    pub server: String,
    /// PEM file of the certificate authorities to trust instead of the system's.
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    /// Upgrade an ldap:// connection with StartTLS.
    #[arg(long)]
    pub starttls: bool,
    /// Allow an ldap:// connection without any encryption (not recommended).
    #[arg(long)]
    pub allow_plain: bool,
    /// Seconds to wait for the server to answer.
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

impl ServerArgs {
    /// The server description these arguments name.
    pub fn spec(&self) -> Result<ServerSpec, crate::directory::DirectoryError> {
        Ok(
            ServerSpec::parse(&self.server, self.starttls, self.allow_plain)?
                .with_ca_file(self.ca.clone())
                .with_timeout(Duration::from_secs(self.timeout)),
        )
    }
}

/// Where the agent's things are on a domain controller.
#[derive(Debug, Clone, clap::Args)]
pub struct AgentDirArgs {
    /// The agent's folder (default /etc/skybridge-agent).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Samba's configuration (default /etc/samba/smb.conf).
    #[arg(long, value_name = "FILE")]
    pub smb_conf: Option<PathBuf>,
    /// The GnuPG home the domain controller runs with (default $GNUPGHOME, else /root/.gnupg).
    #[arg(long, value_name = "DIR")]
    pub gnupg_home: Option<PathBuf>,
    /// Where the systemd unit goes (default /etc/systemd/system).
    #[arg(long, value_name = "DIR")]
    pub unit_dir: Option<PathBuf>,
}

/// `skybridge password-agent`.
#[derive(Debug, Subcommand)]
pub enum PasswordAgentCommand {
    /// On the sync server: open a one-time code (an hour, used once) for one domain
    /// controller's agent.
    Enroll(DataArgs),
    /// On a Samba domain controller, as root: set the agent up (a GnuPG key, the smb.conf line
    /// naming it, enrolment with the service, Samba's password sync loop and its systemd unit).
    /// Changes only what is not already so, and says what it changed.
    Install {
        /// Where things are.
        #[command(flatten)]
        dir: AgentDirArgs,
        /// Enrol with the service at this address (`host:port`, from `password-agent enroll`);
        /// the code is read from standard input (or from --code-env).
        #[arg(long, value_name = "HOST:PORT")]
        service: Option<String>,
        /// The environment variable that holds the enrolment code.
        #[arg(long, value_name = "VAR")]
        code_env: Option<String>,
        /// This agent's name (default: the host name).
        #[arg(long)]
        name: Option<String>,
        /// Write the unit but do not enable or start it.
        #[arg(long)]
        no_start: bool,
    },
    /// On a domain controller: what is set up.
    Status(AgentDirArgs),
    /// On a domain controller: take the agent away again, and say what was removed.
    Uninstall {
        /// Where things are.
        #[command(flatten)]
        dir: AgentDirArgs,
        /// Do not stop the unit with systemctl.
        #[arg(long)]
        no_stop: bool,
    },
    /// Run by Samba's password sync loop for each changed user (LDIF on standard input).
    Hook {
        /// The agent's folder (default /etc/skybridge-agent).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// On the sync server: refuse an agent's deliveries from now on.
    Revoke {
        /// The agent's name (or the start of its certificate fingerprint).
        name: String,
        /// The data folder.
        #[command(flatten)]
        data: DataArgs,
    },
}

/// `skybridge passwords`.
#[derive(Debug, Subcommand)]
pub enum PasswordsCommand {
    /// Agents (last seen, version), changes delivered, failures, and how many synchronized
    /// users have had no password delivered yet.
    Status(DataArgs),
}
