//! The Sign-in configuration page: the UPN suffixes of the added forests with their state in the
//! tenant, and the attribute people sign in with.

use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::{Draft, Facts, SignInMethod};
use crate::wizard::{Effect, Msg, Wizard};

/// Field ids of this page.
pub const FIELDS: &[&str] = &[
    SUFFIXES,
    SUFFIX,
    FOREST,
    STATE,
    VERIFIED,
    NOT_VERIFIED,
    NOT_ADDED,
    REFRESH,
    ATTRIBUTE,
    USE_UPN,
    USE_OTHER,
    ATTRIBUTE_NAME,
];
/// Message ids of this page.
pub const MESSAGES: &[&str] = &[
    UNVERIFIED_SUFFIXES,
    PASS_THROUGH_NEEDS_VERIFIED,
    ENTER_ATTRIBUTE,
    ATTRIBUTE_MISSING,
    ATTRIBUTE_MULTI_VALUED,
    ATTRIBUTE_NOT_TEXT,
];

/// The table of suffixes.
pub const SUFFIXES: &str = "suffixes";
/// Its suffix column.
pub const SUFFIX: &str = "suffix";
/// Its forest column.
pub const FOREST: &str = "forest";
/// Its state column.
pub const STATE: &str = "state";
/// State: a verified tenant domain.
pub const VERIFIED: &str = "verified";
/// State: a tenant domain, not verified.
pub const NOT_VERIFIED: &str = "not_verified";
/// State: not a tenant domain.
pub const NOT_ADDED: &str = "not_added";
/// The Refresh button (reads the tenant's domains again).
pub const REFRESH: &str = "refresh";
/// The sign-in attribute choice.
pub const ATTRIBUTE: &str = "attribute";
/// userPrincipalName.
pub const USE_UPN: &str = "use_upn";
/// Another attribute.
pub const USE_OTHER: &str = "use_other";
/// Its name.
pub const ATTRIBUTE_NAME: &str = "attribute_name";
/// Some suffixes are not verified: their users sign in with the initial domain.
pub const UNVERIFIED_SUFFIXES: &str = "unverified_suffixes";
/// Pass-through authentication needs a verified suffix.
pub const PASS_THROUGH_NEEDS_VERIFIED: &str = "pass_through_needs_verified";
/// No attribute name.
pub const ENTER_ATTRIBUTE: &str = "enter_attribute";
/// A forest's schema lacks the attribute.
pub const ATTRIBUTE_MISSING: &str = "attribute_missing";
/// The attribute can hold several values.
pub const ATTRIBUTE_MULTI_VALUED: &str = "attribute_multi_valued";
/// The attribute does not hold text.
pub const ATTRIBUTE_NOT_TEXT: &str = "attribute_not_text";

/// The sign-in attribute Skybridge uses by default.
pub const UPN: &str = "userPrincipalName";

/// A suffix's state in the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuffixState {
    /// A verified domain of the tenant.
    Verified,
    /// Added to the tenant but not verified.
    NotVerified,
    /// Not a domain of the tenant.
    NotAdded,
}

impl SuffixState {
    /// The id of its words.
    pub fn field(self) -> &'static str {
        match self {
            SuffixState::Verified => VERIFIED,
            SuffixState::NotVerified => NOT_VERIFIED,
            SuffixState::NotAdded => NOT_ADDED,
        }
    }
}

/// One row of the suffix table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuffixRow {
    /// The suffix.
    pub suffix: String,
    /// The forest it belongs to.
    pub forest: String,
    /// Its state in the tenant.
    pub state: SuffixState,
}

/// The suffixes of every added forest with their state in the tenant (as the last sign-in read
/// its domains).
pub fn suffixes(draft: &Draft, facts: &Facts) -> Vec<SuffixRow> {
    let domains = match &facts.tenant {
        Some(Ok(t)) => t.domains.as_slice(),
        _ => &[],
    };
    let mut rows = Vec::new();
    for added in &draft.directories {
        let Some(found) = facts.forests.get(&added.forest) else {
            continue;
        };
        for s in &found.forest.upn_suffixes {
            let state = match domains
                .iter()
                .find(|d| d.id.eq_ignore_ascii_case(&s.suffix))
            {
                Some(d) if d.is_verified => SuffixState::Verified,
                Some(_) => SuffixState::NotVerified,
                None => SuffixState::NotAdded,
            };
            rows.push(SuffixRow {
                suffix: s.suffix.clone(),
                forest: added.forest.clone(),
                state,
            });
        }
    }
    rows
}

/// Checks the page.
pub fn validate(draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::SignInConfiguration;
    let mut problems = Vec::new();
    let attribute = draft.alternate_sign_in.as_deref().map(str::trim);
    if attribute == Some("") {
        problems.push(Problem::error(page, ATTRIBUTE_NAME, ENTER_ATTRIBUTE));
    } else if let Some(attribute) = attribute.filter(|a| !a.eq_ignore_ascii_case(UPN)) {
        for added in &draft.directories {
            let Some(found) = facts.forests.get(&added.forest) else {
                continue;
            };
            let forest = added.forest.clone();
            match found.forest.schema.attribute(attribute) {
                None => problems.push(
                    Problem::error(page, ATTRIBUTE_NAME, ATTRIBUTE_MISSING).with_detail(forest),
                ),
                Some(a) => {
                    if !a.single_valued {
                        problems.push(
                            Problem::error(page, ATTRIBUTE_NAME, ATTRIBUTE_MULTI_VALUED)
                                .with_detail(forest.clone()),
                        );
                    }
                    // Unicode, case-insensitive and IA5 strings: what a name@domain can be.
                    if !["2.5.5.12", "2.5.5.4", "2.5.5.5"].contains(&a.syntax.as_str()) {
                        problems.push(
                            Problem::error(page, ATTRIBUTE_NAME, ATTRIBUTE_NOT_TEXT)
                                .with_detail(forest),
                        );
                    }
                }
            }
        }
    }
    let rows = suffixes(draft, facts);
    if draft.sign_in == SignInMethod::PassThrough
        && !rows.iter().any(|r| r.state == SuffixState::Verified)
    {
        problems.push(Problem::error(page, SUFFIXES, PASS_THROUGH_NEEDS_VERIFIED));
    }
    let unverified: Vec<&str> = rows
        .iter()
        .filter(|r| r.state != SuffixState::Verified)
        .map(|r| r.suffix.as_str())
        .collect();
    if !unverified.is_empty() {
        problems.push(
            Problem::confirm(page, SUFFIXES, UNVERIFIED_SUFFIXES)
                .with_detail(unverified.join(", ")),
        );
    }
    problems
}

/// Applies a message of this page (the wizard hands each message to the page that owns it).
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    if let Msg::SetAlternateSignIn(attribute) = msg {
        w.draft.alternate_sign_in = attribute;
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::directory::discovery::{Schema, SchemaAttribute, UpnSuffix};

    use crate::ops::discover::ForestFacts;
    use crate::tenant::api::Domain;
    use crate::wizard::Severity;
    use crate::wizard::state::directories::AddedDirectory;
    use crate::wizard::state::tenant::TenantFacts;

    fn attribute(name: &str, syntax: &str, single: bool) -> SchemaAttribute {
        SchemaAttribute::for_tests(name, syntax, single)
    }

    /// One forest with two suffixes, a tenant where only one of them is verified.
    fn setup() -> (Draft, Facts) {
        let mut found = ForestFacts::for_tests(
            "contoso.test",
            Schema {
                attributes: vec![
                    attribute("mail", "2.5.5.12", true),
                    attribute("otherMailbox", "2.5.5.12", false),
                    attribute("objectGUID", "2.5.5.10", true),
                ],
                classes: Vec::new(),
            },
        );
        found.forest.upn_suffixes = ["contoso.com", "contoso.test"]
            .into_iter()
            .map(|s| UpnSuffix {
                suffix: s.into(),
                source: "extra",
            })
            .collect();
        let mut facts = Facts::default();
        facts.forests.insert("contoso.test".into(), found);
        let domain = |id: &str, verified: bool| Domain {
            id: id.into(),
            is_verified: verified,
            is_default: false,
            is_initial: false,
            authentication_type: "Managed".into(),
        };
        facts.tenant = Some(Ok(TenantFacts {
            user: "admin@contoso.com".into(),
            tenant_id: "t".into(),
            display_name: "Contoso".into(),
            domains: vec![domain("contoso.com", true)],
            admin: Default::default(),
        }));
        let draft = Draft {
            directories: vec![AddedDirectory {
                forest: "contoso.test".into(),
                form: Default::default(),
            }],
            ..Draft::default()
        };
        (draft, facts)
    }

    #[test]
    fn suffix_states_come_from_the_tenant_and_unverified_ones_need_a_confirmation() {
        let (draft, facts) = setup();
        let rows = suffixes(&draft, &facts);
        assert_eq!(rows[0].state, SuffixState::Verified);
        assert_eq!(rows[1].state, SuffixState::NotAdded);
        let problems = validate(&draft, &facts);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].severity, Severity::Confirm);
        assert_eq!(problems[0].detail.as_deref(), Some("contoso.test"));
    }

    #[test]
    fn pass_through_needs_a_verified_suffix() {
        let (mut draft, mut facts) = setup();
        draft.sign_in = SignInMethod::PassThrough;
        assert!(
            validate(&draft, &facts)
                .iter()
                .all(|p| p.severity != Severity::Error)
        );
        if let Some(Ok(t)) = &mut facts.tenant {
            t.domains[0].is_verified = false;
        }
        assert!(
            validate(&draft, &facts)
                .iter()
                .any(|p| p.message == PASS_THROUGH_NEEDS_VERIFIED)
        );
    }

    #[test]
    fn an_alternate_sign_in_attribute_must_be_single_valued_text_in_every_forest() {
        let (mut draft, facts) = setup();
        let errors = |draft: &Draft| -> Vec<&'static str> {
            validate(draft, &facts)
                .into_iter()
                .filter(|p| p.severity == Severity::Error)
                .map(|p| p.message)
                .collect()
        };
        draft.alternate_sign_in = Some("mail".into());
        assert!(errors(&draft).is_empty());
        draft.alternate_sign_in = Some(" ".into());
        assert_eq!(errors(&draft), [ENTER_ATTRIBUTE]);
        draft.alternate_sign_in = Some("otherMailbox".into());
        assert_eq!(errors(&draft), [ATTRIBUTE_MULTI_VALUED]);
        draft.alternate_sign_in = Some("objectGUID".into());
        assert_eq!(errors(&draft), [ATTRIBUTE_NOT_TEXT]);
        draft.alternate_sign_in = Some("noSuchAttribute".into());
        assert_eq!(errors(&draft), [ATTRIBUTE_MISSING]);
    }
}
