//! The Active Directory connector against real Samba AD domain controllers: signing in and its
//! failures, TLS names, discovery, the connector account, full and delta import, and writes.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

use common::Forest;
use skybridge::directory::account::{self, NewAccount, PrivilegedGroup, Rights};
use skybridge::directory::delta::{self, Change};
use skybridge::directory::discovery::{self, DomainStatus};
use skybridge::directory::import::{self, ImportScope, ObjectClass};
use skybridge::directory::{
    AccountName, BindFailure, DirectoryError, Entry, ServerSpec, Session, escape, write,
};
use skybridge::secret::Secret;

const PASSWORD: &str = "Correct-Horse-Battery-9";

/// Adds an enabled user with a password in `OU=Users,OU=Corp`; returns its DN.
fn add_user(forest: &Forest, session: &mut Session, name: &str, uac: &str) -> String {
    let parent = format!("OU=Users,OU=Corp,{}", forest.base_dn);
    let dn = write::add_object(
        session,
        "CN",
        name,
        &parent,
        vec![
            ("objectClass".into(), vec![b"user".to_vec()]),
            ("sAMAccountName".into(), vec![name.as_bytes().to_vec()]),
            (
                "userPrincipalName".into(),
                vec![format!("{name}@{}", forest.dns).into_bytes()],
            ),
        ],
    )
    .expect("the user is added");
    forest.set_password(&dn, PASSWORD);
    write::replace(
        session,
        &dn,
        vec![("userAccountControl".into(), vec![uac.as_bytes().to_vec()])],
    )
    .expect("its account flags are set");
    dn
}

fn sign_in(forest: &Forest, name: &str, password: &str) -> Result<Session, DirectoryError> {
    Session::open(
        &forest.server(),
        &AccountName::parse(name).expect("the name parses"),
        &Secret::new(password),
    )
}

fn bind_reason(result: Result<Session, DirectoryError>) -> BindFailure {
    match result {
        Err(DirectoryError::Bind { reason, .. }) => reason,
        Err(other) => panic!("expected a refused sign-in, got: {other}"),
        Ok(_) => panic!("expected a refused sign-in, but it worked"),
    }
}

#[test]
fn every_account_name_form_signs_in_and_each_refusal_has_its_own_message() {
    let forest = Forest::private("contoso");
    let mut admin = forest.admin_session();
    let ok = add_user(&forest, &mut admin, "sync-ok", "512");
    add_user(&forest, &mut admin, "sync-off", "514");
    let must_change = add_user(&forest, &mut admin, "sync-new", "512");
    write::replace(
        &mut admin,
        &must_change,
        vec![("pwdLastSet".into(), vec![b"0".to_vec()])],
    )
    .expect("the password is marked for change");

    for name in [
        format!("{}\\sync-ok", forest.netbios),
        format!("sync-ok@{}", forest.dns),
        format!("{}\\sync-ok", forest.dns),
        ok.clone(),
    ] {
        sign_in(&forest, &name, PASSWORD)
            .unwrap_or_else(|e| panic!("{name} should sign in: {e}"))
            .close();
    }

    let wrong = bind_reason(sign_in(&forest, "CONTOSO\\sync-ok", "not-the-password"));
    let disabled = bind_reason(sign_in(&forest, "CONTOSO\\sync-off", PASSWORD));
    let change = bind_reason(sign_in(&forest, "CONTOSO\\sync-new", PASSWORD));
    assert_eq!(wrong, BindFailure::WrongPassword);
    assert_eq!(disabled, BindFailure::Disabled);
    assert_eq!(change, BindFailure::MustChangePassword);
    let texts: HashSet<String> = [&wrong, &disabled, &change]
        .iter()
        .map(|r| r.to_string())
        .collect();
    assert_eq!(texts.len(), 3, "each refusal reads differently: {texts:?}");
    assert!(disabled.to_string().contains("disabled"));
    assert!(change.to_string().contains("change its password"));

    // An empty password never reaches the server as an anonymous sign-in.
    let empty = bind_reason(sign_in(&forest, "CONTOSO\\sync-ok", ""));
    assert!(empty.to_string().contains("anonymous"), "{empty}");
}

#[test]
fn a_simple_bind_over_plain_ldap_is_refused_with_advice_about_tls() {
    let forest = Forest::shared("contoso");
    let spec =
        ServerSpec::parse(&format!("ldap://{}", forest.ip), false, true).expect("plain allowed");
    let account = AccountName::parse(&forest.admin).expect("parses");
    let error = Session::open(&spec, &account, &forest.admin_secret()).expect_err("refused");
    assert!(
        matches!(error, DirectoryError::StrongerAuthRequired { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("ldaps://"), "{error}");
}

/// Relays one TCP connection at a time from a new address to the domain controller, as a load
/// balancer or a DNS alias would: the DC's real certificate then meets a name it does not hold.
fn relay_to(target: String, listen_ip: &str) -> u16 {
    let listener = TcpListener::bind((listen_ip, 0)).expect("the relay listens");
    let port = listener.local_addr().expect("local address").port();
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&target) else {
                continue;
            };
            let pipe = |mut from: TcpStream, mut to: TcpStream| {
                thread::spawn(move || {
                    let mut buf = [0u8; 16384];
                    while let Ok(n) = from.read(&mut buf) {
                        if n == 0 || to.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = to.shutdown(std::net::Shutdown::Both);
                });
            };
            if let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) {
                pipe(client, s2);
                pipe(server, c2);
            }
        }
    });
    port
}

#[test]
fn tls_to_a_name_the_certificate_lacks_fails_naming_both() {
    let forest = Forest::shared("contoso");
    for (listen, asked) in [("127.0.0.9", "127.0.0.9"), ("127.0.0.1", "localhost")] {
        let port = relay_to(format!("{}:636", forest.ip), listen);
        let spec = ServerSpec::parse(&format!("ldaps://{asked}:{port}"), false, false)
            .expect("parses")
            .with_ca_file(Some(forest.ca_file.clone()));
        let error = spec
            .connect()
            .map(drop)
            .expect_err("the name does not match");
        let text = error.to_string();
        assert!(
            matches!(&error, DirectoryError::CertificateName { asked: a, .. } if a == asked),
            "{text}"
        );
        assert!(text.contains(&format!("dc1.{}", forest.dns)), "{text}");
        assert!(text.contains(&forest.ip), "{text}");
    }
}

#[test]
fn discovery_reads_domains_suffixes_ous_schema_and_features() {
    let forest = Forest::shared("contoso");
    let mut session = forest.admin_session();
    let found = discovery::discover(&mut session, &forest.admin_secret()).expect("discovery");
    assert_eq!(found.name, forest.dns);
    assert_eq!(found.domains.len(), 1);
    let domain = &found.domains[0];
    assert_eq!(domain.netbios_name, forest.netbios);
    assert!(domain.forest_root);
    assert!(
        domain
            .sid
            .as_deref()
            .is_some_and(|s| s.starts_with("S-1-5-21-"))
    );
    let DomainStatus::Reachable { containers } = &domain.status else {
        panic!("the domain should be reachable: {:?}", domain.status);
    };
    let dn = |rel: &str| format!("{rel},{}", forest.base_dn);
    for ou in [
        "OU=Corp",
        "OU=Users,OU=Corp",
        "OU=Groups,OU=Corp",
        "OU=Service Accounts,OU=Corp",
        "OU=Sales,OU=Staff",
        "OU=Engineering,OU=Staff",
        "OU=Disabled",
        "OU=Computers",
    ] {
        assert!(
            containers.iter().any(|c| escape::dn_eq(&c.dn, &dn(ou))),
            "{ou} missing from the OU tree"
        );
    }
    let corp = containers
        .iter()
        .find(|c| escape::dn_eq(&c.dn, &dn("OU=Corp")))
        .expect("Corp");
    assert_eq!(
        corp.child_containers, 4,
        "Users, Groups, Service Accounts, Contacts"
    );
    assert_eq!(corp.kind, "organizationalUnit");
    assert_eq!(corp.guid.len(), 36);
    assert_eq!(containers[0].parent, None, "the domain root comes first");
    let suffixes: Vec<&str> = found
        .upn_suffixes
        .iter()
        .map(|s| s.suffix.as_str())
        .collect();
    assert!(
        suffixes.contains(&"contoso.test") && suffixes.contains(&"contoso.com"),
        "{suffixes:?}"
    );
    assert!(found.schema.attributes.len() > 1000);
    assert!(found.schema.classes.len() > 200);
    let guid_attr = found
        .schema
        .attribute("mS-DS-ConsistencyGuid")
        .expect("in the schema");
    assert!(guid_attr.single_valued);
    assert_eq!(guid_attr.syntax, "2.5.5.10");
    assert!(!found.exchange_schema);
    assert!(found.kds_root_key.is_some());
    assert!(found.forest_functional_level.is_some());
}

#[test]
fn a_domain_whose_controller_cannot_be_reached_is_reported_with_the_reason() {
    let forest = Forest::private("contoso");
    let mut admin = forest.admin_session();
    // A second domain in the forest's partitions whose DNS name leads nowhere. (Samba insists
    // that a crossRef's nCName exists; an OU stands in for the other domain's root, which this
    // DC does not hold as a naming context, just as a real DC does not hold other domains.)
    let config = format!("CN=Configuration,{}", forest.base_dn);
    let stand_in = write::add_object(
        &mut admin,
        "OU",
        "Branch Root",
        &forest.base_dn,
        vec![("objectClass".into(), vec![b"organizationalUnit".to_vec()])],
    )
    .expect("stand-in OU");
    let added = write::add_object(
        &mut admin,
        "CN",
        "BRANCH",
        &format!("CN=Partitions,{config}"),
        vec![
            ("objectClass".into(), vec![b"crossRef".to_vec()]),
            ("nCName".into(), vec![stand_in.clone().into_bytes()]),
            ("dnsRoot".into(), vec![b"branch.invalid".to_vec()]),
            ("nETBIOSName".into(), vec![b"BRANCH".to_vec()]),
        ],
    );
    if let Err(e) = &added {
        panic!("the test forest refused the extra domain's crossRef: {e}");
    }
    let found =
        discovery::discover(&mut admin, &forest.admin_secret()).expect("discovery still works");
    let branch = found
        .domain_named("BRANCH")
        .expect("the branch domain is listed");
    match &branch.status {
        DomainStatus::Unreachable { reason } => {
            assert!(reason.contains("branch.invalid"), "{reason}")
        }
        other => panic!("branch should be unreachable: {other:?}"),
    }
    let contoso = found.domain_named(&forest.netbios).expect("contoso listed");
    assert!(matches!(contoso.status, DomainStatus::Reachable { .. }));
}

#[test]
fn administrators_are_refused_as_connector_account_and_ordinary_users_accepted() {
    let forest = Forest::private("contoso");
    let accounts = format!("OU=Service Accounts,OU=Corp,{}", forest.base_dn);
    for name in ["adm-jdoe", "adm-rroe", "svc-crm"] {
        forest.set_password(&format!("CN={name},{accounts}"), PASSWORD);
    }
    let check = |name: &str| {
        let mut s =
            sign_in(&forest, &format!("{}\\{name}", forest.netbios), PASSWORD).expect("signs in");
        account::check(&mut s).expect("the check runs")
    };
    let direct = check("adm-jdoe");
    assert!(!direct.acceptable);
    assert!(
        direct
            .privileged_groups
            .contains(&PrivilegedGroup::DomainAdmins)
    );
    assert!(
        direct
            .findings
            .iter()
            .any(|f| f.contains("Domain Admins") && f.contains("dedicated account"))
    );

    let nested = check("adm-rroe");
    assert!(!nested.acceptable);
    assert!(
        nested
            .privileged_groups
            .contains(&PrivilegedGroup::EnterpriseAdmins),
        "{nested:?}"
    );
    assert!(
        !nested
            .privileged_groups
            .contains(&PrivilegedGroup::DomainAdmins)
    );

    let plain = check("svc-crm");
    assert!(plain.acceptable, "{plain:?}");
    assert!(plain.privileged_groups.is_empty());
    assert!(
        !plain.can_read_changes,
        "an ordinary user has no DirSync right"
    );

    // The membership rule in chain agrees with the token.
    let mut admin = forest.admin_session();
    let dse = discovery::read_root_dse(&mut admin).expect("root DSE");
    let rroe = format!("CN=adm-rroe,{accounts}");
    let by_chain =
        account::privileged_by_chain(&mut admin, &dse, &rroe, &forest.base_dn).expect("chain");
    let by_token =
        account::privileged_by_token(&mut admin, &dse, &rroe, &forest.base_dn).expect("token");
    assert!(
        by_chain.contains(&PrivilegedGroup::EnterpriseAdmins),
        "{by_chain:?}"
    );
    let mut a = by_chain.clone();
    let mut b = by_token.clone();
    a.sort_by_key(|g| g.name());
    b.sort_by_key(|g| g.name());
    assert_eq!(a, b);
}

fn users_scope(forest: &Forest) -> ImportScope {
    let mut scope = ImportScope::new(vec![forest.base_dn.clone()]);
    scope.page_size = 50;
    scope
}

#[test]
fn a_created_connector_account_signs_in_and_imports_but_cannot_write() {
    let forest = Forest::private("contoso");
    let mut admin = forest.admin_session();
    let users_ou = format!("OU=Users,OU=Corp,{}", forest.base_dn);
    let created = account::create(
        &mut admin,
        &NewAccount {
            parent_dn: format!("OU=Service Accounts,OU=Corp,{}", forest.base_dn),
            name: "sky-sync-01".into(),
            rights: Rights {
                consistency_guid_ous: vec![users_ou.clone()],
                ..Rights::default()
            },
        },
    )
    .expect("the connector account is created");
    assert_eq!(
        created.account.bind_name(),
        format!("{}\\sky-sync-01", forest.netbios)
    );
    assert!(
        format!("{created:?}").contains("***"),
        "the password stays out of Debug"
    );

    let mut sync = Session::open(&forest.server(), &created.account, &created.password)
        .expect("the new account signs in");
    let verdict = account::check(&mut sync).expect("check");
    assert!(
        verdict.acceptable && verdict.can_read_changes,
        "{verdict:?}"
    );

    let mut scope = users_scope(&forest);
    scope.classes = vec![ObjectClass::User];
    let mut seen = 0u64;
    import::full_import(
        &mut sync,
        &scope,
        |_: Entry| -> Result<(), DirectoryError> {
            seen += 1;
            Ok(())
        },
    )
    .expect("it imports");
    assert!(seen >= 1700, "{seen} users imported");
    let out = delta::dirsync(&mut sync, &forest.base_dn, &scope, &[], |_| {
        Ok::<(), DirectoryError>(())
    })
    .expect("it may read changes");
    assert!(out.changes >= 1700);

    let target = user_with_mail(&mut admin, &forest);
    let error = write::replace(
        &mut sync,
        &target,
        vec![("description".into(), vec![b"x".to_vec()])],
    )
    .expect_err("the connector account may not change users");
    assert!(
        matches!(error, DirectoryError::InsufficientRights { .. }),
        "{error}"
    );
    let error = write::add_object(
        &mut sync,
        "OU",
        "Rogue",
        &forest.base_dn,
        vec![("objectClass".into(), vec![b"organizationalUnit".to_vec()])],
    )
    .expect_err("nor add objects");
    assert!(
        matches!(error, DirectoryError::InsufficientRights { .. }),
        "{error}"
    );
    // Managed sourceAnchor writeback was granted on OU=Users only, for that attribute only.
    write::set_consistency_guid(&mut sync, &target, &[9u8; 16])
        .expect("writeback of the anchor is allowed");
    let back = admin
        .read(&target, &["mS-DS-ConsistencyGuid"])
        .expect("read")
        .expect("exists");
    assert_eq!(back.first("mS-DS-ConsistencyGuid"), Some(&[9u8; 16][..]));

    // Creating it again says the name is taken and leaves nothing behind.
    let again = account::create(
        &mut admin,
        &NewAccount {
            parent_dn: format!("OU=Service Accounts,OU=Corp,{}", forest.base_dn),
            name: "sky-sync-01".into(),
            rights: Rights::default(),
        },
    )
    .expect_err("the name is taken");
    assert!(
        matches!(again, DirectoryError::AlreadyExists { .. }),
        "{again}"
    );
}

/// The DN of a user with a mail address under OU=Users,OU=Corp (any will do).
fn user_with_mail(admin: &mut Session, forest: &Forest) -> String {
    let (entries, _) = admin
        .search(
            &format!("OU=Users,OU=Corp,{}", forest.base_dn),
            ldap3::Scope::OneLevel,
            "(&(objectCategory=person)(objectClass=user)(mail=*))",
            &["cn"],
            Vec::new(),
            "test lookup",
        )
        .expect("search");
    entries.into_iter().next().expect("a user with mail").dn
}

#[test]
fn full_import_pages_streams_and_reads_the_large_group_completely() {
    let forest = Forest::shared("contoso");
    let mut session = forest.admin_session();
    let group = format!("CN=All Company,OU=Groups,OU=Corp,{}", forest.base_dn);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut members = 0;
    let mut guids = HashSet::new();
    let mut with_anchor = 0;
    let stats = import::full_import(
        &mut session,
        &users_scope(&forest),
        |e: Entry| -> Result<(), DirectoryError> {
            let class = ObjectClass::of(&e).map_or("other".to_string(), |c| format!("{c:?}"));
            *counts.entry(class).or_default() += 1;
            assert!(guids.insert(e.guid().expect("every object has a 16-byte GUID")));
            assert!(e.first("objectSid").is_none_or(|s| s.len() >= 12));
            if e.first("mS-DS-ConsistencyGuid")
                .is_some_and(|g| g.len() == 16)
            {
                with_anchor += 1;
            }
            if escape::dn_eq(&e.dn, &group) {
                members = e.values("member").len();
            }
            Ok(())
        },
    )
    .expect("full import");
    let seeded_users = common::seeded("contoso", "user").len();
    assert!(
        counts["User"] >= seeded_users,
        "{counts:?} vs {seeded_users} seeded"
    );
    assert!(
        counts["Contact"] >= 45 && counts["Computer"] >= 63,
        "{counts:?}"
    );
    assert!(counts["Group"] >= 10, "{counts:?}");
    assert_eq!(members, 1658, "All Company read completely");
    assert_eq!(with_anchor, 6);
    assert_eq!(stats.objects as usize, guids.len());

    // Asking for values in ranges of 500 takes the ranged path and ends with the same members.
    let mut scope = users_scope(&forest);
    scope.bases = vec![format!("OU=Groups,OU=Corp,{}", forest.base_dn)];
    scope.classes = vec![ObjectClass::Group];
    scope.value_range = Some(500);
    let mut ranged_members = 0;
    let stats = import::full_import(
        &mut session,
        &scope,
        |e: Entry| -> Result<(), DirectoryError> {
            assert!(e.incomplete.is_empty());
            if escape::dn_eq(&e.dn, &group) {
                ranged_members = e.values("member").len();
            }
            Ok(())
        },
    )
    .expect("ranged import");
    assert_eq!(ranged_members, 1658);
    assert!(stats.ranged >= 1, "{stats:?}");

    // Excluded OUs are left out.
    let mut scope = users_scope(&forest);
    scope.excluded = vec![format!("OU=Corp,{}", forest.base_dn)];
    import::full_import(
        &mut session,
        &scope,
        |e: Entry| -> Result<(), DirectoryError> {
            assert!(
                !escape::dn_is_within(&e.dn, &format!("OU=Corp,{}", forest.base_dn)),
                "{}",
                e.dn
            );
            Ok(())
        },
    )
    .expect("scoped import");
}

fn by_guid(changes: &[Change], guid: &[u8; 16]) -> Vec<Change> {
    changes
        .iter()
        .filter(|c| &c.guid == guid)
        .cloned()
        .collect()
}

#[test]
fn delta_import_sees_moves_renames_deletes_changes_and_member_removals() {
    let forest = Forest::private("contoso");
    let mut admin = forest.admin_session();
    let scope = users_scope(&forest);
    let base = forest.base_dn.clone();
    let first = delta::dirsync(&mut admin, &base, &scope, &[], |_| {
        Ok::<(), DirectoryError>(())
    })
    .expect("initial read");
    let watermark = delta::current_watermark(&mut admin).expect("watermark");

    // Four users from OU=Users that are in the group (the server's result order is its own
    // choice, and not every user is a member).
    let group = format!("CN=All Company,OU=Groups,OU=Corp,{base}");
    let (users, _) = admin
        .search(
            &format!("OU=Users,OU=Corp,{base}"),
            ldap3::Scope::OneLevel,
            &format!("(&(objectCategory=person)(objectClass=user)(memberOf={group}))"),
            &["objectGUID", "cn"],
            Vec::new(),
            "pick",
        )
        .expect("users");
    let pick: Vec<(String, [u8; 16])> = users
        .iter()
        .take(4)
        .map(|e| (e.dn.clone(), e.guid().expect("guid")))
        .collect();
    assert_eq!(pick.len(), 4, "four members of {group} in OU=Users");
    let group_guid = admin
        .read(&group, &["objectGUID"])
        .expect("read")
        .expect("group")
        .guid()
        .expect("guid");

    let moved = write::move_object(
        &mut admin,
        &pick[0].0,
        None,
        Some(&format!("OU=Sales,OU=Staff,{base}")),
    )
    .expect("move");
    let renamed = write::move_object(&mut admin, &pick[1].0, Some("Renamed, Person + Co"), None)
        .expect("rename");
    write::delete(&mut admin, &pick[2].0).expect("delete");
    write::replace(
        &mut admin,
        &pick[3].0,
        vec![("title".into(), vec![b"Chief Sync Officer".to_vec()])],
    )
    .expect("change");
    write::change_values(
        &mut admin,
        &group,
        "member",
        &[],
        &[moved.clone().into_bytes()],
    )
    .expect("member removal");

    let mut changes = Vec::new();
    let second = delta::dirsync(&mut admin, &base, &scope, &first.cookie, |c| {
        changes.push(c);
        Ok::<(), DirectoryError>(())
    })
    .expect("delta");
    assert_ne!(second.cookie, first.cookie);

    let m = by_guid(&changes, &pick[0].1);
    assert!(
        m.iter().any(|c| escape::dn_eq(&c.dn, &moved)),
        "move seen: {m:?}"
    );
    let r = by_guid(&changes, &pick[1].1);
    assert!(
        r.iter().any(|c| escape::dn_eq(&c.dn, &renamed)),
        "rename seen: {r:?}"
    );
    assert!(
        renamed.starts_with("CN=Renamed\\, Person \\+ Co,"),
        "{renamed}"
    );
    let d = by_guid(&changes, &pick[2].1);
    assert!(d.iter().any(|c| c.deleted), "delete seen: {d:?}");
    let t = by_guid(&changes, &pick[3].1);
    assert!(
        t.iter().any(|c| c
            .attrs
            .get("title")
            .is_some_and(|v| v == &vec![b"Chief Sync Officer".to_vec()])),
        "attribute change seen: {t:?}"
    );
    let g = by_guid(&changes, &group_guid);
    assert!(
        g.iter().any(|c| c.removed.get("member").is_some_and(|v| v
            .iter()
            .any(|m| escape::dn_eq(&String::from_utf8_lossy(m), &moved)))),
        "member removal seen: {g:?}"
    );
    // A small delta is small: the changed objects, not the forest.
    assert!(changes.len() < 20, "{} changes", changes.len());

    // The update-number fallback sees the same objects (groups as whole member lists).
    let mut by_usn = Vec::new();
    delta::usn_delta(&mut admin, &base, &scope, &watermark, |c| {
        by_usn.push(c);
        Ok::<(), DirectoryError>(())
    })
    .expect("usn delta");
    for (what, guid) in [
        ("move", pick[0].1),
        ("rename", pick[1].1),
        ("change", pick[3].1),
        ("group", group_guid),
    ] {
        assert!(
            !by_guid(&by_usn, &guid).is_empty(),
            "{what} missing from the USN delta"
        );
    }
    assert!(
        by_guid(&by_usn, &pick[2].1).iter().any(|c| c.deleted),
        "tombstone missing"
    );
    let group_now = by_guid(&by_usn, &group_guid);
    let truth = admin
        .read(&group, &["member"])
        .expect("read")
        .expect("group");
    assert_eq!(
        group_now[0].attrs["member"].len(),
        truth.values("member").len()
    );
    assert!(
        !group_now[0].attrs["member"]
            .iter()
            .any(|m| escape::dn_eq(&String::from_utf8_lossy(m), &moved)),
        "the removed member is gone from the whole list"
    );
}

#[test]
fn a_cookie_the_server_does_not_accept_asks_for_a_full_import() {
    let forest = Forest::shared("fabrikam");
    let mut session = forest.admin_session();
    let scope = users_scope(&forest);
    let error = delta::dirsync(
        &mut session,
        &forest.base_dn,
        &scope,
        b"not a cookie at all",
        |_| Ok::<(), DirectoryError>(()),
    )
    .expect_err("a garbage cookie is refused");
    assert!(
        matches!(error, DirectoryError::CookieRejected { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("full import"), "{error}");
}

#[test]
fn dirsync_without_the_right_is_refused_with_what_to_grant() {
    let forest = Forest::private("fabrikam");
    let (users, _) = forest
        .admin_session()
        .search(
            &forest.base_dn,
            ldap3::Scope::Subtree,
            "(&(objectCategory=person)(objectClass=user)(mail=*))",
            &["sAMAccountName"],
            Vec::new(),
            "pick",
        )
        .expect("users");
    let user = &users[0];
    forest.set_password(&user.dn, PASSWORD);
    let sam = user.text("sAMAccountName").expect("sam");
    let mut session =
        sign_in(&forest, &format!("{}\\{sam}", forest.netbios), PASSWORD).expect("signs in");
    assert!(!delta::can_use_dirsync(&mut session, &forest.base_dn).expect("checks"));
    let error = delta::dirsync(
        &mut session,
        &forest.base_dn,
        &users_scope(&forest),
        &[],
        |_| Ok::<(), DirectoryError>(()),
    )
    .expect_err("refused");
    assert!(
        matches!(error, DirectoryError::InsufficientRights { .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("Replicating Directory Changes"),
        "{error}"
    );
}

const INJECTIONS: &[&str] = &[
    "*)(uid=*",
    "*",
    "back\\slash",
    ",+\"<>;=",
    "#hash",
    " spaced ",
    "Ünïcødé 山田",
    "paren(thesis)",
];

#[test]
fn injection_strings_are_only_ever_names() {
    let forest = Forest::private("contoso");
    let mut admin = forest.admin_session();
    let dse = discovery::read_root_dse(&mut admin).expect("root DSE");
    for (i, text) in INJECTIONS.iter().enumerate() {
        let ou = write::add_object(
            &mut admin,
            "OU",
            text,
            &forest.base_dn,
            vec![("objectClass".into(), vec![b"organizationalUnit".to_vec()])],
        )
        .unwrap_or_else(|e| panic!("OU {text:?}: {e}"));
        let sam = format!("inj{i}");
        let user = write::add_object(
            &mut admin,
            "CN",
            text,
            &ou,
            vec![
                ("objectClass".into(), vec![b"user".to_vec()]),
                ("sAMAccountName".into(), vec![sam.as_bytes().to_vec()]),
                ("description".into(), vec![text.as_bytes().to_vec()]),
            ],
        )
        .unwrap_or_else(|e| panic!("user {text:?}: {e}"));
        let back = admin
            .read(&user, &["description", "cn"])
            .expect("read")
            .expect("the DN we built finds the object");
        assert_eq!(back.text("cn").as_deref(), Some(*text));
        assert!(escape::dn_eq(&back.dn, &user), "{} vs {user}", back.dn);
        let parts = escape::split_dn(&back.dn).expect("the server's DN splits");
        assert_eq!(parts[0].1, *text);

        // A full import scoped to the OU sees exactly that user.
        let mut scope = ImportScope::new(vec![ou.clone()]);
        scope.classes = vec![ObjectClass::User];
        let mut found = Vec::new();
        import::full_import(
            &mut admin,
            &scope,
            |e: Entry| -> Result<(), DirectoryError> {
                found.push(e.dn);
                Ok(())
            },
        )
        .expect("scoped import");
        assert_eq!(found.len(), 1, "{text:?}: {found:?}");

        // Looking an account up by a typed name never matches more than that name.
        let typed = AccountName::DownLevel {
            domain: forest.netbios.clone(),
            user: (*text).to_string(),
        };
        let hit = discovery::find_account(&mut admin, &typed, &dse).expect("lookup runs");
        assert!(hit.is_none(), "{text:?} matched {:?}", hit.map(|e| e.dn));
        let typed = AccountName::Principal {
            user: (*text).to_string(),
            suffix: forest.dns.clone(),
        };
        assert!(
            discovery::find_account(&mut admin, &typed, &dse)
                .expect("lookup runs")
                .is_none()
        );

        // Renaming and group membership go through the same escaping.
        let renamed = write::move_object(&mut admin, &user, Some(&format!("{text} 2")), None)
            .expect("rename");
        assert!(
            admin.read(&renamed, &["cn"]).expect("read").is_some(),
            "{renamed}"
        );
    }
    // NUL cannot be part of a name: the server refuses it and says so; nothing panics.
    let nul = write::add_object(
        &mut admin,
        "OU",
        "nul\0byte",
        &forest.base_dn,
        vec![("objectClass".into(), vec![b"organizationalUnit".to_vec()])],
    );
    if let Ok(dn) = nul {
        let back = admin.read(&dn, &["ou"]).expect("read");
        assert_eq!(
            back.and_then(|e| e.text("ou")).as_deref(),
            Some("nul\0byte")
        );
    }
}

#[test]
fn the_single_sign_on_account_is_created_then_renewed_with_a_new_key() {
    let forest = Forest::private("contoso");
    let mut admin = forest.admin_session();
    let made = skybridge::directory::sso::ensure_account(&mut admin, &forest.base_dn)
        .expect("the single sign-on account");
    assert!(made.created);
    assert!(
        made.dn.starts_with("CN=AZUREADSSOACC,CN=Computers,"),
        "{}",
        made.dn
    );
    let entry = admin
        .read(
            &made.dn,
            &[
                "servicePrincipalName",
                "userAccountControl",
                "sAMAccountName",
            ],
        )
        .expect("read")
        .expect("it exists");
    assert_eq!(
        entry.text("servicePrincipalName").as_deref(),
        Some("HTTP/autologon.microsoftazuread-sso.com")
    );
    assert_eq!(entry.number("userAccountControl"), Some(4096));
    assert_eq!(
        entry.text("sAMAccountName").as_deref(),
        Some("AZUREADSSOACC$")
    );
    // Its password is its key: the account signs in with it.
    let name = format!("{}\\AZUREADSSOACC$", forest.netbios);
    sign_in(&forest, &name, made.password.expose())
        .expect("the computer account signs in with its new password")
        .close();

    // Made again: the same object, a new key; the old one no longer works.
    let renewed =
        skybridge::directory::sso::ensure_account(&mut admin, &forest.base_dn).expect("renewed");
    assert!(!renewed.created);
    assert_eq!(renewed.dn, made.dn);
    assert_ne!(renewed.password.expose(), made.password.expose());
    sign_in(&forest, &name, renewed.password.expose())
        .expect("the new key works")
        .close();
    assert_eq!(
        bind_reason(sign_in(&forest, &name, made.password.expose())),
        BindFailure::WrongPassword
    );
}

#[test]
fn the_server_says_whether_a_connector_account_may_write_the_anchor_back() {
    let forest = Forest::private("contoso");
    let mut admin = forest.admin_session();
    let mut sample = |name: &str, rights: Rights| {
        let created = account::create(
            &mut admin,
            &NewAccount {
                parent_dn: format!("OU=Service Accounts,OU=Corp,{}", forest.base_dn),
                name: name.into(),
                rights,
            },
        )
        .expect("a connector account");
        let mut session =
            Session::open(&forest.server(), &created.account, &created.password).expect("signs in");
        account::sample_write_right(&mut session, &forest.base_dn, "mS-DS-ConsistencyGuid")
            .expect("asked")
            .expect("the domain has users")
    };
    let plain = sample("sky-plain-01", Rights::default());
    assert!(!plain.writable, "{plain:?}");
    let granted = sample(
        "sky-anchor-01",
        Rights {
            consistency_guid_ous: vec![forest.base_dn.clone()],
            ..Rights::default()
        },
    );
    assert!(granted.writable, "{granted:?}");
    assert!(
        granted
            .dn
            .to_lowercase()
            .ends_with(&forest.base_dn.to_lowercase())
    );
}
