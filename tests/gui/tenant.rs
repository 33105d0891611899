//! Connect to your tenant against the emulator: a wrong password is explained and the right one
//! signs in; a device-code sign-in shows its code and goes on once the code is entered.

use crate::common::tenant::{TENANT_PASSWORD, Tenant};
use crate::harness::{
    click, fill, fill_tenant, harness, press_and_wait, press_next, run_until, walk_to_tenant_page,
};
use egui_kittest::kittest::{NodeT, Queryable};
use skybridge::wizard::{PageId, Position};

#[test]
fn the_tenant_sign_in_runs_against_the_emulator_and_a_wrong_password_is_explained() {
    let tenant = Tenant::start("tenant");
    let admin = tenant.emulator().credentials.admin_upn.clone();
    let mut harness = harness();
    walk_to_tenant_page(&mut harness, false);
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    fill_tenant(&mut harness, &tenant);
    fill(&mut harness, "Password", "not the password");
    press_and_wait(&mut harness, "Sign in", |s| {
        s.wizard.facts().tenant.is_some()
    });
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    harness.get_by_label_contains("The sign-in did not succeed");

    fill(&mut harness, "Password", TENANT_PASSWORD);
    assert!(
        harness.state().wizard.facts().tenant.is_none(),
        "new input, no answer yet"
    );
    press_and_wait(&mut harness, "Sign in", |s| {
        s.wizard.facts().tenant.is_some()
    });
    let facts = harness.state().wizard.facts().tenant.clone();
    let facts = facts.expect("answered").expect("signed in");
    assert_eq!(facts.user, admin);
    assert!(facts.domains.iter().any(|d| d.id == "contoso.com"));
    harness.get_by_label_contains("Signed in to");
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());
    press_next(&mut harness);
    // The express install asks for the forest's enterprise administrator next.
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::ConnectDirectories)
    );
    harness.get_by_label("Enterprise administrator");
    assert!(harness.query_by_label("Use an existing account").is_none());
}

#[test]
fn a_device_code_sign_in_shows_the_code_and_goes_on_once_it_is_entered() {
    let tenant = Tenant::start("device");
    let admin = tenant.emulator().credentials.admin_upn.clone();
    let mut harness = harness();
    walk_to_tenant_page(&mut harness, false);
    fill_tenant(&mut harness, &tenant);
    click(
        &mut harness,
        "Sign in with a code in a browser (for accounts with multi-factor authentication)",
    );
    // No password is asked for: the browser does that.
    assert!(harness.query_by_label("Password").is_none());
    press_and_wait(&mut harness, "Sign in", |s| {
        s.wizard.facts().device_prompt.is_some() || s.wizard.facts().tenant.is_some()
    });
    let (uri, code) = harness
        .state()
        .wizard
        .facts()
        .device_prompt
        .clone()
        .expect("a code to show");
    harness.get_by_label_contains(&code);
    assert!(uri.starts_with("http"));
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    // The administrator enters the code in a browser (the emulator's stand-in for that).
    let approved = tenant
        .rt
        .block_on(async {
            skybridge::tenant::graph::http_client(None, std::time::Duration::from_secs(10))
                .expect("http")
                .post(format!(
                    "{}/_emulator/device/approve",
                    tenant.emulator().base_url()
                ))
                .json(&serde_json::json!({"user_code": code, "upn": admin}))
                .send()
                .await
        })
        .expect("approved");
    assert!(approved.status().is_success(), "{}", approved.status());
    run_until(&mut harness, |s| s.wizard.facts().tenant.is_some());
    let facts = harness.state().wizard.facts().tenant.clone();
    let facts = facts.expect("answered").expect("signed in");
    assert_eq!(facts.user.to_lowercase(), admin.to_lowercase());
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());
}
