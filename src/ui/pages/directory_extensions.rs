//! The Directory extensions page: a case-sensitive search over the forests' attributes, the
//! matching ones with a box each (only the rows on screen are drawn, so a schema of thousands
//! of attributes stays fast), and the chosen ones with their count against the limit.

use crate::engine::extensions::MAX_EXTENSIONS;
use crate::wizard::pages::directory_extensions::{
    AVAILABLE, CHOSEN, COUNT, Candidate, GROUPS, MULTI, SEARCH, USERS, candidates, matching,
};
use crate::wizard::text;
use crate::wizard::{Msg, PageId, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::DirectoryExtensions);
    let draft = wizard.draft();
    let mut msgs = Vec::new();
    let all = candidates(draft, wizard.facts());
    ui.horizontal(|ui| {
        let label = ui.label(words.field(SEARCH));
        let mut search = draft.extension_search.clone();
        if ui
            .add(egui::TextEdit::singleline(&mut search).desired_width(260.0))
            .labelled_by(label.id)
            .changed()
        {
            msgs.push(Msg::SetExtensionSearch(search));
        }
    });
    let shown = matching(&all, &draft.extension_search);
    // Room below for the "before you continue" list the shell draws.
    let height = (ui.available_height() - 110.0).max(160.0);
    ui.columns(2, |columns| {
        columns[0].label(egui::RichText::new(words.field(AVAILABLE)).strong());
        let row = columns[0].spacing().interact_size.y;
        egui::ScrollArea::vertical()
            .id_salt("available")
            .max_height(height)
            .show_rows(&mut columns[0], row, shown.len(), |ui, rows| {
                for c in &shown[rows] {
                    let mut on = draft.extensions.contains(&c.name);
                    if ui
                        .checkbox(&mut on, c.name.as_str())
                        .on_hover_text(describe(words, c))
                        .changed()
                    {
                        msgs.push(Msg::SetExtension(c.name.clone(), on));
                    }
                }
            });
        columns[1].label(egui::RichText::new(words.field(CHOSEN)).strong());
        columns[1].label(
            words
                .field(COUNT)
                .replace("{n}", &draft.extensions.len().to_string())
                .replace("{max}", &MAX_EXTENSIONS.to_string()),
        );
        egui::ScrollArea::vertical()
            .id_salt("chosen")
            .max_height(height)
            .show(&mut columns[1], |ui| {
                for name in &draft.extensions {
                    let found = all.iter().find(|c| &c.name == name);
                    ui.horizontal(|ui| {
                        // Unticking removes it; the id keeps it apart from the left-hand box.
                        let mut on = true;
                        let response = ui.push_id(("chosen", name), |ui| {
                            ui.checkbox(&mut on, format!("{name} "))
                        });
                        if response.inner.changed() {
                            msgs.push(Msg::SetExtension(name.clone(), false));
                        }
                        if let Some(c) = found {
                            ui.label(egui::RichText::new(describe(words, c)).weak());
                        }
                    });
                }
            });
    });
    msgs
}

/// "String · users, groups · several values".
fn describe(words: &text::PageText, c: &Candidate) -> String {
    let mut holders = Vec::new();
    if c.users {
        holders.push(words.field(USERS));
    }
    if c.groups {
        holders.push(words.field(GROUPS));
    }
    let mut out = format!("{} · {}", c.data_type.tenant_name(), holders.join(", "));
    if c.multi_valued {
        out.push_str(" · ");
        out.push_str(words.field(MULTI));
    }
    out
}
