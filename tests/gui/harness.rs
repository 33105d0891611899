//! The window as the application runs it, driven without a display, and the steps the tests
//! share: typing into a box, pressing a button (and waiting for the probe it starts), the walks to
//! the pages the tests start from, signing in to the emulated tenant, adding a forest, and waiting
//! for configuring to finish.

use crate::common;
use crate::common::tenant::{TENANT_PASSWORD, Tenant};
use egui::accesskit::Toggled;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use skybridge::ui::Probes;
use skybridge::wizard::pages::configuring::Configuring;
use skybridge::wizard::probe::ProbeKind;
use skybridge::wizard::{Effect, PageId, Position, Wizard};

/// What the window's closure works on.
pub(crate) struct State {
    pub(crate) wizard: Wizard,
    /// What the wizard leaves to the window (closing it, choosing a path), in the order asked.
    pub(crate) effects: Vec<Effect>,
    pub(crate) probes: Probes,
    /// Messages a test sends as a file dialog would (a path chosen), or as another front end
    /// would.
    pub(crate) chosen: Vec<skybridge::wizard::Msg>,
    /// The runtime the probes run on: the window's own, as the application's window has one.
    _runtime: tokio::runtime::Runtime,
}

static NEXT_DATA: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The window as the application runs it: probes run for real on their own runtime.
pub(crate) fn harness() -> Harness<'static, State> {
    // Each window installs into a folder of its own, never the real data folder.
    harness_at(std::env::temp_dir().join(format!(
        "skybridge-gui-data-{}-{}",
        std::process::id(),
        NEXT_DATA.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )))
}

/// The window for the data folder `data` (an installation there opens Additional tasks).
pub(crate) fn harness_at(data: std::path::PathBuf) -> Harness<'static, State> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    Harness::builder().with_size([920.0, 640.0]).build_ui_state(
        |ui, state: &mut State| {
            let mut msgs = state.probes.answers();
            msgs.append(&mut state.chosen);
            msgs.extend(skybridge::ui::shell::show(ui, &state.wizard));
            // The application's own dispatch: it starts the probes and configuring steps and
            // hands back what is the window's business, kept here for the tests to read.
            let window = skybridge::ui::dispatch(&mut state.wizard, &state.probes, ui.ctx(), msgs);
            state.effects.extend(window);
        },
        State {
            wizard: {
                let mut wizard = Wizard::with_data_dir(data);
                // Password agents would deliver to a loopback port of the system's choosing:
                // tests listen on nothing else.
                wizard.update(skybridge::wizard::Msg::SetPasswordListen(
                    "127.0.0.1:0".into(),
                ));
                wizard
            },
            effects: Vec::new(),
            probes: Probes::new(runtime.handle().clone()),
            chosen: Vec::new(),
            _runtime: runtime,
        },
    )
}

/// Replaces the text of the box labelled `label`.
pub(crate) fn fill(harness: &mut Harness<'static, State>, label: &str, text: &str) {
    harness.get_by_label(label).focus();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label(label).type_text(text);
    harness.run();
}

/// Runs frames until `done` holds (a probe answers); a probe that never answers fails the test
/// after a generous minute.
pub(crate) fn run_until(harness: &mut Harness<'static, State>, done: impl Fn(&State) -> bool) {
    let started = std::time::Instant::now();
    while !done(harness.state()) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "no answer"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
        // A spinner keeps asking for frames while the probe runs: step, do not wait to settle.
        harness.step();
    }
    // A probe may still run (a device-code sign-in waits on after showing its code): draw a
    // couple of frames rather than wait for the window to settle.
    harness.run_steps(2);
}

/// Presses a button that starts a probe and runs frames until its answer is in.
pub(crate) fn press_and_wait(
    harness: &mut Harness<'static, State>,
    button: &str,
    answered: impl Fn(&State) -> bool,
) {
    harness.get_by_label(button).click();
    harness.step();
    run_until(harness, answered);
}

/// Presses Next and draws the next frame.
#[track_caller]
pub(crate) fn press_next(harness: &mut Harness<'static, State>) {
    harness.get_by_label("Next").click();
    settle(harness);
}

/// Runs frames until the window settles. An answer that arrives meanwhile (a probe the page
/// started) asks for a few more frames than one settling allows: it is given them.
pub(crate) fn settle(harness: &mut Harness<'static, State>) {
    for _ in 0..3 {
        if harness.try_run().is_ok() {
            return;
        }
    }
    harness.run();
}

/// Clicks the widget labelled `label` and draws the next frame.
#[track_caller]
pub(crate) fn click(harness: &mut Harness<'static, State>, label: &str) {
    harness.get_by_label(label).click();
    settle(harness);
}

const EXPRESS: &str =
    "Use express settings (one forest, password synchronization, everything synchronized)";

/// Accepts the licence on Welcome and goes on to Express settings.
pub(crate) fn accept_licence(harness: &mut Harness<'static, State>) {
    harness.run();
    click(harness, "I agree to the licence terms");
    press_next(harness);
}

/// On Express settings: chooses `mode` (express or custom) and presses Next.
pub(crate) fn choose_install_mode(harness: &mut Harness<'static, State>, mode: &str) {
    click(harness, mode);
    harness.get_by_label("Next").click();
    // The data folder's check shows a spinner: step, do not wait to settle.
    harness.run_steps(2);
}

/// Clicks through Welcome and Express settings (custom) to Required components.
pub(crate) fn walk_to_required_components(harness: &mut Harness<'static, State>) {
    accept_licence(harness);
    choose_install_mode(harness, "Customize the installation");
}

/// Clicks through Welcome and Express settings (express or custom) and, for custom, User
/// sign-in with its default.
pub(crate) fn walk_to_tenant_page(harness: &mut Harness<'static, State>, custom: bool) {
    accept_licence(harness);
    let mode = if custom {
        "Customize the installation"
    } else {
        EXPRESS
    };
    choose_install_mode(harness, mode);
    if custom {
        pass_required_components(harness);
        press_next(harness);
    }
    harness.get_by_label("Connect to your tenant");
}

/// On Required components: waits for the data folder's check, then presses Next.
pub(crate) fn pass_required_components(harness: &mut Harness<'static, State>) {
    harness.get_by_label("Where Skybridge keeps its data");
    run_until(harness, |s| s.wizard.can_go_next());
    press_next(harness);
}

/// On Required components: keeps the store on the PostgreSQL server `pg`, signing in to
/// `database` as `user` with `password` (no TLS: loopback), and presses Test connection.
pub(crate) fn use_database(
    harness: &mut Harness<'static, State>,
    pg: &common::postgres::Postgres,
    database: &str,
    user: &str,
    password: &str,
) {
    // The data folder's check runs when the page opens: let it answer first.
    run_until(harness, |s| !s.wizard.probing(ProbeKind::DataFolder));
    let option = "Keep the synchronization store on an existing PostgreSQL server";
    if harness.get_by_label(option).accesskit_node().toggled() != Some(Toggled::True) {
        click(harness, option);
        harness.get_by_label_contains("Connect without TLS").click();
        harness.run();
    }
    fill(harness, "Database server", "127.0.0.1");
    fill(harness, "Port", &pg.port.to_string());
    fill(harness, "Database", database);
    fill(harness, "Account", user);
    fill(harness, "Password", password);
    press_and_wait(harness, "Test connection", |s| {
        s.wizard.facts().database.is_some()
    });
}

/// Points the tenant page at the emulator and fills in its administrator.
pub(crate) fn fill_tenant(harness: &mut Harness<'static, State>, tenant: &Tenant) {
    let endpoint = tenant.emulator().tenant_endpoint();
    click(harness, "Advanced: where the tenant is");
    fill(harness, "Sign-in authority", &endpoint.authority);
    fill(harness, "Microsoft Graph address", &endpoint.graph);
    fill(harness, "Application (client) ID", &endpoint.client_id);
    let admin = tenant.emulator().credentials.admin_upn.clone();
    fill(harness, "Administrator sign-in name", &admin);
}

/// On Connect to your tenant, the administrator filled in: types the tenant's password, signs in,
/// waits for the answer and presses Next.
pub(crate) fn sign_in_and_press_next(harness: &mut Harness<'static, State>) {
    fill(harness, "Password", TENANT_PASSWORD);
    press_and_wait(harness, "Sign in", |s| s.wizard.facts().tenant.is_some());
    press_next(harness);
}

/// On Connect to your tenant: points it at the emulated `tenant`, signs its administrator in and
/// presses Next.
pub(crate) fn sign_in_to_the_emulator(harness: &mut Harness<'static, State>, tenant: &Tenant) {
    fill_tenant(harness, tenant);
    sign_in_and_press_next(harness);
}

/// On Connect your directories: types the forest's domain controller and trusted CA file, and
/// `account` with its `password` as the connector account.
pub(crate) fn fill_directory(
    harness: &mut Harness<'static, State>,
    forest: &common::Forest,
    account: &str,
    password: &str,
) {
    fill(harness, "Domain controller", &forest.url);
    let ca = forest.ca_file.display().to_string();
    fill(harness, "Trusted CA file (optional)", &ca);
    fill(harness, "Connector account", account);
    fill(harness, "Password", password);
}

/// On Connect your directories: presses Add directory and waits until the forest is added or
/// refused.
pub(crate) fn add_directory(harness: &mut Harness<'static, State>) {
    press_and_wait(harness, "Add directory", |s| {
        !s.wizard.draft().directories.is_empty() || s.wizard.facts().directory_probe.is_some()
    });
}

/// Presses Add directory and checks that the forest was added (the probe's complaint shown
/// when it was not).
#[track_caller]
pub(crate) fn add_forest(harness: &mut Harness<'static, State>) {
    add_directory(harness);
    let wizard = &harness.state().wizard;
    assert!(
        wizard.facts().directory_probe.is_none(),
        "{:?}",
        wizard
            .facts()
            .directory_probe
            .as_ref()
            .map(|r| r.as_ref().err())
    );
}

/// Presses Next until the walk reaches `page`, confirming warnings on the way.
pub(crate) fn next_until(harness: &mut Harness<'static, State>, page: PageId) {
    for _ in 0..20 {
        if harness.state().wizard.position() == Position::Page(page) {
            return;
        }
        if harness.get_by_label("Next").accesskit_node().is_disabled()
            && let Some(confirm) = harness.query_by_label("I understand; continue anyway")
        {
            confirm.click();
            harness.run();
        }
        press_next(harness);
    }
    panic!(
        "the walk did not reach {page:?}: it is at {:?}",
        harness.state().wizard.position()
    );
}

/// On Configuring: runs frames until every step has finished or one has failed, and asserts that
/// configuring finished.
pub(crate) fn finish_configuring(harness: &mut Harness<'static, State>) -> Configuring {
    run_until(harness, |s| {
        s.wizard
            .facts()
            .configuring
            .as_ref()
            .is_some_and(|c| !c.running() && (c.finished() || c.failure().is_some()))
    });
    let configuring = harness
        .state()
        .wizard
        .facts()
        .configuring
        .clone()
        .expect("configuring");
    assert!(configuring.finished(), "{:?}", configuring.failure());
    configuring
}
