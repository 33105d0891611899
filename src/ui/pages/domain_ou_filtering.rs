//! The Domain and OU filtering page: all or selected, then a tri-state tree per forest and
//! domain. Children are drawn only when their parent is open, so a forest with thousands of OUs
//! costs only what is on screen; the search box lists matching OUs flat.

use std::collections::HashMap;

use crate::directory::discovery::{Container, DomainStatus};
use crate::wizard::pages::domain_ou_filtering::{SEARCH, SYNC_ALL, SYNC_SELECTED};
use crate::wizard::state::scope::{OuSelection, Tick};
use crate::wizard::text;
use crate::wizard::{Msg, PageId, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::DomainOuFiltering);
    let draft = wizard.draft();
    let mut msgs = Vec::new();
    if ui
        .radio(!draft.sync_selected, words.field(SYNC_ALL))
        .clicked()
    {
        msgs.push(Msg::SetSyncSelected(false));
    }
    if ui
        .radio(draft.sync_selected, words.field(SYNC_SELECTED))
        .clicked()
    {
        msgs.push(Msg::SetSyncSelected(true));
    }
    if !draft.sync_selected {
        return msgs;
    }
    ui.horizontal(|ui| {
        let label = ui.label(words.field(SEARCH));
        let mut search = draft.ou_search.clone();
        if ui
            .add(egui::TextEdit::singleline(&mut search).desired_width(260.0))
            .labelled_by(label.id)
            .changed()
        {
            msgs.push(Msg::SetOuSearch(search));
        }
    });
    let needle = draft.ou_search.trim().to_lowercase();
    egui::ScrollArea::vertical()
        .max_height((ui.available_height() - 90.0).max(160.0))
        .show(ui, |ui| {
            for added in &draft.directories {
                let (Some(found), Some(selection)) = (
                    wizard.facts().forests.get(&added.forest),
                    draft.ou_filters.get(&added.forest),
                ) else {
                    continue;
                };
                ui.label(egui::RichText::new(&added.forest).strong());
                for domain in &found.forest.domains {
                    let DomainStatus::Reachable { containers } = &domain.status else {
                        ui.label(egui::RichText::new(&domain.dns_name).weak());
                        continue;
                    };
                    let tree = Tree::new(containers);
                    let forest = &added.forest;
                    if needle.is_empty() {
                        if let Some(root) = tree.root {
                            tree.node(ui, forest, selection, root, &mut msgs);
                        }
                    } else {
                        for c in containers
                            .iter()
                            .filter(|c| c.name.to_lowercase().contains(&needle))
                        {
                            tick_box(ui, forest, selection, c, &c.dn, &mut msgs);
                        }
                    }
                }
            }
        });
    msgs
}

/// A domain's containers as a tree (parents before children in the list).
struct Tree<'a> {
    containers: &'a [Container],
    children: HashMap<String, Vec<usize>>,
    root: Option<usize>,
}

impl<'a> Tree<'a> {
    fn new(containers: &'a [Container]) -> Tree<'a> {
        let mut children: HashMap<String, Vec<usize>> = HashMap::new();
        let mut root = None;
        for (i, c) in containers.iter().enumerate() {
            match &c.parent {
                Some(p) => children.entry(p.to_lowercase()).or_default().push(i),
                None => root = root.or(Some(i)),
            }
        }
        Tree {
            containers,
            children,
            root,
        }
    }

    fn node(
        &self,
        ui: &mut egui::Ui,
        forest: &str,
        selection: &OuSelection,
        index: usize,
        msgs: &mut Vec<Msg>,
    ) {
        let c = &self.containers[index];
        let kids = self.children.get(&c.dn.to_lowercase());
        match kids {
            // Indented like a sibling's box beside its open/close arrow.
            None => {
                ui.horizontal(|ui| {
                    ui.add_space(ui.spacing().indent);
                    tick_box(ui, forest, selection, c, &c.dn, msgs);
                });
            }
            Some(kids) => {
                let id = ui.make_persistent_id(("ou", forest, &c.dn));
                // The domain itself starts open; OUs start closed.
                egui::collapsing_header::CollapsingState::load_with_default_open(
                    ui.ctx(),
                    id,
                    c.parent.is_none(),
                )
                .show_header(ui, |ui| tick_box(ui, forest, selection, c, &c.dn, msgs))
                .body(|ui| {
                    for &k in kids {
                        self.node(ui, forest, selection, k, msgs);
                    }
                });
            }
        }
    }
}

/// One container's tri-state box.
fn tick_box(
    ui: &mut egui::Ui,
    forest: &str,
    selection: &OuSelection,
    container: &Container,
    dn: &str,
    msgs: &mut Vec<Msg>,
) {
    let tick = selection.tick(dn);
    let mut checked = tick == Tick::Checked;
    let response = ui.add(
        egui::Checkbox::new(&mut checked, &container.name).indeterminate(tick == Tick::Partial),
    );
    if response.clicked() {
        // A ticked or half-ticked box clears; a clear one ticks.
        msgs.push(Msg::TickContainer(
            forest.to_string(),
            dn.to_string(),
            tick == Tick::Unchecked,
        ));
    }
}
