//! The Optional features page: a box per feature, greyed with its reason when it cannot be
//! chosen.

use crate::wizard::pages::optional_features::Availability;
use crate::wizard::state::choices::Feature;
use crate::wizard::text;
use crate::wizard::{Msg, PageId, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::OptionalFeatures);
    let mut msgs = Vec::new();
    for &feature in Feature::ALL {
        let availability = feature.availability(wizard.draft(), wizard.facts());
        let mut on = feature.is_on(wizard.draft(), wizard.facts());
        ui.horizontal(|ui| {
            // A feature ticked earlier stays clearable even when it can no longer be chosen.
            let enabled = matches!(availability, Availability::Open)
                || (on && matches!(availability, Availability::Unavailable(_)));
            if ui
                .add_enabled(
                    enabled,
                    egui::Checkbox::new(&mut on, words.field(feature.field())),
                )
                .changed()
            {
                msgs.push(Msg::SetFeature(feature, on));
            }
            if let Availability::LockedOn(why) | Availability::Unavailable(why) = availability {
                ui.label(egui::RichText::new(format!("({})", words.field(why))).weak());
            }
        });
    }
    msgs
}
