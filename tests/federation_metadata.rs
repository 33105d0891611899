//! Federation metadata from an identity provider we did not write: pysaml2 (tests/peer/saml)
//! makes an IdP's SAML 2.0 metadata and serves it over HTTPS on loopback. Skybridge fetches it
//! with TLS verified (a private authority given as the CA file; without it, refused), reads
//! and checks it, and federates a tenant domain with it in the emulator; Graph then shows the
//! domain federated with that issuer and certificate, refuses a user of the domain without an
//! immutable id, and converting back makes the domain managed again.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::federation::{authority, openssl, self_signed};
use std::time::Duration;

use serde_json::json;
use skybridge::federation::certificate::{Outcome, thumbprint};
use skybridge::federation::domain;
use skybridge::federation::metadata::{self, MetadataError, Provider};

struct Peer {
    child: Child,
    url: String,
    entity_id: String,
}

impl Drop for Peer {
    fn drop(&mut self) {
        // Closing its standard input stops it; kill in case it did not notice.
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private authority, a TLS certificate for localhost from it, and a signing certificate.
fn certificates(dir: &Path) {
    authority(dir);
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "tls.key",
            "-out",
            "tls.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost\n").expect("ext");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "tls.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "tls.pem",
            "-days",
            "30",
            "-extfile",
            "san.ext",
        ],
    );
    self_signed(dir, "sign", "idp-signing.test", 365);
}

fn peer(dir: &Path) -> Peer {
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
            "localhost",
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
    Peer {
        url: info["url"].as_str().expect("url").to_string(),
        entity_id: info["entityId"].as_str().expect("entityId").to_string(),
        child,
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[test]
fn the_peers_metadata_is_read_and_the_tenant_domain_is_federated_with_it() {
    let dir = common::temp_dir("saml-peer");
    certificates(&dir);
    let peer = peer(&dir);
    let tenant = common::tenant::Tenant::start("federation");
    let ca: PathBuf = dir.join("ca.crt");
    tenant.rt.block_on(async {
        // Without the private authority the certificate is not trusted: refused, and said why.
        let untrusting = skybridge::tenant::graph::http_client(None, Duration::from_secs(10))
            .expect("client");
        let refused = metadata::fetch(&untrusting, &peer.url).await.expect_err("untrusted");
        assert!(matches!(refused, MetadataError::Fetch(..)), "{refused}");
        assert!(refused.to_string().to_lowercase().contains("certificate"), "{refused}");
        // Plain http is refused before anything is sent.
        let plain = metadata::fetch(&untrusting, &peer.url.replace("https:", "http:")).await;
        assert!(matches!(plain, Err(MetadataError::Address(..))), "{plain:?}");
        // A wrong path: the server's status, with where AD FS publishes it.
        let client = skybridge::tenant::graph::http_client(Some(&ca), Duration::from_secs(10))
            .expect("client");
        let missing = metadata::fetch(&client, &peer.url.replace("/idp/metadata", "/nothing")).await;
        assert!(matches!(missing, Err(MetadataError::Status(_, 404))), "{missing:?}");

        let text = metadata::fetch(&client, &peer.url).await.expect("fetched");
        let meta = metadata::parse(&text).expect("parsed");
        assert_eq!(meta.entity_id, peer.entity_id);
        let port = url::Url::parse(&peer.url).expect("url").port().expect("port");
        assert_eq!(
            meta.sso_redirect.as_deref(),
            Some(format!("https://localhost:{port}/idp/sso/redirect").as_str())
        );
        assert_eq!(
            meta.sso_post.as_deref(),
            Some(format!("https://localhost:{port}/idp/sso/post").as_str())
        );
        // The signing certificate is the one the peer was given.
        let pem = std::fs::read(dir.join("sign.pem")).expect("pem");
        let der = skybridge::federation::certificate::leaf_der(&pem, "").expect("der");
        use base64::Engine as _;
        assert_eq!(
            meta.signing_certificates,
            [base64::engine::general_purpose::STANDARD.encode(&der)]
        );
        let found = metadata::check(&meta, Some("localhost"), now());
        assert!(found.iter().all(|f| f.outcome == Outcome::Pass), "{found:?}");
        assert!(found[1].detail.contains(&thumbprint(&der)), "{found:?}");
        // On another host than the farm's name, the endpoints check fails and says which.
        let elsewhere = metadata::check(&meta, Some("fs.contoso.com"), now());
        assert_eq!(elsewhere[2].outcome, Outcome::Fail, "{elsewhere:?}");

        // The tenant side: contoso.com federated with what the metadata says.
        let graph = tenant.admin_graph().await;
        let config = metadata::tenant_configuration(&meta, "Test IdP", &Provider::Other);
        let initial = tenant.emulator().credentials.admin_upn.split('@').nth(1).expect("domain").to_string();
        let refused = domain::federate(&graph, &initial, &config).await.expect_err("initial domain");
        assert!(refused.to_string().contains("initial domain"), "{refused}");
        assert_eq!(domain::configuration(&graph, "contoso.com").await.expect("read"), None);
        domain::federate(&graph, "contoso.com", &config).await.expect("federated");

        let stored = domain::configuration(&graph, "contoso.com").await.expect("read").expect("one");
        assert_eq!(stored["issuerUri"], json!(peer.entity_id));
        assert_eq!(stored["signingCertificate"], json!(meta.signing_certificates[0]));
        assert_eq!(stored["passiveSignInUri"], json!(meta.sso_redirect));
        assert_eq!(stored["preferredAuthenticationProtocol"], "saml");
        let domains = graph.domains().await.expect("domains");
        let contoso = domains.iter().find(|d| d.id == "contoso.com").expect("contoso.com");
        assert_eq!(contoso.authentication_type, "Federated");
        // Federating it again is refused before the tenant is asked.
        let again = domain::federate(&graph, "contoso.com", &config).await.expect_err("twice");
        assert!(again.to_string().contains("federated already"), "{again}");

        // A user of the federated domain needs an immutable id.
        let user = json!({"accountEnabled": true, "displayName": "Fed User", "mailNickname": "feduser",
            "userPrincipalName": "feduser@contoso.com", "passwordProfile": {"password": "Fed-User-Pw-12345"}});
        let refused = graph.create_user(&user).await.expect_err("no immutable id");
        assert_eq!(refused.status(), Some(400), "{refused}");
        assert!(refused.to_string().contains("onPremisesImmutableId"), "{refused}");

        // Back to managed: the configuration is gone and the same user can be created.
        assert!(domain::unfederate(&graph, "contoso.com").await.expect("unfederated"));
        assert_eq!(domain::configuration(&graph, "contoso.com").await.expect("read"), None);
        assert!(!domain::unfederate(&graph, "contoso.com").await.expect("nothing to do"));
        graph.create_user(&user).await.expect("a managed domain's user");
    });
}
