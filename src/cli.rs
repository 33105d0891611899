//! The command line: one parser for the binary, documented by `skybridge --help`.
//!
//! With no command the wizard window opens (when the build has the `gui` feature). Every
//! command calls the same library functions the wizard uses.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::directory::{RootDse, ServerSpec, rootdse};

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
    Wizard,
    /// Check a server without changing anything.
    #[command(subcommand)]
    Probe(Probe),
}

/// Read-only checks.
#[derive(Debug, Subcommand)]
pub enum Probe {
    /// Connect to a domain controller anonymously over verified TLS and show what it says about
    /// itself (naming contexts, functional levels, change counter, supported controls).
    Server(ServerArgs),
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
        serde_json::to_writer_pretty(&mut *out, &dse)?;
        writeln!(out)?;
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
