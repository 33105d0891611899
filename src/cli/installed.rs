//! The commands for an installed system: `sync`, `search`, `troubleshoot`, `config` and
//! `service`. Each asks the running service when there is one, else opens the store.

use std::io::Write;

use super::args::{ConfigCommand, DataArgs, SearchArgs, ServiceCommand, SyncCommand};
use super::print_json;

/// Runs `troubleshoot`.
pub fn troubleshoot_command(data: &DataArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    use crate::engine::troubleshoot::Outcome;
    let checks = crate::ops::installed::troubleshoot(&data.dir())?;
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
        Ok(crate::ops::installed::settings_versions(&data.dir())?)
    };
    match command {
        ConfigCommand::Apply { file, data } => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let new: crate::engine::install::Installation = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{} is not a settings.json: {e}", file.display()))?;
            let applied = crate::ops::installed::change_settings(&data.dir(), &new)?;
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
    use crate::ops::installed::Cycle;
    match command {
        SyncCommand::Run { full, data } => {
            let records = match crate::ops::installed::run_cycle(&data.dir(), *full)? {
                Cycle::Queued => {
                    writeln!(
                        out,
                        "the running service starts the cycle now; follow it with `skybridge service status` and `skybridge sync history`"
                    )?;
                    return Ok(());
                }
                Cycle::Ran(records) => records,
            };
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
            let pending = crate::ops::installed::pending(&data.dir())?;
            let history = crate::ops::installed::history(&data.dir())?;
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
            let pending = crate::ops::installed::pending(&data.dir())?;
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
            let history = crate::ops::installed::history(&data.dir())?;
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
    let hits = crate::ops::installed::search(&args.data.dir(), &args.text)?;
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
