//! The Filter users and devices page: synchronize everyone in scope, or only the direct
//! members of one pilot group per forest (for a trial before the whole directory).

use crate::wizard::probe::Answer;
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::{Draft, Facts};
use crate::wizard::{Effect, Msg, Wizard};

pub use crate::ops::discover::GroupFound;

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

/// Checks the page.
pub fn validate(draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::FilterUsers;
    let mut problems = Vec::new();
    if !draft.pilot_enabled {
        return problems;
    }
    let selections = crate::wizard::state::scope::selections(draft, facts);
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

/// Applies a message of this page (the wizard hands each message to the page that owns it).
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::SetPilotEnabled(on) => w.draft.pilot_enabled = on,
        Msg::SetPilotGroup(forest, typed) => {
            if w.facts.finding_group.as_deref() == Some(forest.as_str()) {
                w.facts.finding_group = None;
                w.awaited
                    .remove(&crate::wizard::probe::ProbeKind::FindGroup);
            }
            w.draft.pilot_groups.insert(forest, typed);
        }
        Msg::FindPilotGroup(forest) => return w.find_pilot_group(forest),
        // Messages of other pages never come here.
        _ => {}
    }
    Vec::new()
}

/// Takes a probe's answer for this page (already checked to be the awaited one).
pub(crate) fn answered(w: &mut Wizard, result: Answer) -> Vec<Effect> {
    if let crate::wizard::probe::Answer::FindGroup(forest, outcome) = result {
        w.facts.finding_group = None;
        w.facts.pilot_groups.insert(forest, outcome);
    }
    Vec::new()
}

impl Wizard {
    /// Looks a forest's pilot group up, with the forest's connector account.
    pub(crate) fn find_pilot_group(&mut self, forest: String) -> Vec<Effect> {
        let typed = self
            .draft
            .pilot_groups
            .get(&forest)
            .map(|t| t.trim().to_string())
            .unwrap_or_default();
        let added = self.draft.directories.iter().find(|d| d.forest == forest);
        let (Some(added), Some(found)) = (added, self.facts.forests.get(&forest)) else {
            return Vec::new();
        };
        let Ok((server, account)) = added.form.parsed() else {
            return Vec::new();
        };
        if typed.is_empty() {
            return Vec::new();
        }
        let bases = found.reachable_naming_contexts();
        let probe = crate::wizard::probe::Probe::FindGroup {
            forest: forest.clone(),
            server,
            account,
            password: added.form.password.clone(),
            bases,
            typed,
        };
        self.facts.pilot_groups.remove(&forest);
        self.facts.finding_group = Some(forest);
        vec![self.ask(probe)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wizard::state::directories::AddedDirectory;

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
