//! The domain to federate: the tenant's domains that could be federated, to choose from.

use crate::ui::federation::set;
use crate::wizard::federation::FedMsg;
use crate::wizard::pages::federated_domain::{DOMAIN, DOMAIN_NOTE};
use crate::wizard::text;
use crate::wizard::{Msg, PageId, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::FederatedDomain);
    let draft = &wizard.draft().federation;
    let mut msgs = Vec::new();
    ui.label(egui::RichText::new(words.field(DOMAIN)).strong());
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
    ui.add(egui::Label::new(egui::RichText::new(words.field(DOMAIN_NOTE)).weak()).wrap());
    msgs
}
