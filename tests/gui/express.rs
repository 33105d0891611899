//! The express install from start to finish: the enterprise administrator signs in once,
//! Skybridge creates its connector account, synchronizes the whole forest and starts its service.

use crate::common;
use crate::common::Forest;
use crate::common::tenant::Tenant;
use crate::harness::{
    add_forest, click, fill, finish_configuring, harness, press_next, sign_in_to_the_emulator,
    walk_to_tenant_page,
};
use egui_kittest::kittest::Queryable;
use skybridge::wizard::pages::ready_to_configure::ServiceChoice;
use skybridge::wizard::{PageId, Position};

#[test]
fn the_express_install_creates_its_connector_account_and_synchronizes_the_whole_forest() {
    let forest = Forest::private("contoso");
    let tenant = Tenant::start("express");
    let mut harness = harness();
    walk_to_tenant_page(&mut harness, false);
    sign_in_to_the_emulator(&mut harness, &tenant);

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
    add_forest(&mut harness);
    let wizard = &harness.state().wizard;
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
    press_next(&mut harness);

    // Sign-in configuration: the forest's own suffix is not a tenant domain.
    harness.get_by_label("Sign-in names: suffixes and attribute");
    click(&mut harness, "I understand; continue anyway");
    press_next(&mut harness);

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
    finish_configuring(&mut harness);
    press_next(&mut harness);
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
