//! The Welcome page: the licence terms and the check box that accepts them.

use crate::wizard::pages::welcome::{LICENCE, LICENCE_ACCEPTED, LICENCE_TEXT};
use crate::wizard::text;
use crate::wizard::{Msg, PageId, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::Welcome);
    let mut msgs = Vec::new();
    let label = ui.label(egui::RichText::new(words.field(LICENCE_TEXT)).strong());
    egui::ScrollArea::vertical()
        .max_height((ui.available_height() - 80.0).max(120.0))
        .show(ui, |ui| {
            let mut licence = LICENCE;
            ui.add(
                egui::TextEdit::multiline(&mut licence)
                    .desired_width(f32::INFINITY)
                    .font(egui::TextStyle::Monospace),
            )
            .labelled_by(label.id);
        });
    ui.add_space(8.0);
    let mut accepted = wizard.draft().licence_accepted;
    if ui
        .checkbox(&mut accepted, words.field(LICENCE_ACCEPTED))
        .changed()
    {
        msgs.push(Msg::SetLicenceAccepted(accepted));
    }
    msgs
}
