//! The configuration in use: the settings version, each setting with its value, and why the
//! locked ones cannot change after install.

use crate::engine::config::locks;
use crate::ops::installed::Installed;
use crate::wizard::pages::additional_tasks::{
    ANCHOR, FORESTS, LOCKED, MATCHING, PILOT, SCOPE, SETTING, STAGING, VALUE, VERSION,
};
use crate::wizard::text::PageText;

/// Draws the settings in use as a table, locked ones with their reason.
pub(super) fn show(ui: &mut egui::Ui, words: &PageText, installed: &Installed) {
    let s = &installed.settings;
    let [anchor, matching, pilot] = locks();
    let scope: Vec<String> = s
        .sync
        .connectors
        .iter()
        .map(|c| {
            let mut line = format!("{}: {}", c.name, c.included.join("; "));
            if !c.excluded.is_empty() {
                line += &format!(" (not {})", c.excluded.join("; "));
            }
            line
        })
        .collect();
    let rows: Vec<(&str, String, Option<String>)> = vec![
        (
            FORESTS,
            s.directories
                .iter()
                .map(|d| format!("{} ({})", d.connector, d.account))
                .collect::<Vec<_>>()
                .join(", "),
            None,
        ),
        (SCOPE, scope.join("\n"), None),
        (ANCHOR, format!("{:?}", s.sync.anchor), Some(anchor.reason)),
        (
            MATCHING,
            format!("{:?}", s.sync.matching),
            Some(matching.reason),
        ),
        (
            PILOT,
            if s.sync.pilot_groups.is_empty() {
                "-".to_string()
            } else {
                s.sync
                    .pilot_groups
                    .values()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            },
            Some(pilot.reason),
        ),
        (
            STAGING,
            if s.sync.staging { "on" } else { "off" }.to_string(),
            None,
        ),
    ];
    egui::ScrollArea::vertical().show(ui, |ui| {
        if let Some(last) = installed.versions.last() {
            ui.label(
                egui::RichText::new(
                    words.field_with(VERSION, &[("version", &last.version.to_string())]),
                )
                .weak(),
            );
        }
        egui::Grid::new("installed-settings")
            .num_columns(2)
            .spacing([16.0, 6.0])
            .striped(true)
            .show(ui, |ui| {
                ui.label(egui::RichText::new(words.field(SETTING)).strong());
                ui.label(egui::RichText::new(words.field(VALUE)).strong());
                ui.end_row();
                for (field, value, why) in rows {
                    ui.label(words.field(field));
                    ui.vertical(|ui| {
                        ui.label(value);
                        if let Some(why) = why.filter(|w| !w.is_empty()) {
                            ui.label(
                                egui::RichText::new(format!("{} {why}", words.field(LOCKED)))
                                    .weak(),
                            );
                        }
                    });
                    ui.end_row();
                }
            });
    });
}
