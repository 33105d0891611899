//! The Filter users and devices page: synchronize everyone in scope, or only the direct
//! members of one pilot group per forest (for a trial before the whole directory).

use super::page::PageId;
use super::problem::Problem;
use super::{Draft, Facts};

/// Field ids of this page.
pub const FIELDS: &[&str] = &[EVERYONE, PILOT, GROUP, FIND, FOUND];
/// Message ids of this page.
pub const MESSAGES: &[&str] = &[
    ENTER_GROUP,
    FIND_GROUP,
    FINDING,
    GROUP_NOT_FOUND,
    GROUP_OUT_OF_SCOPE,
    NESTED_NOT_FOLLOWED,
    PILOT_ONLY,
];

/// Everyone in the selected domains and OUs.
pub const EVERYONE: &str = "everyone";
/// Only a pilot group's members.
pub const PILOT: &str = "pilot";
/// The group's name or DN (one per forest).
pub const GROUP: &str = "group";
/// The Find button.
pub const FIND: &str = "find";
/// The line naming the group found.
pub const FOUND: &str = "found";
/// A forest has no group typed (detail: the forest).
pub const ENTER_GROUP: &str = "enter_group";
/// The typed group was not looked up yet.
pub const FIND_GROUP: &str = "find_group";
/// A lookup is under way.
pub const FINDING: &str = "finding";
/// The group was not found (detail: why).
pub const GROUP_NOT_FOUND: &str = "group_not_found";
/// The group lies outside the selected domains and OUs.
pub const GROUP_OUT_OF_SCOPE: &str = "group_out_of_scope";
/// The group has groups as members, whose members are not synchronized.
pub const NESTED_NOT_FOLLOWED: &str = "nested_not_followed";
/// Pilot mode is for trials.
pub const PILOT_ONLY: &str = "pilot_only";

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

/// Checks the page.
pub fn validate(draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::FilterUsers;
    let mut problems = Vec::new();
    if !draft.pilot_enabled {
        return problems;
    }
    let selections = super::filtering::selections(draft, facts);
    for added in &draft.directories {
        let forest = &added.forest;
        let typed = draft
            .pilot_groups
            .get(forest)
            .map(|s| s.trim())
            .unwrap_or_default();
        if typed.is_empty() {
            problems.push(Problem::error(page, GROUP, ENTER_GROUP).with_detail(forest.clone()));
            continue;
        }
        if facts.finding_group.as_deref() == Some(forest.as_str()) {
            problems.push(Problem::error(page, FIND, FINDING));
            continue;
        }
        match facts.pilot_groups.get(forest) {
            Some(Ok(found)) if found.typed == typed => {
                if selections
                    .get(forest)
                    .is_some_and(|s| !s.includes(&found.dn))
                {
                    problems.push(
                        Problem::error(page, GROUP, GROUP_OUT_OF_SCOPE)
                            .with_detail(found.dn.clone()),
                    );
                }
                if found.nested_groups > 0 {
                    problems.push(
                        Problem::warning(page, GROUP, NESTED_NOT_FOLLOWED)
                            .with_detail(found.nested_groups.to_string()),
                    );
                }
            }
            Some(Err(reason)) => problems
                .push(Problem::error(page, GROUP, GROUP_NOT_FOUND).with_detail(reason.clone())),
            _ => problems.push(Problem::error(page, FIND, FIND_GROUP).with_detail(forest.clone())),
        }
    }
    problems.push(Problem::warning(page, PILOT, PILOT_ONLY));
    problems
}

/// Looks a group up by DN, common name or sAMAccountName in each of `bases`; exactly one must
/// match.
pub fn find_group(
    session: &mut crate::directory::Session,
    bases: &[String],
    typed: &str,
) -> Result<GroupFound, String> {
    use crate::directory::escape::filter_value;
    let v = filter_value(typed.trim());
    let filter =
        format!("(&(objectCategory=group)(|(cn={v})(sAMAccountName={v})(distinguishedName={v})))");
    let mut found = Vec::new();
    for base in bases {
        let (entries, _) = session
            .search(
                base,
                ldap3::Scope::Subtree,
                &filter,
                &["member"],
                Vec::new(),
                "looking up the pilot group",
            )
            .map_err(|e| e.to_string())?;
        found.extend(entries);
    }
    match found.len() {
        0 => Err(format!("no group named {typed} in this forest")),
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
        n => Err(format!(
            "{n} groups match {typed}; type the group's distinguished name"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wizard::directories::AddedDirectory;

    #[test]
    fn a_pilot_needs_a_group_per_forest_found_before_next() {
        let mut draft = Draft {
            pilot_enabled: true,
            directories: vec![AddedDirectory {
                forest: "contoso.test".into(),
                form: Default::default(),
            }],
            ..Draft::default()
        };
        let mut facts = Facts::default();
        let messages = |d: &Draft, f: &Facts| -> Vec<&'static str> {
            validate(d, f).into_iter().map(|p| p.message).collect()
        };
        assert_eq!(messages(&draft, &facts), [ENTER_GROUP, PILOT_ONLY]);
        draft
            .pilot_groups
            .insert("contoso.test".into(), "Pilot".into());
        assert_eq!(messages(&draft, &facts), [FIND_GROUP, PILOT_ONLY]);
        facts.pilot_groups.insert(
            "contoso.test".into(),
            Ok(GroupFound {
                typed: "Pilot".into(),
                dn: "CN=Pilot,DC=contoso,DC=test".into(),
                members: 3,
                nested_groups: 1,
            }),
        );
        assert_eq!(messages(&draft, &facts), [NESTED_NOT_FOLLOWED, PILOT_ONLY]);
        // Typing another name makes the answer stale.
        draft
            .pilot_groups
            .insert("contoso.test".into(), "Other".into());
        assert_eq!(messages(&draft, &facts), [FIND_GROUP, PILOT_ONLY]);
    }
}
