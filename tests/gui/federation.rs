//! Federation: the AD FS pages (a certificate refused and one taken, the farm verified against real
//! servers, the domain federated while configuring), and PingFederate and an existing AD FS farm,
//! each read from its metadata.

use crate::common;
use crate::common::Forest;
use crate::common::federation::{Dnsmasq, SamlPeer};
use crate::common::tenant::Tenant;
use crate::harness::{
    State, add_directory, click, fill, fill_directory, finish_configuring, harness, next_until,
    pass_required_components, press_and_wait, press_next, sign_in_to_the_emulator,
    walk_to_required_components,
};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use skybridge::directory::account::CreatedAccount;
use skybridge::federation::verify::CheckRow;
use skybridge::wizard::plan::InstallPlan;
use skybridge::wizard::{PageId, Position};
use std::path::Path;

#[test]
fn the_adfs_pages_refuse_a_bad_certificate_take_a_good_one_verify_the_farm_and_federate() {
    use common::federation::{pfx, self_signed, tls_server};
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
    add_the_forest_signed_in_by(
        &mut harness,
        "Federation with AD FS",
        &tenant,
        &forest,
        &connector,
    );
    assert_eq!(harness.state().wizard.draft().directories.len(), 1);
    next_until(&mut harness, PageId::AdfsFarm);
    let thumbprint = check_the_farm_certificate(&mut harness, &dir, &peer, &peer_dir);
    list_the_servers_the_account_and_the_domain(&mut harness, port, &service, &tenant);
    verify_the_farm_and_federate(&mut harness, &tenant, &dns, &peer, thumbprint);
}

/// AD FS farm: a certificate for another name is refused, with what is wrong in it, and so is
/// the right file with the wrong password; the right one passes every check and its thumbprint
/// (returned) is shown. The farm's metadata is to be read from `peer`.
fn check_the_farm_certificate(
    harness: &mut Harness<'static, State>,
    dir: &Path,
    peer: &SamlPeer,
    peer_dir: &Path,
) -> String {
    // AD FS farm: a certificate for another name is refused, with what is wrong in it.
    harness.get_by_label_contains("never signs in to Windows servers");
    fill(harness, "Federation service name", "fs.contoso.test");
    check_certificate(harness, &dir.join("web.pfx"), "Pfx-Pass-1");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    harness.get_by_label_contains("The certificate cannot be used:");
    assert!(
        !harness
            .query_all_by_value("Failed")
            .collect::<Vec<_>>()
            .is_empty()
    );
    // The wrong password for the right file: refused too.
    check_certificate(harness, &dir.join("farm.pfx"), "wrong");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    assert!(
        harness
            .query_all_by_label_contains("the password does not open the file")
            .next()
            .is_some()
    );
    // The right one passes every check, and its thumbprint is shown.
    check_certificate(harness, &dir.join("farm.pfx"), "Pfx-Pass-1");
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
    fill(harness, "Metadata address (https)", &peer.local_url);
    fill(
        harness,
        "Trusted authorities for it (PEM file, optional)",
        &peer_dir.join("ca.crt").display().to_string(),
    );
    press_next(harness);
    thumbprint
}

/// Federation servers (one, on the TLS server's `port`), no proxy, the service account
/// `service`, and the tenant domain.
fn list_the_servers_the_account_and_the_domain(
    harness: &mut Harness<'static, State>,
    port: u16,
    service: &CreatedAccount,
    tenant: &Tenant,
) {
    // Federation servers: one, on the TLS server's port.
    harness.get_by_label("Federation servers (one per line)");
    assert!(harness.get_by_label("Next").accesskit_node().is_disabled());
    fill(
        harness,
        "Federation servers (one per line)",
        &format!("adfs1.contoso.test:{port}"),
    );
    press_next(harness);
    // No proxy: allowed once confirmed.
    harness.get_by_label_contains("people outside the network will not be able to sign in");
    next_until(harness, PageId::AdfsServiceAccount);
    click(harness, "Domain user account");
    fill(
        harness,
        "Account (DOMAIN\\name)",
        &service.account.bind_name(),
    );
    fill(harness, "Password", service.password.expose());
    press_next(harness);

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
    click(harness, "contoso.com");
    press_next(harness);
}

/// Verification against the real servers, Ready to configure, and configuring: the script is
/// saved, the farm's metadata read from `peer`, the domain federated and checked again.
fn verify_the_farm_and_federate(
    harness: &mut Harness<'static, State>,
    tenant: &Tenant,
    dns: &Dnsmasq,
    peer: &SamlPeer,
    thumbprint: String,
) {
    // Verification: every check against the real servers.
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::FederationVerification)
    );
    let rows = run_the_checks(harness, dns);
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
    click(
        harness,
        "Deployment script (saved with the settings when configuring)",
    );
    let line = format!("$Thumbprint = '{thumbprint}'");
    assert!(
        harness
            .query_all_by(|node| node.value().is_some_and(|v| v.contains(&line)))
            .next()
            .is_some()
    );
    assert!(!harness.get_by_label("Next").accesskit_node().is_disabled());
    press_next(harness);
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::ReadyToConfigure)
    );
    let plan = resolved_plan(harness);
    let fed = plan.federation.expect("federation planned");
    assert_eq!(fed.domain, "contoso.com");
    assert!(fed.script.expect("script").contains("adfs1.contoso.test"));
    harness.get_by_label("Federated domain");

    // Configuring: the script is saved, the farm's metadata read, the domain federated.
    click(
        harness,
        "Keep synchronizing in the background: start the Skybridge service",
    );
    harness.get_by_label("Configure").click();
    harness.run_steps(2);
    let configuring = finish_configuring(harness);
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
    press_next(harness);
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::Complete)
    );
    harness.get_by_label("Federation checks, after the domain was federated");
}

#[test]
fn pingfederate_and_an_existing_adfs_farm_are_read_from_their_metadata() {
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
    add_the_forest_signed_in_by(
        &mut harness,
        "Federation with PingFederate",
        &tenant,
        &forest,
        &connector,
    );
    next_until(&mut harness, PageId::FederatedDomain);
    click(&mut harness, "contoso.com");
    press_next(&mut harness);

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
    press_next(&mut harness);
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::ReadyToConfigure)
    );
    let plan = resolved_plan(&harness);
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
        click(&mut harness, "Back");
    }
    click(&mut harness, "Federation with AD FS");
    next_until(&mut harness, PageId::AdfsFarm);
    click(&mut harness, "Use an AD FS farm that runs already");
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
    press_next(&mut harness);
    // The existing farm's walk: no servers, proxies or account pages.
    assert_eq!(
        harness.state().wizard.position(),
        Position::Page(PageId::FederatedDomain)
    );
    press_next(&mut harness);
    let rows = run_the_checks(&mut harness, &dns);
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
    press_next(&mut harness);
    let plan = resolved_plan(&harness);
    let fed = plan.federation.expect("federation");
    assert_eq!(
        fed.provider,
        skybridge::federation::metadata::Provider::Adfs("fs.contoso.test".into())
    );
    assert!(fed.script.is_none(), "an existing farm needs no script");
    assert_eq!(fed.metadata.expect("read").entity_id, farm.entity_id);
}

/// Walks a custom install with the sign-in method `method` to Connect your directories, signing
/// in to the emulated `tenant` on the way, and adds the forest with the account `connector`.
fn add_the_forest_signed_in_by(
    harness: &mut Harness<'static, State>,
    method: &str,
    tenant: &Tenant,
    forest: &Forest,
    connector: &CreatedAccount,
) {
    walk_to_required_components(harness);
    pass_required_components(harness);
    click(harness, method);
    press_next(harness);
    sign_in_to_the_emulator(harness, tenant);
    fill_directory(
        harness,
        forest,
        &connector.account.bind_name(),
        connector.password.expose(),
    );
    add_directory(harness);
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

/// On Verification: points both DNS checks at `dns`, runs the checks and returns their rows.
fn run_the_checks(harness: &mut Harness<'static, State>, dns: &Dnsmasq) -> Vec<CheckRow> {
    let resolver = format!("127.0.0.1:{}", dns.port);
    fill(
        harness,
        "DNS server inside the network (empty: this computer's)",
        &resolver,
    );
    fill(
        harness,
        "DNS server as seen from outside (optional)",
        &resolver,
    );
    press_and_wait(harness, "Run checks", |s| {
        s.wizard.facts().federation.verification.is_some()
    });
    match &harness.state().wizard.facts().federation.verification {
        Some(Ok(rows)) => rows.clone(),
        other => panic!("{other:?}"),
    }
}

/// The plan that the draft and the facts make now.
fn resolved_plan(harness: &Harness<'static, State>) -> InstallPlan {
    skybridge::wizard::plan::resolve(
        harness.state().wizard.draft(),
        harness.state().wizard.facts(),
    )
    .expect("a plan")
}
