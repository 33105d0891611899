//! Password synchronization on the sync server, for the wizard and the command line: opening
//! an enrolment code for a domain controller's agent, and the status (agents, deliveries,
//! failures, users no password has reached yet) — from the service when it runs, else from
//! the register and the store.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::installed::{InstalledError, service_or_store};
use crate::engine::install::Installation;
use crate::passwords::enrolment;
use crate::passwords::service::{PasswordStatus, users_without_password};
use crate::secret::Keychain;
use crate::service::protocol::{Request, Response};

/// A new code, with where agents deliver.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewCode {
    /// The code (a secret until used).
    pub code: String,
    /// When it stops working.
    pub expires: u64,
    /// The service certificate's fingerprint.
    pub service_fingerprint: String,
    /// The address agents deliver to, as a domain controller reaches it (this server's name
    /// when the service listens on every address).
    pub listen: String,
}

impl std::fmt::Debug for NewCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCode")
            .field("expires", &self.expires)
            .field("listen", &self.listen)
            .finish_non_exhaustive()
    }
}

fn settings_of(
    data: &Path,
) -> Result<(Installation, crate::passwords::PasswordSyncSettings), InstalledError> {
    let install = Installation::load(data)?;
    let Some(settings) = install.password_sync() else {
        return Err(InstalledError::Refused(
            "this installation does not synchronize passwords (its sign-in method is another); choose password synchronization in the wizard's Additional tasks first".into(),
        ));
    };
    Ok((install, settings))
}

/// Opens a one-time enrolment code for an agent (an hour, used once).
pub fn new_code(data: &Path) -> Result<NewCode, InstalledError> {
    let (install, settings) = settings_of(data)?;
    let keychain = Keychain::new(&install.keychain_service);
    let code = enrolment::new_code(data, &keychain, crate::clock::unix_now())
        .map_err(|e| InstalledError::Refused(e.to_string()))?;
    Ok(NewCode {
        code: code.code,
        expires: code.expires,
        service_fingerprint: code.service_fingerprint,
        listen: crate::passwords::address_for_agents(&settings.listen),
    })
}

/// The status of password synchronization.
pub fn status(data: &Path) -> Result<PasswordStatus, InstalledError> {
    let (_, settings) = settings_of(data)?;
    service_or_store(
        data,
        Request::PasswordStatus,
        |r| match r {
            Response::Passwords(status) => Ok(*status),
            other => Err(other),
        },
        |store| {
            let register =
                enrolment::load_register(data).map_err(|e| InstalledError::File(e.to_string()))?;
            Ok(PasswordStatus {
                listening: format!("{} (the service is not running)", settings.listen),
                agents: register.agents,
                users_without_password: users_without_password(store).ok(),
                ..PasswordStatus::default()
            })
        },
    )
}

/// Seconds since the epoch as `YYYY-MM-DD HH:MM` (UTC).
pub fn when(seconds: u64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    i64::try_from(seconds)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| "?".into())
}

/// The status in words, one line each.
pub fn describe(status: &PasswordStatus) -> Vec<String> {
    let mut lines = vec![format!("Agents deliver to {}.", status.listening)];
    if status.agents.is_empty() {
        lines.push("No agent is enrolled yet: run `skybridge password-agent enroll` here and `skybridge password-agent install` on each Samba domain controller.".into());
    }
    for a in &status.agents {
        lines.push(format!(
            "Agent {}{}: enrolled {}, last seen {}, version {}.",
            a.name,
            if a.revoked { " (revoked)" } else { "" },
            when(a.enrolled),
            a.last_seen.map_or_else(|| "never".into(), when),
            a.version.as_deref().unwrap_or("unknown")
        ));
    }
    lines.push(format!(
        "Since the service started: {} received, {} delivered to the tenant, {} failed, {} waiting, {} not written (staging mode), {} outside the synchronization's scope.",
        status.received, status.delivered, status.failed, status.waiting, status.held_by_staging, status.out_of_scope
    ));
    if status.waiting > 0
        && let Some(why) = &status.waiting_because
    {
        lines.push(format!("Waiting because: {why}"));
    }
    for (user, words) in &status.recent_failures {
        lines.push(format!("Failed for {user}: {words}"));
    }
    if let Some(n) = status.users_without_password {
        lines.push(format!(
            "{n} synchronized user(s) have had no password delivered yet: each one's arrives when they next change it on premises."
        ));
    }
    lines
}
