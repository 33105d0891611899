//! What a forest looks like, learned from one reachable domain controller: its domains, UPN
//! suffixes, the OU and container tree of each domain, its schema, whether the Exchange schema
//! extensions and a KDS root key are there, and its functional level.
//!
//! A domain whose naming context the answering DC does not hold is read from a DC of its own
//! (reached by the domain's DNS name with the same protection and credentials); when that fails
//! the domain is reported unreachable with the reason, and the rest of the forest is still
//! reported.

use std::collections::BTreeMap;

use ldap3::Scope;
use serde::Serialize;

use super::entry::Entry;
use super::error::DirectoryError;
use super::escape;
use super::rootdse::{self, RootDse};
use super::security::{Sid, guid_to_string};
use super::session::{AccountName, Session};
use crate::secret::Secret;

/// Page size for discovery searches: below Windows AD's 1,000-entry limit.
const PAGE: u32 = 500;

/// Everything discovery learned about a forest.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Forest {
    /// DNS name of the forest root domain.
    pub name: String,
    /// The domain controller that answered.
    pub server: String,
    /// Forest functional level (0 = Windows 2000 … 7 = Windows Server 2016).
    pub forest_functional_level: Option<u32>,
    /// The forest's functional level as a Windows Server version.
    pub forest_functional_level_name: Option<&'static str>,
    /// The domains of the forest.
    pub domains: Vec<Domain>,
    /// UPN suffixes users of this forest can have: the domains' DNS names and the extra suffixes.
    pub upn_suffixes: Vec<UpnSuffix>,
    /// The schema's attributes and classes.
    pub schema: Schema,
    /// Whether the Exchange schema extensions are installed.
    pub exchange_schema: bool,
    /// Whether a KDS root key exists (needed for group managed service accounts); `None` when
    /// the account may not read the container that holds them.
    pub kds_root_key: Option<bool>,
    /// The root DSE of the DC that answered.
    pub root_dse: RootDse,
}

/// One domain of the forest.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Domain {
    /// DNS name (`contoso.com`).
    pub dns_name: String,
    /// NetBIOS name (`CONTOSO`).
    pub netbios_name: String,
    /// Naming context (`DC=contoso,DC=com`).
    pub naming_context: String,
    /// Whether this is the forest root domain.
    pub forest_root: bool,
    /// The domain's SID, when the domain was reachable.
    pub sid: Option<String>,
    /// Domain functional level, when reachable.
    pub functional_level: Option<u32>,
    /// Reachable (with its containers) or not (with the reason).
    #[serde(flatten)]
    pub status: DomainStatus,
}

/// Whether a domain could be read.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "reachable")]
pub enum DomainStatus {
    /// Read; its organizational units and containers, parents before children.
    #[serde(rename = "true")]
    Reachable {
        /// The OU/container tree as a list in DN order from the domain root down.
        containers: Vec<Container>,
    },
    /// Could not be read.
    #[serde(rename = "false")]
    Unreachable {
        /// Why, in words an administrator can act on.
        reason: String,
    },
}

/// An organizational unit or container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    /// Distinguished name.
    pub dn: String,
    /// Display name (the RDN value).
    pub name: String,
    /// DN of the parent, `None` for the domain root.
    pub parent: Option<String>,
    /// objectGUID in its usual text form.
    pub guid: String,
    /// `organizationalUnit`, `container`, `builtinDomain` or `domainDNS`.
    pub kind: String,
    /// Number of OUs and containers directly below it.
    pub child_containers: usize,
    /// Whether administrators' tools hide it by default (system containers).
    pub advanced: bool,
}

/// A UPN suffix and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpnSuffix {
    /// The suffix (`contoso.com`).
    pub suffix: String,
    /// `domain` (a domain's DNS name) or `extra` (added to the forest's uPNSuffixes).
    pub source: &'static str,
}

/// A summary of the schema with the details the wizard needs.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    /// Every attribute.
    pub attributes: Vec<SchemaAttribute>,
    /// Every class.
    pub classes: Vec<SchemaClass>,
}

/// One attribute of the schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaAttribute {
    /// Its LDAP name.
    pub name: String,
    /// attributeSyntax OID (`2.5.5.12` = Unicode string, `2.5.5.10` = octet string, …).
    pub syntax: String,
    /// oMSyntax number.
    pub om_syntax: Option<i64>,
    /// Whether it holds at most one value.
    pub single_valued: bool,
    /// schemaIDGUID, for access-control entries that name it.
    pub schema_id_guid: Option<String>,
    /// Computed by the server when read (never stored, never in a change stream).
    pub constructed: bool,
}

#[cfg(test)]
impl SchemaAttribute {
    /// An attribute for unit tests: stored (only `tokenGroups` is constructed), no GUID.
    pub(crate) fn for_tests(name: &str, syntax: &str, single_valued: bool) -> SchemaAttribute {
        SchemaAttribute {
            name: name.into(),
            syntax: syntax.into(),
            om_syntax: None,
            single_valued,
            schema_id_guid: None,
            constructed: name == "tokenGroups",
        }
    }
}

/// One class of the schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaClass {
    /// Its LDAP name.
    pub name: String,
    /// The class it derives from.
    pub superior: Option<String>,
    /// Attributes it may or must hold (including system ones).
    pub attributes: Vec<String>,
    /// Auxiliary classes whose attributes it also holds.
    pub auxiliary: Vec<String>,
}

impl Schema {
    /// An attribute by name, case-insensitively.
    pub fn attribute(&self, name: &str) -> Option<&SchemaAttribute> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The names of the attributes an object of `class` may hold: its own, those of the
    /// classes it derives from, and those of every auxiliary class on the way.
    pub fn attributes_of(&self, class: &str) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        let mut seen = std::collections::BTreeSet::new();
        let mut todo = vec![class.to_lowercase()];
        while let Some(name) = todo.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            let Some(c) = self
                .classes
                .iter()
                .find(|c| c.name.eq_ignore_ascii_case(&name))
            else {
                continue;
            };
            out.extend(c.attributes.iter().cloned());
            todo.extend(c.auxiliary.iter().map(|a| a.to_lowercase()));
            if let Some(superior) = &c.superior
                && !superior.eq_ignore_ascii_case(&c.name)
            {
                todo.push(superior.to_lowercase());
            }
        }
        out
    }
}

impl Forest {
    /// The domains that could be read (their containers were listed).
    pub fn reachable_domains(&self) -> impl Iterator<Item = &Domain> {
        self.domains
            .iter()
            .filter(|d| matches!(d.status, DomainStatus::Reachable { .. }))
    }

    /// The domain with this NetBIOS or DNS name.
    pub fn domain_named(&self, name: &str) -> Option<&Domain> {
        self.domains.iter().find(|d| {
            d.netbios_name.eq_ignore_ascii_case(name) || d.dns_name.eq_ignore_ascii_case(name)
        })
    }
}

/// The partitions of the forest as the configuration partition lists them.
#[derive(Debug, Clone)]
pub struct Partition {
    /// DNS name.
    pub dns_name: String,
    /// NetBIOS name.
    pub netbios_name: String,
    /// Naming context.
    pub naming_context: String,
}

/// Reads the domains of the forest from its crossRef objects.
pub fn partitions(session: &mut Session, dse: &RootDse) -> Result<Vec<Partition>, DirectoryError> {
    let config = configuration_nc(session, dse)?;
    let base = format!("CN=Partitions,{config}");
    let (entries, _) = session.search(
        &base,
        Scope::OneLevel,
        // Domains carry a NetBIOS name (application partitions do not); a crossRef that is
        // not enabled yet belongs to a domain still being created.
        "(&(objectClass=crossRef)(nETBIOSName=*)(!(Enabled=FALSE)))",
        &["nCName", "dnsRoot", "nETBIOSName"],
        Vec::new(),
        "listing the domains of the forest",
    )?;
    let mut out: Vec<Partition> = entries
        .iter()
        .filter_map(|e| {
            Some(Partition {
                dns_name: e.text("dnsRoot")?.to_ascii_lowercase(),
                netbios_name: e.text("nETBIOSName")?,
                naming_context: e.text("nCName")?,
            })
        })
        .collect();
    out.sort_by(|a, b| a.dns_name.cmp(&b.dns_name));
    Ok(out)
}

fn configuration_nc(session: &Session, dse: &RootDse) -> Result<String, DirectoryError> {
    dse.configuration_naming_context.clone().ok_or_else(|| {
        session.protocol(
            "reading the root DSE",
            "it names no configuration partition",
        )
    })
}

/// Discovers the forest. `password` is the session's, reused to sign in to DCs of other
/// domains; it is not stored.
pub fn discover(session: &mut Session, password: &Secret) -> Result<Forest, DirectoryError> {
    let dse = read_root_dse(session)?;
    let config = configuration_nc(session, &dse)?;
    let schema_nc = dse
        .schema_naming_context
        .clone()
        .ok_or_else(|| session.protocol("reading the root DSE", "it names no schema partition"))?;
    let parts = partitions(session, &dse)?;
    let root_nc = dse.root_domain_naming_context.clone().unwrap_or_default();
    let forest_name = parts
        .iter()
        .find(|p| escape::dn_eq(&p.naming_context, &root_nc))
        .map(|p| p.dns_name.clone())
        .unwrap_or_default();

    let mut domains = Vec::new();
    for part in &parts {
        let held_here = dse
            .naming_contexts
            .iter()
            .any(|nc| escape::dn_eq(nc, &part.naming_context));
        let read = if held_here {
            read_domain(session, &part.naming_context)
        } else {
            read_remote_domain(session, password, part)
        };
        let (sid, functional_level, status) = match read {
            Ok((sid, level, containers)) => (sid, level, DomainStatus::Reachable { containers }),
            Err(e) => (
                None,
                None,
                DomainStatus::Unreachable {
                    reason: e.to_string(),
                },
            ),
        };
        domains.push(Domain {
            dns_name: part.dns_name.clone(),
            netbios_name: part.netbios_name.clone(),
            naming_context: part.naming_context.clone(),
            forest_root: escape::dn_eq(&part.naming_context, &root_nc),
            sid,
            functional_level,
            status,
        });
    }

    let upn_suffixes = upn_suffixes(session, &config, &parts)?;
    let schema = read_schema(session, &schema_nc)?;
    let exchange_schema = schema.attribute("msExchMailboxGuid").is_some()
        || schema.attribute("msExchSchemaVersionPt").is_some();
    let kds_root_key = kds_root_key(session, &config)?;
    Ok(Forest {
        name: forest_name,
        server: session.spec().url(),
        forest_functional_level: dse.forest_functionality,
        forest_functional_level_name: dse.forest_functionality.map(RootDse::level_name),
        domains,
        upn_suffixes,
        schema,
        exchange_schema,
        kds_root_key,
        root_dse: dse,
    })
}

/// The root DSE through a signed-in session.
pub fn read_root_dse(session: &mut Session) -> Result<RootDse, DirectoryError> {
    let spec = session.spec().clone();
    rootdse::read(&spec, session.conn())
}

fn read_remote_domain(
    session: &Session,
    password: &Secret,
    part: &Partition,
) -> Result<DomainRead, DirectoryError> {
    let mut spec = session.spec().clone();
    spec.host = part.dns_name.clone();
    let mut remote = Session::open(&spec, session.account(), password)?;
    let read = read_domain(&mut remote, &part.naming_context);
    remote.close();
    read
}

/// A domain's SID, functional level and containers.
type DomainRead = (Option<String>, Option<u32>, Vec<Container>);

fn read_domain(session: &mut Session, nc: &str) -> Result<DomainRead, DirectoryError> {
    let root = session
        .read(nc, &["objectSid", "msDS-Behavior-Version"])?
        .ok_or_else(|| DirectoryError::NoSuchObject {
            server: session.spec().url(),
            dn: nc.to_string(),
        })?;
    let sid = root
        .first("objectSid")
        .and_then(|b| Sid::from_bytes(b).ok())
        .map(|s| s.to_string());
    let level = root
        .number("msDS-Behavior-Version")
        .and_then(|n| u32::try_from(n).ok());
    let mut containers = Vec::new();
    session.search_paged(
        nc,
        Scope::Subtree,
        "(|(objectClass=organizationalUnit)(objectClass=container)(objectClass=builtinDomain)(objectClass=domainDNS))",
        &["objectGUID", "objectClass", "name", "showInAdvancedViewOnly"],
        PAGE,
        |e: Entry| -> Result<(), DirectoryError> {
            containers.push(container_of(&e, nc));
            Ok(())
        },
    )?;
    order_tree(&mut containers);
    Ok((sid, level, containers))
}

fn container_of(e: &Entry, nc: &str) -> Container {
    let kind = [
        "organizationalUnit",
        "builtinDomain",
        "domainDNS",
        "container",
    ]
    .into_iter()
    .find(|c| e.is_class(c))
    .unwrap_or("container")
    .to_string();
    let is_root = escape::dn_eq(&e.dn, nc);
    Container {
        name: e.text("name").unwrap_or_else(|| e.dn.clone()),
        parent: if is_root {
            None
        } else {
            escape::parent_dn(&e.dn)
        },
        guid: e.guid().map(|g| guid_to_string(&g)).unwrap_or_default(),
        kind,
        child_containers: 0,
        advanced: e.flag("showInAdvancedViewOnly"),
        dn: e.dn.clone(),
    }
}

/// Sorts parents before children (siblings by name) and counts each container's children.
fn order_tree(containers: &mut [Container]) {
    let key = |dn: &str| -> Vec<String> {
        let mut parts: Vec<String> = escape::split_dn(dn)
            .unwrap_or_default()
            .into_iter()
            .map(|(t, v)| format!("{}={}", t.to_lowercase(), v.to_lowercase()))
            .collect();
        parts.reverse();
        parts
    };
    let mut counts: BTreeMap<Vec<String>, usize> = BTreeMap::new();
    for c in containers.iter() {
        if let Some(parent) = &c.parent {
            *counts.entry(key(parent)).or_default() += 1;
        }
    }
    for c in containers.iter_mut() {
        c.child_containers = counts.get(&key(&c.dn)).copied().unwrap_or(0);
    }
    containers.sort_by_cached_key(|c| key(&c.dn));
}

fn upn_suffixes(
    session: &mut Session,
    config: &str,
    parts: &[Partition],
) -> Result<Vec<UpnSuffix>, DirectoryError> {
    let mut out: Vec<UpnSuffix> = parts
        .iter()
        .map(|p| UpnSuffix {
            suffix: p.dns_name.clone(),
            source: "domain",
        })
        .collect();
    let base = format!("CN=Partitions,{config}");
    if let Some(entry) = session.read(&base, &["uPNSuffixes"])? {
        for suffix in entry.texts("uPNSuffixes") {
            let suffix = suffix.trim().to_ascii_lowercase();
            if !suffix.is_empty() && !out.iter().any(|s| s.suffix == suffix) {
                out.push(UpnSuffix {
                    suffix,
                    source: "extra",
                });
            }
        }
    }
    Ok(out)
}

fn read_schema(session: &mut Session, schema_nc: &str) -> Result<Schema, DirectoryError> {
    let mut schema = Schema::default();
    session.search_paged(
        schema_nc,
        Scope::OneLevel,
        "(objectClass=attributeSchema)",
        &[
            "lDAPDisplayName",
            "attributeSyntax",
            "oMSyntax",
            "isSingleValued",
            "schemaIDGUID",
            "systemFlags",
        ],
        PAGE,
        |e: Entry| -> Result<(), DirectoryError> {
            if let Some(name) = e.text("lDAPDisplayName") {
                schema.attributes.push(SchemaAttribute {
                    name,
                    syntax: e.text("attributeSyntax").unwrap_or_default(),
                    om_syntax: e.number("oMSyntax"),
                    single_valued: e.flag("isSingleValued"),
                    schema_id_guid: e
                        .first("schemaIDGUID")
                        .and_then(|b| <[u8; 16]>::try_from(b).ok())
                        .map(|g| guid_to_string(&g)),
                    // FLAG_ATTR_IS_CONSTRUCTED.
                    constructed: e.number("systemFlags").is_some_and(|f| f & 4 != 0),
                });
            }
            Ok(())
        },
    )?;
    session.search_paged(
        schema_nc,
        Scope::OneLevel,
        "(objectClass=classSchema)",
        &[
            "lDAPDisplayName",
            "subClassOf",
            "mayContain",
            "mustContain",
            "systemMayContain",
            "systemMustContain",
            "auxiliaryClass",
            "systemAuxiliaryClass",
        ],
        PAGE,
        |e: Entry| -> Result<(), DirectoryError> {
            if let Some(name) = e.text("lDAPDisplayName") {
                let mut attributes: Vec<String> = [
                    "mayContain",
                    "mustContain",
                    "systemMayContain",
                    "systemMustContain",
                ]
                .iter()
                .flat_map(|a| e.texts(a))
                .collect();
                attributes.sort_unstable();
                attributes.dedup();
                let mut auxiliary: Vec<String> = ["auxiliaryClass", "systemAuxiliaryClass"]
                    .iter()
                    .flat_map(|a| e.texts(a))
                    .collect();
                auxiliary.sort_unstable();
                auxiliary.dedup();
                schema.classes.push(SchemaClass {
                    name,
                    superior: e.text("subClassOf"),
                    attributes,
                    auxiliary,
                });
            }
            Ok(())
        },
    )?;
    schema.attributes.sort_by(|a, b| a.name.cmp(&b.name));
    schema.classes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(schema)
}

fn kds_root_key(session: &mut Session, config: &str) -> Result<Option<bool>, DirectoryError> {
    let base =
        format!("CN=Master Root Keys,CN=Group Key Distribution Service,CN=Services,{config}");
    match session.search(
        &base,
        Scope::OneLevel,
        "(objectClass=msKds-ProvRootKey)",
        &["cn"],
        Vec::new(),
        "looking for a KDS root key",
    ) {
        Ok((entries, _)) => Ok(Some(!entries.is_empty())),
        Err(DirectoryError::NoSuchObject { .. }) => Ok(Some(false)),
        Err(DirectoryError::InsufficientRights { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// What is read of an account object.
const ACCOUNT_ATTRS: &[&str] = &[
    "objectSid",
    "sAMAccountName",
    "userPrincipalName",
    "userAccountControl",
    "objectClass",
];

/// Finds the object of the account a session is signed in as (Samba and older AD do not
/// implement the "Who am I?" operation, so the name is looked up).
pub fn find_account(
    session: &mut Session,
    account: &AccountName,
    dse: &RootDse,
) -> Result<Option<Entry>, DirectoryError> {
    if let AccountName::Dn(dn) = account {
        return session.read(dn, ACCOUNT_ATTRS);
    }
    let parts = partitions(session, dse)?;
    find_account_in(session, account, dse, &parts)
}

/// [`find_account`] with the forest's partitions already read.
pub fn find_account_in(
    session: &mut Session,
    account: &AccountName,
    dse: &RootDse,
    parts: &[Partition],
) -> Result<Option<Entry>, DirectoryError> {
    if let AccountName::Dn(dn) = account {
        return session.read(dn, ACCOUNT_ATTRS);
    }
    let wanted = match account {
        AccountName::DownLevel { domain, .. } => parts
            .iter()
            .find(|p| p.netbios_name.eq_ignore_ascii_case(domain)),
        AccountName::Principal { suffix, .. } => parts
            .iter()
            .find(|p| p.dns_name.eq_ignore_ascii_case(suffix)),
        AccountName::Dn(_) => None,
    };
    let held: Vec<String> = match wanted {
        Some(p) => vec![p.naming_context.clone()],
        None => parts
            .iter()
            .map(|p| p.naming_context.clone())
            .filter(|nc| dse.naming_contexts.iter().any(|h| escape::dn_eq(h, nc)))
            .collect(),
    };
    // sAMAccountName is only a match in the domain the name says; elsewhere only the UPN counts.
    let filter = match (account, wanted) {
        (AccountName::Principal { user, suffix }, None) => format!(
            "(&(objectCategory=person)(userPrincipalName={}))",
            escape::filter_value(&format!("{user}@{suffix}"))
        ),
        _ => account.filter(),
    };
    for nc in held {
        let (entries, _) = session.search(
            &nc,
            Scope::Subtree,
            &filter,
            ACCOUNT_ATTRS,
            Vec::new(),
            "looking up the account",
        )?;
        if let Some(e) = entries.into_iter().next() {
            return Ok(Some(e));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(dn: &str, parent: Option<&str>) -> Container {
        Container {
            dn: dn.into(),
            name: dn.split(',').next().unwrap_or(dn).into(),
            parent: parent.map(Into::into),
            guid: String::new(),
            kind: "organizationalUnit".into(),
            child_containers: 0,
            advanced: false,
        }
    }

    #[test]
    fn the_tree_lists_parents_first_and_counts_children() {
        let mut list = vec![
            c("OU=Users,OU=Corp,DC=x", Some("OU=Corp,DC=x")),
            c("OU=Sales\\, EMEA,OU=Corp,DC=x", Some("OU=Corp,DC=x")),
            c("DC=x", None),
            c("OU=Corp,DC=x", Some("DC=x")),
        ];
        order_tree(&mut list);
        let order: Vec<&str> = list.iter().map(|c| c.dn.as_str()).collect();
        assert_eq!(
            order,
            [
                "DC=x",
                "OU=Corp,DC=x",
                "OU=Sales\\, EMEA,OU=Corp,DC=x",
                "OU=Users,OU=Corp,DC=x"
            ]
        );
        assert_eq!(list[0].child_containers, 1);
        assert_eq!(list[1].child_containers, 2);
        assert_eq!(list[3].child_containers, 0);
    }
}
