//! The federation pages: AD FS farm, federation servers, proxies, service account, domain,
//! verification (with the deployment script), and PingFederate. Each check's outcome is shown
//! as a row: what was checked, passed / warning / failed, and what was found.

use crate::federation::certificate::Outcome;
use crate::ui::widgets::{action_button, form_grid, text_row};
use crate::wizard::pages::federation::{
    self as fed, CheckRow, Farm, FedMsg, MetadataFacts, certificate_label, metadata_label,
    outcome_label,
};
use crate::wizard::probe::ProbeKind;
use crate::wizard::text::{self, PageText};
use crate::wizard::{Msg, PageId, PathFor, Wizard};

fn set(msgs: &mut Vec<Msg>, input: FedMsg) {
    msgs.push(Msg::Federation(input));
}

/// A multi-line text box with its label; the new text when it changed.
fn text_area(ui: &mut egui::Ui, label: &str, value: &str) -> Option<String> {
    let label = ui.label(label);
    let mut edit = value.to_string();
    let response = ui
        .add(
            egui::TextEdit::multiline(&mut edit)
                .desired_rows(4)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
    response.changed().then_some(edit)
}

/// Checks as a table, a row each: what was checked, its outcome in colour, what it found.
fn outcome_grid<'a>(
    ui: &mut egui::Ui,
    id: &str,
    words: &PageText,
    rows: impl IntoIterator<Item = (String, Outcome, &'a str)>,
) {
    egui::Grid::new(id)
        .num_columns(3)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            for (name, outcome, detail) in rows {
                let colour = match outcome {
                    Outcome::Pass => egui::Color32::from_rgb(0x2e, 0x8b, 0x57),
                    Outcome::Warn => ui.visuals().warn_fg_color,
                    Outcome::Fail => ui.visuals().error_fg_color,
                };
                ui.label(egui::RichText::new(name).strong());
                ui.colored_label(colour, words.field(outcome_label(outcome)));
                ui.add(egui::Label::new(detail).wrap());
                ui.end_row();
            }
        });
}

fn metadata_rows(ui: &mut egui::Ui, words: &PageText, found: &MetadataFacts) {
    let rows = found.findings.iter().map(|f| {
        let name = words.field(metadata_label(f.check)).to_string();
        (name, f.outcome, f.detail.as_str())
    });
    outcome_grid(ui, "metadata-checks", words, rows);
}

/// The metadata address, CA file and Fetch button, with what was found.
/// The metadata address and CA file, as two rows of a form grid.
fn metadata_fields(
    ui: &mut egui::Ui,
    words: &PageText,
    draft: &fed::FederationDraft,
    msgs: &mut Vec<Msg>,
) {
    let address = draft.metadata_address();
    if let Some(v) = text_row(ui, words.field(fed::METADATA_URL), &address, false) {
        set(msgs, FedMsg::SetMetadataUrl(v));
    }
    if let Some(v) = text_row(ui, words.field(fed::CA_FILE), &draft.ca_file, false) {
        set(msgs, FedMsg::SetCaFile(v));
    }
}

fn metadata_form(ui: &mut egui::Ui, wizard: &Wizard, words: &PageText, msgs: &mut Vec<Msg>) {
    let draft = &wizard.draft().federation;
    form_grid("metadata-form").show(ui, |ui| metadata_fields(ui, words, draft, msgs));
    let busy = wizard.probing(ProbeKind::Federation);
    if action_button(ui, words.field(fed::FETCH_METADATA), true, busy) {
        msgs.push(Msg::FetchFederationMetadata);
    }
    if let Some(Ok(found)) = &wizard.facts().federation.metadata {
        metadata_rows(ui, words, found);
    }
}

/// The AD FS farm page.
pub fn farm(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::AdfsFarm);
    let draft = &wizard.draft().federation;
    let mut msgs = Vec::new();
    ui.add(egui::Label::new(egui::RichText::new(words.field(fed::WINDOWS_NOTE)).weak()).wrap());
    ui.add_space(6.0);
    for (farm, field) in [
        (Farm::New, fed::NEW_FARM),
        (Farm::Existing, fed::EXISTING_FARM),
    ] {
        if ui.radio(draft.farm == farm, words.field(field)).clicked() {
            set(&mut msgs, FedMsg::SetFarm(farm));
        }
    }
    ui.add_space(6.0);
    form_grid("farm-form").show(ui, |ui| {
        if let Some(v) = text_row(
            ui,
            words.field(fed::SERVICE_NAME),
            &draft.service_name,
            false,
        ) {
            set(&mut msgs, FedMsg::SetServiceName(v));
        }
        if let Some(v) = text_row(
            ui,
            words.field(fed::DISPLAY_NAME),
            &draft.display_name,
            false,
        ) {
            set(&mut msgs, FedMsg::SetDisplayName(v));
        }
        if draft.farm == Farm::New {
            if let Some(v) = text_row(
                ui,
                words.field(fed::CERTIFICATE_FILE),
                &draft.certificate_file,
                false,
            ) {
                set(&mut msgs, FedMsg::SetCertificateFile(v));
            }
            if let Some(v) = text_row(
                ui,
                words.field(fed::CERTIFICATE_PASSWORD),
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
            words.field(fed::BROWSE),
            words.field(fed::CERTIFICATE_FILE)
        );
        if ui.button(browse).clicked() {
            msgs.push(Msg::Browse(PathFor::FarmCertificate));
        }
    });
    let busy = wizard.probing(ProbeKind::Federation);
    let ready = !draft.certificate_file.trim().is_empty() && !draft.name().is_empty();
    if action_button(ui, words.field(fed::CHECK_CERTIFICATE), ready, busy) {
        msgs.push(Msg::CheckFarmCertificate);
    }
    if let Some(found) = &wizard.facts().federation.certificate {
        let rows = found.findings.iter().map(|f| {
            let name = words.field(certificate_label(f.check)).to_string();
            (name, f.outcome, f.detail.as_str())
        });
        outcome_grid(ui, "certificate-checks", words, rows);
        if let Some(print) = &found.thumbprint {
            ui.label(format!("{}: {print}", words.field(fed::THUMBPRINT)));
        }
    }
    msgs
}

/// The Federation servers page.
pub fn servers(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let list = &wizard.draft().federation.servers;
    server_list(
        ui,
        PageId::FederationServers,
        fed::SERVERS,
        list,
        FedMsg::SetServers,
    )
}

/// The Web Application Proxy page.
pub fn proxies(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let list = &wizard.draft().federation.proxies;
    server_list(
        ui,
        PageId::ProxyServers,
        fed::PROXIES,
        list,
        FedMsg::SetProxies,
    )
}

/// A page that is one list of servers.
fn server_list(
    ui: &mut egui::Ui,
    page: PageId,
    field: &str,
    list: &str,
    changed: fn(String) -> FedMsg,
) -> Vec<Msg> {
    let words = text::page(page);
    text_area(ui, words.field(field), list)
        .map(|v| Msg::Federation(changed(v)))
        .into_iter()
        .collect()
}

/// The service account page.
pub fn account(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::AdfsServiceAccount);
    let draft = &wizard.draft().federation;
    let mut msgs = Vec::new();
    for (user, field) in [(false, fed::GMSA), (true, fed::DOMAIN_USER)] {
        if ui
            .radio(draft.user_account == user, words.field(field))
            .clicked()
        {
            set(&mut msgs, FedMsg::SetUserAccount(user));
        }
    }
    ui.add_space(6.0);
    form_grid("account-form").show(ui, |ui| {
        if let Some(v) = text_row(ui, words.field(fed::ACCOUNT), &draft.account, false) {
            set(&mut msgs, FedMsg::SetAccount(v));
        }
        if draft.user_account
            && let Some(v) = text_row(
                ui,
                words.field(fed::ACCOUNT_PASSWORD),
                draft.account_password.expose(),
                true,
            )
        {
            set(
                &mut msgs,
                FedMsg::SetAccountPassword(crate::secret::Secret::new(v)),
            );
        }
    });
    ui.add(egui::Label::new(egui::RichText::new(words.field(fed::KDS_NOTE)).weak()).wrap());
    msgs
}

/// The domain page: the tenant's domains that could be federated, to choose from.
pub fn domain(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::FederatedDomain);
    let draft = &wizard.draft().federation;
    let mut msgs = Vec::new();
    ui.label(egui::RichText::new(words.field(fed::DOMAIN)).strong());
    if let Some(Ok(tenant)) = &wizard.facts().tenant {
        for d in crate::federation::domain::candidates(&tenant.domains) {
            if ui
                .radio(draft.domain.eq_ignore_ascii_case(&d.id), &d.id)
                .clicked()
            {
                set(&mut msgs, FedMsg::SetDomain(d.id.clone()));
            }
        }
    }
    ui.add_space(6.0);
    ui.add(egui::Label::new(egui::RichText::new(words.field(fed::DOMAIN_NOTE)).weak()).wrap());
    msgs
}

fn check_rows(ui: &mut egui::Ui, words: &PageText, rows: &[CheckRow]) {
    let rows = rows.iter().map(|r| {
        let name = format!("{} ({})", words.field(r.check), r.subject);
        (name, r.outcome, r.detail.as_str())
    });
    outcome_grid(ui, "farm-checks", words, rows);
}

/// The federation verification page: DNS servers, Run checks, the rows, and the script.
pub fn verification(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::FederationVerification);
    let draft = &wizard.draft().federation;
    let mut msgs = Vec::new();
    form_grid("dns-form").show(ui, |ui| {
        if let Some(v) = text_row(
            ui,
            words.field(fed::INTERNAL_DNS),
            &draft.internal_dns,
            false,
        ) {
            set(&mut msgs, FedMsg::SetInternalDns(v));
        }
        if let Some(v) = text_row(
            ui,
            words.field(fed::EXTERNAL_DNS),
            &draft.external_dns,
            false,
        ) {
            set(&mut msgs, FedMsg::SetExternalDns(v));
        }
    });
    let busy = wizard.probing(ProbeKind::Federation);
    if action_button(ui, words.field(fed::RUN_CHECKS), true, busy) {
        msgs.push(Msg::RunFederationChecks);
    }
    if let Some(Ok(rows)) = &wizard.facts().federation.verification {
        check_rows(ui, words, rows);
    }
    if draft.farm == Farm::New
        && let Some(plan) = fed::farm_plan(wizard.draft(), wizard.facts())
    {
        ui.add_space(8.0);
        egui::CollapsingHeader::new(words.field(fed::SCRIPT))
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

/// The rows of the Complete page's federation checks.
pub fn complete_rows(ui: &mut egui::Ui, rows: &[CheckRow]) {
    let words = text::page(PageId::FederationVerification);
    check_rows(ui, words, rows);
}

/// The PingFederate page.
pub fn ping(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::PingFederate);
    let draft = &wizard.draft().federation;
    let mut msgs = Vec::new();
    metadata_form(ui, wizard, words, &mut msgs);
    ui.add_space(8.0);
    form_grid("ping-export").show(ui, |ui| {
        if let Some(v) = text_row(ui, words.field(fed::PING_EXPORT), &draft.ping_export, false) {
            set(&mut msgs, FedMsg::SetPingExport(v));
        }
    });
    let busy = wizard.probing(ProbeKind::Federation);
    if action_button(
        ui,
        words.field(fed::SAVE_EXPORT),
        !draft.ping_export.trim().is_empty(),
        busy,
    ) {
        msgs.push(Msg::SavePingSettings);
    }
    if let Some(Ok(path)) = &wizard.facts().federation.saved {
        ui.label(format!("{} {path}", words.field(fed::SAVED_TO)));
    }
    ui.add(egui::Label::new(egui::RichText::new(words.field(fed::PING_NOTE)).weak()).wrap());
    msgs
}

/// Additional tasks: the tenant's federated domains, each with its Convert button.
pub fn convert(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::ConvertDomains);
    let draft = &wizard.draft().federation;
    let facts = wizard.facts();
    let mut msgs = Vec::new();
    for (domain, outcome) in &facts.federation.converted {
        if let Ok(true) = outcome {
            ui.label(words.field_with(fed::CONVERTED, &[("domain", domain)]));
        }
    }
    let domains = fed::federated_domains(facts);
    if domains.is_empty() {
        ui.label(words.field(fed::NONE_FEDERATED));
        return msgs;
    }
    ui.add(egui::Label::new(egui::RichText::new(words.field(fed::CONVERT_NOTE)).weak()).wrap());
    let mut understood = draft.convert_understood;
    if ui
        .checkbox(&mut understood, words.field(fed::CONVERT_UNDERSTOOD))
        .changed()
    {
        set(&mut msgs, FedMsg::SetConvertUnderstood(understood));
    }
    let busy = wizard.probing(ProbeKind::Federation);
    for d in domains {
        let label = words.field_with(fed::CONVERT, &[("domain", &d.id)]);
        if action_button(ui, &label, draft.convert_understood, busy) {
            msgs.push(Msg::ConvertToManaged(d.id.clone()));
        }
    }
    msgs
}
