//! The Identifying users page: how the same person is recognised in several forests, and which
//! attribute becomes the person's immutable anchor in the tenant (the sourceAnchor), which can
//! no longer change once users are synchronized.

use crate::engine::rules::{AnchorMode, Matching};
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::{Draft, Facts};
use crate::wizard::{Effect, Msg, Wizard};

/// Field ids of this page.
pub const FIELDS: &[&str] = &[
    MATCHING,
    MATCH_NONE,
    MATCH_MAIL,
    MATCH_SID,
    MATCH_SAM,
    MATCH_ATTRIBUTE,
    MATCH_ATTRIBUTE_NAME,
    ANCHOR,
    ANCHOR_MANAGED,
    ANCHOR_ATTRIBUTE,
    ANCHOR_ATTRIBUTE_NAME,
];
/// Message ids of this page.
pub const MESSAGES: &[&str] = &[
    ENTER_ATTRIBUTE,
    ATTRIBUTE_MISSING,
    ANCHOR_MULTI_VALUED,
    ANCHOR_NAME_LIKE,
    ONE_FOREST,
    ANCHOR_NOT_WRITABLE,
];

/// The matching choice.
pub const MATCHING: &str = "matching";
/// Each person exists once across the forests.
pub const MATCH_NONE: &str = "match_none";
/// By mail.
pub const MATCH_MAIL: &str = "match_mail";
/// objectSID with msExchMasterAccountSID.
pub const MATCH_SID: &str = "match_sid";
/// sAMAccountName with mailNickname.
pub const MATCH_SAM: &str = "match_sam";
/// A chosen attribute.
pub const MATCH_ATTRIBUTE: &str = "match_attribute";
/// Its name.
pub const MATCH_ATTRIBUTE_NAME: &str = "match_attribute_name";
/// The sourceAnchor choice.
pub const ANCHOR: &str = "anchor";
/// Managed (ms-DS-ConsistencyGuid).
pub const ANCHOR_MANAGED: &str = "anchor_managed";
/// A chosen attribute.
pub const ANCHOR_ATTRIBUTE: &str = "anchor_attribute";
/// Its name.
pub const ANCHOR_ATTRIBUTE_NAME: &str = "anchor_attribute_name";
/// An attribute was chosen but not named.
pub const ENTER_ATTRIBUTE: &str = "enter_attribute";
/// A forest's schema lacks it (detail: attribute and forest).
pub const ATTRIBUTE_MISSING: &str = "attribute_missing";
/// The anchor attribute can hold several values.
pub const ANCHOR_MULTI_VALUED: &str = "anchor_multi_valued";
/// The anchor attribute is one people's names live in: it changes, and may hold '@'.
pub const ANCHOR_NAME_LIKE: &str = "anchor_name_like";
/// Matching does not matter with one forest.
pub const ONE_FOREST: &str = "one_forest";
/// The connector account cannot write the managed anchor back (detail: account, sample, forest).
pub const ANCHOR_NOT_WRITABLE: &str = "anchor_not_writable";

/// Attributes that change when a person's name or address changes.
const NAME_LIKE: &[&str] = &[
    "userprincipalname",
    "mail",
    "samaccountname",
    "displayname",
    "cn",
    "name",
    "givenname",
    "sn",
    "proxyaddresses",
    "mailnickname",
];

/// Checks the page.
pub fn validate(draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::IdentifyingUsers;
    let mut problems = Vec::new();
    let schemas: Vec<(&str, &crate::directory::discovery::Schema)> = draft
        .directories
        .iter()
        .filter_map(|d| {
            facts
                .forests
                .get(&d.forest)
                .map(|f| (d.forest.as_str(), &f.forest.schema))
        })
        .collect();
    let exists_everywhere = |field: &'static str, name: &str, problems: &mut Vec<Problem>| {
        let mut all = true;
        for (forest, schema) in &schemas {
            if schema.attribute(name).is_none() {
                problems.push(
                    Problem::error(page, field, ATTRIBUTE_MISSING)
                        .with_detail(format!("{name} ({forest})")),
                );
                all = false;
            }
        }
        all
    };
    if let Matching::Attribute(name) = &draft.matching {
        let name = name.trim();
        if name.is_empty() {
            problems.push(Problem::error(page, MATCH_ATTRIBUTE_NAME, ENTER_ATTRIBUTE));
        } else {
            exists_everywhere(MATCH_ATTRIBUTE_NAME, name, &mut problems);
        }
    }
    if let AnchorMode::Attribute(name) = &draft.anchor {
        let name = name.trim();
        if name.is_empty() {
            problems.push(Problem::error(page, ANCHOR_ATTRIBUTE_NAME, ENTER_ATTRIBUTE));
        } else if exists_everywhere(ANCHOR_ATTRIBUTE_NAME, name, &mut problems) {
            if schemas
                .iter()
                .any(|(_, s)| s.attribute(name).is_some_and(|a| !a.single_valued))
            {
                problems.push(Problem::error(
                    page,
                    ANCHOR_ATTRIBUTE_NAME,
                    ANCHOR_MULTI_VALUED,
                ));
            }
            if NAME_LIKE.contains(&name.to_ascii_lowercase().as_str()) {
                problems.push(Problem::confirm(
                    page,
                    ANCHOR_ATTRIBUTE_NAME,
                    ANCHOR_NAME_LIKE,
                ));
            }
        }
    }
    if draft.anchor == AnchorMode::Managed {
        for added in &draft.directories {
            let Some(found) = facts.forests.get(&added.forest) else {
                continue;
            };
            if let Some(sample) = found.anchor_write.iter().find(|s| !s.writable) {
                problems.push(
                    Problem::warning(page, ANCHOR_MANAGED, ANCHOR_NOT_WRITABLE).with_detail(
                        format!(
                            "{} on {} ({})",
                            added.form.account.trim(),
                            sample.dn,
                            added.forest
                        ),
                    ),
                );
            }
        }
    }
    if draft.directories.len() < 2 && draft.matching != Matching::Mail {
        problems.push(Problem::warning(page, MATCHING, ONE_FOREST));
    }
    problems
}

/// Applies a message of this page (the wizard hands each message to the page that owns it).
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::SetMatching(matching) => w.draft.matching = matching,
        Msg::SetAnchor(anchor) => w.draft.anchor = anchor,
        // Messages of other pages never come here.
        _ => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wizard::Severity;

    fn messages(draft: &Draft) -> Vec<(&'static str, Severity)> {
        validate(draft, &Facts::default())
            .into_iter()
            .map(|p| (p.message, p.severity))
            .collect()
    }

    #[test]
    fn a_connector_account_that_cannot_write_the_anchor_back_is_warned_about() {
        use crate::directory::account::WriteSample;
        use crate::ops::discover::ForestFacts;
        use crate::wizard::state::directories::AddedDirectory;
        let mut draft = Draft::default();
        draft
            .directories
            .push(AddedDirectory::for_tests("contoso.test"));
        let mut facts = Facts::default();
        let mut found = ForestFacts::for_tests("contoso.test", Default::default());
        found.anchor_write = vec![WriteSample {
            dn: "CN=Ann,OU=Staff,DC=contoso,DC=test".into(),
            writable: false,
        }];
        facts.forests.insert("contoso.test".into(), found);
        let problems = validate(&draft, &facts);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].message, ANCHOR_NOT_WRITABLE);
        assert_eq!(problems[0].severity, Severity::Warning);
        assert!(
            problems[0]
                .detail
                .as_deref()
                .is_some_and(|d| d.contains("CN=Ann"))
        );
        // A chosen attribute is never written back: no warning.
        draft.anchor = AnchorMode::Attribute("objectGUID".into());
        assert!(
            validate(&draft, &facts)
                .iter()
                .all(|p| p.message != ANCHOR_NOT_WRITABLE)
        );
        // Writable: nothing to say.
        draft.anchor = AnchorMode::Managed;
        facts.forests.get_mut("contoso.test").unwrap().anchor_write[0].writable = true;
        assert!(validate(&draft, &facts).is_empty());
    }

    #[test]
    fn the_defaults_need_nothing() {
        let draft = Draft::default();
        assert_eq!(draft.matching, Matching::Mail);
        assert_eq!(draft.anchor, AnchorMode::Managed);
        assert!(messages(&draft).is_empty());
    }

    #[test]
    fn a_chosen_anchor_must_be_named_and_a_name_like_one_confirmed() {
        let mut draft = Draft {
            anchor: AnchorMode::Attribute(" ".into()),
            ..Draft::default()
        };
        assert_eq!(messages(&draft), [(ENTER_ATTRIBUTE, Severity::Error)]);
        draft.anchor = AnchorMode::Attribute("mail".into());
        assert_eq!(messages(&draft), [(ANCHOR_NAME_LIKE, Severity::Confirm)]);
        draft.anchor = AnchorMode::Attribute("employeeID".into());
        assert!(messages(&draft).is_empty());
    }
}
