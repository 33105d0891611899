//! Additional tasks on an installed folder: staging mode holds back exports, the troubleshooting
//! checklist, single sign-on's account, the service (a crash recognised); customizing the
//! installation (an OU added), exporting its settings, searching, refreshing the schema, changing
//! the user sign-in and converting a federated domain back to managed.

use crate::common;
use crate::common::Forest;
use crate::common::tenant::{TENANT_PASSWORD, Tenant};
use crate::harness::{
    State, click, fill, harness_at, press_and_wait, press_next, run_until, sign_in_and_press_next,
};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use skybridge::directory::account::CreatedAccount;
use skybridge::wizard::probe::ProbeKind;
use skybridge::wizard::{PageId, Position};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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

    hold_back_exports_in_staging_mode(&mut harness, &forest, &tenant, users_ou, &data);
    run_the_troubleshooting_checks(&mut harness);
    create_and_renew_the_sso_account(&mut harness, &forest);
    restart_the_crashed_service(&mut harness, data);
}

/// Staging mode on, applied as settings version 2; a change in Active Directory is held back by
/// the next cycle and shown among the pending exports, which turning staging off would write.
fn hold_back_exports_in_staging_mode(
    harness: &mut Harness<'static, State>,
    forest: &Forest,
    tenant: &Tenant,
    users_ou: String,
    data: &Path,
) {
    // Staging on: the change is shown before it is applied, then kept as version 2.
    click(harness, "Configure staging mode");
    click(
        harness,
        "Staging mode: import and synchronize, but export nothing to the tenant",
    );
    harness.get_by_label("• staging mode: on (nothing is exported)");
    press_and_wait(harness, "Apply", |s| {
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
    click(harness, "View pending exports");
    run_cycle_from_tasks(harness);
    let after = tenant.users_with("id,onPremisesImmutableId,department");
    assert_eq!(before, after, "staging mode exports nothing");
    harness.get_by_label_contains("department: ");
    harness.get_by_label_contains("Held Back");
    // Turning staging off shows what has waited before anything is written.
    click(harness, "Configure staging mode");
    click(
        harness,
        "Staging mode: import and synchronize, but export nothing to the tenant",
    );
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
    click(
        harness,
        "Staging mode: import and synchronize, but export nothing to the tenant",
    );
    assert!(
        harness
            .query_by_label_contains("Turning staging mode off")
            .is_none()
    );
}

/// Troubleshoot: the checklist runs against the live installation.
fn run_the_troubleshooting_checks(harness: &mut Harness<'static, State>) {
    click(harness, "Troubleshoot");
    press_and_wait(harness, "Run the checks", |s| {
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
}

/// Manage single sign-on: the forest has no account; a domain administrator creates it,
/// then gives it a new key. The page shows the key's date.
fn create_and_renew_the_sso_account(harness: &mut Harness<'static, State>, forest: &Forest) {
    press_and_wait(harness, "Manage single sign-on", |s| {
        s.wizard.facts().sso_states.is_some() && !s.wizard.probing(ProbeKind::SsoStates)
    });
    let contoso = forest.dns.to_lowercase();
    harness.get_by_label(&format!("{contoso}: no single sign-on account"));
    fill(harness, "Domain administrator", &forest.admin);
    fill(harness, "Password", forest.admin_password());
    let sso_settled = |s: &State| {
        !s.wizard.facts().sso_renewed.is_empty()
            && !s.wizard.probing(ProbeKind::SsoAdmin)
            && !s.wizard.probing(ProbeKind::SsoStates)
    };
    press_and_wait(harness, "Create the account", sso_settled);
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
    let first_key = key_set(harness).expect("a key date");
    // A second later the renewal's date is a later one.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    press_and_wait(harness, "Renew the key", sso_settled);
    harness.get_by_label_contains("has a new key.");
    assert!(key_set(harness).expect("a key date") > first_key);
    assert!(
        forest
            .admin_session()
            .read(&sso_dn, &["servicePrincipalName"])
            .expect("read")
            .is_some()
    );
}

/// The service: started from the page, killed outright (a crash), recognised as such and
/// started again from the page, then stopped.
fn restart_the_crashed_service(harness: &mut Harness<'static, State>, data: PathBuf) {
    let _stop_it = common::StopsService(data.clone());
    let service_settled = |s: &State| {
        s.wizard.facts().service_action.is_some()
            && !s.wizard.probing(ProbeKind::TaskChange)
            && !s.wizard.probing(ProbeKind::Installed)
    };
    press_and_wait(harness, "Start the service", service_settled);
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
    send_and_wait(harness, skybridge::wizard::Msg::RefreshInstalled, |s| {
        !s.wizard.probing(ProbeKind::Installed) && s.wizard.facts().installed.is_some()
    });
    let installed = harness.state().wizard.facts().installed.clone();
    assert!(
        matches!(&installed, Some(Ok(i)) if i.stale),
        "{:?}",
        installed.map(|i| i.map(|i| i.stale))
    );
    harness.get_by_label_contains("The service stopped unexpectedly");
    press_and_wait(harness, "Start it again", service_settled);
    let second = skybridge::service::launch::running(&data)
        .expect("asked")
        .expect("the service answers again");
    assert_ne!(first, second);
    harness.get_by_label(&format!("The service runs (process {second})."));
    press_and_wait(harness, "Stop the service", service_settled);
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

    export_the_installed_settings(&mut harness, &dir, &created, users_ou);
    let sales_ou = add_the_sales_ou(&mut harness, &forest);
    synchronize_the_sales_ou(&mut harness, &tenant, &before, &sales_ou);
    search_for_a_sales_person(&mut harness, &sales_ou);
    refresh_the_directory_schema(&mut harness, &forest, &data);
    change_the_user_sign_in(&mut harness, &data, sales_ou);
    convert_the_federated_domain(&mut harness, &tenant);
}

/// Export settings: a file for a rebuild, naming where each password goes, holding none.
fn export_the_installed_settings(
    harness: &mut Harness<'static, State>,
    dir: &Path,
    created: &CreatedAccount,
    users_ou: String,
) {
    click(harness, "Export settings");
    let exported = dir.join("rebuild.json");
    let chosen = skybridge::wizard::Msg::ExportInstalledTo(exported.clone());
    send_and_wait(harness, chosen, |s| {
        s.wizard.facts().export.is_some() && !s.wizard.probing(ProbeKind::SettingsFile)
    });
    let export = harness.state().wizard.facts().export.clone();
    assert!(matches!(export, Some(Ok(_))), "{export:?}");
    harness.run();
    assert_eq!(
        harness.state().wizard.draft().tasks.task,
        skybridge::wizard::pages::additional_tasks::Task::Export
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
}

/// Customize synchronization options: the pages open with today's values, the forest read again
/// with the password from the keychain and the tenant administrator signed in again; the Sales OU
/// is added, Ready to configure shows that change alone, and it is applied.
fn add_the_sales_ou(harness: &mut Harness<'static, State>, forest: &Forest) -> String {
    // Customize: the pages open with today's values; the forest is read again with the
    // password from the keychain; the tenant administrator signs in again.
    click(harness, "Customize synchronization options");
    press_and_wait(harness, "Customize", |s| {
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
    sign_in_and_press_next(harness);
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::ConnectDirectories)
    );
    press_next(harness);
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
    press_next(harness);
    press_next(harness);
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
    apply_changes(harness);
    harness.get_by_label("Applied as settings version 2.");
    sales_ou
}

/// The next cycle brings the OU's people in; nobody already there is created again.
fn synchronize_the_sales_ou(
    harness: &mut Harness<'static, State>,
    tenant: &Tenant,
    before: &BTreeMap<String, String>,
    sales_ou: &str,
) {
    click(harness, "View run history");
    run_cycle_from_tasks(harness);
    let sales = common::seeded_under("contoso", "user", sales_ou).len();
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
}

/// Search: a Sales person is found in the connector space, joined, and in the metaverse
/// with its tenant object.
fn search_for_a_sales_person(harness: &mut Harness<'static, State>, sales_ou: &str) {
    click(harness, "Search");
    let someone = common::seeded_under("contoso", "user", sales_ou)
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
        harness,
        "Search the connector spaces and the metaverse",
        &cn,
    );
    press_and_wait(harness, "Find", |s| {
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
}

/// Refresh directory schema: a domain the settings list but the forest does not have (as
/// when a domain is taken down) is dropped from the settings as a new version; the schema's
/// attributes are kept, so the second refresh finds nothing new.
fn refresh_the_directory_schema(
    harness: &mut Harness<'static, State>,
    forest: &Forest,
    data: &Path,
) {
    let mut stale = skybridge::engine::install::Installation::load(data).expect("installed");
    stale.sync.connectors[0]
        .domains
        .push(("DC=gone,DC=test".into(), "gone.test".into()));
    let applied = skybridge::service::change_settings(data, &stale).expect("applied");
    click(harness, "Refresh directory schema");
    let refreshed = |s: &State| {
        s.wizard.facts().schema_refresh.is_some()
            && !s.wizard.probing(ProbeKind::TaskChange)
            && !s.wizard.probing(ProbeKind::Installed)
    };
    press_and_wait(harness, "Refresh", refreshed);
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
    let now = skybridge::engine::install::Installation::load(data).expect("installed");
    assert_eq!(
        now.sync.connectors[0].domains,
        [(forest.base_dn.clone(), contoso.clone())]
    );
    press_and_wait(harness, "Refresh", refreshed);
    harness.get_by_label("No attribute is new since the last refresh.");
    assert!(
        harness
            .query_by_label_contains("domain lists were updated")
            .is_none()
    );
}

/// Change user sign-in: the tenant administrator signs in again, User sign-in opens with
/// today's method, and Ready to configure shows the one change.
fn change_the_user_sign_in(harness: &mut Harness<'static, State>, data: &Path, sales_ou: String) {
    click(harness, "Change user sign-in");
    harness.get_by_label(
        "In use: Password synchronization (from password changes); seamless single sign-on off.",
    );
    press_and_wait(harness, "Change sign-in", |s| {
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
    sign_in_and_press_next(harness);
    click(harness, "Do not configure");
    press_next(harness);
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::ReadyToConfigure)
    );
    harness.get_by_label("- user sign-in: was passwordHashSync, now doNotConfigure");
    assert!(harness.query_by_label_contains("synchronizes").is_none());
    apply_changes(harness);
    harness.get_by_label_contains("Applied as settings version");
    let now = skybridge::engine::install::Installation::load(data).expect("installed");
    assert_eq!(now.sign_in.as_deref(), Some("doNotConfigure"));
    // The scope is as the earlier customization left it.
    assert!(
        now.sync.connectors[0]
            .included
            .iter()
            .any(|dn| dn.eq_ignore_ascii_case(&sales_ou))
    );
}

/// Federated domains: contoso.com, federated in the tenant, is converted back to managed
/// after the administrator signs in again and says they understand.
fn convert_the_federated_domain(harness: &mut Harness<'static, State>, tenant: &Tenant) {
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
    click(harness, "Federated domains");
    press_and_wait(harness, "Sign in and list the federated domains", |s| {
        s.wizard.position() == Position::Page(PageId::ConnectTenant)
            && s.wizard
                .facts()
                .import
                .as_ref()
                .is_some_and(|i| i.finished())
    });
    sign_in_and_press_next(harness);
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::ConvertDomains)
    );
    let convert = "Convert contoso.com to managed";
    assert!(harness.get_by_label(convert).accesskit_node().is_disabled());
    click(harness, "I understand; let me convert");
    press_and_wait(harness, convert, |s| {
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
    press_next(harness);
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::AdditionalTasks)
    );
}

/// Presses "Run a cycle now" on Additional tasks and waits until the cycle has run and the
/// installation has been read again.
fn run_cycle_from_tasks(harness: &mut Harness<'static, State>) {
    press_and_wait(harness, "Run a cycle now", |s| {
        s.wizard.facts().task_cycle.is_some()
            && !s.wizard.probing(ProbeKind::TaskChange)
            && !s.wizard.probing(ProbeKind::Installed)
    });
    let cycle = harness.state().wizard.facts().task_cycle.clone();
    assert!(matches!(cycle, Some(Ok(_))), "{cycle:?}");
}

/// Presses Apply changes on Ready to configure and waits until Additional tasks is back with the
/// change applied and the installation read again.
fn apply_changes(harness: &mut Harness<'static, State>) {
    press_and_wait(harness, "Apply changes", |s| {
        s.wizard.position() == Position::Page(PageId::AdditionalTasks)
            && !s.wizard.probing(ProbeKind::TaskChange)
            && !s.wizard.probing(ProbeKind::Installed)
    });
}

/// Sends `msg` as a file dialog (or the window itself) would, and runs frames until `answered`
/// holds.
fn send_and_wait(
    harness: &mut Harness<'static, State>,
    msg: skybridge::wizard::Msg,
    answered: impl Fn(&State) -> bool,
) {
    harness.state_mut().chosen.push(msg);
    harness.step();
    run_until(harness, answered);
}

#[test]
fn an_installation_that_recorded_pass_through_is_told_it_is_not_set_up() {
    // An earlier build recorded pass-through authentication, which Skybridge cannot set up:
    // Additional tasks says so at once, whatever task is shown.
    let (_tenant, _dir, harness) = installed_window("pass-through", |i| {
        i.sign_in = Some("passThrough".into());
    });
    harness.get_by_label_contains("recorded pass-through authentication");
}

/// The window on an installation of the contoso forest (its keychain service
/// `skybridge-gui-{label}-test`) whose settings `tweak` changed, once Additional tasks has read it.
fn installed_window(
    label: &str,
    tweak: impl FnOnce(&mut skybridge::engine::install::Installation),
) -> (Tenant, common::TempDir, Harness<'static, State>) {
    let forest = Forest::shared("contoso");
    let tenant = Tenant::start(label);
    let dir = common::temp_dir(&format!("gui-{label}"));
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("data folder");
    let mut installation = common::install::write(
        &data,
        &forest,
        "OU=Corp",
        tenant.emulator(),
        &format!("{label}-secret"),
        &format!("skybridge-gui-{label}-test"),
    );
    tweak(&mut installation);
    installation.save(&data).expect("settings saved");
    let mut harness = harness_at(data);
    run_until(&mut harness, |s| {
        s.wizard
            .facts()
            .installed
            .as_ref()
            .is_some_and(|i| i.is_ok())
    });
    (tenant, dir, harness)
}

#[test]
fn password_synchronization_shows_its_agents_and_opens_an_enrolment_code_an_agent_can_use() {
    let (_tenant, _dir, mut harness) = installed_window("passwords", |i| {
        i.sign_in = Some("passwordHashSync".into());
        i.password_sync = Some(skybridge::passwords::PasswordSyncSettings {
            listen: "127.0.0.1:7390".into(),
        });
    });
    let service = "skybridge-gui-passwords-test";
    harness.get_by_label("Password synchronization").click();
    harness.step();
    run_until(&mut harness, |s| s.wizard.facts().password_status.is_some());
    harness.run();
    harness.get_by_label_contains("No agent is enrolled yet");
    harness.get_by_label("Open an enrolment code").click();
    harness.step();
    run_until(&mut harness, |s| s.wizard.facts().enrolment_code.is_some());
    harness.run();
    let code = match &harness.state().wizard.facts().enrolment_code {
        Some(Ok(code)) => code.clone(),
        other => panic!("no code: {other:?}"),
    };
    assert_eq!(code.code.len(), 19, "{}", code.code);
    harness.get_by_label_contains(&format!("One-time code {}", code.code));
    harness.get_by_label_contains("skybridge password-agent install --service 127.0.0.1:7390");
    // The code shown is one the service takes, once.
    let keychain = skybridge::secret::Keychain::new(service);
    let now = skybridge::clock::unix_now();
    let taken = skybridge::passwords::enrolment::take_code(&keychain, now, |c| c == code.code)
        .expect("the keychain answers");
    assert!(taken.is_some(), "the code is open in the keychain");
    let again = skybridge::passwords::enrolment::take_code(&keychain, now, |c| c == code.code)
        .expect("the keychain answers");
    assert!(again.is_none(), "a code is used once");
}
