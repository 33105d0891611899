//! The tasks that open a walk through the install's pages with today's values: Customize
//! synchronization options, Change user sign-in (with the method in use) and Convert a federated
//! domain, with the button they share.

use crate::ops::installed::Installed;
use crate::ui::widgets::{action_button, failure};
use crate::wizard::pages::additional_tasks::{
    CHANGE_FAILED, CUSTOMIZE_HELP, CUSTOMIZE_START, Change, FEDERATION_HELP, FEDERATION_START,
    SIGN_IN_HELP, SIGN_IN_NOW, SIGN_IN_START, SSO_IS_OFF, SSO_IS_ON,
};
use crate::wizard::probe::ProbeKind;
use crate::wizard::text::{self, PageText};
use crate::wizard::{Msg, PageId, Wizard};

/// Customize synchronization options: what it changes, and the button that opens the pages.
pub(super) fn customize(ui: &mut egui::Ui, words: &PageText, wizard: &Wizard, msgs: &mut Vec<Msg>) {
    ui.label(words.field(CUSTOMIZE_HELP));
    ui.add_space(6.0);
    begin_change(
        ui,
        words,
        wizard,
        Change::SyncOptions,
        CUSTOMIZE_START,
        msgs,
    );
}

/// Change user sign-in: the method in use, and the button that opens its pages.
pub(super) fn sign_in(
    ui: &mut egui::Ui,
    words: &PageText,
    wizard: &Wizard,
    installed: &Installed,
    msgs: &mut Vec<Msg>,
) {
    ui.label(words.field(SIGN_IN_HELP));
    ui.add_space(6.0);
    let method = installed
        .settings
        .sign_in
        .as_deref()
        .and_then(crate::wizard::SignInMethod::from_key)
        .unwrap_or_default();
    let page = text::page(PageId::UserSignIn);
    let sso = words.field(if installed.settings.single_sign_on {
        SSO_IS_ON
    } else {
        SSO_IS_OFF
    });
    ui.label(words.field_with(
        SIGN_IN_NOW,
        &[("method", page.field(method.field())), ("sso", sso)],
    ));
    ui.add_space(6.0);
    begin_change(ui, words, wizard, Change::SignIn, SIGN_IN_START, msgs);
}

/// Convert a federated domain: what converting does, and the button that opens its pages.
pub(super) fn federation(
    ui: &mut egui::Ui,
    words: &PageText,
    wizard: &Wizard,
    msgs: &mut Vec<Msg>,
) {
    ui.label(words.field(FEDERATION_HELP));
    ui.add_space(6.0);
    begin_change(
        ui,
        words,
        wizard,
        Change::Federation,
        FEDERATION_START,
        msgs,
    );
}

/// The button that opens a change's pages (busy while the installation is read), and why the
/// last change failed.
fn begin_change(
    ui: &mut egui::Ui,
    words: &PageText,
    wizard: &Wizard,
    change: Change,
    label: &str,
    msgs: &mut Vec<Msg>,
) {
    let busy = wizard.probing(ProbeKind::SettingsFile);
    if action_button(ui, words.field(label), true, busy) {
        msgs.push(Msg::BeginChange(change));
    }
    if let Some(Err(why)) = &wizard.facts().task_change {
        failure(ui, words.message(CHANGE_FAILED), why);
    }
}
