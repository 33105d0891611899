//! The `skybridge` binary: the setup wizard by default, or a command (see `--help`).

use std::process::ExitCode;

use clap::Parser;

// The engine allocates many small values (attributes, JSON, store pages) from several threads;
// mimalloc does that several times faster than the system allocator here. The benchmarks use
// the same allocator, so their figures are this binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match skybridge::cli::run(skybridge::cli::Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("skybridge: {error:#}");
            ExitCode::FAILURE
        }
    }
}
