//! The AD FS farm page: a new farm or one that runs, the service and display names; for a new
//! farm its certificate file (Browse, Check certificate, a row per check and the thumbprint),
//! for a running one its metadata (Fetch metadata and a row per check).

use crate::ui::federation::{metadata_fields, metadata_form, outcome_grid, set};
use crate::ui::widgets::{action_button, form_grid, text_row};
use crate::wizard::federation::{Farm, FedMsg};
use crate::wizard::pages::adfs_farm::{
    BROWSE, CERTIFICATE_FILE, CERTIFICATE_PASSWORD, CHECK_CERTIFICATE, DISPLAY_NAME, EXISTING_FARM,
    NEW_FARM, SERVICE_NAME, THUMBPRINT, WINDOWS_NOTE, certificate_label,
};
use crate::wizard::probe::ProbeKind;
use crate::wizard::text;
use crate::wizard::{Msg, PageId, PathFor, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::AdfsFarm);
    let draft = &wizard.draft().federation;
    let mut msgs = Vec::new();
    ui.add(egui::Label::new(egui::RichText::new(words.field(WINDOWS_NOTE)).weak()).wrap());
    ui.add_space(6.0);
    for (farm, field) in [(Farm::New, NEW_FARM), (Farm::Existing, EXISTING_FARM)] {
        if ui.radio(draft.farm == farm, words.field(field)).clicked() {
            set(&mut msgs, FedMsg::SetFarm(farm));
        }
    }
    ui.add_space(6.0);
    form_grid("farm-form").show(ui, |ui| {
        if let Some(v) = text_row(ui, words.field(SERVICE_NAME), &draft.service_name, false) {
            set(&mut msgs, FedMsg::SetServiceName(v));
        }
        if let Some(v) = text_row(ui, words.field(DISPLAY_NAME), &draft.display_name, false) {
            set(&mut msgs, FedMsg::SetDisplayName(v));
        }
        if draft.farm == Farm::New {
            if let Some(v) = text_row(
                ui,
                words.field(CERTIFICATE_FILE),
                &draft.certificate_file,
                false,
            ) {
                set(&mut msgs, FedMsg::SetCertificateFile(v));
            }
            if let Some(v) = text_row(
                ui,
                words.field(CERTIFICATE_PASSWORD),
                draft.certificate_password.expose(),
                true,
            ) {
                set(
                    &mut msgs,
                    FedMsg::SetCertificatePassword(crate::secret::Secret::new(v)),
                );
            }
            // Where configuring waits for the new farm's metadata.
            metadata_fields(ui, words, draft, &mut msgs);
        }
    });
    if draft.farm == Farm::Existing {
        ui.add_space(6.0);
        metadata_form(ui, wizard, words, &mut msgs);
        return msgs;
    }
    ui.horizontal(|ui| {
        let browse = format!(
            "{} ({})",
            words.field(BROWSE),
            words.field(CERTIFICATE_FILE)
        );
        if ui.button(browse).clicked() {
            msgs.push(Msg::Browse(PathFor::FarmCertificate));
        }
    });
    let busy = wizard.probing(ProbeKind::Federation);
    let ready = !draft.certificate_file.trim().is_empty() && !draft.name().is_empty();
    if action_button(ui, words.field(CHECK_CERTIFICATE), ready, busy) {
        msgs.push(Msg::CheckFarmCertificate);
    }
    if let Some(found) = &wizard.facts().federation.certificate {
        let rows = found.findings.iter().map(|f| {
            let name = words.field(certificate_label(f.check)).to_string();
            (name, f.outcome, f.detail.as_str())
        });
        outcome_grid(ui, "certificate-checks", words, rows);
        if let Some(print) = &found.thumbprint {
            ui.label(format!("{}: {print}", words.field(THUMBPRINT)));
        }
    }
    msgs
}
