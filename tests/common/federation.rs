//! Servers for the federation tests: dnsmasq answering only the records a test gives, TLS
//! servers presenting a given certificate on loopback, and certificates made by OpenSSL.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use skybridge::federation::dns::Resolver;

use super::certs::server_certificate;
pub use super::certs::{authority, openssl};

/// dnsmasq serving only the given records on 127.0.0.1 at a free port; stopped when dropped.
pub struct Dnsmasq {
    process: Child,
    pub port: u16,
    _dir: std::path::PathBuf,
}

impl Dnsmasq {
    /// Starts dnsmasq with `records`, on a port free for both UDP and TCP (dnsmasq binds both).
    /// A start that loses its port to another process, or that does not answer, is tried again
    /// on another port; the last failure quotes what dnsmasq said.
    pub fn start(records: &[&str]) -> Dnsmasq {
        let dir = std::env::temp_dir().join(format!("skybridge-dns-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("folder");
        let mut last = String::new();
        for _ in 0..5 {
            match Self::try_start(&dir, records) {
                Ok(server) => return server,
                Err(why) => last = why,
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        panic!("dnsmasq did not start after 5 tries: {last}");
    }

    fn try_start(dir: &Path, records: &[&str]) -> Result<Dnsmasq, String> {
        let port = free_udp_and_tcp_port();
        let conf = dir.join("dnsmasq.conf");
        let mut text = format!(
            "port={port}\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\naddress=/#/\n"
        );
        for r in records {
            text.push_str(r);
            text.push('\n');
        }
        std::fs::write(&conf, text).expect("config");
        let log = dir.join("dnsmasq.log");
        let process = Command::new("dnsmasq")
            .arg("-k")
            .arg(format!("--conf-file={}", conf.display()))
            .args(["--user=root", "--pid-file=", "--log-facility=-"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("dnsmasq (Debian: apt-get install dnsmasq-base)");
        let mut server = Dnsmasq {
            process,
            port,
            _dir: dir.to_path_buf(),
        };
        let said = |why: &str| {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            format!("{why} on port {port}; dnsmasq said: {}", text.trim())
        };
        let started = Instant::now();
        while server.resolver().lookup("ready.test").is_err() {
            if let Ok(Some(status)) = server.process.try_wait() {
                let why = said(&format!("it exited ({status})"));
                std::mem::forget(server);
                return Err(why);
            }
            if started.elapsed() > Duration::from_secs(10) {
                let why = said("it did not answer within 10 s");
                let _ = server.process.kill();
                let _ = server.process.wait();
                std::mem::forget(server);
                return Err(why);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }

    pub fn resolver(&self) -> Resolver {
        let mut r = Resolver::new(([127, 0, 0, 1], self.port).into());
        r.timeout = Duration::from_millis(500);
        r
    }
}

/// A loopback port that is free for UDP and for TCP at the moment of asking.
fn free_udp_and_tcp_port() -> u16 {
    loop {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("a free UDP port");
        let port = udp.local_addr().expect("address").port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

/// A TLS server on `ip` presenting `cert`/`key` (PEM files) to whoever connects.
pub async fn tls_server(ip: [u8; 4], dir: &std::path::Path, cert: &str, key: &str) -> u16 {
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

/// A self-signed certificate for the DNS name `name`, valid `days`: `stem`.pem and its key
/// `stem`.key in `dir`.
pub fn self_signed(dir: &std::path::Path, stem: &str, name: &str, days: u32) {
    super::certs::self_signed_as(
        dir,
        (&format!("{stem}.key"), &format!("{stem}.pem")),
        &format!("/CN={name}"),
        days,
        &[&format!("subjectAltName=DNS:{name}")],
    );
}

/// `stem`.pfx made from `stem`.pem and `stem`.key, opened by `password`.
pub fn pfx(dir: &std::path::Path, stem: &str, password: &str) {
    openssl(
        dir,
        &[
            "pkcs12",
            "-export",
            "-in",
            &format!("{stem}.pem"),
            "-inkey",
            &format!("{stem}.key"),
            "-out",
            &format!("{stem}.pfx"),
            "-passout",
            &format!("pass:{password}"),
        ],
    );
}

/// An identity provider we did not write (PyPI pysaml2, tests/peer/saml) serving its SAML 2.0
/// metadata over HTTPS on 127.0.0.1, with a TLS certificate from `ca.crt` for `localhost`
/// and the name it was started with; stopped when dropped.
pub struct SamlPeer {
    child: Child,
    /// Where it serves its metadata, by the name it was started with.
    pub url: String,
    /// The same, by `localhost` (which needs no DNS).
    pub local_url: String,
    /// Its entityID.
    pub entity_id: String,
}

impl Drop for SamlPeer {
    fn drop(&mut self) {
        // Closing its standard input stops it; kill in case it did not notice.
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private authority, a TLS certificate for localhost and `name` from it, and a signing
/// certificate (`sign.pem`).
fn peer_certificates(dir: &Path, name: &str) {
    authority(dir);
    server_certificate(dir, "tls", &format!("DNS:localhost,DNS:{name}"));
    self_signed(dir, "sign", "idp-signing.test", 365);
}

impl SamlPeer {
    /// Makes its certificates in `dir` and starts it, its endpoints named for `name`.
    pub fn start(dir: &Path, name: &str) -> SamlPeer {
        peer_certificates(dir, name);
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peer/saml");
        let python = root.join(".venv/bin/python");
        assert!(
            python.exists(),
            "the SAML peer is not installed: run `python3 -m venv tests/peer/saml/.venv && tests/peer/saml/.venv/bin/pip install -r tests/peer/saml/requirements.txt` (scripts/test does this)"
        );
        let mut child = Command::new(python)
            .arg(root.join("server.py"))
            .args([
                "--signing-cert",
                "sign.pem",
                "--signing-key",
                "sign.key",
                "--tls-cert",
                "tls.pem",
                "--tls-key",
                "tls.key",
                "--name",
                name,
            ])
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(
                std::fs::File::create(dir.join("peer.log"))
                    .map(Stdio::from)
                    .unwrap_or_else(|_| Stdio::null()),
            )
            .spawn()
            .expect("python runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the peer says where it listens");
        let info: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| {
            panic!(
                "{e}: '{line}'; its log: {}",
                std::fs::read_to_string(dir.join("peer.log")).unwrap_or_default()
            )
        });
        let url = info["url"].as_str().expect("url").to_string();
        SamlPeer {
            local_url: url.replacen(name, "localhost", 1),
            url,
            entity_id: info["entityId"].as_str().expect("entityId").to_string(),
            child,
        }
    }
}
