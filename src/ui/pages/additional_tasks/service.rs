//! The service's state above the task list, with what can be done to it: start (again, after a
//! crash), stop, register with systemd or unregister, and what the last of these did.

use crate::ops::installed::{Installed, ServiceAction};
use crate::ui::widgets::failure;
use crate::wizard::pages::additional_tasks::{
    LINGER_NOTE, REGISTER, REGISTERED, SERVICE_FAILED, SERVICE_RUNNING, SERVICE_STALE,
    SERVICE_STOPPED, START_AGAIN, START_SERVICE, STOP_SERVICE, UNREGISTER,
};
use crate::wizard::pages::ready_to_configure::CAN_REGISTER;
use crate::wizard::probe::ProbeKind;
use crate::wizard::text::PageText;
use crate::wizard::{Msg, Wizard};

/// The service's state, with what can be done to it: start (again, after a crash), stop,
/// register with systemd or unregister.
pub(super) fn show(
    ui: &mut egui::Ui,
    words: &PageText,
    wizard: &Wizard,
    installed: &Installed,
    msgs: &mut Vec<Msg>,
) {
    let busy = wizard.probing(ProbeKind::TaskChange);
    ui.horizontal_wrapped(|ui| {
        match (&installed.service, installed.stale) {
            (Some(status), _) => {
                ui.label(words.field_with(SERVICE_RUNNING, &[("pid", &status.pid.to_string())]));
                if ui
                    .add_enabled(!busy, egui::Button::new(words.field(STOP_SERVICE)))
                    .clicked()
                {
                    msgs.push(Msg::ServiceAction(ServiceAction::Stop));
                }
            }
            (None, true) => {
                ui.colored_label(ui.visuals().warn_fg_color, words.field(SERVICE_STALE));
                if ui
                    .add_enabled(!busy, egui::Button::new(words.field(START_AGAIN)))
                    .clicked()
                {
                    msgs.push(Msg::ServiceAction(ServiceAction::Start));
                }
            }
            (None, false) => {
                ui.label(egui::RichText::new(words.field(SERVICE_STOPPED)).weak());
                if ui
                    .add_enabled(!busy, egui::Button::new(words.field(START_SERVICE)))
                    .clicked()
                {
                    msgs.push(Msg::ServiceAction(ServiceAction::Start));
                }
            }
        }
        if busy {
            ui.spinner();
        }
    });
    if CAN_REGISTER {
        ui.horizontal_wrapped(|ui| match &installed.registered {
            Some(unit) => {
                ui.label(words.field_with(REGISTERED, &[("unit", unit)]));
                if ui
                    .add_enabled(!busy, egui::Button::new(words.field(UNREGISTER)))
                    .clicked()
                {
                    msgs.push(Msg::ServiceAction(ServiceAction::Unregister));
                }
            }
            None => {
                if ui
                    .add_enabled(!busy, egui::Button::new(words.field(REGISTER)))
                    .clicked()
                {
                    msgs.push(Msg::ServiceAction(ServiceAction::Register));
                }
                ui.label(egui::RichText::new(words.field(LINGER_NOTE)).weak());
            }
        });
    }
    match &wizard.facts().service_action {
        Some(Ok(done)) => {
            ui.label(done);
        }
        Some(Err(why)) => {
            failure(ui, words.message(SERVICE_FAILED), why);
        }
        None => {}
    }
}
