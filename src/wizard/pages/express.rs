//! The Express settings page: the express install (one forest, password hash synchronization,
//! every user, group and contact synchronized) or a customized one.

use crate::wizard::Draft;
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::{Effect, Msg, Wizard};

/// Field ids of this page.
pub const FIELDS: &[&str] = &[MODE, EXPRESS, CUSTOM];
/// Message ids of this page.
pub const MESSAGES: &[&str] = &[CHOOSE_MODE];

/// The choice as a whole (problems are reported against it).
pub const MODE: &str = "mode";
/// The "use express settings" option.
pub const EXPRESS: &str = "express";
/// The "customize" option.
pub const CUSTOM: &str = "custom";
/// Neither option is chosen.
pub const CHOOSE_MODE: &str = "choose_mode";

/// Checks the page.
pub fn validate(draft: &Draft) -> Vec<Problem> {
    let mut problems = Vec::new();
    if draft.mode.is_none() {
        problems.push(Problem::error(PageId::Express, MODE, CHOOSE_MODE));
    }
    problems
}

/// Applies a message of this page (the wizard hands each message to the page that owns it).
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    if let Msg::SetMode(mode) = msg {
        w.draft.mode = Some(mode);
        if mode == crate::wizard::InstallMode::Express {
            // The express install's own settings, whatever a custom walk chose before.
            w.draft.sign_in = crate::wizard::SignInMethod::PasswordHashSync;
            w.draft.single_sign_on = false;
            w.draft.sync_selected = false;
            w.draft.pilot_enabled = false;
            w.draft.features.clear();
            w.draft.extensions.clear();
            w.draft.alternate_sign_in = None;
            w.draft.anchor = crate::engine::rules::AnchorMode::Managed;
            w.draft.matching = crate::engine::rules::Matching::Mail;
            w.draft.no_start_sync = false;
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wizard::InstallMode;

    #[test]
    fn a_mode_must_be_chosen() {
        let mut draft = Draft::default();
        let problems = validate(&draft);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].field, MODE);
        for mode in [InstallMode::Express, InstallMode::Custom] {
            draft.mode = Some(mode);
            assert!(validate(&draft).is_empty());
        }
    }
}
