//! The wizard window driven without a display (egui_kittest): widgets are found by their labels,
//! as a screen reader would find them.
#![cfg(feature = "gui")]

use egui::accesskit::Toggled;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use skybridge::wizard::{Effect, PageId, Position, Wizard};

struct State {
    wizard: Wizard,
    effects: Vec<Effect>,
}

fn harness() -> Harness<'static, State> {
    Harness::builder().with_size([920.0, 640.0]).build_ui_state(
        |ui, state: &mut State| {
            for msg in skybridge::ui::shell::show(ui, &state.wizard) {
                let effects = state.wizard.update(msg);
                state.effects.extend(effects);
            }
        },
        State {
            wizard: Wizard::new(),
            effects: Vec::new(),
        },
    )
}

#[test]
fn welcome_needs_the_licence_accepted_before_next() {
    let mut harness = harness();
    harness.run();
    harness.get_by_label("Welcome to Skybridge");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    assert!(harness.get_by_label("Back").accesskit_node().is_disabled());
    // The licence text box is labelled, so assistive technology can read it.
    harness.get_by_label("Licence terms");

    harness.get_by_label("Next").click();
    harness.run();
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

    harness.get_by_label("Next").click();
    harness.run();
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::Express)
    );

    // Back keeps what was entered.
    harness.get_by_label("Back").click();
    harness.run();
    let agree = harness.get_by_label("I agree to the licence terms");
    assert_eq!(agree.accesskit_node().toggled(), Some(Toggled::True));
}

#[test]
fn the_custom_walk_chooses_a_sign_in_method_and_federation_cannot_go_on() {
    let mut harness = harness();
    harness.run();
    harness.get_by_label("I agree to the licence terms").click();
    harness.run();
    harness.get_by_label("Next").click();
    harness.run();
    harness.get_by_label("Express or custom install");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    harness.get_by_label("Customize the installation").click();
    harness.run();
    harness.get_by_label("Next").click();
    harness.run();
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

    // Federation: single sign-on is cleared and offered no more, and Next stays disabled
    // with the reason on the page.
    harness.get_by_label("Federation with AD FS").click();
    harness.run();
    assert!(!harness.state().wizard.draft().single_sign_on);
    assert!(
        harness
            .get_by_label("Enable seamless single sign-on")
            .accesskit_node()
            .is_disabled()
    );
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    harness.get_by_label_contains("Federation is not available in this build");

    harness.get_by_label("Pass-through authentication").click();
    harness.run();
    harness.get_by_label("Next").click();
    harness.run();
    assert_eq!(harness.state().wizard.position(), Position::EndOfBuild);
    harness.get_by_label("That is all this build can do");
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
    harness.get_by_label("Stay").click();
    harness.run();
    assert!(!harness.state().wizard.confirming_cancel());
    assert!(harness.state().effects.is_empty());

    harness.get_by_label("Cancel").click();
    harness.run();
    harness.get_by_label("Leave setup").click();
    harness.run();
    assert_eq!(harness.state().effects, vec![Effect::Close]);
}
