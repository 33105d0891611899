//! The Directory extensions page: attributes of the forests' schemas copied to the tenant as
//! extension properties of users and groups.
//!
//! Owns the added forests' attributes that can be chosen (which ones can is
//! [`crate::engine::extensions::candidates_in`]'s rule), the case-sensitive search the page
//! filters them by, the limit on how many, and the extensions a plan carries.

use crate::engine::extensions::{Extension, MAX_EXTENSIONS};
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::{Draft, Facts};
use crate::wizard::{Effect, Msg, Wizard};

/// Field ids of this page.
pub const FIELDS: &[&str] = &[SEARCH, AVAILABLE, CHOSEN, COUNT, USERS, GROUPS, MULTI];
/// Message ids of this page.
pub const MESSAGES: &[&str] = &[CHOOSE_ONE, TOO_MANY, NOT_IN_SCHEMA, NOT_AVAILABLE];

/// The search box (case-sensitive, as attribute names are spelt).
pub const SEARCH: &str = "search";
/// The list of attributes that can be chosen.
pub const AVAILABLE: &str = "available";
/// The attributes chosen.
pub const CHOSEN: &str = "chosen";
/// "n of 100 chosen".
pub const COUNT: &str = "count";
/// Held by users.
pub const USERS: &str = "users";
/// Held by groups.
pub const GROUPS: &str = "groups";
/// Holds several values.
pub const MULTI: &str = "multi";
/// The feature is on but nothing is chosen.
pub const CHOOSE_ONE: &str = "choose_one";
/// More than the tenant keeps on one object.
pub const TOO_MANY: &str = "too_many";
/// A chosen attribute is in no forest's schema (detail: the attribute).
pub const NOT_IN_SCHEMA: &str = "not_in_schema";
/// A chosen attribute exists but cannot be an extension (detail: the attribute).
pub const NOT_AVAILABLE: &str = "not_available";

pub use crate::engine::extensions::Candidate;

/// Every attribute of the added forests that users or groups hold and the tenant can store,
/// by name. An attribute in several forests is one candidate (multi-valued if it is anywhere).
pub fn candidates(draft: &Draft, facts: &Facts) -> Vec<Candidate> {
    crate::engine::extensions::candidates_in(
        draft
            .directories
            .iter()
            .filter_map(|added| facts.forests.get(&added.forest))
            .map(|found| &found.forest.schema),
    )
}

/// The candidates whose name holds the search text, exactly as typed (the search is
/// case-sensitive, as the reference documents it).
pub fn matching<'a>(all: &'a [Candidate], search: &str) -> Vec<&'a Candidate> {
    all.iter().filter(|c| c.name.contains(search)).collect()
}

/// The extensions a plan carries (their tenant property is named once the engine's application
/// is registered).
pub fn chosen(draft: &Draft, facts: &Facts) -> Vec<Extension> {
    let all = candidates(draft, facts);
    draft
        .extensions
        .iter()
        .filter_map(|name| all.iter().find(|c| c.name.eq_ignore_ascii_case(name)))
        .map(|c| Extension {
            attribute: c.name.clone(),
            property: String::new(),
            data_type: c.data_type,
            multi_valued: c.multi_valued,
            users: c.users,
            groups: c.groups,
        })
        .collect()
}

/// Checks the page.
pub fn validate(draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::DirectoryExtensions;
    let mut problems = Vec::new();
    if draft.extensions.is_empty() {
        problems.push(Problem::error(page, CHOSEN, CHOOSE_ONE));
    }
    if draft.extensions.len() > MAX_EXTENSIONS {
        problems.push(Problem::error(page, COUNT, TOO_MANY));
    }
    let all = candidates(draft, facts);
    for name in &draft.extensions {
        if all.iter().any(|c| c.name.eq_ignore_ascii_case(name)) {
            continue;
        }
        let known = draft.directories.iter().any(|d| {
            facts
                .forests
                .get(&d.forest)
                .is_some_and(|f| f.forest.schema.attribute(name).is_some())
        });
        let message = if known { NOT_AVAILABLE } else { NOT_IN_SCHEMA };
        problems.push(Problem::error(page, CHOSEN, message).with_detail(name.clone()));
    }
    problems
}

/// Applies a message of this page (the wizard hands each message to the page that owns it).
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::SetExtension(name, on) => {
            if on {
                w.draft.extensions.insert(name);
            } else {
                w.draft.extensions.remove(&name);
            }
        }
        Msg::SetExtensionSearch(text) => w.draft.extension_search = text,
        // Messages of other pages never come here.
        _ => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::discovery::{Schema, SchemaAttribute, SchemaClass};
    use crate::engine::extensions::DataType;

    fn attribute(name: &str, syntax: &str, single: bool) -> SchemaAttribute {
        SchemaAttribute::for_tests(name, syntax, single)
    }

    fn class(name: &str, superior: &str, attributes: &[&str], auxiliary: &[&str]) -> SchemaClass {
        SchemaClass {
            name: name.into(),
            superior: Some(superior.into()),
            attributes: attributes.iter().map(|a| a.to_string()).collect(),
            auxiliary: auxiliary.iter().map(|a| a.to_string()).collect(),
        }
    }

    /// A small schema: user derives from person and takes an auxiliary class.
    fn schema() -> Schema {
        Schema {
            attributes: vec![
                attribute("telephoneNumber", "2.5.5.12", true),
                attribute("otherMobile", "2.5.5.12", false),
                attribute("employeeNumber", "2.5.5.12", true),
                attribute("manager", "2.5.5.1", true),
                attribute("tokenGroups", "2.5.5.17", false),
                attribute("badPwdCount", "2.5.5.9", true),
                attribute("info", "2.5.5.12", true),
                attribute("printerName", "2.5.5.12", true),
            ],
            classes: vec![
                class("top", "top", &[], &[]),
                class("person", "top", &["telephoneNumber"], &[]),
                class(
                    "user",
                    "person",
                    &["manager", "tokenGroups", "badPwdCount", "otherMobile"],
                    &["extra"],
                ),
                class("extra", "top", &["employeeNumber"], &[]),
                class("group", "top", &["info"], &[]),
                class("printQueue", "top", &["printerName"], &[]),
            ],
        }
    }

    fn with_forest() -> (Draft, Facts) {
        let mut draft = Draft::default();
        let mut facts = Facts::default();
        draft
            .directories
            .push(crate::wizard::state::directories::AddedDirectory::for_tests("contoso.test"));
        facts.forests.insert(
            "contoso.test".into(),
            crate::ops::discover::ForestFacts::for_tests("contoso.test", schema()),
        );
        (draft, facts)
    }

    #[test]
    fn candidates_are_the_storable_attributes_of_users_and_groups() {
        let (draft, facts) = with_forest();
        let names: Vec<(String, bool, bool, bool)> = candidates(&draft, &facts)
            .into_iter()
            .map(|c| (c.name, c.users, c.groups, c.multi_valued))
            .collect();
        assert_eq!(
            names,
            [
                ("badPwdCount".to_string(), true, false, false),
                ("employeeNumber".to_string(), true, false, false),
                ("info".to_string(), false, true, false),
                ("otherMobile".to_string(), true, false, true),
                ("telephoneNumber".to_string(), true, false, false),
            ]
        );
    }

    #[test]
    fn the_search_is_case_sensitive() {
        let (draft, facts) = with_forest();
        let all = candidates(&draft, &facts);
        let names =
            |s: &str| -> Vec<String> { matching(&all, s).iter().map(|c| c.name.clone()).collect() };
        assert_eq!(names("Number"), ["employeeNumber", "telephoneNumber"]);
        assert!(names("number").is_empty());
        assert_eq!(names("").len(), all.len());
    }

    #[test]
    fn choices_are_checked_against_the_schema_and_the_limit() {
        let (mut draft, facts) = with_forest();
        let messages = |d: &Draft| -> Vec<(&str, Option<String>)> {
            validate(d, &facts)
                .into_iter()
                .map(|p| (p.message, p.detail))
                .collect()
        };
        assert_eq!(messages(&draft), [(CHOOSE_ONE, None)]);
        draft.extensions.insert("telephoneNumber".into());
        assert!(messages(&draft).is_empty());
        draft.extensions.insert("manager".into());
        draft.extensions.insert("noSuchThing".into());
        assert_eq!(
            messages(&draft),
            [
                (NOT_AVAILABLE, Some("manager".to_string())),
                (NOT_IN_SCHEMA, Some("noSuchThing".to_string())),
            ]
        );
        draft.extensions = (0..=MAX_EXTENSIONS).map(|i| format!("a{i}")).collect();
        assert!(messages(&draft).iter().any(|(m, _)| *m == TOO_MANY));
        draft.extensions = ["telephoneNumber".to_string()].into();
        let planned = chosen(&draft, &facts);
        assert_eq!(planned.len(), 1);
        assert_eq!(planned[0].data_type, DataType::String);
        assert!(planned[0].users && !planned[0].groups);
    }
}
