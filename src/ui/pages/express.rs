//! The Express settings page: two options, express or custom.

use crate::wizard::pages::express::{CUSTOM, EXPRESS, MODE};
use crate::wizard::text;
use crate::wizard::{InstallMode, Msg, PageId, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::Express);
    let mut msgs = Vec::new();
    ui.label(egui::RichText::new(words.field(MODE)).strong());
    let chosen = wizard.draft().mode;
    for (mode, field) in [
        (InstallMode::Express, EXPRESS),
        (InstallMode::Custom, CUSTOM),
    ] {
        if ui.radio(chosen == Some(mode), words.field(field)).clicked() {
            msgs.push(Msg::SetMode(mode));
        }
    }
    msgs
}
