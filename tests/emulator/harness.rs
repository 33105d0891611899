//! The harness: an emulator of its own per test (its folder removed when the test's [`Env`] is
//! dropped), the passwords and secrets it is given, and the requests tests send it: forms for the
//! identity platform, Graph calls signed in as the administrator, raw requests.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use skybridge::clock::ManualClock;
use skybridge::emulator::{EmulatorConfig, RunningEmulator, start};
use skybridge::secret::Secret;

use crate::shared_emulator::emulator_config;

pub(crate) const ADMIN_PASSWORD: &str = "Adm1n-Emulat0r-Pw!";
pub(crate) const CLIENT_SECRET: &str = "Client-Secret-For-Tests-42";
pub(crate) const USER_PASSWORD: &str = "xWwvJ]6NMw+bWH-d";

/// A new folder for an emulator's data.
pub(crate) fn temp_dir(tag: &str) -> PathBuf {
    // Under the target directory, so test runs leave nothing in the system's temp directory.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("emulator-{tag}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A running emulator, an HTTP client for it and the administrator's access token.
pub(crate) struct Env {
    emu: Option<RunningEmulator>,
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    pub(crate) dir: PathBuf,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) token: String,
    pub(crate) tenant: String,
    pub(crate) client_id: String,
    /// Whether `dir` is this Env's own (made by [`Env::new`]) and removed when it is dropped.
    owns_dir: bool,
}

/// An answer: its status, headers and body (JSON, or the text as a JSON string).
#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Value,
}

/// The emulator configuration of the tests: loopback, data in `dir`, the administrators'
/// password and the built-in application's secret given, time from `clock`.
pub(crate) fn config(dir: &Path, clock: &Arc<ManualClock>) -> EmulatorConfig {
    emulator_config(dir, |config| {
        config.admin_password = Some(Secret::new(ADMIN_PASSWORD));
        config.client_secret = Some(Secret::new(CLIENT_SECRET));
        config.clock = clock.clone();
    })
}

/// The error code of a Graph error answer (empty when there is none).
pub(crate) fn code(r: &Resp) -> &str {
    r.body["error"]["code"].as_str().unwrap_or_default()
}

impl Env {
    /// An emulator on a new folder of its own, removed when the Env is dropped.
    pub(crate) async fn new(tweak: impl FnOnce(&mut EmulatorConfig)) -> Env {
        Env::start_in(temp_dir("t"), true, tweak).await
    }

    /// An emulator on `dir`, which stays when the Env is dropped: the caller owns it (and may
    /// start another emulator on the same data).
    pub(crate) async fn in_dir(dir: PathBuf, tweak: impl FnOnce(&mut EmulatorConfig)) -> Env {
        Env::start_in(dir, false, tweak).await
    }

    async fn start_in(
        dir: PathBuf,
        owns_dir: bool,
        tweak: impl FnOnce(&mut EmulatorConfig),
    ) -> Env {
        let clock = Arc::new(ManualClock::default());
        let mut config = config(&dir, &clock);
        tweak(&mut config);
        let emu = start(config).await.unwrap();
        // reqwest is built without a TLS provider; plain HTTP needs none, but the builder asks.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut env = Env {
            base: emu.base_url(),
            tenant: emu.credentials.tenant_id.clone(),
            client_id: emu.credentials.client_id.clone(),
            emu: Some(emu),
            http,
            dir,
            clock,
            token: String::new(),
            owns_dir,
        };
        let (status, body) = env
            .ropc(
                &env.admin(),
                ADMIN_PASSWORD,
                "https://graph.microsoft.com/.default openid offline_access",
            )
            .await;
        assert_eq!(status, 200, "{body}");
        env.token = body["access_token"].as_str().unwrap().to_owned();
        env
    }

    /// Sets the emulator this Env talks to: one started again on the same folder after
    /// [`Env::stop`] (the token is cleared; the caller signs in again).
    pub(crate) fn restarted(&mut self, emu: RunningEmulator) {
        self.base = emu.base_url();
        self.emu = Some(emu);
        self.token = String::new();
    }

    pub(crate) async fn stop(&mut self) {
        if let Some(emu) = self.emu.take() {
            emu.stop().await.unwrap();
        }
    }

    pub(crate) fn admin(&self) -> String {
        format!("admin@{}", self.domain())
    }

    pub(crate) fn domain(&self) -> String {
        self.emu
            .as_ref()
            .unwrap()
            .credentials
            .initial_domain
            .clone()
    }

    pub(crate) async fn form(&self, path: &str, fields: &[(&str, &str)]) -> (u16, Value) {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Registers an application `name` through Graph and adds a password to it (`secret` is the
    /// addPassword request's body): both answers.
    pub(crate) async fn register_app(&self, name: &str, secret: Option<Value>) -> (Resp, Resp) {
        let app = self
            .graph(
                "POST",
                "/v1.0/applications",
                Some(json!({ "displayName": name })),
            )
            .await;
        let id = app.body["id"].as_str().unwrap().to_owned();
        let secret = self
            .graph(
                "POST",
                &format!("/v1.0/applications/{id}/addPassword"),
                secret,
            )
            .await;
        (app, secret)
    }

    /// The authorize endpoint asked with this query string (no cookie, no token).
    pub(crate) async fn authorize(&self, query: &str) -> Resp {
        self.raw(
            "GET",
            &format!("/{}/oauth2/v2.0/authorize?{query}", self.tenant),
            &[],
            None,
            None,
        )
        .await
    }

    /// A client-credentials token request for Microsoft Graph: (status, body).
    pub(crate) async fn client_credentials(&self, client_id: &str, secret: &str) -> (u16, Value) {
        self.form(
            &format!("/{}/oauth2/v2.0/token", self.tenant),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", client_id),
                ("client_secret", secret),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
        )
        .await
    }

    pub(crate) async fn devicecode(&self, scope: &str) -> (u16, Value) {
        self.form(
            &format!("/{}/oauth2/v2.0/devicecode", self.tenant),
            &[("client_id", &self.client_id), ("scope", scope)],
        )
        .await
    }

    pub(crate) async fn poll(&self, device_code: &str) -> (u16, Value) {
        let path = format!("/{}/oauth2/v2.0/token", self.tenant);
        self.form(
            &path,
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", &self.client_id),
                ("device_code", device_code),
            ],
        )
        .await
    }

    pub(crate) async fn ropc(&self, user: &str, password: &str, scope: &str) -> (u16, Value) {
        let path = format!("/{}/oauth2/v2.0/token", self.tenant);
        self.form(
            &path,
            &[
                ("grant_type", "password"),
                ("client_id", &self.client_id),
                ("username", user),
                ("password", password),
                ("scope", scope),
            ],
        )
        .await
    }

    pub(crate) async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
        token: Option<&str>,
    ) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self.http.request(method, format!("{}{path}", self.base));
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        if let Some(token) = token {
            rb = rb.header("Authorization", format!("Bearer {token}"));
        }
        if let Some(body) = body {
            rb = rb.body(body);
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let bytes = r.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Resp {
            status,
            headers,
            body,
        }
    }

    pub(crate) async fn graph(&self, method: &str, path: &str, body: Option<Value>) -> Resp {
        self.graph_h(method, path, &[], body).await
    }

    pub(crate) async fn graph_h(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Resp {
        let mut all = headers.to_vec();
        if body.is_some() {
            all.push(("Content-Type", "application/json"));
        }
        self.raw(
            method,
            path,
            &all,
            body.map(|b| b.to_string().into_bytes()),
            Some(&self.token),
        )
        .await
    }

    pub(crate) async fn create_user(&self, alias: &str, display: &str) -> String {
        let r = self
            .graph(
                "POST",
                "/v1.0/users",
                Some(json!({
                    "accountEnabled": true, "displayName": display, "mailNickname": alias,
                    "userPrincipalName": format!("{alias}@{}", self.domain()),
                    "passwordProfile": {"forceChangePasswordNextSignIn": false, "password": USER_PASSWORD},
                })),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }

    pub(crate) async fn create_group(&self, nick: &str, unified: bool) -> String {
        let body = if unified {
            json!({"displayName": nick, "groupTypes": ["Unified"], "mailEnabled": true, "mailNickname": nick, "securityEnabled": false})
        } else {
            json!({"displayName": nick, "groupTypes": [], "mailEnabled": false, "mailNickname": nick, "securityEnabled": true})
        };
        let r = self.graph("POST", "/v1.0/groups", Some(body)).await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_str().unwrap().to_owned()
    }

    /// Path and query of an absolute link of this emulator.
    pub(crate) fn local(&self, link: &str) -> String {
        link.strip_prefix(&self.base)
            .unwrap_or_else(|| panic!("{link} is not under {}", self.base))
            .to_owned()
    }

    /// Follows nextLinks from `path` to the end of the round; returns the pages.
    pub(crate) async fn round(&self, path: &str) -> Vec<Value> {
        let mut pages = Vec::new();
        let mut next = Some(path.to_owned());
        while let Some(p) = next {
            let r = self.graph("GET", &p, None).await;
            assert_eq!(r.status, 200, "{p}: {}", r.body);
            next = r.body["@odata.nextLink"].as_str().map(|l| self.local(l));
            pages.push(r.body);
            assert!(pages.len() < 100, "the round never ends");
        }
        pages
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        // The emulator first (dropping it tells its server to stop), then its folder.
        self.emu = None;
        if self.owns_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
