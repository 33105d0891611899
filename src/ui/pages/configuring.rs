//! The Configuring page (each step with its state, Retry and Stop) and the Complete page.

use crate::ui::shell::{Mark, step_marker};
use crate::wizard::pages::configuring::{
    DONE_LIST, NEXT_STEPS, PASSWORDS_NEXT, RETRY, SSO_NEXT, STOP, StepState,
};
use crate::wizard::text;
use crate::wizard::{Msg, PageId, Wizard};

/// Draws the Configuring page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::Configuring);
    let mut msgs = Vec::new();
    let Some(configuring) = &wizard.facts().configuring else {
        return msgs;
    };
    egui::Grid::new("configuring-steps")
        .num_columns(2)
        .spacing([10.0, 6.0])
        .show(ui, |ui| {
            for &step in configuring.steps.keys() {
                let state = configuring.state(step);
                match state {
                    StepState::Running => {
                        ui.add(egui::Spinner::new());
                    }
                    StepState::Done(_) => step_marker(ui, Mark::Done),
                    StepState::Failed(_) => step_marker(ui, Mark::Failed),
                    StepState::Pending => step_marker(ui, Mark::Ahead),
                }
                ui.vertical(|ui| {
                    let label = egui::RichText::new(words.field(step.field()));
                    ui.label(if *state == StepState::Running {
                        label.strong()
                    } else {
                        label
                    });
                    match state {
                        StepState::Done(line) if !line.is_empty() => {
                            ui.label(egui::RichText::new(line).weak());
                        }
                        StepState::Failed(why) => {
                            ui.label(egui::RichText::new(why).color(ui.visuals().error_fg_color));
                        }
                        StepState::Running => {
                            if let Some(line) = progress_line(configuring) {
                                ui.label(egui::RichText::new(line).weak());
                            }
                        }
                        _ => {}
                    }
                });
                ui.end_row();
            }
        });
    ui.add_space(10.0);
    // Only the button that applies now: Stop while a step runs, Retry once it has stopped.
    if configuring.running() {
        if ui
            .add_enabled(!configuring.stopping, egui::Button::new(words.field(STOP)))
            .clicked()
        {
            msgs.push(Msg::StopApply);
        }
    } else if !configuring.finished() && ui.button(words.field(RETRY)).clicked() {
        msgs.push(Msg::RetryApply);
    }
    msgs
}

/// Draws the Complete page body: what each step did, and what to do next.
pub fn complete(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::Complete);
    let steps = text::page(PageId::Configuring);
    if let Some(configuring) = &wizard.facts().configuring {
        ui.label(egui::RichText::new(words.field(DONE_LIST)).strong());
        for &step in configuring.steps.keys() {
            if let StepState::Done(line) = configuring.state(step) {
                ui.add_space(4.0);
                ui.label(egui::RichText::new(steps.field(step.field())).weak());
                ui.label(line);
            }
        }
        ui.add_space(10.0);
    }
    if let Some(configuring) = &wizard.facts().configuring
        && !configuring.carried.federation_checks.is_empty()
    {
        ui.label(
            egui::RichText::new(words.field(crate::wizard::pages::configuring::FEDERATION_CHECKS))
                .strong(),
        );
        crate::ui::federation::complete_rows(ui, &configuring.carried.federation_checks);
        ui.add_space(10.0);
    }
    ui.label(words.field(NEXT_STEPS));
    if wizard
        .facts()
        .configuring
        .as_ref()
        .is_some_and(|c| !c.plan.sso.is_empty())
    {
        ui.add_space(6.0);
        let forests = wizard
            .facts()
            .configuring
            .as_ref()
            .map(|c| {
                c.plan
                    .sso
                    .iter()
                    .map(|s| s.connector.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        ui.label(words.field_with(SSO_NEXT, &[("forests", &forests)]));
    }
    if let Some(configuring) = &wizard.facts().configuring
        && configuring.plan.sign_in == crate::wizard::SignInMethod::PasswordHashSync
    {
        ui.add_space(6.0);
        ui.label(words.field_with(
            PASSWORDS_NEXT,
            &[(
                "listen",
                &crate::passwords::address_for_agents(&configuring.plan.password_listen),
            )],
        ));
    }
    Vec::new()
}

/// The running step's progress in words, if it reported any.
fn progress_line(configuring: &crate::wizard::pages::configuring::Configuring) -> Option<String> {
    let (phase, handled) = configuring.progress.as_ref()?;
    Some(crate::wizard::pages::configuring::progress_text(
        phase, *handled,
    ))
}
