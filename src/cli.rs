//! The command line: one parser for the binary, documented by `skybridge --help`.
//!
//! With no command the wizard window opens (when the build has the `gui` feature). Every
//! command calls the same library functions the wizard uses.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::directory::discovery::{self, DomainStatus, Forest};
use crate::directory::{AccountName, RootDse, ServerSpec, Session, account, rootdse};
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

/// Runs `store migrate`.
pub fn store_command(command: &StoreCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    use crate::dbserver::migrate::{self, StoreAddress};
    let StoreCommand::Migrate {
        from,
        to,
        data,
        password_env,
    } = command;
    let from = StoreAddress::parse(from)?;
    let to = StoreAddress::parse(to)?;
    let data = migrate::data_folder(&from, &to, data.as_deref())?;
    let password = match &to {
        StoreAddress::Server(_) => Some(password_from_env(password_env)?),
        StoreAddress::Embedded(_) => None,
    };
    let moved = migrate::migrate(&data, &from, &to, password)?;
    for (space, n) in &moved.spaces {
        writeln!(out, "{space:<36} {n:>10} entries")?;
    }
    writeln!(
        out,
        "The installation now keeps its state in {}.",
        moved.new_store
    )?;
    writeln!(
        out,
        "The old store is kept as a backup: {}. Remove it once the next cycles have run well.",
        moved.old_store
    )?;
    Ok(())
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

/// Runs `troubleshoot`.
pub fn troubleshoot_command(data: &DataArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    use crate::engine::troubleshoot::{self, Outcome};
    use crate::service::protocol::{Request, Response};
    let checks = match via_service(&data.dir(), Request::Troubleshoot)? {
        Some(Response::Checks(checks)) => checks,
        _ => {
            let store = crate::engine::install::open_store(&data.dir())?;
            let history = crate::engine::run::history(&store)?;
            troubleshoot::run(&data.dir(), &store, &history)
        }
    };
    if data.json {
        print_json(out, &checks)?;
    } else {
        for c in &checks {
            let mark = match c.outcome {
                Outcome::Pass => "ok  ",
                Outcome::Warn => "warn",
                Outcome::Fail => "FAIL",
            };
            writeln!(out, "{mark}  {}: {}", c.name, c.detail)?;
        }
    }
    let failed = checks.iter().filter(|c| c.outcome == Outcome::Fail).count();
    if failed > 0 {
        anyhow::bail!("{failed} check(s) failed");
    }
    Ok(())
}

/// Runs a `config` command.
pub fn config_command(command: &ConfigCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    use crate::engine::config;
    let versions = |data: &DataArgs| -> anyhow::Result<Vec<config::SettingsVersion>> {
        use crate::service::protocol::{Request, Response};
        match via_service(&data.dir(), Request::SettingsHistory)? {
            Some(Response::SettingsHistory(all)) => Ok(all),
            _ => Ok(config::versions(&crate::engine::install::open_store(
                &data.dir(),
            )?)?),
        }
    };
    match command {
        ConfigCommand::Apply { file, data } => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let new: crate::engine::install::Installation = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{} is not a settings.json: {e}", file.display()))?;
            let applied = crate::service::change_settings(&data.dir(), &new)?;
            if data.json {
                print_json(out, &applied)?;
            } else {
                writeln!(out, "applied as settings version {}:", applied.version)?;
                for change in &applied.changes {
                    writeln!(out, "  {change}")?;
                }
                if applied.full_sync {
                    writeln!(
                        out,
                        "the next cycle is a full one (the scope or the rules changed)"
                    )?;
                }
            }
        }
        ConfigCommand::History(data) => {
            let all = versions(data)?;
            if data.json {
                print_json(out, &all)?;
            } else {
                for v in &all {
                    writeln!(out, "version {} (applied {})", v.version, v.applied)?;
                    for change in &v.changes {
                        writeln!(out, "  {change}")?;
                    }
                }
            }
        }
        ConfigCommand::Export {
            version,
            output,
            data,
        } => {
            let all = versions(data)?;
            let Some(found) = all.iter().find(|v| v.version == *version) else {
                anyhow::bail!(
                    "there is no settings version {version}; `skybridge config history` lists them"
                );
            };
            let text = serde_json::to_string_pretty(&found.settings)?;
            match output {
                Some(path) => {
                    std::fs::write(path, text + "\n")
                        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                    writeln!(
                        out,
                        "settings version {version} written to {}",
                        path.display()
                    )?;
                }
                None => writeln!(out, "{text}")?,
            }
        }
    }
    Ok(())
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

/// Runs `probe certificate`.
pub fn probe_certificate(args: &CertificateArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    use crate::federation::certificate::{Outcome, check_file};
    let password = match &args.password_env {
        Some(var) => password_from_env(var)?,
        None => Secret::default(),
    };
    let now = crate::clock::unix_now() as i64;
    let found = check_file(&args.file, password.expose(), &args.name, now);
    if args.json {
        print_json(out, &found)?;
    } else {
        for f in &found {
            let mark = match f.outcome {
                Outcome::Pass => "ok  ",
                Outcome::Warn => "WARN",
                Outcome::Fail => "FAIL",
            };
            writeln!(out, "{mark}  {:?}: {}", f.check, f.detail)?;
        }
    }
    let failed = found.iter().filter(|f| f.outcome == Outcome::Fail).count();
    if failed > 0 {
        anyhow::bail!(
            "{}: {failed} check(s) failed for {}",
            args.file.display(),
            args.name
        );
    }
    Ok(())
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

/// Runs `probe server` and writes its report to `out`.
pub fn probe_server(args: &ServerArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let spec = args.spec()?;
    let dse = rootdse::probe(&spec)?;
    if args.json {
        print_json(out, &dse)?;
    } else {
        write_root_dse(&spec, &dse, out)?;
    }
    Ok(())
}

fn write_root_dse(spec: &ServerSpec, dse: &RootDse, out: &mut dyn Write) -> std::io::Result<()> {
    let unknown = || "(not given)".to_string();
    writeln!(out, "Server:              {}", spec.url())?;
    writeln!(
        out,
        "Host name:           {}",
        dse.dns_host_name.clone().unwrap_or_else(unknown)
    )?;
    writeln!(
        out,
        "Active Directory:    {}",
        if dse.is_active_directory() {
            "yes"
        } else {
            "no"
        }
    )?;
    writeln!(
        out,
        "Domain:              {}",
        dse.default_naming_context.clone().unwrap_or_else(unknown)
    )?;
    writeln!(
        out,
        "Forest root:         {}",
        dse.root_domain_naming_context
            .clone()
            .unwrap_or_else(unknown)
    )?;
    for (label, level) in [
        ("Domain level:        ", dse.domain_functionality),
        ("Forest level:        ", dse.forest_functionality),
    ] {
        match level {
            Some(n) => writeln!(out, "{label}{n} ({})", RootDse::level_name(n))?,
            None => writeln!(out, "{label}(not given)")?,
        }
    }
    writeln!(
        out,
        "Highest USN:         {}",
        dse.highest_committed_usn
            .map_or_else(unknown, |usn| usn.to_string())
    )?;
    writeln!(
        out,
        "Change feed:         {}",
        if dse.supports_control(rootdse::OID_DIRSYNC) {
            "DirSync supported"
        } else {
            "no DirSync (delta imports would use USN watermarks)"
        }
    )?;
    writeln!(out, "Naming contexts:")?;
    for nc in &dse.naming_contexts {
        writeln!(out, "  {nc}")?;
    }
    Ok(())
}

/// Runs `probe forest` and writes its report to `out`.
pub fn probe_forest(args: &SignInArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let (mut session, password) = args.open()?;
    let forest = discovery::discover(&mut session, &password)?;
    session.close();
    if args.server.json {
        print_json(out, &forest_report(&forest))?;
    } else {
        write_forest(&forest, out)?;
    }
    Ok(())
}

/// The JSON shape of `probe forest`: the forest with a flat OU list and a schema summary.
pub fn forest_report(forest: &Forest) -> serde_json::Value {
    let ous: Vec<serde_json::Value> = forest
        .domains
        .iter()
        .flat_map(|d| match &d.status {
            DomainStatus::Reachable { containers } => containers
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "domain": d.dns_name,
                        "dn": c.dn,
                        "name": c.name,
                        "parent": c.parent,
                        "guid": c.guid,
                        "kind": c.kind,
                        "childContainers": c.child_containers,
                        "advanced": c.advanced,
                    })
                })
                .collect::<Vec<_>>(),
            DomainStatus::Unreachable { .. } => Vec::new(),
        })
        .collect();
    let domains: Vec<serde_json::Value> = forest
        .domains
        .iter()
        .map(|d| {
            let (reachable, reason) = match &d.status {
                DomainStatus::Reachable { .. } => (true, None),
                DomainStatus::Unreachable { reason } => (false, Some(reason.clone())),
            };
            serde_json::json!({
                "dnsName": d.dns_name,
                "netbiosName": d.netbios_name,
                "namingContext": d.naming_context,
                "forestRoot": d.forest_root,
                "sid": d.sid,
                "functionalLevel": d.functional_level,
                "reachable": reachable,
                "unreachableReason": reason,
            })
        })
        .collect();
    let single = forest
        .schema
        .attributes
        .iter()
        .filter(|a| a.single_valued)
        .count();
    serde_json::json!({
        "forest": forest.name,
        "server": forest.server,
        "forestFunctionalLevel": forest.forest_functional_level,
        "forestFunctionalLevelName": forest.forest_functional_level_name,
        "domains": domains,
        "upnSuffixes": forest.upn_suffixes,
        "ous": ous,
        "schema": {
            "attributes": forest.schema.attributes.len(),
            "singleValuedAttributes": single,
            "classes": forest.schema.classes.len(),
            "consistencyGuid": forest.schema.attribute("mS-DS-ConsistencyGuid").is_some(),
        },
        "exchangeSchema": forest.exchange_schema,
        "kdsRootKey": forest.kds_root_key,
    })
}

fn write_forest(forest: &Forest, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "Forest:              {}", forest.name)?;
    writeln!(out, "Answered by:         {}", forest.server)?;
    match (
        forest.forest_functional_level,
        forest.forest_functional_level_name,
    ) {
        (Some(n), Some(name)) => writeln!(out, "Forest level:        {n} ({name})")?,
        _ => writeln!(out, "Forest level:        (not given)")?,
    }
    writeln!(
        out,
        "Exchange schema:     {}",
        if forest.exchange_schema {
            "present"
        } else {
            "not present"
        }
    )?;
    writeln!(
        out,
        "KDS root key:        {}",
        match forest.kds_root_key {
            Some(true) => "present",
            Some(false) => "none (group managed service accounts cannot be used yet)",
            None => "unknown (this account may not read the key container)",
        }
    )?;
    writeln!(
        out,
        "Schema:              {} attributes, {} classes",
        forest.schema.attributes.len(),
        forest.schema.classes.len()
    )?;
    writeln!(out, "UPN suffixes:")?;
    for s in &forest.upn_suffixes {
        writeln!(out, "  {} ({})", s.suffix, s.source)?;
    }
    writeln!(out, "Domains:")?;
    for d in &forest.domains {
        writeln!(
            out,
            "  {} ({}){}",
            d.dns_name,
            d.netbios_name,
            if d.forest_root { ", forest root" } else { "" }
        )?;
        match &d.status {
            DomainStatus::Unreachable { reason } => writeln!(out, "    unreachable: {reason}")?,
            DomainStatus::Reachable { containers } => {
                for c in containers.iter().filter(|c| !c.advanced) {
                    // RDN counts, escape-aware (`OU=a\=b` is one level).
                    let rdns =
                        |dn: &str| crate::directory::escape::split_dn(dn).map_or(0, |p| p.len());
                    let depth = rdns(&c.dn).saturating_sub(rdns(&d.naming_context));
                    writeln!(out, "    {}{}", "  ".repeat(depth), c.name)?;
                }
            }
        }
    }
    Ok(())
}

/// Runs `probe account` and writes its verdict to `out`; an unacceptable account is an error
/// (exit status 1) after the findings are printed.
pub fn probe_account(args: &SignInArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let (mut session, _password) = args.open()?;
    let check = account::check(&mut session)?;
    session.close();
    if args.server.json {
        print_json(out, &check)?;
    } else {
        writeln!(out, "Account:             {}", check.dn)?;
        writeln!(
            out,
            "Connector account:   {}",
            if check.acceptable {
                "acceptable"
            } else {
                "not acceptable"
            }
        )?;
        for finding in &check.findings {
            writeln!(out, "  - {finding}")?;
        }
    }
    if !check.acceptable {
        anyhow::bail!("{} cannot be the connector account", args.user);
    }
    Ok(())
}

/// Runs `account create`: the account is made, its password written to the file, its name
/// printed.
pub fn account_create(args: &CreateAccountArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    // Refuse before changing the directory if the password would have nowhere to go.
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    let mut file = file.open(&args.password_file).map_err(|e| {
        anyhow::anyhow!(
            "cannot create {} for the password: {e} (it must not exist yet)",
            args.password_file.display()
        )
    })?;
    let (mut session, _password) = args.admin.open()?;
    let request = account::NewAccount {
        parent_dn: args.ou.clone(),
        name: args.name.clone(),
        rights: account::Rights {
            consistency_guid_ous: args.anchor_writeback.clone(),
            ..account::Rights::default()
        },
    };
    let created = match account::create(&mut session, &request) {
        Ok(created) => created,
        Err(e) => {
            drop(file);
            let _ = std::fs::remove_file(&args.password_file);
            return Err(e.into());
        }
    };
    session.close();
    file.write_all(created.password.expose().as_bytes())?;
    writeln!(out, "Created:   {}", created.dn)?;
    writeln!(out, "Sign in as {}", created.account.bind_name())?;
    writeln!(out, "Password:  in {}", args.password_file.display())?;
    Ok(())
}

/// Runs `probe tenant`; the device-code prompt goes to `prompt` (stderr in the binary).
pub fn probe_tenant(
    args: &TenantArgs,
    out: &mut dyn Write,
    prompt: &mut dyn Write,
) -> anyhow::Result<()> {
    use crate::tenant::{SignIn, TenantEndpoint};
    let endpoint = TenantEndpoint {
        authority: args.authority.clone(),
        graph: args.graph.clone(),
        client_id: args.client_id.clone(),
        ca_file: args.ca.clone(),
        ..TenantEndpoint::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(async {
        let graph = if args.device_code {
            let clock: std::sync::Arc<dyn crate::clock::Clock> =
                std::sync::Arc::new(crate::clock::SystemClock::default());
            let identity = endpoint.identity(clock.clone())?;
            let code = identity.device_code(&endpoint.scope).await?;
            writeln!(prompt, "{}", code.message)?;
            prompt.flush()?;
            let tokens = identity.poll_device_code(&code).await?;
            endpoint.graph_with(identity, tokens, clock)?
        } else {
            let user = args.user.clone().ok_or_else(|| {
                anyhow::anyhow!("give --user and --password-env, or sign in with --device-code")
            })?;
            let var = args.password_env.clone().ok_or_else(|| {
                anyhow::anyhow!("give --password-env with the name of the variable holding the password")
            })?;
            let password = password_from_env(&var)?;
            endpoint.connect(&SignIn::Password { user, password }).await?
        };
        let org = graph.organization().await?;
        let domains = graph.domains().await?;
        anyhow::Ok(serde_json::json!({
            "tenantId": org.id,
            "displayName": org.display_name,
            "initialDomain": org.initial_domain(),
            "directorySyncEnabled": org.on_premises_sync_enabled,
            "verifiedDomains": domains.iter().filter(|d| d.is_verified).map(|d| &d.id).collect::<Vec<_>>(),
            "unverifiedDomains": domains.iter().filter(|d| !d.is_verified).map(|d| &d.id).collect::<Vec<_>>(),
            "federatedDomains": domains.iter().filter(|d| d.authentication_type == "Federated").map(|d| &d.id).collect::<Vec<_>>(),
        }))
    })?;
    if args.json {
        print_json(out, &report)?;
    } else {
        let list = |key: &str| {
            report[key]
                .as_array()
                .map(|v| {
                    v.iter()
                        .filter_map(|d| d.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "(none)".into())
        };
        writeln!(
            out,
            "Tenant:              {} ({})",
            report["displayName"].as_str().unwrap_or(""),
            report["tenantId"].as_str().unwrap_or("")
        )?;
        writeln!(
            out,
            "Initial domain:      {}",
            report["initialDomain"].as_str().unwrap_or("(unknown)")
        )?;
        writeln!(out, "Verified domains:    {}", list("verifiedDomains"))?;
        writeln!(out, "Unverified domains:  {}", list("unverifiedDomains"))?;
        writeln!(
            out,
            "Directory sync:      {}",
            match report["directorySyncEnabled"].as_bool() {
                Some(true) => "enabled",
                Some(false) => "was enabled, now off",
                None => "never enabled",
            }
        )?;
    }
    Ok(())
}

/// A password from the environment variable the administrator named (never from the command
/// line, which other users of the machine can read).
fn password_from_env(var: &str) -> anyhow::Result<Secret> {
    std::env::var(var).map(Secret::from).map_err(|_| {
        anyhow::anyhow!(
            "the environment variable {var} that should hold the password is not set (or not UTF-8)"
        )
    })
}

fn print_json(out: &mut dyn Write, value: &impl serde::Serialize) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

fn write_run(out: &mut dyn Write, r: &crate::engine::model::RunRecord) -> std::io::Result<()> {
    writeln!(
        out,
        "#{:<5} {:<13} {:<16} adds {:>5}  updates {:>5}  renames {:>4}  deletes {:>5}  errors {:>4}  {}",
        r.id,
        r.profile,
        r.connector,
        r.counts.adds,
        r.counts.updates,
        r.counts.renames,
        r.counts.deletes,
        r.counts.errors,
        r.outcome
    )?;
    for (object, message) in &r.errors {
        writeln!(out, "         {object}: {message}")?;
    }
    Ok(())
}

/// Asks the service of `dir` when one runs; `None` when none does (the store can then be opened
/// here). A request the service could not carry out is an error.
fn via_service(
    dir: &std::path::Path,
    request: crate::service::protocol::Request,
) -> anyhow::Result<Option<crate::service::protocol::Response>> {
    use crate::service::client::{Reach, ask};
    use crate::service::protocol::Response;
    match ask(dir, &request)? {
        Reach::Answer(Response::Failed(why)) => anyhow::bail!("the service could not: {why}"),
        Reach::Answer(answer) => Ok(Some(answer)),
        Reach::NotRunning | Reach::Stale => Ok(None),
    }
}

/// Runs a `service` command.
pub fn service_command(command: &ServiceCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    use crate::service::client::{Reach, ask};
    use crate::service::protocol::{Request, Response};
    match command {
        ServiceCommand::Run {
            interval_minutes,
            data,
        } => {
            #[cfg(unix)]
            {
                let options = crate::service::server::ServiceOptions {
                    interval: std::time::Duration::from_secs(interval_minutes * 60),
                };
                crate::service::server::run(&data.dir(), options)?;
            }
            #[cfg(not(unix))]
            {
                let _ = (interval_minutes, data);
                return Err(crate::service::ServiceError::Unsupported.into());
            }
        }
        ServiceCommand::Status(data) => {
            let dir = data.dir();
            match ask(&dir, &Request::Status)? {
                Reach::Answer(Response::Status(s)) => {
                    if data.json {
                        print_json(out, &s)?;
                    } else {
                        writeln!(out, "Running:             yes (process {})", s.pid)?;
                        writeln!(out, "Data folder:         {}", s.data_dir)?;
                        writeln!(
                            out,
                            "Cycle:               {}",
                            if s.cycle_running {
                                "running now"
                            } else {
                                "idle"
                            }
                        )?;
                        writeln!(out, "Cycles since start:  {}", s.cycles_done)?;
                        writeln!(out, "Every:               {} minutes", s.interval_minutes)?;
                        writeln!(
                            out,
                            "Staging mode:        {}",
                            if s.staging {
                                "on (nothing is exported)"
                            } else {
                                "off"
                            }
                        )?;
                        writeln!(out, "Pending exports:     {}", s.pending_exports)?;
                        if let Some(last) = &s.last_cycle {
                            writeln!(
                                out,
                                "Last cycle:          {}",
                                last.error.as_deref().unwrap_or("completed")
                            )?;
                        }
                    }
                }
                Reach::Answer(other) => {
                    anyhow::bail!("unexpected answer from the service: {other:?}")
                }
                Reach::NotRunning => anyhow::bail!(
                    "no Skybridge service runs for {}; start it with `skybridge service run --data {}`",
                    dir.display(),
                    dir.display()
                ),
                Reach::Stale => anyhow::bail!(
                    "no Skybridge service runs for {}: one stopped unexpectedly and left its socket; `skybridge service run --data {}` starts it again",
                    dir.display(),
                    dir.display()
                ),
            }
        }
        ServiceCommand::Stop(data) => {
            use crate::service::launch::{Stopped, stop};
            let manager = crate::service::systemd::UserManager::from_env();
            writeln!(out, "stopping after the running cycle…")?;
            match stop(&data.dir(), &manager)? {
                Stopped::Stopped => writeln!(out, "stopped")?,
                Stopped::NotRunning => writeln!(out, "no service was running")?,
                Stopped::RemovedStale => writeln!(
                    out,
                    "no service was running (removed the socket a stopped one left behind)"
                )?,
            }
        }
        ServiceCommand::Start {
            interval_minutes,
            data,
        } => {
            use crate::service::launch::{Started, program, start};
            let manager = crate::service::systemd::UserManager::from_env();
            let dir = data.dir();
            match start(&program()?, &dir, *interval_minutes, &manager)? {
                Started::AlreadyRunning(pid) => {
                    writeln!(out, "the service already runs (process {pid})")?
                }
                Started::Detached(pid) => writeln!(
                    out,
                    "started (process {pid}); its output goes to {}",
                    dir.join(crate::service::launch::LOG_NAME).display()
                )?,
                Started::Manager { unit, pid } => {
                    writeln!(out, "started by systemd as {unit} (process {pid})")?
                }
            }
        }
        ServiceCommand::Register {
            interval_minutes,
            data,
        } => {
            let manager = crate::service::systemd::UserManager::from_env();
            let dir = data.dir();
            let program = crate::service::launch::program()?;
            let unit = manager.register(&program, &dir, *interval_minutes)?;
            writeln!(
                out,
                "registered and started: {} (to run without anyone logged in: `loginctl enable-linger`, with a keychain that unlocks without a login)",
                unit.display()
            )?;
        }
        ServiceCommand::Unregister(data) => {
            let manager = crate::service::systemd::UserManager::from_env();
            let dir = data.dir();
            if manager.is_registered(&dir) {
                manager.unregister(&dir)?;
                writeln!(out, "stopped and unregistered")?;
            } else {
                writeln!(out, "the service of {} is not registered", dir.display())?;
            }
        }
    }
    Ok(())
}

/// Runs a `sync` command. When the service runs it holds the store: the command is then
/// asked of it.
pub fn sync_command(command: &SyncCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    use crate::engine::{install, run, sync};
    use crate::service::protocol::{Request, Response};
    match command {
        SyncCommand::Run { full, data } => {
            if let Some(Response::Queued) =
                via_service(&data.dir(), Request::RunNow { full: *full })?
            {
                writeln!(
                    out,
                    "the running service starts the cycle now; follow it with `skybridge service status` and `skybridge sync history`"
                )?;
                return Ok(());
            }
            let records = install::run_cycle(&data.dir(), *full)?;
            if data.json {
                print_json(out, &records)?;
            } else {
                for r in &records {
                    write_run(out, r)?;
                }
            }
            if let Some(stopped) = records.iter().find(|r| r.outcome.starts_with("stopped")) {
                anyhow::bail!("{}", stopped.outcome);
            }
        }
        SyncCommand::Status(data) => {
            let (pending, history) = match (
                via_service(&data.dir(), Request::Pending)?,
                via_service(&data.dir(), Request::History)?,
            ) {
                (Some(Response::Pending(p)), Some(Response::History(h))) => (p, h),
                _ => {
                    let store = install::open_store(&data.dir())?;
                    (sync::pending_exports(&store)?, run::history(&store)?)
                }
            };
            let last: Vec<_> = history.iter().rev().take(5).cloned().collect();
            if data.json {
                print_json(
                    out,
                    &serde_json::json!({"pendingExports": pending.len(), "lastRuns": last}),
                )?;
            } else {
                writeln!(out, "Pending exports:     {}", pending.len())?;
                writeln!(out, "Last runs:")?;
                for r in last.iter().rev() {
                    write_run(out, r)?;
                }
            }
        }
        SyncCommand::Pending(data) => {
            let pending = match via_service(&data.dir(), Request::Pending)? {
                Some(Response::Pending(p)) => p,
                _ => sync::pending_exports(&install::open_store(&data.dir())?)?,
            };
            if data.json {
                print_json(out, &pending)?;
            } else {
                for p in &pending {
                    let what = match &p.change {
                        crate::engine::model::ExportChange::Add { .. } => "add".to_string(),
                        crate::engine::model::ExportChange::Update { changes } => format!(
                            "update {}",
                            changes
                                .iter()
                                .map(|(k, (was, will))| format!("{k}: {was} -> {will}"))
                                .collect::<Vec<_>>()
                                .join("; ")
                        ),
                        crate::engine::model::ExportChange::Delete => "delete".to_string(),
                    };
                    writeln!(
                        out,
                        "{:<8?} {} ({}): {what}",
                        p.kind, p.name, p.display_name
                    )?;
                    if !p.members_added.is_empty() || !p.members_removed.is_empty() {
                        writeln!(
                            out,
                            "         members +{} -{}",
                            p.members_added.len(),
                            p.members_removed.len()
                        )?;
                    }
                }
                writeln!(out, "{} changes pending", pending.len())?;
            }
        }
        SyncCommand::History(data) => {
            let history = match via_service(&data.dir(), Request::History)? {
                Some(Response::History(h)) => h,
                _ => run::history(&install::open_store(&data.dir())?)?,
            };
            if data.json {
                print_json(out, &history)?;
            } else {
                for r in &history {
                    write_run(out, r)?;
                }
            }
        }
    }
    Ok(())
}

/// Runs `search`.
pub fn search_command(args: &SearchArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    use crate::service::protocol::{Request, Response};
    let asked = Request::Search {
        text: args.text.clone(),
        limit: 200,
    };
    let hits = match via_service(&args.data.dir(), asked)? {
        Some(Response::Found(hits)) => hits,
        _ => {
            let store = crate::engine::install::open_store(&args.data.dir())?;
            crate::engine::search::search(&store, &args.text, 200)?
        }
    };
    if args.data.json {
        print_json(out, &hits)?;
    } else {
        for h in &hits {
            writeln!(out, "{}", serde_json::to_string(h)?)?;
        }
        writeln!(out, "{} found", hits.len())?;
    }
    Ok(())
}

/// Runs `settings schema`.
pub fn settings_command(command: &SettingsCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match command {
        SettingsCommand::Schema => out.write_all(crate::wizard::settings::schema().as_bytes())?,
    }
    Ok(())
}

/// Prints device codes and finished steps to a writer (stderr in the binary).
struct Reporter<'a>(&'a mut dyn Write);

impl crate::wizard::headless::Observer for Reporter<'_> {
    fn device_code(&mut self, uri: &str, code: &str) {
        let _ = writeln!(
            self.0,
            "To sign in to the tenant, open {uri} and enter the code {code}"
        );
    }

    fn progress(&mut self, phase: &crate::engine::install::CyclePhase, handled: u64) {
        let line = crate::wizard::configuring::progress_text(phase, handled);
        let _ = writeln!(self.0, "        {line}");
    }

    fn step(&mut self, step: crate::wizard::apply::Step, outcome: &Result<String, String>) {
        use crate::wizard::{PageId, text};
        let label = text::page(PageId::Configuring).field(step.field());
        let _ = match outcome {
            Ok(line) => writeln!(self.0, "done    {label}: {line}"),
            Err(why) => writeln!(self.0, "FAILED  {label}: {why}"),
        };
    }
}

/// Reads a settings file and fills a headless wizard from it.
fn headless_from(
    file: &std::path::Path,
    data: PathBuf,
    licence: bool,
    log: &mut dyn Write,
) -> anyhow::Result<(crate::wizard::headless::Headless, Vec<String>)> {
    let imported = crate::wizard::settings::read(file).map_err(anyhow::Error::msg)?;
    let data = std::path::absolute(&data)
        .map_err(|e| anyhow::anyhow!("the data folder {} cannot be used: {e}", data.display()))?;
    let mut headless = crate::wizard::headless::Headless::new(data, licence)?;
    let notes = headless.import(imported, &mut Reporter(log));
    Ok((headless, notes))
}

/// One problem as `plan` prints it.
fn problem_line(problem: &crate::wizard::Problem, blocks: bool) -> String {
    use crate::wizard::text;
    let page = text::page(problem.page);
    let severity = match (problem.severity, blocks) {
        (crate::wizard::Severity::Error, _) => "error",
        (crate::wizard::Severity::Confirm, true) => "needs acknowledging",
        (crate::wizard::Severity::Confirm, false) => "acknowledged",
        (crate::wizard::Severity::Warning, _) => "warning",
    };
    let mut line = format!(
        "{severity}: {} › {}: {}",
        page.title,
        page.field(problem.field),
        problem.text()
    );
    if blocks && problem.severity == crate::wizard::Severity::Confirm {
        line.push_str(&format!(
            " (add \"{}/{}\" to acknowledged to go on)",
            problem.page.key(),
            problem.message
        ));
    }
    line
}

/// Runs `plan`: every problem of the file, with its page and field; fails when one blocks.
pub fn plan_command(
    args: &PlanArgs,
    out: &mut dyn Write,
    log: &mut dyn Write,
) -> anyhow::Result<()> {
    // Nothing is written; the data folder is only checked.
    let data = args
        .data
        .clone()
        .unwrap_or_else(crate::engine::install::default_data_dir);
    let (headless, notes) = headless_from(&args.file, data, args.accept_licence, log)?;
    let problems = headless.problems();
    let blocking = problems.iter().filter(|p| headless.blocks(p)).count();
    if args.json {
        let list: Vec<serde_json::Value> = problems
            .iter()
            .map(|p| {
                let page = crate::wizard::text::page(p.page);
                serde_json::json!({
                    "page": p.page.key(),
                    "pageTitle": page.title,
                    "field": p.field,
                    "fieldLabel": page.field(p.field),
                    "severity": format!("{:?}", p.severity).to_lowercase(),
                    "blocks": headless.blocks(p),
                    "message": p.message,
                    "text": p.text(),
                })
            })
            .collect();
        print_json(
            out,
            &serde_json::json!({"ready": blocking == 0, "notes": notes, "problems": list}),
        )?;
    } else {
        for note in &notes {
            writeln!(out, "note: {note}")?;
        }
        for p in &problems {
            writeln!(out, "{}", problem_line(p, headless.blocks(p)))?;
        }
        if blocking == 0 {
            writeln!(
                out,
                "{}: ready to apply ({} forest(s))",
                args.file.display(),
                headless.wizard().draft().directories.len()
            )?;
        }
    }
    if blocking > 0 {
        anyhow::bail!(
            "{}: {blocking} problem(s) must be fixed before it can be applied",
            args.file.display()
        );
    }
    Ok(())
}

/// Runs `apply`: the checks of `plan`, then every configuring step, reported as it finishes.
pub fn apply_command(args: &ApplyArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let data = args
        .data
        .clone()
        .unwrap_or_else(crate::engine::install::default_data_dir);
    let (mut headless, notes) = headless_from(&args.file, data, args.accept_licence, out)?;
    for note in &notes {
        writeln!(out, "note: {note}")?;
    }
    headless.send(
        crate::wizard::Msg::SetServiceChoice(match args.service {
            ServiceArg::None => crate::wizard::ready::ServiceChoice::None,
            ServiceArg::Start => crate::wizard::ready::ServiceChoice::Start,
            ServiceArg::Register => crate::wizard::ready::ServiceChoice::Register,
        }),
        &mut Reporter(&mut *out),
    );
    if args.no_first_sync {
        headless.send(
            crate::wizard::Msg::SetStartSync(false),
            &mut Reporter(&mut *out),
        );
    }
    let blocking: Vec<String> = headless
        .problems()
        .iter()
        .filter(|p| headless.blocks(p))
        .map(|p| problem_line(p, true))
        .collect();
    if !blocking.is_empty() {
        for line in &blocking {
            writeln!(out, "{line}")?;
        }
        anyhow::bail!(
            "{}: nothing was changed; fix the problems above (`skybridge plan` lists them)",
            args.file.display()
        );
    }
    headless
        .configure(&mut Reporter(&mut *out))
        .map_err(|why| anyhow::anyhow!("configuring stopped at {why}. Fix the cause and run `skybridge apply` again with a new data folder, or finish from the wizard."))?;
    writeln!(
        out,
        "Configured in {}",
        headless.wizard().draft().data_dir.display()
    )?;
    Ok(())
}
