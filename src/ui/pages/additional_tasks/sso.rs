//! Manage single sign-on: each forest's `AZUREADSSOACC` with the age of its key (a warning past
//! [`SSO_KEY_DAYS`]), and a domain administrator to create it or renew its key.

use crate::ops::sso::SSO_KEY_DAYS;
use crate::ui::widgets::{action_button, failure};
use crate::wizard::pages::additional_tasks::{
    LOAD_FAILED, SSO_ACCOUNT, SSO_ADMIN, SSO_CREATE, SSO_FAILED, SSO_HELP, SSO_NONE, SSO_OLD,
    SSO_PASSWORD, SSO_RENEW, SSO_UNREADABLE,
};
use crate::wizard::probe::ProbeKind;
use crate::wizard::text::PageText;
use crate::wizard::{Msg, Wizard};

/// Manage single sign-on: each forest's AZUREADSSOACC with the age of its key, and a domain
/// administrator to create it or renew its key.
pub(super) fn show(ui: &mut egui::Ui, words: &PageText, wizard: &Wizard, msgs: &mut Vec<Msg>) {
    ui.label(words.field(SSO_HELP));
    ui.add_space(6.0);
    let states = match &wizard.facts().sso_states {
        None => {
            if !wizard.probing(ProbeKind::SsoStates) {
                msgs.push(Msg::ReadSsoStates);
            }
            ui.spinner();
            return;
        }
        Some(Err(why)) => {
            ui.label(format!("{} {why}", words.message(LOAD_FAILED)));
            return;
        }
        Some(Ok(states)) => states,
    };
    let busy = wizard.probing(ProbeKind::SsoAdmin);
    for f in states {
        let forest = f.forest.as_str();
        let exists = match &f.state {
            Ok(Some(state)) => {
                let date = state
                    .key_set
                    .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
                    .map(|t| t.date().to_string())
                    .unwrap_or_else(|| "?".into());
                let days = f.key_age_days.map(|d| d.to_string()).unwrap_or_default();
                ui.label(
                    egui::RichText::new(words.field_with(
                        SSO_ACCOUNT,
                        &[
                            ("forest", forest),
                            ("dn", &state.dn),
                            ("date", &date),
                            ("days", &days),
                        ],
                    ))
                    .strong(),
                );
                if f.key_age_days.is_some_and(|d| d > SSO_KEY_DAYS) {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        words.field_with(SSO_OLD, &[("days", &days)]),
                    );
                }
                true
            }
            Ok(None) => {
                ui.label(
                    egui::RichText::new(words.field_with(SSO_NONE, &[("forest", forest)])).strong(),
                );
                false
            }
            Err(why) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("{forest}: {} {why}", words.message(SSO_UNREADABLE)),
                );
                continue;
            }
        };
        let entry = crate::wizard::state::sso::entry(wizard.draft(), forest);
        crate::ui::widgets::form_grid(("sso-task", forest)).show(ui, |ui| {
            if let Some(account) =
                crate::ui::widgets::text_row(ui, words.field(SSO_ADMIN), &entry.account, false)
            {
                msgs.push(Msg::SetSsoAccount(forest.to_string(), account));
            }
            if let Some(password) = crate::ui::widgets::text_row(
                ui,
                words.field(SSO_PASSWORD),
                entry.password.expose(),
                true,
            ) {
                msgs.push(Msg::SetSsoPassword(
                    forest.to_string(),
                    crate::secret::Secret::new(password),
                ));
            }
        });
        let action = if exists { SSO_RENEW } else { SSO_CREATE };
        let ready = !entry.account.trim().is_empty() && !entry.password.expose().is_empty();
        if action_button(ui, words.field(action), ready, busy) {
            msgs.push(Msg::RenewSso(forest.to_string()));
        }
        match wizard.facts().sso_renewed.get(forest) {
            Some(Ok(done)) => {
                ui.label(done);
            }
            Some(Err(why)) => failure(ui, words.message(SSO_FAILED), why),
            None => {}
        }
        ui.add_space(8.0);
    }
}
