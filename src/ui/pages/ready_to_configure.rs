//! The Ready to configure page: the plan in words, staging mode and "start synchronizing".

use crate::wizard::pages::ready_to_configure::PASSWORD_SYNC_NOTE;
use crate::wizard::pages::ready_to_configure::{
    CAN_REGISTER, CHANGES, EXPORT, EXPORTED, NO_CHANGES, REGISTER_SERVICE, STAGING, START_SERVICE,
    START_SYNC, SUM_EXCEPT, SUM_EXCLUDED, SUM_EXTENSIONS, SUM_FEATURES, SUM_FEDERATION,
    SUM_FORESTS, SUM_PILOT, SUM_SCOPE, SUM_SIGN_IN, SUM_TENANT, SUMMARY, ServiceChoice,
};
use crate::wizard::text;
use crate::wizard::{Msg, PageId, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::ReadyToConfigure);
    let draft = wizard.draft();
    let mut msgs = Vec::new();
    let plan = wizard.plan().ok();
    if let Some(plan) = &plan {
        ui.label(egui::RichText::new(words.field(SUMMARY)).strong());
        let sign_in = text::page(PageId::UserSignIn).field(plan.sign_in.field());
        let features = text::page(PageId::OptionalFeatures);
        let rows: Vec<(&str, String)> = vec![
            (SUM_SIGN_IN, sign_in.to_string()),
            (SUM_TENANT, plan.tenant_name.clone()),
            (
                SUM_FEDERATION,
                plan.federation
                    .as_ref()
                    .map(|f| format!("{} ({})", f.domain, f.metadata_url))
                    .unwrap_or_default(),
            ),
            (
                SUM_FORESTS,
                plan.directories
                    .iter()
                    .map(|d| format!("{} ({})", d.connector, d.account))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            (
                SUM_SCOPE,
                plan.sync
                    .connectors
                    .iter()
                    .map(|c| {
                        let mut line = format!("{}: {}", c.name, c.included.join("; "));
                        if !c.excluded.is_empty() {
                            let except = words.field(SUM_EXCEPT);
                            line += &format!(" — {except} {}", c.excluded.join("; "));
                        }
                        line
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            (
                SUM_PILOT,
                plan.sync
                    .pilot_groups
                    .values()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            (
                SUM_FEATURES,
                plan.features
                    .iter()
                    .map(|f| features.field(f.field()).to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            (
                SUM_EXCLUDED,
                plan.sync
                    .excluded_attributes
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            (
                SUM_EXTENSIONS,
                plan.sync
                    .extensions
                    .iter()
                    .map(|e| e.attribute.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ];
        egui::Grid::new("plan-summary")
            .num_columns(2)
            .spacing([16.0, 4.0])
            .show(ui, |ui| {
                for (field, value) in rows.into_iter().filter(|(_, v)| !v.is_empty()) {
                    ui.label(egui::RichText::new(words.field(field)).weak());
                    ui.label(value);
                    ui.end_row();
                }
            });
        if plan.sign_in == crate::wizard::SignInMethod::PasswordHashSync {
            ui.add_space(6.0);
            ui.label(
                egui::RichText::new(
                    words.field_with(PASSWORD_SYNC_NOTE, &[("listen", &plan.password_listen)]),
                )
                .weak(),
            );
        }
        ui.add_space(10.0);
    }
    if draft.tasks.customizing {
        if let Some(plan) = &plan {
            changes(ui, wizard, plan);
        }
        return msgs;
    }
    let mut start = !draft.no_start_sync;
    if ui.checkbox(&mut start, words.field(START_SYNC)).changed() {
        msgs.push(Msg::SetStartSync(start));
    }
    ui.indent("service-choice", |ui| {
        ui.add_enabled_ui(start, |ui| {
            let mut service = draft.service != ServiceChoice::None;
            if ui
                .checkbox(&mut service, words.field(START_SERVICE))
                .changed()
            {
                msgs.push(Msg::SetServiceChoice(if service {
                    ServiceChoice::Start
                } else {
                    ServiceChoice::None
                }));
            }
            ui.add_enabled_ui(service && CAN_REGISTER, |ui| {
                let mut register = draft.service == ServiceChoice::Register;
                if ui
                    .checkbox(&mut register, words.field(REGISTER_SERVICE))
                    .changed()
                {
                    msgs.push(Msg::SetServiceChoice(if register {
                        ServiceChoice::Register
                    } else {
                        ServiceChoice::Start
                    }));
                }
            });
        });
    });
    let mut staging = draft.staging;
    if ui.checkbox(&mut staging, words.field(STAGING)).changed() {
        msgs.push(Msg::SetStaging(staging));
    }
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        if ui.button(words.field(EXPORT)).clicked() {
            msgs.push(Msg::Browse(crate::wizard::PathFor::ExportSettings));
        }
        if let Some(Ok(path)) = &wizard.facts().export {
            ui.label(format!("{} {path}", words.field(EXPORTED)));
        }
    });
    msgs
}

/// When customizing an installation: what would change, line by line, against the settings in
/// use.
fn changes(ui: &mut egui::Ui, wizard: &Wizard, plan: &crate::wizard::plan::InstallPlan) {
    let words = text::page(PageId::ReadyToConfigure);
    let Some(Ok(installed)) = &wizard.facts().installed else {
        return;
    };
    let new = crate::wizard::installed_choices::customized(
        &installed.settings,
        plan,
        wizard.draft().tasks.change,
    );
    let lines = crate::engine::config::differences(&installed.settings, &new);
    ui.label(egui::RichText::new(words.field(CHANGES)).strong());
    if lines.is_empty() {
        ui.label(egui::RichText::new(words.field(NO_CHANGES)).weak());
    }
    for line in lines {
        ui.label(format!("- {line}"));
    }
}
