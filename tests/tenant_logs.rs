//! No password, token or secret reaches a log: every log record of every crate, at trace level,
//! is captured during sign-ins and Graph calls against a stub, then searched for the secrets.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::routing::{get, post};
use serde_json::json;
use skybridge::clock::{Clock, SystemClock};
use skybridge::secret::Secret;
use skybridge::tenant::auth::{Authority, IdentityClient, TokenSource};
use skybridge::tenant::graph::GraphClient;

struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        if let Ok(mut lines) = self.0.lock() {
            lines.push(format!(
                "{} {} {}",
                record.level(),
                record.target(),
                record.args()
            ));
        }
    }
    fn flush(&self) {}
}

static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();

const PASSWORD: &str = "Tr0ub4dor&3-password";
const ACCESS: &str = "access-token-5f1e9c0d7a";
const REFRESH: &str = "refresh-token-8b2d4e6f1c";
const SECRET: &str = "client-secret-3a7c9e1b5d";

#[tokio::test]
async fn secrets_never_reach_a_trace_log() {
    let capture: &'static Capture = Box::leak(Box::new(Capture(Mutex::new(Vec::new()))));
    CAPTURE.get_or_init(|| capture);
    log::set_logger(capture).expect("the only logger");
    log::set_max_level(log::LevelFilter::Trace);

    let app = axum::Router::new()
        .route(
            "/{tenant}/oauth2/v2.0/token",
            post(|| async {
                axum::Json(json!({"token_type": "Bearer", "expires_in": 1, "access_token": ACCESS, "refresh_token": REFRESH}))
            }),
        )
        .route(
            "/v1.0/organization",
            get(|| async { axum::Json(json!({"value": [{"id": "t", "displayName": "Contoso", "verifiedDomains": []}]})) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let origin = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let http = skybridge::tenant::graph::http_client(None, Duration::from_secs(10)).expect("http");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::default());
    let identity = IdentityClient::new(
        http.clone(),
        Authority::parse(&format!("{origin}/contoso.onmicrosoft.com")).expect("authority"),
        "client",
        clock.clone(),
    )
    .expect("identity");
    let tokens = identity
        .password(
            "admin@contoso.com",
            &Secret::new(PASSWORD),
            "https://graph.microsoft.com/.default",
        )
        .await
        .expect("signed in");
    identity
        .client_credentials(&Secret::new(SECRET), "https://graph.microsoft.com/.default")
        .await
        .expect("app signed in");
    // The token lives one second: the Graph calls below renew it with the refresh token.
    let source = Arc::new(TokenSource::from_user(
        identity,
        "https://graph.microsoft.com/.default",
        tokens,
    ));
    let graph = GraphClient::new(http, &format!("{origin}/v1.0/"), source, clock).expect("graph");
    for _ in 0..3 {
        graph.organization().await.expect("organization");
    }

    let lines = capture.0.lock().expect("lines").clone();
    assert!(
        !lines.is_empty(),
        "the HTTP stack logged nothing at trace level; the test would prove nothing"
    );
    for line in &lines {
        for secret in [PASSWORD, ACCESS, REFRESH, SECRET] {
            assert!(!line.contains(secret), "a secret reached the log: {line}");
        }
    }
}
