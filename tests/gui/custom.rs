//! The custom walk against a real forest, the tenant emulator and a PostgreSQL server: a forest is
//! added (its administrator refused as connector account), its sign-in names checked and its OUs
//! filtered, every later page filled in, the installation configured for real and checked, and
//! the settings it exported imported again by a new installation.

use crate::common;
use crate::common::Forest;
use crate::common::postgres::Postgres;
use crate::common::tenant::{TENANT_PASSWORD, Tenant};
use crate::harness::{
    State, add_forest, click, fill, fill_directory, finish_configuring, harness,
    pass_required_components, press_and_wait, press_next, run_until, sign_in_to_the_emulator,
    use_database, walk_to_required_components,
};
use egui::accesskit::Toggled;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use skybridge::directory::account::CreatedAccount;
use skybridge::secret::Secret;
use skybridge::wizard::pages::filter_users::GroupFound;
use skybridge::wizard::pages::ready_to_configure::ServiceChoice;
use skybridge::wizard::pages::sign_in_configuration::{SuffixState, suffixes};
use skybridge::wizard::plan::InstallPlan;
use skybridge::wizard::state::scope::Tick;
use skybridge::wizard::{Effect, PageId, Position};
use std::path::PathBuf;

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
    sign_in_with_the_store_on_a_database_server(&mut harness, &tenant, &pg);
    add_the_forest(&mut harness, &forest, &created);
    confirm_the_suffix_and_choose_an_alternate_sign_in(&mut harness, &forest);
    let staff = leave_out_the_staff_ou(&mut harness, &forest);
    choose_the_anchor(&mut harness);
    let found = find_the_pilot_group(&mut harness, &forest);
    choose_the_features_the_apps_and_the_attributes(&mut harness);
    choose_an_extension(&mut harness);
    verify_the_sso_administrator(&mut harness, &forest, &created);
    let plan = review_the_plan(&mut harness, staff);
    let data_dir = plan.data_dir.clone();
    let exported = export_the_settings(&mut harness, &created);
    configure_and_check_the_installation(
        &mut harness,
        &forest,
        &created,
        &tenant,
        &pg,
        &found,
        data_dir,
    );
    import_the_exported_settings(&forest, &created, &pg, &plan, exported);
}

/// The settings file exported from Ready to configure.
struct Exported {
    /// The folder it was exported to (its schema is beside it).
    dir: PathBuf,
    /// The file.
    path: PathBuf,
    /// What it holds.
    file: serde_json::Value,
}

/// From Welcome to Connect your directories on a custom install whose store is on the
/// PostgreSQL server `pg`, signed in to the emulated `tenant`, with single sign-on.
fn sign_in_with_the_store_on_a_database_server(
    harness: &mut Harness<'static, State>,
    tenant: &Tenant,
    pg: &Postgres,
) {
    walk_to_required_components(harness);
    use_database(
        harness,
        pg,
        "skybridge",
        "skybridge",
        common::postgres::ENGINE_PASSWORD,
    );
    harness.get_by_label_contains("The database is ready for Skybridge");
    pass_required_components(harness);
    // User sign-in, with its default.
    press_next(harness);
    harness.get_by_label("Connect to your tenant");
    // Single sign-on goes with hash sync (its box is clicked in the sign-in test).
    harness
        .state_mut()
        .wizard
        .update(skybridge::wizard::Msg::SetSingleSignOn(true));
    sign_in_to_the_emulator(harness, tenant);
    harness.get_by_label("Connect your directories");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
}

/// Connect your directories: the forest's administrator is refused as connector account;
/// the ordinary account `created` is accepted and the forest is added.
fn add_the_forest(
    harness: &mut Harness<'static, State>,
    forest: &Forest,
    created: &CreatedAccount,
) {
    // The forest's administrator: signed in and read, but refused as connector account.
    fill_directory(harness, forest, &forest.admin, forest.admin_password());
    press_and_wait(harness, "Add directory", |s| {
        s.wizard.facts().directory_probe.is_some()
    });
    assert!(harness.state().wizard.draft().directories.is_empty());
    harness.get_by_label_contains("cannot be Skybridge's connector account");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());

    // The ordinary account is accepted and the forest is added.
    fill(harness, "Connector account", &created.account.bind_name());
    fill(harness, "Password", created.password.expose());
    add_forest(harness);
    let wizard = &harness.state().wizard;
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
    press_next(harness);
}

/// Sign-in configuration: the forest's own suffix is not a tenant domain, which must be
/// confirmed before going on.
fn confirm_the_suffix_and_choose_an_alternate_sign_in(
    harness: &mut Harness<'static, State>,
    forest: &Forest,
) {
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
    click(harness, "I understand; continue anyway");
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());
    // An alternate sign-in attribute is checked against the forest's schema.
    click(harness, "Another attribute");
    fill(harness, "Attribute name", "memberOf");
    harness.get_by_label_contains("can hold more than one value");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    fill(harness, "Attribute name", "mail");
    press_next(harness);
    assert_eq!(
        harness.state().wizard.draft().alternate_sign_in.as_deref(),
        Some("mail")
    );
}

/// Domain and OU filtering: everything by default; clearing an OU leaves the domain
/// half-ticked and the OU's objects out of scope.
fn leave_out_the_staff_ou(harness: &mut Harness<'static, State>, forest: &Forest) -> String {
    harness.get_by_label("Domains and OUs to synchronize");
    click(harness, "Synchronize selected domains and OUs");
    let staff = format!("OU=Staff,{}", forest.base_dn);
    let corp_user = format!("CN=x,OU=Users,OU=Corp,{}", forest.base_dn);
    let selection = |h: &Harness<'static, State>| {
        let w = &h.state().wizard;
        w.draft().ou_filters[&w.draft().directories[0].forest].clone()
    };
    assert!(selection(harness).includes(&format!("CN=x,{staff}")));
    harness.get_by_label("Staff").scroll_to_me();
    harness.run();
    click(harness, "Staff");
    let chosen = selection(harness);
    assert!(!chosen.includes(&format!("CN=x,{staff}")));
    assert!(chosen.includes(&corp_user));
    assert_eq!(chosen.tick(&forest.base_dn), Tick::Partial);
    // The search box finds an OU by name, wherever it is.
    fill(harness, "Find an OU", "staff");
    assert_eq!(
        harness.get_by_label("Staff").accesskit_node().toggled(),
        Some(Toggled::False)
    );
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());
    press_next(harness);
    staff
}

/// Identifying users: the anchor attribute is checked against the schema; a name-like one
/// needs a confirmation.
fn choose_the_anchor(harness: &mut Harness<'static, State>) {
    harness
        .get_by_label("Let Skybridge manage it (ms-DS-ConsistencyGuid)")
        .accesskit_node();
    click(harness, "Use a specific attribute");
    fill(harness, "Anchor attribute", "noSuchAttribute");
    harness.get_by_label_contains("not in the schema of the forest");
    fill(harness, "Anchor attribute", "mail");
    harness.get_by_label_contains("changes when a person's name");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    fill(harness, "Anchor attribute", "employeeID");
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());
    click(harness, "Let Skybridge manage it (ms-DS-ConsistencyGuid)");
    press_next(harness);
}

/// Filter users and devices: a pilot group is looked up in the forest.
fn find_the_pilot_group(harness: &mut Harness<'static, State>, forest: &Forest) -> GroupFound {
    click(harness, "Synchronize only the members of a pilot group");
    let group = "Pilot group (name or distinguished name)";
    fill(harness, group, "No Such Group");
    press_and_wait(harness, "Find", |s| {
        !s.wizard.facts().pilot_groups.is_empty()
    });
    harness.get_by_label_contains("no group named No Such Group");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    fill(harness, group, "Pilot Sync Users");
    press_and_wait(harness, "Find", |s| {
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
    press_next(harness);
    found
}

/// Optional features, App filtering and Attribute filtering.
fn choose_the_features_the_apps_and_the_attributes(harness: &mut Harness<'static, State>) {
    // Optional features: hash sync is on with its sign-in method; the Samba forest has no
    // Exchange schema, so the Exchange features cannot be chosen.
    let phs = harness.get_by_label("Password synchronization");
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
    click(harness, "App and attribute filtering");
    press_next(harness);

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
    click(harness, "Rights management (information protection)");
    press_next(harness);

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
    press_next(harness);
}

/// Directory extensions: the real schema's user attributes; the search is case-sensitive,
/// so "Number" finds telephoneNumber and "number" finds nothing; Next needs a choice.
fn choose_an_extension(harness: &mut Harness<'static, State>) {
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::DirectoryExtensions)
    );
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    harness.get_by_label_contains("Choose at least one attribute");
    fill(harness, "Search attributes", "number");
    assert_eq!(harness.query_all_by_label("telephoneNumber").count(), 0);
    fill(harness, "Search attributes", "Number");
    assert!(harness.query_by_label("employeeNumber").is_some());
    click(harness, "telephoneNumber");
    harness.get_by_label("1 of 100 chosen");
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());
    press_next(harness);
}

/// Single sign-on: an ordinary account is refused at Verify; the forest's administrator is
/// verified, to be used once while configuring.
fn verify_the_sso_administrator(
    harness: &mut Harness<'static, State>,
    forest: &Forest,
    created: &CreatedAccount,
) {
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::SingleSignOn)
    );
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    let sso_checked = |s: &State| {
        s.wizard.facts().verifying_sso.is_none() && !s.wizard.facts().sso_checks.is_empty()
    };
    fill(
        harness,
        "Domain administrator",
        &created.account.bind_name(),
    );
    fill(harness, "Password", created.password.expose());
    press_and_wait(harness, "Verify", sso_checked);
    harness.get_by_label_contains("cannot create the single sign-on account");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    fill(harness, "Domain administrator", &forest.admin);
    fill(harness, "Password", forest.admin_password());
    press_and_wait(harness, "Verify", sso_checked);
    harness.get_by_label_contains("Verified");
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());
    press_next(harness);
}

/// Ready to configure: the draft is a plan, and the plan is what was chosen.
fn review_the_plan(harness: &mut Harness<'static, State>, staff: String) -> InstallPlan {
    harness.get_by_label("What will be configured");
    // Password synchronization is said as it is: what it waits for, and from when it works.
    harness.get_by_label_contains(
        "each user signs in to the tenant with their on-premises password only after their next password change",
    );
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
    click(
        harness,
        "Keep synchronizing in the background: start the Skybridge service",
    );
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
    click(harness, staging);
    assert!(harness.state().wizard.plan().expect("a plan").sync.staging);
    click(harness, staging);
    assert!(!harness.state().wizard.plan().expect("a plan").sync.staging);
    plan
}

/// Export settings: the file dialog's answer is sent as the dialog would send it. The file
/// names where each password is kept, never the password; its schema is written beside it.
fn export_the_settings(
    harness: &mut Harness<'static, State>,
    created: &CreatedAccount,
) -> Exported {
    let exported_dir =
        std::env::temp_dir().join(format!("skybridge-gui-export-{}", std::process::id()));
    std::fs::create_dir_all(&exported_dir).expect("export folder");
    let exported = exported_dir.join("contoso-settings.json");
    harness.get_by_label("Export settings…");
    harness
        .state_mut()
        .chosen
        .push(skybridge::wizard::Msg::ExportSettingsTo(exported.clone()));
    run_until(harness, |s| s.wizard.facts().export.is_some());
    harness.get_by_label_contains("Settings exported (without passwords) to");
    let text = std::fs::read_to_string(&exported).expect("exported settings");
    assert!(!text.contains(created.password.expose()) && !text.contains(TENANT_PASSWORD));
    assert!(exported_dir.join("settings.schema.json").is_file());
    let file: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(
        file["tenant"]["password"]["env"],
        "SKYBRIDGE_TENANT_PASSWORD"
    );
    assert_eq!(file["pilot"], true);
    Exported {
        dir: exported_dir,
        path: exported,
        file,
    }
}

/// Configures for real, then checks the installation in the forest, in its settings, on the
/// database server and in the tenant; Exit closes the window.
fn configure_and_check_the_installation(
    harness: &mut Harness<'static, State>,
    forest: &Forest,
    created: &CreatedAccount,
    tenant: &Tenant,
    pg: &Postgres,
    found: &GroupFound,
    data_dir: PathBuf,
) {
    // Configuring: every step runs for real, ending with the first synchronization.
    harness.get_by_label("Configure").click();
    // A spinner keeps asking for frames while a step runs: step, do not wait to settle.
    harness.run_steps(2);
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::Configuring)
    );
    assert!(harness.get_by_label("Back").accesskit_node().is_disabled());
    finish_configuring(harness);
    press_next(harness);
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::Complete)
    );
    harness.get_by_label("What was done");
    // Single sign-on is not claimed: the step left in the tenant is named, for its forest.
    harness.get_by_label_contains(&format!(
        "Single sign-on is not on yet. Each chosen forest ({})",
        forest.dns
    ));
    harness.get_by_label_contains("Enable-AzureADSSOForest");
    harness.get_by_label_contains("skybridge password-agent install --service 127.0.0.1:0");

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
    click(harness, "Exit");
    assert!(
        harness
            .state()
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Close))
    );
    let _ = std::fs::remove_dir_all(data_dir);
}

/// A new installation imports that file on Required components: the passwords come from
/// keychain entries the file now names, the forest is read, the pilot group looked up, and
/// every page is filled in as it was: Next goes straight through to Ready to configure.
fn import_the_exported_settings(
    forest: &Forest,
    created: &CreatedAccount,
    pg: &Postgres,
    plan: &InstallPlan,
    exported: Exported,
) {
    let Exported {
        dir: exported_dir,
        path: exported,
        mut file,
    } = exported;
    let keychain = skybridge::secret::Keychain::new("skybridge-gui-import-test");
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
