//! `password-agent …` (on a domain controller, and the enrolment code on the sync server) and
//! `passwords status`.

use std::io::{BufRead as _, Write};
use std::path::PathBuf;

use anyhow::Context as _;

use super::args::{AgentDirArgs, PasswordAgentCommand, PasswordsCommand};
use crate::passwords::{agent, dc};
use crate::secret::Secret;

/// `skybridge password-agent …`.
pub fn password_agent_command(
    command: &PasswordAgentCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match command {
        PasswordAgentCommand::Enroll(data) => {
            let code = crate::ops::passwords::new_code(&data.dir())?;
            if data.json {
                writeln!(out, "{}", serde_json::to_string_pretty(&code)?)?;
            } else {
                writeln!(out, "One-time enrolment code: {}", code.code)?;
                writeln!(
                    out,
                    "It works once, until {} (UTC).",
                    crate::ops::passwords::when(code.expires)
                )?;
                writeln!(
                    out,
                    "The service's certificate: {}",
                    code.service_fingerprint
                )?;
                writeln!(
                    out,
                    "On each Samba domain controller, as root: skybridge password-agent install --service {} (the code is asked for)",
                    code.listen
                )?;
            }
            Ok(())
        }
        PasswordAgentCommand::Install {
            dir,
            service,
            code_env,
            name,
            no_start,
        } => {
            let layout = layout(dir);
            let enrol = match service {
                Some(service) => Some((service.clone(), read_code(code_env.as_deref())?)),
                None => None,
            };
            let request = dc::InstallRequest {
                enrol,
                name: name
                    .clone()
                    .or_else(crate::host::name)
                    .unwrap_or_else(|| "domain-controller".into()),
                start: !no_start,
                program: std::env::current_exe().context("where this program is")?,
            };
            let changed = dc::install(&layout, &request)?;
            if changed.is_empty() {
                writeln!(out, "Nothing to change: the agent is set up.")?;
            }
            for line in changed {
                writeln!(out, "- {line}")?;
            }
            Ok(())
        }
        PasswordAgentCommand::Status(dir) => {
            for line in dc::status(&layout(dir)) {
                writeln!(out, "- {line}")?;
            }
            Ok(())
        }
        PasswordAgentCommand::Uninstall { dir, no_stop } => {
            let removed = dc::uninstall(&layout(dir), !no_stop)?;
            if removed.is_empty() {
                writeln!(out, "Nothing to remove: no agent is set up here.")?;
            }
            for line in removed {
                writeln!(out, "- {line}")?;
            }
            Ok(())
        }
        PasswordAgentCommand::Hook { dir } => {
            let mut ldif = String::new();
            std::io::stdin()
                .lock()
                .read_to_string_limited(&mut ldif, 1 << 20)?;
            let answer = agent::hook(&agent::dir_or_default(dir.clone()), &ldif);
            zeroize::Zeroize::zeroize(&mut ldif);
            // The loop keeps what the hook prints in its log: never a password.
            writeln!(out, "{}", answer.done.as_deref().unwrap_or("NOT-DONE"))?;
            writeln!(out, "{}", answer.log)?;
            if answer.done.is_none() {
                anyhow::bail!("the change was not delivered; Samba's loop hands it over again");
            }
            Ok(())
        }
        PasswordAgentCommand::Revoke { name, data } => {
            let record = crate::passwords::enrolment::revoke(&data.dir(), name)?;
            writeln!(
                out,
                "Revoked {} (certificate {}): the service refuses its deliveries from now on.",
                record.name, record.fingerprint
            )?;
            Ok(())
        }
    }
}

/// `skybridge passwords …`.
pub fn passwords_command(command: &PasswordsCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match command {
        PasswordsCommand::Status(data) => {
            let status = crate::ops::passwords::status(&data.dir())?;
            if data.json {
                writeln!(out, "{}", serde_json::to_string_pretty(&status)?)?;
                return Ok(());
            }
            for line in crate::ops::passwords::describe(&status) {
                writeln!(out, "{line}")?;
            }
            Ok(())
        }
    }
}

fn layout(args: &AgentDirArgs) -> dc::DcLayout {
    dc::DcLayout {
        dir: agent::dir_or_default(args.dir.clone()),
        smb_conf: args
            .smb_conf
            .clone()
            .unwrap_or_else(|| PathBuf::from("/etc/samba/smb.conf")),
        gnupg_home: args
            .gnupg_home
            .clone()
            .or_else(|| std::env::var_os("GNUPGHOME").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("/root/.gnupg")),
        unit_dir: args
            .unit_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("/etc/systemd/system")),
    }
}

/// The code from the variable named, else one line from standard input (never from the
/// command line, where other users could see it).
fn read_code(env: Option<&str>) -> anyhow::Result<Secret> {
    if let Some(var) = env {
        return super::password_from_env(var);
    }
    eprint!("Enrolment code (from `skybridge password-agent enroll` on the sync server): ");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let code = Secret::new(line.trim().to_string());
    zeroize::Zeroize::zeroize(&mut line);
    if code.is_empty() {
        anyhow::bail!("no enrolment code was given");
    }
    Ok(code)
}

trait ReadLimited {
    fn read_to_string_limited(&mut self, into: &mut String, limit: u64) -> std::io::Result<()>;
}

impl<R: std::io::Read> ReadLimited for R {
    fn read_to_string_limited(&mut self, into: &mut String, limit: u64) -> std::io::Result<()> {
        std::io::Read::read_to_string(&mut std::io::Read::take(self, limit), into).map(|_| ())
    }
}
