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

/// Runs `openssl` in `dir`.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A TLS server on `ip` presenting `cert`/`key` (PEM files) to whoever connects.
async fn tls_server(ip: [u8; 4], dir: &std::path::Path, cert: &str, key: &str) -> u16 {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(dir.join(cert))
        .expect("cert")
        .collect::<Result<Vec<_>, _>>()
        .expect("certs");
    let key = PrivateKeyDer::from_pem_file(dir.join(key)).expect("key");
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::from(ip), 0))
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = acceptor.accept(tcp).await;
            });
        }
    });
    port
}

#[test]
fn each_server_must_answer_with_the_farms_certificate_for_the_service_name() {
    use skybridge::federation::certificate::{leaf_der, thumbprint};
    use skybridge::federation::servers::check;
    let dns = Dnsmasq::start(&[
        "host-record=adfs1.contoso.test,127.0.0.3",
        "host-record=adfs2.contoso.test,127.0.0.4",
        "host-record=gone.contoso.test,127.0.0.5",
    ]);
    let resolver = dns.resolver();
    let dir = std::env::temp_dir().join(format!("skybridge-servers-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("folder");
    let make = |stem: &str, name: &str| {
        openssl(
            &dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                &format!("{stem}.key"),
                "-out",
                &format!("{stem}.pem"),
                "-days",
                "60",
                "-subj",
                &format!("/CN={name}"),
                "-addext",
                &format!("subjectAltName=DNS:{name}"),
            ],
        );
    };
    make("farm", "fs.contoso.test");
    make("other", "fs.contoso.test");
    make("web", "www.contoso.test");
    let farm = leaf_der(&std::fs::read(dir.join("farm.pem")).expect("pem"), "").expect("der");
    let wanted = thumbprint(&farm);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let good = tls_server([127, 0, 0, 3], &dir, "farm.pem", "farm.key").await;
        let (outcome, detail) = check(
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
        let (outcome, detail) = check(
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
        let (outcome, _) = check(
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
        let (outcome, detail) = check("127.0.0.3", web, "fs.contoso.test", None, None).await;
        assert_eq!(outcome, Outcome::Fail, "{detail}");
        assert!(detail.contains("www.contoso.test"), "{detail}");

        // Nothing listening, and a name that does not resolve.
        let closed = std::net::TcpListener::bind("127.0.0.5:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let (outcome, detail) = check(
            "gone.contoso.test",
            closed,
            "fs.contoso.test",
            None,
            Some(&resolver),
        )
        .await;
        assert_eq!(outcome, Outcome::Fail);
        assert!(detail.contains("does not answer"), "{detail}");
        let (outcome, detail) = check(
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
