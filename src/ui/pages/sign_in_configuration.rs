//! The Sign-in configuration page: the suffix table with Refresh, and the sign-in attribute.

use crate::ui::widgets::{form_grid, text_row};
use crate::wizard::pages::sign_in_configuration::{
    ATTRIBUTE, ATTRIBUTE_NAME, FOREST, REFRESH, STATE, SUFFIX, SUFFIXES, USE_OTHER, USE_UPN,
    suffixes,
};
use crate::wizard::probe::ProbeKind;
use crate::wizard::text;
use crate::wizard::{Msg, PageId, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::SignInConfiguration);
    let draft = wizard.draft();
    let mut msgs = Vec::new();
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new(words.field(SUFFIXES)).strong());
        let busy = wizard.probing(ProbeKind::TenantSignIn);
        // Refresh signs in again, which reads the tenant's domains anew.
        if ui
            .add_enabled(!busy, egui::Button::new(words.field(REFRESH)))
            .clicked()
        {
            msgs.push(Msg::SignInTenant);
        }
        if busy {
            ui.spinner();
        }
    });
    egui::Grid::new("suffixes")
        .num_columns(3)
        .striped(true)
        .spacing([24.0, 4.0])
        .show(ui, |ui| {
            for heading in [SUFFIX, FOREST, STATE] {
                ui.label(egui::RichText::new(words.field(heading)).weak());
            }
            ui.end_row();
            for row in suffixes(draft, wizard.facts()) {
                ui.label(&row.suffix);
                ui.label(&row.forest);
                ui.label(words.field(row.state.field()));
                ui.end_row();
            }
        });
    ui.add_space(10.0);
    ui.label(egui::RichText::new(words.field(ATTRIBUTE)).strong());
    let other = draft.alternate_sign_in.clone();
    if ui.radio(other.is_none(), words.field(USE_UPN)).clicked() {
        msgs.push(Msg::SetAlternateSignIn(None));
    }
    if ui.radio(other.is_some(), words.field(USE_OTHER)).clicked() && other.is_none() {
        msgs.push(Msg::SetAlternateSignIn(Some("mail".into())));
    }
    if let Some(name) = &other {
        form_grid("alternate-sign-in").show(ui, |ui| {
            if let Some(v) = text_row(ui, words.field(ATTRIBUTE_NAME), name, false) {
                msgs.push(Msg::SetAlternateSignIn(Some(v)));
            }
        });
    }
    msgs
}
