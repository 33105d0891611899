//! Additional tasks: the tenant's federated domains, each with its Convert button (pressed
//! once "I understand" is ticked), and the domains converted.

use crate::ui::federation::set;
use crate::ui::widgets::action_button;
use crate::wizard::federation::FedMsg;
use crate::wizard::pages::convert_domains::{
    CONVERT, CONVERT_NOTE, CONVERT_UNDERSTOOD, CONVERTED, NONE_FEDERATED, federated_domains,
};
use crate::wizard::probe::ProbeKind;
use crate::wizard::text;
use crate::wizard::{Msg, PageId, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::ConvertDomains);
    let draft = &wizard.draft().federation;
    let facts = wizard.facts();
    let mut msgs = Vec::new();
    for (domain, outcome) in &facts.federation.converted {
        if let Ok(true) = outcome {
            ui.label(words.field_with(CONVERTED, &[("domain", domain)]));
        }
    }
    let domains = federated_domains(facts);
    if domains.is_empty() {
        ui.label(words.field(NONE_FEDERATED));
        return msgs;
    }
    ui.add(egui::Label::new(egui::RichText::new(words.field(CONVERT_NOTE)).weak()).wrap());
    let mut understood = draft.convert_understood;
    if ui
        .checkbox(&mut understood, words.field(CONVERT_UNDERSTOOD))
        .changed()
    {
        set(&mut msgs, FedMsg::SetConvertUnderstood(understood));
    }
    let busy = wizard.probing(ProbeKind::Federation);
    for d in domains {
        let label = words.field_with(CONVERT, &[("domain", &d.id)]);
        if action_button(ui, &label, draft.convert_understood, busy) {
            msgs.push(Msg::ConvertToManaged(d.id.clone()));
        }
    }
    msgs
}
