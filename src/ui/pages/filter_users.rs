//! The Filter users and devices page: everyone, or a pilot group per forest with Find.

use crate::wizard::pages::filter_users::{EVERYONE, FIND, FINDING, FOUND, GROUP, PILOT};
use crate::wizard::probe::ProbeKind;
use crate::wizard::text;
use crate::wizard::{Msg, PageId, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::FilterUsers);
    let draft = wizard.draft();
    let mut msgs = Vec::new();
    if ui
        .radio(!draft.pilot_enabled, words.field(EVERYONE))
        .clicked()
    {
        msgs.push(Msg::SetPilotEnabled(false));
    }
    if ui.radio(draft.pilot_enabled, words.field(PILOT)).clicked() {
        msgs.push(Msg::SetPilotEnabled(true));
    }
    if !draft.pilot_enabled {
        return msgs;
    }
    let busy = wizard.probing(ProbeKind::FindGroup);
    for added in &draft.directories {
        let forest = &added.forest;
        ui.add_space(6.0);
        ui.label(egui::RichText::new(forest).strong());
        ui.horizontal(|ui| {
            let label = ui.label(words.field(GROUP));
            let mut typed = draft.pilot_groups.get(forest).cloned().unwrap_or_default();
            if ui
                .add(egui::TextEdit::singleline(&mut typed).desired_width(300.0))
                .labelled_by(label.id)
                .changed()
            {
                msgs.push(Msg::SetPilotGroup(forest.clone(), typed));
            }
            if ui
                .add_enabled(!busy, egui::Button::new(words.field(FIND)))
                .clicked()
            {
                msgs.push(Msg::FindPilotGroup(forest.clone()));
            }
            if wizard.facts().finding_group.as_deref() == Some(forest.as_str()) {
                ui.spinner();
                ui.label(words.message(FINDING));
            }
        });
        if let Some(Ok(found)) = wizard.facts().pilot_groups.get(forest) {
            ui.label(format!(
                "{}: {} ({})",
                words.field(FOUND),
                found.dn,
                found.members
            ));
        }
    }
    msgs
}
