//! The Federation servers page: one list of servers, one per line.

use crate::ui::federation::server_list;
use crate::wizard::federation::FedMsg;
use crate::wizard::pages::federation_servers::SERVERS;
use crate::wizard::{Msg, PageId, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let list = &wizard.draft().federation.servers;
    server_list(
        ui,
        PageId::FederationServers,
        SERVERS,
        list,
        FedMsg::SetServers,
    )
}
