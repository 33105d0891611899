//! The Required components page: the data folder, and importing a settings file.

use super::widgets::{form_grid, text_row};
use crate::wizard::components::{
    BROWSE, DATA_FOLDER, FOLDER_CHECKING, IMPORT, IMPORT_FILE, IMPORT_NOTES, IMPORT_RUNNING,
    IMPORTED_FROM, checked,
};
use crate::wizard::probe::ProbeKind;
use crate::wizard::text;
use crate::wizard::{Msg, PageId, PathFor, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::RequiredComponents);
    let draft = wizard.draft();
    let facts = wizard.facts();
    let mut msgs = Vec::new();
    form_grid("components-form").show(ui, |ui| {
        let folder = draft.data_dir.display().to_string();
        if let Some(v) = text_row(ui, words.field(DATA_FOLDER), &folder, false) {
            msgs.push(Msg::SetDataDir(v.into()));
        }
        if let Some(v) = text_row(ui, words.field(IMPORT_FILE), &draft.import_file, false) {
            msgs.push(Msg::SetImportFile(v));
        }
    });
    ui.horizontal(|ui| {
        // One Browse button per path, each named for what it chooses.
        let folder = format!("{} ({})", words.field(BROWSE), words.field(DATA_FOLDER));
        if ui.button(folder).clicked() {
            msgs.push(Msg::Browse(PathFor::DataFolder));
        }
        let file = format!("{} ({})", words.field(BROWSE), words.field(IMPORT));
        if ui.button(file).clicked() {
            msgs.push(Msg::Browse(PathFor::ImportSettings));
        }
        if draft.data_dir.is_absolute()
            && checked(facts, &draft.data_dir).is_none()
            && wizard.probing(ProbeKind::DataFolder)
        {
            ui.spinner();
            ui.label(words.message(FOLDER_CHECKING));
        }
    });
    ui.add_space(8.0);
    let importing = wizard.probing(ProbeKind::SettingsFile)
        || facts.import.as_ref().is_some_and(|run| !run.finished());
    ui.horizontal(|ui| {
        let ready = !draft.import_file.trim().is_empty() && !importing;
        if ui
            .add_enabled(ready, egui::Button::new(words.field(IMPORT)))
            .clicked()
        {
            msgs.push(Msg::ImportSettingsFrom(draft.import_file.trim().into()));
        }
        if importing {
            ui.spinner();
            ui.label(words.message(IMPORT_RUNNING));
        }
    });
    if let Some(run) = facts.import.as_ref().filter(|run| run.finished()) {
        ui.add_space(6.0);
        ui.label(format!("{} {}", words.field(IMPORTED_FROM), run.source()));
        if !run.notes.is_empty() {
            ui.label(egui::RichText::new(words.field(IMPORT_NOTES)).strong());
            for note in &run.notes {
                ui.add(egui::Label::new(format!("• {note}")).wrap());
            }
        }
    }
    msgs
}
