//! The farm's service account: a group managed service account (which needs a KDS root key in
//! the forest, or no domain controller can give out its password) or a domain user, whose
//! password is checked by signing in as it.

use super::certificate::Outcome;
use crate::directory::{AccountName, DirectoryError, ServerSpec, Session, escape};
use crate::secret::Secret;

/// The account the farm's service runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceAccount {
    /// A group managed service account, by name (`CONTOSO\adfs-gmsa$` or `adfs-gmsa`).
    Gmsa(String),
    /// A domain user and its password.
    User {
        /// The account (`CONTOSO\svc-adfs`).
        account: String,
        /// Its password.
        password: Secret,
    },
}

/// What the check found: how it came out, in words, and the account's DN when it exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFinding {
    /// How it came out.
    pub outcome: Outcome,
    /// What was found.
    pub detail: String,
    /// The account's DN, when it exists.
    pub dn: Option<String>,
}

/// The sAMAccountName of a managed service account as typed: no domain, ending in `$`.
pub fn gmsa_sam_name(typed: &str) -> String {
    let name = typed.trim();
    let name = name.rsplit('\\').next().unwrap_or(name).trim();
    if name.ends_with('$') {
        name.to_string()
    } else {
        format!("{name}$")
    }
}

/// Checks the service account, reading with `reader` in the domains `naming_contexts`; a
/// user's password is checked by signing in to `server` as it. `kds_root_key` is what the
/// forest discovery found (`None`: it could not be read).
pub fn check(
    server: &ServerSpec,
    reader: &mut Session,
    naming_contexts: &[String],
    account: &ServiceAccount,
    kds_root_key: Option<bool>,
) -> Result<AccountFinding, DirectoryError> {
    match account {
        ServiceAccount::Gmsa(typed) => {
            let sam = gmsa_sam_name(typed);
            if sam.len() < 2 || sam.contains(['/', '@', '"', '[', ']', ':', ';', '|', '=']) {
                return Ok(AccountFinding {
                    outcome: Outcome::Fail,
                    detail: format!("'{typed}' is not a managed service account name"),
                    dn: None,
                });
            }
            let filter = format!(
                "(&(objectClass=msDS-GroupManagedServiceAccount)(sAMAccountName={}))",
                escape::filter_value(&sam)
            );
            let dn = find(reader, naming_contexts, &filter)?.map(|(dn, _)| dn);
            let key = match kds_root_key {
                Some(true) => None,
                Some(false) => Some(
                    "the forest has no KDS root key, so no domain controller can give out a managed service account's password: run Add-KdsRootKey on a domain controller (and wait for it to replicate) or choose a domain user",
                ),
                None => Some(
                    "whether the forest has a KDS root key could not be read with this account; a managed service account needs one (Get-KdsRootKey shows it)",
                ),
            };
            Ok(match (key, dn) {
                (Some(why), dn) => AccountFinding {
                    outcome: if kds_root_key == Some(false) {
                        Outcome::Fail
                    } else {
                        Outcome::Warn
                    },
                    detail: why.to_string(),
                    dn,
                },
                (None, Some(dn)) => AccountFinding {
                    outcome: Outcome::Pass,
                    detail: format!("managed service account {dn}; the forest has a KDS root key"),
                    dn: Some(dn),
                },
                (None, None) => AccountFinding {
                    outcome: Outcome::Pass,
                    detail: format!(
                        "{sam} does not exist yet: the farm's setup creates it (the forest has a KDS root key)"
                    ),
                    dn: None,
                },
            })
        }
        ServiceAccount::User { account, password } => {
            let name = match AccountName::parse(account) {
                Ok(name) => name,
                Err(e) => {
                    return Ok(AccountFinding {
                        outcome: Outcome::Fail,
                        detail: e.to_string(),
                        dn: None,
                    });
                }
            };
            let filter = match &name {
                AccountName::DownLevel { user, .. } => format!(
                    "(&(objectCategory=person)(objectClass=user)(sAMAccountName={}))",
                    escape::filter_value(user)
                ),
                AccountName::Principal { user, suffix } => format!(
                    "(&(objectCategory=person)(objectClass=user)(|(userPrincipalName={})(sAMAccountName={})))",
                    escape::filter_value(&format!("{user}@{suffix}")),
                    escape::filter_value(user)
                ),
                AccountName::Dn(dn) => format!(
                    "(&(objectCategory=person)(distinguishedName={}))",
                    escape::filter_value(dn)
                ),
            };
            let Some((dn, control)) = find(reader, naming_contexts, &filter)? else {
                return Ok(AccountFinding {
                    outcome: Outcome::Fail,
                    detail: format!("there is no user {account} in the forest"),
                    dn: None,
                });
            };
            if control & 2 != 0 {
                return Ok(AccountFinding {
                    outcome: Outcome::Fail,
                    detail: format!("{dn} is disabled: enable it or choose another account"),
                    dn: Some(dn),
                });
            }
            match Session::open(server, &name, password) {
                Ok(session) => {
                    session.close();
                    Ok(AccountFinding {
                        outcome: Outcome::Pass,
                        detail: format!("domain user {dn}; its password signs in"),
                        dn: Some(dn),
                    })
                }
                Err(e @ DirectoryError::Bind { .. }) => Ok(AccountFinding {
                    outcome: Outcome::Fail,
                    detail: format!("{dn} exists but cannot sign in with this password: {e}"),
                    dn: Some(dn),
                }),
                Err(e) => Err(e),
            }
        }
    }
}

/// The first object matching `filter` in the domains: its DN and userAccountControl.
fn find(
    reader: &mut Session,
    naming_contexts: &[String],
    filter: &str,
) -> Result<Option<(String, u32)>, DirectoryError> {
    for nc in naming_contexts {
        let (found, _) = reader.search(
            nc,
            ldap3::Scope::Subtree,
            filter,
            &["distinguishedName", "userAccountControl"],
            Vec::new(),
            "looking for the federation service account",
        )?;
        if let Some(entry) = found.into_iter().next() {
            let control = entry
                .first("userAccountControl")
                .and_then(|v| std::str::from_utf8(v).ok())
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(0) as u32;
            return Ok(Some((entry.dn, control)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_account_names_lose_their_domain_and_gain_a_dollar() {
        assert_eq!(gmsa_sam_name("CONTOSO\\adfs-gmsa"), "adfs-gmsa$");
        assert_eq!(gmsa_sam_name(" adfs-gmsa$ "), "adfs-gmsa$");
    }
}
