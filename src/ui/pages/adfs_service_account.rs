//! The AD FS service account page: a group managed service account or a domain user (with its
//! password), and what a managed service account needs.

use crate::ui::federation::set;
use crate::ui::widgets::{form_grid, text_row};
use crate::wizard::federation::FedMsg;
use crate::wizard::pages::adfs_service_account::{
    ACCOUNT, ACCOUNT_PASSWORD, DOMAIN_USER, GMSA, KDS_NOTE,
};
use crate::wizard::text;
use crate::wizard::{Msg, PageId, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::AdfsServiceAccount);
    let draft = &wizard.draft().federation;
    let mut msgs = Vec::new();
    for (user, field) in [(false, GMSA), (true, DOMAIN_USER)] {
        if ui
            .radio(draft.user_account == user, words.field(field))
            .clicked()
        {
            set(&mut msgs, FedMsg::SetUserAccount(user));
        }
    }
    ui.add_space(6.0);
    form_grid("account-form").show(ui, |ui| {
        if let Some(v) = text_row(ui, words.field(ACCOUNT), &draft.account, false) {
            set(&mut msgs, FedMsg::SetAccount(v));
        }
        if draft.user_account
            && let Some(v) = text_row(
                ui,
                words.field(ACCOUNT_PASSWORD),
                draft.account_password.expose(),
                true,
            )
        {
            set(
                &mut msgs,
                FedMsg::SetAccountPassword(crate::secret::Secret::new(v)),
            );
        }
    });
    ui.add(egui::Label::new(egui::RichText::new(words.field(KDS_NOTE)).weak()).wrap());
    msgs
}
