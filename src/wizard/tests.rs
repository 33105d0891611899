//! The wizard's walk as a whole: navigation, probes' answers and configuring.

use super::*;

#[test]
fn choosing_express_puts_back_the_express_settings() {
    let mut wizard = Wizard::new();
    wizard.update(Msg::SetMode(InstallMode::Custom));
    wizard.update(Msg::SetSignIn(SignInMethod::PassThrough));
    wizard.update(Msg::SetSyncSelected(true));
    wizard.update(Msg::SetPilotEnabled(true));
    wizard.update(Msg::SetFeature(
        crate::wizard::state::choices::Feature::DirectoryExtensions,
        true,
    ));
    wizard.update(Msg::SetAnchor(crate::engine::rules::AnchorMode::Attribute(
        "employeeID".into(),
    )));
    wizard.update(Msg::SetMode(InstallMode::Express));
    let draft = wizard.draft();
    assert_eq!(draft.sign_in, SignInMethod::PasswordHashSync);
    assert!(!draft.sync_selected && !draft.pilot_enabled && draft.features.is_empty());
    assert_eq!(draft.anchor, crate::engine::rules::AnchorMode::Managed);
}

#[test]
fn next_is_refused_until_the_licence_is_accepted() {
    let mut wizard = Wizard::new();
    assert!(!wizard.can_go_next());
    wizard.update(Msg::Next);
    assert_eq!(wizard.position(), Position::Page(PageId::Welcome));
    wizard.update(Msg::SetLicenceAccepted(true));
    assert!(wizard.can_go_next());
    wizard.update(Msg::Next);
    assert_eq!(wizard.position(), Position::Page(PageId::Express));
    assert!(wizard.is_completed(PageId::Welcome));
}

#[test]
fn back_returns_and_keeps_what_was_entered() {
    let mut wizard = Wizard::new();
    assert!(!wizard.can_go_back());
    wizard.update(Msg::SetLicenceAccepted(true));
    wizard.update(Msg::Next);
    wizard.update(Msg::Back);
    assert_eq!(wizard.position(), Position::Page(PageId::Welcome));
    assert!(wizard.draft().licence_accepted);
    assert!(!wizard.is_completed(PageId::Welcome));
}

#[test]
fn the_custom_walk_reaches_sign_in_and_a_method_without_sso_clears_it() {
    let mut wizard = Wizard::new();
    wizard.update(Msg::SetLicenceAccepted(true));
    wizard.update(Msg::Next);
    assert!(!wizard.can_go_next(), "express or custom must be chosen");
    wizard.update(Msg::SetMode(InstallMode::Custom));
    // Entering Required components checks the data folder; Next waits for the answer.
    let effects = wizard.update(Msg::Next);
    assert_eq!(
        wizard.position(),
        Position::Page(PageId::RequiredComponents)
    );
    let [Effect::Probe(ticket, check)] = effects.as_slice() else {
        panic!("one folder check: {effects:?}");
    };
    let probe::Probe::DataFolder { path } = check.as_ref() else {
        panic!("a folder check: {check:?}");
    };
    assert_eq!(path, &wizard.draft().data_dir);
    assert!(!wizard.can_go_next());
    wizard.update(Msg::Answered(
        *ticket,
        probe::Answer::DataFolder(
            path.clone(),
            pages::required_components::FolderCheck::Usable,
        ),
    ));
    assert!(wizard.can_go_next());
    // Another folder is checked afresh; the answer for it replaces the old one.
    let effects = wizard.update(Msg::SetDataDir("/srv/skybridge-two".into()));
    assert!(!wizard.can_go_next());
    let [Effect::Probe(second, _)] = effects.as_slice() else {
        panic!("a new check: {effects:?}");
    };
    wizard.update(Msg::Answered(
        *second,
        probe::Answer::DataFolder(
            "/srv/skybridge-two".into(),
            pages::required_components::FolderCheck::Installed,
        ),
    ));
    assert!(!wizard.can_go_next(), "an installed folder is refused");
    wizard.update(Msg::SetDataDir(path.clone()));
    wizard.update(Msg::Answered(
        *ticket,
        probe::Answer::DataFolder(
            path.clone(),
            pages::required_components::FolderCheck::Usable,
        ),
    ));
    assert!(!wizard.can_go_next(), "an old answer is dropped");
    let effects = wizard.update(Msg::SetDataDir(path.clone()));
    let [Effect::Probe(third, _)] = effects.as_slice() else {
        panic!("a new check: {effects:?}");
    };
    wizard.update(Msg::Answered(
        *third,
        probe::Answer::DataFolder(
            path.clone(),
            pages::required_components::FolderCheck::Usable,
        ),
    ));
    wizard.update(Msg::Next);
    assert_eq!(wizard.position(), Position::Page(PageId::UserSignIn));
    wizard.update(Msg::SetSingleSignOn(true));
    assert!(wizard.can_go_next());
    wizard.update(Msg::SetSignIn(SignInMethod::FederationAdfs));
    assert!(!wizard.draft().single_sign_on);
    assert!(wizard.can_go_next(), "federation goes on to its own pages");
    wizard.update(Msg::SetSignIn(SignInMethod::DoNotConfigure));
    assert!(wizard.can_go_next(), "a warning does not block");
    wizard.update(Msg::Next);
    assert_eq!(wizard.position(), Position::Page(PageId::ConnectTenant));
}

fn signed_in_facts(user: &str) -> crate::wizard::state::tenant::TenantFacts {
    crate::wizard::state::tenant::TenantFacts {
        user: user.into(),
        tenant_id: "t".into(),
        display_name: "Contoso".into(),
        domains: Vec::new(),
        admin: Default::default(),
    }
}

#[test]
fn a_sign_in_answer_for_input_that_has_changed_is_dropped() {
    let mut wizard = Wizard::new();
    wizard.update(Msg::SetTenantUser("admin@contoso.com".into()));
    wizard.update(Msg::SetTenantPassword(crate::secret::Secret::new("pw")));
    let effects = wizard.update(Msg::SignInTenant);
    let [Effect::Probe(first, asked)] = effects.as_slice() else {
        panic!("one probe: {effects:?}");
    };
    let probe::Probe::TenantSignIn { user, .. } = asked.as_ref() else {
        panic!("a sign-in probe: {asked:?}");
    };
    assert_eq!(user, "admin@contoso.com");
    assert!(wizard.probing(probe::ProbeKind::TenantSignIn));
    // The administrator corrects the name while the first sign-in is on its way.
    wizard.update(Msg::SetTenantUser("admin@fabrikam.com".into()));
    wizard.update(Msg::Answered(
        *first,
        probe::Answer::TenantSignIn(Ok(signed_in_facts("admin@contoso.com"))),
    ));
    assert!(wizard.facts().tenant.is_none(), "a stale answer is dropped");
    let effects = wizard.update(Msg::SignInTenant);
    let [Effect::Probe(second, _)] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_ne!(first, second);
    wizard.update(Msg::Answered(
        *second,
        probe::Answer::TenantSignIn(Ok(signed_in_facts("admin@fabrikam.com"))),
    ));
    assert!(matches!(&wizard.facts().tenant, Some(Ok(f)) if f.user == "admin@fabrikam.com"));
    assert!(!wizard.probing(probe::ProbeKind::TenantSignIn));
}

#[test]
fn sign_in_is_not_attempted_without_a_name_and_password() {
    let mut wizard = Wizard::new();
    assert!(wizard.update(Msg::SignInTenant).is_empty());
    wizard.update(Msg::SetTenantUser("not-a-upn".into()));
    wizard.update(Msg::SetTenantPassword(crate::secret::Secret::new("pw")));
    assert!(wizard.update(Msg::SignInTenant).is_empty());
}

#[test]
fn another_sign_in_method_forgets_the_metadata_read_for_the_last() {
    let mut wizard = Wizard::new();
    wizard.update(Msg::SetSignIn(SignInMethod::FederationPing));
    wizard.facts.federation.metadata = Some(Err("read for PingFederate".into()));
    wizard.update(Msg::SetSignIn(SignInMethod::FederationPing));
    assert!(
        wizard.facts.federation.metadata.is_some(),
        "the same method keeps it"
    );
    wizard.update(Msg::SetSignIn(SignInMethod::FederationAdfs));
    assert!(wizard.facts.federation.metadata.is_none());
}

fn an_empty_plan() -> plan::InstallPlan {
    plan::InstallPlan {
        sign_in: SignInMethod::default(),
        single_sign_on: false,
        password_listen: crate::passwords::DEFAULT_LISTEN.into(),
        tenant: crate::tenant::TenantEndpoint::default(),
        tenant_name: "Contoso".into(),
        directories: Vec::new(),
        sync: crate::engine::sync::SyncSettings::new(Vec::new(), Vec::new(), "c.onmicrosoft.com"),
        alternate_sign_in: None,
        features: Vec::new(),
        start_sync: true,
        service: pages::ready_to_configure::ServiceChoice::None,
        choices: None,
        tenant_id: "t".into(),
        admin: Default::default(),
        data_dir: std::env::temp_dir().join("never-written"),
        sso: Vec::new(),
        federation: None,
        database: None,
    }
}

fn step_of(effects: &[Effect]) -> (Ticket, apply::Step) {
    match effects {
        [Effect::Apply(ticket, job)] => (*ticket, job.step),
        other => panic!("one step expected: {other:?}"),
    }
}

#[test]
fn configuring_runs_steps_in_turn_retries_a_failed_one_and_stops_when_asked() {
    let mut wizard = Wizard::new();
    wizard.position = Position::Page(PageId::Configuring);
    wizard.facts.configuring = Some(pages::configuring::Configuring::new(an_empty_plan()));
    let (first, step) = step_of(&wizard.next_step());
    assert_eq!(step, apply::Step::CreateStore);
    assert!(!wizard.can_go_back() && !wizard.can_go_next());
    let done = |step, outcome| Msg::ApplyDone(Ticket(0), Box::new(apply::Done { step, outcome }));
    // An answer with another ticket is not the awaited one.
    assert!(
        wizard
            .update(done(step, Ok((Default::default(), String::new()))))
            .is_empty()
    );
    let answer =
        |ticket, step, outcome| Msg::ApplyDone(ticket, Box::new(apply::Done { step, outcome }));
    // Progress of the running step is kept; a report for another ticket is not.
    use crate::engine::install::CyclePhase;
    let progress = |w: &Wizard| {
        w.facts()
            .configuring
            .as_ref()
            .and_then(|c| c.progress.clone())
    };
    wizard.update(Msg::StepProgress(
        first,
        CyclePhase::Import("f".into()),
        250,
    ));
    wizard.update(Msg::StepProgress(Ticket(0), CyclePhase::Export, 9));
    assert_eq!(
        progress(&wizard),
        Some((CyclePhase::Import("f".into()), 250))
    );
    let effects = wizard.update(answer(first, step, Ok((Default::default(), "made".into()))));
    assert_eq!(progress(&wizard), None, "a finished step has no progress");
    let (second, step) = step_of(&effects);
    assert_eq!(step, apply::Step::PrepareTenant);
    // It fails: nothing more runs, Next stays off and the reason is on the page.
    let effects = wizard.update(answer(second, step, Err("refused".into())));
    assert!(effects.is_empty());
    let problems = wizard.problems(PageId::Configuring);
    assert!(problems[0].text().contains("refused"), "{problems:?}");
    // Retry runs the failed step again, not the first one.
    let (third, step) = step_of(&wizard.update(Msg::RetryApply));
    assert_eq!(step, apply::Step::PrepareTenant);
    // Cancel while it runs asks to stop after it; nothing follows.
    assert!(wizard.update(Msg::Cancel).is_empty());
    assert!(!wizard.confirming_cancel());
    let effects = wizard.update(answer(third, step, Ok((Default::default(), "app".into()))));
    assert!(effects.is_empty(), "stopped after the step");
    let (_, step) = step_of(&wizard.update(Msg::RetryApply));
    assert_eq!(step, apply::Step::SaveCredentials);
}

#[test]
fn cancel_asks_first_and_only_a_confirmation_closes() {
    let mut wizard = Wizard::new();
    assert!(wizard.update(Msg::Cancel).is_empty());
    assert!(wizard.confirming_cancel());
    assert!(wizard.update(Msg::CancelDismissed).is_empty());
    assert!(!wizard.confirming_cancel());
    wizard.update(Msg::Cancel);
    assert!(matches!(
        wizard.update(Msg::CancelConfirmed).as_slice(),
        [Effect::Close]
    ));
}
