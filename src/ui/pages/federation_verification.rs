//! The federation verification page: the DNS servers, Run checks, a row per check, and the
//! new farm's deployment script.

use crate::ui::federation::{check_rows, set};
use crate::ui::widgets::{action_button, form_grid, text_row};
use crate::wizard::federation::{Farm, FedMsg, farm_plan};
use crate::wizard::pages::federation_verification::{
    EXTERNAL_DNS, INTERNAL_DNS, RUN_CHECKS, SCRIPT,
};
use crate::wizard::probe::ProbeKind;
use crate::wizard::text;
use crate::wizard::{Msg, PageId, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::FederationVerification);
    let draft = &wizard.draft().federation;
    let mut msgs = Vec::new();
    form_grid("dns-form").show(ui, |ui| {
        if let Some(v) = text_row(ui, words.field(INTERNAL_DNS), &draft.internal_dns, false) {
            set(&mut msgs, FedMsg::SetInternalDns(v));
        }
        if let Some(v) = text_row(ui, words.field(EXTERNAL_DNS), &draft.external_dns, false) {
            set(&mut msgs, FedMsg::SetExternalDns(v));
        }
    });
    let busy = wizard.probing(ProbeKind::Federation);
    if action_button(ui, words.field(RUN_CHECKS), true, busy) {
        msgs.push(Msg::RunFederationChecks);
    }
    if let Some(Ok(rows)) = &wizard.facts().federation.verification {
        check_rows(ui, words, rows);
    }
    if draft.farm == Farm::New
        && let Some(plan) = farm_plan(wizard.draft(), wizard.facts())
    {
        ui.add_space(8.0);
        egui::CollapsingHeader::new(words.field(SCRIPT))
            .default_open(false)
            .show(ui, |ui| {
                let mut script = crate::federation::deploy::script(&plan, "(when configured)");
                egui::ScrollArea::vertical()
                    .max_height(220.0)
                    .show(ui, |ui| {
                        ui.add(
                            egui::TextEdit::multiline(&mut script)
                                .code_editor()
                                .interactive(false)
                                .desired_width(f32::INFINITY),
                        );
                    });
            });
    }
    msgs
}
