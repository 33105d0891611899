//! The troubleshooting checklist, run against a live installation: each forest's domain
//! controller answers and its connector account signs in and may read changes, the delta
//! cookie is there, the clocks agree, the tenant gives the engine a token, the write budget
//! holds, and the last runs' errors grouped by cause with the objects they hit.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::install::Installation;
use super::model::RunRecord;
use crate::store::{Space, Store};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// Fine.
    Pass,
    /// Works, but deserves a look.
    Warn,
    /// Broken: synchronization cannot work until it is fixed.
    Fail,
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// How it came out.
    pub outcome: Outcome,
    /// What was found.
    pub detail: String,
}

fn check(name: impl Into<String>, outcome: Outcome, detail: impl Into<String>) -> Check {
    Check {
        name: name.into(),
        outcome,
        detail: detail.into(),
    }
}

/// Clocks further apart than this break Kerberos, and this much makes tokens look expired.
const SKEW_FAIL_SECS: i64 = 300;
/// Clocks this far apart deserve a look.
const SKEW_WARN_SECS: i64 = 60;

/// Runs the checklist for the installation in `data`, with its store (the service's, or one
/// opened for the purpose). Blocking: must not run inside an async runtime.
pub fn run(data: &Path, store: &dyn Store, history: &[RunRecord]) -> Vec<Check> {
    let mut out = Vec::new();
    let install = match Installation::load(data) {
        Ok(install) => install,
        Err(e) => {
            out.push(check("settings", Outcome::Fail, e.to_string()));
            return out;
        }
    };
    out.push(check(
        "settings",
        Outcome::Pass,
        format!(
            "{} forest(s), settings.json readable",
            install.directories.len()
        ),
    ));
    directories(&install, store, &mut out);
    tenant(&install, &mut out);
    budget(&install, history, &mut out);
    errors(history, &mut out);
    out
}

fn directories(install: &Installation, store: &dyn Store, out: &mut Vec<Check>) {
    let sessions = match install.directory_sessions() {
        Ok(sessions) => sessions,
        Err(e) => {
            out.push(check("forest sign-in", Outcome::Fail, e.to_string()));
            return;
        }
    };
    for (connection, mut session) in sessions {
        let forest = &connection.connector;
        out.push(check(
            format!("{forest}: domain controller and sign-in"),
            Outcome::Pass,
            format!("{} signed in at {}", connection.account, connection.server),
        ));
        match crate::directory::account::check(&mut session) {
            Ok(account) if account.can_read_changes => out.push(check(
                format!("{forest}: reading changes"),
                Outcome::Pass,
                "the account may read the directory's changes (DirSync)",
            )),
            Ok(_) => out.push(check(
                format!("{forest}: reading changes"),
                Outcome::Fail,
                "the account lacks \"Replicating Directory Changes\" on its domain: delta imports are refused; grant it, or create the account again from the wizard",
            )),
            Err(e) => out.push(check(
                format!("{forest}: reading changes"),
                Outcome::Fail,
                e.to_string(),
            )),
        }
        let cookies = store
            .scan_raw(Space::Watermark, format!("{forest}/").as_bytes())
            .map(|all| all.len())
            .unwrap_or(0);
        out.push(if cookies > 0 {
            check(
                format!("{forest}: delta cookie"),
                Outcome::Pass,
                format!(
                    "{cookies} domain(s) have a DirSync cookie: the next import reads changes only"
                ),
            )
        } else {
            check(
                format!("{forest}: delta cookie"),
                Outcome::Warn,
                "no DirSync cookie yet: the next import reads the whole forest",
            )
        });
        out.push(skew(forest, &mut session));
        session.close();
    }
}

/// The domain controller's clock (rootDSE `currentTime`) against this machine's.
fn skew(forest: &str, session: &mut crate::directory::Session) -> Check {
    let name = format!("{forest}: clock");
    let read = session
        .read("", &["currentTime"])
        .ok()
        .flatten()
        .and_then(|e| e.text("currentTime"))
        .and_then(|t| generalized_time_secs(&t));
    let Some(theirs) = read else {
        return check(
            name,
            Outcome::Warn,
            "the domain controller did not give its time",
        );
    };
    let ours = i64::try_from(crate::clock::unix_now()).unwrap_or(i64::MAX);
    let apart = (ours - theirs).abs();
    let detail = format!("{apart} s apart from the domain controller");
    if apart > SKEW_FAIL_SECS {
        check(
            name,
            Outcome::Fail,
            format!("{detail}: set both clocks from the same time source"),
        )
    } else if apart > SKEW_WARN_SECS {
        check(name, Outcome::Warn, detail)
    } else {
        check(name, Outcome::Pass, detail)
    }
}

/// `YYYYMMDDHHMMSS[.f]Z` as seconds since the Unix epoch.
fn generalized_time_secs(text: &str) -> Option<i64> {
    let digits = text.trim().strip_suffix('Z')?.split('.').next()?;
    if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| digits[r].parse::<u8>().ok();
    let year: i32 = digits[0..4].parse().ok()?;
    let month = time::Month::try_from(n(4..6)?).ok()?;
    let date = time::Date::from_calendar_date(year, month, n(6..8)?).ok()?;
    let at = date.with_hms(n(8..10)?, n(10..12)?, n(12..14)?).ok()?;
    Some(at.assume_utc().unix_timestamp())
}

fn tenant(install: &Installation, out: &mut Vec<Check>) {
    let secret = match install.client_secret() {
        Ok(secret) => secret,
        Err(e) => {
            out.push(check("tenant token", Outcome::Fail, e.to_string()));
            return;
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            out.push(check("tenant token", Outcome::Fail, e.to_string()));
            return;
        }
    };
    let signed_in = runtime.block_on(install.graph(secret));
    out.push(match signed_in {
        Ok(_) => check(
            "tenant token",
            Outcome::Pass,
            format!(
                "the engine's application ({}) signs in to the tenant",
                install.tenant.client_id
            ),
        ),
        Err(e) => check("tenant token", Outcome::Fail, e.to_string()),
    });
}

fn budget(install: &Installation, history: &[RunRecord], out: &mut Vec<Check>) {
    let budget = install.tenant.write_budget;
    let last = history.iter().rev().find(|r| r.profile == "export");
    let used = last.map_or(0, |r| r.counts.adds + r.counts.updates + r.counts.deletes);
    let detail = format!(
        "the last export wrote {used} change(s); the budget is {budget} per {} s",
        install.tenant.budget_window_seconds
    );
    out.push(if budget > 0 && used * 10 > budget as u64 * 8 {
        check(
            "write budget",
            Outcome::Warn,
            format!("{detail}: large exports are paced and take several windows"),
        )
    } else {
        check("write budget", Outcome::Pass, detail)
    });
}

/// The errors of the last runs, grouped by their message, with the first objects of each.
fn errors(history: &[RunRecord], out: &mut Vec<Check>) {
    let mut causes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let latest: Vec<&RunRecord> = history.iter().rev().take(8).collect();
    for run in &latest {
        for (object, message) in &run.errors {
            causes
                .entry(message.clone())
                .or_default()
                .push(object.clone());
        }
        if !run.succeeded() {
            causes
                .entry(format!(
                    "{} {}: {}",
                    run.profile, run.connector, run.outcome
                ))
                .or_default();
        }
    }
    if causes.is_empty() {
        out.push(check(
            "last runs",
            Outcome::Pass,
            "no errors in the last runs",
        ));
        return;
    }
    for (cause, objects) in causes {
        let mut detail = cause;
        if !objects.is_empty() {
            let shown: Vec<&str> = objects.iter().take(5).map(String::as_str).collect();
            detail += &format!(" — {} object(s): {}", objects.len(), shown.join(", "));
            if objects.len() > shown.len() {
                detail += ", …";
            }
        }
        out.push(check("last runs", Outcome::Fail, detail));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::model::RunCounts;

    fn run(profile: &str, errors: &[(&str, &str)], outcome: &str) -> RunRecord {
        RunRecord {
            id: 1,
            profile: profile.into(),
            connector: "tenant".into(),
            started: 0,
            ended: 0,
            counts: RunCounts::default(),
            outcome: outcome.into(),
            errors: errors
                .iter()
                .map(|(o, m)| (o.to_string(), m.to_string()))
                .collect(),
        }
    }

    #[test]
    fn errors_are_grouped_by_cause_with_their_objects() {
        let history = vec![
            run(
                "export",
                &[("a@x", "quota"), ("b@x", "quota"), ("c@x", "conflict")],
                "completed",
            ),
            run("delta import", &[], "failed: the server went away"),
        ];
        let mut out = Vec::new();
        errors(&history, &mut out);
        let details: Vec<&str> = out.iter().map(|c| c.detail.as_str()).collect();
        assert_eq!(
            details,
            [
                "conflict — 1 object(s): c@x",
                "delta import tenant: failed: the server went away",
                "quota — 2 object(s): a@x, b@x"
            ]
        );
        assert!(out.iter().all(|c| c.outcome == Outcome::Fail));
        // An export held back by staging mode did what it was asked.
        let mut clean = Vec::new();
        let held = "staging: 3 changes pending, nothing written to the tenant";
        errors(
            &[run("export", &[], "completed"), run("export", &[], held)],
            &mut clean,
        );
        assert_eq!(clean.len(), 1);
        assert_eq!(clean[0].outcome, Outcome::Pass);
    }

    #[test]
    fn directory_times_are_read_as_utc() {
        assert_eq!(generalized_time_secs("19700101000100.0Z"), Some(60));
        assert_eq!(
            generalized_time_secs("20261123205500.0Z"),
            Some(1_795_467_300)
        );
        assert_eq!(generalized_time_secs("2026112320.0Z"), None);
    }
}
