//! The Domain and OU filtering page: every domain and OU of each forest, synchronized or not.
//!
//! A forest's selection is a list of included and a list of excluded containers; the nearest
//! one above an object decides (as [`crate::directory::import::in_scope`] applies it), so any
//! tick pattern in the tree is two short lists. New OUs follow their parent.

use crate::directory::discovery::DomainStatus;
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::state::scope::selections;
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
