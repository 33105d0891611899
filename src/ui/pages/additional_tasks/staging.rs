//! Staging mode: the box, the change it would make shown before it is applied (with the pending
//! exports that turning it off releases), and Apply.

use crate::engine::config::differences;
use crate::ops::installed::Installed;
use crate::ui::widgets::{action_button, failure};
use crate::wizard::pages::additional_tasks::{
    APPLIED, APPLY, CHANGE_FAILED, CHANGES, NO_CHANGES, RELEASES, STAGING_BOX, staging_change,
};
use crate::wizard::probe::ProbeKind;
use crate::wizard::text::PageText;
use crate::wizard::{Msg, Wizard};

/// Draws the staging mode task: the box, the change it would make, and Apply.
pub(super) fn show(
    ui: &mut egui::Ui,
    words: &PageText,
    wizard: &Wizard,
    installed: &Installed,
    msgs: &mut Vec<Msg>,
) {
    let mut on = wizard
        .draft()
        .tasks
        .staging
        .unwrap_or(installed.settings.sync.staging);
    if ui.checkbox(&mut on, words.field(STAGING_BOX)).changed() {
        msgs.push(Msg::SetTaskStaging(on));
    }
    ui.add_space(6.0);
    let change = staging_change(wizard.draft(), installed);
    match &change {
        Some(new) => {
            ui.label(egui::RichText::new(words.field(CHANGES)).strong());
            for line in differences(&installed.settings, new) {
                ui.label(format!("• {line}"));
            }
            // Staging off: what has waited is written by the next cycle; show it first.
            if !new.sync.staging && !installed.pending.is_empty() {
                ui.add_space(6.0);
                ui.label(
                    words.field_with(RELEASES, &[("n", &installed.pending.len().to_string())]),
                );
                egui::ScrollArea::vertical()
                    .id_salt("released")
                    .max_height(160.0)
                    .show(ui, |ui| super::pending::show(ui, words, installed));
            }
        }
        None => {
            ui.label(egui::RichText::new(words.field(NO_CHANGES)).weak());
        }
    }
    ui.add_space(6.0);
    if action_button(
        ui,
        words.field(APPLY),
        change.is_some(),
        wizard.probing(ProbeKind::TaskChange),
    ) {
        msgs.push(Msg::ApplyTaskChange);
    }
    match &wizard.facts().task_change {
        Some(Ok(applied)) => {
            ui.label(words.field_with(APPLIED, &[("version", &applied.version.to_string())]));
        }
        Some(Err(why)) => {
            failure(ui, words.message(CHANGE_FAILED), why);
        }
        None => {}
    }
}
