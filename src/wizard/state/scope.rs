//! Which domains and OUs are synchronized, as several pages read it: each forest's selection
//! ([`OuSelection`]) and the selections in effect ([`selections`]).

use std::collections::BTreeMap;

use super::{Draft, Facts};
use crate::directory::escape;
use crate::directory::import::in_scope;

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
    pub fn everything(facts: &crate::ops::discover::ForestFacts) -> OuSelection {
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
