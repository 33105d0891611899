//! The service's side of enrolment: its own certificate (the key in the keychain), the one-time
//! codes an administrator hands to a domain controller (kept in the keychain, an hour each, used
//! once), and the register of enrolled agents (`password-sync/agents.json` in the data folder,
//! owner-only: names, certificate fingerprints, when each was enrolled and last seen).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::PasswordError;
use super::pki::Identity;
use crate::secret::{Keychain, Secret};

/// The folder in the data folder that holds password synchronization's files.
pub const FOLDER: &str = "password-sync";
/// The keychain entry of the service's private key.
const SERVICE_KEY: &str = "password-sync:service-key";
/// The keychain entry of the open enrolment codes.
const CODES: &str = "password-sync:enrolment-codes";
/// How long a code can be used.
pub const CODE_LIFETIME_SECONDS: u64 = 3600;

/// An enrolment code, as shown to the administrator.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrolmentCode {
    /// The code (`XXXX-XXXX-XXXX-XXXX`); it is a secret until used.
    pub code: String,
    /// When it stops working (seconds since the epoch).
    pub expires: u64,
    /// The fingerprint of the service's certificate, for the administrator to compare.
    pub service_fingerprint: String,
}

impl std::fmt::Debug for EnrolmentCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrolmentCode")
            .field("expires", &self.expires)
            .field("service_fingerprint", &self.service_fingerprint)
            .finish_non_exhaustive()
    }
}

/// One enrolled agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentRecord {
    /// Its name (the domain controller's host name).
    pub name: String,
    /// Its certificate's SHA-256 fingerprint.
    pub fingerprint: String,
    /// When it was enrolled.
    pub enrolled: u64,
    /// When it last delivered or enrolled.
    #[serde(default)]
    pub last_seen: Option<u64>,
    /// The version it last reported.
    #[serde(default)]
    pub version: Option<String>,
    /// Revoked: its connections are refused.
    #[serde(default)]
    pub revoked: bool,
}

/// The register of agents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Register {
    /// Every agent ever enrolled (revoked ones stay, marked).
    pub agents: Vec<AgentRecord>,
}

#[derive(Serialize, Deserialize)]
struct OpenCode {
    code: String,
    expires: u64,
}

fn folder(data: &Path) -> PathBuf {
    data.join(FOLDER)
}

fn io(what: &Path, e: std::io::Error) -> PasswordError {
    PasswordError::Io {
        what: what.display().to_string(),
        detail: e.to_string(),
    }
}

/// Codes and the service's identity change one at a time in this process: a code is taken
/// once even by two enrolments at the same moment.
static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    TURN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The service's certificate and key, made on first use. When only one of the two is there
/// and agents are enrolled, nothing is replaced: each has the certificate pinned.
pub fn service_identity(data: &Path, keychain: &Keychain) -> Result<Identity, PasswordError> {
    let _turn = turn();
    let cert_path = folder(data).join("service.crt");
    let key = keychain.load(SERVICE_KEY)?;
    let certificate = match std::fs::read_to_string(&cert_path) {
        Ok(c) => Some(c),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(&cert_path, e)),
    };
    // With no agent enrolled, nothing has the certificate pinned: a leftover half (a key left
    // in the keychain by an earlier installation in this folder) is replaced.
    let pinned = load_register(data).map_or(true, |r| !r.agents.is_empty());
    match (certificate, key) {
        (Some(certificate), Some(key)) => return Ok(Identity { certificate, key }),
        (Some(_), None) | (None, Some(_)) if pinned => {
            return Err(PasswordError::Io {
                what: "the password service's identity".into(),
                detail: format!(
                    "only one of its certificate ({}) and its key (keychain entry {SERVICE_KEY}) is there; put the other back, or remove both and enrol every agent again",
                    cert_path.display()
                ),
            });
        }
        _ => {}
    }
    let identity = Identity::generate("skybridge-password-sync")?;
    keychain.store(SERVICE_KEY, &identity.key)?;
    write_private(&cert_path, identity.certificate.as_bytes())?;
    Ok(identity)
}

/// Opens an enrolment code for one agent. The service's certificate is made if it has none.
pub fn new_code(
    data: &Path,
    keychain: &Keychain,
    now: u64,
) -> Result<EnrolmentCode, PasswordError> {
    let identity = service_identity(data, keychain)?;
    let _turn = turn();
    let code = random_code()?;
    let expires = now.saturating_add(CODE_LIFETIME_SECONDS);
    let mut open = open_codes(keychain, now)?;
    open.push(OpenCode {
        code: code.expose().to_string(),
        expires,
    });
    save_codes(keychain, &open)?;
    Ok(EnrolmentCode {
        code: code.expose().to_string(),
        expires,
        service_fingerprint: identity.fingerprint()?,
    })
}

/// The open code that `accepts` (a proof check), removed so it cannot be used again.
pub fn take_code(
    keychain: &Keychain,
    now: u64,
    accepts: impl Fn(&str) -> bool,
) -> Result<Option<Secret>, PasswordError> {
    let _turn = turn();
    let mut open = open_codes(keychain, now)?;
    let Some(i) = open.iter().position(|c| accepts(&c.code)) else {
        return Ok(None);
    };
    let taken = open.remove(i);
    save_codes(keychain, &open)?;
    Ok(Some(Secret::new(taken.code.clone())))
}

fn open_codes(keychain: &Keychain, now: u64) -> Result<Vec<OpenCode>, PasswordError> {
    let Some(stored) = keychain.load(CODES)? else {
        return Ok(Vec::new());
    };
    let codes: Vec<OpenCode> = serde_json::from_str(stored.expose()).unwrap_or_default();
    Ok(codes.into_iter().filter(|c| c.expires > now).collect())
}

fn save_codes(keychain: &Keychain, codes: &[OpenCode]) -> Result<(), PasswordError> {
    let text = serde_json::to_string(codes).map_err(|e| PasswordError::Io {
        what: "the enrolment codes".into(),
        detail: e.to_string(),
    })?;
    keychain.store(CODES, &Secret::new(text))?;
    Ok(())
}

/// 16 characters of an alphabet without look-alikes (80 bits), in groups of four.
fn random_code() -> Result<Secret, PasswordError> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTVWXYZ0123456789";
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|e| PasswordError::Io {
        what: "the system's random numbers".into(),
        detail: e.to_string(),
    })?;
    let mut code = String::with_capacity(19);
    for (i, b) in random.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        code.push(char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]));
    }
    zeroize::Zeroize::zeroize(&mut random);
    Ok(Secret::new(code))
}

/// The register in `data` (empty when there is none yet).
pub fn load_register(data: &Path) -> Result<Register, PasswordError> {
    let path = folder(data).join("agents.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| PasswordError::Io {
            what: path.display().to_string(),
            detail: format!("not a register of agents: {e}"),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Register::default()),
        Err(e) => Err(io(&path, e)),
    }
}

/// When the register on disk last changed (`None` when there is none).
pub fn register_changed(data: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(folder(data).join("agents.json"))
        .and_then(|m| m.modified())
        .ok()
}

/// Writes the register (replacing the file in one step).
pub fn save_register(data: &Path, register: &Register) -> Result<(), PasswordError> {
    let path = folder(data).join("agents.json");
    let text = serde_json::to_vec_pretty(register).map_err(|e| PasswordError::Io {
        what: path.display().to_string(),
        detail: e.to_string(),
    })?;
    write_private(&path, &text)
}

/// Revokes the agent named `name` (or whose fingerprint starts with it). Returns its record.
pub fn revoke(data: &Path, name: &str) -> Result<AgentRecord, PasswordError> {
    let mut register = load_register(data)?;
    let mut revoked = None;
    // Every record of the name (a domain controller set up again has a new key), or of the
    // fingerprint.
    for agent in register.agents.iter_mut().filter(|a| {
        !a.revoked
            && (a.name.eq_ignore_ascii_case(name)
                || (name.len() >= 8 && a.fingerprint.starts_with(&name.to_ascii_lowercase())))
    }) {
        agent.revoked = true;
        revoked = Some(agent.clone());
    }
    let record = revoked.ok_or_else(|| PasswordError::NoSuchAgent(name.to_string()))?;
    save_register(data, &register)?;
    Ok(record)
}

/// Writes `bytes` to `path` readable by the owner only, through a temporary file.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), PasswordError> {
    super::agent::write_file(path, bytes, 0o600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sixteen_unambiguous_characters_in_groups() {
        let code = random_code().expect("random");
        let code = code.expose();
        assert_eq!(code.len(), 19);
        assert_eq!(code.matches('-').count(), 3);
        assert!(!code.contains(['O', 'I', 'L', 'U']));
    }

    #[test]
    fn the_register_is_written_owner_only_and_revoking_marks_the_agent() {
        let dir = std::env::temp_dir().join(format!("skybridge-register-{}", uuid::Uuid::new_v4()));
        let register = Register {
            agents: vec![AgentRecord {
                name: "dc1.contoso.test".into(),
                fingerprint: "ab".repeat(32),
                enrolled: 1,
                last_seen: None,
                version: None,
                revoked: false,
            }],
        };
        save_register(&dir, &register).expect("saves");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.join(FOLDER).join("agents.json"))
                .expect("written")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(load_register(&dir).expect("loads"), register);
        assert!(revoke(&dir, "DC1.contoso.test").expect("revokes").revoked);
        assert!(load_register(&dir).expect("loads").agents[0].revoked);
        assert!(matches!(
            revoke(&dir, "dc1.contoso.test"),
            Err(PasswordError::NoSuchAgent(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
