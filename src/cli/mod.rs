//! The command line: one parser for the binary, documented by `skybridge --help`.
//!
//! With no command the wizard window opens (when the build has the `gui` feature). Every
//! command calls the same library functions the wizard uses.
//!
//! - [`args`]: the commands and their options (clap).
//! - [`probe`]: `probe …` and `account create`.
//! - [`installed`]: `sync`, `search`, `troubleshoot`, `config`, `service`.
//! - [`settings`]: `settings`, `plan`, `apply`.
//! - [`store`]: `store migrate`.
//! - [`passwords`]: `password-agent …` and `passwords status`.

pub mod args;
pub mod installed;
pub mod passwords;
pub mod probe;
pub mod settings;
pub mod store;

use std::io::Write;

pub use args::*;
pub use installed::*;
pub use passwords::*;
pub use probe::*;
pub use settings::*;
pub use store::*;

use crate::secret::Secret;

/// Runs the command line as parsed: a command, or the wizard window when none is given.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    // Standard output is locked per command, never across the wizard or the emulator (whose
    // threads print too).
    let out = || std::io::stdout().lock();
    match cli.command {
        None => open_wizard(None, None),
        Some(Command::Wizard(args)) => open_wizard(args.data, args.profile),
        Some(Command::Probe(Probe::Server(args))) => probe_server(&args, &mut out()),
        Some(Command::Probe(Probe::Forest(args))) => probe_forest(&args, &mut out()),
        Some(Command::Probe(Probe::Certificate(args))) => probe_certificate(&args, &mut out()),
        Some(Command::Probe(Probe::Account(args))) => probe_account(&args, &mut out()),
        Some(Command::Probe(Probe::Tenant(args))) => {
            probe_tenant(&args, &mut out(), &mut std::io::stderr().lock())
        }
        Some(Command::Sync(command)) => sync_command(&command, &mut out()),
        Some(Command::Account(AccountCommand::Create(args))) => account_create(&args, &mut out()),
        Some(Command::Troubleshoot(data)) => troubleshoot_command(&data, &mut out()),
        Some(Command::Config(command)) => config_command(&command, &mut out()),
        Some(Command::Service(command)) => service_command(&command, &mut out()),
        Some(Command::Search(args)) => search_command(&args, &mut out()),
        Some(Command::Plan(args)) => plan_command(&args, &mut out(), &mut std::io::stderr().lock()),
        Some(Command::Apply(args)) => apply_command(&args, &mut out()),
        Some(Command::Settings(command)) => settings_command(&command, &mut out()),
        Some(Command::Store(command)) => store_command(&command, &mut out()),
        Some(Command::PasswordAgent(command)) => password_agent_command(&command, &mut out()),
        Some(Command::Passwords(command)) => passwords_command(&command, &mut out()),
        Some(Command::Emulator(args)) => args.config().and_then(crate::emulator::run),
    }
}

#[cfg(feature = "gui")]
fn open_wizard(
    data: Option<std::path::PathBuf>,
    profile: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let data = data.unwrap_or_else(crate::engine::install::default_data_dir);
    // The folder also names the keychain entries: the same folder, however it was typed.
    let data = std::path::absolute(&data)
        .map_err(|e| anyhow::anyhow!("the data folder {} cannot be used: {e}", data.display()))?;
    let profile = match profile {
        Some(path) => crate::wizard::profile::Profile::load(&path).map_err(anyhow::Error::msg)?,
        None => Default::default(),
    };
    crate::ui::run(data, profile).map_err(|e| {
        anyhow::anyhow!(
            "the wizard window could not open: {e}. A desktop session is needed (on a server without one, run the commands listed by `skybridge --help`)."
        )
    })
}

#[cfg(not(feature = "gui"))]
fn open_wizard(
    _data: Option<std::path::PathBuf>,
    _profile: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    anyhow::bail!(
        "this build has no wizard window (it was built without the `gui` feature); run `skybridge --help` for the commands it has"
    )
}

/// A password from the environment variable the administrator named (never from the command
/// line, which other users of the machine can read).
pub(crate) fn password_from_env(var: &str) -> anyhow::Result<Secret> {
    std::env::var(var).map(Secret::from).map_err(|_| {
        anyhow::anyhow!(
            "the environment variable {var} that should hold the password is not set (or not UTF-8)"
        )
    })
}

pub(crate) fn print_json(out: &mut dyn Write, value: &impl serde::Serialize) -> anyhow::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

/// The runtime a command's network work runs on (the wizard's probes, headless).
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}
