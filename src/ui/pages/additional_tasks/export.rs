//! Export settings: where to write the installation's settings for a rebuild (no secret in
//! them), and where they were written or why not.

use crate::wizard::pages::additional_tasks::{EXPORT_TO, EXPORTED};
use crate::wizard::text::PageText;
use crate::wizard::{Msg, PathFor, Wizard};

/// Export settings: a settings file for a rebuild, without secrets.
pub(super) fn show(ui: &mut egui::Ui, words: &PageText, wizard: &Wizard, msgs: &mut Vec<Msg>) {
    if ui.button(words.field(EXPORT_TO)).clicked() {
        msgs.push(Msg::Browse(PathFor::ExportInstalled));
    }
    match &wizard.facts().export {
        Some(Ok(path)) => {
            ui.label(format!("{} {path}", words.field(EXPORTED)));
        }
        Some(Err(why)) => {
            ui.colored_label(ui.visuals().error_fg_color, why.to_string());
        }
        None => {}
    }
}
