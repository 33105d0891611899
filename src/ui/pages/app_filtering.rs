//! The App filtering and Attribute filtering pages: a box per cloud service, then a table of
//! the attributes they read, required ones ticked and greyed with the reason.

use crate::engine::attributes::Service;
use crate::wizard::pages::app_filtering::{
    ATTRIBUTE, GROUPS, OBJECTS, REQUIRED, TARGET, USERS, listed, service_field, ticked,
};
use crate::wizard::text;
use crate::wizard::{Msg, PageId, Wizard};

/// Draws the App filtering page and returns what the administrator did.
pub fn apps(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::AppFiltering);
    let mut msgs = Vec::new();
    for &service in Service::ALL {
        let mut on = wizard.draft().services.contains(&service);
        if ui
            .checkbox(&mut on, words.field(service_field(service)))
            .changed()
        {
            msgs.push(Msg::SetService(service, on));
        }
    }
    msgs
}

/// Draws the Attribute filtering page and returns what the administrator did.
pub fn attributes(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::AttributeFiltering);
    let draft = wizard.draft();
    let mut msgs = Vec::new();
    egui::ScrollArea::vertical()
        .max_height((ui.available_height() - 60.0).max(160.0))
        .show(ui, |ui| {
            egui::Grid::new("attribute-filtering")
                .num_columns(3)
                .spacing([18.0, 4.0])
                .striped(true)
                .show(ui, |ui| {
                    ui.label(egui::RichText::new(words.field(ATTRIBUTE)).strong());
                    ui.label(egui::RichText::new(words.field(TARGET)).strong());
                    ui.label(egui::RichText::new(words.field(OBJECTS)).strong());
                    ui.end_row();
                    for f in listed(draft) {
                        let mut on = ticked(draft, f);
                        ui.horizontal(|ui| {
                            let response =
                                ui.add_enabled(!f.required, egui::Checkbox::new(&mut on, f.source));
                            if response.changed() {
                                msgs.push(Msg::SetAttribute(f.source.to_string(), on));
                            }
                            if f.required {
                                let why = format!("({})", words.field(REQUIRED));
                                ui.label(egui::RichText::new(why).weak());
                            }
                        });
                        ui.label(f.target);
                        let mut on_objects = Vec::new();
                        if f.users {
                            on_objects.push(words.field(USERS));
                        }
                        if f.groups {
                            on_objects.push(words.field(GROUPS));
                        }
                        ui.label(on_objects.join(", "));
                        ui.end_row();
                    }
                });
        });
    msgs
}
