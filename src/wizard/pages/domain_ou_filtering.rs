//! The Domain and OU filtering page: every domain and OU of each forest, synchronized or not.
//!
//! A forest's selection is a list of included and a list of excluded containers; the nearest
//! one above an object decides (as [`crate::directory::import::in_scope`] applies it), so any
//! tick pattern in the tree is two short lists. New OUs follow their parent.

use std::collections::BTreeMap;

use crate::directory::discovery::DomainStatus;
use crate::directory::escape;
use crate::directory::import::in_scope;
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::{Draft, Facts};
use crate::wizard::{Effect, Msg, Wizard};

/// Field ids of this page.
pub const FIELDS: &[&str] = &[SYNC_ALL, SYNC_SELECTED, TREE, SEARCH];
/// Message ids of this page.
pub const MESSAGES: &[&str] = &[NOTHING_SELECTED, UNREACHABLE_DOMAINS];

/// Synchronize every domain and OU.
pub const SYNC_ALL: &str = "sync_all";
/// Synchronize the ticked ones.
pub const SYNC_SELECTED: &str = "sync_selected";
/// The tree.
pub const TREE: &str = "tree";
/// The search box over OU names.
pub const SEARCH: &str = "search";
/// Nothing of a forest is ticked (the detail names it).
pub const NOTHING_SELECTED: &str = "nothing_selected";
/// Some domains could not be read and are left out (the detail names them).
pub const UNREACHABLE_DOMAINS: &str = "unreachable_domains";

/// One forest's selection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OuSelection {
    /// Containers included with what is below them.
    pub included: Vec<String>,
    /// Containers excluded with what is below them.
    pub excluded: Vec<String>,
}

/// How a container shows in the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    /// It and everything below are synchronized.
    Checked,
    /// Some of what is below it differs from it.
    Partial,
    /// It is not synchronized.
    Unchecked,
}

impl OuSelection {
    /// Every reachable domain of a forest, nothing excluded.
    pub fn everything(
        facts: &crate::wizard::pages::connect_directories::ForestFacts,
    ) -> OuSelection {
        OuSelection {
            included: facts.reachable_naming_contexts(),
            excluded: Vec::new(),
        }
    }

    /// Whether objects in `dn` are synchronized.
    pub fn includes(&self, dn: &str) -> bool {
        in_scope(dn, &self.included, &self.excluded)
    }

    /// How the container `dn` shows.
    pub fn tick(&self, dn: &str) -> Tick {
        let own = self.includes(dn);
        // An entry strictly below that decides otherwise makes it partial.
        let differs = |list: &[String], decides_in: bool| {
            decides_in != own
                && list
                    .iter()
                    .any(|e| !escape::dn_eq(e, dn) && escape::dn_is_within(e, dn))
        };
        if differs(&self.included, true) || differs(&self.excluded, false) {
            Tick::Partial
        } else if own {
            Tick::Checked
        } else {
            Tick::Unchecked
        }
    }

    /// Ticks (`include`) or clears a container with everything below it.
    pub fn set(&mut self, dn: &str, include: bool) {
        self.included.retain(|e| !escape::dn_is_within(e, dn));
        self.excluded.retain(|e| !escape::dn_is_within(e, dn));
        if self.includes(dn) != include {
            if include {
                self.included.push(dn.to_string());
            } else {
                self.excluded.push(dn.to_string());
            }
        }
    }
}

/// The selection in force for each added forest: everything reachable, or what is ticked.
pub fn selections(draft: &Draft, facts: &Facts) -> BTreeMap<String, OuSelection> {
    draft
        .directories
        .iter()
        .filter_map(|d| {
            let found = facts.forests.get(&d.forest)?;
            let selection = match (draft.sync_selected, draft.ou_filters.get(&d.forest)) {
                (true, Some(chosen)) => chosen.clone(),
                _ => OuSelection::everything(found),
            };
            Some((d.forest.clone(), selection))
        })
        .collect()
}

/// Checks the page.
pub fn validate(draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::DomainOuFiltering;
    let mut problems = Vec::new();
    for (forest, selection) in selections(draft, facts) {
        if selection.included.is_empty() {
            problems.push(Problem::error(page, TREE, NOTHING_SELECTED).with_detail(forest));
        }
    }
    let unreachable: Vec<String> = draft
        .directories
        .iter()
        .filter_map(|d| facts.forests.get(&d.forest))
        .flat_map(|f| f.forest.domains.iter())
        .filter_map(|d| match &d.status {
            DomainStatus::Unreachable { reason } => Some(format!("{} ({reason})", d.dns_name)),
            DomainStatus::Reachable { .. } => None,
        })
        .collect();
    if !unreachable.is_empty() {
        problems.push(
            Problem::warning(page, TREE, UNREACHABLE_DOMAINS).with_detail(unreachable.join("; ")),
        );
    }
    problems
}

/// Applies a message of this page (the wizard hands each message to the page that owns it).
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::SetSyncSelected(selected) => w.draft.sync_selected = selected,
        Msg::TickContainer(forest, dn, ticked) => {
            if let Some(selection) = w.draft.ou_filters.get_mut(&forest) {
                selection.set(&dn, ticked);
            }
        }
        Msg::SetOuSearch(text) => w.draft.ou_search = text,
        Msg::SetOuSelection(forest, selection) if w.draft.ou_filters.contains_key(&forest) => {
            w.draft.ou_filters.insert(forest, selection);
        }
        // Messages of other pages never come here.
        _ => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMAIN: &str = "DC=contoso,DC=com";
    const LAB: &str = "OU=Lab,DC=contoso,DC=com";
    const KEEP: &str = "OU=Keep,OU=Lab,DC=contoso,DC=com";

    fn all() -> OuSelection {
        OuSelection {
            included: vec![DOMAIN.into()],
            excluded: Vec::new(),
        }
    }

    #[test]
    fn clearing_an_ou_makes_its_domain_partial_and_ticking_a_child_back_works() {
        let mut s = all();
        assert_eq!(s.tick(DOMAIN), Tick::Checked);
        s.set(LAB, false);
        assert_eq!(s.tick(DOMAIN), Tick::Partial);
        assert_eq!(s.tick(LAB), Tick::Unchecked);
        assert!(!s.includes(&format!("CN=x,{KEEP}")));
        s.set(KEEP, true);
        assert_eq!(s.tick(LAB), Tick::Partial);
        assert_eq!(s.tick(KEEP), Tick::Checked);
        assert!(s.includes(&format!("CN=x,{KEEP}")));
        assert!(!s.includes(&format!("CN=y,{LAB}")));
        // Ticking the domain again takes everything below with it: two short lists, back to one.
        s.set(DOMAIN, true);
        assert_eq!(s, all());
    }

    #[test]
    fn clearing_everything_leaves_nothing_and_setting_twice_changes_nothing() {
        let mut s = all();
        s.set(DOMAIN, false);
        assert!(s.included.is_empty() && s.excluded.is_empty());
        assert_eq!(s.tick(DOMAIN), Tick::Unchecked);
        s.set(LAB, true);
        s.set(LAB, true);
        assert_eq!(s.included, [LAB]);
        assert_eq!(s.tick(DOMAIN), Tick::Partial);
    }
}
