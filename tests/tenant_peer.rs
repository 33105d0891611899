//! The sign-in client against an OAuth 2.0 server we did not write: the npm package
//! `oidc-provider` (tests/peer/oidc). Client credentials, device code with a scripted approval,
//! refresh, and the browser sign-in with PKCE through a loopback redirect.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use skybridge::clock::{Clock, SystemClock};
use skybridge::secret::Secret;
use skybridge::tenant::TenantError;
use skybridge::tenant::auth::{Endpoints, IdentityClient};
use url::Url;

struct Peer {
    child: Child,
    issuer: String,
    native: String,
    engine: String,
    engine_secret: Secret,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn peer() -> Peer {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peer/oidc");
    assert!(
        dir.join("node_modules/oidc-provider").is_dir(),
        "the OAuth peer is not installed: run `npm ci --prefix tests/peer/oidc` (scripts/test does this)"
    );
    let mut child = Command::new("node")
        .arg("server.mjs")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(
            std::fs::File::create(std::env::temp_dir().join("skybridge-oidc-peer.log"))
                .map(Stdio::from)
                .unwrap_or_else(|_| Stdio::null()),
        )
        .spawn()
        .expect("node runs (Debian: apt-get install nodejs npm)");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the peer says where it listens");
    let info: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let text = |k: &str| info[k].as_str().expect(k).to_string();
    Peer {
        issuer: text("issuer"),
        native: text("nativeClient"),
        engine: text("engineClient"),
        engine_secret: Secret::new(text("engineSecret")),
        child,
    }
}

fn http() -> reqwest::Client {
    skybridge::tenant::graph::http_client(None, Duration::from_secs(20)).expect("HTTP client")
}

async fn client(peer: &Peer, client_id: &str) -> IdentityClient {
    let endpoints = Endpoints::discover(&http(), &peer.issuer)
        .await
        .expect("discovery");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::default());
    IdentityClient::with_endpoints(http(), endpoints, client_id, clock)
}

#[tokio::test]
async fn client_credentials_work_and_a_wrong_secret_is_refused() {
    let peer = peer();
    let id = client(&peer, &peer.engine).await;
    let tokens = id
        .client_credentials(&peer.engine_secret, "directory.write")
        .await
        .expect("the engine signs in");
    assert!(!tokens.access_token.expose().is_empty());
    let error = id
        .client_credentials(&Secret::new("not-the-secret"), "directory.write")
        .await
        .expect_err("refused");
    assert!(
        matches!(&error, TenantError::Identity { code, .. } if code == "invalid_client"),
        "{error}"
    );
    assert!(
        error.to_string().contains("credentials were not accepted"),
        "{error}"
    );
}

#[tokio::test]
async fn device_code_with_a_scripted_approval_then_refresh() {
    let peer = peer();
    let id = client(&peer, &peer.native).await;
    let prompt = id.device_code("openid").await.expect("a code");
    assert!(!prompt.user_code.is_empty());
    assert!(prompt.verification_uri.starts_with(&peer.issuer));
    // A person approves on another device a moment later.
    let approve = {
        let url = format!("{}/test/approve-device", peer.issuer);
        let code = prompt.user_code.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            http()
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("user_code={code}"))
                .send()
                .await
                .expect("approval sent")
                .error_for_status()
                .expect("approved");
        })
    };
    let tokens = id.poll_device_code(&prompt).await.expect("signed in");
    approve.await.expect("approval task");
    let refresh = tokens
        .refresh_token
        .clone()
        .expect("offline access gave a refresh token");
    let renewed = id.refresh(&refresh, "openid").await.expect("refreshed");
    assert_ne!(renewed.access_token.expose(), tokens.access_token.expose());
}

/// Plays the browser: follows redirects with the server's cookies until the loopback redirect.
async fn browse(start: Url) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .use_preconfigured_tls(
            (*skybridge::directory::tls::client_config(None).expect("tls")).clone(),
        )
        .build()
        .expect("browser");
    let mut cookies: Vec<(String, String)> = Vec::new();
    let mut url = start;
    for _ in 0..20 {
        let header = cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let response = http
            .get(url.clone())
            .header("cookie", header)
            .send()
            .await
            .expect("page");
        for set in response.headers().get_all("set-cookie") {
            let pair = set
                .to_str()
                .unwrap_or_default()
                .split(';')
                .next()
                .unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                cookies.retain(|(name, _)| name != k);
                cookies.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let Some(location) = response.headers().get("location") else {
            return;
        };
        url = url.join(location.to_str().expect("location")).expect("url");
    }
    panic!("the sign-in did not come back");
}

#[tokio::test]
async fn the_browser_sign_in_uses_pkce_and_a_loopback_redirect() {
    let peer = peer();
    let id = client(&peer, &peer.native).await;
    let tokens = id
        .authorization_code(
            "openid",
            None,
            |url| {
                assert!(
                    url.query_pairs()
                        .any(|(k, v)| k == "code_challenge_method" && v == "S256")
                );
                tokio::spawn(browse(url.clone()));
            },
            Duration::from_secs(20),
        )
        .await
        .expect("signed in through the browser");
    // (This peer follows OpenID Connect Core and ignores offline_access unless the request
    // also says prompt=consent, which Skybridge does not send; so no refresh token here.)
    assert!(!tokens.access_token.expose().is_empty());
}
