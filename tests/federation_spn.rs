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
