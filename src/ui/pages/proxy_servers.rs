//! The Web Application Proxy page: one list of proxies, one per line.

use crate::ui::federation::server_list;
use crate::wizard::federation::FedMsg;
use crate::wizard::pages::proxy_servers::PROXIES;
use crate::wizard::{Msg, PageId, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let list = &wizard.draft().federation.proxies;
    server_list(ui, PageId::ProxyServers, PROXIES, list, FedMsg::SetProxies)
}
