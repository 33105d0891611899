//! Reading and preparing a forest for the wizard and the command line: signing in and reading
//! a forest (its domains, schema, the account's rights), the pilot group lookup, checking a
//! single sign-on administrator, and creating a connector account with an enterprise
//! administrator's session (the one write here). Every function blocks (ldap3's client).

use crate::directory::DirectoryError;
use crate::directory::account::AccountCheck;
use crate::directory::discovery::Forest;
use crate::secret::Secret;

/// Why a forest could not be read or prepared.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// The directory refused or failed.
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    /// The forest answered, but not as needed (in words, with what to do).
    #[error("{0}")]
    Refused(String),
}

/// What adding a forest learned.
#[derive(Debug, Clone)]
pub struct ForestFacts {
    /// The forest.
    pub forest: Forest,
    /// The account's check.
    pub account: AccountCheck,
    /// Whether the account may write `ms-DS-ConsistencyGuid` on a sample user of each domain
    /// (the managed sourceAnchor writes it back); empty when it was not asked.
    pub anchor_write: Vec<crate::directory::account::WriteSample>,
}

/// A pilot group found in a forest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFound {
    /// What was typed when it was found.
    pub typed: String,
    /// Its DN.
    pub dn: String,
    /// Direct members.
    pub members: usize,
    /// Direct members that are groups.
    pub nested_groups: usize,
}

/// Looks a group up by DN, common name or sAMAccountName in each of `bases`; exactly one must
/// match.
pub fn find_group(
    session: &mut crate::directory::Session,
    bases: &[String],
    typed: &str,
) -> Result<GroupFound, DiscoverError> {
    use crate::directory::escape::filter_value;
    let v = filter_value(typed.trim());
    let filter =
        format!("(&(objectCategory=group)(|(cn={v})(sAMAccountName={v})(distinguishedName={v})))");
    let mut found = Vec::new();
    for base in bases {
        let (entries, _) = session.search(
            base,
            ldap3::Scope::Subtree,
            &filter,
            &["member"],
            Vec::new(),
            "looking up the pilot group",
        )?;
        found.extend(entries);
    }
    match found.len() {
        0 => Err(DiscoverError::Refused(format!(
            "no group named {typed} in this forest"
        ))),
        1 => {
            let group = found.remove(0);
            let members = group.texts("member");
            let mut nested_groups = 0;
            for m in &members {
                // A member that cannot be read (another domain, no rights) is not counted.
                if let Ok((entries, _)) = session.search(
                    m,
                    ldap3::Scope::Base,
                    "(objectCategory=group)",
                    &["cn"],
                    Vec::new(),
                    "reading the pilot group's members",
                ) {
                    nested_groups += entries.len();
                }
            }
            Ok(GroupFound {
                typed: typed.trim().to_string(),
                dn: group.dn,
                members: members.len(),
                nested_groups,
            })
        }
        n => Err(DiscoverError::Refused(format!(
            "{n} groups match {typed}; type the group's distinguished name"
        ))),
    }
}

#[cfg(test)]
impl ForestFacts {
    /// A forest with this schema, no domains, and an acceptable account, for unit tests.
    pub(crate) fn for_tests(name: &str, schema: crate::directory::discovery::Schema) -> Self {
        ForestFacts {
            forest: Forest {
                name: name.into(),
                server: "dc1".into(),
                forest_functional_level: None,
                forest_functional_level_name: None,
                domains: Vec::new(),
                upn_suffixes: Vec::new(),
                schema,
                exchange_schema: false,
                kds_root_key: None,
                root_dse: crate::directory::rootdse::RootDse::from_attrs(&Default::default()),
            },
            account: AccountCheck {
                dn: "CN=sky".into(),
                sam_account_name: None,
                privileged_groups: Vec::new(),
                can_read_changes: true,
                acceptable: true,
                findings: Vec::new(),
            },
            anchor_write: Vec::new(),
        }
    }
}

impl ForestFacts {
    /// The naming contexts of the domains that could be read.
    pub fn reachable_naming_contexts(&self) -> Vec<String> {
        self.forest
            .reachable_domains()
            .map(|d| d.naming_context.clone())
            .collect()
    }
}

/// Signs in to the forest and finds the pilot group typed, in the given containers.
pub fn group_lookup(
    server: &crate::directory::ServerSpec,
    account: &crate::directory::AccountName,
    password: &Secret,
    bases: &[String],
    typed: &str,
) -> Result<GroupFound, DiscoverError> {
    let mut session = crate::directory::Session::open(server, account, password)?;
    find_group(&mut session, bases, typed)
}

/// Signs in to the forest and reads it: its domains and schema, the account's rights, and
/// whether the account may write the sourceAnchor back.
pub fn read_forest(
    server: &crate::directory::ServerSpec,
    account: &crate::directory::AccountName,
    password: &Secret,
) -> Result<ForestFacts, crate::directory::DirectoryError> {
    let mut session = crate::directory::Session::open(server, account, password)?;
    let forest = crate::directory::discovery::discover(&mut session, password)?;
    let account = crate::directory::account::check(&mut session)?;
    let anchor_write = anchor_write_samples(&mut session, &forest);
    Ok(ForestFacts {
        forest,
        account,
        anchor_write,
    })
}

/// Asks each reachable domain whether the signed-in account may write `ms-DS-ConsistencyGuid`
/// on one of its users. A domain that cannot answer is left out: this is advice, not a check
/// that stops anything.
fn anchor_write_samples(
    session: &mut crate::directory::Session,
    forest: &crate::directory::discovery::Forest,
) -> Vec<crate::directory::account::WriteSample> {
    forest
        .reachable_domains()
        .filter_map(|d| {
            crate::directory::account::sample_write_right(
                session,
                &d.naming_context,
                "mS-DS-ConsistencyGuid",
            )
            .ok()
            .flatten()
        })
        .collect()
}

/// Whether an account may create the single sign-on computer account: it signs in, and it is
/// a domain administrator (or an enterprise administrator) of the forest.
pub fn verify_sso_admin(
    server: &crate::directory::ServerSpec,
    account: &crate::directory::AccountName,
    password: &Secret,
) -> Result<(), DiscoverError> {
    use crate::directory::account::PrivilegedGroup;
    let mut session = crate::directory::Session::open(server, account, password)?;
    let check = crate::directory::account::check(&mut session)?;
    let groups = &check.privileged_groups;
    if groups.contains(&PrivilegedGroup::DomainAdmins)
        || groups.contains(&PrivilegedGroup::EnterpriseAdmins)
    {
        Ok(())
    } else {
        Err(DiscoverError::Refused(format!(
            "{account} signed in, but is not a member of Domain Admins or Enterprise Admins, which creating the single sign-on account needs"
        )))
    }
}

/// A connector account Skybridge created, and its forest as that account reads it.
#[derive(Debug, Clone)]
pub struct CreatedConnector {
    /// The forest, with the new account's check.
    pub facts: ForestFacts,
    /// The new account (`NETBIOS\SKY_…`).
    pub account: String,
    /// Its generated password (goes to the keychain with the installation).
    pub password: Secret,
    /// Its DN, to say where it is.
    pub dn: String,
}

/// Creates a connector account in the forest root domain's Users container with an enterprise
/// administrator's session, grants it change reading (and the sourceAnchor write-back) on every
/// domain that answers, and reads the forest again as the new account, as the engine will.
pub fn create_connector(
    server: &crate::directory::ServerSpec,
    admin: &crate::directory::AccountName,
    password: &Secret,
) -> Result<CreatedConnector, DiscoverError> {
    use crate::directory::account::{self, NewAccount, PrivilegedGroup, Rights};
    let mut session = crate::directory::Session::open(server, admin, password)?;
    let check = account::check(&mut session)?;
    if !check
        .privileged_groups
        .contains(&PrivilegedGroup::EnterpriseAdmins)
    {
        return Err(DiscoverError::Refused(format!(
            "{admin} is not a member of Enterprise Admins, which creating a connector account needs. Sign in with an enterprise administrator, or choose to use an existing account."
        )));
    }
    let forest = crate::directory::discovery::discover(&mut session, password)?;
    let Some(root) = forest.domains.iter().find(|d| d.forest_root) else {
        return Err(DiscoverError::Refused(
            "the forest root domain could not be found".into(),
        ));
    };
    let name = format!("SKY_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let rights = |nc: &str| Rights {
        consistency_guid_ous: vec![nc.to_string()],
        writeback_ous: Vec::new(),
    };
    let created = account::create(
        &mut session,
        &NewAccount {
            parent_dn: format!("CN=Users,{}", root.naming_context),
            name,
            rights: rights(&root.naming_context),
        },
    )?;
    for domain in forest.reachable_domains().filter(|d| !d.forest_root) {
        account::grant(
            &mut session,
            &created.sid,
            &domain.naming_context,
            &rights(&domain.naming_context),
        )
        .map_err(|e| DiscoverError::Refused(format!("{} was created, but {e}", created.account)))?;
    }
    let mut own = crate::directory::Session::open(server, &created.account, &created.password)
        .map_err(|e| {
            DiscoverError::Refused(format!(
                "{} was created, but cannot sign in: {e}",
                created.account
            ))
        })?;
    let checked = account::check(&mut own)?;
    let anchor_write = anchor_write_samples(&mut own, &forest);
    Ok(CreatedConnector {
        facts: ForestFacts {
            forest,
            account: checked,
            anchor_write,
        },
        account: created.account.to_string(),
        password: created.password,
        dn: created.dn,
    })
}
