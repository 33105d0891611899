//! The pending exports: what the next export would change, object by object (shown by the
//! Pending exports task, and by Staging mode for what turning it off releases).

use crate::engine::model::ExportChange;
use crate::ops::installed::Installed;
use crate::wizard::pages::additional_tasks::NOTHING_PENDING;
use crate::wizard::text::PageText;

/// Draws each pending export with its changes and reason.
pub(super) fn show(ui: &mut egui::Ui, words: &PageText, installed: &Installed) {
    if installed.pending.is_empty() {
        ui.label(egui::RichText::new(words.field(NOTHING_PENDING)).weak());
        return;
    }
    egui::ScrollArea::vertical().show(ui, |ui| {
        for p in &installed.pending {
            let what = match &p.change {
                ExportChange::Add { .. } => "add",
                ExportChange::Update { .. } => "update",
                ExportChange::Delete => "delete",
            };
            ui.label(
                egui::RichText::new(format!(
                    "{what} {:?} {} ({})",
                    p.kind, p.name, p.display_name
                ))
                .strong(),
            );
            if let ExportChange::Update { changes } = &p.change {
                for (property, (was, will)) in changes {
                    ui.label(format!("    {property}: {was} -> {will}"));
                }
            }
            if !p.members_added.is_empty() || !p.members_removed.is_empty() {
                ui.label(format!(
                    "    members +{} -{}",
                    p.members_added.len(),
                    p.members_removed.len()
                ));
            }
            ui.label(egui::RichText::new(format!("    {}", p.reason)).weak());
        }
    });
}
