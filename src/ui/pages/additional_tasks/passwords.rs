//! Password synchronization: the enrolled agents (last seen, version), what was delivered since
//! the service started, recent failures in the tenant's words, how many synchronized users no
//! password has reached yet, and a one-time enrolment code for the next domain controller.

use crate::engine::install::Installation;
use crate::ops::passwords::when;
use crate::ui::widgets::{action_button, failure};
use crate::wizard::pages::additional_tasks::{
    PASSWORDS_AGENT, PASSWORDS_CODE, PASSWORDS_COUNTS, PASSWORDS_FAILED, PASSWORDS_FAILURE,
    PASSWORDS_HELP, PASSWORDS_INSTALL, PASSWORDS_NEW_CODE, PASSWORDS_NO_AGENT, PASSWORDS_OFF,
    PASSWORDS_REFRESH, PASSWORDS_WITHOUT,
};
use crate::wizard::probe::ProbeKind;
use crate::wizard::text::PageText;
use crate::wizard::{Msg, Wizard};

/// Draws the pane.
pub(super) fn show(
    ui: &mut egui::Ui,
    words: &PageText,
    wizard: &Wizard,
    settings: &Installation,
    msgs: &mut Vec<Msg>,
) {
    if settings.password_sync().is_none() {
        ui.label(words.message(PASSWORDS_OFF));
        return;
    }
    ui.label(words.field(PASSWORDS_HELP));
    ui.add_space(6.0);
    let busy = wizard.probing(ProbeKind::Passwords);
    match &wizard.facts().password_status {
        None => {
            if !busy {
                msgs.push(Msg::ReadPasswordStatus);
            }
            ui.spinner();
        }
        Some(Err(why)) => failure(ui, words.message(PASSWORDS_FAILED), why),
        Some(Ok(status)) => {
            if status.agents.is_empty() {
                ui.label(egui::RichText::new(words.field(PASSWORDS_NO_AGENT)).strong());
            }
            for agent in &status.agents {
                let last_seen = agent.last_seen.map_or_else(|| "—".into(), when);
                ui.label(words.field_with(
                    PASSWORDS_AGENT,
                    &[
                        ("name", &agent.name),
                        ("revoked", if agent.revoked { " (revoked)" } else { "" }),
                        ("last_seen", &last_seen),
                        ("version", agent.version.as_deref().unwrap_or("?")),
                    ],
                ));
            }
            ui.label(words.field_with(
                PASSWORDS_COUNTS,
                &[
                    ("received", &status.received.to_string()),
                    ("delivered", &status.delivered.to_string()),
                    ("failed", &status.failed.to_string()),
                    ("waiting", &status.waiting.to_string()),
                    ("staged", &status.held_by_staging.to_string()),
                ],
            ));
            if let Some(count) = status.users_without_password.filter(|n| *n > 0) {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    words.field_with(PASSWORDS_WITHOUT, &[("count", &count.to_string())]),
                );
            }
            for (user, said) in &status.recent_failures {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    words.field_with(PASSWORDS_FAILURE, &[("user", user), ("words", said)]),
                );
            }
            if action_button(ui, words.field(PASSWORDS_REFRESH), true, busy) {
                msgs.push(Msg::ReadPasswordStatus);
            }
        }
    }
    ui.add_space(8.0);
    if action_button(ui, words.field(PASSWORDS_NEW_CODE), true, busy) {
        msgs.push(Msg::NewEnrolmentCode);
    }
    match &wizard.facts().enrolment_code {
        Some(Ok(code)) => {
            ui.label(
                egui::RichText::new(words.field_with(
                    PASSWORDS_CODE,
                    &[
                        ("code", &code.code),
                        ("expires", &when(code.expires)),
                        ("fingerprint", &code.service_fingerprint),
                    ],
                ))
                .strong(),
            );
            ui.label(words.field_with(PASSWORDS_INSTALL, &[("listen", &code.listen)]));
        }
        Some(Err(why)) => failure(ui, words.message(PASSWORDS_FAILED), why),
        None => {}
    }
}
