//! Refresh directory schema: read the forests again, then what changed in their domains and
//! schemas, and the settings version that took in changed domain lists.

use crate::ui::widgets::{action_button, failure};
use crate::wizard::pages::additional_tasks::{
    DOMAIN_ADDED, DOMAIN_GONE, REFRESH, SCHEMA_APPLIED, SCHEMA_FAILED, SCHEMA_FIRST, SCHEMA_FOREST,
    SCHEMA_HELP, SCHEMA_NEW, SCHEMA_NOTHING_NEW,
};
use crate::wizard::probe::ProbeKind;
use crate::wizard::text::PageText;
use crate::wizard::{Msg, Wizard};

/// Refresh directory schema: read the forests again; what changed in their domains and
/// schemas.
pub(super) fn show(ui: &mut egui::Ui, words: &PageText, wizard: &Wizard, msgs: &mut Vec<Msg>) {
    ui.label(words.field(SCHEMA_HELP));
    ui.add_space(6.0);
    if action_button(
        ui,
        words.field(REFRESH),
        true,
        wizard.probing(ProbeKind::TaskChange),
    ) {
        msgs.push(Msg::RefreshSchema);
    }
    let refresh = match &wizard.facts().schema_refresh {
        None => return,
        Some(Err(why)) => {
            failure(ui, words.message(SCHEMA_FAILED), why);
            return;
        }
        Some(Ok(refresh)) => refresh,
    };
    for (forest, outcome) in &refresh.forests {
        match outcome {
            Err(why) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("{forest}: {} {why}", words.message(SCHEMA_FAILED)),
                );
            }
            Ok(found) => {
                ui.label(
                    egui::RichText::new(words.field_with(
                        SCHEMA_FOREST,
                        &[
                            ("forest", forest),
                            ("attributes", &found.attributes.to_string()),
                            ("candidates", &found.extension_candidates.to_string()),
                        ],
                    ))
                    .strong(),
                );
                for domain in &found.domains_added {
                    ui.label(words.field_with(DOMAIN_ADDED, &[("domain", domain)]));
                }
                for domain in &found.domains_gone {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        words.field_with(DOMAIN_GONE, &[("domain", domain)]),
                    );
                }
                match &found.new_attributes {
                    None => ui.label(words.field(SCHEMA_FIRST)),
                    Some(names) if names.is_empty() => ui.label(words.field(SCHEMA_NOTHING_NEW)),
                    Some(names) => {
                        ui.label(words.field_with(SCHEMA_NEW, &[("names", &names.join(", "))]))
                    }
                };
            }
        }
    }
    if let Some(applied) = &refresh.applied {
        ui.label(words.field_with(SCHEMA_APPLIED, &[("version", &applied.version.to_string())]));
    }
}
