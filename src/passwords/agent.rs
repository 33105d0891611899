//! The agent on a domain controller: its enrolment with the installation's service, and the
//! hook Samba's password sync loop calls for each changed object (`skybridge password-agent
//! hook`), which hands a new password to the service and answers the loop.
//!
//! The agent's folder (`/etc/skybridge-agent` unless told otherwise, root only) holds
//! `agent.json` (the service's address and pinned certificate fingerprint), the agent's
//! certificate and its private key (`agent.key`, mode 600: a domain controller's root has no
//! keychain, and the key sits beside Samba's own secrets). No password is ever written there.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::ldif::Changed;
use super::pki::{self, Identity};
use super::wire::{self, AgentMessage, Prover, ServiceMessage};
use super::{PasswordError, VERSION};

/// The agent's folder when none is given.
pub const DEFAULT_DIR: &str = "/etc/skybridge-agent";
/// How long the hook keeps trying to reach the service before it leaves the change to the
/// loop's next run (the loop then stops and its supervisor starts it again).
pub const HOOK_PATIENCE: Duration = Duration::from_secs(30);

/// `agent.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentConfig {
    /// The service's address (`host:port`).
    pub service: String,
    /// The service certificate's fingerprint, pinned at enrolment.
    pub service_fingerprint: String,
    /// This agent's name (the host).
    pub name: String,
    /// When it was enrolled.
    pub enrolled: u64,
}

fn io(what: &Path, e: std::io::Error) -> PasswordError {
    PasswordError::Io {
        what: what.display().to_string(),
        detail: e.to_string(),
    }
}

/// Reads the agent's configuration and identity from `dir`.
pub fn load(dir: &Path) -> Result<(AgentConfig, Identity), PasswordError> {
    let path = dir.join("agent.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            PasswordError::NotEnrolled(dir.display().to_string())
        } else {
            io(&path, e)
        }
    })?;
    let config: AgentConfig = serde_json::from_str(&text).map_err(|e| PasswordError::Io {
        what: path.display().to_string(),
        detail: format!("not an agent configuration: {e}"),
    })?;
    Ok((config, load_identity(dir)?))
}

fn load_identity(dir: &Path) -> Result<Identity, PasswordError> {
    let cert = dir.join("agent.crt");
    let key = dir.join("agent.key");
    Ok(Identity {
        certificate: std::fs::read_to_string(&cert).map_err(|e| io(&cert, e))?,
        key: crate::secret::Secret::new(std::fs::read_to_string(&key).map_err(|e| io(&key, e))?),
    })
}

/// The agent's identity in `dir` (made a root-only folder), made when it has none.
fn identity(dir: &Path, name: &str) -> Result<Identity, PasswordError> {
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| io(dir, e))?;
    }
    if dir.join("agent.key").exists() && dir.join("agent.crt").exists() {
        return load_identity(dir);
    }
    let made = Identity::generate(name)?;
    write_file(&dir.join("agent.key"), made.key.expose().as_bytes(), 0o600)?;
    write_file(&dir.join("agent.crt"), made.certificate.as_bytes(), 0o644)?;
    Ok(made)
}

/// Writes a file with `mode`, through a temporary file.
pub(super) fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), PasswordError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    }
    let tmp = path.with_extension("tmp");
    // A leftover temporary file would keep its own mode: start afresh.
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(&tmp).map_err(|e| io(&tmp, e))?;
    file.write_all(bytes).map_err(|e| io(&tmp, e))?;
    file.sync_all().map_err(|e| io(&tmp, e))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))
}

fn runtime() -> Result<tokio::runtime::Runtime, PasswordError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| PasswordError::Io {
            what: "the agent's runtime".into(),
            detail: e.to_string(),
        })
}

async fn open(
    service: &str,
    identity: &Identity,
    pinned: Option<&str>,
) -> Result<(TlsStream<TcpStream>, String), PasswordError> {
    let unreachable = |detail: String| PasswordError::Unreachable {
        service: service.to_string(),
        detail,
    };
    let config = pki::client_config(identity, pinned)?;
    let tcp = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(service))
        .await
        .map_err(|_| unreachable("no answer within 10 seconds".into()))?
        .map_err(|e| unreachable(e.to_string()))?;
    let _ = tcp.set_nodelay(true);
    let host = service
        .rsplit_once(':')
        .map_or(service, |(h, _)| h)
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let name = rustls::pki_types::ServerName::try_from(host)
        .map_err(|e| unreachable(format!("not a host name: {e}")))?;
    let tls = tokio::time::timeout(
        Duration::from_secs(10),
        TlsConnector::from(Arc::new(config)).connect(name, tcp),
    )
    .await
    .map_err(|_| unreachable("the TLS handshake did not finish within 10 seconds".into()))?
    .map_err(|e| {
        if e.to_string()
            .contains("not the one this agent was enrolled with")
        {
            PasswordError::WrongService(service.to_string())
        } else {
            unreachable(e.to_string())
        }
    })?;
    let seen = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| pki::fingerprint(c))
        .unwrap_or_default();
    Ok((tls, seen))
}

/// Enrols this agent with the service at `service` using a one-time `code`, and writes its
/// configuration to `dir`. Both ends prove the code over both certificates, so an agent never
/// trusts a service that does not know the code, and the reverse.
pub fn enroll(
    dir: &Path,
    service: &str,
    code: &str,
    name: &str,
) -> Result<AgentConfig, PasswordError> {
    let identity = identity(dir, name)?;
    let agent_fp = identity.fingerprint()?;
    let runtime = runtime()?;
    let config = runtime.block_on(async {
        let (mut tls, service_fp) = open(service, &identity, None).await?;
        let proof = wire::proof(code, Prover::Agent, &service_fp, &agent_fp);
        wire::send(
            &mut tls,
            &AgentMessage::Enroll {
                name: name.to_string(),
                version: VERSION.to_string(),
                proof,
            },
        )
        .await?;
        match wire::receive::<ServiceMessage>(&mut tls).await? {
            ServiceMessage::Enrolled { proof }
                if wire::verify(code, Prover::Service, &service_fp, &agent_fp, &proof) =>
            {
                Ok(AgentConfig {
                    service: service.to_string(),
                    service_fingerprint: service_fp,
                    name: name.to_string(),
                    enrolled: crate::clock::unix_now(),
                })
            }
            ServiceMessage::Enrolled { .. } => Err(PasswordError::Refused(
                "the service answered without knowing the code: this is not your installation's service, or someone is in between".into(),
            )),
            ServiceMessage::Refused { reason } => Err(PasswordError::Refused(reason)),
            ServiceMessage::Accepted => Err(PasswordError::Refused(
                "the service answered something else than an enrolment".into(),
            )),
        }
    })?;
    let text = serde_json::to_vec_pretty(&config).map_err(|e| PasswordError::Io {
        what: "the agent configuration".into(),
        detail: e.to_string(),
    })?;
    write_file(&dir.join("agent.json"), &text, 0o600)?;
    Ok(config)
}

/// Hands one new password to the service, trying again for up to `patience` while the service
/// cannot be reached. A refusal is final.
pub fn deliver(dir: &Path, changed: &Changed, patience: Duration) -> Result<(), PasswordError> {
    let (config, identity) = load(dir)?;
    let Some(password) = &changed.password else {
        return Ok(());
    };
    let runtime = runtime()?;
    let started = Instant::now();
    loop {
        let attempt = runtime.block_on(async {
            let (mut tls, _) = open(
                &config.service,
                &identity,
                Some(&config.service_fingerprint),
            )
            .await?;
            wire::send(
                &mut tls,
                &AgentMessage::Change {
                    guid: pki::hex(&changed.guid),
                    account: changed.account.clone(),
                    password: password.expose().to_string(),
                    version: VERSION.to_string(),
                },
            )
            .await?;
            match wire::receive::<ServiceMessage>(&mut tls).await? {
                ServiceMessage::Accepted => Ok(()),
                ServiceMessage::Refused { reason } => Err(PasswordError::Refused(reason)),
                ServiceMessage::Enrolled { .. } => Err(PasswordError::Refused(
                    "the service answered something else than a delivery".into(),
                )),
            }
        });
        match attempt {
            Err(PasswordError::Unreachable { .. } | PasswordError::Wire(_))
                if started.elapsed() < patience =>
            {
                std::thread::sleep(Duration::from_secs(1));
            }
            other => return other,
        }
    }
}

/// What the hook answers the loop, and whether it ends well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookAnswer {
    /// The line for the loop (`DONE-EXIT: …`); `None` leaves the change to the loop's next
    /// run (the service could not be reached).
    pub done: Option<String>,
    /// What goes to the agent's log (never a password).
    pub log: String,
}

/// The hook: one object's LDIF in, the loop's answer out.
pub fn hook(dir: &Path, ldif: &str) -> HookAnswer {
    let changed = match super::ldif::parse(ldif) {
        Ok(c) => c,
        Err(e) => {
            return HookAnswer {
                done: Some(format!("DONE-EXIT: skipped, {e}")),
                log: format!("skipped an object Samba handed over: {e}"),
            };
        }
    };
    let who = changed
        .account
        .clone()
        .unwrap_or_else(|| pki::hex(&changed.guid));
    if changed.password.is_none() {
        return HookAnswer {
            done: Some("DONE-EXIT: no password in this change".into()),
            log: format!(
                "{who}: changed, but not its password (or Samba could not decrypt it: check that the loop runs with the GnuPG home holding the secret key)"
            ),
        };
    }
    match deliver(dir, &changed, HOOK_PATIENCE) {
        Ok(()) => HookAnswer {
            done: Some("DONE-EXIT: delivered".into()),
            log: format!("{who}: new password handed to the service"),
        },
        // Only the service's own refusal drops a change; anything wrong on this side (no
        // enrolment, a moved service, a file) leaves it to the loop's next run, when it may be
        // fixed.
        Err(e @ PasswordError::Refused(_)) => HookAnswer {
            done: Some("DONE-EXIT: refused".into()),
            log: format!("{who}: the password was not delivered: {e}"),
        },
        Err(e) => HookAnswer {
            done: None,
            log: format!("{who}: {e}; Samba hands the change over again when its loop next runs"),
        },
    }
}

/// The agent's folder from an optional argument.
pub fn dir_or_default(dir: Option<PathBuf>) -> PathBuf {
    dir.unwrap_or_else(|| PathBuf::from(DEFAULT_DIR))
}
