//! The computer account seamless single sign-on needs in each forest: `AZUREADSSOACC` in the
//! forest root domain's Computers container, holding the service names browsers ask Kerberos
//! tickets for, and a random password (its Kerberos key).
//!
//! Created once with a domain administrator's session; made again (new password, service names
//! put back) when it is there already, which is how its key is rolled over.

use super::error::DirectoryError;
use super::escape;
use super::session::Session;
use super::write;
use crate::secret::Secret;

/// The account's name (its sAMAccountName has a `$` after it, as every computer's does).
pub const ACCOUNT_NAME: &str = "AZUREADSSOACC";

/// The service principal names the account answers for.
pub const SERVICE_NAMES: &[&str] = &["HTTP/autologon.microsoftazuread-sso.com"];

/// WORKSTATION_TRUST_ACCOUNT: an ordinary computer account.
const WORKSTATION_TRUST_ACCOUNT: &str = "4096";

/// AES128 and AES256 Kerberos keys only (msDS-SupportedEncryptionTypes), as current guidance
/// for this account asks: no RC4.
const AES_ONLY: &str = "24";

/// The single sign-on account of a forest as it is now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SsoState {
    /// Its DN.
    pub dn: String,
    /// When its password (its Kerberos key) was last set, in Unix seconds, when the server
    /// says.
    pub key_set: Option<i64>,
}

/// Reads the single sign-on account of the domain `nc` (any account that can read the domain
/// will do): `None` when there is none.
pub fn state(session: &mut Session, nc: &str) -> Result<Option<SsoState>, DirectoryError> {
    let found = find(
        session,
        nc,
        &["pwdLastSet"],
        "reading the single sign-on account",
    )?;
    Ok(found.map(|entry| SsoState {
        dn: entry.dn.clone(),
        key_set: entry
            .text("pwdLastSet")
            .and_then(|t| t.parse::<i64>().ok())
            .filter(|&t| t > 0)
            .map(filetime_to_unix),
    }))
}

/// The single sign-on account of the domain `nc`, with `attrs`.
fn find(
    session: &mut Session,
    nc: &str,
    attrs: &[&str],
    operation: &'static str,
) -> Result<Option<super::entry::Entry>, DirectoryError> {
    let filter = format!(
        "(&(objectClass=computer)(sAMAccountName={}$))",
        escape::filter_value(ACCOUNT_NAME)
    );
    let (found, _) = session.search(
        nc,
        ldap3::Scope::Subtree,
        &filter,
        attrs,
        Vec::new(),
        operation,
    )?;
    Ok(found.into_iter().next())
}

/// A Windows FILETIME (100-nanosecond steps since 1601) as Unix seconds.
fn filetime_to_unix(filetime: i64) -> i64 {
    filetime / 10_000_000 - 11_644_473_600
}

/// The single sign-on account of a forest, made or made again.
#[derive(Debug, Clone)]
pub struct SsoAccount {
    /// Its DN.
    pub dn: String,
    /// Whether it was created now (else it was there and got a new key).
    pub created: bool,
    /// Its new password, from which its Kerberos keys are derived.
    pub password: Secret,
}

/// Creates (or renews) the single sign-on computer account in the domain `nc` (the forest root
/// domain) with a domain administrator's `session`. Needs a protected connection (the
/// password is set).
pub fn ensure_account(session: &mut Session, nc: &str) -> Result<SsoAccount, DirectoryError> {
    let password = Secret::generate_password().map_err(|e| {
        session.protocol(
            "creating the single sign-on account",
            format!("no random numbers: {e}"),
        )
    })?;
    let found = find(
        session,
        nc,
        &["distinguishedName"],
        "looking for the single sign-on account",
    )?;
    let names: Vec<Vec<u8>> = SERVICE_NAMES
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    if let Some(existing) = found {
        let dn = existing.dn.clone();
        write::replace(
            session,
            &dn,
            vec![
                ("servicePrincipalName".into(), names),
                (
                    "msDS-SupportedEncryptionTypes".into(),
                    vec![AES_ONLY.as_bytes().to_vec()],
                ),
            ],
        )?;
        write::set_password(session, &dn, &password)?;
        return Ok(SsoAccount {
            dn,
            created: false,
            password,
        });
    }
    let parent = format!("CN=Computers,{nc}");
    let dn = write::add_object(
        session,
        "CN",
        ACCOUNT_NAME,
        &parent,
        vec![
            ("objectClass".into(), vec![b"computer".to_vec()]),
            (
                "sAMAccountName".into(),
                vec![format!("{ACCOUNT_NAME}$").into_bytes()],
            ),
            (
                "userAccountControl".into(),
                vec![WORKSTATION_TRUST_ACCOUNT.as_bytes().to_vec()],
            ),
            ("servicePrincipalName".into(), names),
            (
                "msDS-SupportedEncryptionTypes".into(),
                vec![AES_ONLY.as_bytes().to_vec()],
            ),
            (
                "description".into(),
                vec![
                    b"Seamless single sign-on: Kerberos tickets for the cloud tenant. Made by Skybridge."
                        .to_vec(),
                ],
            ),
            ("unicodePwd".into(), vec![write::unicode_pwd(&password)]),
        ],
    )?;
    Ok(SsoAccount {
        dn,
        created: true,
        password,
    })
}
