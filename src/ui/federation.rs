//! What the federation pages' bodies share: each check's outcome as a row (what was checked,
//! passed / warning / failed, and what was found), the metadata form (address, CA file, Fetch
//! metadata and the metadata checks), a page that is one list of servers, and the rows of the
//! farm checks, which the Complete page shows too ([`complete_rows`]).

use crate::federation::certificate::Outcome;
use crate::ui::widgets::{action_button, form_grid, text_row};
use crate::wizard::federation::{
    CA_FILE, CheckRow, FETCH_METADATA, FedMsg, FederationDraft, METADATA_URL, MetadataFacts,
    metadata_label, outcome_label,
};
use crate::wizard::probe::ProbeKind;
use crate::wizard::text::{self, PageText};
use crate::wizard::{Msg, PageId, Wizard};

/// Adds a federation input to the messages.
pub(crate) fn set(msgs: &mut Vec<Msg>, input: FedMsg) {
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
pub(crate) fn outcome_grid<'a>(
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

/// The metadata address and CA file, as two rows of a form grid.
pub(crate) fn metadata_fields(
    ui: &mut egui::Ui,
    words: &PageText,
    draft: &FederationDraft,
    msgs: &mut Vec<Msg>,
) {
    let address = draft.metadata_address();
    if let Some(v) = text_row(ui, words.field(METADATA_URL), &address, false) {
        set(msgs, FedMsg::SetMetadataUrl(v));
    }
    if let Some(v) = text_row(ui, words.field(CA_FILE), &draft.ca_file, false) {
        set(msgs, FedMsg::SetCaFile(v));
    }
}

/// The metadata address, CA file and Fetch button, with what was found.
pub(crate) fn metadata_form(
    ui: &mut egui::Ui,
    wizard: &Wizard,
    words: &PageText,
    msgs: &mut Vec<Msg>,
) {
    let draft = &wizard.draft().federation;
    form_grid("metadata-form").show(ui, |ui| metadata_fields(ui, words, draft, msgs));
    let busy = wizard.probing(ProbeKind::Federation);
    if action_button(ui, words.field(FETCH_METADATA), true, busy) {
        msgs.push(Msg::FetchFederationMetadata);
    }
    if let Some(Ok(found)) = &wizard.facts().federation.metadata {
        metadata_rows(ui, words, found);
    }
}

/// A page that is one list of servers.
pub(crate) fn server_list(
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

/// The farm checks' rows, each named by the verification page's words.
pub(crate) fn check_rows(ui: &mut egui::Ui, words: &PageText, rows: &[CheckRow]) {
    let rows = rows.iter().map(|r| {
        let name = format!("{} ({})", words.field(r.check), r.subject);
        (name, r.outcome, r.detail.as_str())
    });
    outcome_grid(ui, "farm-checks", words, rows);
}

/// The rows of the Complete page's federation checks.
pub fn complete_rows(ui: &mut egui::Ui, rows: &[CheckRow]) {
    let words = text::page(PageId::FederationVerification);
    check_rows(ui, words, rows);
}
