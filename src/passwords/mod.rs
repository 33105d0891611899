//! Password synchronization: users sign in to the tenant with their on-premises password.
//!
//! Microsoft Graph documents no way to hand it password hashes, so the password itself is
//! synchronized when it changes: Samba keeps each new password encrypted to the agent's GnuPG
//! key, its own sync loop (`samba-tool user syncpasswords`) decrypts it and calls the agent's
//! hook, the agent hands it over TLS (both ends pinned, enrolled with a one-time code) to the
//! installation's service, and the service sets it in the tenant through the documented
//! `passwordProfile` of the user. Passwords set before the agent was installed cannot be
//! read; they arrive as each user next changes theirs.
//!
//! - [`ldif`]: the object Samba's loop hands the hook.
//! - [`pki`]: the two ends' certificates and TLS with pinned fingerprints.
//! - [`wire`]: the messages inside the connection, and the enrolment proofs.
//! - [`enrolment`]: the service's certificate, one-time codes, the register of agents.
//! - [`service`]: the service's listener and the delivery to the tenant.
//! - [`agent`]: the agent's enrolment and the hook.
//! - [`dc`]: install, status and uninstall on a Samba domain controller.

pub mod agent;
pub mod dc;
pub mod enrolment;
pub mod ldif;
pub mod pki;
pub mod service;
pub mod wire;

use serde::{Deserialize, Serialize};

/// The version agents and the service report.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Where the service listens for agents when the settings do not say.
pub const DEFAULT_LISTEN: &str = "0.0.0.0:7390";

/// Password synchronization's settings (in `settings.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordSyncSettings {
    /// The address agents deliver to (`host:port`).
    pub listen: String,
}

impl Default for PasswordSyncSettings {
    fn default() -> Self {
        PasswordSyncSettings {
            listen: DEFAULT_LISTEN.to_string(),
        }
    }
}

/// The address an agent is told to deliver to: `listen`, with an address that means "every
/// address of this server" (`0.0.0.0`, `[::]`) replaced by this server's host name.
pub fn address_for_agents(listen: &str) -> String {
    match listen.parse::<std::net::SocketAddr>() {
        Ok(addr) if addr.ip().is_unspecified() => {
            let host = crate::host::name().unwrap_or_else(|| "THIS-SERVER".into());
            format!("{host}:{}", addr.port())
        }
        _ => listen.to_string(),
    }
}

/// What can go wrong in password synchronization.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// A file, a program or the system failed.
    #[error("{what}: {detail}")]
    Io {
        /// What was being done.
        what: String,
        /// What the system said.
        detail: String,
    },
    /// The keychain.
    #[error(transparent)]
    Keychain(#[from] crate::secret::KeychainError),
    /// A key or certificate.
    #[error(transparent)]
    Pki(#[from] pki::PkiError),
    /// The connection's messages.
    #[error(transparent)]
    Wire(#[from] wire::WireError),
    /// The service cannot be reached.
    #[error("the Skybridge service at {service} cannot be reached: {detail}")]
    Unreachable {
        /// Its address.
        service: String,
        /// Why.
        detail: String,
    },
    /// The service's certificate is not the pinned one.
    #[error(
        "the server at {0} is not the service this agent was enrolled with (its certificate differs); if the service was moved or set up again, enrol the agent again"
    )]
    WrongService(String),
    /// The service refused.
    #[error("the service refused: {0}")]
    Refused(String),
    /// The agent has no configuration.
    #[error(
        "no enrolled agent in {0}; run `skybridge password-agent install --service HOST:PORT` on this domain controller (it asks for the enrolment code)"
    )]
    NotEnrolled(String),
    /// No such agent in the register.
    #[error("no enrolled agent is named {0}")]
    NoSuchAgent(String),
}
