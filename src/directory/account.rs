//! The connector account: the account the sync engine reads (and, with writeback, writes) the
//! directory with.
//!
//! [`check`] decides whether an existing account is fit for the job. Like the reference product,
//! Skybridge refuses a member of Domain Admins, Enterprise Admins, Schema Admins or
//! Administrators (directly or through nested groups, read from `tokenGroups`, with
//! `LDAP_MATCHING_RULE_IN_CHAIN` as the fallback): the connector account's password lives on
//! the sync server, and a stolen copy must not be the keys to the forest.
//!
//! [`create`] makes a new connector account with the enterprise administrator's session (whose
//! credentials are used once and not kept): a normal user with a generated password, the
//! "Replicating Directory Changes" right on its domain (needed by DirSync), "Replicating
//! Directory Changes All" when password hash sync is chosen, and write rights on the chosen OUs
//! only when writeback is chosen.

use std::collections::HashSet;

use ldap3::{Mod, Scope};
use serde::Serialize;

use super::ber::Ber;
use super::delta;
use super::discovery::{self, Partition};
use super::entry::Entry;
use super::error::DirectoryError;
use super::escape;
use super::rootdse::RootDse;
use super::security::{self, Ace, SecurityDescriptor, Sid, guid_from_string};
use super::session::{AccountName, OID_SD_FLAGS, Session};
use crate::secret::Secret;

/// A group whose members Skybridge will not use as connector account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PrivilegedGroup {
    /// Domain Admins of the account's domain.
    DomainAdmins,
    /// Enterprise Admins of the forest.
    EnterpriseAdmins,
    /// Schema Admins of the forest.
    SchemaAdmins,
    /// The built-in Administrators group.
    Administrators,
}

impl PrivilegedGroup {
    /// The group's name as administrators know it.
    pub fn name(self) -> &'static str {
        match self {
            PrivilegedGroup::DomainAdmins => "Domain Admins",
            PrivilegedGroup::EnterpriseAdmins => "Enterprise Admins",
            PrivilegedGroup::SchemaAdmins => "Schema Admins",
            PrivilegedGroup::Administrators => "Administrators",
        }
    }
}

/// What [`check`] found out about an account.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountCheck {
    /// The account's DN.
    pub dn: String,
    /// Its sAMAccountName.
    pub sam_account_name: Option<String>,
    /// Privileged groups it belongs to, directly or nested.
    pub privileged_groups: Vec<PrivilegedGroup>,
    /// Whether it may use DirSync (holds "Replicating Directory Changes" on its domain).
    pub can_read_changes: bool,
    /// Whether Skybridge accepts it as connector account.
    pub acceptable: bool,
    /// Why (one line per finding), in the administrator's terms.
    pub findings: Vec<String>,
}

fn domain_sid_of(session: &mut Session, nc: &str) -> Result<Option<Sid>, DirectoryError> {
    Ok(session
        .read(nc, &["objectSid"])?
        .and_then(|e| e.first("objectSid").and_then(|b| Sid::from_bytes(b).ok())))
}

/// The SIDs whose membership makes an account privileged, for the account's domain `nc`.
fn privileged_sids(
    session: &mut Session,
    dse: &RootDse,
    nc: &str,
) -> Result<Vec<(Sid, PrivilegedGroup)>, DirectoryError> {
    let mut out = Vec::new();
    let domain = domain_sid_of(session, nc)?;
    if let Some(domain) = &domain {
        out.push((
            domain.with_rid(security::DOMAIN_ADMINS),
            PrivilegedGroup::DomainAdmins,
        ));
    }
    // In the forest root domain (every single-domain forest) its SID is the one just read.
    let root = match dse.root_domain_naming_context.as_deref() {
        Some(root) if escape::dn_eq(root, nc) => domain,
        Some(root) => domain_sid_of(session, root)?,
        None => None,
    };
    if let Some(root) = root {
        out.push((
            root.with_rid(security::ENTERPRISE_ADMINS),
            PrivilegedGroup::EnterpriseAdmins,
        ));
        out.push((
            root.with_rid(security::SCHEMA_ADMINS),
            PrivilegedGroup::SchemaAdmins,
        ));
    }
    if let Ok(sid) = security::BUILTIN_ADMINISTRATORS.parse::<Sid>() {
        out.push((sid, PrivilegedGroup::Administrators));
    }
    Ok(out)
}

/// The SIDs of an account's `tokenGroups` (every group of its sign-in token, nesting resolved
/// by the DC); `None` when the DC gives none (the attribute cannot be read).
fn token_groups(session: &mut Session, dn: &str) -> Result<Option<Vec<Sid>>, DirectoryError> {
    let sids: Vec<Sid> = session
        .read(dn, &["tokenGroups"])?
        .unwrap_or_default()
        .values("tokenGroups")
        .iter()
        .filter_map(|b| Sid::from_bytes(b).ok())
        .collect();
    Ok((!sids.is_empty()).then_some(sids))
}

fn in_token(wanted: &[(Sid, PrivilegedGroup)], token: &[Sid]) -> Vec<PrivilegedGroup> {
    let mut found: Vec<PrivilegedGroup> = wanted
        .iter()
        .filter(|(sid, _)| token.contains(sid))
        .map(|(_, g)| *g)
        .collect();
    found.dedup();
    found
}

/// Privileged groups of an account, from its `tokenGroups`.
pub fn privileged_by_token(
    session: &mut Session,
    dse: &RootDse,
    account_dn: &str,
    nc: &str,
) -> Result<Vec<PrivilegedGroup>, DirectoryError> {
    let wanted = privileged_sids(session, dse, nc)?;
    let token = token_groups(session, account_dn)?.unwrap_or_default();
    Ok(in_token(&wanted, &token))
}

/// Privileged groups of an account by the transitive-membership matching rule (for DCs or
/// accounts where `tokenGroups` cannot be read).
pub fn privileged_by_chain(
    session: &mut Session,
    dse: &RootDse,
    account_dn: &str,
    nc: &str,
) -> Result<Vec<PrivilegedGroup>, DirectoryError> {
    let wanted = privileged_sids(session, dse, nc)?;
    in_chain(session, dse, &wanted, account_dn, nc)
}

fn in_chain(
    session: &mut Session,
    dse: &RootDse,
    wanted: &[(Sid, PrivilegedGroup)],
    account_dn: &str,
    nc: &str,
) -> Result<Vec<PrivilegedGroup>, DirectoryError> {
    let mut found = Vec::new();
    let mut bases: Vec<String> = vec![nc.to_string()];
    if let Some(root) = &dse.root_domain_naming_context
        && !escape::dn_eq(root, nc)
    {
        bases.push(root.clone());
    }
    for (sid, group) in wanted {
        let filter = format!(
            "(&(objectClass=group)(objectSid={})(member:1.2.840.113556.1.4.1941:={}))",
            escape::filter_bytes(&sid.to_bytes()),
            escape::filter_value(account_dn)
        );
        for base in &bases {
            let (entries, _) = session.search(
                base,
                Scope::Subtree,
                &filter,
                &["cn"],
                Vec::new(),
                "checking group membership",
            )?;
            if !entries.is_empty() {
                found.push(*group);
                break;
            }
        }
    }
    Ok(found)
}

/// Checks whether the account a session is signed in as is fit to be the connector account.
pub fn check(session: &mut Session) -> Result<AccountCheck, DirectoryError> {
    let dse = discovery::read_root_dse(session)?;
    let parts = discovery::partitions(session, &dse)?;
    let account = session.account().clone();
    let entry = discovery::find_account_in(session, &account, &dse, &parts)?.ok_or_else(|| {
        DirectoryError::NoSuchObject {
            server: session.spec().url(),
            dn: format!("(the account {account})"),
        }
    })?;
    let nc = partition_of(&parts, &entry.dn)
        .map(|p| p.naming_context.clone())
        .unwrap_or_else(|| dse.default_naming_context.clone().unwrap_or_default());
    let wanted = privileged_sids(session, &dse, &nc)?;
    let privileged = match token_groups(session, &entry.dn)? {
        Some(token) => in_token(&wanted, &token),
        None => in_chain(session, &dse, &wanted, &entry.dn, &nc)?,
    };
    let can_read_changes = delta::can_use_dirsync(session, &nc)?;
    let mut findings = Vec::new();
    for group in &privileged {
        findings.push(format!(
            "{account} is a member of {} (directly or through nested groups). A connector account must not be an administrator: its password is kept on the sync server. Create a dedicated account, or let Skybridge create one with the enterprise administrator's credentials.",
            group.name()
        ));
    }
    if !can_read_changes {
        findings.push(format!(
            "{account} lacks the \"Replicating Directory Changes\" right on {nc}, so delta imports cannot use DirSync; they will fall back to update-number watermarks, which are slower and can miss deletions the account cannot see. Grant the right on the domain root to use DirSync."
        ));
    }
    if privileged.is_empty() {
        findings.insert(
            0,
            format!("{account} is not a member of any administrators group."),
        );
    }
    Ok(AccountCheck {
        dn: entry.dn.clone(),
        sam_account_name: entry.text("sAMAccountName"),
        acceptable: privileged.is_empty(),
        privileged_groups: privileged,
        can_read_changes,
        findings,
    })
}

/// The partition (domain) holding `dn`: the longest naming context it lies within.
fn partition_of<'a>(parts: &'a [Partition], dn: &str) -> Option<&'a Partition> {
    parts
        .iter()
        .filter(|p| escape::dn_is_within(dn, &p.naming_context))
        .max_by_key(|p| p.naming_context.len())
}

/// What the sync needs to be allowed to do, beyond reading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rights {
    /// OUs where the account may write `ms-DS-ConsistencyGuid` of users (managed sourceAnchor).
    pub consistency_guid_ous: Vec<String>,
    /// OUs where the account may change users, groups and contacts (writeback features).
    pub writeback_ous: Vec<String>,
}

/// The request to create a connector account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    /// The OU or container to create it in.
    pub parent_dn: String,
    /// Its name: the common name and the sAMAccountName (at most 20 characters).
    pub name: String,
    /// Rights beyond reading.
    pub rights: Rights,
}

/// A connector account that was created.
#[derive(Debug, Clone)]
pub struct CreatedAccount {
    /// Its DN.
    pub dn: String,
    /// The name to sign in with (`NETBIOS\name`).
    pub account: AccountName,
    /// Its generated password, to be kept in the OS keychain.
    pub password: Secret,
    /// Its SID.
    pub sid: Sid,
}

/// Characters Active Directory does not allow in a sAMAccountName.
const SAM_FORBIDDEN: &[char] = &[
    '"', '/', '\\', '[', ']', ':', ';', '|', '=', ',', '+', '*', '?', '<', '>', '@',
];

/// Why a connector account name cannot be used, if it cannot.
pub fn validate_account_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("the account name is empty".into());
    }
    if name.trim() != name {
        return Err("the account name starts or ends with a space".into());
    }
    if name.chars().count() > 20 {
        return Err(format!(
            "'{name}' is longer than the 20 characters Active Directory allows for an account name"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| SAM_FORBIDDEN.contains(c) || c.is_control())
    {
        return Err(format!(
            "'{name}' contains '{}', which Active Directory does not allow in an account name",
            c.escape_default()
        ));
    }
    if name.ends_with('.') {
        return Err("an account name may not end with a period".into());
    }
    Ok(())
}

/// Creates a connector account with an administrator's session. On any failure after the
/// account was added, the account is removed again, so nothing half-made stays behind.
pub fn create(admin: &mut Session, request: &NewAccount) -> Result<CreatedAccount, DirectoryError> {
    validate_account_name(&request.name).map_err(|reason| DirectoryError::InvalidAccountName {
        input: request.name.clone(),
        reason,
    })?;
    let dse = discovery::read_root_dse(admin)?;
    let parts = discovery::partitions(admin, &dse)?;
    let part = partition_of(&parts, &request.parent_dn)
        .cloned()
        .ok_or_else(|| DirectoryError::NoSuchObject {
            server: admin.spec().url(),
            dn: request.parent_dn.clone(),
        })?;
    let nc = part.naming_context.clone();
    let password = Secret::generate_password().map_err(|e| {
        admin.protocol(
            "creating the connector account",
            format!("no random numbers: {e}"),
        )
    })?;
    let dn = escape::child_dn("CN", &request.name, &request.parent_dn);
    let quoted = super::write::unicode_pwd(&password);
    let set = |v: &[u8]| HashSet::from([v.to_vec()]);
    // NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD: the engine cannot answer "password expired".
    let attrs = vec![
        (b"objectClass".to_vec(), set(b"user")),
        (b"sAMAccountName".to_vec(), set(request.name.as_bytes())),
        (
            b"userPrincipalName".to_vec(),
            set(format!("{}@{}", request.name, part.dns_name).as_bytes()),
        ),
        (
            b"description".to_vec(),
            set(b"Skybridge connector account: reads this domain for directory synchronization."),
        ),
        (b"unicodePwd".to_vec(), set(&quoted)),
        (b"userAccountControl".to_vec(), set(b"66048")),
    ];
    admin.add(&dn, attrs)?;
    match grant_new_account(admin, &dn, &nc, &request.rights) {
        Ok(sid) => Ok(CreatedAccount {
            account: AccountName::DownLevel {
                domain: part.netbios_name.clone(),
                user: request.name.clone(),
            },
            dn,
            password,
            sid,
        }),
        Err(e) => {
            let _ = admin.delete(&dn);
            Err(e)
        }
    }
}

fn grant_new_account(
    admin: &mut Session,
    dn: &str,
    nc: &str,
    rights: &Rights,
) -> Result<Sid, DirectoryError> {
    let sid = admin
        .read(dn, &["objectSid"])?
        .and_then(|e| e.first("objectSid").and_then(|b| Sid::from_bytes(b).ok()))
        .ok_or_else(|| {
            admin.protocol(
                "creating the connector account",
                "the new account has no SID",
            )
        })?;
    grant(admin, &sid, nc, rights)?;
    Ok(sid)
}

fn guid(text: &str) -> [u8; 16] {
    // The constants are fixed, well-formed GUIDs; a typo would show in the unit tests.
    guid_from_string(text).unwrap_or([0; 16])
}

/// Grants an account the rights the sync needs: DirSync on the domain root `nc`, and whatever
/// `rights` adds. Granting what is already granted changes nothing.
pub fn grant(
    admin: &mut Session,
    sid: &Sid,
    nc: &str,
    rights: &Rights,
) -> Result<(), DirectoryError> {
    let root_aces = vec![Ace::allow_object(
        sid,
        security::ADS_RIGHT_DS_CONTROL_ACCESS,
        Some(guid(security::DS_REPLICATION_GET_CHANGES)),
        None,
        0,
    )];
    add_aces(admin, nc, &root_aces)?;
    let inherit = security::CONTAINER_INHERIT | security::INHERIT_ONLY;
    for ou in &rights.consistency_guid_ous {
        add_aces(
            admin,
            ou,
            &[Ace::allow_object(
                sid,
                security::ADS_RIGHT_DS_WRITE_PROPERTY,
                Some(guid(security::CONSISTENCY_GUID_ATTRIBUTE)),
                Some(guid(security::USER_CLASS)),
                inherit,
            )],
        )?;
    }
    for ou in &rights.writeback_ous {
        let aces: Vec<Ace> = [
            security::USER_CLASS,
            security::GROUP_CLASS,
            security::CONTACT_CLASS,
        ]
        .iter()
        .map(|class| {
            Ace::allow_object(
                sid,
                security::ADS_RIGHT_DS_WRITE_PROPERTY,
                None,
                Some(guid(class)),
                inherit,
            )
        })
        .collect();
        add_aces(admin, ou, &aces)?;
    }
    Ok(())
}

/// The value of the security-descriptor-flags control that selects only the DACL.
fn dacl_only_control() -> ldap3::controls::RawControl {
    ldap3::controls::RawControl {
        ctype: OID_SD_FLAGS.to_string(),
        crit: true,
        val: Some(Ber::Sequence(vec![Ber::Integer(4)]).encode()),
    }
}

fn add_aces(admin: &mut Session, dn: &str, aces: &[Ace]) -> Result<(), DirectoryError> {
    const OPERATION: &str = "granting rights to the connector account";
    let (entries, _) = admin.search(
        dn,
        Scope::Base,
        "(objectClass=*)",
        &["nTSecurityDescriptor"],
        vec![dacl_only_control()],
        OPERATION,
    )?;
    let entry: Entry = entries
        .into_iter()
        .next()
        .ok_or_else(|| DirectoryError::NoSuchObject {
            server: admin.spec().url(),
            dn: dn.to_string(),
        })?;
    let bytes = entry
        .first("nTSecurityDescriptor")
        .ok_or_else(|| admin.protocol(OPERATION, "the object's permissions could not be read"))?;
    let mut sd = SecurityDescriptor::from_bytes(bytes).map_err(|e| admin.protocol(OPERATION, e))?;
    let mut changed = false;
    for ace in aces {
        changed |= sd
            .try_add_ace(ace.clone())
            .map_err(|e| admin.protocol(OPERATION, e))?;
    }
    if !changed {
        return Ok(());
    }
    admin.modify(
        dn,
        vec![Mod::Replace(
            b"nTSecurityDescriptor".to_vec(),
            HashSet::from([sd.dacl_only_bytes()]),
        )],
        vec![dacl_only_control()],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names_follow_active_directory_rules() {
        assert!(validate_account_name("skybridge-sync").is_ok());
        for (name, needle) in [
            ("", "empty"),
            (" sync", "space"),
            ("a-name-that-is-far-too-long", "20 characters"),
            ("sync*", "'*'"),
            ("sync@x", "'@'"),
            ("sync\\x", "'\\\\'"),
            ("sync.", "period"),
        ] {
            let err = validate_account_name(name).unwrap_err();
            assert!(err.contains(needle), "{name:?}: {err}");
        }
    }

    #[test]
    fn the_rights_guids_are_well_formed() {
        for g in [
            security::DS_REPLICATION_GET_CHANGES,
            security::DS_REPLICATION_GET_CHANGES_ALL,
            security::CONSISTENCY_GUID_ATTRIBUTE,
            security::USER_CLASS,
            security::GROUP_CLASS,
            security::CONTACT_CLASS,
        ] {
            assert!(guid_from_string(g).is_ok(), "{g}");
        }
    }
}

/// Whether the signed-in account may write `attribute` on a sample object, as the server's
/// own access check says (`allowedAttributesEffective`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WriteSample {
    /// The object the server was asked about.
    pub dn: String,
    /// Whether the attribute is among those the account may write there.
    pub writable: bool,
}

/// Asks the server whether the signed-in account may write `attribute` on an ordinary user of
/// the domain `nc` (the first one found that is not a built-in account). `None` when the
/// domain has no such user.
pub fn sample_write_right(
    session: &mut Session,
    nc: &str,
    attribute: &str,
) -> Result<Option<WriteSample>, DirectoryError> {
    enum Stop {
        Found(Entry),
        Failed(DirectoryError),
    }
    impl From<DirectoryError> for Stop {
        fn from(e: DirectoryError) -> Self {
            Stop::Failed(e)
        }
    }
    let outcome = session.search_paged(
        nc,
        ldap3::Scope::Subtree,
        "(&(objectCategory=person)(objectClass=user)(!(isCriticalSystemObject=TRUE)))",
        &["allowedAttributesEffective"],
        1,
        |entry| Err::<(), Stop>(Stop::Found(entry)),
    );
    match outcome {
        Ok(()) => Ok(None),
        Err(Stop::Failed(e)) => Err(e),
        Err(Stop::Found(entry)) => {
            let writable = entry
                .texts("allowedAttributesEffective")
                .iter()
                .any(|a| a.eq_ignore_ascii_case(attribute));
            Ok(Some(WriteSample {
                dn: entry.dn,
                writable,
            }))
        }
    }
}
