//! The federation name check against a real DNS server (dnsmasq on loopback): an A record
//! passes, a CNAME fails naming its target, a missing name fails.

use skybridge::federation::certificate::Outcome;
use skybridge::federation::dns::{Answer, check_service_name};

mod common;

use common::federation::{Dnsmasq, self_signed, tls_server};

#[test]
fn an_a_record_passes_a_cname_and_a_missing_name_fail_with_the_reason() {
    let dns = Dnsmasq::start(&[
        "host-record=sts.contoso.test,192.0.2.10",
        "host-record=lb.contoso.test,192.0.2.20",
        "cname=sts.fabrikam.test,lb.contoso.test",
    ]);
    let resolver = dns.resolver();
    assert_eq!(
        resolver.lookup("sts.contoso.test").expect("answer"),
        Answer::Address(vec![[192, 0, 2, 10].into()])
    );
    let (outcome, detail) = check_service_name(&resolver, "sts.contoso.test");
    assert_eq!(outcome, Outcome::Pass, "{detail}");
    assert!(detail.contains("192.0.2.10"));

    match resolver.lookup("sts.fabrikam.test").expect("answer") {
        Answer::Alias { target, addresses } => {
            assert_eq!(target, "lb.contoso.test");
            assert_eq!(addresses, vec![std::net::Ipv4Addr::new(192, 0, 2, 20)]);
        }
        other => panic!("a CNAME expected, got {other:?}"),
    }
    let (outcome, detail) = check_service_name(&resolver, "sts.fabrikam.test");
    assert_eq!(outcome, Outcome::Fail);
    assert!(detail.contains("is a CNAME to lb.contoso.test"), "{detail}");

    assert_eq!(
        resolver.lookup("nowhere.contoso.test").expect("answer"),
        Answer::Missing
    );
    let (outcome, detail) = check_service_name(&resolver, "nowhere.contoso.test");
    assert_eq!(outcome, Outcome::Fail);
    assert!(detail.contains("does not resolve"), "{detail}");

    // A server that does not answer is said to be so, not taken for a missing name.
    drop(dns);
    let (outcome, detail) = check_service_name(&resolver, "sts.contoso.test");
    assert_eq!(outcome, Outcome::Fail);
    assert!(detail.contains("did not answer"), "{detail}");
}

#[test]
fn each_server_must_answer_with_the_farms_certificate_for_the_service_name() {
    use skybridge::federation::certificate::{leaf_der, thumbprint};
    use skybridge::federation::servers::{ServerCheck, check};
    let dns = Dnsmasq::start(&[
        "host-record=adfs1.contoso.test,127.0.0.3",
        "host-record=adfs2.contoso.test,127.0.0.4",
        "host-record=gone.contoso.test,127.0.0.5",
    ]);
    let resolver = dns.resolver();
    let dir = std::env::temp_dir().join(format!("skybridge-servers-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("folder");
    self_signed(&dir, "farm", "fs.contoso.test", 60);
    self_signed(&dir, "other", "fs.contoso.test", 60);
    self_signed(&dir, "web", "www.contoso.test", 60);
    let farm = leaf_der(&std::fs::read(dir.join("farm.pem")).expect("pem"), "").expect("der");
    let wanted = thumbprint(&farm);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let good = tls_server([127, 0, 0, 3], &dir, "farm.pem", "farm.key").await;
        let ServerCheck {
            outcome, detail, ..
        } = check(
            "adfs1.contoso.test",
            good,
            "fs.contoso.test",
            Some(&wanted),
            Some(&resolver),
        )
        .await;
        assert_eq!(outcome, Outcome::Pass, "{detail}");
        assert!(
            detail.contains(&wanted) && detail.contains("127.0.0.3"),
            "{detail}"
        );

        // Another certificate for the same name: not the farm's.
        let other = tls_server([127, 0, 0, 4], &dir, "other.pem", "other.key").await;
        let ServerCheck {
            outcome, detail, ..
        } = check(
            "adfs2.contoso.test",
            other,
            "fs.contoso.test",
            Some(&wanted),
            Some(&resolver),
        )
        .await;
        assert_eq!(outcome, Outcome::Fail, "{detail}");
        assert!(
            detail.contains("another certificate") && detail.contains(&wanted),
            "{detail}"
        );
        // Any certificate covering the name passes when no thumbprint is asked for (an
        // existing farm).
        let ServerCheck { outcome, .. } = check(
            "adfs2.contoso.test",
            other,
            "fs.contoso.test",
            None,
            Some(&resolver),
        )
        .await;
        assert_eq!(outcome, Outcome::Pass);

        // A certificate for another name.
        let web = tls_server([127, 0, 0, 3], &dir, "web.pem", "web.key").await;
        let ServerCheck {
            outcome, detail, ..
        } = check("127.0.0.3", web, "fs.contoso.test", None, None).await;
        assert_eq!(outcome, Outcome::Fail, "{detail}");
        assert!(detail.contains("www.contoso.test"), "{detail}");

        // Nothing listening, and a name that does not resolve.
        let closed = std::net::TcpListener::bind("127.0.0.5:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let ServerCheck {
            outcome, detail, ..
        } = check(
            "gone.contoso.test",
            closed,
            "fs.contoso.test",
            None,
            Some(&resolver),
        )
        .await;
        assert_eq!(outcome, Outcome::Fail);
        assert!(detail.contains("does not answer"), "{detail}");
        let ServerCheck {
            outcome, detail, ..
        } = check(
            "nowhere.contoso.test",
            443,
            "fs.contoso.test",
            None,
            Some(&resolver),
        )
        .await;
        assert_eq!(outcome, Outcome::Fail);
        assert!(detail.contains("does not resolve"), "{detail}");
    });
    let _ = std::fs::remove_dir_all(&dir);
}
