//! The troubleshooting checklist: run on request, each check with its outcome and detail.

use crate::engine::troubleshoot::Outcome;
use crate::ui::widgets::action_button;
use crate::wizard::pages::additional_tasks::{CHECK_FAIL, CHECK_PASS, CHECK_WARN, RUN_CHECKS};
use crate::wizard::probe::ProbeKind;
use crate::wizard::text::PageText;
use crate::wizard::{Msg, Wizard};

/// Draws the Run the checks button and the last run's checks.
pub(super) fn show(ui: &mut egui::Ui, words: &PageText, wizard: &Wizard, msgs: &mut Vec<Msg>) {
    if action_button(
        ui,
        words.field(RUN_CHECKS),
        true,
        wizard.probing(ProbeKind::TaskChange),
    ) {
        msgs.push(Msg::RunChecks);
    }
    ui.add_space(6.0);
    match &wizard.facts().checks {
        Some(Ok(checks)) => {
            egui::ScrollArea::vertical().show(ui, |ui| {
                egui::Grid::new("checks")
                    .num_columns(3)
                    .spacing([12.0, 4.0])
                    .striped(true)
                    .show(ui, |ui| {
                        for c in checks {
                            let (field, colour) = match c.outcome {
                                Outcome::Pass => (CHECK_PASS, ui.visuals().text_color()),
                                Outcome::Warn => (CHECK_WARN, ui.visuals().warn_fg_color),
                                Outcome::Fail => (CHECK_FAIL, ui.visuals().error_fg_color),
                            };
                            ui.colored_label(colour, words.field(field));
                            ui.label(&c.name);
                            ui.label(&c.detail);
                            ui.end_row();
                        }
                    });
            });
        }
        Some(Err(why)) => {
            ui.colored_label(ui.visuals().error_fg_color, why.to_string());
        }
        None => {}
    }
}
