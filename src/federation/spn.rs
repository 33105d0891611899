//! The federation service's Kerberos name in the forest: `host/<federation service name>` must
//! belong to the farm's service account alone. Held by another object, Kerberos cannot tell
//! which account a ticket is for and Windows integrated sign-in to the farm fails.

use super::certificate::Outcome;
use crate::directory::{DirectoryError, Session, escape};

/// The objects of the domains `naming_contexts` that hold `host/<name>` (their DNs). Any
/// account that may read the domains can ask.
pub fn holders(
    session: &mut Session,
    naming_contexts: &[String],
    name: &str,
) -> Result<Vec<String>, DirectoryError> {
    let filter = format!(
        "(servicePrincipalName={})",
        escape::filter_value(&format!("host/{}", name.trim()))
    );
    let mut out = Vec::new();
    for nc in naming_contexts {
        let (found, _) = session.search(
            nc,
            ldap3::Scope::Subtree,
            &filter,
            &["distinguishedName"],
            Vec::new(),
            "looking for the federation service's SPN",
        )?;
        out.extend(found.into_iter().map(|e| e.dn));
    }
    Ok(out)
}

/// The check: no object holds `host/<name>` yet (the farm's setup registers it), or only the
/// service account `account_dn` does; anything else blocks, naming the holders.
pub fn check(holders: &[String], name: &str, account_dn: Option<&str>) -> (Outcome, String) {
    let others: Vec<&String> = holders
        .iter()
        .filter(|dn| account_dn.is_none_or(|account| !dn.eq_ignore_ascii_case(account)))
        .collect();
    match (holders.is_empty(), others.is_empty()) {
        (true, _) => (
            Outcome::Pass,
            format!("no object holds host/{name} yet; the farm's setup registers it"),
        ),
        (false, true) => (
            Outcome::Pass,
            format!("host/{name} belongs to the service account"),
        ),
        (false, false) => (
            Outcome::Fail,
            format!(
                "host/{name} is already held by {}: remove it there (setspn -D host/{name} <account>) before the farm is set up",
                others
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_service_account_may_hold_the_name() {
        let svc = "CN=adfssvc,CN=Users,DC=contoso,DC=test";
        let other = "CN=WEB01,CN=Computers,DC=contoso,DC=test";
        assert_eq!(check(&[], "fs.contoso.test", Some(svc)).0, Outcome::Pass);
        assert_eq!(
            check(&[svc.to_uppercase()], "fs.contoso.test", Some(svc)).0,
            Outcome::Pass
        );
        let (outcome, detail) = check(&[svc.into(), other.into()], "fs.contoso.test", Some(svc));
        assert_eq!(outcome, Outcome::Fail);
        assert!(
            detail.contains(other) && !detail.contains("adfssvc"),
            "{detail}"
        );
        assert_eq!(
            check(&[svc.into()], "fs.contoso.test", None).0,
            Outcome::Fail
        );
    }
}
