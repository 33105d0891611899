//! Federation metadata from an identity provider we did not write: pysaml2 (tests/peer/saml)
//! makes an IdP's SAML 2.0 metadata and serves it over HTTPS on loopback. Skybridge fetches it
//! with TLS verified (a private authority given as the CA file; without it, refused), reads
//! and checks it, and federates a tenant domain with it in the emulator; Graph then shows the
//! domain federated with that issuer and certificate, refuses a user of the domain without an
//! immutable id, and converting back makes the domain managed again.

mod common;

use std::path::PathBuf;

use common::federation::SamlPeer;
use std::time::Duration;

use serde_json::json;
use skybridge::federation::certificate::{Outcome, thumbprint};
use skybridge::federation::domain;
use skybridge::federation::metadata::{self, MetadataError, Provider};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[test]
fn the_peers_metadata_is_read_and_the_tenant_domain_is_federated_with_it() {
    let dir = common::temp_dir("saml-peer");
    let peer = SamlPeer::start(&dir, "localhost");
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
