//! Search: connector-space objects and metaverse identities whose names or values hold the text
//! typed, each with what it is joined to, whether it is exported and why not.

use crate::engine::search::Hit;
use crate::ui::widgets::failure;
use crate::wizard::pages::additional_tasks::{
    FOUND, HIT_CS, HIT_DELETED, HIT_ERROR, HIT_JOINED, HIT_MV, HIT_NOT_EXPORTED, HIT_NOT_IN_TENANT,
    HIT_NOT_JOINED, HIT_PENDING, HIT_TENANT, SEARCH, SEARCH_BOX, SEARCH_FAILED, SEARCH_HINT,
};
use crate::wizard::probe::ProbeKind;
use crate::wizard::text::PageText;
use crate::wizard::{Msg, Wizard};

/// Search: connector-space objects and metaverse identities whose names or values hold the
/// text typed, each with what it is joined to, whether it is exported and why not.
pub(super) fn show(ui: &mut egui::Ui, words: &PageText, wizard: &Wizard, msgs: &mut Vec<Msg>) {
    let busy = wizard.probing(ProbeKind::Search);
    ui.horizontal(|ui| {
        let mut text = wizard.draft().tasks.search.clone();
        let label = ui.label(words.field(SEARCH_BOX));
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut text)
                    .hint_text(words.field(SEARCH_HINT))
                    .desired_width(320.0),
            )
            .labelled_by(label.id);
        if field.changed() {
            msgs.push(Msg::SetTaskSearch(text.clone()));
        }
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let ready = !text.trim().is_empty() && !busy;
        let pressed = ui
            .add_enabled(ready, egui::Button::new(words.field(SEARCH)))
            .clicked();
        if pressed || (entered && ready) {
            msgs.push(Msg::SearchInstalled);
        }
        if busy {
            ui.spinner();
        }
    });
    ui.add_space(6.0);
    let hits = match &wizard.facts().found {
        None => return,
        Some(Err(why)) => {
            failure(ui, words.message(SEARCH_FAILED), why);
            return;
        }
        Some(Ok(hits)) => hits,
    };
    ui.label(words.field_with(FOUND, &[("n", &hits.len().to_string())]));
    egui::ScrollArea::vertical().show(ui, |ui| {
        for hit in hits {
            match hit {
                Hit::ConnectorSpace {
                    connector,
                    dn,
                    class,
                    deleted,
                    joined_to,
                } => {
                    ui.label(
                        egui::RichText::new(words.field_with(
                            HIT_CS,
                            &[("connector", connector), ("class", class), ("dn", dn)],
                        ))
                        .strong(),
                    );
                    let state = match (deleted, joined_to) {
                        (true, _) => words.field(HIT_DELETED).to_string(),
                        (false, Some(id)) => words.field_with(HIT_JOINED, &[("id", id)]),
                        (false, None) => words.field(HIT_NOT_JOINED).to_string(),
                    };
                    ui.label(egui::RichText::new(format!("    {state}")).weak());
                }
                Hit::Metaverse {
                    id,
                    desired,
                    tenant_id,
                    not_exportable,
                    error,
                    pending,
                } => {
                    let name = desired["userPrincipalName"]
                        .as_str()
                        .or_else(|| desired["displayName"].as_str())
                        .unwrap_or_default();
                    ui.label(
                        egui::RichText::new(
                            words.field_with(HIT_MV, &[("id", id), ("name", name)]),
                        )
                        .strong(),
                    );
                    let mut lines = Vec::new();
                    match tenant_id {
                        Some(t) => lines.push(words.field_with(HIT_TENANT, &[("id", t)])),
                        None => lines.push(words.field(HIT_NOT_IN_TENANT).to_string()),
                    }
                    if let Some(why) = not_exportable {
                        lines.push(words.field_with(HIT_NOT_EXPORTED, &[("why", why)]));
                    }
                    if let Some(e) = error {
                        lines.push(words.field_with(HIT_ERROR, &[("error", e)]));
                    }
                    if let Some(p) = pending {
                        lines.push(words.field_with(HIT_PENDING, &[("change", p)]));
                    }
                    for line in lines {
                        ui.label(egui::RichText::new(format!("    {line}")).weak());
                    }
                }
            }
        }
    });
}
