//! The Identifying users page: the matching rule and the sourceAnchor.

use crate::engine::rules::{AnchorMode, Matching};
use crate::ui::widgets::{form_grid, text_row};
use crate::wizard::pages::identifying_users::{
    ANCHOR, ANCHOR_ATTRIBUTE, ANCHOR_ATTRIBUTE_NAME, ANCHOR_MANAGED, MATCH_ATTRIBUTE,
    MATCH_ATTRIBUTE_NAME, MATCH_MAIL, MATCH_NONE, MATCH_SAM, MATCH_SID, MATCHING,
};
use crate::wizard::text;
use crate::wizard::{Msg, PageId, Wizard};

/// Draws the page body and returns what the administrator did.
pub fn show(ui: &mut egui::Ui, wizard: &Wizard) -> Vec<Msg> {
    let words = text::page(PageId::IdentifyingUsers);
    let draft = wizard.draft();
    let mut msgs = Vec::new();
    ui.label(egui::RichText::new(words.field(MATCHING)).strong());
    let choices = [
        (MATCH_NONE, Matching::None),
        (MATCH_MAIL, Matching::Mail),
        (MATCH_SID, Matching::ObjectSidToMasterAccountSid),
        (MATCH_SAM, Matching::SamAndNickname),
    ];
    for (field, matching) in choices {
        if ui
            .radio(draft.matching == matching, words.field(field))
            .clicked()
        {
            msgs.push(Msg::SetMatching(matching));
        }
    }
    let by_attribute = matches!(draft.matching, Matching::Attribute(_));
    if ui
        .radio(by_attribute, words.field(MATCH_ATTRIBUTE))
        .clicked()
        && !by_attribute
    {
        msgs.push(Msg::SetMatching(Matching::Attribute(String::new())));
    }
    if let Matching::Attribute(name) = &draft.matching {
        form_grid("match-attribute").show(ui, |ui| {
            if let Some(v) = text_row(ui, words.field(MATCH_ATTRIBUTE_NAME), name, false) {
                msgs.push(Msg::SetMatching(Matching::Attribute(v)));
            }
        });
    }
    ui.add_space(10.0);
    ui.label(egui::RichText::new(words.field(ANCHOR)).strong());
    if ui
        .radio(
            draft.anchor == AnchorMode::Managed,
            words.field(ANCHOR_MANAGED),
        )
        .clicked()
    {
        msgs.push(Msg::SetAnchor(AnchorMode::Managed));
    }
    let chosen = matches!(draft.anchor, AnchorMode::Attribute(_));
    if ui.radio(chosen, words.field(ANCHOR_ATTRIBUTE)).clicked() && !chosen {
        msgs.push(Msg::SetAnchor(AnchorMode::Attribute(String::new())));
    }
    if let AnchorMode::Attribute(name) = &draft.anchor {
        form_grid("anchor-attribute").show(ui, |ui| {
            if let Some(v) = text_row(ui, words.field(ANCHOR_ATTRIBUTE_NAME), name, false) {
                msgs.push(Msg::SetAnchor(AnchorMode::Attribute(v)));
            }
        });
    }
    msgs
}
