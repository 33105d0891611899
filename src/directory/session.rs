//! A signed-in connection to a domain controller, and the LDAP operations Skybridge performs on
//! it — each with the server's time limit, each failure turned into a typed error.
//!
//! Account names are accepted the ways administrators write them: `CONTOSO\jdoe`,
//! `jdoe@contoso.com`, or a full DN. `contoso.com\jdoe` (a DNS domain before the backslash) is
//! signed in as the implicit UPN `jdoe@contoso.com`, which Active Directory accepts for every
//! account. An empty password is refused before anything is sent: LDAP servers treat a simple
//! bind without a password as an anonymous sign-in that "succeeds".

use std::collections::HashSet;

use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::controls::RawControl;
use ldap3::{LdapConn, LdapResult, Mod, Scope};

use super::entry::Entry;
use super::error::{BindFailure, DirectoryError};
use super::escape;
use super::server::ServerSpec;
use crate::secret::Secret;

/// How an administrator named an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountName {
    /// `NETBIOS\user`.
    DownLevel {
        /// NetBIOS domain name.
        domain: String,
        /// sAMAccountName.
        user: String,
    },
    /// `user@suffix` (explicit UPN, or sAMAccountName@dns-domain).
    Principal {
        /// The part before `@`.
        user: String,
        /// The part after `@`.
        suffix: String,
    },
    /// A distinguished name.
    Dn(String),
}

impl AccountName {
    /// Reads an account name as typed.
    pub fn parse(input: &str) -> Result<AccountName, DirectoryError> {
        let invalid = |reason: &str| DirectoryError::InvalidAccountName {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let text = input.trim();
        if text.is_empty() {
            return Err(invalid(
                "it is empty; type it as DOMAIN\\user or user@domain",
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(invalid("it contains control characters"));
        }
        // `CN=Smith\, John,…` is a DN; `CONTOSO\name` has no '=' before its backslash.
        let before_backslash = text.split('\\').next().unwrap_or(text);
        if before_backslash.contains('=') {
            return match escape::split_dn(text) {
                Ok(parts) if !parts.is_empty() => Ok(AccountName::Dn(text.to_string())),
                _ => Err(invalid(
                    "it looks like a distinguished name but cannot be read as one",
                )),
            };
        }
        if let Some((domain, user)) = text.split_once('\\') {
            if domain.is_empty() || user.is_empty() || user.contains(['\\', '@']) {
                return Err(invalid("write it as DOMAIN\\user, with one backslash"));
            }
            if domain.contains('.') {
                return Ok(AccountName::Principal {
                    user: user.to_string(),
                    suffix: domain.to_string(),
                });
            }
            return Ok(AccountName::DownLevel {
                domain: domain.to_string(),
                user: user.to_string(),
            });
        }
        if let Some((user, suffix)) = text.rsplit_once('@') {
            if user.is_empty() || suffix.is_empty() || !suffix.contains('.') {
                return Err(invalid(
                    "write it as user@domain.com, with a full domain name",
                ));
            }
            return Ok(AccountName::Principal {
                user: user.to_string(),
                suffix: suffix.to_string(),
            });
        }
        Err(invalid(
            "it does not say which domain the account is in; write it as DOMAIN\\user or user@domain.com",
        ))
    }

    /// The name sent in the simple bind.
    pub fn bind_name(&self) -> String {
        match self {
            AccountName::DownLevel { domain, user } => format!("{domain}\\{user}"),
            AccountName::Principal { user, suffix } => format!("{user}@{suffix}"),
            AccountName::Dn(dn) => dn.clone(),
        }
    }

    /// An LDAP filter that finds this account's object (escaped), without the domain check.
    pub fn filter(&self) -> String {
        match self {
            AccountName::DownLevel { user, .. } => format!(
                "(&(objectCategory=person)(sAMAccountName={}))",
                escape::filter_value(user)
            ),
            AccountName::Principal { user, suffix } => format!(
                "(&(objectCategory=person)(|(userPrincipalName={})(sAMAccountName={})))",
                escape::filter_value(&format!("{user}@{suffix}")),
                escape::filter_value(user)
            ),
            AccountName::Dn(dn) => format!("(distinguishedName={})", escape::filter_value(dn)),
        }
    }
}

impl std::fmt::Display for AccountName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.bind_name())
    }
}

/// A connection bound as one account.
pub struct Session {
    spec: ServerSpec,
    conn: LdapConn,
    account: AccountName,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("server", &self.spec.url())
            .field("account", &self.account.bind_name())
            .finish_non_exhaustive()
    }
}

/// Control OID for "security descriptor flags".
pub const OID_SD_FLAGS: &str = "1.2.840.113556.1.4.801";
/// Control OID for "permissive modify" (adding a present value or removing an absent one is not
/// an error).
pub const OID_PERMISSIVE_MODIFY: &str = "1.2.840.113556.1.4.1413";

/// A control with no value.
pub fn control(oid: &str, critical: bool) -> RawControl {
    RawControl {
        ctype: oid.to_string(),
        crit: critical,
        val: None,
    }
}

impl Session {
    /// Connects and signs in with a simple bind over the protected connection.
    pub fn open(
        spec: &ServerSpec,
        account: &AccountName,
        password: &Secret,
    ) -> Result<Session, DirectoryError> {
        if password.is_empty() {
            return Err(DirectoryError::Bind {
                server: spec.url(),
                account: account.bind_name(),
                reason: BindFailure::Other(
                    "no password was given; an empty password would sign in anonymously, so Skybridge does not send it".into(),
                ),
            });
        }
        let mut conn = spec.connect()?;
        let result = conn
            .with_timeout(spec.timeout)
            .simple_bind(&account.bind_name(), password.expose())
            .map_err(|e| spec.classify(e, "signing in"))?;
        match result.rc {
            0 => Ok(Session {
                spec: spec.clone(),
                conn,
                account: account.clone(),
            }),
            49 => Err(DirectoryError::Bind {
                server: spec.url(),
                account: account.bind_name(),
                reason: BindFailure::from_diagnostic(&result.text),
            }),
            _ => Err(spec.classify_result(result, "signing in")),
        }
    }

    /// The server this session talks to.
    pub fn spec(&self) -> &ServerSpec {
        &self.spec
    }

    /// The account the session is signed in as.
    pub fn account(&self) -> &AccountName {
        &self.account
    }

    /// The raw connection with the time limit set for its next operation.
    pub(crate) fn conn(&mut self) -> &mut LdapConn {
        let timeout = self.spec.timeout;
        self.conn.with_timeout(timeout)
    }

    /// Turns a failed LDAP call into a typed error.
    pub(crate) fn fail(&self, error: ldap3::LdapError, operation: &'static str) -> DirectoryError {
        self.spec.classify(error, operation)
    }

    /// Succeeds on result code 0, else the typed error.
    pub(crate) fn check(
        &self,
        result: LdapResult,
        operation: &'static str,
    ) -> Result<LdapResult, DirectoryError> {
        if result.rc == 0 {
            Ok(result)
        } else {
            Err(self.spec.classify_result(result, operation))
        }
    }

    /// A one-shot search for small results (no paging), with optional controls.
    pub fn search(
        &mut self,
        base: &str,
        scope: Scope,
        filter: &str,
        attrs: &[&str],
        controls: Vec<RawControl>,
        operation: &'static str,
    ) -> Result<(Vec<Entry>, LdapResult), DirectoryError> {
        let timeout = self.spec.timeout;
        let outcome = self
            .conn
            .with_timeout(timeout)
            .with_controls(controls)
            .search(base, scope, filter, attrs.to_vec())
            .map_err(|e| self.spec.classify(e, operation))?;
        let ldap3::SearchResult(raw, result) = outcome;
        let result = self.check(result, operation)?;
        let mut entries = Vec::with_capacity(raw.len());
        for item in raw {
            if item.is_ref() || item.is_intermediate() {
                continue;
            }
            entries.push(Entry::from_result(item).map_err(|e| self.protocol(operation, e))?);
        }
        Ok((entries, result))
    }

    /// Reads one object by DN; `None` when it does not exist.
    pub fn read(&mut self, dn: &str, attrs: &[&str]) -> Result<Option<Entry>, DirectoryError> {
        match self.search(
            dn,
            Scope::Base,
            "(objectClass=*)",
            attrs,
            Vec::new(),
            "reading an object",
        ) {
            Ok((entries, _)) => Ok(entries.into_iter().next()),
            Err(DirectoryError::NoSuchObject { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A paged search that hands each entry to `each` as it arrives; continuation references
    /// are skipped. Stops at the first error `each` returns.
    pub fn search_paged<E: From<DirectoryError>>(
        &mut self,
        base: &str,
        scope: Scope,
        filter: &str,
        attrs: &[&str],
        page_size: u32,
        mut each: impl FnMut(Entry) -> Result<(), E>,
    ) -> Result<(), E> {
        const OPERATION: &str = "reading objects page by page";
        let page = i32::try_from(page_size.clamp(1, 100_000)).unwrap_or(1000);
        let adapters: Vec<Box<dyn Adapter<_, _>>> = vec![
            Box::new(EntriesOnly::new()),
            Box::new(PagedResults::new(page)),
        ];
        let timeout = self.spec.timeout;
        let spec = self.spec.clone();
        let mut stream = self
            .conn
            .with_timeout(timeout)
            .streaming_search_with(adapters, base, scope, filter, attrs.to_vec())
            .map_err(|e| spec.classify(e, OPERATION))?;
        loop {
            match stream.next() {
                Ok(Some(raw)) => {
                    let entry = Entry::from_result(raw).map_err(|e| DirectoryError::Protocol {
                        server: spec.url(),
                        operation: OPERATION,
                        detail: e.to_string(),
                    })?;
                    if let Err(stop) = each(entry) {
                        // Leave the connection usable: tell the server to stop sending.
                        let id = stream.last_id();
                        drop(stream);
                        let _ = self.conn.abandon(id);
                        return Err(stop);
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(spec.classify(e, OPERATION).into()),
            }
        }
        let result = stream.result();
        if result.rc != 0 {
            return Err(spec.classify_result(result, OPERATION).into());
        }
        Ok(())
    }

    /// Adds an object.
    pub fn add(
        &mut self,
        dn: &str,
        attrs: Vec<(Vec<u8>, HashSet<Vec<u8>>)>,
    ) -> Result<(), DirectoryError> {
        const OPERATION: &str = "adding an object";
        let result = self
            .conn()
            .add(dn, attrs)
            .map_err(|e| self.fail(e, OPERATION))?;
        if result.rc == 68 {
            return Err(DirectoryError::AlreadyExists {
                server: self.spec.url(),
                dn: dn.to_string(),
            });
        }
        self.check(result, OPERATION).map(drop)
    }

    /// Changes attributes of an object, with optional controls.
    pub fn modify(
        &mut self,
        dn: &str,
        mods: Vec<Mod<Vec<u8>>>,
        controls: Vec<RawControl>,
    ) -> Result<(), DirectoryError> {
        const OPERATION: &str = "changing an object";
        let timeout = self.spec.timeout;
        let result = self
            .conn
            .with_timeout(timeout)
            .with_controls(controls)
            .modify(dn, mods)
            .map_err(|e| self.spec.classify(e, OPERATION))?;
        self.check_named(result, OPERATION, dn)
    }

    /// Deletes a leaf object.
    pub fn delete(&mut self, dn: &str) -> Result<(), DirectoryError> {
        const OPERATION: &str = "deleting an object";
        let result = self
            .conn()
            .delete(dn)
            .map_err(|e| self.fail(e, OPERATION))?;
        self.check_named(result, OPERATION, dn)
    }

    /// Renames and/or moves an object: `new_rdn` is `TYPE=escaped value`.
    pub fn rename(
        &mut self,
        dn: &str,
        new_rdn: &str,
        new_parent: Option<&str>,
    ) -> Result<(), DirectoryError> {
        const OPERATION: &str = "renaming or moving an object";
        let result = self
            .conn()
            .modifydn(dn, new_rdn, true, new_parent)
            .map_err(|e| self.fail(e, OPERATION))?;
        if result.rc == 68 {
            return Err(DirectoryError::AlreadyExists {
                server: self.spec.url(),
                dn: format!("{new_rdn},{}", new_parent.unwrap_or("(same parent)")),
            });
        }
        self.check_named(result, OPERATION, dn)
    }

    fn check_named(
        &self,
        result: LdapResult,
        operation: &'static str,
        dn: &str,
    ) -> Result<(), DirectoryError> {
        if result.rc == 32 {
            return Err(DirectoryError::NoSuchObject {
                server: self.spec.url(),
                dn: dn.to_string(),
            });
        }
        self.check(result, operation).map(drop)
    }

    pub(crate) fn protocol(
        &self,
        operation: &'static str,
        detail: impl ToString,
    ) -> DirectoryError {
        DirectoryError::Protocol {
            server: self.spec.url(),
            operation,
            detail: detail.to_string(),
        }
    }

    /// Signs out and closes the connection.
    pub fn close(mut self) {
        let _ = self.conn.unbind();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names_are_read_the_ways_administrators_write_them() {
        assert_eq!(
            AccountName::parse("CONTOSO\\jdoe").unwrap(),
            AccountName::DownLevel {
                domain: "CONTOSO".into(),
                user: "jdoe".into()
            }
        );
        let implicit = AccountName::parse("contoso.test\\jdoe").unwrap();
        assert_eq!(implicit.bind_name(), "jdoe@contoso.test");
        assert_eq!(
            AccountName::parse(" jdoe@contoso.com ")
                .unwrap()
                .bind_name(),
            "jdoe@contoso.com"
        );
        let dn = AccountName::parse("CN=Smith\\, John,OU=Corp,DC=contoso,DC=test").unwrap();
        assert!(matches!(dn, AccountName::Dn(_)));
    }

    #[test]
    fn unusable_account_names_say_what_to_type() {
        for (input, needle) in [
            ("", "empty"),
            ("jdoe", "which domain"),
            ("CONTOSO\\", "one backslash"),
            ("\\jdoe", "one backslash"),
            ("a\\b\\c", "one backslash"),
            ("jdoe@", "full domain name"),
            ("jdoe@contoso", "full domain name"),
            ("CN=x\\", "distinguished name"),
            ("jdoe\u{0}@x.com", "control characters"),
        ] {
            let err = AccountName::parse(input).unwrap_err();
            assert!(err.to_string().contains(needle), "{input:?}: {err}");
        }
    }

    #[test]
    fn account_filters_escape_what_was_typed() {
        let name = AccountName::parse("CONTOSO\\*)(uid=*").unwrap();
        assert_eq!(
            name.filter(),
            "(&(objectCategory=person)(sAMAccountName=\\2a\\29\\28uid=\\2a))"
        );
    }
}
