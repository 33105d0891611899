//! Welcome and Express settings, the custom walk's sign-in methods (federation adds its pages), and
//! the keyboard: Enter is Next, Escape asks before leaving.

use crate::harness::{
    accept_licence, choose_install_mode, click, fill, harness, pass_required_components, press_next,
};
use egui::accesskit::Toggled;
use egui_kittest::kittest::{NodeT, Queryable};
use skybridge::wizard::{Effect, PageId, Position};

#[test]
fn welcome_needs_the_licence_accepted_before_next() {
    let mut harness = harness();
    harness.run();
    harness.get_by_label("Welcome to Skybridge");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    assert!(harness.get_by_label("Back").accesskit_node().is_disabled());
    // The licence text box is labelled, so assistive technology can read it.
    harness.get_by_label("Licence terms");

    press_next(&mut harness);
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(skybridge::wizard::PageId::Welcome)
    );

    let agree = harness.get_by_label("I agree to the licence terms");
    assert_eq!(agree.accesskit_node().toggled(), Some(Toggled::False));
    agree.click();
    harness.run();
    assert!(harness.state().wizard.draft().licence_accepted);
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());

    press_next(&mut harness);
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::Express)
    );

    // Back keeps what was entered.
    click(&mut harness, "Back");
    let agree = harness.get_by_label("I agree to the licence terms");
    assert_eq!(agree.accesskit_node().toggled(), Some(Toggled::True));
}

#[test]
fn the_custom_walk_chooses_a_sign_in_method_and_federation_adds_its_pages() {
    let mut harness = harness();
    accept_licence(&mut harness);
    harness.get_by_label("Express or custom install");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    choose_install_mode(&mut harness, "Customize the installation");
    pass_required_components(&mut harness);
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::UserSignIn)
    );

    // Password hash synchronization is the default, and single sign-on can go with it.
    let sso = harness.get_by_label("Enable seamless single sign-on");
    assert!(!sso.accesskit_node().is_disabled());
    sso.click();
    harness.run();
    assert!(harness.state().wizard.draft().single_sign_on);

    // Federation: single sign-on is cleared and offered no more; the federation pages join
    // the walk.
    click(&mut harness, "Federation with AD FS");
    assert!(!harness.state().wizard.draft().single_sign_on);
    assert!(
        harness
            .get_by_label("Enable seamless single sign-on")
            .accesskit_node()
            .is_disabled()
    );
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());
    assert!(harness.state().wizard.flow().contains(&PageId::AdfsFarm));

    // Pass-through authentication is shown but cannot be chosen; the reason is under the list.
    assert!(
        harness
            .get_by_label("Pass-through authentication")
            .accesskit_node()
            .is_disabled()
    );
    harness.get_by_label_contains("no documented interface");
    click(
        &mut harness,
        "Password synchronization (from password changes)",
    );
    // What password synchronization does and does not do, and where agents deliver.
    harness.get_by_label_contains("Passwords set before the agent was installed cannot be read");
    harness.get_by_label_contains("Windows domain controllers are not supported in this build");
    fill(
        &mut harness,
        "Agents deliver to (address:port)",
        "sync.contoso.test",
    );
    harness.get_by_label_contains("Give the address and port agents deliver to");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    fill(
        &mut harness,
        "Agents deliver to (address:port)",
        "127.0.0.1:0",
    );
    press_next(&mut harness);
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::ConnectTenant)
    );
}

#[test]
fn enter_is_next_and_escape_asks_before_leaving() {
    let mut harness = harness();
    harness.run();
    harness.key_press(egui::Key::Enter);
    harness.run();
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(skybridge::wizard::PageId::Welcome)
    );

    harness.key_press(egui::Key::Escape);
    harness.run();
    harness.get_by_label("Leave setup?");
    click(&mut harness, "Stay");
    assert!(!harness.state().wizard.confirming_cancel());
    assert!(harness.state().effects.is_empty());

    click(&mut harness, "Cancel");
    click(&mut harness, "Leave setup");
    assert!(matches!(
        harness.state().effects.as_slice(),
        [Effect::Close]
    ));
}
