//! Seamless single sign-on on an installed system, for the wizard's Additional tasks and the
//! command line alike: each forest's computer account (`AZUREADSSOACC`) with the age of its
//! key, read with the connector account; and the account created, or its key renewed, by a
//! domain administrator of the forest root. Every function blocks (ldap3's client).

use std::path::Path;

use crate::directory::DirectoryError;
use crate::directory::sso::SsoState;
use crate::engine::install::{DirectoryConnection, InstallError, Installation};
use crate::ops::discover::DiscoverError;
use crate::secret::Secret;

/// The single sign-on key should be renewed at least this often (days).
pub const SSO_KEY_DAYS: i64 = 30;

/// Why a forest's single sign-on account could not be read, created or renewed.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    /// The installation's settings or keychain.
    #[error(transparent)]
    Install(#[from] InstallError),
    /// The directory refused or failed.
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    /// The domain administrator could not be checked, or may not create the account.
    #[error(transparent)]
    Discover(#[from] DiscoverError),
    /// The forest (named) is not one of the installation's.
    #[error("{0} is not connected to this installation")]
    NotConnected(String),
    /// The settings list no domain for the forest (named).
    #[error("{0} has no domain in the settings")]
    NoDomain(String),
}

/// A forest's single sign-on account as it was read.
#[derive(Debug, Clone)]
pub struct SsoForest {
    /// The forest (its connector).
    pub forest: String,
    /// The account (`None`: the forest has none), or why it could not be read (the
    /// [`SsoError`]'s words: one forest's failure does not stop the others being read).
    pub state: Result<Option<SsoState>, super::Failure>,
    /// Days since its key was set, when known.
    pub key_age_days: Option<i64>,
}

/// What creating or renewing a forest's single sign-on account did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoMade {
    /// The account was created (`false`: it was there, and got a new key).
    pub created: bool,
    /// The account's DN.
    pub dn: String,
}

/// Reads each forest's single sign-on account with its connector account.
pub fn sso_states(data: &Path) -> Result<Vec<SsoForest>, SsoError> {
    let installed = Installation::load(data)?;
    let now = crate::clock::unix_now() as i64;
    Ok(installed
        .directories
        .iter()
        .map(|d| {
            let state = forest_state(&installed, d).map_err(super::Failure::new);
            let key_age_days = match &state {
                Ok(Some(s)) => s.key_set.map(|set| (now - set).max(0) / 86_400),
                _ => None,
            };
            SsoForest {
                forest: d.connector.clone(),
                state,
                key_age_days,
            }
        })
        .collect())
}

/// One forest's account, read with its connector account.
fn forest_state(
    installed: &Installation,
    d: &DirectoryConnection,
) -> Result<Option<SsoState>, SsoError> {
    let nc = installed
        .root_domain(&d.connector)
        .ok_or_else(|| SsoError::NoDomain(d.connector.clone()))?;
    let mut session = installed.directory_session(d)?;
    let state = crate::directory::sso::state(&mut session, &nc);
    session.close();
    Ok(state?)
}

/// Creates a forest's single sign-on account, or gives it a new key, signed in as a domain
/// administrator of the forest root (checked first; their password is not kept).
pub fn renew_sso(
    data: &Path,
    forest: &str,
    account: &str,
    password: &Secret,
) -> Result<SsoMade, SsoError> {
    let installed = Installation::load(data)?;
    let d = installed
        .directories
        .iter()
        .find(|d| d.connector == forest)
        .ok_or_else(|| SsoError::NotConnected(forest.to_string()))?;
    let nc = installed
        .root_domain(forest)
        .ok_or_else(|| SsoError::NoDomain(forest.to_string()))?;
    let server = d.server_spec()?;
    let account = crate::directory::AccountName::parse(account.trim())?;
    crate::ops::discover::verify_sso_admin(&server, &account, password)?;
    let mut session = crate::directory::Session::open(&server, &account, password)?;
    let made = crate::directory::sso::ensure_account(&mut session, &nc);
    session.close();
    let made = made?;
    Ok(SsoMade {
        created: made.created,
        dn: made.dn,
    })
}
