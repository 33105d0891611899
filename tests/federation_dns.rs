//! The federation name check against a real DNS server (dnsmasq on loopback): an A record
//! passes, a CNAME fails naming its target, a missing name fails.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use skybridge::federation::certificate::Outcome;
use skybridge::federation::dns::{Answer, Resolver, check_service_name};

/// dnsmasq serving only the given records on 127.0.0.1 at a free port; stopped when dropped.
struct Dnsmasq {
    process: Child,
    port: u16,
    _dir: std::path::PathBuf,
}

impl Dnsmasq {
    fn start(records: &[&str]) -> Dnsmasq {
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .expect("a free port")
            .port();
        let dir = std::env::temp_dir().join(format!("skybridge-dns-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("folder");
        let conf = dir.join("dnsmasq.conf");
        let mut text = format!(
            "port={port}\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\naddress=/#/\n"
        );
        for r in records {
            text.push_str(r);
            text.push('\n');
        }
        std::fs::write(&conf, text).expect("config");
        let process = Command::new("dnsmasq")
            .arg("-k")
            .arg(format!("--conf-file={}", conf.display()))
            .args(["--user=root", "--pid-file=", "--log-facility=-"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dnsmasq (Debian: apt-get install dnsmasq-base)");
        let server = Dnsmasq {
            process,
            port,
            _dir: dir,
        };
        let started = Instant::now();
        while server.resolver().lookup("ready.test").is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "dnsmasq did not answer"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn resolver(&self) -> Resolver {
        let mut r = Resolver::new(([127, 0, 0, 1], self.port).into());
        r.timeout = Duration::from_millis(500);
        r
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

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
