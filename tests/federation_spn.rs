//! The duplicate SPN check against the real contoso forest: `host/<federation name>` held by
//! no one passes; once a computer holds it, the check blocks and names that computer's DN.
//! Read with an ordinary connector account.

mod common;

use common::Forest;
use skybridge::directory::Session;
use skybridge::federation::certificate::Outcome;
use skybridge::federation::spn::{check, holders};

#[test]
fn a_duplicate_host_spn_in_the_forest_blocks_with_its_holder() {
    let forest = Forest::private("contoso");
    let created = common::connector_account(&forest, "sky-fed-01");
    let mut session =
        Session::open(&forest.server(), &created.account, &created.password).expect("sign in");
    let domains = vec![forest.base_dn.clone()];
    let name = "fs.contoso.test";

    let found = holders(&mut session, &domains, name).expect("searched");
    assert!(found.is_empty(), "{found:?}");
    assert_eq!(check(&found, name, None).0, Outcome::Pass);

    // A web server registered with the federation name by mistake.
    let parent = format!("CN=Computers,{}", forest.base_dn);
    let dn = skybridge::directory::write::add_object(
        &mut forest.admin_session(),
        "CN",
        "WEBDUP",
        &parent,
        vec![
            ("objectClass".into(), vec![b"computer".to_vec()]),
            ("sAMAccountName".into(), vec![b"WEBDUP$".to_vec()]),
            ("userAccountControl".into(), vec![b"4096".to_vec()]),
            (
                "servicePrincipalName".into(),
                vec![format!("host/{name}").into_bytes()],
            ),
        ],
    )
    .expect("computer added");

    // Names in SPNs match whatever their case.
    let found = holders(&mut session, &domains, "FS.Contoso.TEST").expect("searched");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].eq_ignore_ascii_case(&dn), "{found:?} {dn}");
    let (outcome, detail) = check(&found, name, None);
    assert_eq!(outcome, Outcome::Fail);
    assert!(detail.contains(&found[0]), "{detail}");
    // Held by the farm's own service account, it is as it should be.
    assert_eq!(check(&found, name, Some(&dn)).0, Outcome::Pass);
    session.close();
}

#[test]
fn the_service_account_is_found_its_password_checked_and_a_gmsa_needs_a_kds_root_key() {
    use skybridge::federation::account::{ServiceAccount, check as check_account};
    use skybridge::secret::Secret;
    let forest = Forest::private("contoso");
    let reader = common::connector_account(&forest, "sky-fed-02");
    let service = common::connector_account(&forest, "svc-adfs-01");
    let mut session =
        Session::open(&forest.server(), &reader.account, &reader.password).expect("sign in");
    let domains = vec![forest.base_dn.clone()];
    let discovered = skybridge::directory::discovery::discover(&mut session, &reader.password)
        .expect("discovered")
        .kds_root_key;
    let user = |account: &str, password: &Secret| ServiceAccount::User {
        account: account.to_string(),
        password: password.clone(),
    };
    let server = forest.server();

    // A domain user with its password: passes, naming the account.
    let found = check_account(
        &server,
        &mut session,
        &domains,
        &user(&service.account.to_string(), &service.password),
        discovered,
    )
    .expect("checked");
    assert_eq!(found.outcome, Outcome::Pass, "{found:?}");
    assert!(
        found
            .dn
            .as_deref()
            .is_some_and(|dn| dn.eq_ignore_ascii_case(&service.dn))
    );
    // The wrong password: fails, and says the account exists.
    let found = check_account(
        &server,
        &mut session,
        &domains,
        &user(
            &service.account.to_string(),
            &Secret::new("Not-The-Password-1"),
        ),
        discovered,
    )
    .expect("checked");
    assert_eq!(found.outcome, Outcome::Fail, "{found:?}");
    assert!(found.detail.contains("cannot sign in"), "{found:?}");
    // No such user.
    let found = check_account(
        &server,
        &mut session,
        &domains,
        &user("CONTOSO\\no-such-svc", &service.password),
        discovered,
    )
    .expect("checked");
    assert_eq!(found.outcome, Outcome::Fail);
    assert!(found.detail.contains("no user"), "{found:?}");

    // A managed service account: without a KDS root key in the forest it cannot work, and
    // the check says how to add one; with one, a missing account is created by the setup.
    let gmsa = ServiceAccount::Gmsa("CONTOSO\\adfs-gmsa".into());
    let found =
        check_account(&server, &mut session, &domains, &gmsa, Some(false)).expect("checked");
    assert_eq!(found.outcome, Outcome::Fail);
    assert!(found.detail.contains("Add-KdsRootKey"), "{found:?}");
    let found = check_account(&server, &mut session, &domains, &gmsa, Some(true)).expect("checked");
    assert_eq!(found.outcome, Outcome::Pass, "{found:?}");
    assert!(found.detail.contains("does not exist yet"), "{found:?}");
    // What the real forest says, as discovery read it, decides the outcome.
    let found = check_account(&server, &mut session, &domains, &gmsa, discovered).expect("checked");
    assert_eq!(
        found.outcome,
        if discovered == Some(true) {
            Outcome::Pass
        } else {
            Outcome::Fail
        },
        "{discovered:?}: {found:?}"
    );
    session.close();
}
