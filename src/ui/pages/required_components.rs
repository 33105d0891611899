//! The Required components page: the data folder, the database server option, and importing
//! a settings file.

use crate::secret::Secret;
use crate::store::postgres::ConnectionProblem;
use crate::ui::widgets::{action_button, form_grid, text_row};
use crate::wizard::pages::required_components::database::{
    DB_CA_FILE, DB_HOST, DB_NAME, DB_PASSWORD, DB_PORT, DB_REUSE, DB_TEST, DB_TESTING, DB_TLS_OFF,
    DB_USABLE, DB_USE, DB_USER, DatabaseInput,
};
use crate::wizard::pages::required_components::{
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
    // Below the import: an imported file may fill these in too.
    ui.add_space(12.0);
    database(ui, wizard, &mut msgs);
    msgs
}

/// The "use an existing database server" option.
fn database(ui: &mut egui::Ui, wizard: &Wizard, msgs: &mut Vec<Msg>) {
    let words = text::page(PageId::RequiredComponents);
    let db = &wizard.draft().database;
    let mut enabled = db.enabled;
    if ui.checkbox(&mut enabled, words.field(DB_USE)).changed() {
        msgs.push(Msg::Database(DatabaseInput::Use(enabled)));
    }
    if !db.enabled {
        return;
    }
    form_grid("database-form").show(ui, |ui| {
        type Row<'a> = (&'static str, &'a str, fn(String) -> DatabaseInput);
        let rows: [Row<'_>; 5] = [
            (DB_HOST, &db.host, DatabaseInput::Host),
            (DB_PORT, &db.port, DatabaseInput::Port),
            (DB_NAME, &db.database, DatabaseInput::Database),
            (DB_USER, &db.user, DatabaseInput::User),
            (DB_CA_FILE, &db.ca_file, DatabaseInput::CaFile),
        ];
        for (field, value, input) in rows {
            if let Some(v) = text_row(ui, words.field(field), value, false) {
                msgs.push(Msg::Database(input(v)));
            }
        }
        if let Some(v) = text_row(ui, words.field(DB_PASSWORD), db.password.expose(), true) {
            msgs.push(Msg::Database(DatabaseInput::Password(Secret::new(v))));
        }
    });
    let mut tls_off = db.tls_off;
    if ui.checkbox(&mut tls_off, words.field(DB_TLS_OFF)).changed() {
        msgs.push(Msg::Database(DatabaseInput::TlsOff(tls_off)));
    }
    let testing = wizard.probing(ProbeKind::Database);
    if action_button(ui, words.field(DB_TEST), db.incomplete().is_none(), testing) {
        msgs.push(Msg::TestDatabase);
    }
    if testing {
        ui.label(words.message(DB_TESTING));
    }
    let current = wizard
        .facts()
        .database
        .as_ref()
        .filter(|t| Some(&t.tested) == db.server().as_ref());
    match current.map(|t| &t.outcome) {
        Some(Ok(version)) => {
            ui.label(format!("{} {version}", words.message(DB_USABLE)));
        }
        Some(Err(ConnectionProblem::HoldsSkybridgeData { .. })) => {
            let mut reuse = db.reuse;
            if ui.checkbox(&mut reuse, words.field(DB_REUSE)).changed() {
                msgs.push(Msg::Database(DatabaseInput::Reuse(reuse)));
            }
        }
        _ => {}
    }
}
