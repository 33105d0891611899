//! The wizard window driven without a display (egui_kittest): widgets are found by their labels,
//! as a screen reader would find them.
#![cfg(feature = "gui")]

mod common;

use common::Forest;
use common::tenant::{TENANT_PASSWORD, Tenant};
use egui::accesskit::Toggled;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use skybridge::secret::Secret;
use skybridge::ui::Probes;
use skybridge::wizard::filtering::Tick;
use skybridge::wizard::probe::ProbeKind;
use skybridge::wizard::ready::ServiceChoice;
use skybridge::wizard::signin_config::{SuffixState, suffixes};
use skybridge::wizard::{Effect, PageId, Position, Wizard};

struct State {
    wizard: Wizard,
    effects: Vec<Effect>,
    probes: Probes,
    /// Messages a test sends as a file dialog would (a path chosen), or as another front end
    /// would.
    chosen: Vec<skybridge::wizard::Msg>,
}

static NEXT_DATA: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The window as the application runs it: probes run for real on their own runtime.
fn harness() -> Harness<'static, State> {
    // Each window installs into a folder of its own, never the real data folder.
    harness_at(std::env::temp_dir().join(format!(
        "skybridge-gui-data-{}-{}",
        std::process::id(),
        NEXT_DATA.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )))
}

/// The window for the data folder `data` (an installation there opens Additional tasks).
fn harness_at(data: std::path::PathBuf) -> Harness<'static, State> {
    Harness::builder().with_size([920.0, 640.0]).build_ui_state(
        |ui, state: &mut State| {
            let mut msgs = state.probes.answers();
            msgs.append(&mut state.chosen);
            msgs.extend(skybridge::ui::shell::show(ui, &state.wizard));
            for msg in msgs {
                for effect in state.wizard.update(msg) {
                    match effect {
                        Effect::Probe(ticket, probe) => state.probes.start(ticket, probe, ui.ctx()),
                        Effect::Apply(ticket, job) => {
                            state.probes.start_step(ticket, job, ui.ctx())
                        }
                        other => state.effects.push(other),
                    }
                }
            }
        },
        State {
            wizard: Wizard::with_data_dir(data),
            effects: Vec::new(),
            probes: Probes::new().expect("runtime"),
            chosen: Vec::new(),
        },
    )
}

/// Replaces the text of the box labelled `label`.
fn fill(harness: &mut Harness<'static, State>, label: &str, text: &str) {
    harness.get_by_label(label).focus();
    harness.run();
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness.get_by_label(label).type_text(text);
    harness.run();
}

/// Runs frames until `done` holds (a probe answers); a probe that never answers fails the test
/// after a generous minute.
fn run_until(harness: &mut Harness<'static, State>, done: impl Fn(&State) -> bool) {
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
fn the_custom_walk_chooses_a_sign_in_method_and_federation_adds_its_pages() {
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
    // The data folder's check shows a spinner: step, do not wait to settle.
    harness.run_steps(2);
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
    harness.get_by_label("Federation with AD FS").click();
    harness.run();
    assert!(!harness.state().wizard.draft().single_sign_on);
    assert!(
        harness
            .get_by_label("Enable seamless single sign-on")
            .accesskit_node()
            .is_disabled()
    );
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());
    assert!(harness.state().wizard.flow().contains(&PageId::AdfsFarm));

    harness.get_by_label("Pass-through authentication").click();
    harness.run();
    harness.get_by_label("Next").click();
    harness.run();
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::ConnectTenant)
    );
}

const EXPRESS: &str =
    "Use express settings (one forest, password hash synchronization, everything synchronized)";

/// Accepts the licence on Welcome and goes on to Express settings.
fn accept_licence(harness: &mut Harness<'static, State>) {
    harness.run();
    harness.get_by_label("I agree to the licence terms").click();
    harness.run();
    harness.get_by_label("Next").click();
    harness.run();
}

/// Clicks through Welcome and Express settings (custom) to Required components.
fn walk_to_required_components(harness: &mut Harness<'static, State>) {
    accept_licence(harness);
    harness.get_by_label("Customize the installation").click();
    harness.run();
    harness.get_by_label("Next").click();
    // The data folder's check shows a spinner: step, do not wait to settle.
    harness.run_steps(2);
}

/// Clicks through Welcome and Express settings (express or custom) and, for custom, User
/// sign-in with its default.
fn walk_to_tenant_page(harness: &mut Harness<'static, State>, custom: bool) {
    accept_licence(harness);
    let mode = if custom {
        "Customize the installation"
    } else {
        EXPRESS
    };
    harness.get_by_label(mode).click();
    harness.run();
    harness.get_by_label("Next").click();
    // The data folder's check shows a spinner: step, do not wait to settle.
    harness.run_steps(2);
    if custom {
        pass_required_components(harness);
        harness.get_by_label("Next").click();
        harness.run();
    }
    harness.get_by_label("Connect to your tenant");
}

/// On Required components: waits for the data folder's check, then presses Next.
fn pass_required_components(harness: &mut Harness<'static, State>) {
    harness.get_by_label("Where Skybridge keeps its data");
    run_until(harness, |s| s.wizard.can_go_next());
    harness.get_by_label("Next").click();
    harness.run();
}

/// On Required components: keeps the store on the PostgreSQL server `pg`, signing in to
/// `database` as `user` with `password` (no TLS: loopback), and presses Test connection.
fn use_database(
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
        harness.get_by_label(option).click();
        harness.run();
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
fn fill_tenant(harness: &mut Harness<'static, State>, tenant: &Tenant) {
    let endpoint = tenant.emulator().tenant_endpoint();
    harness
        .get_by_label("Advanced: where the tenant is")
        .click();
    harness.run();
    fill(harness, "Sign-in authority", &endpoint.authority);
    fill(harness, "Microsoft Graph address", &endpoint.graph);
    fill(harness, "Application (client) ID", &endpoint.client_id);
    let admin = tenant.emulator().credentials.admin_upn.clone();
    fill(harness, "Administrator sign-in name", &admin);
}

/// Presses a button that starts a probe and runs frames until its answer is in.
fn press_and_wait(
    harness: &mut Harness<'static, State>,
    button: &str,
    answered: impl Fn(&State) -> bool,
) {
    harness.get_by_label(button).click();
    harness.step();
    run_until(harness, answered);
}

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
    harness.get_by_label("Next").click();
    harness.run();
    // The express install asks for the forest's enterprise administrator next.
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::ConnectDirectories)
    );
    harness.get_by_label("Enterprise administrator");
    assert!(harness.query_by_label("Use an existing account").is_none());
}

#[test]
fn the_express_install_creates_its_connector_account_and_synchronizes_the_whole_forest() {
    let forest = Forest::private("contoso");
    let tenant = Tenant::start("express");
    let mut harness = harness();
    walk_to_tenant_page(&mut harness, false);
    fill_tenant(&mut harness, &tenant);
    fill(&mut harness, "Password", TENANT_PASSWORD);
    press_and_wait(&mut harness, "Sign in", |s| {
        s.wizard.facts().tenant.is_some()
    });
    harness.get_by_label("Next").click();
    harness.run();

    // Connect your directories: the enterprise administrator signs in once; Skybridge creates
    // the connector account and reads the forest with it.
    fill(&mut harness, "Domain controller", &forest.url);
    let ca = forest.ca_file.display().to_string();
    fill(&mut harness, "Trusted CA file (optional)", &ca);
    fill(&mut harness, "Enterprise administrator", &forest.admin);
    fill(
        &mut harness,
        "Administrator's password",
        forest.admin_password(),
    );
    press_and_wait(&mut harness, "Add directory", |s| {
        !s.wizard.draft().directories.is_empty() || s.wizard.facts().directory_probe.is_some()
    });
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
    let added = &wizard.draft().directories[0];
    let connector = added.form.account.clone();
    assert!(
        connector.starts_with(&format!("{}\\SKY_", forest.netbios)),
        "{connector}"
    );
    assert_ne!(added.form.password.expose(), forest.admin_password());
    harness.get_by_label_contains("Created the connector account");
    // The new account is an ordinary one that may read changes; it was checked as itself.
    let facts = &wizard.facts().forests[&added.forest];
    assert!(facts.account.acceptable && facts.account.can_read_changes);
    assert!(facts.account.privileged_groups.is_empty());
    harness.get_by_label("Next").click();
    harness.run();

    // Sign-in configuration: the forest's own suffix is not a tenant domain.
    harness.get_by_label("Sign-in names: suffixes and attribute");
    harness
        .get_by_label("I understand; continue anyway")
        .click();
    harness.run();
    harness.get_by_label("Next").click();
    harness.run();

    // Ready to configure: the express settings, then configuring for real.
    let plan = harness.state().wizard.plan().expect("a plan");
    assert_eq!(plan.directories.len(), 1);
    assert_eq!(plan.directories[0].account.to_string(), connector);
    assert_eq!(
        plan.sync.connectors[0].included,
        std::slice::from_ref(&forest.base_dn)
    );
    assert!(plan.sync.pilot_groups.is_empty() && plan.start_sync);
    assert_eq!(plan.service, ServiceChoice::Start);
    let _stop_it = common::StopsService(plan.data_dir.clone());
    harness.get_by_label("Configure").click();
    harness.run_steps(2);
    run_until(&mut harness, |s| {
        s.wizard
            .facts()
            .configuring
            .as_ref()
            .is_some_and(|c| !c.running() && (c.finished() || c.failure().is_some()))
    });
    let configuring = harness.state().wizard.facts().configuring.clone();
    let configuring = configuring.expect("configuring");
    assert!(configuring.finished(), "{:?}", configuring.failure());
    harness.get_by_label("Next").click();
    harness.run();
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::Complete)
    );

    // Every user of the forest is in the tenant with its anchor; the administrator's
    // password is nowhere in the installation.
    let seeded = common::seeded("contoso", "user");
    let synced = tenant
        .users()
        .into_iter()
        .filter(|u| u["onPremisesImmutableId"].is_string())
        .count();
    assert_eq!(synced, seeded.len());
    let settings =
        std::fs::read_to_string(plan.data_dir.join("settings.json")).expect("settings.json");
    assert!(
        settings.contains(&connector.replace('\\', "\\\\")),
        "{settings}"
    );
    assert!(!settings.contains(forest.admin_password()));
    // The service was started at the end and keeps synchronizing in the background.
    let pid = skybridge::service::launch::running(&plan.data_dir)
        .expect("asked")
        .expect("the service answers");
    harness.get_by_label_contains(&format!(
        "The service runs in the background (process {pid})"
    ));
    let stopped = skybridge::service::launch::stop(
        &plan.data_dir,
        &skybridge::service::systemd::UserManager::from_env(),
    )
    .expect("stopped");
    assert_eq!(stopped, skybridge::service::launch::Stopped::Stopped);
    let _ = std::fs::remove_dir_all(&plan.data_dir);
}

#[test]
fn a_real_forest_is_added_its_sign_in_names_checked_and_its_ous_filtered() {
    let forest = Forest::private("contoso");
    // An ordinary connector account, made the way the wizard's "create" option makes it.
    let created = common::connector_account(&forest, "sky-gui-01");
    let tenant = Tenant::start("directories");
    // This installation keeps its store on a PostgreSQL server.
    let pg = common::postgres::Postgres::start();
    pg.engine_database();
    let mut harness = harness();
    walk_to_required_components(&mut harness);
    use_database(
        &mut harness,
        &pg,
        "skybridge",
        "skybridge",
        common::postgres::ENGINE_PASSWORD,
    );
    harness.get_by_label_contains("The database is ready for Skybridge");
    pass_required_components(&mut harness);
    // User sign-in, with its default.
    harness.get_by_label("Next").click();
    harness.run();
    harness.get_by_label("Connect to your tenant");
    // Single sign-on goes with hash sync (its box is clicked in the sign-in test).
    harness
        .state_mut()
        .wizard
        .update(skybridge::wizard::Msg::SetSingleSignOn(true));
    fill_tenant(&mut harness, &tenant);
    fill(&mut harness, "Password", TENANT_PASSWORD);
    press_and_wait(&mut harness, "Sign in", |s| {
        s.wizard.facts().tenant.is_some()
    });
    harness.get_by_label("Next").click();
    harness.run();
    harness.get_by_label("Connect your directories");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());

    // The forest's administrator: signed in and read, but refused as connector account.
    fill(&mut harness, "Domain controller", &forest.url);
    let ca = forest.ca_file.display().to_string();
    fill(&mut harness, "Trusted CA file (optional)", &ca);
    fill(&mut harness, "Connector account", &forest.admin);
    fill(&mut harness, "Password", forest.admin_password());
    press_and_wait(&mut harness, "Add directory", |s| {
        s.wizard.facts().directory_probe.is_some()
    });
    assert!(harness.state().wizard.draft().directories.is_empty());
    harness.get_by_label_contains("cannot be Skybridge's connector account");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());

    // The ordinary account is accepted and the forest is added.
    fill(
        &mut harness,
        "Connector account",
        &created.account.bind_name(),
    );
    fill(&mut harness, "Password", created.password.expose());
    press_and_wait(&mut harness, "Add directory", |s| {
        !s.wizard.draft().directories.is_empty() || s.wizard.facts().directory_probe.is_some()
    });
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
    assert_eq!(wizard.draft().directories.len(), 1);
    let found = &wizard.facts().forests[&wizard.draft().directories[0].forest];
    assert!(
        found
            .forest
            .upn_suffixes
            .iter()
            .any(|u| u.suffix.eq_ignore_ascii_case(&forest.dns))
    );
    assert!(
        wizard.draft().directory_form.server.is_empty(),
        "the form is cleared"
    );
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());
    harness.get_by_label("Next").click();
    harness.run();

    // Sign-in configuration: the forest's own suffix is not a tenant domain, which must be
    // confirmed before going on.
    harness.get_by_label("Sign-in names: suffixes and attribute");
    let suffix_states = suffixes(
        harness.state().wizard.draft(),
        harness.state().wizard.facts(),
    );
    let own = suffix_states
        .iter()
        .find(|r| r.suffix.eq_ignore_ascii_case(&forest.dns))
        .expect("the forest's DNS name is a suffix");
    assert_eq!(own.state, SuffixState::NotAdded);
    harness.get_by_label("Not added");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    harness
        .get_by_label("I understand; continue anyway")
        .click();
    harness.run();
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());
    // An alternate sign-in attribute is checked against the forest's schema.
    harness.get_by_label("Another attribute").click();
    harness.run();
    fill(&mut harness, "Attribute name", "memberOf");
    harness.get_by_label_contains("can hold more than one value");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    fill(&mut harness, "Attribute name", "mail");
    harness.get_by_label("Next").click();
    harness.run();
    assert_eq!(
        harness.state().wizard.draft().alternate_sign_in.as_deref(),
        Some("mail")
    );

    // Domain and OU filtering: everything by default; clearing an OU leaves the domain
    // half-ticked and the OU's objects out of scope.
    harness.get_by_label("Domains and OUs to synchronize");
    harness
        .get_by_label("Synchronize selected domains and OUs")
        .click();
    harness.run();
    let staff = format!("OU=Staff,{}", forest.base_dn);
    let corp_user = format!("CN=x,OU=Users,OU=Corp,{}", forest.base_dn);
    let selection = |h: &Harness<'static, State>| {
        let w = &h.state().wizard;
        w.draft().ou_filters[&w.draft().directories[0].forest].clone()
    };
    assert!(selection(&harness).includes(&format!("CN=x,{staff}")));
    harness.get_by_label("Staff").scroll_to_me();
    harness.run();
    harness.get_by_label("Staff").click();
    harness.run();
    let chosen = selection(&harness);
    assert!(!chosen.includes(&format!("CN=x,{staff}")));
    assert!(chosen.includes(&corp_user));
    assert_eq!(chosen.tick(&forest.base_dn), Tick::Partial);
    // The search box finds an OU by name, wherever it is.
    fill(&mut harness, "Find an OU", "staff");
    assert_eq!(
        harness.get_by_label("Staff").accesskit_node().toggled(),
        Some(Toggled::False)
    );
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());
    harness.get_by_label("Next").click();
    harness.run();

    // Identifying users: the anchor attribute is checked against the schema; a name-like one
    // needs a confirmation.
    harness
        .get_by_label("Let Skybridge manage it (ms-DS-ConsistencyGuid)")
        .accesskit_node();
    harness.get_by_label("Use a specific attribute").click();
    harness.run();
    fill(&mut harness, "Anchor attribute", "noSuchAttribute");
    harness.get_by_label_contains("not in the schema of the forest");
    fill(&mut harness, "Anchor attribute", "mail");
    harness.get_by_label_contains("changes when a person's name");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    fill(&mut harness, "Anchor attribute", "employeeID");
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());
    harness
        .get_by_label("Let Skybridge manage it (ms-DS-ConsistencyGuid)")
        .click();
    harness.run();
    harness.get_by_label("Next").click();
    harness.run();

    // Filter users and devices: a pilot group is looked up in the forest.
    harness
        .get_by_label("Synchronize only the members of a pilot group")
        .click();
    harness.run();
    let group = "Pilot group (name or distinguished name)";
    fill(&mut harness, group, "No Such Group");
    press_and_wait(&mut harness, "Find", |s| {
        !s.wizard.facts().pilot_groups.is_empty()
    });
    harness.get_by_label_contains("no group named No Such Group");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    fill(&mut harness, group, "Pilot Sync Users");
    press_and_wait(&mut harness, "Find", |s| {
        s.wizard.facts().finding_group.is_none() && !s.wizard.facts().pilot_groups.is_empty()
    });
    let found = harness
        .state()
        .wizard
        .facts()
        .pilot_groups
        .values()
        .next()
        .cloned();
    let found = found.expect("answered").expect("the seeded pilot group");
    assert_eq!(
        found.dn.to_lowercase(),
        format!("CN=Pilot Sync Users,OU=Groups,OU=Corp,{}", forest.base_dn).to_lowercase()
    );
    assert!(found.members > 0);
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());
    harness.get_by_label("Next").click();
    harness.run();

    // Optional features: hash sync is on with its sign-in method; the Samba forest has no
    // Exchange schema, so the Exchange features cannot be chosen.
    let phs = harness.get_by_label("Password hash synchronization");
    assert_eq!(phs.accesskit_node().toggled(), Some(Toggled::True));
    assert!(phs.accesskit_node().is_disabled());
    assert!(
        harness
            .get_by_label("Exchange hybrid deployment")
            .accesskit_node()
            .is_disabled()
    );
    assert_eq!(
        harness
            .query_all_by_label_contains("needs the Exchange schema")
            .count(),
        3,
        "hybrid, public folders and group writeback say why"
    );
    harness
        .get_by_label("Directory extension attribute sync")
        .click();
    harness.get_by_label("App and attribute filtering").click();
    harness.run();
    harness.get_by_label("Next").click();
    harness.run();

    // App filtering: every service starts ticked; with none, Next says to choose one. With
    // rights management alone, only mail and the attributes every object needs are listed.
    for service in [
        "Exchange Online",
        "SharePoint Online",
        "Teams",
        "Intune",
        "Dynamics 365",
        "Rights management (information protection)",
        "Applications of other vendors (every attribute)",
    ] {
        let node = harness.get_by_label(service);
        assert_eq!(node.accesskit_node().toggled(), Some(Toggled::True));
        node.click();
        harness.run();
    }
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    harness.get_by_label_contains("Tick at least one service");
    harness
        .get_by_label("Rights management (information protection)")
        .click();
    harness.run();
    harness.get_by_label("Next").click();
    harness.run();

    // Attribute filtering: required attributes cannot be cleared; clearing mail is allowed,
    // with a warning that a chosen service reads it.
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::AttributeFiltering)
    );
    assert!(harness.query_by_label("department").is_none());
    // Each attribute's box is labelled with its name (the tenant property beside it may have
    // the same name).
    let upn = harness
        .query_all_by_label("userPrincipalName")
        .find(|n| n.accesskit_node().toggled().is_some())
        .expect("the userPrincipalName box");
    assert!(upn.accesskit_node().is_disabled());
    harness
        .query_all_by_label("mail")
        .find(|n| n.accesskit_node().toggled() == Some(Toggled::True))
        .expect("the mail box, ticked")
        .click();
    harness.run();
    harness.get_by_label_contains("read by a service you chose");
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());
    harness.get_by_label("Next").click();
    harness.run();

    // Directory extensions: the real schema's user attributes; the search is case-sensitive,
    // so "Number" finds telephoneNumber and "number" finds nothing; Next needs a choice.
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::DirectoryExtensions)
    );
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    harness.get_by_label_contains("Choose at least one attribute");
    fill(&mut harness, "Search attributes", "number");
    assert_eq!(harness.query_all_by_label("telephoneNumber").count(), 0);
    fill(&mut harness, "Search attributes", "Number");
    assert!(harness.query_by_label("employeeNumber").is_some());
    harness.get_by_label("telephoneNumber").click();
    harness.run();
    harness.get_by_label("1 of 100 chosen");
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());
    harness.get_by_label("Next").click();
    harness.run();

    // Single sign-on: an ordinary account is refused at Verify; the forest's administrator is
    // verified, to be used once while configuring.
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::SingleSignOn)
    );
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    let sso_checked = |s: &State| {
        s.wizard.facts().verifying_sso.is_none() && !s.wizard.facts().sso_checks.is_empty()
    };
    fill(
        &mut harness,
        "Domain administrator",
        &created.account.bind_name(),
    );
    fill(&mut harness, "Password", created.password.expose());
    press_and_wait(&mut harness, "Verify", sso_checked);
    harness.get_by_label_contains("cannot create the single sign-on account");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    fill(&mut harness, "Domain administrator", &forest.admin);
    fill(&mut harness, "Password", forest.admin_password());
    press_and_wait(&mut harness, "Verify", sso_checked);
    harness.get_by_label_contains("Verified");
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());
    harness.get_by_label("Next").click();
    harness.run();

    // Ready to configure: the draft is a plan, and the plan is what was chosen.
    harness.get_by_label("What will be configured");
    let plan = harness.state().wizard.plan().expect("a plan");
    assert_eq!(plan.directories.len(), 1);
    let scope = &plan.sync.connectors[0];
    assert!(
        scope
            .excluded
            .iter()
            .any(|x| x.eq_ignore_ascii_case(&staff))
    );
    assert!(
        plan.sync
            .verified_domains
            .iter()
            .any(|d| d == "contoso.com")
    );
    assert!(plan.sync.initial_domain.ends_with(".onmicrosoft.com"));
    assert_eq!(plan.sync.pilot_groups.len(), 1);
    assert!(plan.start_sync && !plan.sync.staging);
    // No background service in this walk (the express test starts one).
    harness
        .get_by_label("Keep synchronizing in the background: start the Skybridge service")
        .click();
    harness.run();
    assert_eq!(
        harness.state().wizard.plan().expect("a plan").service,
        ServiceChoice::None
    );
    let extensions: Vec<&str> = plan
        .sync
        .extensions
        .iter()
        .map(|e| e.attribute.as_str())
        .collect();
    assert_eq!(extensions, ["telephoneNumber"]);
    for left_out in ["mail", "department", "title", "givenName"] {
        assert!(
            plan.sync.excluded_attributes.contains(left_out),
            "{left_out}: {:?}",
            plan.sync.excluded_attributes
        );
    }
    assert!(!plan.sync.excluded_attributes.contains("userPrincipalName"));
    harness.get_by_label("telephoneNumber");
    let staging = "Enable staging mode: synchronize, but export nothing to the tenant";
    harness.get_by_label(staging).click();
    harness.run();
    assert!(harness.state().wizard.plan().expect("a plan").sync.staging);
    harness.get_by_label(staging).click();
    harness.run();
    assert!(!harness.state().wizard.plan().expect("a plan").sync.staging);
    let data_dir = plan.data_dir.clone();

    // Export settings: the file dialog's answer is sent as the dialog would send it. The file
    // names where each password is kept, never the password; its schema is written beside it.
    let exported_dir =
        std::env::temp_dir().join(format!("skybridge-gui-export-{}", std::process::id()));
    std::fs::create_dir_all(&exported_dir).expect("export folder");
    let exported = exported_dir.join("contoso-settings.json");
    harness.get_by_label("Export settings…");
    harness
        .state_mut()
        .chosen
        .push(skybridge::wizard::Msg::ExportSettingsTo(exported.clone()));
    run_until(&mut harness, |s| s.wizard.facts().export.is_some());
    harness.get_by_label_contains("Settings exported (without passwords) to");
    let text = std::fs::read_to_string(&exported).expect("exported settings");
    assert!(!text.contains(created.password.expose()) && !text.contains(TENANT_PASSWORD));
    assert!(exported_dir.join("settings.schema.json").is_file());
    let mut file: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(
        file["tenant"]["password"]["env"],
        "SKYBRIDGE_TENANT_PASSWORD"
    );
    assert_eq!(file["pilot"], true);

    // Configuring: every step runs for real, ending with the first synchronization.
    harness.get_by_label("Configure").click();
    // A spinner keeps asking for frames while a step runs: step, do not wait to settle.
    harness.run_steps(2);
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::Configuring)
    );
    assert!(harness.get_by_label("Back").accesskit_node().is_disabled());
    let settled = |s: &State| {
        s.wizard
            .facts()
            .configuring
            .as_ref()
            .is_some_and(|c| !c.running() && (c.finished() || c.failure().is_some()))
    };
    run_until(&mut harness, settled);
    let configuring = harness
        .state()
        .wizard
        .facts()
        .configuring
        .clone()
        .expect("configuring");
    assert!(configuring.finished(), "{:?}", configuring.failure());
    harness.get_by_label("Next").click();
    harness.run();
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::Complete)
    );
    harness.get_by_label("What was done");
    harness.get_by_label_contains("each chosen forest now has its AZUREADSSOACC");

    // Single sign-on's computer account is in the forest; its administrator's password is not
    // in the installation.
    let sso_dn = format!("CN=AZUREADSSOACC,CN=Computers,{}", forest.base_dn);
    assert!(
        forest
            .admin_session()
            .read(&sso_dn, &["servicePrincipalName"])
            .expect("read")
            .is_some(),
        "{sso_dn}"
    );

    // The installation is real: its settings hold no secret, and the pilot group's users are
    // in the tenant with their anchors.
    let settings = std::fs::read_to_string(data_dir.join("settings.json")).expect("settings");
    assert!(!settings.contains(created.password.expose()));
    assert!(!settings.contains(forest.admin_password()));
    // The store is on the database server, not in the folder; its password is not in the file.
    assert!(!settings.contains(common::postgres::ENGINE_PASSWORD));
    assert!(!data_dir.join("store").exists(), "no embedded store");
    let installed = skybridge::engine::install::Installation::load(&data_dir).expect("settings");
    assert_eq!(
        installed.database.as_ref().map(|d| d.port),
        Some(pg.port),
        "the settings name the database"
    );
    let identities = pg.sql("skybridge", "SELECT count(*) FROM skybridge.metaverse");
    assert_ne!(
        identities.trim(),
        "0",
        "the first cycle wrote to PostgreSQL"
    );
    assert_eq!(
        pg.sql(
            "skybridge",
            "SELECT value FROM skybridge.meta WHERE key = 'settings_version'"
        )
        .trim(),
        "1"
    );
    assert!(settings.contains("pilotGroups") || settings.contains("Pilot Sync Users"));
    let users = tenant.users();
    let synced = users
        .iter()
        .filter(|u| u["onPremisesImmutableId"].is_string())
        .count();
    assert!(
        synced > 0 && synced <= found.members,
        "{synced} synced users for a pilot group of {}: {users:?}",
        found.members
    );
    // Exit closes the window.
    harness.get_by_label("Exit").click();
    harness.run();
    assert!(
        harness
            .state()
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Close))
    );
    let _ = std::fs::remove_dir_all(data_dir);

    // A new installation imports that file on Required components: the passwords come from
    // keychain entries the file now names, the forest is read, the pilot group looked up, and
    // every page is filled in as it was: Next goes straight through to Ready to configure.
    let keychain = skybridge::tenant::auth::Keychain::new("skybridge-gui-import-test");
    keychain
        .store("tenant", &Secret::new(TENANT_PASSWORD))
        .expect("keychain");
    keychain
        .store("contoso", &created.password)
        .expect("keychain");
    keychain
        .store("sso", &forest.admin_secret())
        .expect("keychain");
    assert_eq!(
        file["directories"][0]["ssoAdmin"]["password"]["env"],
        "SKYBRIDGE_SSO_PASSWORD_CONTOSO_TEST"
    );
    file["directories"][0]["ssoAdmin"]["password"] =
        serde_json::json!({"keychain": {"service": "skybridge-gui-import-test", "entry": "sso"}});
    file["tenant"]["password"] = serde_json::json!({"keychain": {"service": "skybridge-gui-import-test", "entry": "tenant"}});
    file["directories"][0]["password"] = serde_json::json!({"keychain": {"service": "skybridge-gui-import-test", "entry": "contoso"}});
    // The file names the database server too; the rebuilt installation gets a database of its
    // own (the first one now holds the first installation's data).
    assert_eq!(
        file["database"]["password"]["env"],
        "SKYBRIDGE_DATABASE_PASSWORD"
    );
    assert_eq!(file["database"]["reuse"], false);
    pg.sql(
        "postgres",
        "CREATE DATABASE skybridge_again OWNER skybridge",
    );
    keychain
        .store("database", &Secret::new(common::postgres::ENGINE_PASSWORD))
        .expect("keychain");
    file["database"]["database"] = serde_json::json!("skybridge_again");
    file["database"]["password"] = serde_json::json!({"keychain": {"service": "skybridge-gui-import-test", "entry": "database"}});
    std::fs::write(&exported, file.to_string()).expect("write");
    let mut again = harness_for_import();
    again.get_by_label("Where Skybridge keeps its data");
    fill(
        &mut again,
        "Settings file to import (optional)",
        &exported.display().to_string(),
    );
    again.get_by_label("Import settings").click();
    again.run_steps(2);
    run_until(&mut again, |s| {
        s.wizard
            .facts()
            .import
            .as_ref()
            .is_some_and(|run| run.finished())
            && s.wizard.can_go_next()
    });
    let notes = again
        .state()
        .wizard
        .facts()
        .import
        .as_ref()
        .map(|r| r.notes.clone());
    assert_eq!(notes, Some(Vec::new()));
    again.get_by_label_contains("Settings imported from");
    for _ in 0..12 {
        if again.state().wizard.position() == Position::Page(PageId::ReadyToConfigure) {
            break;
        }
        let wizard = &again.state().wizard;
        if let Position::Page(page) = wizard.position() {
            assert!(
                wizard.can_go_next(),
                "{page:?} stops the imported walk: {:?}",
                wizard.problems(page)
            );
        }
        again.get_by_label("Next").click();
        again.run_steps(2);
    }
    let replanned = again
        .state()
        .wizard
        .plan()
        .expect("the imported settings make a plan");
    assert_eq!(replanned.sync.connectors, plan.sync.connectors);
    assert_eq!(replanned.sync.pilot_groups, plan.sync.pilot_groups);
    assert_eq!(replanned.alternate_sign_in, plan.alternate_sign_in);
    assert_eq!(
        replanned
            .database
            .as_ref()
            .map(|d| d.connection.database.as_str()),
        Some("skybridge_again")
    );
    assert_eq!(replanned.sync.anchor, plan.sync.anchor);
    assert_eq!(replanned.sync.extensions, plan.sync.extensions);
    assert_eq!(
        replanned.sync.excluded_attributes,
        plan.sync.excluded_attributes
    );
    let _ = keychain.remove("tenant");
    let _ = keychain.remove("contoso");
    let _ = keychain.remove("sso");
    assert_eq!(replanned.sso.len(), 1);
    let _ = std::fs::remove_dir_all(exported_dir);
}

/// A window at Required components of a custom install, for importing settings.
fn harness_for_import() -> Harness<'static, State> {
    let mut harness = harness();
    walk_to_required_components(&mut harness);
    run_until(&mut harness, |s| s.wizard.can_go_next());
    harness
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
    assert!(matches!(
        harness.state().effects.as_slice(),
        [Effect::Close]
    ));
}

#[test]
fn a_device_code_sign_in_shows_the_code_and_goes_on_once_it_is_entered() {
    let tenant = Tenant::start("device");
    let admin = tenant.emulator().credentials.admin_upn.clone();
    let mut harness = harness();
    walk_to_tenant_page(&mut harness, false);
    fill_tenant(&mut harness, &tenant);
    harness
        .get_by_label(
            "Sign in with a code in a browser (for accounts with multi-factor authentication)",
        )
        .click();
    harness.run();
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

/// Presses "Run a cycle now" on Additional tasks and waits until the cycle has run and the
/// installation has been read again.
fn run_cycle_from_tasks(harness: &mut Harness<'static, State>) {
    harness.get_by_label("Run a cycle now").click();
    harness.step();
    run_until(harness, |s| {
        s.wizard.facts().task_cycle.is_some()
            && !s.wizard.probing(ProbeKind::TaskChange)
            && !s.wizard.probing(ProbeKind::Installed)
    });
    let cycle = harness.state().wizard.facts().task_cycle.clone();
    assert!(matches!(cycle, Some(Ok(_))), "{cycle:?}");
}

#[test]
fn an_installed_folder_opens_on_additional_tasks_where_staging_holds_back_exports() {
    let forest = Forest::private("contoso");
    let tenant = Tenant::start("tasks");
    let common::Installed {
        users_ou,
        dir: _dir,
        data,
        ..
    } = common::install_users_ou(&forest, &tenant, "tasks-01", &[]);

    // Running the wizard again on that folder opens Additional tasks, not the install.
    let mut harness = harness_at(data.clone());
    harness.run_steps(2);
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::AdditionalTasks)
    );
    run_until(&mut harness, |s| s.wizard.facts().installed.is_some());
    // The page's heading and its one entry in the page list.
    assert_eq!(harness.query_all_by_label("Additional tasks").count(), 2);
    harness.get_by_label_contains("No service runs for this folder");
    // A second window on the same installation sees that this one holds it.
    let mut second = harness_at(data.clone());
    second.run_steps(2);
    second.get_by_label_contains(&format!(
        "another Skybridge window (process {}) is changing this installation",
        std::process::id()
    ));
    assert!(second.query_by_label("Configure staging mode").is_none());
    drop(second);
    // A locked setting is shown, not editable, with its reason.
    harness.get_by_label("sourceAnchor");
    harness.get_by_label_contains("each person's identity in the tenant");
    assert!(harness.query_by_label("Apply").is_none());

    // Staging on: the change is shown before it is applied, then kept as version 2.
    harness.get_by_label("Configure staging mode").click();
    harness.run();
    harness
        .get_by_label("Staging mode: import and synchronize, but export nothing to the tenant")
        .click();
    harness.run();
    harness.get_by_label("• staging mode: on (nothing is exported)");
    harness.get_by_label("Apply").click();
    harness.step();
    run_until(&mut harness, |s| {
        s.wizard.facts().task_change.is_some() && !s.wizard.probing(ProbeKind::TaskChange)
    });
    harness.get_by_label("Applied as settings version 2.");
    let installed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(data.join("settings.json")).expect("settings"),
    )
    .expect("JSON");
    assert_eq!(installed["sync"]["staging"], true);

    // A change in Active Directory, then a cycle: nothing reaches the tenant, and the
    // pending exports show the change object by object.
    let before = tenant.users_with("id,onPremisesImmutableId,department");
    let someone = common::seeded_under("contoso", "user", &users_ou)
        .into_iter()
        .next()
        .expect("a user of the OU");
    skybridge::directory::write::replace(
        &mut forest.admin_session(),
        &someone,
        vec![("department".into(), vec![b"Held Back".to_vec()])],
    )
    .expect("department changed");
    harness.get_by_label("View pending exports").click();
    harness.run();
    run_cycle_from_tasks(&mut harness);
    let after = tenant.users_with("id,onPremisesImmutableId,department");
    assert_eq!(before, after, "staging mode exports nothing");
    harness.get_by_label_contains("department: ");
    harness.get_by_label_contains("Held Back");
    // Turning staging off shows what has waited before anything is written.
    harness.get_by_label("Configure staging mode").click();
    harness.run();
    harness
        .get_by_label("Staging mode: import and synchronize, but export nothing to the tenant")
        .click();
    harness.run();
    let pending = harness
        .state()
        .wizard
        .facts()
        .installed
        .as_ref()
        .and_then(|i| i.as_ref().ok())
        .map(|i| i.pending.len())
        .expect("installed");
    harness.get_by_label(&format!(
        "Turning staging mode off lets the next cycle write the {pending} exports that have waited:"
    ));
    harness.get_by_label_contains("Held Back");
    harness
        .get_by_label("Staging mode: import and synchronize, but export nothing to the tenant")
        .click();
    harness.run();
    assert!(
        harness
            .query_by_label_contains("Turning staging mode off")
            .is_none()
    );

    // Troubleshoot: the checklist runs against the live installation.
    harness.get_by_label("Troubleshoot").click();
    harness.run();
    harness.get_by_label("Run the checks").click();
    harness.step();
    run_until(&mut harness, |s| {
        s.wizard.facts().checks.is_some() && !s.wizard.probing(ProbeKind::TaskChange)
    });
    let checks = harness.state().wizard.facts().checks.clone();
    let checks = checks.expect("checked").expect("the checklist ran");
    assert!(
        checks
            .iter()
            .all(|c| c.outcome != skybridge::engine::troubleshoot::Outcome::Fail),
        "{checks:?}"
    );
    harness.get_by_label("tenant token");

    // Manage single sign-on: the forest has no account; a domain administrator creates it,
    // then gives it a new key. The page shows the key's date.
    harness.get_by_label("Manage single sign-on").click();
    harness.step();
    run_until(&mut harness, |s| {
        s.wizard.facts().sso_states.is_some() && !s.wizard.probing(ProbeKind::SsoStates)
    });
    let contoso = forest.dns.to_lowercase();
    harness.get_by_label(&format!("{contoso}: no single sign-on account"));
    fill(&mut harness, "Domain administrator", &forest.admin);
    fill(&mut harness, "Password", forest.admin_password());
    let sso_settled = |s: &State| {
        !s.wizard.facts().sso_renewed.is_empty()
            && !s.wizard.probing(ProbeKind::SsoAdmin)
            && !s.wizard.probing(ProbeKind::SsoStates)
    };
    press_and_wait(&mut harness, "Create the account", sso_settled);
    let sso_dn = format!("CN=AZUREADSSOACC,CN=Computers,{}", forest.base_dn);
    let created_sso = harness.state().wizard.facts().sso_renewed.clone();
    assert!(
        matches!(created_sso.get(&contoso), Some(Ok(line)) if line.starts_with("Created ")),
        "{created_sso:?}"
    );
    let today = time::OffsetDateTime::now_utc().date().to_string();
    harness.get_by_label_contains(&format!("key set on {today} (0 days ago)"));
    let key_set = |harness: &Harness<'static, State>| -> Option<i64> {
        match &harness.state().wizard.facts().sso_states {
            Some(Ok(states)) => states[0].state.clone().ok().flatten()?.key_set,
            _ => None,
        }
    };
    let first_key = key_set(&harness).expect("a key date");
    // A second later the renewal's date is a later one.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    press_and_wait(&mut harness, "Renew the key", sso_settled);
    harness.get_by_label_contains("has a new key.");
    assert!(key_set(&harness).expect("a key date") > first_key);
    assert!(
        forest
            .admin_session()
            .read(&sso_dn, &["servicePrincipalName"])
            .expect("read")
            .is_some()
    );

    // The service: started from the page, killed outright (a crash), recognised as such and
    // started again from the page, then stopped.
    let _stop_it = common::StopsService(data.clone());
    harness.get_by_label("Start the service").click();
    harness.step();
    let service_settled = |s: &State| {
        s.wizard.facts().service_action.is_some()
            && !s.wizard.probing(ProbeKind::TaskChange)
            && !s.wizard.probing(ProbeKind::Installed)
    };
    run_until(&mut harness, service_settled);
    let first = skybridge::service::launch::running(&data)
        .expect("asked")
        .expect("the service answers");
    harness.get_by_label(&format!("The service runs (process {first})."));
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &first.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    // Gone altogether (it lets go of the store as it exits, a moment after its socket).
    while std::path::Path::new(&format!("/proc/{first}")).exists() {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    harness
        .state_mut()
        .chosen
        .push(skybridge::wizard::Msg::RefreshInstalled);
    harness.step();
    run_until(&mut harness, |s| {
        !s.wizard.probing(ProbeKind::Installed) && s.wizard.facts().installed.is_some()
    });
    let installed = harness.state().wizard.facts().installed.clone();
    assert!(
        matches!(&installed, Some(Ok(i)) if i.stale),
        "{:?}",
        installed.map(|i| i.map(|i| i.stale))
    );
    harness.get_by_label_contains("The service stopped unexpectedly");
    harness.get_by_label("Start it again").click();
    harness.step();
    run_until(&mut harness, service_settled);
    let second = skybridge::service::launch::running(&data)
        .expect("asked")
        .expect("the service answers again");
    assert_ne!(first, second);
    harness.get_by_label(&format!("The service runs (process {second})."));
    harness.get_by_label("Stop the service").click();
    harness.step();
    run_until(&mut harness, service_settled);
    harness.get_by_label("The service stopped.");
    assert!(
        skybridge::service::launch::running(&data)
            .expect("asked")
            .is_none()
    );
}

#[test]
fn customizing_an_installation_adds_an_ou_exports_its_settings_and_converts_a_federated_domain() {
    let forest = Forest::private("contoso");
    let tenant = Tenant::start("customize");
    let common::Installed {
        created,
        users_ou,
        dir,
        data,
    } = common::install_users_ou(&forest, &tenant, "tasks-02", &[]);
    let before = common::tenant_ids(&tenant);
    assert!(!before.is_empty());

    let mut harness = harness_at(data.clone());
    harness.run_steps(2);
    run_until(&mut harness, |s| s.wizard.facts().installed.is_some());

    // Export settings: a file for a rebuild, naming where each password goes, holding none.
    harness.get_by_label("Export settings").click();
    harness.run();
    let exported = dir.join("rebuild.json");
    harness
        .state_mut()
        .chosen
        .push(skybridge::wizard::Msg::ExportInstalledTo(exported.clone()));
    harness.step();
    run_until(&mut harness, |s| {
        s.wizard.facts().export.is_some() && !s.wizard.probing(ProbeKind::SettingsFile)
    });
    let export = harness.state().wizard.facts().export.clone();
    assert!(matches!(export, Some(Ok(_))), "{export:?}");
    harness.run();
    assert_eq!(
        harness.state().wizard.draft().tasks.task,
        skybridge::wizard::tasks::Task::Export
    );
    harness.get_by_label_contains("Settings exported (without passwords) to");
    let text = std::fs::read_to_string(&exported).expect("exported");
    assert!(!text.contains(created.password.expose()) && !text.contains(TENANT_PASSWORD));
    let rebuilt = skybridge::wizard::settings::SettingsFile::parse(&text).expect("a settings file");
    assert_eq!(rebuilt.directories.len(), 1);
    assert_eq!(
        rebuilt.directories[0]
            .ou_filter
            .as_ref()
            .expect("scope")
            .included,
        std::slice::from_ref(&users_ou)
    );
    assert!(dir.join("settings.schema.json").is_file());

    // Customize: the pages open with today's values; the forest is read again with the
    // password from the keychain; the tenant administrator signs in again.
    harness
        .get_by_label("Customize synchronization options")
        .click();
    harness.run();
    harness.get_by_label("Customize").click();
    harness.step();
    run_until(&mut harness, |s| {
        s.wizard
            .facts()
            .import
            .as_ref()
            .is_some_and(|i| i.finished())
            && s.wizard.draft().directories.len() == 1
    });
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::ConnectTenant)
    );
    fill(&mut harness, "Password", TENANT_PASSWORD);
    press_and_wait(&mut harness, "Sign in", |s| {
        s.wizard.facts().tenant.is_some()
    });
    harness.get_by_label("Next").click();
    harness.run();
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::ConnectDirectories)
    );
    harness.get_by_label("Next").click();
    harness.run();
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::DomainOuFiltering)
    );
    let sales_ou = format!("OU=Sales,OU=Staff,{}", forest.base_dn);
    let forest_name = harness.state().wizard.draft().directories[0].forest.clone();
    harness
        .state_mut()
        .chosen
        .push(skybridge::wizard::Msg::TickContainer(
            forest_name,
            sales_ou.clone(),
            true,
        ));
    harness.run();
    harness.get_by_label("Next").click();
    harness.run();
    harness.get_by_label("Next").click();
    harness.run();
    // Ready to configure shows what would change, and only that.
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::ReadyToConfigure)
    );
    harness.get_by_label("What changes in the installation");
    let lines: Vec<String> = harness
        .query_all_by_label_contains("synchronizes")
        .filter_map(|n| {
            let node = n.accesskit_node();
            node.label().or_else(|| node.value())
        })
        .collect();
    assert_eq!(
        lines,
        [format!(
            "- {}: now synchronizes {sales_ou}",
            forest.dns.to_lowercase()
        )],
        "{lines:?}"
    );
    harness.get_by_label("Apply changes").click();
    harness.step();
    run_until(&mut harness, |s| {
        s.wizard.position() == Position::Page(PageId::AdditionalTasks)
            && !s.wizard.probing(ProbeKind::TaskChange)
            && !s.wizard.probing(ProbeKind::Installed)
    });
    harness.get_by_label("Applied as settings version 2.");

    // The next cycle brings the OU's people in; nobody already there is created again.
    harness.get_by_label("View run history").click();
    harness.run();
    run_cycle_from_tasks(&mut harness);
    let sales = common::seeded_under("contoso", "user", &sales_ou).len();
    let after = tenant.users();
    let synced: Vec<&serde_json::Value> = after
        .iter()
        .filter(|u| u["onPremisesImmutableId"].is_string())
        .collect();
    assert_eq!(synced.len(), before.len() + sales);
    for u in &synced {
        let anchor = u["onPremisesImmutableId"].as_str().expect("anchor");
        if let Some(id) = before.get(anchor) {
            assert_eq!(u["id"].as_str(), Some(id.as_str()), "{anchor} recreated");
        }
    }

    // Search: a Sales person is found in the connector space, joined, and in the metaverse
    // with its tenant object.
    harness.get_by_label("Search").click();
    harness.run();
    let someone = common::seeded_under("contoso", "user", &sales_ou)
        .into_iter()
        .next()
        .expect("a Sales user");
    let cn = someone
        .split(',')
        .next()
        .and_then(|rdn| rdn.strip_prefix("CN="))
        .expect("a CN")
        .to_string();
    fill(
        &mut harness,
        "Search the connector spaces and the metaverse",
        &cn,
    );
    harness.get_by_label("Find").click();
    harness.step();
    run_until(&mut harness, |s| {
        s.wizard.facts().found.is_some() && !s.wizard.probing(ProbeKind::Search)
    });
    let found = harness.state().wizard.facts().found.clone();
    let hits = found.expect("searched").expect("the search ran");
    use skybridge::engine::search::Hit;
    assert!(
        hits.iter().any(|h| matches!(h,
            Hit::ConnectorSpace { dn, joined_to: Some(_), deleted: false, .. }
                if dn.eq_ignore_ascii_case(&someone))),
        "{hits:?}"
    );
    assert!(
        hits.iter().any(|h| matches!(
            h,
            Hit::Metaverse {
                tenant_id: Some(_),
                ..
            }
        )),
        "{hits:?}"
    );
    harness.get_by_label_contains("Connector space ");
    harness.get_by_label_contains("joined to metaverse identity");
    harness.get_by_label_contains("in the tenant as");

    // Refresh directory schema: a domain the settings list but the forest does not have (as
    // when a domain is taken down) is dropped from the settings as a new version; the schema's
    // attributes are kept, so the second refresh finds nothing new.
    let mut stale = skybridge::engine::install::Installation::load(&data).expect("installed");
    stale.sync.connectors[0]
        .domains
        .push(("DC=gone,DC=test".into(), "gone.test".into()));
    let applied = skybridge::service::change_settings(&data, &stale).expect("applied");
    harness.get_by_label("Refresh directory schema").click();
    harness.run();
    let refreshed = |s: &State| {
        s.wizard.facts().schema_refresh.is_some()
            && !s.wizard.probing(ProbeKind::TaskChange)
            && !s.wizard.probing(ProbeKind::Installed)
    };
    press_and_wait(&mut harness, "Refresh", refreshed);
    let contoso = forest.dns.to_lowercase();
    harness.get_by_label_contains(&format!("{contoso}: "));
    harness.get_by_label_contains("attributes in the schema");
    harness.get_by_label("First refresh: the next one will say which attributes are new.");
    harness.get_by_label(
        "The domain DC=gone,DC=test is no longer in the forest: it is no longer synchronized.",
    );
    harness.get_by_label(&format!(
        "The forests' domain lists were updated as settings version {}.",
        applied.version + 1
    ));
    let now = skybridge::engine::install::Installation::load(&data).expect("installed");
    assert_eq!(
        now.sync.connectors[0].domains,
        [(forest.base_dn.clone(), contoso.clone())]
    );
    press_and_wait(&mut harness, "Refresh", refreshed);
    harness.get_by_label("No attribute is new since the last refresh.");
    assert!(
        harness
            .query_by_label_contains("domain lists were updated")
            .is_none()
    );

    // Change user sign-in: the tenant administrator signs in again, User sign-in opens with
    // today's method, and Ready to configure shows the one change.
    harness.get_by_label("Change user sign-in").click();
    harness.run();
    harness.get_by_label("In use: Password hash synchronization; seamless single sign-on off.");
    harness.get_by_label("Change sign-in").click();
    harness.step();
    run_until(&mut harness, |s| {
        s.wizard
            .facts()
            .import
            .as_ref()
            .is_some_and(|i| i.finished())
            && !s.wizard.probing(ProbeKind::Directory)
    });
    assert_eq!(
        harness.state().wizard.flow(),
        [
            PageId::AdditionalTasks,
            PageId::ConnectTenant,
            PageId::UserSignIn,
            PageId::ReadyToConfigure
        ]
    );
    fill(&mut harness, "Password", TENANT_PASSWORD);
    press_and_wait(&mut harness, "Sign in", |s| {
        s.wizard.facts().tenant.is_some()
    });
    harness.get_by_label("Next").click();
    harness.run();
    harness.get_by_label("Pass-through authentication").click();
    harness.run();
    harness.get_by_label("Next").click();
    harness.run();
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::ReadyToConfigure)
    );
    harness.get_by_label("- user sign-in: was passwordHashSync, now passThrough");
    assert!(harness.query_by_label_contains("synchronizes").is_none());
    harness.get_by_label("Apply changes").click();
    harness.step();
    run_until(&mut harness, |s| {
        s.wizard.position() == Position::Page(PageId::AdditionalTasks)
            && !s.wizard.probing(ProbeKind::TaskChange)
            && !s.wizard.probing(ProbeKind::Installed)
    });
    harness.get_by_label_contains("Applied as settings version");
    let now = skybridge::engine::install::Installation::load(&data).expect("installed");
    assert_eq!(now.sign_in.as_deref(), Some("passThrough"));
    // The scope is as the earlier customization left it.
    assert!(
        now.sync.connectors[0]
            .included
            .iter()
            .any(|dn| dn.eq_ignore_ascii_case(&sales_ou))
    );

    // Federated domains: contoso.com, federated in the tenant, is converted back to managed
    // after the administrator signs in again and says they understand.
    tenant.rt.block_on(async {
        let graph = tenant.admin_graph().await;
        let meta = skybridge::federation::metadata::Metadata {
            entity_id: "http://fs.contoso.com/adfs/services/trust".into(),
            signing_certificates: vec!["MIIB".into()],
            passive_endpoint: Some("https://fs.contoso.com/adfs/ls/".into()),
            ..Default::default()
        };
        let config = skybridge::federation::metadata::tenant_configuration(
            &meta,
            "Contoso",
            &skybridge::federation::metadata::Provider::Adfs("fs.contoso.com".into()),
        );
        skybridge::federation::domain::federate(&graph, "contoso.com", &config)
            .await
            .expect("federated");
    });
    harness.get_by_label("Federated domains").click();
    harness.run();
    harness
        .get_by_label("Sign in and list the federated domains")
        .click();
    harness.step();
    run_until(&mut harness, |s| {
        s.wizard.position() == Position::Page(PageId::ConnectTenant)
            && s.wizard
                .facts()
                .import
                .as_ref()
                .is_some_and(|i| i.finished())
    });
    fill(&mut harness, "Password", TENANT_PASSWORD);
    press_and_wait(&mut harness, "Sign in", |s| {
        s.wizard.facts().tenant.is_some()
    });
    harness.get_by_label("Next").click();
    harness.run();
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::ConvertDomains)
    );
    let convert = "Convert contoso.com to managed";
    assert!(harness.get_by_label(convert).accesskit_node().is_disabled());
    harness.get_by_label("I understand; let me convert").click();
    harness.run();
    press_and_wait(&mut harness, convert, |s| {
        s.wizard
            .facts()
            .federation
            .converted
            .contains_key("contoso.com")
    });
    harness.get_by_label("contoso.com is managed now.");
    harness.get_by_label("The tenant has no federated domain.");
    let left = tenant.rt.block_on(async {
        let graph = tenant.admin_graph().await;
        skybridge::federation::domain::configuration(&graph, "contoso.com")
            .await
            .expect("read")
    });
    assert_eq!(left, None);
    harness.get_by_label("Next").click();
    harness.run();
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::AdditionalTasks)
    );
}

/// On the AD FS farm page: types a certificate file and its password, presses Check
/// certificate and waits for the findings.
fn check_certificate(
    harness: &mut Harness<'static, State>,
    file: &std::path::Path,
    password: &str,
) {
    fill(
        harness,
        "Certificate file (PFX or PEM)",
        &file.display().to_string(),
    );
    fill(harness, "Certificate password", password);
    press_and_wait(harness, "Check certificate", |s| {
        s.wizard.facts().federation.certificate.is_some()
    });
}

/// Presses Next until the walk reaches `page`, confirming warnings on the way.
fn next_until(harness: &mut Harness<'static, State>, page: PageId) {
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
        harness.get_by_label("Next").click();
        harness.run();
    }
    panic!(
        "the walk did not reach {page:?}: it is at {:?}",
        harness.state().wizard.position()
    );
}

#[test]
fn the_adfs_pages_refuse_a_bad_certificate_take_a_good_one_verify_the_farm_and_federate() {
    use common::federation::{Dnsmasq, SamlPeer, pfx, self_signed, tls_server};
    let forest = Forest::private("contoso");
    let connector = common::connector_account(&forest, "sky-gui-fed");
    let service = common::connector_account(&forest, "svc-adfs-gui");
    let tenant = Tenant::start("federation-gui");
    let dns = Dnsmasq::start(&[
        "host-record=fs.contoso.test,127.0.0.3",
        "host-record=adfs1.contoso.test,127.0.0.3",
    ]);
    let dir = common::temp_dir("farm-certs");
    for (stem, name) in [("farm", "fs.contoso.test"), ("web", "www.contoso.test")] {
        self_signed(&dir, stem, name, 90);
        pfx(&dir, stem, "Pfx-Pass-1");
    }
    let port = tenant
        .rt
        .block_on(tls_server([127, 0, 0, 3], &dir, "farm.pem", "farm.key"));
    // The farm once its script has run: an identity provider we did not write, serving its
    // metadata with its endpoints on the federation service name.
    let peer_dir = common::temp_dir("farm-metadata");
    let peer = SamlPeer::start(&peer_dir, "fs.contoso.test");

    let mut harness = harness();
    walk_to_required_components(&mut harness);
    pass_required_components(&mut harness);
    harness.get_by_label("Federation with AD FS").click();
    harness.run();
    harness.get_by_label("Next").click();
    harness.run();
    fill_tenant(&mut harness, &tenant);
    fill(&mut harness, "Password", TENANT_PASSWORD);
    press_and_wait(&mut harness, "Sign in", |s| {
        s.wizard.facts().tenant.is_some()
    });
    harness.get_by_label("Next").click();
    harness.run();
    fill(&mut harness, "Domain controller", &forest.url);
    fill(
        &mut harness,
        "Trusted CA file (optional)",
        &forest.ca_file.display().to_string(),
    );
    fill(
        &mut harness,
        "Connector account",
        &connector.account.bind_name(),
    );
    fill(&mut harness, "Password", connector.password.expose());
    press_and_wait(&mut harness, "Add directory", |s| {
        !s.wizard.draft().directories.is_empty() || s.wizard.facts().directory_probe.is_some()
    });
    assert_eq!(harness.state().wizard.draft().directories.len(), 1);
    next_until(&mut harness, PageId::AdfsFarm);

    // AD FS farm: a certificate for another name is refused, with what is wrong in it.
    harness.get_by_label_contains("never signs in to Windows servers");
    fill(&mut harness, "Federation service name", "fs.contoso.test");
    check_certificate(&mut harness, &dir.join("web.pfx"), "Pfx-Pass-1");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    harness.get_by_label_contains("The certificate cannot be used:");
    assert!(
        !harness
            .query_all_by_value("Failed")
            .collect::<Vec<_>>()
            .is_empty()
    );
    // The wrong password for the right file: refused too.
    check_certificate(&mut harness, &dir.join("farm.pfx"), "wrong");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    assert!(
        harness
            .query_all_by_label_contains("the password does not open the file")
            .next()
            .is_some()
    );
    // The right one passes every check, and its thumbprint is shown.
    check_certificate(&mut harness, &dir.join("farm.pfx"), "Pfx-Pass-1");
    let facts = harness
        .state()
        .wizard
        .facts()
        .federation
        .certificate
        .clone()
        .expect("checked");
    assert!(
        facts
            .findings
            .iter()
            .all(|f| f.outcome == skybridge::federation::certificate::Outcome::Pass),
        "{facts:?}"
    );
    let thumbprint = facts.thumbprint.expect("thumbprint");
    harness.get_by_label_contains(&thumbprint);
    // Where configuring will wait for the farm's metadata: by default on the service name.
    let default_address =
        "https://fs.contoso.test/FederationMetadata/2007-06/FederationMetadata.xml";
    assert_eq!(
        harness.state().wizard.draft().federation.metadata_address(),
        default_address
    );
    fill(&mut harness, "Metadata address (https)", &peer.local_url);
    fill(
        &mut harness,
        "Trusted authorities for it (PEM file, optional)",
        &peer_dir.join("ca.crt").display().to_string(),
    );
    harness.get_by_label("Next").click();
    harness.run();

    // Federation servers: one, on the TLS server's port.
    harness.get_by_label("Federation servers (one per line)");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    fill(
        &mut harness,
        "Federation servers (one per line)",
        &format!("adfs1.contoso.test:{port}"),
    );
    harness.get_by_label("Next").click();
    harness.run();
    // No proxy: allowed once confirmed.
    harness.get_by_label_contains("people outside the network will not be able to sign in");
    next_until(&mut harness, PageId::AdfsServiceAccount);
    harness.get_by_label("Domain user account").click();
    harness.run();
    fill(
        &mut harness,
        "Account (DOMAIN\\name)",
        &service.account.bind_name(),
    );
    fill(&mut harness, "Password", service.password.expose());
    harness.get_by_label("Next").click();
    harness.run();

    // The tenant domain: the verified custom domain is offered, the initial one is not.
    harness.get_by_label("Tenant domain");
    let initial = tenant
        .emulator()
        .credentials
        .admin_upn
        .split('@')
        .nth(1)
        .expect("domain")
        .to_string();
    assert!(harness.query_by_label(&initial).is_none());
    harness.get_by_label("contoso.com").click();
    harness.run();
    harness.get_by_label("Next").click();
    harness.run();

    // Verification: every check against the real servers.
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::FederationVerification)
    );
    let resolver = format!("127.0.0.1:{}", dns.port);
    fill(
        &mut harness,
        "DNS server inside the network (empty: this computer's)",
        &resolver,
    );
    fill(
        &mut harness,
        "DNS server as seen from outside (optional)",
        &resolver,
    );
    press_and_wait(&mut harness, "Run checks", |s| {
        s.wizard.facts().federation.verification.is_some()
    });
    let rows = match &harness.state().wizard.facts().federation.verification {
        Some(Ok(rows)) => rows.clone(),
        other => panic!("{other:?}"),
    };
    let by = |check: &str| {
        rows.iter()
            .find(|r| r.check == check)
            .unwrap_or_else(|| panic!("no {check} row in {rows:?}"))
            .clone()
    };
    use skybridge::federation::certificate::Outcome;
    for check in [
        "check_dns_internal",
        "check_dns_external",
        "check_server",
        "check_account",
        "check_spn",
    ] {
        assert_eq!(by(check).outcome, Outcome::Pass, "{:?}", by(check));
    }
    assert!(
        by("check_server").detail.contains(&thumbprint),
        "{:?}",
        by("check_server")
    );
    // The deployment script is there to review, with the thumbprint and the server.
    harness
        .get_by_label("Deployment script (saved with the settings when configuring)")
        .click();
    harness.run();
    let line = format!("$Thumbprint = '{thumbprint}'");
    assert!(
        harness
            .query_all_by(|node| node.value().is_some_and(|v| v.contains(&line)))
            .next()
            .is_some()
    );
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());
    harness.get_by_label("Next").click();
    harness.run();
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::ReadyToConfigure)
    );
    let plan = skybridge::wizard::plan::resolve(
        harness.state().wizard.draft(),
        harness.state().wizard.facts(),
    )
    .expect("a plan");
    let fed = plan.federation.expect("federation planned");
    assert_eq!(fed.domain, "contoso.com");
    assert!(fed.script.expect("script").contains("adfs1.contoso.test"));
    harness.get_by_label("Federated domain");

    // Configuring: the script is saved, the farm's metadata read, the domain federated.
    harness
        .get_by_label("Keep synchronizing in the background: start the Skybridge service")
        .click();
    harness.run();
    harness.get_by_label("Configure").click();
    harness.run_steps(2);
    run_until(&mut harness, |s| {
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
    let script = std::fs::read_to_string(plan.data_dir.join("adfs-deploy.ps1")).expect("script");
    assert!(script.contains(&format!("$Thumbprint = '{thumbprint}'")));
    let stored = tenant.rt.block_on(async {
        let graph = tenant.admin_graph().await;
        skybridge::federation::domain::configuration(&graph, "contoso.com")
            .await
            .expect("read")
            .expect("federated")
    });
    assert_eq!(stored["issuerUri"], peer.entity_id.as_str());
    assert_eq!(
        stored["activeSignInUri"],
        "https://fs.contoso.test/adfs/services/trust/2005/usernamemixed"
    );
    // Complete: the names inside and outside the network and the metadata, each passed.
    let rows = configuring.carried.federation_checks.clone();
    let checks: Vec<(&str, Outcome)> = rows.iter().map(|r| (r.check, r.outcome)).collect();
    assert_eq!(
        checks,
        [
            ("check_dns_internal", Outcome::Pass),
            ("check_dns_external", Outcome::Pass),
            ("check_metadata", Outcome::Pass)
        ],
        "{rows:?}"
    );
    harness.get_by_label("Next").click();
    harness.run();
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::Complete)
    );
    harness.get_by_label("Federation checks, after the domain was federated");
}

#[test]
fn pingfederate_and_an_existing_adfs_farm_are_read_from_their_metadata() {
    use common::federation::{Dnsmasq, SamlPeer};
    use skybridge::federation::certificate::Outcome;
    let forest = Forest::private("contoso");
    let connector = common::connector_account(&forest, "sky-gui-ping");
    let tenant = Tenant::start("ping-gui");
    let dns = Dnsmasq::start(&["host-record=fs.contoso.test,127.0.0.3"]);
    // PingFederate: an identity provider we did not write, by its own name.
    let ping_dir = common::temp_dir("ping-peer");
    let ping = SamlPeer::start(&ping_dir, "localhost");
    // A running AD FS farm: its endpoints on the federation service name.
    let farm_dir = common::temp_dir("farm-peer");
    let farm = SamlPeer::start(&farm_dir, "fs.contoso.test");

    let mut harness = harness();
    walk_to_required_components(&mut harness);
    pass_required_components(&mut harness);
    harness.get_by_label("Federation with PingFederate").click();
    harness.run();
    harness.get_by_label("Next").click();
    harness.run();
    fill_tenant(&mut harness, &tenant);
    fill(&mut harness, "Password", TENANT_PASSWORD);
    press_and_wait(&mut harness, "Sign in", |s| {
        s.wizard.facts().tenant.is_some()
    });
    harness.get_by_label("Next").click();
    harness.run();
    fill(&mut harness, "Domain controller", &forest.url);
    fill(
        &mut harness,
        "Trusted CA file (optional)",
        &forest.ca_file.display().to_string(),
    );
    fill(
        &mut harness,
        "Connector account",
        &connector.account.bind_name(),
    );
    fill(&mut harness, "Password", connector.password.expose());
    press_and_wait(&mut harness, "Add directory", |s| {
        !s.wizard.draft().directories.is_empty() || s.wizard.facts().directory_probe.is_some()
    });
    next_until(&mut harness, PageId::FederatedDomain);
    harness.get_by_label("contoso.com").click();
    harness.run();
    harness.get_by_label("Next").click();
    harness.run();

    // PingFederate: its metadata read over verified HTTPS, then the partner settings saved.
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::PingFederate)
    );
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    fill(&mut harness, "Metadata address (https)", &ping.local_url);
    fill(
        &mut harness,
        "Trusted authorities for it (PEM file, optional)",
        &ping_dir.join("ca.crt").display().to_string(),
    );
    press_and_wait(&mut harness, "Fetch metadata", |s| {
        s.wizard.facts().federation.metadata.is_some()
    });
    let found = harness.state().wizard.facts().federation.metadata.clone();
    let found = found.expect("read").expect("metadata");
    assert_eq!(found.metadata.entity_id, ping.entity_id);
    assert!(
        found.findings.iter().all(|f| f.outcome == Outcome::Pass),
        "{found:?}"
    );
    let saved = ping_dir.join("for-pingfederate.txt");
    fill(
        &mut harness,
        "Save the PingFederate settings to",
        &saved.display().to_string(),
    );
    press_and_wait(&mut harness, "Save settings", |s| {
        s.wizard.facts().federation.saved.is_some()
    });
    let text = std::fs::read_to_string(&saved).expect("saved");
    assert!(text.contains("urn:federation:MicrosoftOnline") && text.contains("contoso.com"));
    harness.get_by_label("Next").click();
    harness.run();
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::ReadyToConfigure)
    );
    let plan = skybridge::wizard::plan::resolve(
        harness.state().wizard.draft(),
        harness.state().wizard.facts(),
    )
    .expect("a plan");
    let fed = plan.federation.expect("federation");
    assert_eq!(
        fed.provider,
        skybridge::federation::metadata::Provider::Other
    );
    assert_eq!(
        fed.metadata.expect("read on the page").entity_id,
        ping.entity_id
    );

    // Back to User sign-in: an AD FS farm that runs already, read from its metadata.
    while harness.state().wizard.position() != Position::Page(PageId::UserSignIn) {
        harness.get_by_label("Back").click();
        harness.run();
    }
    harness.get_by_label("Federation with AD FS").click();
    harness.run();
    next_until(&mut harness, PageId::AdfsFarm);
    harness
        .get_by_label("Use an AD FS farm that runs already")
        .click();
    harness.run();
    fill(&mut harness, "Federation service name", "fs.contoso.test");
    fill(&mut harness, "Metadata address (https)", &farm.local_url);
    fill(
        &mut harness,
        "Trusted authorities for it (PEM file, optional)",
        &farm_dir.join("ca.crt").display().to_string(),
    );
    press_and_wait(&mut harness, "Fetch metadata", |s| {
        s.wizard.facts().federation.metadata.is_some()
    });
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());
    harness.get_by_label("Next").click();
    harness.run();
    // The existing farm's walk: no servers, proxies or account pages.
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::FederatedDomain)
    );
    harness.get_by_label("Next").click();
    harness.run();
    let resolver = format!("127.0.0.1:{}", dns.port);
    fill(
        &mut harness,
        "DNS server inside the network (empty: this computer's)",
        &resolver,
    );
    fill(
        &mut harness,
        "DNS server as seen from outside (optional)",
        &resolver,
    );
    press_and_wait(&mut harness, "Run checks", |s| {
        s.wizard.facts().federation.verification.is_some()
    });
    let rows = match &harness.state().wizard.facts().federation.verification {
        Some(Ok(rows)) => rows.clone(),
        other => panic!("{other:?}"),
    };
    let checks: Vec<(&str, Outcome)> = rows.iter().map(|r| (r.check, r.outcome)).collect();
    assert_eq!(
        checks,
        [
            ("check_dns_internal", Outcome::Pass),
            ("check_dns_external", Outcome::Pass),
            ("check_spn", Outcome::Pass)
        ],
        "{rows:?}"
    );
    harness.get_by_label("Next").click();
    harness.run();
    let plan = skybridge::wizard::plan::resolve(
        harness.state().wizard.draft(),
        harness.state().wizard.facts(),
    )
    .expect("a plan");
    let fed = plan.federation.expect("federation");
    assert_eq!(
        fed.provider,
        skybridge::federation::metadata::Provider::Adfs("fs.contoso.test".into())
    );
    assert!(fed.script.is_none(), "an existing farm needs no script");
    assert_eq!(fed.metadata.expect("read").entity_id, farm.entity_id);
}

/// The database server option on Required components: each thing Test connection finds in the
/// way is shown on the page with what to do and keeps Next disabled, against a real PostgreSQL:
/// a wrong password, an account without CREATE, a database holding an earlier installation's
/// data (reusing it needs that installation's settings); a usable database lets Next through.
#[test]
fn test_connection_shows_each_obstacle_of_a_real_database_server() {
    let pg = common::postgres::Postgres::start();
    pg.engine_database();
    pg.sql(
        "postgres",
        "CREATE ROLE sky_reader LOGIN PASSWORD 'Reader-Pw-1'; \
         CREATE ROLE sky_old LOGIN PASSWORD 'Old-Pw-1'",
    );
    pg.sql("postgres", "CREATE DATABASE old OWNER sky_old");
    pg.sql(
        "old",
        "SET ROLE sky_old; CREATE SCHEMA skybridge; \
         CREATE TABLE skybridge.meta (key text PRIMARY KEY, value text NOT NULL); \
         INSERT INTO skybridge.meta VALUES ('settings_version', '3')",
    );
    let mut harness = harness();
    walk_to_required_components(&mut harness);
    harness.get_by_label("Where Skybridge keeps its data");
    let next_disabled =
        |h: &Harness<'static, State>| h.get_by_label("Next").accesskit_node().is_disabled();

    use_database(
        &mut harness,
        &pg,
        "skybridge",
        "skybridge",
        "wrong-password",
    );
    harness.get_by_label_contains("The database server refused the account.");
    harness.get_by_label_contains("Check the account and its password");
    assert!(next_disabled(&harness));

    use_database(&mut harness, &pg, "skybridge", "sky_reader", "Reader-Pw-1");
    harness.get_by_label_contains("The account may not create Skybridge's tables.");
    harness.get_by_label_contains("GRANT CREATE ON DATABASE skybridge TO sky_reader");
    assert!(next_disabled(&harness));

    use_database(&mut harness, &pg, "old", "sky_old", "Old-Pw-1");
    harness.get_by_label_contains("already holds Skybridge data and will not be overwritten");
    harness.get_by_label_contains("pg_dump -n skybridge old");
    assert!(next_disabled(&harness));
    // Reusing it on purpose needs the settings of the installation that wrote it.
    harness
        .get_by_label("Reuse this data: I am rebuilding the installation that wrote it")
        .click();
    harness.run();
    harness.get_by_label_contains("The data cannot be reused");
    harness.get_by_label_contains("settings version 3");
    assert!(next_disabled(&harness));
    // Nothing was written to it.
    assert_eq!(
        pg.sql(
            "old",
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'skybridge'"
        )
        .trim(),
        "1"
    );

    use_database(
        &mut harness,
        &pg,
        "skybridge",
        "skybridge",
        common::postgres::ENGINE_PASSWORD,
    );
    harness.get_by_label_contains("The database is ready for Skybridge");
    harness.get_by_label_contains("clear text");
    run_until(&mut harness, |s| s.wizard.can_go_next());
    assert!(!next_disabled(&harness));
}
