//! Servers for the federation tests: dnsmasq answering only the records a test gives, TLS
//! servers presenting a given certificate on loopback, and certificates made by OpenSSL.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use skybridge::federation::dns::Resolver;

/// dnsmasq serving only the given records on 127.0.0.1 at a free port; stopped when dropped.
pub struct Dnsmasq {
    process: Child,
    pub port: u16,
    _dir: std::path::PathBuf,
}

impl Dnsmasq {
    pub fn start(records: &[&str]) -> Dnsmasq {
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

    pub fn resolver(&self) -> Resolver {
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

/// Runs `openssl` in `dir`.
pub fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs (Debian: apt-get install openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    openssl(
        dir,
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
            &days.to_string(),
            "-subj",
            &format!("/CN={name}"),
            "-addext",
            &format!("subjectAltName=DNS:{name}"),
        ],
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

/// A test root certificate authority in `dir`: `ca.crt` and its key `ca.key`.
pub fn authority(dir: &std::path::Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-subj",
            "/CN=Contoso Test Root",
            "-days",
            "3650",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=keyCertSign,cRLSign",
        ],
    );
}
