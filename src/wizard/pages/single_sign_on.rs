//! The Single sign-on page: for each forest, a domain administrator whose sign-in is checked
//! here and used once, while configuring, to create the computer account single sign-on needs;
//! or the forest is skipped. The credentials live in memory only: never in a file, never in
//! the keychain.

use std::collections::BTreeMap;

use crate::secret::Secret;
use crate::wizard::probe::Answer;
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::state::sso::entry;
use crate::wizard::{Draft, Facts, SignInMethod};
use crate::wizard::{Effect, Msg, Wizard};

/// Field ids of this page.
pub const FIELDS: &[&str] = &[ACCOUNT, PASSWORD, VERIFY, VERIFIED, SKIP, TENANT_NOTE];
/// Message ids of this page.
pub const MESSAGES: &[&str] = &[
    ENTER_CREDENTIALS,
    VERIFY_FIRST,
    VERIFYING,
    VERIFY_FAILED,
    ALL_SKIPPED,
];

/// A domain administrator of the forest.
pub const ACCOUNT: &str = "account";
/// Their password.
pub const PASSWORD: &str = "password";
/// The Verify button.
pub const VERIFY: &str = "verify";
/// The sign-in was checked.
pub const VERIFIED: &str = "verified";
/// Skip this forest.
pub const SKIP: &str = "skip";
/// What Skybridge cannot do on the tenant's side.
pub const TENANT_NOTE: &str = "tenant_note";
/// A forest has no credentials yet (detail: the forest).
pub const ENTER_CREDENTIALS: &str = "enter_credentials";
/// Credentials typed but not verified (detail: the forest).
pub const VERIFY_FIRST: &str = "verify_first";
/// A check is under way.
pub const VERIFYING: &str = "verifying";
/// The check failed (detail: the forest and why).
pub const VERIFY_FAILED: &str = "verify_failed";
/// Every forest is skipped.
pub const ALL_SKIPPED: &str = "all_skipped";

/// A forest's credentials as the plan carries them, to create its account while configuring.
#[derive(Debug, Clone)]
pub struct PlannedSso {
    /// The forest (connector name).
    pub connector: String,
    /// A domain controller of it.
    pub server: crate::directory::ServerSpec,
    /// The domain administrator.
    pub account: crate::directory::AccountName,
    /// Their password (used once, never kept).
    pub password: Secret,
}

/// Whether the walk has this page: single sign-on was chosen with a sign-in method that
/// supports it.
pub fn wanted(draft: &Draft) -> bool {
    draft.single_sign_on
        && matches!(
            draft.sign_in,
            SignInMethod::PasswordHashSync | SignInMethod::PassThrough
        )
}

/// Checks the page.
pub fn validate(draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::SingleSignOn;
    let mut problems = Vec::new();
    let mut skipped = 0;
    for added in &draft.directories {
        let forest = &added.forest;
        let e = entry(draft, forest);
        if e.skip {
            skipped += 1;
            continue;
        }
        let detail = forest.clone();
        match facts.sso_checks.get(forest) {
            Some(Ok(())) => {}
            Some(Err(why)) => problems.push(
                Problem::error(page, ACCOUNT, VERIFY_FAILED)
                    .with_detail(format!("{forest}: {why}")),
            ),
            None if facts.verifying_sso.as_deref() == Some(forest.as_str()) => {
                problems.push(Problem::error(page, VERIFY, VERIFYING).with_detail(detail))
            }
            None if e.account.trim().is_empty() || e.password.expose().is_empty() => {
                problems.push(Problem::error(page, ACCOUNT, ENTER_CREDENTIALS).with_detail(detail))
            }
            None => problems.push(Problem::error(page, VERIFY, VERIFY_FIRST).with_detail(detail)),
        }
    }
    if !draft.directories.is_empty() && skipped == draft.directories.len() {
        problems.push(Problem::confirm(page, SKIP, ALL_SKIPPED));
    }
    problems
}

/// The forests whose single sign-on account the plan creates.
pub fn planned(draft: &Draft, facts: &Facts) -> Vec<PlannedSso> {
    if !wanted(draft) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for added in &draft.directories {
        let e = entry(draft, &added.forest);
        if e.skip || !matches!(facts.sso_checks.get(&added.forest), Some(Ok(()))) {
            continue;
        }
        let (Ok((server, _)), Ok(account)) = (
            added.form.parsed(),
            crate::directory::AccountName::parse(e.account.trim()),
        ) else {
            continue;
        };
        out.push(PlannedSso {
            connector: added.forest.clone(),
            server,
            account,
            password: e.password.clone(),
        });
    }
    out
}

/// Forgets what was learned about a forest's credentials (they changed).
pub fn forget(checks: &mut BTreeMap<String, Result<(), crate::ops::Failure>>, forest: &str) {
    checks.remove(forest);
}

/// Applies a message of this page (the wizard hands each message to the page that owns it).
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::SetSsoAccount(forest, account) => {
            w.sso_input(&forest);
            w.draft.sso.entry(forest).or_default().account = account;
        }
        Msg::SetSsoPassword(forest, password) => {
            w.sso_input(&forest);
            w.draft.sso.entry(forest).or_default().password = password;
        }
        Msg::SetSsoSkip(forest, skip) => w.draft.sso.entry(forest).or_default().skip = skip,
        Msg::VerifySso(forest) => return w.verify_sso(forest),
        // Messages of other pages never come here.
        _ => {}
    }
    Vec::new()
}

/// Takes a probe's answer for this page (already checked to be the awaited one).
pub(crate) fn answered(w: &mut Wizard, result: Answer) -> Vec<Effect> {
    if let crate::wizard::probe::Answer::SsoVerified(forest, outcome) = result {
        w.facts.verifying_sso = None;
        w.facts.sso_checks.insert(forest, outcome);
    }
    Vec::new()
}

impl Wizard {
    /// New single sign-on input for a forest: its earlier check no longer holds.
    pub(crate) fn sso_input(&mut self, forest: &str) {
        crate::wizard::pages::single_sign_on::forget(&mut self.facts.sso_checks, forest);
        if self.facts.verifying_sso.as_deref() == Some(forest) {
            self.facts.verifying_sso = None;
            self.awaited
                .remove(&crate::wizard::probe::ProbeKind::SsoAdmin);
        }
    }

    /// Checks a forest's single sign-on administrator at its domain controller.
    pub(crate) fn verify_sso(&mut self, forest: String) -> Vec<Effect> {
        let entry = crate::wizard::state::sso::entry(&self.draft, &forest).into_owned();
        let Some(added) = self.draft.directories.iter().find(|d| d.forest == forest) else {
            return Vec::new();
        };
        let Ok((server, _)) = added.form.parsed() else {
            return Vec::new();
        };
        let account = match crate::directory::AccountName::parse(entry.account.trim()) {
            Ok(account) => account,
            Err(e) => {
                self.facts
                    .sso_checks
                    .insert(forest, Err(crate::ops::Failure::new(e)));
                return Vec::new();
            }
        };
        let probe = crate::wizard::probe::Probe::VerifySsoAdmin {
            forest: forest.clone(),
            server,
            account,
            password: entry.password,
        };
        self.facts.sso_checks.remove(&forest);
        self.facts.verifying_sso = Some(forest);
        vec![self.ask(probe)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wizard::state::directories::AddedDirectory;
    use crate::wizard::state::sso::SsoEntry;

    fn draft() -> Draft {
        let mut draft = Draft {
            single_sign_on: true,
            ..Draft::default()
        };
        draft.directories = vec![
            AddedDirectory::for_tests("contoso.test"),
            AddedDirectory::for_tests("fabrikam.test"),
        ];
        draft
    }

    fn messages(draft: &Draft, facts: &Facts) -> Vec<(&'static str, Option<String>)> {
        validate(draft, facts)
            .into_iter()
            .map(|p| (p.message, p.detail))
            .collect()
    }

    #[test]
    fn each_forest_needs_verified_credentials_or_a_skip() {
        let mut draft = draft();
        let mut facts = Facts::default();
        assert!(wanted(&draft));
        assert_eq!(
            messages(&draft, &facts),
            [
                (ENTER_CREDENTIALS, Some("contoso.test".to_string())),
                (ENTER_CREDENTIALS, Some("fabrikam.test".to_string())),
            ]
        );
        draft.sso.insert(
            "contoso.test".into(),
            SsoEntry {
                account: "CONTOSO\\admin".into(),
                password: Secret::new("pw"),
                skip: false,
            },
        );
        draft.sso.insert(
            "fabrikam.test".into(),
            SsoEntry {
                skip: true,
                ..SsoEntry::default()
            },
        );
        assert_eq!(
            messages(&draft, &facts),
            [(VERIFY_FIRST, Some("contoso.test".to_string()))]
        );
        facts.sso_checks.insert(
            "contoso.test".into(),
            Err("not a domain administrator".into()),
        );
        assert_eq!(
            messages(&draft, &facts)[0].1.as_deref(),
            Some("contoso.test: not a domain administrator")
        );
        facts.sso_checks.insert("contoso.test".into(), Ok(()));
        assert!(messages(&draft, &facts).is_empty());
        // Both skipped: allowed once confirmed.
        draft.sso.get_mut("contoso.test").unwrap().skip = true;
        assert_eq!(messages(&draft, &facts), [(ALL_SKIPPED, None)]);
    }

    #[test]
    fn only_hash_sync_and_pass_through_have_the_page() {
        let mut draft = draft();
        for (method, has) in [
            (SignInMethod::PasswordHashSync, true),
            (SignInMethod::PassThrough, true),
            (SignInMethod::FederationAdfs, false),
            (SignInMethod::DoNotConfigure, false),
        ] {
            draft.sign_in = method;
            assert_eq!(wanted(&draft), has, "{method:?}");
        }
        draft.sign_in = SignInMethod::PasswordHashSync;
        draft.single_sign_on = false;
        assert!(!wanted(&draft));
    }
}
