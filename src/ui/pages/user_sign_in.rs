//! The User sign-in page: the sign-in method and seamless single sign-on.

use crate::wizard::pages::user_sign_in::{
    METHOD, PASSWORD_LISTEN, PASSWORD_SYNC_HOW, SINGLE_SIGN_ON,
};
use crate::wizard::text;
use crate::wizard::{Msg, PageId, SignInMethod, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::UserSignIn);
    let mut msgs = Vec::new();
    let draft = wizard.draft();
    ui.label(egui::RichText::new(words.field(METHOD)).strong());
    for &method in SignInMethod::ALL {
        if ui
            .add_enabled(
                method.unavailable().is_none(),
                egui::RadioButton::new(draft.sign_in == method, words.field(method.field())),
            )
            .clicked()
        {
            msgs.push(Msg::SetSignIn(method));
        }
        if method == SignInMethod::PasswordHashSync && draft.sign_in == method {
            ui.indent("password-sync", |ui| {
                ui.label(egui::RichText::new(words.message(PASSWORD_SYNC_HOW)).weak());
                ui.horizontal(|ui| {
                    let label = ui.label(words.field(PASSWORD_LISTEN));
                    let mut listen = draft.password_listen.clone();
                    if ui
                        .add(egui::TextEdit::singleline(&mut listen).desired_width(160.0))
                        .labelled_by(label.id)
                        .changed()
                    {
                        msgs.push(Msg::SetPasswordListen(listen));
                    }
                });
            });
        }
    }
    // What cannot be chosen says why, under the list.
    for &method in SignInMethod::ALL {
        if let Some(why) = method.unavailable() {
            ui.label(egui::RichText::new(words.message(why)).weak());
        }
    }
    ui.add_space(8.0);
    // Offered only where it can work; the validator says why when it cannot.
    let mut sso = draft.single_sign_on;
    let allowed = draft.sign_in.allows_single_sign_on();
    if ui
        .add_enabled(
            allowed,
            egui::Checkbox::new(&mut sso, words.field(SINGLE_SIGN_ON)),
        )
        .changed()
    {
        msgs.push(Msg::SetSingleSignOn(sso));
    }
    msgs
}
