//! Full import: every object of the chosen classes under the chosen domains and OUs, read page
//! by page and handed to the caller one entry at a time, so memory does not grow with the forest.
//!
//! Multi-valued attributes that the server returns in ranges (`member;range=0-1499`, as Windows
//! AD does above 1,500 values) are completed with further reads before the entry is handed on.
//! Entries that need that are held back until the page stream ends (the connection carries one
//! operation at a time); only such large groups are ever held.

use ldap3::Scope;
use serde::{Deserialize, Serialize};

use super::entry::Entry;
use super::error::DirectoryError;
use super::escape;
use super::session::Session;

/// The kinds of object the sync reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ObjectClass {
    /// Users (including inetOrgPerson; not computers).
    User,
    /// inetOrgPerson only.
    InetOrgPerson,
    /// Groups.
    Group,
    /// Contacts.
    Contact,
    /// Computers.
    Computer,
}

impl ObjectClass {
    /// Every class, in the order the sync handles them.
    pub const ALL: [ObjectClass; 5] = [
        ObjectClass::User,
        ObjectClass::InetOrgPerson,
        ObjectClass::Group,
        ObjectClass::Contact,
        ObjectClass::Computer,
    ];

    /// The filter term that selects exactly this class (computers are users in AD's schema).
    pub fn filter(self) -> &'static str {
        match self {
            ObjectClass::User => "(&(objectCategory=person)(objectClass=user))",
            ObjectClass::InetOrgPerson => "(objectClass=inetOrgPerson)",
            ObjectClass::Group => "(objectClass=group)",
            ObjectClass::Contact => "(&(objectCategory=person)(objectClass=contact))",
            ObjectClass::Computer => "(objectClass=computer)",
        }
    }

    /// The term that selects the class by objectClass alone (computers are users too).
    pub fn class_term(self) -> &'static str {
        match self {
            ObjectClass::User => "(objectClass=user)",
            ObjectClass::InetOrgPerson => "(objectClass=inetOrgPerson)",
            ObjectClass::Group => "(objectClass=group)",
            ObjectClass::Contact => "(objectClass=contact)",
            ObjectClass::Computer => "(objectClass=computer)",
        }
    }

    /// Which class an entry is, from its objectClass values (most specific wins).
    pub fn of(entry: &Entry) -> Option<ObjectClass> {
        if entry.is_class("computer") {
            Some(ObjectClass::Computer)
        } else if entry.is_class("inetOrgPerson") {
            Some(ObjectClass::InetOrgPerson)
        } else if entry.is_class("user") {
            Some(ObjectClass::User)
        } else if entry.is_class("group") {
            Some(ObjectClass::Group)
        } else if entry.is_class("contact") {
            Some(ObjectClass::Contact)
        } else {
            None
        }
    }
}

/// The attributes read when the caller names none: what the default sync rules use.
pub const DEFAULT_ATTRIBUTES: &[&str] = &[
    "objectGUID",
    "objectSid",
    "objectClass",
    "objectCategory",
    "mS-DS-ConsistencyGuid",
    "distinguishedName",
    "cn",
    "name",
    "displayName",
    "givenName",
    "sn",
    "initials",
    "sAMAccountName",
    "userPrincipalName",
    "mail",
    "mailNickname",
    "proxyAddresses",
    "targetAddress",
    "userAccountControl",
    "accountExpires",
    "pwdLastSet",
    "description",
    "department",
    "title",
    "company",
    "physicalDeliveryOfficeName",
    "telephoneNumber",
    "mobile",
    "streetAddress",
    "l",
    "st",
    "postalCode",
    "c",
    "co",
    "manager",
    "employeeID",
    "groupType",
    "member",
    "memberOf",
    "isCriticalSystemObject",
    "msExchMasterAccountSID",
    "msExchMailboxGuid",
    "msRTCSIP-OriginatorSID",
    "dNSHostName",
    "operatingSystem",
    "uSNChanged",
    "whenChanged",
];

/// What to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportScope {
    /// Where to start: domain roots or OUs.
    pub bases: Vec<String>,
    /// OUs (and everything below them) left out.
    pub excluded: Vec<String>,
    /// Which classes.
    pub classes: Vec<ObjectClass>,
    /// Which attributes; empty means [`DEFAULT_ATTRIBUTES`].
    pub attributes: Vec<String>,
    /// Entries per page.
    pub page_size: u32,
    /// Ask for multi-valued attributes in ranges of this many values (`None`: as the server
    /// likes). Windows AD ranges at 1,500 on its own; a small value here exercises the same
    /// path on any server.
    pub value_range: Option<u32>,
}

impl ImportScope {
    /// Every class under these bases, default attributes, pages of 500.
    pub fn new(bases: Vec<String>) -> ImportScope {
        ImportScope {
            bases,
            excluded: Vec::new(),
            classes: ObjectClass::ALL.to_vec(),
            attributes: Vec::new(),
            page_size: 500,
            value_range: None,
        }
    }

    /// The search filter for the chosen classes.
    pub fn filter(&self) -> String {
        let users = self.classes.contains(&ObjectClass::User);
        // inetOrgPerson is already a user.
        any_of(
            self.sorted_classes()
                .into_iter()
                .filter(|c| !(users && *c == ObjectClass::InetOrgPerson))
                .map(ObjectClass::filter),
        )
    }

    /// The filter for change feeds (DirSync, tombstones): by objectClass only, because deleted
    /// objects lose objectCategory. It lets computers through with users; [`Self::wants`]
    /// tells them apart when the change names its classes.
    pub fn change_filter(&self) -> String {
        any_of(
            self.sorted_classes()
                .into_iter()
                .map(ObjectClass::class_term),
        )
    }

    fn sorted_classes(&self) -> Vec<ObjectClass> {
        let mut classes = self.classes.clone();
        classes.sort_unstable();
        classes.dedup();
        classes
    }

    /// Whether an object with these objectClass values is of a selected class (`true` when the
    /// classes are not known).
    pub fn wants(&self, entry: &Entry) -> bool {
        if entry.values("objectClass").is_empty() {
            return true;
        }
        match ObjectClass::of(entry) {
            Some(ObjectClass::InetOrgPerson) => self
                .classes
                .iter()
                .any(|c| matches!(c, ObjectClass::User | ObjectClass::InetOrgPerson)),
            Some(class) => self.classes.contains(&class),
            None => false,
        }
    }

    /// Whether a DN lies in scope: under a base and not under an excluded OU.
    pub fn contains(&self, dn: &str) -> bool {
        in_scope(dn, &self.bases, &self.excluded)
    }

    /// The attribute list sent to the server.
    pub fn requested_attributes(&self) -> Vec<String> {
        let names: Vec<String> = if self.attributes.is_empty() {
            DEFAULT_ATTRIBUTES
                .iter()
                .map(|s| (*s).to_string())
                .collect()
        } else {
            self.attributes.clone()
        };
        match self.value_range {
            Some(n) => names
                .into_iter()
                .map(|a| {
                    if is_ranged_candidate(&a) {
                        format!("{a};range=0-{}", n.max(1) - 1)
                    } else {
                        a
                    }
                })
                .collect(),
            None => names,
        }
    }
}

/// An OR of filter terms (a filter that matches nothing when there are none).
fn any_of<'a>(terms: impl Iterator<Item = &'a str>) -> String {
    let terms: Vec<&str> = terms.collect();
    match terms.as_slice() {
        [] => "(objectClass=skybridgeNothingSelected)".to_string(),
        [one] => (*one).to_string(),
        many => format!("(|{})", many.concat()),
    }
}

/// Whether `dn` is in scope of domain and OU filtering, as both the reader and the sync engine
/// apply it: the nearest of `included` and `excluded` above it (or the object itself) decides,
/// so an OU can be included inside an excluded one; nothing above it means out of scope, and
/// a container in both lists is excluded.
pub fn in_scope(dn: &str, included: &[String], excluded: &[String]) -> bool {
    match (
        escape::deepest_base(dn, included),
        escape::deepest_base(dn, excluded),
    ) {
        (Some(i), Some(x)) => i > x,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// Attributes that can hold thousands of values.
fn is_ranged_candidate(name: &str) -> bool {
    [
        "member",
        "memberOf",
        "proxyAddresses",
        "servicePrincipalName",
    ]
    .iter()
    .any(|a| a.eq_ignore_ascii_case(name))
}

/// Counts from one full import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportStats {
    /// Entries handed to the caller.
    pub objects: u64,
    /// Entries that needed extra reads for ranged values.
    pub ranged: u64,
    /// Entries outside the scope's exclusions, skipped.
    pub excluded: u64,
}

/// Reads everything in `scope`, handing each complete entry to `sink`.
pub fn full_import<E: From<DirectoryError>>(
    session: &mut Session,
    scope: &ImportScope,
    sink: impl FnMut(Entry) -> Result<(), E>,
) -> Result<ImportStats, E> {
    import_matching(session, scope, &scope.filter(), sink)
}

/// Reads the objects of `scope` that match `filter` (the scope's own filter, narrowed as the
/// caller needs), complete with ranged values, handing each to `sink`.
pub(crate) fn import_matching<E: From<DirectoryError>>(
    session: &mut Session,
    scope: &ImportScope,
    filter: &str,
    mut sink: impl FnMut(Entry) -> Result<(), E>,
) -> Result<ImportStats, E> {
    let mut attrs = scope.requested_attributes();
    if !attrs.iter().any(|a| a.eq_ignore_ascii_case("objectGUID")) {
        attrs.push("objectGUID".to_string());
    }
    let attr_refs: Vec<&str> = attrs.iter().map(String::as_str).collect();
    let mut stats = ImportStats::default();
    let mut held_back: Vec<Entry> = Vec::new();
    let bases = outermost(&scope.bases);
    for base in &bases {
        session.search_paged(
            base,
            Scope::Subtree,
            filter,
            &attr_refs,
            scope.page_size,
            |entry: Entry| -> Result<(), E> {
                if !scope.contains(&entry.dn) {
                    stats.excluded += 1;
                    return Ok(());
                }
                if entry.incomplete.is_empty() {
                    stats.objects += 1;
                    sink(entry)
                } else {
                    held_back.push(entry);
                    Ok(())
                }
            },
        )?;
        for mut entry in held_back.drain(..) {
            complete_ranges(session, &mut entry, scope.value_range)?;
            stats.ranged += 1;
            stats.objects += 1;
            sink(entry)?;
        }
    }
    Ok(stats)
}

/// Bases with any base that lies under another removed (it would be read twice).
fn outermost(bases: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for b in bases {
        let covered = bases
            .iter()
            .any(|other| !escape::dn_eq(other, b) && escape::dn_is_within(b, other));
        if !covered && !out.iter().any(|o| escape::dn_eq(o, b)) {
            out.push(b.clone());
        }
    }
    out
}

/// Reads the remaining values of every ranged attribute of `entry`.
pub fn complete_ranges(
    session: &mut Session,
    entry: &mut Entry,
    value_range: Option<u32>,
) -> Result<(), DirectoryError> {
    // Each round fetches the next range of every incomplete attribute; every round moves each
    // attribute forward or finishes it, so the loop ends.
    while !entry.incomplete.is_empty() {
        let wanted: Vec<String> = entry
            .incomplete
            .iter()
            .map(|(name, next)| match value_range {
                Some(n) => format!("{name};range={next}-{}", next + n.max(1) as usize - 1),
                None => format!("{name};range={next}-*"),
            })
            .collect();
        let refs: Vec<&str> = wanted.iter().map(String::as_str).collect();
        let dn = entry.dn.clone();
        let more = session
            .read(&dn, &refs)?
            .ok_or_else(|| DirectoryError::NoSuchObject {
                server: session.spec().url(),
                dn: dn.clone(),
            })?;
        // `more` parsed its own ranges: its `incomplete` holds absolute next indexes.
        let pending: Vec<(String, usize)> = entry
            .incomplete
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        for (name, next) in pending {
            let values = more.attrs.get(&name).cloned().unwrap_or_default();
            entry.attrs.entry(name.clone()).or_default().extend(values);
            match more.incomplete.get(&name) {
                // Only go on while the server makes progress.
                Some(&after) if after > next => {
                    entry.incomplete.insert(name, after);
                }
                _ => {
                    entry.incomplete.remove(&name);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_inclusion_or_exclusion_decides() {
        let inc = vec![
            "DC=contoso,DC=com".to_string(),
            "OU=Keep,OU=Lab,DC=contoso,DC=com".into(),
        ];
        let exc = vec!["OU=Lab,DC=contoso,DC=com".to_string()];
        assert!(in_scope("CN=a,OU=Staff,DC=contoso,DC=com", &inc, &exc));
        assert!(!in_scope("CN=a,OU=Lab,DC=contoso,DC=com", &inc, &exc));
        assert!(in_scope(
            "CN=a,OU=Keep,OU=Lab,DC=contoso,DC=com",
            &inc,
            &exc
        ));
        assert!(!in_scope("CN=a,DC=fabrikam,DC=com", &inc, &exc));
        // The same container in both lists is excluded.
        assert!(!in_scope(
            "CN=a,OU=Lab,DC=contoso,DC=com",
            &["OU=Lab,DC=contoso,DC=com".into()],
            &exc
        ));
    }

    #[test]
    fn users_do_not_include_computers_and_inetorgperson_is_folded_in() {
        let mut scope = ImportScope::new(vec!["DC=x".into()]);
        scope.classes = vec![ObjectClass::User, ObjectClass::InetOrgPerson];
        assert_eq!(
            scope.filter(),
            "(&(objectCategory=person)(objectClass=user))"
        );
        scope.classes = vec![ObjectClass::Group, ObjectClass::Computer];
        assert_eq!(
            scope.filter(),
            "(|(objectClass=group)(objectClass=computer))"
        );
        scope.classes.clear();
        assert!(scope.filter().contains("Nothing"));
    }

    #[test]
    fn scope_respects_bases_and_exclusions() {
        let mut scope = ImportScope::new(vec!["OU=Corp,DC=x".into(), "OU=Staff,DC=x".into()]);
        scope.excluded = vec!["OU=Disabled,OU=Corp,DC=x".into()];
        assert!(scope.contains("CN=a,OU=Users,OU=Corp,DC=x"));
        assert!(scope.contains("cn=a,ou=staff,dc=X"));
        assert!(!scope.contains("CN=a,OU=Disabled,OU=Corp,DC=x"));
        assert!(!scope.contains("CN=a,OU=Other,DC=x"));
        assert!(!scope.contains("CN=x\\,OU=Corp,DC=x"));
    }

    #[test]
    fn nested_bases_are_read_once() {
        let bases = vec![
            "OU=Users,OU=Corp,DC=x".to_string(),
            "OU=Corp,DC=x".to_string(),
            "ou=corp,dc=x".to_string(),
        ];
        assert_eq!(outermost(&bases), ["OU=Corp,DC=x"]);
    }

    #[test]
    fn a_value_range_is_requested_for_large_attributes_only() {
        let mut scope = ImportScope::new(vec!["DC=x".into()]);
        scope.attributes = vec!["cn".into(), "member".into()];
        scope.value_range = Some(500);
        assert_eq!(scope.requested_attributes(), ["cn", "member;range=0-499"]);
    }
}
