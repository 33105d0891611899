//! The PingFederate page: its metadata (Fetch metadata and a row per check), and where to
//! save the settings for the PingFederate administrator.

use crate::ui::federation::{metadata_form, set};
use crate::ui::widgets::{action_button, form_grid, text_row};
use crate::wizard::federation::FedMsg;
use crate::wizard::pages::ping_federate::{PING_EXPORT, PING_NOTE, SAVE_EXPORT, SAVED_TO};
use crate::wizard::probe::ProbeKind;
use crate::wizard::text;
use crate::wizard::{Msg, PageId, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::PingFederate);
    let draft = &wizard.draft().federation;
    let mut msgs = Vec::new();
    metadata_form(ui, wizard, words, &mut msgs);
    ui.add_space(8.0);
    form_grid("ping-export").show(ui, |ui| {
        if let Some(v) = text_row(ui, words.field(PING_EXPORT), &draft.ping_export, false) {
            set(&mut msgs, FedMsg::SetPingExport(v));
        }
    });
    let busy = wizard.probing(ProbeKind::Federation);
    if action_button(
        ui,
        words.field(SAVE_EXPORT),
        !draft.ping_export.trim().is_empty(),
        busy,
    ) {
        msgs.push(Msg::SavePingSettings);
    }
    if let Some(Ok(path)) = &wizard.facts().federation.saved {
        ui.label(format!("{} {path}", words.field(SAVED_TO)));
    }
    ui.add(egui::Label::new(egui::RichText::new(words.field(PING_NOTE)).weak()).wrap());
    msgs
}
