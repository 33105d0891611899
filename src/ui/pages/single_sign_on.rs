//! The Single sign-on page: per forest, the domain administrator with Verify, or Skip.

use crate::secret::Secret;
use crate::ui::widgets::{form_grid, text_row};
use crate::wizard::pages::single_sign_on::{
    ACCOUNT, PASSWORD, SKIP, TENANT_NOTE, VERIFIED, VERIFY, VERIFYING,
};
use crate::wizard::probe::ProbeKind;
use crate::wizard::state::sso::entry;
use crate::wizard::text;
use crate::wizard::{Msg, PageId, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::SingleSignOn);
    let draft = wizard.draft();
    let mut msgs = Vec::new();
    ui.label(egui::RichText::new(words.field(TENANT_NOTE)).weak());
    ui.add_space(8.0);
    for added in &draft.directories {
        let forest = &added.forest;
        let e = entry(draft, forest);
        ui.push_id(forest, |ui| {
            ui.label(egui::RichText::new(forest).strong());
            let mut skip = e.skip;
            if ui.checkbox(&mut skip, words.field(SKIP)).changed() {
                msgs.push(Msg::SetSsoSkip(forest.clone(), skip));
            }
            if e.skip {
                return;
            }
            form_grid(("sso", forest)).show(ui, |ui| {
                if let Some(v) = text_row(ui, words.field(ACCOUNT), &e.account, false) {
                    msgs.push(Msg::SetSsoAccount(forest.clone(), v));
                }
                if let Some(v) = text_row(ui, words.field(PASSWORD), e.password.expose(), true) {
                    msgs.push(Msg::SetSsoPassword(forest.clone(), Secret::new(v)));
                }
            });
            ui.horizontal(|ui| {
                let busy = wizard.probing(ProbeKind::SsoAdmin);
                if ui
                    .add_enabled(!busy, egui::Button::new(words.field(VERIFY)))
                    .clicked()
                {
                    msgs.push(Msg::VerifySso(forest.clone()));
                }
                if wizard.facts().verifying_sso.as_deref() == Some(forest.as_str()) {
                    ui.spinner();
                    ui.label(words.message(VERIFYING));
                } else if let Some(Ok(())) = wizard.facts().sso_checks.get(forest) {
                    ui.label(words.field(VERIFIED));
                }
            });
        });
        ui.add_space(8.0);
    }
    msgs
}
