//! The two real test forests: reachable over LDAPS with verified TLS, seeded as the data files
//! say, and private copies that start clean and go away.

mod common;

use common::{Forest, seeded};
use ldap3::Scope;
use skybridge::directory::{DirectoryError, ServerSpec, rootdse};

const USERS: &str = "(&(objectCategory=person)(objectClass=user))";

/// Seeded users are everywhere except the built-in containers.
fn seeded_users_in_directory(forest: &Forest) -> Vec<String> {
    let mut conn = forest.admin_conn();
    let builtin = format!(",CN=Users,{}", forest.base_dn);
    // A small page size so that paging really happens.
    let mut dns: Vec<String> = forest
        .search_paged(&mut conn, &forest.base_dn, USERS, &["1.1"], 100)
        .into_iter()
        .map(|e| e.dn)
        .filter(|dn| !dn.ends_with(&builtin))
        .collect();
    dns.sort();
    dns
}

fn assert_same_dns(forest: &str, mut expected: Vec<String>, found: Vec<String>) {
    expected.sort();
    let lower = |v: &[String]| v.iter().map(|d| d.to_lowercase()).collect::<Vec<_>>();
    assert_eq!(
        lower(&expected),
        lower(&found),
        "{forest}: the directory's users differ from tests/data/{forest}.ldif"
    );
}

#[test]
fn contoso_holds_every_seeded_user_over_verified_ldaps() {
    let forest = Forest::shared("contoso");
    let expected = seeded("contoso", "user");
    assert!(
        expected.len() >= 300,
        "contoso seeds {} users",
        expected.len()
    );
    assert_same_dns("contoso", expected, seeded_users_in_directory(&forest));
}

#[test]
fn fabrikam_holds_every_seeded_user_over_verified_ldaps() {
    let forest = Forest::shared("fabrikam");
    assert_same_dns(
        "fabrikam",
        seeded("fabrikam", "user"),
        seeded_users_in_directory(&forest),
    );
}

#[test]
fn contoso_has_the_extra_upn_suffix_and_the_large_group() {
    let forest = Forest::shared("contoso");
    let mut conn = forest.admin_conn();
    let partitions = format!("CN=Partitions,CN=Configuration,{}", forest.base_dn);
    let (entries, _) = conn
        .search(
            &partitions,
            Scope::Base,
            "(objectClass=*)",
            vec!["uPNSuffixes"],
        )
        .and_then(|r| r.success())
        .expect("read the partitions container");
    let entry = ldap3::SearchEntry::construct(entries.into_iter().next().expect("one entry"));
    assert_eq!(
        entry.attrs.get("uPNSuffixes"),
        Some(&vec!["contoso.com".to_string()])
    );

    // Ask for the values range by range, as a client must with Active Directory.
    let group = format!("CN=All Company,OU=Groups,OU=Corp,{}", forest.base_dn);
    let mut members = 0;
    let mut low = 0usize;
    loop {
        let wanted = format!("member;range={low}-*");
        let (entries, _) = conn
            .search(
                &group,
                Scope::Base,
                "(objectClass=group)",
                vec![wanted.as_str()],
            )
            .and_then(|r| r.success())
            .expect("read the group's members");
        let entry = ldap3::SearchEntry::construct(entries.into_iter().next().expect("the group"));
        let Some((name, values)) = entry
            .attrs
            .iter()
            .find(|(k, _)| k.to_lowercase().starts_with("member"))
        else {
            break;
        };
        members += values.len();
        match name.rsplit('-').next() {
            Some("*") | None => break,
            Some(high) => low = high.parse::<usize>().expect("a range end") + 1,
        }
    }
    assert!(members >= 1600, "All Company has {members} members");
}

#[test]
fn contoso_users_are_the_awkward_kind_administrators_have() {
    let forest = Forest::shared("contoso");
    let mut conn = forest.admin_conn();
    let all = forest.search_paged(
        &mut conn,
        &forest.base_dn,
        USERS,
        &[
            "sAMAccountName",
            "userPrincipalName",
            "userAccountControl",
            "mS-DS-ConsistencyGuid",
            "displayName",
        ],
        500,
    );
    let attr =
        |e: &ldap3::SearchEntry, name: &str| e.attrs.get(name).and_then(|v| v.first()).cloned();
    let disabled = all
        .iter()
        .filter(|e| {
            attr(e, "userAccountControl")
                .and_then(|v| v.parse::<u32>().ok())
                .is_some_and(|v| v & 2 != 0)
        })
        .count();
    let on_com = all
        .iter()
        .filter(|e| attr(e, "userPrincipalName").is_some_and(|u| u.ends_with("@contoso.com")))
        .count();
    let on_test = all
        .iter()
        .filter(|e| attr(e, "userPrincipalName").is_some_and(|u| u.ends_with("@contoso.test")))
        .count();
    let sam_differs = all
        .iter()
        .filter(
            |e| match (attr(e, "sAMAccountName"), attr(e, "userPrincipalName")) {
                (Some(sam), Some(upn)) => !upn
                    .to_lowercase()
                    .starts_with(&format!("{}@", sam.to_lowercase())),
                _ => false,
            },
        )
        .count();
    let non_latin = all
        .iter()
        .filter(|e| attr(e, "displayName").is_some_and(|d| d.chars().any(|c| c as u32 > 0x24F)))
        .count();
    let with_guid = all
        .iter()
        .filter(|e| e.bin_attrs.contains_key("mS-DS-ConsistencyGuid"))
        .count();
    let comma_plus = all
        .iter()
        .filter(|e| e.dn.contains("\\,") && e.dn.contains("\\+"))
        .count();
    assert!(disabled >= 10, "{disabled} disabled users");
    assert!(
        on_com >= 100 && on_test >= 100,
        "{on_com} on contoso.com, {on_test} on contoso.test"
    );
    assert!(
        sam_differs >= 100,
        "{sam_differs} users whose sAMAccountName is not the UPN prefix"
    );
    assert!(non_latin >= 10, "{non_latin} users with non-Latin names");
    assert!(
        with_guid >= 3,
        "{with_guid} users with a pre-set ms-DS-ConsistencyGuid"
    );
    assert!(comma_plus >= 1, "no DN with both a comma and a plus sign");
}

#[test]
fn the_same_people_are_in_both_forests_by_mail() {
    let contoso = Forest::shared("contoso");
    let fabrikam = Forest::shared("fabrikam");
    let mails = |forest: &Forest| -> std::collections::BTreeSet<String> {
        let mut conn = forest.admin_conn();
        forest
            .search_paged(
                &mut conn,
                &forest.base_dn,
                "(&(objectClass=user)(mail=*))",
                &["mail"],
                500,
            )
            .into_iter()
            .filter_map(|e| {
                e.attrs
                    .get("mail")
                    .and_then(|v| v.first())
                    .map(|m| m.to_lowercase())
            })
            .collect()
    };
    let shared = mails(&contoso).intersection(&mails(&fabrikam)).count();
    assert!(
        shared >= 20,
        "only {shared} people share a mail address across the forests"
    );
}

#[test]
fn the_root_dse_probe_reads_the_forest() {
    let forest = Forest::shared("contoso");
    let dse = rootdse::probe(&forest.server()).expect("root DSE over LDAPS");
    assert!(dse.is_active_directory());
    assert_eq!(
        dse.default_naming_context.as_deref(),
        Some(forest.base_dn.as_str())
    );
    assert!(dse.supports_control(rootdse::OID_DIRSYNC));
}

#[test]
fn starttls_is_verified_too() {
    let forest = Forest::shared("fabrikam");
    let spec = ServerSpec::parse(&format!("ldap://{}", forest.ip), true, false)
        .expect("address parses")
        .with_ca_file(Some(forest.ca_file.clone()));
    let dse = rootdse::probe(&spec).expect("root DSE over StartTLS");
    assert_eq!(
        dse.default_naming_context.as_deref(),
        Some(forest.base_dn.as_str())
    );
}

#[test]
fn tls_is_never_unverified() {
    let forest = Forest::shared("contoso");
    // Without the project CA, the system's trust store does not know the DC's certificate.
    let spec = ServerSpec::parse(&forest.url, false, false).expect("address parses");
    let err = rootdse::probe(&spec).expect_err("an unknown CA must be refused");
    assert!(
        matches!(err, DirectoryError::CertificateUntrusted { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("could not be verified"), "{err}");
}

#[test]
fn a_private_copy_starts_clean_and_is_removed_on_drop() {
    let marker = "OU=Scratch From A Test";
    let (name, dir) = {
        let forest = Forest::private("contoso");
        assert_ne!(forest.ip, "127.0.0.2", "a copy has its own address");
        let mut conn = forest.admin_conn();
        conn.add(
            &format!("{marker},{}", forest.base_dn),
            vec![("objectClass", ["organizationalUnit"].into_iter().collect())],
        )
        .and_then(|r| r.success())
        .expect("a test may change its private copy");
        let dir = forest
            .log
            .parent()
            .and_then(|p| p.parent())
            .expect("instance dir")
            .to_path_buf();
        assert!(dir.exists());
        (forest.name.clone(), dir)
    };
    assert!(!dir.exists(), "{name} was not removed on drop");
    let again = Forest::private("contoso");
    let mut conn = again.admin_conn();
    let found = again.search_paged(
        &mut conn,
        &again.base_dn,
        "(ou=Scratch From A Test)",
        &["1.1"],
        50,
    );
    assert!(
        found.is_empty(),
        "a new copy still holds another test's change"
    );
    let shared = Forest::shared("contoso");
    let mut conn = shared.admin_conn();
    let found = shared.search_paged(
        &mut conn,
        &shared.base_dn,
        "(ou=Scratch From A Test)",
        &["1.1"],
        50,
    );
    assert!(
        found.is_empty(),
        "a private copy's change leaked into the shared forest"
    );
}
