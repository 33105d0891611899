//! The tenant emulator held to the documented Graph behaviour.
//!
//! **Contract tests**: every exchange fixture of `tests/data/graph-fixtures/` is sent to an
//! in-process emulator (placeholders replaced by the ids of objects the test created first) and
//! the answer is compared with the documented response: the same status, every documented key
//! present with the same JSON type (extra keys allowed; ids, timestamps, tokens and secrets
//! free), the same presence of `@odata.nextLink` / `@odata.deltaLink`, and the same error code.
//! One deliberate leniency: where the documented sample shows a string, number or boolean the
//! emulator may answer `null`, because the samples carry values the request never set (a
//! created user's `jobTitle`, for example) and those properties are nullable. Every rules
//! fixture has a test of its own below.
//!
//! Time is injected with a manual clock: no test sleeps through a throttling window or a token
//! lifetime.

// Tests may unwrap: a panic there is a test failure with its cause.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use skybridge::clock::ManualClock;
use skybridge::emulator::{EmulatorConfig, RunningEmulator, start};
use skybridge::secret::Secret;

const ADMIN_PASSWORD: &str = "Adm1n-Emulat0r-Pw!";
const CLIENT_SECRET: &str = "Client-Secret-For-Tests-42";
const USER_PASSWORD: &str = "xWwvJ]6NMw+bWH-d";
const FIXTURES: &str = "tests/data/graph-fixtures";

// ------------------------------------------------------------------------------------------
// Harness

fn temp_dir(tag: &str) -> PathBuf {
    // Under the target directory, so test runs leave nothing in the system's temp directory.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("emulator-{tag}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Env {
    emu: Option<RunningEmulator>,
    http: reqwest::Client,
    base: String,
    dir: PathBuf,
    clock: Arc<ManualClock>,
    token: String,
    tenant: String,
    client_id: String,
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

fn config(dir: &Path, clock: &Arc<ManualClock>) -> EmulatorConfig {
    let mut config = EmulatorConfig::new("127.0.0.1:0".parse().unwrap(), dir);
    config.admin_password = Some(Secret::new(ADMIN_PASSWORD));
    config.client_secret = Some(Secret::new(CLIENT_SECRET));
    config.clock = clock.clone();
    config
}

impl Env {
    async fn new(tweak: impl FnOnce(&mut EmulatorConfig)) -> Env {
        Env::in_dir(temp_dir("t"), tweak).await
    }

    async fn in_dir(dir: PathBuf, tweak: impl FnOnce(&mut EmulatorConfig)) -> Env {
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

    async fn stop(&mut self) {
        if let Some(emu) = self.emu.take() {
            emu.stop().await.unwrap();
        }
    }

    fn admin(&self) -> String {
        format!("admin@{}", self.domain())
    }

    fn domain(&self) -> String {
        self.emu
            .as_ref()
            .unwrap()
            .credentials
            .initial_domain
            .clone()
    }

    async fn form(&self, path: &str, fields: &[(&str, &str)]) -> (u16, Value) {
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

    async fn devicecode(&self, scope: &str) -> (u16, Value) {
        self.form(
            &format!("/{}/oauth2/v2.0/devicecode", self.tenant),
            &[("client_id", &self.client_id), ("scope", scope)],
        )
        .await
    }

    async fn poll(&self, device_code: &str) -> (u16, Value) {
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

    async fn ropc(&self, user: &str, password: &str, scope: &str) -> (u16, Value) {
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

    async fn raw(
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

    async fn graph(&self, method: &str, path: &str, body: Option<Value>) -> Resp {
        self.graph_h(method, path, &[], body).await
    }

    async fn graph_h(
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

    async fn create_user(&self, alias: &str, display: &str) -> String {
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

    async fn create_group(&self, nick: &str, unified: bool) -> String {
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
    fn local(&self, link: &str) -> String {
        link.strip_prefix(&self.base)
            .unwrap_or_else(|| panic!("{link} is not under {}", self.base))
            .to_owned()
    }

    /// Follows nextLinks from `path` to the end of the round; returns the pages.
    async fn round(&self, path: &str) -> Vec<Value> {
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

fn fixture(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{FIXTURES}/{name}.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn code(r: &Resp) -> &str {
    r.body["error"]["code"].as_str().unwrap_or_default()
}

/// Checks the documented shape: keys present with the same JSON types.
fn shape(expected: &Value, actual: &Value, at: &str, errors: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Null, _) => {}
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                match a.get(k) {
                    Some(av) => shape(v, av, &format!("{at}.{k}"), errors),
                    None => errors.push(format!("{at}: documented key '{k}' is missing")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.is_empty() {
                return;
            }
            for (i, item) in a.iter().enumerate() {
                // Each element must have the shape of one of the documented elements.
                let mut best: Option<Vec<String>> = None;
                for candidate in e {
                    let mut errs = Vec::new();
                    shape(candidate, item, &format!("{at}[{i}]"), &mut errs);
                    if best.as_ref().is_none_or(|b| errs.len() < b.len()) {
                        best = Some(errs);
                    }
                }
                errors.extend(best.unwrap_or_default());
            }
        }
        (_, Value::Null) if !expected.is_object() && !expected.is_array() => {}
        (e, a) => {
            let kind = |v: &Value| match v {
                Value::Null => "null",
                Value::Bool(_) => "boolean",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            if kind(e) != kind(a) {
                errors.push(format!(
                    "{at}: documented as {} but the emulator answered {}: {a}",
                    kind(e),
                    kind(a)
                ));
            }
        }
    }
}

/// Compares an answer with a fixture's documented response.
fn compare(name: &str, fx: &Value, r: &Resp, expect_items: bool, errors: &mut Vec<String>) {
    let doc = &fx["response"];
    let status = doc["status"].as_u64().unwrap() as u16;
    if r.status != status {
        errors.push(format!(
            "{name}: status {} where the docs say {status}: {}",
            r.status, r.body
        ));
        return;
    }
    let mut errs = Vec::new();
    shape(&doc["body"], &r.body, name, &mut errs);
    errors.extend(errs);
    for link in ["@odata.nextLink", "@odata.deltaLink"] {
        let documented = doc["body"].get(link).is_some();
        let answered = r.body.get(link).is_some();
        if documented != answered {
            errors.push(format!(
                "{name}: {link} documented {documented}, answered {answered}"
            ));
        }
    }
    if let Some(c) = doc["body"]["error"]["code"].as_str()
        && r.body["error"]["code"].as_str() != Some(c)
    {
        errors.push(format!(
            "{name}: error code {} where the docs say {c}",
            r.body["error"]["code"]
        ));
    }
    if let Some(c) = doc["body"]["error"].as_str()
        && r.body["error"].as_str() != Some(c)
    {
        errors.push(format!(
            "{name}: error {} where the docs say {c}",
            r.body["error"]
        ));
    }
    if expect_items
        && doc["body"]["value"]
            .as_array()
            .is_some_and(|v| !v.is_empty())
        && r.body["value"].as_array().is_none_or(|v| v.is_empty())
    {
        errors.push(format!(
            "{name}: the documented page has items, the emulator's has none"
        ));
    }
    if let Some(h) = doc["headers"].get("Retry-After")
        && h.is_string()
        && !r.headers.contains_key("retry-after")
    {
        errors.push(format!("{name}: Retry-After is missing"));
    }
}

/// Sends a Graph fixture's request after replacing placeholders (in the URL and the body).
async fn send(env: &Env, fx: &Value, subst: &[(&str, &str)]) -> Resp {
    let req = &fx["request"];
    let mut url = req["url"].as_str().unwrap().to_owned();
    let mut body = match &req["body"] {
        Value::Null => None,
        b => Some(b.to_string()),
    };
    for (from, to) in subst {
        url = url.replace(from, to);
        body = body.map(|b| b.replace(from, to));
    }
    let headers: Vec<(String, String)> = req["headers"]
        .as_object()
        .map(|h| {
            h.iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case("host"))
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    env.raw(
        req["method"].as_str().unwrap(),
        &url,
        &headers,
        body.map(String::into_bytes),
        Some(&env.token),
    )
    .await
}

/// Sends a token fixture's form after replacing some of its fields.
async fn send_token(env: &Env, fx: &Value, path: &str, fields: &[(&str, &str)]) -> Resp {
    let mut form: Vec<(String, String)> = fx["request"]["body_form"]
        .as_object()
        .map(|f| {
            f.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    for (k, v) in fields {
        match form.iter_mut().find(|(fk, _)| fk == k) {
            Some(pair) => pair.1 = (*v).to_owned(),
            None => form.push(((*k).to_owned(), (*v).to_owned())),
        }
    }
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    env.raw(
        "POST",
        path,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(body.into_bytes()),
        None,
    )
    .await
}

// ------------------------------------------------------------------------------------------
// Contract tests (b): every exchange fixture.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_exchange_is_answered_in_the_documented_shape() {
    let env = Env::new(|c| c.delta_page_size = 2).await;
    let mut errors: Vec<String> = Vec::new();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let tenant = env.tenant.clone();
    macro_rules! check {
        ($name:expr, $resp:expr) => {
            check!($name, $resp, true)
        };
        ($name:expr, $resp:expr, $items:expr) => {{
            let name: &str = $name;
            let r = $resp;
            compare(name, &fixture(name), &r, $items, &mut errors);
            done.insert(name.to_owned());
            r
        }};
    }

    // Organization.
    check!(
        "organization-get",
        send(&env, &fixture("organization-get"), &[]).await
    );
    check!(
        "organization-update",
        send(&env, &fixture("organization-update"), &[("{id}", &tenant)]).await
    );
    check!(
        "organization-update-onpremisessyncenabled-beta",
        send(
            &env,
            &fixture("organization-update-onpremisessyncenabled-beta"),
            &[("84841066-274d-4ec0-a5c1-276be684bdd3", &tenant)]
        )
        .await
    );

    // Users.
    let adele = check!(
        "users-create",
        send(&env, &fixture("users-create"), &[]).await
    );
    let adele = adele.body["id"].as_str().unwrap_or_default().to_owned();
    let mut others = Vec::new();
    for (alias, name) in [
        ("bob", "Bob Builder"),
        ("carol", "Carol Chen"),
        ("dan", "Dan Dorsey"),
        ("erin", "Erin Earl"),
        ("frank", "Frank Fox"),
    ] {
        others.push(env.create_user(alias, name).await);
    }
    check!(
        "users-get",
        send(
            &env,
            &fixture("users-get"),
            &[("{id | userPrincipalName}", &adele)]
        )
        .await
    );
    check!(
        "users-get-select",
        send(
            &env,
            &fixture("users-get-select"),
            &[("{id | userPrincipalName}", &adele)]
        )
        .await
    );
    // This sample shows mailNickname, otherMails and proxyAddresses without $select, which
    // contradicts the documented default property set (users-rules.json); the emulator follows
    // the rule, so those three keys are not required here.
    let mut fx = fixture("users-list-filter-top-count");
    for key in ["mailNickname", "otherMails", "proxyAddresses"] {
        fx["response"]["body"]["value"][0]
            .as_object_mut()
            .unwrap()
            .remove(key);
    }
    let r = send(&env, &fx, &[]).await;
    compare("users-list-filter-top-count", &fx, &r, true, &mut errors);
    done.insert("users-list-filter-top-count".to_owned());
    assert_eq!(r.body["@odata.count"], 1, "{}", r.body);
    // No license assignment exists in the emulator, so this filter finds nobody: shape only.
    check!(
        "users-list-select-filter",
        send(&env, &fixture("users-list-select-filter"), &[]).await,
        false
    );
    check!(
        "users-update",
        send(&env, &fixture("users-update"), &[("{id}", &adele)]).await
    );
    check!(
        "users-update-password",
        send(
            &env,
            &fixture("users-update-password"),
            &[("{id}", &others[0])]
        )
        .await
    );

    // User delta: initial page, the final page of the round, then a round with changes.
    let initial = check!(
        "users-delta-initial",
        send(&env, &fixture("users-delta-initial"), &[]).await
    );
    let mut last_next = initial.body["@odata.nextLink"]
        .as_str()
        .map(|l| env.local(l))
        .unwrap_or_default();
    let final_page = loop {
        let r = env.graph("GET", &last_next, None).await;
        match r.body["@odata.nextLink"].as_str() {
            Some(next) => last_next = env.local(next),
            None => break r,
        }
    };
    let fx = fixture("users-delta-final");
    let final_url = last_next.clone();
    let final_resp = send(
        &env,
        &fx,
        &[(fx["request"]["url"].as_str().unwrap(), &final_url)],
    )
    .await;
    assert_eq!(
        final_resp.body["@odata.deltaLink"],
        final_page.body["@odata.deltaLink"]
    );
    let delta_link = env.local(
        final_resp.body["@odata.deltaLink"]
            .as_str()
            .unwrap_or("http://x/"),
    );
    check!("users-delta-final", final_resp);
    let r = env
        .graph(
            "PATCH",
            &format!("/v1.0/users/{}", others[1]),
            Some(json!({"displayName": "Carol Changed"})),
        )
        .await;
    assert_eq!(r.status, 204);
    assert_eq!(
        env.graph("DELETE", &format!("/v1.0/users/{}", others[2]), None)
            .await
            .status,
        204
    );
    let fx = fixture("users-delta-changes");
    let changes = check!(
        "users-delta-changes",
        send(
            &env,
            &fx,
            &[(fx["request"]["url"].as_str().unwrap(), &delta_link)]
        )
        .await
    );
    let values = changes.body["value"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        values.iter().any(|v| v["displayName"] == "Carol Changed"),
        "{}",
        changes.body
    );
    assert!(
        values
            .iter()
            .any(|v| v["id"] == others[2].as_str() && v["@removed"]["reason"] == "changed"),
        "{}",
        changes.body
    );
    check!(
        "users-delete",
        send(&env, &fixture("users-delete"), &[("{user-id}", &others[3])]).await
    );
    check!(
        "errors-400-count-without-consistencylevel",
        send(
            &env,
            &fixture("errors-400-count-without-consistencylevel"),
            &[]
        )
        .await
    );

    // Groups.
    let library = check!(
        "groups-create-m365",
        send(&env, &fixture("groups-create-m365"), &[]).await
    );
    let library = library.body["id"].as_str().unwrap_or_default().to_owned();
    let security = check!(
        "groups-create-security",
        send(
            &env,
            &fixture("groups-create-security"),
            &[
                ("26be1845-4119-4801-a799-aea79d09f1a2", &adele),
                ("ff7cb387-6688-423c-8188-3da9532a73cc", &adele),
                ("69456242-0067-49d3-ba96-9de6f2728e14", &others[0]),
            ]
        )
        .await
    );
    let security = security.body["id"].as_str().unwrap_or_default().to_owned();
    check!(
        "groups-get",
        send(
            &env,
            &fixture("groups-get"),
            &[("b320ee12-b1cd-4cca-b648-a437be61c5cd", &library)]
        )
        .await
    );
    check!(
        "groups-list",
        send(&env, &fixture("groups-list"), &[]).await
    );
    check!(
        "groups-members-add",
        send(
            &env,
            &fixture("groups-members-add"),
            &[("{group-id}", &library), ("{id}", &adele)]
        )
        .await
    );
    let fx = fixture("groups-members-add-multiple");
    let mut body = fx["request"]["body"].clone();
    body["members@odata.bind"] = json!(
        [&others[0], &others[1], &others[4]]
            .iter()
            .map(|id| format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}"))
            .collect::<Vec<_>>()
    );
    let mut fx2 = fx.clone();
    fx2["request"]["body"] = body;
    let r = send(&env, &fx2, &[("{group-id}", &library)]).await;
    check!("groups-members-add-multiple", r);
    check!(
        "groups-members-list",
        send(&env, &fixture("groups-members-list"), &[("{id}", &library)]).await
    );
    check!(
        "groups-members-remove",
        send(
            &env,
            &fixture("groups-members-remove"),
            &[
                ("{group-id}", &library),
                ("{directory-object-id}", &others[4])
            ]
        )
        .await
    );
    env.create_group("MyPrefix_test_mysuffix", false).await;
    check!(
        "errors-422-property-conflict",
        send(
            &env,
            &fixture("errors-422-property-conflict"),
            &[("{id}", &security)]
        )
        .await
    );

    // Group delta with members.
    let initial = check!(
        "groups-delta-initial",
        send(&env, &fixture("groups-delta-initial"), &[]).await
    );
    let mut pages = vec![initial.body.clone()];
    if let Some(next) = initial.body["@odata.nextLink"].as_str() {
        pages.extend(env.round(&env.local(next)).await);
    }
    let members_seen = pages
        .iter()
        .flat_map(|p| p["value"].as_array().cloned().unwrap_or_default())
        .any(|g| g.get("members@delta").is_some());
    assert!(
        members_seen,
        "no group of the initial round carried members@delta: {pages:?}"
    );
    let delta_link = env.local(pages.last().unwrap()["@odata.deltaLink"].as_str().unwrap());
    assert_eq!(
        env.graph(
            "DELETE",
            &format!("/v1.0/groups/{library}/members/{}/$ref", others[0]),
            None
        )
        .await
        .status,
        204
    );
    let r = env.graph("POST", &format!("/v1.0/groups/{library}/members/$ref"), Some(json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{}", others[4])}))).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let fx = fixture("groups-delta-changes");
    let changes = check!(
        "groups-delta-changes",
        send(
            &env,
            &fx,
            &[(fx["request"]["url"].as_str().unwrap(), &delta_link)]
        )
        .await
    );
    let group = changes.body["value"]
        .as_array()
        .and_then(|v| v.iter().find(|g| g["id"] == library.as_str()))
        .cloned()
        .unwrap_or_default();
    let members = group["members@delta"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        members
            .iter()
            .any(|m| m["id"] == others[0].as_str() && m["@removed"]["reason"] == "deleted"),
        "{}",
        changes.body
    );
    assert!(
        members
            .iter()
            .any(|m| m["id"] == others[4].as_str() && m.get("@removed").is_none()),
        "{}",
        changes.body
    );

    // Delete a Microsoft 365 group, list deleted groups, restore it.
    let sample = env.create_group("SampleGroup", true).await;
    check!(
        "groups-delete",
        send(&env, &fixture("groups-delete"), &[("{id}", &sample)]).await
    );
    check!(
        "directory-deleteditems-list",
        send(&env, &fixture("directory-deleteditems-list"), &[]).await
    );
    let restored = check!(
        "directory-deleteditems-restore",
        send(
            &env,
            &fixture("directory-deleteditems-restore"),
            &[("{object-id}", &sample)]
        )
        .await
    );
    assert_eq!(restored.body["@odata.type"], "#microsoft.graph.group");
    let fx = fixture("directoryobjects-getbyids");
    let mut fx2 = fx.clone();
    fx2["request"]["body"] = json!({"ids": [adele, others[0]], "types": ["user"]});
    check!("directoryobjects-getbyids", send(&env, &fx2, &[]).await);

    // Contacts: seeded as Exchange would, then read.
    let list_fx = fixture("orgcontacts-list");
    let mut seed = list_fx["response"]["body"]["value"][0].clone();
    seed.as_object_mut().unwrap().remove("id");
    let r = env
        .raw(
            "POST",
            "/_emulator/contacts",
            &[("Content-Type", "application/json")],
            Some(seed.to_string().into_bytes()),
            None,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let contact = r.body["id"].as_str().unwrap().to_owned();
    check!("orgcontacts-list", send(&env, &list_fx, &[]).await);
    check!(
        "orgcontacts-get",
        send(&env, &fixture("orgcontacts-get"), &[("{id}", &contact)]).await
    );

    // Domains: add, read the DNS records, publish the TXT record, verify, update, federate.
    check!(
        "domains-create",
        send(&env, &fixture("domains-create"), &[]).await
    );
    let records = check!(
        "domains-verificationdnsrecords-list",
        send(
            &env,
            &fixture("domains-verificationdnsrecords-list"),
            &[("{domain-name}", "contoso.com")]
        )
        .await
    );
    let txt = records.body["value"]
        .as_array()
        .and_then(|v| v.iter().find(|r| r["recordType"] == "Txt"))
        .map(|r| r["text"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    assert!(
        txt.starts_with("MS=ms") && txt[5..].chars().all(|c| c.is_ascii_digit()),
        "{txt}"
    );
    let r = env
        .raw(
            "POST",
            "/_emulator/dns",
            &[("Content-Type", "application/json")],
            Some(
                json!({"domain": "contoso.com", "txt": txt})
                    .to_string()
                    .into_bytes(),
            ),
            None,
        )
        .await;
    assert_eq!(r.status, 204);
    check!(
        "domains-verify",
        send(
            &env,
            &fixture("domains-verify"),
            &[("{domain-name}", "contoso.com")]
        )
        .await
    );
    check!(
        "domains-get",
        send(&env, &fixture("domains-get"), &[]).await
    );
    check!(
        "domains-list",
        send(&env, &fixture("domains-list"), &[]).await
    );
    check!(
        "domains-update",
        send(&env, &fixture("domains-update"), &[]).await
    );
    check!(
        "domains-federationconfiguration-create",
        send(
            &env,
            &fixture("domains-federationconfiguration-create"),
            &[]
        )
        .await
    );
    check!(
        "domains-federationconfiguration-list",
        send(
            &env,
            &fixture("domains-federationconfiguration-list"),
            &[("{domainsId}", "contoso.com")]
        )
        .await
    );

    // Applications.
    let app = check!(
        "applications-create",
        send(&env, &fixture("applications-create"), &[]).await
    );
    let app_object = app.body["id"].as_str().unwrap_or_default().to_owned();
    let app_id = app.body["appId"].as_str().unwrap_or_default().to_owned();
    check!(
        "applications-addpassword",
        send(
            &env,
            &fixture("applications-addpassword"),
            &[("{id}", &app_object)]
        )
        .await
    );
    let ext = check!(
        "applications-extensionproperties-create",
        send(
            &env,
            &fixture("applications-extensionproperties-create"),
            &[("{id}", &app_object)]
        )
        .await
    );
    assert_eq!(
        ext.body["name"],
        format!("extension_{}_extensionName", app_id.replace('-', ""))
    );
    assert_eq!(ext.body["dataType"], "String");
    check!(
        "applications-extensionproperties-list",
        send(
            &env,
            &fixture("applications-extensionproperties-list"),
            &[("{id}", &app_object)]
        )
        .await
    );
    check!(
        "serviceprincipals-create",
        send(
            &env,
            &fixture("serviceprincipals-create"),
            &[("65415bb1-9267-4313-bbf5-ae259732ee12", &app_id)]
        )
        .await
    );

    // $batch.
    let batch = check!(
        "batch-request",
        send(&env, &fixture("batch-request"), &[]).await
    );
    let statuses: Vec<(String, u64)> = batch.body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        statuses.contains(&("4".to_owned(), 204)) && statuses.contains(&("5".to_owned(), 200)),
        "{statuses:?}"
    );

    // Identity platform.
    let token_path = format!("/{tenant}/oauth2/v2.0/token");
    let admin = env.admin();
    let r = send_token(
        &env,
        &fixture("token-ropc"),
        &token_path,
        &[
            ("client_id", &env.client_id),
            ("username", &admin),
            ("password", ADMIN_PASSWORD),
        ],
    )
    .await;
    check!("token-ropc", r);
    let r = send_token(
        &env,
        &fixture("token-client-credentials"),
        &token_path,
        &[
            ("client_id", &env.client_id),
            ("client_secret", CLIENT_SECRET),
        ],
    )
    .await;
    check!("token-client-credentials", r);
    let r = send_token(
        &env,
        &fixture("token-client-credentials"),
        &token_path,
        &[
            ("client_id", &env.client_id),
            ("client_secret", CLIENT_SECRET),
            ("scope", "https://foo.microsoft.com/.default"),
        ],
    )
    .await;
    check!("token-error-invalid-scope", r);
    let (status, device) = env
        .form(
            &format!("/{tenant}/oauth2/v2.0/devicecode"),
            &[
                ("client_id", &env.client_id),
                ("scope", "user.read openid profile offline_access"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{device}");
    let r = env
        .raw(
            "POST",
            "/_emulator/device/approve",
            &[("Content-Type", "application/json")],
            Some(
                json!({"user_code": device["user_code"], "upn": admin})
                    .to_string()
                    .into_bytes(),
            ),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let r = send_token(
        &env,
        &fixture("token-device-code-poll-success"),
        &token_path,
        &[
            ("client_id", &env.client_id),
            ("device_code", device["device_code"].as_str().unwrap()),
        ],
    )
    .await;
    check!("token-device-code-poll-success", r);

    // Throttling: any request can be throttled; here a write once a budget of one is spent.
    let small = Env::new(|c| c.write_budget = 1).await;
    small.create_user("first", "First Write").await;
    let r = small
        .graph(
            "PATCH",
            &format!("/v1.0/users/{}", small.admin()),
            Some(json!({"jobTitle": "x"})),
        )
        .await;
    check!("errors-429-throttled", r);

    // Every exchange fixture was exercised.
    let all: BTreeSet<String> = std::fs::read_dir(FIXTURES)
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            let name = path.file_stem()?.to_str()?.to_owned();
            let text = std::fs::read_to_string(&path).ok()?;
            let v: Value = serde_json::from_str(&text).ok()?;
            (v["kind"] == "exchange").then_some(name)
        })
        .collect();
    let missing: Vec<_> = all.difference(&done).collect();
    assert!(
        missing.is_empty(),
        "exchange fixtures not exercised: {missing:?}"
    );
    assert!(
        errors.is_empty(),
        "{} differences from the documented exchanges:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

// ------------------------------------------------------------------------------------------
// Rules fixtures: one test each.

fn rules(name: &str) -> Value {
    let fx = fixture(name);
    assert_eq!(fx["kind"], "rules");
    fx["rules"].clone()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_rules_are_enforced() {
    let env = Env::new(|c| c.domains = vec!["fabrikam.com".to_owned()]).await;
    let r = rules("users-rules");
    let user = env.create_user("rita", "Rita Rules").await;

    // Read-only properties are refused on update and on create.
    for prop in strings(&r["read_only"]) {
        let value = if prop.ends_with("Enabled") {
            json!(true)
        } else if prop.ends_with('s') {
            json!([])
        } else {
            json!("x")
        };
        let resp = env
            .graph(
                "PATCH",
                &format!("/v1.0/users/{user}"),
                Some(json!({ prop.clone(): value })),
            )
            .await;
        assert_eq!(
            (resp.status, code(&resp)),
            (400, "Request_BadRequest"),
            "PATCH {prop}: {}",
            resp.body
        );
    }
    let resp = env
        .graph("POST", "/v1.0/users", Some(json!({"accountEnabled": true, "displayName": "X", "mailNickname": "x", "userPrincipalName": format!("x@{}", env.domain()),
            "passwordProfile": {"password": USER_PASSWORD}, "onPremisesSyncEnabled": true})))
        .await;
    assert_eq!(resp.status, 400, "{}", resp.body);

    // Every required property is required.
    let full = json!({"accountEnabled": true, "displayName": "Req", "mailNickname": "req", "userPrincipalName": format!("req@{}", env.domain()),
        "passwordProfile": {"forceChangePasswordNextSignIn": true, "password": USER_PASSWORD}});
    for prop in strings(&r["required_on_create"]) {
        let mut body = full.clone();
        body.as_object_mut().unwrap().remove(&prop);
        let resp = env.graph("POST", "/v1.0/users", Some(body)).await;
        assert_eq!(
            (resp.status, code(&resp)),
            (400, "Request_BadRequest"),
            "without {prop}: {}",
            resp.body
        );
    }

    // Every writable property is accepted by PATCH (a sample of types).
    let resp = env.graph("PATCH", &format!("/v1.0/users/{user}"), Some(json!({"jobTitle": "Tester", "city": "Oslo", "otherMails": ["r@example.com"], "usageLocation": "NO"}))).await;
    assert_eq!(resp.status, 204, "{}", resp.body);

    // Without $select the default set; onPremisesImmutableId only on $select.
    let resp = env.graph("GET", &format!("/v1.0/users/{user}"), None).await;
    let keys: BTreeSet<String> = resp
        .body
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !k.starts_with('@'))
        .cloned()
        .collect();
    let defaults: BTreeSet<String> = strings(&r["default_properties_returned"])
        .into_iter()
        .collect();
    assert_eq!(keys, defaults);
    let resp = env
        .graph(
            "GET",
            &format!("/v1.0/users/{user}?$select=onPremisesImmutableId,onPremisesSyncEnabled"),
            None,
        )
        .await;
    assert!(
        resp.body.get("onPremisesImmutableId").is_some()
            && resp.body.get("onPremisesSyncEnabled").is_some(),
        "{}",
        resp.body
    );
    assert!(resp.body.get("displayName").is_none());
    let resp = env
        .graph(
            "GET",
            &format!("/v1.0/users/{user}?$select=noSuchProperty"),
            None,
        )
        .await;
    assert_eq!(resp.status, 400);

    // onPremisesImmutableId: no '$' or '_', unique, findable with $filter, updatable.
    for bad in ["abc$", "a_b"] {
        let resp = env
            .graph(
                "PATCH",
                &format!("/v1.0/users/{user}"),
                Some(json!({"onPremisesImmutableId": bad})),
            )
            .await;
        assert_eq!(resp.status, 400, "{bad}: {}", resp.body);
    }
    let resp = env
        .graph(
            "PATCH",
            &format!("/v1.0/users/{user}"),
            Some(json!({"onPremisesImmutableId": "QUJD+ZGVm/Zw=="})),
        )
        .await;
    assert_eq!(resp.status, 204, "{}", resp.body);
    let resp = env
        .graph(
            "GET",
            "/v1.0/users?$filter=onPremisesImmutableId%20eq%20'QUJD%2BZGVm%2FZw%3D%3D'",
            None,
        )
        .await;
    assert_eq!(
        resp.body["value"].as_array().map(Vec::len),
        Some(1),
        "{}",
        resp.body
    );
    assert_eq!(resp.body["value"][0]["id"], user.as_str());

    // The UPN's domain must be a verified domain of the tenant.
    let mut body = full.clone();
    body["userPrincipalName"] = json!("someone@fabrikam.com");
    body["mailNickname"] = json!("someone");
    assert_eq!(
        env.graph("POST", "/v1.0/users", Some(body.clone()))
            .await
            .status,
        201
    );
    let added = env
        .graph(
            "POST",
            "/v1.0/domains",
            Some(json!({"id": "unverified.example"})),
        )
        .await;
    assert_eq!(added.status, 201);
    for upn in ["x@unverified.example", "x@not-in-tenant.example"] {
        body["userPrincipalName"] = json!(upn);
        let resp = env.graph("POST", "/v1.0/users", Some(body.clone())).await;
        assert_eq!(
            (resp.status, code(&resp)),
            (400, "Request_BadRequest"),
            "{upn}: {}",
            resp.body
        );
        assert!(
            resp.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("verified")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn federated_domains_need_an_immutable_id_and_duplicates_are_refused() {
    let env = Env::new(|c| c.domains = vec!["contoso.com".to_owned()]).await;
    let fed = fixture("domains-federationconfiguration-create");
    let r = send(&env, &fed, &[]).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let domain = env.graph("GET", "/v1.0/domains/contoso.com", None).await;
    assert_eq!(domain.body["authenticationType"], "Federated");
    let user = |upn: &str, immutable: Option<&str>| {
        let mut body = json!({"accountEnabled": true, "displayName": "Fed", "mailNickname": upn.split('@').next().unwrap(), "userPrincipalName": upn,
            "passwordProfile": {"password": USER_PASSWORD}});
        if let Some(i) = immutable {
            body["onPremisesImmutableId"] = json!(i);
        }
        body
    };
    let r = env
        .graph("POST", "/v1.0/users", Some(user("fed@contoso.com", None)))
        .await;
    assert_eq!(
        (r.status, code(&r)),
        (400, "Request_BadRequest"),
        "{}",
        r.body
    );
    let r = env
        .graph(
            "POST",
            "/v1.0/users",
            Some(user("fed@contoso.com", Some("AAAAAAAAAAAAAAAAAAAAAA=="))),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let fed_user = r.body["id"].as_str().unwrap().to_owned();
    // The password grant cannot sign a federated user in (their identity provider checks the
    // password), whatever the password.
    let (status, body) = env
        .ropc(
            "fed@contoso.com",
            USER_PASSWORD,
            "https://graph.microsoft.com/.default",
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .contains("federated"),
        "{body}"
    );
    // A federated user's password cannot be set through Graph.
    let r = env
        .graph(
            "PATCH",
            &format!("/v1.0/users/{fed_user}"),
            Some(json!({"passwordProfile": {"password": USER_PASSWORD}})),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    // The same immutable id on another user: a property conflict.
    let r = env
        .graph(
            "POST",
            "/v1.0/users",
            Some(user("fed2@contoso.com", Some("AAAAAAAAAAAAAAAAAAAAAA=="))),
        )
        .await;
    assert_eq!(
        (r.status, code(&r)),
        (400, "Request_BadRequest"),
        "{}",
        r.body
    );
    assert_eq!(r.body["error"]["details"][0]["code"], "PropertyConflict");
    assert_eq!(
        r.body["error"]["details"][0]["target"],
        "onPremisesImmutableId"
    );
    // The same UPN (in any case): a property conflict.
    let r = env
        .graph(
            "POST",
            "/v1.0/users",
            Some(user("FED@contoso.com", Some("BBBBBBBBBBBBBBBBBBBBBB=="))),
        )
        .await;
    assert_eq!(
        (r.status, code(&r)),
        (400, "Request_BadRequest"),
        "{}",
        r.body
    );
    assert_eq!(r.body["error"]["details"][0]["target"], "userPrincipalName");
    // Weak passwords are refused.
    let mut weak = user(&format!("weak@{}", env.domain()), None);
    weak["passwordProfile"]["password"] = json!("password");
    assert_eq!(
        env.graph("POST", "/v1.0/users", Some(weak)).await.status,
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_rules_are_enforced() {
    let env = Env::new(|_| {}).await;
    let r = rules("batch-rules");
    let max = r["max_requests_per_batch"].as_u64().unwrap() as usize;
    let requests = |n: usize| json!({"requests": (1..=n).map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/organization"})).collect::<Vec<_>>()});
    let resp = env
        .graph("POST", "/v1.0/$batch", Some(requests(max + 1)))
        .await;
    assert_eq!(resp.status, 400, "{}", resp.body);
    assert!(resp.body["error"]["code"].is_string());
    let resp = env.graph("POST", "/v1.0/$batch", Some(requests(max))).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body["responses"].as_array().unwrap().len(), max);

    // dependsOn: a failed request fails its dependents with 424; the outer status stays 200.
    let body = json!({"requests": [
        {"id": "1", "method": "GET", "url": "/users/00000000-0000-0000-0000-000000000000"},
        {"id": "2", "dependsOn": ["1"], "method": "GET", "url": "/organization"},
        {"id": "3", "method": "POST", "url": "/groups", "headers": {"Content-Type": "application/json"},
         "body": {"displayName": "B", "mailEnabled": false, "mailNickname": "batchgroup", "securityEnabled": true}},
        {"id": "4", "dependsOn": ["3"], "method": "GET", "url": "groups?$filter=mailNickname eq 'batchgroup'"},
    ]});
    let resp = env.graph("POST", "/v1.0/$batch", Some(body)).await;
    assert_eq!(resp.status, 200);
    let status = |id: &str| {
        resp.body["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()["status"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        (status("1"), status("2"), status("3"), status("4")),
        (404, 424, 201, 200)
    );
    let four = resp.body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "4")
        .unwrap()
        .clone();
    assert_eq!(four["body"]["value"].as_array().unwrap().len(), 1);

    // Malformed batches: duplicate ids, unknown dependency, body without Content-Type, nesting.
    for bad in [
        json!({"requests": [{"id": "1", "method": "GET", "url": "/me"}, {"id": "1", "method": "GET", "url": "/me"}]}),
        json!({"requests": [{"id": "1", "method": "GET", "url": "/me", "dependsOn": ["9"]}]}),
        json!({"requests": [{"id": "1", "method": "PATCH", "url": "/me", "body": {"city": "x"}}]}),
        json!({"requests": []}),
        json!({"nope": 1}),
    ] {
        assert_eq!(
            env.graph("POST", "/v1.0/$batch", Some(bad.clone()))
                .await
                .status,
            400,
            "{bad}"
        );
    }
    let nested = env
        .graph(
            "POST",
            "/v1.0/$batch",
            Some(json!({"requests": [{"id": "1", "method": "POST", "url": "/$batch"}]})),
        )
        .await;
    assert_eq!(nested.body["responses"][0]["status"], 400);
    let absolute = env.graph("POST", "/v1.0/$batch", Some(json!({"requests": [{"id": "1", "method": "GET", "url": "https://graph.microsoft.com/v1.0/me"}]}))).await;
    assert_eq!(absolute.body["responses"][0]["status"], 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_rules_spend_the_write_budget_then_answer_429_with_retry_after() {
    let env = Env::new(|c| {
        c.write_budget = 3;
        c.budget_window = Duration::from_secs(10);
    })
    .await;
    let r = rules("throttling-rules");
    assert!(
        r["status_and_header"]
            .as_str()
            .unwrap()
            .contains("Retry-After")
    );
    for i in 0..3 {
        env.create_user(&format!("w{i}"), "Writer").await;
    }
    let resp = env
        .graph(
            "PATCH",
            &format!("/v1.0/users/{}", env.admin()),
            Some(json!({"city": "Bergen"})),
        )
        .await;
    assert_eq!(
        (resp.status, code(&resp)),
        (429, "TooManyRequests"),
        "{}",
        resp.body
    );
    let retry: f64 = resp.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        resp.headers["x-ms-throttle-information"],
        "WriteLimitExceeded"
    );
    assert!(retry > 0.0 && retry <= 10.0, "{retry}");
    // Reads are not writes.
    assert_eq!(env.graph("GET", "/v1.0/users", None).await.status, 200);
    // Inside a batch each item is throttled on its own, and the batch itself answers 200.
    let batch = json!({"requests": [
        {"id": "a", "method": "GET", "url": "/organization"},
        {"id": "b", "method": "PATCH", "url": "/me", "headers": {"Content-Type": "application/json"}, "body": {"city": "Oslo"}},
    ]});
    let resp = env.graph("POST", "/v1.0/$batch", Some(batch.clone())).await;
    assert_eq!(resp.status, 200);
    let items = resp.body["responses"].as_array().unwrap();
    let b = items.iter().find(|i| i["id"] == "b").unwrap();
    assert_eq!(b["status"], 429);
    assert!(b["headers"]["Retry-After"].is_string(), "{b}");
    assert_eq!(
        items.iter().find(|i| i["id"] == "a").unwrap()["status"],
        200
    );
    // When the window has passed (no sleeping: the clock is moved), writes work again.
    env.clock.advance(Duration::from_secs(10));
    let resp = env.graph("POST", "/v1.0/$batch", Some(batch)).await;
    assert_eq!(
        resp.body["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == "b")
            .unwrap()["status"],
        204
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_bodies_have_the_documented_shape() {
    let env = Env::new(|_| {}).await;
    let r = rules("errors-rules");
    let mut answers = vec![
        env.graph("GET", "/v1.0/users/$count", None).await,
        env.graph("GET", "/v1.0/users/no-such-user", None).await,
        env.graph("POST", "/v1.0/users", Some(json!({"displayName": 5})))
            .await,
        env.raw(
            "POST",
            "/v1.0/users",
            &[("Content-Type", "application/json")],
            Some(b"{not json".to_vec()),
            Some(&env.token),
        )
        .await,
        env.raw("GET", "/v1.0/users", &[], None, None).await,
        env.raw("GET", "/v1.0/users", &[], None, Some("made-up"))
            .await,
        env.graph(
            "GET",
            "/v1.0/users?$filter=endsWith(mail,'@outlook.com')",
            None,
        )
        .await,
        env.graph("GET", "/v1.0/users?$search=\"displayName:adm\"", None)
            .await,
        env.graph("GET", "/v1.0/nothing/here", None).await,
    ];
    answers.push(
        env.raw(
            "POST",
            "/v1.0/users",
            &[("Content-Type", "application/json")],
            Some(vec![b'x'; 5 * 1024 * 1024]),
            Some(&env.token),
        )
        .await,
    );
    let expected = [400, 404, 400, 400, 401, 401, 400, 400, 400, 413];
    for (answer, status) in answers.iter().zip(expected) {
        assert_eq!(answer.status, status, "{}", answer.body);
        let mut errs = Vec::new();
        shape(&r["shape"], &answer.body, "error", &mut errs);
        assert!(errs.is_empty(), "{errs:?}: {}", answer.body);
        assert!(
            answer.body.as_object().unwrap().len() == 1,
            "a single 'error' property: {}",
            answer.body
        );
    }
    assert_eq!(code(&answers[0]), "Request_BadRequest");
    assert_eq!(code(&answers[1]), "Request_ResourceNotFound");
    assert_eq!(code(&answers[4]), "InvalidAuthenticationToken");
    assert_eq!(code(&answers[5]), "InvalidAuthenticationToken");
    assert_eq!(code(&answers[6]), "Request_UnsupportedQuery");
    assert_eq!(code(&answers[7]), "Request_UnsupportedQuery");
    // With the advanced query headers the same queries work.
    let ok = env
        .graph_h(
            "GET",
            "/v1.0/users?$filter=endsWith(userPrincipalName,'onmicrosoft.com')&$count=true",
            &[("ConsistencyLevel", "eventual")],
            None,
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["@odata.count"], 2);
    let ok = env
        .graph_h(
            "GET",
            "/v1.0/users/$count",
            &[("ConsistencyLevel", "eventual")],
            None,
        )
        .await;
    assert_eq!((ok.status, ok.body.clone()), (200, json!(2)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_rules_give_absolute_opaque_next_links() {
    let env = Env::new(|_| {}).await;
    let r = rules("paging-rules");
    assert!(
        r["nextLink_absolute"]
            .as_str()
            .unwrap()
            .contains("absolute")
    );
    for i in 0..5 {
        env.create_user(&format!("p{i}"), &format!("Pager {i}"))
            .await;
    }
    let first = env
        .graph_h(
            "GET",
            "/v1.0/users?$top=2&$count=true&$select=id,displayName",
            &[("ConsistencyLevel", "eventual")],
            None,
        )
        .await;
    assert_eq!(first.body["@odata.count"], 7);
    let next = first.body["@odata.nextLink"].as_str().unwrap().to_owned();
    assert!(
        next.starts_with(&format!("{}/v1.0/users?", env.base)),
        "{next}"
    );
    assert!(next.contains("$skiptoken="), "{next}");
    let mut ids: BTreeSet<String> = first.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    let mut link = Some(next);
    let mut pages = 1;
    while let Some(l) = link {
        // ConsistencyLevel is not carried by the link: the client sends it again.
        let page = env
            .graph_h(
                "GET",
                &env.local(&l),
                &[("ConsistencyLevel", "eventual")],
                None,
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.get("@odata.count").is_none(),
            "count only on the first page"
        );
        assert!(page.body["value"].as_array().unwrap().len() <= 2);
        ids.extend(
            page.body["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["id"].as_str().unwrap().to_owned()),
        );
        link = page.body["@odata.nextLink"].as_str().map(str::to_owned);
        pages += 1;
    }
    assert_eq!((ids.len(), pages), (7, 4));
    for top in ["0", "1000", "x"] {
        assert_eq!(
            env.graph("GET", &format!("/v1.0/users?$top={top}"), None)
                .await
                .status,
            400,
            "$top={top}"
        );
    }
    assert_eq!(
        env.graph("GET", "/v1.0/users?$skip=2", None).await.status,
        400
    );
    assert_eq!(
        env.graph("GET", "/v1.0/users?$skiptoken=garbage", None)
            .await
            .status,
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filtered_delta_round_keeps_its_filter_on_every_page() {
    let env = Env::new(|c| c.delta_page_size = 2).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            env.create_user(&format!("f{i}"), &format!("Filtered {i}"))
                .await,
        );
    }
    let wanted = &ids[..3];
    let filter = wanted
        .iter()
        .map(|id| format!("id eq '{id}'"))
        .collect::<Vec<_>>()
        .join(" or ");
    let pages = env
        .round(&format!(
            "/v1.0/users/delta?$select=displayName&$filter={filter}"
        ))
        .await;
    assert!(pages.len() >= 2, "the round spans pages");
    let mut seen: Vec<String> = pages
        .iter()
        .flat_map(|p| p["value"].as_array().unwrap().clone())
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    seen.sort();
    let mut expected = wanted.to_vec();
    expected.sort();
    assert_eq!(seen, expected, "later pages keep the filter");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delta_rules_rounds_tokens_and_removals() {
    let env = Env::new(|c| c.delta_page_size = 2).await;
    let r = rules("delta-rules");
    assert_eq!(
        strings(&r["removed_annotation"]["@removed"]["reason"]),
        ["changed", "deleted"]
    );
    let keep = env.create_user("keep", "Keep Me").await;
    let soft = env.create_user("soft", "Soft Delete").await;
    // Initial round: nextLink pages, then a deltaLink and no nextLink.
    let pages = env.round("/v1.0/users/delta?$select=displayName").await;
    assert!(pages.len() >= 2);
    assert!(
        pages[..pages.len() - 1]
            .iter()
            .all(|p| p.get("@odata.nextLink").is_some() && p.get("@odata.deltaLink").is_none())
    );
    let last = pages.last().unwrap();
    let delta_link = env.local(last["@odata.deltaLink"].as_str().unwrap());
    assert!(delta_link.contains("$deltatoken="));
    let count: usize = pages
        .iter()
        .map(|p| p["value"].as_array().unwrap().len())
        .sum();
    assert_eq!(count, 4);
    // Nothing changed: an empty page with a new deltaLink.
    let same = env.graph("GET", &delta_link, None).await;
    assert_eq!(same.body["value"], json!([]));
    assert!(same.body["@odata.deltaLink"].is_string());
    // Unselected property changes do not surface the object; selected ones do; deletions do.
    assert_eq!(
        env.graph(
            "PATCH",
            &format!("/v1.0/users/{keep}"),
            Some(json!({"city": "Oslo"}))
        )
        .await
        .status,
        204
    );
    let quiet = env.graph("GET", &delta_link, None).await;
    assert_eq!(quiet.body["value"], json!([]), "{}", quiet.body);
    assert_eq!(
        env.graph(
            "PATCH",
            &format!("/v1.0/users/{keep}"),
            Some(json!({"displayName": "Kept"}))
        )
        .await
        .status,
        204
    );
    assert_eq!(
        env.graph("DELETE", &format!("/v1.0/users/{soft}"), None)
            .await
            .status,
        204
    );
    let changes = env.round(&delta_link).await;
    let items: Vec<Value> = changes
        .iter()
        .flat_map(|p| p["value"].as_array().cloned().unwrap())
        .collect();
    assert!(
        items
            .iter()
            .any(|i| i["id"] == keep.as_str() && i["displayName"] == "Kept")
    );
    let removed = items.iter().find(|i| i["id"] == soft.as_str()).unwrap();
    assert_eq!(
        removed,
        &json!({"id": soft, "@removed": {"reason": "changed"}})
    );
    // Deleted for good (a security group): reason deleted.
    let group = env.create_group("harddelete", false).await;
    let groups = env
        .round("/v1.0/groups/delta?$select=displayName,members")
        .await;
    let group_link = env.local(groups.last().unwrap()["@odata.deltaLink"].as_str().unwrap());
    assert_eq!(
        env.graph("DELETE", &format!("/v1.0/groups/{group}"), None)
            .await
            .status,
        204
    );
    let gone = env.graph("GET", &group_link, None).await;
    assert_eq!(
        gone.body["value"],
        json!([{"id": group, "@removed": {"reason": "deleted"}}]),
        "{}",
        gone.body
    );
    // $deltaToken=latest: only a deltaLink; $top and $orderby are not supported.
    let latest = env
        .graph("GET", "/v1.0/users/delta?$deltaToken=latest", None)
        .await;
    assert_eq!(latest.body["value"], json!([]));
    assert!(
        latest.body["@odata.deltaLink"].is_string() && latest.body.get("@odata.nextLink").is_none()
    );
    for bad in [
        "$top=5",
        "$orderby=displayName",
        "$expand=manager",
        "$deltatoken=bogus",
    ] {
        assert_eq!(
            env.graph("GET", &format!("/v1.0/users/delta?{bad}"), None)
                .await
                .status,
            400,
            "{bad}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_rules_membership_limits_and_errors() {
    let env = Env::new(|_| {}).await;
    let r = rules("groups-rules");
    let group = env.create_group("rulesgroup", false).await;
    let mut users = Vec::new();
    for i in 0..21 {
        users.push(
            env.create_user(&format!("m{i}"), &format!("Member {i}"))
                .await,
        );
    }
    let bind = |ids: &[String]| json!({"members@odata.bind": ids.iter().map(|id| format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")).collect::<Vec<_>>()});
    let max = r["max_members_per_patch_bind"].as_u64().unwrap() as usize;
    let resp = env
        .graph(
            "PATCH",
            &format!("/v1.0/groups/{group}"),
            Some(bind(&users[..max + 1])),
        )
        .await;
    assert_eq!(resp.status, 400, "{}", resp.body);
    // All or nothing: one unknown id, nobody added.
    let mut with_bad = users[..3].to_vec();
    with_bad.push("00000000-0000-0000-0000-000000000001".to_owned());
    let resp = env
        .graph(
            "PATCH",
            &format!("/v1.0/groups/{group}"),
            Some(bind(&with_bad)),
        )
        .await;
    assert_eq!(resp.status, 404, "{}", resp.body);
    let members = env
        .graph("GET", &format!("/v1.0/groups/{group}/members"), None)
        .await;
    assert_eq!(members.body["value"], json!([]));
    let resp = env
        .graph(
            "PATCH",
            &format!("/v1.0/groups/{group}"),
            Some(bind(&users[..max])),
        )
        .await;
    assert_eq!(resp.status, 204, "{}", resp.body);
    let members = env
        .graph(
            "GET",
            &format!("/v1.0/groups/{group}/members?$top=999"),
            None,
        )
        .await;
    assert_eq!(members.body["value"].as_array().unwrap().len(), max);
    assert!(
        members.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["@odata.type"] == "#microsoft.graph.user")
    );
    // $ref: 400 when already a member, 404 when the object does not exist.
    let add = |id: &str| json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")});
    let codes = [
        (
            env.graph(
                "POST",
                &format!("/v1.0/groups/{group}/members/$ref"),
                Some(add(&users[0])),
            )
            .await
            .status,
            r["add_member_errors"]["already_member"].as_u64().unwrap() as u16,
        ),
        (
            env.graph(
                "POST",
                &format!("/v1.0/groups/{group}/members/$ref"),
                Some(add("00000000-0000-0000-0000-000000000002")),
            )
            .await
            .status,
            r["add_member_errors"]["object_not_found"].as_u64().unwrap() as u16,
        ),
        (
            env.graph(
                "DELETE",
                &format!("/v1.0/groups/{group}/members/{}/$ref", users[20]),
                None,
            )
            .await
            .status,
            404,
        ),
        (
            env.graph(
                "POST",
                &format!("/v1.0/groups/{group}/members/$ref"),
                Some(add(&users[20])),
            )
            .await
            .status,
            204,
        ),
        (
            env.graph(
                "GET",
                &format!("/v1.0/groups/{group}/members/microsoft.graph.user?$count=true"),
                None,
            )
            .await
            .status,
            400,
        ),
    ];
    for (got, want) in codes {
        assert_eq!(got, want);
    }
    // Required properties and create-time limits.
    for prop in strings(&r["required_on_create"]) {
        let mut body = json!({"displayName": "G", "mailEnabled": false, "mailNickname": "gnew", "securityEnabled": true});
        body.as_object_mut().unwrap().remove(&prop);
        assert_eq!(
            env.graph("POST", "/v1.0/groups", Some(body)).await.status,
            400,
            "without {prop}"
        );
    }
    let mut body = json!({"displayName": "G", "mailEnabled": false, "mailNickname": "gmany", "securityEnabled": true});
    body["members@odata.bind"] = bind(&users)["members@odata.bind"].clone();
    assert_eq!(
        env.graph("POST", "/v1.0/groups", Some(body)).await.status,
        400
    );
    let bad_nick = json!({"displayName": "G", "mailEnabled": false, "mailNickname": "has space", "securityEnabled": true});
    assert_eq!(
        env.graph("POST", "/v1.0/groups", Some(bad_nick))
            .await
            .status,
        400
    );
    let mail_security = json!({"displayName": "G", "mailEnabled": true, "mailNickname": "mailsec", "securityEnabled": true});
    assert_eq!(
        env.graph("POST", "/v1.0/groups", Some(mail_security))
            .await
            .status,
        400
    );
    // Read-only group properties.
    let resp = env
        .graph(
            "PATCH",
            &format!("/v1.0/groups/{group}"),
            Some(json!({"onPremisesSyncEnabled": true})),
        )
        .await;
    assert_eq!(resp.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orgcontacts_cannot_be_created_or_changed() {
    let env = Env::new(|_| {}).await;
    let r = rules("orgcontacts-rules");
    assert_eq!(r["create_supported_v1"], false);
    let resp = env
        .graph(
            "POST",
            "/v1.0/contacts",
            Some(json!({"displayName": "Nope"})),
        )
        .await;
    assert!(resp.status >= 400 && resp.status < 500, "{}", resp.status);
    assert!(resp.body["error"]["code"].is_string());
    let seeded = env
        .raw(
            "POST",
            "/_emulator/contacts",
            &[("Content-Type", "application/json")],
            Some(
                json!({"displayName": "Seeded", "mail": "s@example.com"})
                    .to_string()
                    .into_bytes(),
            ),
            None,
        )
        .await;
    let id = seeded.body["id"].as_str().unwrap();
    assert!(
        env.graph(
            "PATCH",
            &format!("/v1.0/contacts/{id}"),
            Some(json!({"displayName": "x"}))
        )
        .await
        .status
            >= 400
    );
    assert!(
        env.graph("DELETE", &format!("/v1.0/contacts/{id}"), None)
            .await
            .status
            >= 400
    );
    assert_eq!(
        env.graph("GET", &format!("/v1.0/contacts/{id}"), None)
            .await
            .body["displayName"],
        "Seeded"
    );
    let list = env.graph("GET", "/v1.0/contacts", None).await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organization_rules_verified_domains_and_sync_flag() {
    let env = Env::new(|c| c.domains = vec!["fabrikam.com".to_owned()]).await;
    let r = rules("organization-rules");
    let org = env.graph("GET", "/v1.0/organization", None).await;
    let value = org.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 1);
    let org = &value[0];
    assert_eq!(org["id"], env.tenant.as_str());
    assert!(org.get("onPremisesSyncEnabled").unwrap().is_null());
    let mut errs = Vec::new();
    shape(
        &json!([r["verifiedDomains"]["item_json_representation"]]),
        &org["verifiedDomains"],
        "verifiedDomains",
        &mut errs,
    );
    assert!(errs.is_empty(), "{errs:?}");
    let names: BTreeSet<&str> = org["verifiedDomains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["contoso.onmicrosoft.com", "fabrikam.com"])
    );
    let initial = org["verifiedDomains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["isInitial"] == true)
        .unwrap();
    assert_eq!(
        (initial["type"].as_str(), initial["isDefault"].as_bool()),
        (Some("Managed"), Some(true))
    );
    let path = format!("/v1.0/organization/{}", env.tenant);
    assert_eq!(
        env.graph("PATCH", &path, Some(json!({"onPremisesSyncEnabled": true})))
            .await
            .status,
        204
    );
    assert_eq!(
        env.graph("GET", &path, None).await.body["onPremisesSyncEnabled"],
        true
    );
    assert_eq!(
        env.graph("PATCH", &path, Some(json!({"displayName": "Renamed"})))
            .await
            .status,
        400
    );
    assert_eq!(
        env.graph(
            "PATCH",
            "/v1.0/organization/00000000-0000-0000-0000-000000000000",
            Some(json!({"technicalNotificationMails": []}))
        )
        .await
        .status,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn domains_rules_verification_flow() {
    let env = Env::new(|_| {}).await;
    let r = rules("domains-rules");
    let values = strings(&r["authenticationType"]["values"]);
    let added = env
        .graph("POST", "/v1.0/domains", Some(json!({"id": "Example.ORG"})))
        .await;
    assert_eq!(
        (added.status, added.body["isVerified"].as_bool()),
        (201, Some(false))
    );
    assert!(
        values.contains(
            &added.body["authenticationType"]
                .as_str()
                .unwrap()
                .to_owned()
        )
    );
    assert_eq!(
        env.graph("POST", "/v1.0/domains", Some(json!({"id": "example.org"})))
            .await
            .status,
        400,
        "already there"
    );
    assert_eq!(
        env.graph("POST", "/v1.0/domains", Some(json!({"id": "not a domain"})))
            .await
            .status,
        400
    );
    // Only verified domains can be updated; verify fails until the TXT record is published.
    let patch = json!({"supportedServices": ["Email"]});
    assert_eq!(
        env.graph("PATCH", "/v1.0/domains/example.org", Some(patch.clone()))
            .await
            .status,
        400
    );
    let refused = env
        .graph("POST", "/v1.0/domains/example.org/verify", None)
        .await;
    assert_eq!(
        (refused.status, code(&refused)),
        (400, "Request_BadRequest")
    );
    let records = env
        .graph(
            "GET",
            "/v1.0/domains/example.org/verificationDnsRecords",
            None,
        )
        .await;
    let txt = records.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["recordType"] == "Txt")
        .unwrap()["text"]
        .as_str()
        .unwrap()
        .to_owned();
    env.raw(
        "POST",
        "/_emulator/dns",
        &[("Content-Type", "application/json")],
        Some(
            json!({"domain": "example.org", "txt": "MS=ms00000000-wrong"})
                .to_string()
                .into_bytes(),
        ),
        None,
    )
    .await;
    assert_eq!(
        env.graph("POST", "/v1.0/domains/example.org/verify", None)
            .await
            .status,
        400
    );
    env.raw(
        "POST",
        "/_emulator/dns",
        &[("Content-Type", "application/json")],
        Some(
            json!({"domain": "example.org", "txt": txt})
                .to_string()
                .into_bytes(),
        ),
        None,
    )
    .await;
    let verified = env
        .graph("POST", "/v1.0/domains/example.org/verify", None)
        .await;
    assert_eq!(
        (verified.status, verified.body["isVerified"].as_bool()),
        (200, Some(true))
    );
    assert_eq!(verified.body["availabilityStatus"], "AvailableImmediately");
    assert!(
        env.graph("GET", "/v1.0/domains/example.org", None)
            .await
            .body["availabilityStatus"]
            .is_null()
    );
    assert_eq!(
        env.graph("PATCH", "/v1.0/domains/example.org", Some(patch))
            .await
            .status,
        204
    );
    assert_eq!(
        env.graph(
            "PATCH",
            "/v1.0/domains/example.org",
            Some(json!({"isInitial": true}))
        )
        .await
        .status,
        400
    );
    // Federation: none yet -> 404; after create the domain is Federated; at most one.
    assert_eq!(
        env.graph(
            "GET",
            "/v1.0/domains/example.org/federationConfiguration",
            None
        )
        .await
        .status,
        404
    );
    let fed = fixture("domains-federationconfiguration-create");
    let created = send(&env, &fed, &[("contoso.com", "example.org")]).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        env.graph("GET", "/v1.0/domains/example.org", None)
            .await
            .body["authenticationType"],
        "Federated"
    );
    assert_eq!(
        send(&env, &fed, &[("contoso.com", "example.org")])
            .await
            .status,
        400
    );
    let initial = env.domain();
    assert_eq!(
        send(&env, &fed, &[("contoso.com", &initial)]).await.status,
        400,
        "the initial domain cannot be federated"
    );
    // Users may now use the domain (verified), with an immutable id (federated).
    let body = json!({"accountEnabled": true, "displayName": "D", "mailNickname": "d", "userPrincipalName": "d@example.org",
        "onPremisesImmutableId": "ZGQ=", "passwordProfile": {"password": USER_PASSWORD}});
    assert_eq!(
        env.graph("POST", "/v1.0/users", Some(body)).await.status,
        201
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extension_properties_rules() {
    let env = Env::new(|_| {}).await;
    let r = rules("extensionproperties-rules");
    let app = env
        .graph(
            "POST",
            "/v1.0/applications",
            Some(json!({"displayName": "Skybridge sync"})),
        )
        .await;
    let (object, app_id) = (
        app.body["id"].as_str().unwrap().to_owned(),
        app.body["appId"].as_str().unwrap().to_owned(),
    );
    assert_ne!(object, app_id);
    let path = format!("/v1.0/applications/{object}/extensionProperties");
    let ext = env
        .graph(
            "POST",
            &path,
            Some(
                json!({"name": "employeeNumber", "dataType": "string", "targetObjects": ["user"]}),
            ),
        )
        .await;
    assert_eq!(ext.status, 201, "{}", ext.body);
    let name = format!("extension_{}_employeeNumber", app_id.replace('-', ""));
    assert_eq!(ext.body["name"], name.as_str());
    assert!(
        strings(&json!(
            r["dataType_values"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>()
        ))
        .contains(&ext.body["dataType"].as_str().unwrap().to_owned())
    );
    assert_eq!(ext.body["targetObjects"], json!(["User"]));
    for bad in [
        json!({"name": "x", "dataType": "Float", "targetObjects": ["User"]}),
        json!({"name": "x", "dataType": "String", "targetObjects": ["Printer"]}),
        json!({"name": "", "dataType": "String", "targetObjects": ["User"]}),
        json!({"name": "employeeNumber", "dataType": "String", "targetObjects": ["User"]}),
    ] {
        assert_eq!(
            env.graph("POST", &path, Some(bad.clone())).await.status,
            400,
            "{bad}"
        );
    }
    // The value is written as a top-level property and read back only with $select.
    let user = env.create_user("ext", "Ext User").await;
    assert_eq!(
        env.graph(
            "PATCH",
            &format!("/v1.0/users/{user}"),
            Some(json!({ name.clone(): "E-1001" }))
        )
        .await
        .status,
        204
    );
    assert!(
        env.graph("GET", &format!("/v1.0/users/{user}"), None)
            .await
            .body
            .get(&name)
            .is_none()
    );
    assert_eq!(
        env.graph("GET", &format!("/v1.0/users/{user}?$select={name}"), None)
            .await
            .body[&name],
        "E-1001"
    );
    assert_eq!(
        env.graph(
            "PATCH",
            &format!("/v1.0/users/{user}"),
            Some(json!({"extension_0000_unknown": "x"}))
        )
        .await
        .status,
        400
    );
    // Values must fit the documented data type: strings up to 256 characters, 32-bit integers,
    // collections for multi-valued properties; null clears. Groups take them too.
    let patch = |body: serde_json::Value| {
        let env = &env;
        let user = user.clone();
        async move {
            env.graph("PATCH", &format!("/v1.0/users/{user}"), Some(body))
                .await
                .status
        }
    };
    assert_eq!(patch(json!({ name.clone(): "x".repeat(257) })).await, 400);
    assert_eq!(patch(json!({ name.clone(): 7 })).await, 400);
    assert_eq!(patch(json!({ name.clone(): null })).await, 204);
    let declare = |body: serde_json::Value| {
        let env = &env;
        let path = path.clone();
        async move { env.graph("POST", &path, Some(body)).await }
    };
    let count =
        declare(json!({"name": "badPwdCount", "dataType": "Integer", "targetObjects": ["User"]}))
            .await;
    assert_eq!(count.status, 201, "{}", count.body);
    let count = count.body["name"].as_str().unwrap().to_owned();
    assert_eq!(patch(json!({ count.clone(): 3 })).await, 204);
    assert_eq!(patch(json!({ count.clone(): 4_294_967_296i64 })).await, 400);
    assert_eq!(patch(json!({ count.clone(): "3" })).await, 400);
    let phones = declare(json!({"name": "otherMobile", "dataType": "String", "isMultiValued": true, "targetObjects": ["User", "Group"]})).await;
    assert_eq!(phones.status, 201, "{}", phones.body);
    assert_eq!(phones.body["isMultiValued"], true);
    let phones = phones.body["name"].as_str().unwrap().to_owned();
    assert_eq!(patch(json!({ phones.clone(): ["1", "2"] })).await, 204);
    assert_eq!(patch(json!({ phones.clone(): "1" })).await, 400);
    let group = env
        .graph(
            "POST",
            "/v1.0/groups",
            Some(
                json!({"displayName": "Ext", "mailNickname": "ext", "mailEnabled": false,
                "securityEnabled": true, phones.clone(): ["3"]}),
            ),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.body);
    // A user-only property is refused on a group.
    let group_id = group.body["id"].as_str().unwrap();
    assert_eq!(
        env.graph(
            "PATCH",
            &format!("/v1.0/groups/{group_id}"),
            Some(json!({ count.clone(): 1 }))
        )
        .await
        .status,
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_code_rules_pending_declined_bad_and_expired() {
    let env = Env::new(|_| {}).await;
    let r = rules("token-device-code-rules");
    let (status, flow) = env.devicecode("user.read openid profile").await;
    assert_eq!(status, 200);
    for field in r["device_authorization_response_fields"]
        .as_object()
        .unwrap()
        .keys()
    {
        assert!(
            flow.get(field).is_some(),
            "devicecode answer lacks {field}: {flow}"
        );
    }
    assert_eq!(flow["expires_in"], 900);
    let (status, body) = env.poll(flow["device_code"].as_str().unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("authorization_pending"))
    );
    assert!(
        body["error_codes"].is_array()
            && body["trace_id"].is_string()
            && body["correlation_id"].is_string()
    );
    let (_, body) = env.poll("not-a-code").await;
    assert_eq!(body["error"], "bad_verification_code");
    // Declined.
    let decline = env
        .raw(
            "POST",
            "/_emulator/device/decline",
            &[("Content-Type", "application/json")],
            Some(
                json!({"user_code": flow["user_code"]})
                    .to_string()
                    .into_bytes(),
            ),
            None,
        )
        .await;
    assert_eq!(decline.status, 204);
    let (_, body) = env.poll(flow["device_code"].as_str().unwrap()).await;
    assert_eq!(body["error"], "authorization_declined");
    // Expired (the clock moves past expires_in).
    let (_, flow) = env.devicecode("user.read openid profile").await;
    env.clock.advance(Duration::from_secs(901));
    let (_, body) = env.poll(flow["device_code"].as_str().unwrap()).await;
    assert_eq!(body["error"], "expired_token");
    // Approval of an unknown user or code is refused.
    let (_, flow) = env.devicecode("user.read openid profile").await;
    let bad = env
        .raw(
            "POST",
            "/_emulator/device/approve",
            &[("Content-Type", "application/json")],
            Some(
                json!({"user_code": flow["user_code"], "upn": "nobody@x"})
                    .to_string()
                    .into_bytes(),
            ),
            None,
        )
        .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_error_rules_and_the_mfa_account() {
    let env = Env::new(|_| {}).await;
    let r = rules("token-errors-rules");
    let fields: Vec<String> = r["error_body_fields"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let scope = "https://graph.microsoft.com/.default offline_access";
    let (status, wrong) = env.ropc(&env.admin(), "wrong-password", scope).await;
    assert_eq!(
        (status, wrong["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    for f in &fields {
        assert!(wrong.get(f).is_some(), "{f} missing: {wrong}");
    }
    assert!(
        wrong["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS50126:")
    );
    // The MFA account: refused by the password grant, pointing at the device code flow.
    let mfa = format!("mfa-admin@{}", env.domain());
    let (status, refused) = env.ropc(&mfa, ADMIN_PASSWORD, scope).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_grant")),
        "{refused}"
    );
    assert_eq!(refused["error_codes"], json!([50076]));
    let description = refused["error_description"].as_str().unwrap();
    assert!(
        description.starts_with("AADSTS50076:") && description.contains("device code"),
        "{description}"
    );
    // ...and signed in by the device code flow.
    let (_, flow) = env
        .form(
            &format!("/{}/oauth2/v2.0/devicecode", env.tenant),
            &[("client_id", &env.client_id), ("scope", scope)],
        )
        .await;
    env.raw(
        "POST",
        "/_emulator/device/approve",
        &[("Content-Type", "application/json")],
        Some(
            json!({"user_code": flow["user_code"], "upn": mfa})
                .to_string()
                .into_bytes(),
        ),
        None,
    )
    .await;
    let (status, tokens) = env
        .form(
            &format!("/{}/oauth2/v2.0/token", env.tenant),
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", &env.client_id),
                ("device_code", flow["device_code"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    let me = env
        .raw(
            "GET",
            "/v1.0/me",
            &[],
            None,
            tokens["access_token"].as_str(),
        )
        .await;
    assert_eq!(me.body["userPrincipalName"], mfa.as_str());
    // Other refusals.
    let path = format!("/{}/oauth2/v2.0/token", env.tenant);
    let (_, body) = env
        .form(
            &path,
            &[("grant_type", "magic"), ("client_id", &env.client_id)],
        )
        .await;
    assert_eq!(body["error"], "unsupported_grant_type");
    let (_, body) = env
        .form(
            "/common/oauth2/v2.0/token",
            &[
                ("grant_type", "password"),
                ("client_id", &env.client_id),
                ("username", &env.admin()),
                ("password", ADMIN_PASSWORD),
                ("scope", scope),
            ],
        )
        .await;
    assert_eq!(body["error"], "invalid_request");
    let (status, body) = env
        .form(
            &path,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &env.client_id),
                ("client_secret", "wrong"),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (_, body) = env
        .form(
            &path,
            &[
                ("grant_type", "password"),
                ("client_id", "11111111-1111-1111-1111-111111111111"),
                ("username", &env.admin()),
                ("password", ADMIN_PASSWORD),
                ("scope", scope),
            ],
        )
        .await;
    assert_eq!(body["error"], "unauthorized_client");
}

// ------------------------------------------------------------------------------------------
// Tokens, sign-in flows, persistence, the request log, faults, TLS.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_expire_and_refresh_tokens_renew_them() {
    let mut env = Env::new(|c| c.token_lifetime = Duration::from_secs(60)).await;
    let (_, tokens) = env
        .ropc(
            &env.admin(),
            ADMIN_PASSWORD,
            "https://graph.microsoft.com/.default offline_access",
        )
        .await;
    assert_eq!(tokens["expires_in"], 60);
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        env.raw("GET", "/v1.0/me", &[], None, Some(&access))
            .await
            .status,
        200
    );
    env.clock.advance(Duration::from_secs(61));
    let expired = env.raw("GET", "/v1.0/me", &[], None, Some(&access)).await;
    assert_eq!(
        (expired.status, code(&expired)),
        (401, "InvalidAuthenticationToken")
    );
    let path = format!("/{}/oauth2/v2.0/token", env.tenant);
    let (status, renewed) = env
        .form(
            &path,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &env.client_id),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(status, 200, "{renewed}");
    assert!(renewed["refresh_token"].is_string());
    assert_eq!(
        env.raw(
            "GET",
            "/v1.0/me",
            &[],
            None,
            renewed["access_token"].as_str()
        )
        .await
        .status,
        200
    );
    // The test's own token expired with the clock: use the renewed one from here on.
    env.token = renewed["access_token"].as_str().unwrap().to_owned();
    let (_, bad) = env
        .form(
            &path,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &env.client_id),
                ("refresh_token", "nope"),
            ],
        )
        .await;
    assert_eq!(bad["error"], "invalid_grant");
    // A password reset through Graph changes what the password grant accepts.
    let user = env.create_user("reset", "Reset Me").await;
    let upn = format!("reset@{}", env.domain());
    let new_password = "N3w-Passw0rd-After-Reset";
    let r = env.graph("PATCH", &format!("/v1.0/users/{user}"), Some(json!({"passwordProfile": {"forceChangePasswordNextSignIn": false, "password": new_password}}))).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        env.ropc(&upn, USER_PASSWORD, "User.Read").await.1["error"],
        "invalid_grant"
    );
    assert_eq!(env.ropc(&upn, new_password, "User.Read").await.0, 200);
    // Application tokens: /me is refused, the directory is readable.
    let (_, app) = env
        .form(
            &path,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &env.client_id),
                ("client_secret", CLIENT_SECRET),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
        )
        .await;
    assert!(app.get("refresh_token").is_none());
    let app_token = app["access_token"].as_str().unwrap();
    assert_eq!(
        env.raw("GET", "/v1.0/me", &[], None, Some(app_token))
            .await
            .status,
        400
    );
    assert_eq!(
        env.raw("GET", "/v1.0/users", &[], None, Some(app_token))
            .await
            .status,
        200
    );
    // A registered application's own secret works for client credentials.
    let created = env
        .graph(
            "POST",
            "/v1.0/applications",
            Some(json!({"displayName": "Daemon"})),
        )
        .await;
    let secret = env
        .graph(
            "POST",
            &format!(
                "/v1.0/applications/{}/addPassword",
                created.body["id"].as_str().unwrap()
            ),
            Some(json!({"passwordCredential": {"displayName": "s"}})),
        )
        .await;
    assert_eq!(secret.status, 200);
    let (status, _) = env
        .form(
            &path,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", created.body["appId"].as_str().unwrap()),
                ("client_secret", secret.body["secretText"].as_str().unwrap()),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let listed = env
        .graph(
            "GET",
            &format!(
                "/v1.0/applications/{}",
                created.body["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert!(
        listed.body["passwordCredentials"][0]["secretText"].is_null(),
        "the secret is shown once only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_code_with_pkce_signs_in_the_hinted_user() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let env = Env::new(|_| {}).await;
    let verifier = "a-verifier-of-enough-length-0123456789-abcdefghijklmnop";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let redirect = "http://127.0.0.1:53682/callback";
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("client_id", env.client_id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", redirect),
            (
                "scope",
                "openid offline_access https://graph.microsoft.com/.default",
            ),
            ("state", "xyz"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("login_hint", &env.admin()),
        ])
        .finish();
    let resp = env
        .raw(
            "GET",
            &format!("/{}/oauth2/v2.0/authorize?{query}", env.tenant),
            &[],
            None,
            None,
        )
        .await;
    assert_eq!(resp.status, 302);
    let location = url::Url::parse(resp.headers["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(redirect));
    let pairs: std::collections::HashMap<String, String> =
        location.query_pairs().into_owned().collect();
    assert_eq!(pairs["state"], "xyz");
    let code = pairs["code"].clone();
    let path = format!("/{}/oauth2/v2.0/token", env.tenant);
    let exchange = |verifier: &'static str, code: String| {
        let env = &env;
        let path = path.clone();
        async move {
            env.form(
                &path,
                &[
                    ("grant_type", "authorization_code"),
                    ("client_id", &env.client_id),
                    ("code", &code),
                    ("redirect_uri", redirect),
                    ("code_verifier", verifier),
                ],
            )
            .await
        }
    };
    let (status, bad) = exchange("wrong-verifier", code.clone()).await;
    assert_eq!(
        (status, bad["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // A code is single-use, even after a failed attempt: start again.
    let resp = env
        .raw(
            "GET",
            &format!("/{}/oauth2/v2.0/authorize?{query}", env.tenant),
            &[],
            None,
            None,
        )
        .await;
    let location = url::Url::parse(resp.headers["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let (status, tokens) = exchange(verifier, code.clone()).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["id_token"].is_string() && tokens["refresh_token"].is_string());
    assert_eq!(
        env.raw(
            "GET",
            "/v1.0/me",
            &[],
            None,
            tokens["access_token"].as_str()
        )
        .await
        .body["userPrincipalName"],
        env.admin().as_str()
    );
    let (_, reused) = exchange(verifier, code).await;
    assert_eq!(reused["error"], "invalid_grant");
    // Unknown hint: an error redirect; a non-loopback redirect_uri: no redirect at all.
    let unknown = query.replace("login_hint=admin", "login_hint=ghost");
    let resp = env
        .raw(
            "GET",
            &format!("/{}/oauth2/v2.0/authorize?{unknown}", env.tenant),
            &[],
            None,
            None,
        )
        .await;
    assert!(
        resp.headers["location"]
            .to_str()
            .unwrap()
            .contains("error=interaction_required")
    );
    let evil = query.replace("127.0.0.1", "evil.example");
    let resp = env
        .raw(
            "GET",
            &format!("/{}/oauth2/v2.0/authorize?{evil}", env.tenant),
            &[],
            None,
            None,
        )
        .await;
    assert_eq!(resp.status, 400);
    assert!(resp.headers.get("location").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_survives_a_restart() {
    let dir = temp_dir("restart");
    let mut env = Env::in_dir(dir.clone(), |c| c.domains = vec!["fabrikam.com".to_owned()]).await;
    let tenant = env.tenant.clone();
    let user = env.create_user("persist", "Persistent User").await;
    let group = env.create_group("persisted", false).await;
    let r = env.graph("POST", &format!("/v1.0/groups/{group}/members/$ref"), Some(json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{user}")}))).await;
    assert_eq!(r.status, 204);
    let pages = env.round("/v1.0/users/delta").await;
    let delta_link = env.local(pages.last().unwrap()["@odata.deltaLink"].as_str().unwrap());
    let (_, before) = env
        .ropc(
            &env.admin(),
            ADMIN_PASSWORD,
            "https://graph.microsoft.com/.default offline_access",
        )
        .await;
    let refresh = before["refresh_token"].as_str().unwrap().to_owned();
    env.stop().await;

    // Same directory, no secrets given: the stored ones still work.
    let clock = Arc::new(ManualClock::default());
    let mut cfg = config(&dir, &clock);
    cfg.admin_password = None;
    cfg.client_secret = None;
    let emu = start(cfg).await.unwrap();
    assert_eq!(emu.credentials.tenant_id, tenant);
    assert!(emu.credentials.admin_password.is_none() && !emu.credentials.admin_password_generated);
    let mut env2 = Env {
        base: emu.base_url(),
        emu: Some(emu),
        token: String::new(),
        ..env
    };
    let (status, tokens) = env2
        .ropc(
            &env2.admin(),
            ADMIN_PASSWORD,
            "https://graph.microsoft.com/.default",
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    env2.token = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        env2.graph("GET", &format!("/v1.0/users/{user}"), None)
            .await
            .body["displayName"],
        "Persistent User"
    );
    let members = env2
        .graph("GET", &format!("/v1.0/groups/{group}/members"), None)
        .await;
    assert_eq!(members.body["value"][0]["id"], user.as_str());
    assert_eq!(
        env2.graph("GET", "/v1.0/domains/fabrikam.com", None)
            .await
            .body["isVerified"],
        true
    );
    // Access tokens died with the process; refresh tokens did not.
    let old_access = before["access_token"].as_str().unwrap();
    assert_eq!(
        env2.raw("GET", "/v1.0/me", &[], None, Some(old_access))
            .await
            .status,
        401
    );
    let path = format!("/{}/oauth2/v2.0/token", env2.tenant);
    let (status, renewed) = env2
        .form(
            &path,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &env2.client_id),
                ("refresh_token", &refresh),
            ],
        )
        .await;
    assert_eq!(status, 200, "{renewed}");
    // The delta link of the first run still works (empty: nothing changed).
    let base = env2.base.clone();
    let link = delta_link.replace(&base, "");
    assert_eq!(
        env2.graph("GET", &link, None).await.body["value"],
        json!([])
    );
    // Unique values are still enforced after the restart.
    let dup = env2.graph("POST", "/v1.0/users", Some(json!({"accountEnabled": true, "displayName": "Dup", "mailNickname": "persist",
        "userPrincipalName": format!("PERSIST@{}", env2.domain()), "passwordProfile": {"password": USER_PASSWORD}}))).await;
    assert_eq!(dup.status, 400);
    env2.stop().await;
    let _ = std::fs::remove_dir_all(&env2.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_log_records_requests_but_no_secrets() {
    let env = Env::new(|_| {}).await;
    let (_, ropc) = env
        .ropc(
            &env.admin(),
            ADMIN_PASSWORD,
            "https://graph.microsoft.com/.default offline_access",
        )
        .await;
    let user = env.create_user("logged", "Logged User").await;
    let app = env
        .graph(
            "POST",
            "/v1.0/applications",
            Some(json!({"displayName": "Logged"})),
        )
        .await;
    let secret = env
        .graph(
            "POST",
            &format!(
                "/v1.0/applications/{}/addPassword",
                app.body["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    let secret_text = secret.body["secretText"].as_str().unwrap().to_owned();
    let path = format!("/{}/oauth2/v2.0/token", env.tenant);
    let (_, cc) = env
        .form(
            &path,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &env.client_id),
                ("client_secret", CLIENT_SECRET),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
        )
        .await;
    let before = env.raw("GET", "/_emulator/requests", &[], None, None).await;
    let reads_only_since = before.body.as_array().unwrap().last().unwrap()["seq"]
        .as_u64()
        .unwrap();
    assert_eq!(
        env.graph("GET", &format!("/v1.0/users/{user}"), None)
            .await
            .status,
        200
    );

    let file = std::fs::read_to_string(env.dir.join("requests.jsonl")).unwrap();
    let served = env
        .raw("GET", "/_emulator/requests", &[], None, None)
        .await
        .body
        .to_string();
    for text in [&file, &served] {
        for secret in [
            ADMIN_PASSWORD,
            USER_PASSWORD,
            CLIENT_SECRET,
            &secret_text,
            &env.token,
            ropc["access_token"].as_str().unwrap(),
            ropc["refresh_token"].as_str().unwrap(),
            cc["access_token"].as_str().unwrap(),
        ] {
            assert!(!text.contains(secret), "the log holds a secret");
        }
        assert!(!text.to_lowercase().contains("bearer") && !text.contains("authorization"));
    }
    let entries: Vec<Value> = file
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let create = entries
        .iter()
        .find(|e| e["method"] == "POST" && e["path"] == "/v1.0/users")
        .unwrap();
    assert_eq!(
        (create["status"].as_u64(), create["write"].as_bool()),
        (Some(201), Some(true))
    );
    assert!(create["time"].as_str().unwrap().ends_with('Z'));
    // A caller can prove that nothing was written after a point.
    let since = env
        .raw(
            "GET",
            &format!("/_emulator/requests?since={reads_only_since}"),
            &[],
            None,
            None,
        )
        .await;
    let later = since.body.as_array().unwrap();
    assert_eq!(later.len(), 1);
    assert!(later.iter().all(|e| e["write"] == false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_injection_fails_about_the_configured_share_reproducibly() {
    let run = |seed: u64| async move {
        let env = Env::new(|c| {
            c.fault_rate = 0.3;
            c.seed = seed;
        })
        .await;
        let mut outcomes = Vec::new();
        for _ in 0..300 {
            let sent = env
                .http
                .get(format!("{}/v1.0/organization", env.base))
                .bearer_auth(&env.token)
                .send()
                .await;
            let outcome = match sent {
                Err(_) => 0,
                Ok(r) => {
                    let status = r.status().as_u16();
                    match r.bytes().await {
                        Ok(_) => status,
                        Err(_) => 0,
                    }
                }
            };
            outcomes.push(outcome);
        }
        outcomes
    };
    let first = run(42).await;
    let failed = first.iter().filter(|s| **s != 200).count();
    assert!((50..=130).contains(&failed), "{failed} of 300 failed");
    for kind in [503, 504, 0] {
        assert!(first.contains(&kind), "no {kind} among {first:?}");
    }
    assert!(first.iter().all(|s| [200, 503, 504, 0].contains(s)));
    assert_eq!(first, run(42).await, "the same seed gives the same faults");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_only_on_loopback_and_tls_elsewhere() {
    let dir = temp_dir("tls");
    let clock = Arc::new(ManualClock::default());
    let mut cfg = config(&dir, &clock);
    cfg.listen = "0.0.0.0:0".parse().unwrap();
    let refused = start(cfg.clone()).await.unwrap_err();
    assert!(refused.to_string().contains("--tls-cert"), "{refused}");
    // With a certificate (made by openssl when the machine has it) the same address serves TLS.
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    if !made.is_ok_and(|o| o.status.success()) {
        eprintln!("openssl is not available: the TLS half of this test is skipped");
        return;
    }
    cfg.tls = Some(skybridge::emulator::TlsFiles {
        cert: cert.clone(),
        key,
    });
    let emu = start(cfg).await.unwrap();
    assert!(emu.base_url().starts_with("https://"));
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(&cert).unwrap();
    use rustls::pki_types::pem::PemObject as _;
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .build()
        .unwrap();
    let url = format!(
        "https://127.0.0.1:{}/{}/oauth2/v2.0/token",
        emu.addr.port(),
        emu.credentials.tenant_id
    );
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "client_credentials"),
            ("client_id", emu.credentials.client_id.as_str()),
            ("client_secret", CLIENT_SECRET),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .finish();
    let r = client
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    emu.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_graph_errors_never_a_crash() {
    let env = Env::new(|_| {}).await;
    let cases: Vec<(&str, &str, Option<&[u8]>)> = vec![
        ("POST", "/v1.0/users", Some(b"[1,2,3]")),
        ("POST", "/v1.0/users", Some(b"")),
        ("PATCH", "/v1.0/users/%ZZ", Some(b"{}")),
        ("GET", "/v1.0/users?$filter=((((((((", None),
        (
            "GET",
            "/v1.0/users?$filter=displayName%20eq%20'unterminated",
            None,
        ),
        ("GET", "/v1.0/users?$select=", None),
        ("POST", "/v1.0/$batch", Some(b"{\"requests\": \"no\"}")),
        (
            "POST",
            "/v1.0/groups/00000000-0000-0000-0000-000000000000/members/$ref",
            Some(b"{}"),
        ),
        (
            "POST",
            "/v1.0/directoryObjects/getByIds",
            Some(b"{\"ids\": [1]}"),
        ),
        (
            "GET",
            "/v1.0/directory/deletedItems/microsoft.graph.printer",
            None,
        ),
        ("DELETE", "/v1.0/domains/contoso.onmicrosoft.com", None),
        ("GET", "/v1.0/users/delta?$skiptoken=%00%01", None),
    ];
    for (method, path, body) in cases {
        let mut headers = vec![];
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        let r = env
            .raw(
                method,
                path,
                &headers,
                body.map(<[u8]>::to_vec),
                Some(&env.token),
            )
            .await;
        assert!(
            (400..500).contains(&r.status) || r.status == 200,
            "{method} {path}: {} {}",
            r.status,
            r.body
        );
        if r.status != 200 {
            assert!(
                r.body["error"]["code"].is_string(),
                "{method} {path}: {}",
                r.body
            );
        }
    }
    assert_eq!(
        env.graph("GET", "/v1.0/organization", None).await.status,
        200,
        "still serving"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_permissions_are_granted_by_app_role_assignments_and_enforced() {
    let env = Env::new(|_| {}).await;
    // An application registered through Graph, with a secret and a service principal.
    let app = env
        .graph(
            "POST",
            "/v1.0/applications",
            Some(json!({"displayName": "Permissions test"})),
        )
        .await;
    let (object, app_id) = (
        app.body["id"].as_str().unwrap().to_owned(),
        app.body["appId"].as_str().unwrap().to_owned(),
    );
    let sp = env
        .graph(
            "POST",
            "/v1.0/servicePrincipals",
            Some(json!({ "appId": app_id })),
        )
        .await;
    let sp_id = sp.body["id"].as_str().unwrap().to_owned();
    let secret = env
        .graph(
            "POST",
            &format!("/v1.0/applications/{object}/addPassword"),
            Some(json!({"passwordCredential": {"displayName": "t"}})),
        )
        .await;
    let secret = secret.body["secretText"].as_str().unwrap().to_owned();
    let token = || async {
        let (status, body) = env
            .form(
                &format!("/{}/oauth2/v2.0/token", env.tenant),
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &app_id),
                    ("client_secret", &secret),
                    ("scope", "https://graph.microsoft.com/.default"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    };
    let as_app = |method: &'static str, path: &'static str, token: String, body: Option<Value>| {
        let env = &env;
        async move {
            let mut headers = Vec::new();
            if body.is_some() {
                headers.push(("Content-Type", "application/json"));
            }
            env.raw(
                method,
                path,
                &headers,
                body.map(|b| b.to_string().into_bytes()),
                Some(&token),
            )
            .await
        }
    };
    // No permission yet: refused as the tenant refuses it.
    let before = token().await;
    let denied = as_app("GET", "/v1.0/users", before.clone(), None).await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.body["error"]["code"], "Authorization_RequestDenied");

    // Microsoft Graph's service principal is in the tenant with its application permissions.
    let graph = env
        .graph(
            "GET",
            "/v1.0/servicePrincipals?$filter=appId eq '00000003-0000-0000-c000-000000000000'",
            None,
        )
        .await;
    let graph = &graph.body["value"][0];
    let graph_id = graph["id"].as_str().unwrap().to_owned();
    let role = |value: &str| {
        graph["appRoles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["value"] == value)
            .and_then(|r| r["id"].as_str())
            .unwrap()
            .to_owned()
    };
    let read_users = role("User.Read.All");
    let path = format!("/v1.0/servicePrincipals/{graph_id}/appRoleAssignedTo");
    let grant = |role_id: String| {
        let env = &env;
        let path = path.clone();
        let body = json!({"principalId": sp_id, "resourceId": graph_id, "appRoleId": role_id});
        async move { env.graph("POST", &path, Some(body)).await }
    };
    let granted = grant(read_users.clone()).await;
    assert_eq!(granted.status, 201, "{}", granted.body);
    assert_eq!(granted.body["principalType"], "ServicePrincipal");
    assert_eq!(granted.body["resourceDisplayName"], "Microsoft Graph");
    assert_eq!(grant(read_users.clone()).await.status, 400, "granted twice");
    assert_eq!(
        grant("00000000-0000-0000-0000-000000000000".into())
            .await
            .status,
        400,
        "not a role of Microsoft Graph"
    );
    let listed = env
        .graph(
            "GET",
            &format!("/v1.0/servicePrincipals/{sp_id}/appRoleAssignments"),
            None,
        )
        .await;
    assert_eq!(listed.body["value"].as_array().unwrap().len(), 1);

    // A token holds the roles granted when it was issued: the old one is still refused; a
    // new one may read users, not change them.
    assert_eq!(as_app("GET", "/v1.0/users", before, None).await.status, 403);
    let after = token().await;
    assert_eq!(
        as_app("GET", "/v1.0/users", after.clone(), None)
            .await
            .status,
        200
    );
    let create = json!({"accountEnabled": true, "displayName": "X", "mailNickname": "x",
        "userPrincipalName": format!("x@{}", env.domain()),
        "passwordProfile": {"password": "Long-Passw0rd-2", "forceChangePasswordNextSignIn": false}});
    let refused = as_app("POST", "/v1.0/users", after, Some(create)).await;
    assert_eq!(refused.status, 403);
}
