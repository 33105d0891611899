//! The `skybridge` binary: the setup wizard by default, or a command (see `--help`).

use std::process::ExitCode;

use clap::Parser;
use skybridge::cli::{Cli, Command, Probe};

// The engine allocates many small values (attributes, JSON, store pages) from several threads;
// mimalloc does that several times faster than the system allocator here. The benchmarks use
// the same allocator, so their figures are this binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => open_wizard(None, None),
        Some(Command::Wizard(args)) => open_wizard(args.data, args.profile),
        Some(Command::Probe(Probe::Server(args))) => {
            skybridge::cli::probe_server(&args, &mut std::io::stdout().lock())
        }
        Some(Command::Probe(Probe::Forest(args))) => {
            skybridge::cli::probe_forest(&args, &mut std::io::stdout().lock())
        }
        Some(Command::Probe(Probe::Certificate(args))) => {
            skybridge::cli::probe_certificate(&args, &mut std::io::stdout().lock())
        }
        Some(Command::Probe(Probe::Account(args))) => {
            skybridge::cli::probe_account(&args, &mut std::io::stdout().lock())
        }
        Some(Command::Probe(Probe::Tenant(args))) => skybridge::cli::probe_tenant(
            &args,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        ),
        Some(Command::Sync(command)) => {
            skybridge::cli::sync_command(&command, &mut std::io::stdout().lock())
        }
        Some(Command::Account(skybridge::cli::AccountCommand::Create(args))) => {
            skybridge::cli::account_create(&args, &mut std::io::stdout().lock())
        }
        Some(Command::Troubleshoot(data)) => {
            skybridge::cli::troubleshoot_command(&data, &mut std::io::stdout().lock())
        }
        Some(Command::Config(command)) => {
            skybridge::cli::config_command(&command, &mut std::io::stdout().lock())
        }
        Some(Command::Service(command)) => {
            skybridge::cli::service_command(&command, &mut std::io::stdout().lock())
        }
        Some(Command::Search(args)) => {
            skybridge::cli::search_command(&args, &mut std::io::stdout().lock())
        }
        Some(Command::Plan(args)) => skybridge::cli::plan_command(
            &args,
            &mut std::io::stdout().lock(),
            &mut std::io::stderr().lock(),
        ),
        Some(Command::Apply(args)) => {
            skybridge::cli::apply_command(&args, &mut std::io::stdout().lock())
        }
        Some(Command::Settings(command)) => {
            skybridge::cli::settings_command(&command, &mut std::io::stdout().lock())
        }
        Some(Command::Store(command)) => {
            skybridge::cli::store_command(&command, &mut std::io::stdout().lock())
        }
        Some(Command::Emulator(args)) => args.config().and_then(skybridge::emulator::run),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("skybridge: {error:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(feature = "gui")]
fn open_wizard(
    data: Option<std::path::PathBuf>,
    profile: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let data = data.unwrap_or_else(skybridge::engine::install::default_data_dir);
    // The folder also names the keychain entries: the same folder, however it was typed.
    let data = std::path::absolute(&data)
        .map_err(|e| anyhow::anyhow!("the data folder {} cannot be used: {e}", data.display()))?;
    let profile = match profile {
        Some(path) => {
            skybridge::wizard::profile::Profile::load(&path).map_err(anyhow::Error::msg)?
        }
        None => Default::default(),
    };
    skybridge::ui::run(data, profile).map_err(|e| {
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
