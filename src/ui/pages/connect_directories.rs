//! The Connect your directories page: the list of added forests, and the form that adds one.

use crate::secret::Secret;
use crate::ui::widgets::{form_grid, text_row};
use crate::wizard::InstallMode;
use crate::wizard::pages::connect_directories::{
    ACCOUNT, ADD, ADDED, ADMIN_ACCOUNT, ADMIN_PASSWORD, CA_FILE, CONNECTING, CREATE_NEW, CREATED,
    PASSWORD, REMOVE, SERVER, STARTTLS, USE_EXISTING, creates_account,
};
use crate::wizard::probe::ProbeKind;
use crate::wizard::text;
use crate::wizard::{Msg, PageId, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::ConnectDirectories);
    let draft = wizard.draft();
    let mut msgs = Vec::new();
    if !draft.directories.is_empty() {
        ui.label(egui::RichText::new(words.field(ADDED)).strong());
    }
    for added in &draft.directories {
        ui.horizontal(|ui| {
            ui.label(format!("{} — {}", added.forest, added.form.account));
            if ui.small_button(words.field(REMOVE)).clicked() {
                msgs.push(Msg::RemoveDirectory(added.forest.clone()));
            }
        });
    }
    if let Some(created) = &wizard.facts().created_connector {
        ui.label(format!("{} {created}", words.field(CREATED)));
    }
    ui.add_space(8.0);
    let form = &draft.directory_form;
    let creating = creates_account(draft);
    // The express install always creates the account: it offers no choice.
    if draft.mode != Some(InstallMode::Express) {
        if ui.radio(!creating, words.field(USE_EXISTING)).clicked() {
            msgs.push(Msg::SetDirectoryCreateAccount(false));
        }
        if ui.radio(creating, words.field(CREATE_NEW)).clicked() {
            msgs.push(Msg::SetDirectoryCreateAccount(true));
        }
    }
    let (account_label, password_label) = if creating {
        (words.field(ADMIN_ACCOUNT), words.field(ADMIN_PASSWORD))
    } else {
        (words.field(ACCOUNT), words.field(PASSWORD))
    };
    form_grid("directory-form").show(ui, |ui| {
        if let Some(v) = text_row(ui, words.field(SERVER), &form.server, false) {
            msgs.push(Msg::SetDirectoryServer(v));
        }
        if let Some(v) = text_row(ui, account_label, &form.account, false) {
            msgs.push(Msg::SetDirectoryAccount(v));
        }
        if let Some(v) = text_row(ui, password_label, form.password.expose(), true) {
            msgs.push(Msg::SetDirectoryPassword(Secret::new(v)));
        }
        if let Some(v) = text_row(ui, words.field(CA_FILE), &form.ca_file, false) {
            msgs.push(Msg::SetDirectoryCaFile(v));
        }
    });
    let mut starttls = form.starttls;
    if ui.checkbox(&mut starttls, words.field(STARTTLS)).changed() {
        msgs.push(Msg::SetDirectoryStartTls(starttls));
    }
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        let busy = wizard.probing(ProbeKind::Directory);
        if ui
            .add_enabled(!busy, egui::Button::new(words.field(ADD)))
            .clicked()
        {
            msgs.push(Msg::AddDirectory);
        }
        if busy {
            ui.spinner();
            ui.label(words.message(CONNECTING));
        }
    });
    msgs
}
