//! The Welcome page: the licence must be accepted before anything else.

use crate::wizard::Draft;
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::{Effect, Msg, Wizard};

/// Field ids of this page.
pub const FIELDS: &[&str] = &[LICENCE_TEXT, LICENCE_ACCEPTED];
/// Message ids of this page.
pub const MESSAGES: &[&str] = &[LICENCE_REQUIRED];

/// The licence text box.
pub const LICENCE_TEXT: &str = "licence_text";
/// The "I agree" check box.
pub const LICENCE_ACCEPTED: &str = "licence_accepted";
/// The licence has not been accepted.
pub const LICENCE_REQUIRED: &str = "licence_required";

/// The licence terms the administrator accepts: the project's own licence.
pub const LICENCE: &str = include_str!("../../../LICENSE");

/// Checks the page.
pub fn validate(draft: &Draft) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !draft.licence_accepted {
        problems.push(Problem::error(
            PageId::Welcome,
            LICENCE_ACCEPTED,
            LICENCE_REQUIRED,
        ));
    }
    problems
}

/// Applies a message of this page (the wizard hands each message to the page that owns it).
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    if let Msg::SetLicenceAccepted(accepted) = msg {
        w.draft.licence_accepted = accepted;
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_licence_must_be_accepted() {
        let mut draft = Draft::default();
        let problems = validate(&draft);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field, LICENCE_ACCEPTED);
        assert!(problems[0].text().contains("licence"));
        draft.licence_accepted = true;
        assert!(validate(&draft).is_empty());
    }
}
