//! Contract tests of the tenant client: each documented exchange in `tests/data/graph-fixtures/`
//! is served by a stub exactly as documented, and the client must send the documented request
//! and understand the documented answer. The stub knows nothing of our client.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::{Value, json};
use skybridge::clock::{Clock, ManualClock};
use skybridge::secret::Secret;
use skybridge::tenant::TenantError;
use skybridge::tenant::auth::{Authority, IdentityClient, TokenSource};
use skybridge::tenant::graph::{BatchItem, GraphClient, RetryPolicy, WriteLimiter};

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/data/graph-fixtures/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("fixture JSON")
}

/// One answer the stub gives.
#[derive(Clone, Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Answer {
    fn from_fixture(f: &Value) -> Answer {
        let r = &f["response"];
        Answer {
            status: r["status"].as_u64().expect("status") as u16,
            headers: r["headers"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default(),
            body: r["body"].clone(),
        }
    }
}

struct Route {
    method: Method,
    /// Path template with `{placeholders}`, query ignored.
    path: String,
    answers: VecDeque<Answer>,
}

#[derive(Clone, Debug)]
struct Seen {
    method: Method,
    uri: String,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone)]
struct Stub {
    routes: Arc<Mutex<Vec<Route>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    origin: String,
}

fn matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(a, b)| (a.starts_with('{') && a.ends_with('}')) || a == b)
}

impl Stub {
    async fn start() -> Stub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let origin = format!("http://{}", listener.local_addr().expect("addr"));
        let stub = Stub {
            routes: Arc::new(Mutex::new(Vec::new())),
            seen: Arc::new(Mutex::new(Vec::new())),
            origin,
        };
        let state = stub.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move { state.answer(method, uri, headers, body) }
            },
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        stub
    }

    /// Serves `answers` in turn (the last one repeats) for `method path`.
    fn route(&self, method: &str, path: &str, answers: Vec<Answer>) {
        self.routes.lock().expect("lock").push(Route {
            method: method.parse().expect("method"),
            path: path.split('?').next().unwrap_or(path).to_string(),
            answers: answers.into(),
        });
    }

    /// Serves a fixture's documented response for its documented request.
    fn serve(&self, name: &str) {
        let f = fixture(name);
        let method = f["request"]["method"].as_str().expect("method").to_string();
        let url = f["request"]["url"].as_str().expect("url").to_string();
        self.route(&method, &url, vec![Answer::from_fixture(&f)]);
    }

    fn answer(
        &self,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        self.seen.lock().expect("lock").push(Seen {
            method: method.clone(),
            uri: uri.to_string(),
            headers,
            body,
        });
        let mut routes = self.routes.lock().expect("lock");
        let Some(route) = routes
            .iter_mut()
            .find(|r| r.method == method && matches(&r.path, uri.path()))
        else {
            return (StatusCode::NOT_FOUND, format!("no stub for {method} {uri}")).into_response();
        };
        let answer = if route.answers.len() > 1 {
            route.answers.pop_front().expect("answer")
        } else {
            route.answers.front().cloned().expect("answer")
        };
        // Documented absolute links name graph.microsoft.com: point them at the stub.
        let body = serde_json::to_string(&answer.body)
            .expect("json")
            .replace("https://graph.microsoft.com", &self.origin);
        let mut response = if answer.body.is_null() {
            StatusCode::from_u16(answer.status)
                .expect("status")
                .into_response()
        } else {
            (
                StatusCode::from_u16(answer.status).expect("status"),
                [("content-type", "application/json")],
                body,
            )
                .into_response()
        };
        for (k, v) in &answer.headers {
            if k.eq_ignore_ascii_case("content-type") {
                continue;
            }
            if let (Ok(name), Ok(value)) = (
                axum::http::HeaderName::from_bytes(k.as_bytes()),
                axum::http::HeaderValue::from_str(v),
            ) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    fn form(seen: &Seen) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&seen.body)
            .into_owned()
            .collect()
    }
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::default())
}

fn identity(stub: &Stub, clock: Arc<dyn Clock>) -> IdentityClient {
    IdentityClient::new(
        http(),
        Authority::parse(&format!("{}/contoso.onmicrosoft.com", stub.origin)).expect("authority"),
        "535fb089-9ff3-47b6-9bfb-4f1264799865",
        clock,
    )
    .expect("identity client")
}

fn http() -> reqwest::Client {
    skybridge::tenant::graph::http_client(None, Duration::from_secs(20)).expect("HTTP client")
}

const SCOPE: &str = "https://graph.microsoft.com/.default";

/// A Graph client signed in with the documented client-credentials exchange.
async fn graph(stub: &Stub, clock: Arc<ManualClock>) -> GraphClient {
    stub.serve("token-client-credentials");
    let id = identity(stub, clock.clone());
    let source = TokenSource::from_client_secret(id, SCOPE, Secret::new("sampleCredentials"))
        .await
        .expect("client credentials");
    GraphClient::new(
        http(),
        &format!("{}/v1.0/", stub.origin),
        Arc::new(source),
        clock,
    )
    .expect("graph client")
}

#[tokio::test]
async fn password_sign_in_sends_the_documented_form_and_keeps_the_refresh_token() {
    let stub = Stub::start().await;
    stub.serve("token-ropc");
    let documented = fixture("token-ropc");
    let tokens = IdentityClient::new(
        http(),
        Authority::parse(&format!("{}/contoso.onmicrosoft.com", stub.origin)).expect("authority"),
        documented["request"]["body_form"]["client_id"]
            .as_str()
            .expect("client id"),
        clock(),
    )
    .expect("identity client")
    .password(
        "MyUsername@myTenant.com",
        &Secret::new("SuperS3cret"),
        "user.read",
    )
    .await
    .expect("signed in");
    assert!(tokens.refresh_token.is_some());
    assert_eq!(format!("{:?}", tokens.access_token), "***");
    let seen = stub.seen();
    let form = Stub::form(&seen[0]);
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    for key in ["client_id", "username", "password", "grant_type"] {
        assert_eq!(
            get(key),
            documented["request"]["body_form"][key].as_str(),
            "{key}"
        );
    }
    assert!(get("scope").is_some_and(|s| s.contains("offline_access")));
    assert!(
        seen[0]
            .uri
            .ends_with("/contoso.onmicrosoft.com/oauth2/v2.0/token")
    );
}

#[tokio::test]
async fn identity_errors_are_typed_and_explained() {
    let stub = Stub::start().await;
    stub.serve("token-error-invalid-scope");
    let error = identity(&stub, clock())
        .client_credentials(&Secret::new("x"), "https://foo.microsoft.com/.default")
        .await
        .expect_err("refused");
    match &error {
        TenantError::Identity {
            code, error_codes, ..
        } => {
            assert_eq!(code, "invalid_scope");
            assert_eq!(error_codes, &[70011]);
        }
        other => panic!("{other}"),
    }
    let text = error.to_string();
    assert!(
        text.contains("AADSTS70011") && !text.contains("Trace ID"),
        "{text}"
    );
}

#[tokio::test]
async fn an_mfa_account_signing_in_with_a_password_is_told_to_use_a_device_code() {
    let stub = Stub::start().await;
    stub.route(
        "POST",
        "/{tenant}/oauth2/v2.0/token",
        vec![Answer {
            status: 400,
            headers: vec![],
            body: json!({"error": "invalid_grant", "error_description": "AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000003-0000-0000-c000-000000000000'.\r\nTrace ID: 1", "error_codes": [50076]}),
        }],
    );
    let text = identity(&stub, clock())
        .password("mfa@contoso.com", &Secret::new("pw"), SCOPE)
        .await
        .expect_err("refused")
        .to_string();
    assert!(text.contains("device code"), "{text}");
}

#[tokio::test]
async fn device_code_polls_at_the_interval_until_signed_in() {
    let stub = Stub::start().await;
    stub.route(
        "POST",
        "/{tenant}/oauth2/v2.0/devicecode",
        vec![Answer {
            status: 200,
            headers: vec![],
            body: json!({"device_code": "GMMhmHCXhWEzkobqIHGG_EnNYYsAkukHspeYUk9E8", "user_code": "DA3TNFH7Q",
                "verification_uri": "https://microsoft.com/devicelogin", "expires_in": 900, "interval": 5,
                "message": "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code DA3TNFH7Q to authenticate."}),
        }],
    );
    let pending = Answer {
        status: 400,
        headers: vec![],
        body: json!({"error": "authorization_pending", "error_description": "AADSTS70016: pending", "error_codes": [70016]}),
    };
    let slow = Answer {
        status: 400,
        headers: vec![],
        body: json!({"error": "slow_down", "error_description": "slow down"}),
    };
    let success = Answer::from_fixture(&fixture("token-device-code-poll-success"));
    stub.route(
        "POST",
        "/{tenant}/oauth2/v2.0/token",
        vec![pending.clone(), slow, pending, success],
    );
    let clock = clock();
    let id = identity(&stub, clock.clone());
    let prompt = id.device_code(SCOPE).await.expect("code");
    assert_eq!(prompt.user_code, "DA3TNFH7Q");
    assert!(prompt.message.contains("DA3TNFH7Q"));
    assert!(
        !format!("{prompt:?}").contains("GMMhmHCX"),
        "the device code stays secret"
    );
    let tokens = id.poll_device_code(&prompt).await.expect("signed in");
    assert!(tokens.refresh_token.is_some());
    // 5 s, 5 s, then slow_down adds 5: 10 s, 10 s.
    assert_eq!(clock.now(), Duration::from_secs(30));
    let polls: Vec<Seen> = stub
        .seen()
        .into_iter()
        .filter(|s| s.uri.ends_with("/token"))
        .collect();
    assert_eq!(polls.len(), 4);
    let form = Stub::form(&polls[0]);
    assert!(form.contains(&(
        "grant_type".into(),
        "urn:ietf:params:oauth:grant-type:device_code".into()
    )));
    assert!(form.contains(&(
        "device_code".into(),
        "GMMhmHCXhWEzkobqIHGG_EnNYYsAkukHspeYUk9E8".into()
    )));
}

#[tokio::test]
async fn a_declined_or_expired_device_code_ends_with_its_reason() {
    for (error, needle) in [
        ("authorization_declined", "declined"),
        ("expired_token", "expired"),
    ] {
        let stub = Stub::start().await;
        stub.route(
            "POST",
            "/{tenant}/oauth2/v2.0/devicecode",
            vec![Answer {
                status: 200,
                headers: vec![],
                body: json!({"device_code": "d", "user_code": "U", "verification_uri": "https://microsoft.com/devicelogin", "expires_in": 900, "interval": 5}),
            }],
        );
        stub.route(
            "POST",
            "/{tenant}/oauth2/v2.0/token",
            vec![Answer {
                status: 400,
                headers: vec![],
                body: json!({"error": error}),
            }],
        );
        let id = identity(&stub, clock());
        let prompt = id.device_code(SCOPE).await.expect("code");
        let text = id
            .poll_device_code(&prompt)
            .await
            .expect_err("ended")
            .to_string();
        assert!(text.contains(needle), "{text}");
    }
}

#[tokio::test]
async fn organization_and_paged_lists_follow_the_documented_shapes() {
    let stub = Stub::start().await;
    let graph = graph(&stub, clock()).await;
    stub.serve("organization-get");
    let org = graph.organization().await.expect("organization");
    let documented = fixture("organization-get");
    assert_eq!(
        org.display_name,
        documented["response"]["body"]["value"][0]["displayName"]
            .as_str()
            .unwrap_or_default()
    );

    stub.serve("users-list-filter-top-count");
    let mut names = Vec::new();
    let count = graph
        .list(
            "users?$filter=startswith(displayName,'a')&$orderby=displayName&$count=true&$top=1",
            true,
            |u| {
                names.push(u["displayName"].as_str().unwrap_or_default().to_string());
                Ok(())
            },
        )
        .await
        .expect("list");
    assert_eq!(count, Some(1));
    assert_eq!(names, ["a"]);
    let request = stub.seen().into_iter().last().expect("request");
    assert_eq!(request.headers["consistencylevel"], "eventual");
}

#[tokio::test]
async fn delta_follows_next_links_to_the_delta_link() {
    let stub = Stub::start().await;
    let graph = graph(&stub, clock()).await;
    let initial = Answer::from_fixture(&fixture("users-delta-initial"));
    let final_page = Answer::from_fixture(&fixture("users-delta-final"));
    stub.route("GET", "/v1.0/users/delta", vec![initial, final_page]);
    let mut seen = 0;
    let link = graph
        .delta("users/delta?$select=displayName,givenName,surname", |_| {
            seen += 1;
            Ok(())
        })
        .await
        .expect("delta");
    assert!(link.contains("$deltatoken="), "{link}");
    assert!(link.starts_with(&stub.origin));
    assert!(seen >= 2);
    let uris: Vec<String> = stub.seen().iter().map(|s| s.uri.clone()).collect();
    assert!(
        uris.iter().any(|u| u.contains("$skiptoken=")),
        "the nextLink was followed verbatim: {uris:?}"
    );
}

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed_with_the_token() {
    let stub = Stub::start().await;
    let graph = graph(&stub, clock()).await;
    stub.route(
        "GET",
        "/v1.0/users",
        vec![Answer {
            status: 200,
            headers: vec![],
            body: json!({"value": [], "@odata.nextLink": "https://evil.example.com/v1.0/users?$skiptoken=x"}),
        }],
    );
    let error = graph
        .list("users", false, |_| Ok(()))
        .await
        .expect_err("refused");
    assert!(error.to_string().contains("another host"), "{error}");
}

#[tokio::test]
async fn throttled_requests_wait_retry_after_and_then_succeed() {
    let stub = Stub::start().await;
    let clock = clock();
    let graph = graph(&stub, clock.clone()).await;
    let throttled = Answer::from_fixture(&fixture("errors-429-throttled"));
    let created = Answer::from_fixture(&fixture("users-create"));
    stub.route(
        "POST",
        "/v1.0/users",
        vec![throttled.clone(), throttled, created],
    );
    let before = clock.now();
    let body = fixture("users-create")["request"]["body"].clone();
    let user = graph
        .create_user(&body)
        .await
        .expect("created after the throttling");
    assert!(user["id"].is_string());
    // Two waits of the documented Retry-After (2.128 s).
    assert_eq!(clock.now() - before, Duration::from_millis(4256));
}

#[tokio::test]
async fn retries_have_a_cap_and_then_say_so() {
    let stub = Stub::start().await;
    let graph = graph(&stub, clock()).await.with_policy(RetryPolicy {
        attempts: 3,
        base_delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(10),
    });
    stub.route(
        "GET",
        "/v1.0/users",
        vec![Answer {
            status: 503,
            headers: vec![],
            body: Value::Null,
        }],
    );
    let error = graph
        .list("users", false, |_| Ok(()))
        .await
        .expect_err("gave up");
    assert!(
        matches!(
            error,
            TenantError::GaveUp {
                attempts: 3,
                status: 503,
                ..
            }
        ),
        "{error}"
    );
}

#[tokio::test]
async fn members_are_bound_in_chunks_of_twenty() {
    let stub = Stub::start().await;
    let graph = graph(&stub, clock()).await;
    stub.serve("groups-members-add-multiple");
    let ids: Vec<String> = (0..45)
        .map(|i| format!("00000000-0000-0000-0000-{i:012}"))
        .collect();
    graph
        .add_members("02bd9fd6-8f93-4758-87c3-1fb73740a315", &ids)
        .await
        .expect("added");
    let patches: Vec<Seen> = stub
        .seen()
        .into_iter()
        .filter(|s| s.method == Method::PATCH)
        .collect();
    let sizes: Vec<usize> = patches
        .iter()
        .map(|p| {
            let body: Value = serde_json::from_slice(&p.body).expect("json");
            body["members@odata.bind"].as_array().expect("binds").len()
        })
        .collect();
    assert_eq!(sizes, [20, 20, 5]);
    let body: Value = serde_json::from_slice(&patches[0].body).expect("json");
    let first = body["members@odata.bind"][0].as_str().expect("link");
    assert_eq!(
        first,
        format!("{}/v1.0/directoryObjects/{}", stub.origin, ids[0])
    );
}

#[tokio::test]
async fn batches_hold_twenty_and_throttled_items_are_sent_again() {
    let stub = Stub::start().await;
    let clock = clock();
    let graph = graph(&stub, clock.clone()).await;
    // 21 requests: two envelopes. In the first, item 2 is throttled once.
    let ok = |id: &str| json!({"id": id, "status": 201, "body": {"id": format!("u{id}")}});
    let mut first: Vec<Value> = (1..=20).map(|i| ok(&i.to_string())).collect();
    first[1] = json!({"id": "2", "status": 429, "headers": {"Retry-After": "3"}, "body": {"error": {"code": "TooManyRequests", "message": "Please retry again later."}}});
    stub.route(
        "POST",
        "/v1.0/$batch",
        vec![
            Answer {
                status: 200,
                headers: vec![],
                body: json!({"responses": first}),
            },
            Answer {
                status: 200,
                headers: vec![],
                body: json!({"responses": [ok("2")]}),
            },
            Answer {
                status: 200,
                headers: vec![],
                body: json!({"responses": [ok("21")]}),
            },
        ],
    );
    let items: Vec<BatchItem> = (1..=21)
        .map(|i| BatchItem {
            id: i.to_string(),
            method: reqwest::Method::POST,
            url: "/users".into(),
            body: Some(json!({"displayName": format!("u{i}")})),
            depends_on: vec![],
        })
        .collect();
    let answers = graph.batch(items).await.expect("batched");
    assert_eq!(answers.len(), 21);
    assert!(answers.iter().all(|a| a.status == 201));
    assert_eq!(answers[1].id, "2", "answers come back in request order");
    assert_eq!(clock.now(), Duration::from_secs(3));
    let envelopes: Vec<Value> = stub
        .seen()
        .iter()
        .filter(|s| s.uri.ends_with("$batch"))
        .map(|s| serde_json::from_slice(&s.body).expect("json"))
        .collect();
    let sizes: Vec<usize> = envelopes
        .iter()
        .map(|e| e["requests"].as_array().map_or(0, Vec::len))
        .collect();
    assert_eq!(sizes, [20, 1, 1]);
    // The documented request shape: id, method, relative url, body with its Content-Type.
    let documented = fixture("batch-request");
    let sample = &documented["request"]["body"]["requests"][0];
    for key in ["id", "method", "url"] {
        assert!(
            sample.get(key).is_some() && envelopes[0]["requests"][0].get(key).is_some(),
            "{key}"
        );
    }
    assert_eq!(
        envelopes[0]["requests"][0]["headers"]["Content-Type"],
        "application/json"
    );
}

#[tokio::test]
async fn an_expired_token_is_renewed_without_the_caller_noticing() {
    let stub = Stub::start().await;
    let clock = clock();
    let id = identity(&stub, clock.clone());
    stub.serve("token-ropc");
    let tokens = id
        .password("admin@contoso.com", &Secret::new("pw"), SCOPE)
        .await
        .expect("signed in");
    let source = Arc::new(TokenSource::from_user(id, SCOPE, tokens));
    let graph = GraphClient::new(
        http(),
        &format!("{}/v1.0/", stub.origin),
        source,
        clock.clone(),
    )
    .expect("client");
    stub.serve("organization-get");
    graph.organization().await.expect("first call");
    // An hour later the token has expired: the next call renews it with the refresh token.
    clock.advance(Duration::from_secs(3600));
    graph.organization().await.expect("second call");
    let grants: Vec<String> = stub
        .seen()
        .iter()
        .filter(|s| s.uri.ends_with("/token"))
        .flat_map(|s| {
            Stub::form(s)
                .into_iter()
                .filter(|(k, _)| k == "grant_type")
                .map(|(_, v)| v)
        })
        .collect();
    assert_eq!(grants, ["password", "refresh_token"]);

    // And a token the server rejects (401) is renewed once and the request repeated.
    stub.route(
        "GET",
        "/v1.0/domains",
        vec![
            Answer { status: 401, headers: vec![], body: json!({"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired or is not yet valid."}}) },
            Answer { status: 200, headers: vec![], body: json!({"value": [{"id": "contoso.com", "isVerified": true, "authenticationType": "Managed"}]}) },
        ],
    );
    let domains = graph.domains().await.expect("renewed and repeated");
    assert_eq!(domains[0].id, "contoso.com");
}

#[tokio::test]
async fn the_write_limiter_keeps_a_burst_under_the_budget() {
    let stub = Stub::start().await;
    let clock = clock();
    let limiter = Arc::new(WriteLimiter::new(
        50,
        Duration::from_secs(30),
        clock.clone(),
    ));
    let graph = graph(&stub, clock.clone()).await.with_limiter(limiter);
    stub.serve("users-update");
    for i in 0..120 {
        graph
            .update_user(&format!("u{i}"), &json!({"department": "Sales"}))
            .await
            .expect("updated");
    }
    // 120 writes at 50 per 30 s need two full windows of waiting.
    assert_eq!(clock.now(), Duration::from_secs(60));
}

#[tokio::test]
async fn read_only_properties_never_leave_the_client() {
    let stub = Stub::start().await;
    let graph = graph(&stub, clock()).await;
    let rules = fixture("users-rules");
    for key in rules["rules"]["read_only"].as_array().expect("list") {
        let key = key.as_str().expect("name");
        let error = graph
            .update_user("u1", &json!({ key: "x" }))
            .await
            .expect_err("refused before sending");
        assert!(error.to_string().contains(key), "{error}");
    }
    assert!(
        stub.seen().iter().all(|s| s.method != Method::PATCH),
        "nothing was sent"
    );
}

/// Every documented Graph exchange, replayed through the client: it sends the documented
/// request (method, path, body, headers) and hands back the documented answer — the body for a
/// success, Graph's error code for a failure. (Token exchanges are replayed by the sign-in
/// tests above; typed operations by the tests before this one.)
#[tokio::test]
async fn every_documented_graph_exchange_replays_through_the_client() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/graph-fixtures");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixtures")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
        .collect();
    names.sort();
    let mut replayed = 0;
    for name in names {
        let f = fixture(&name);
        if f["kind"] != "exchange" {
            continue;
        }
        let url = f["request"]["url"].as_str().expect("url");
        let (root, rest) = if let Some(rest) = url.strip_prefix("/v1.0/") {
            ("v1.0", rest)
        } else if let Some(rest) = url.strip_prefix("/beta/") {
            ("beta", rest)
        } else {
            continue; // identity platform exchanges
        };
        let stub = Stub::start().await;
        let clock = clock();
        stub.serve("token-client-credentials");
        let id = identity(&stub, clock.clone());
        let source = TokenSource::from_client_secret(id, SCOPE, Secret::new("s"))
            .await
            .expect("signed in");
        let graph = GraphClient::new(
            http(),
            &format!("{}/{root}/", stub.origin),
            Arc::new(source),
            clock,
        )
        .expect("client")
        .with_policy(RetryPolicy {
            attempts: 1,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
        });
        stub.serve(&name);
        // Placeholders such as {id} become a real-looking id.
        let mut path = String::new();
        let mut inside = false;
        for c in rest.chars() {
            match c {
                '{' => {
                    inside = true;
                    path.push_str("00000000-0000-0000-0000-000000000001");
                }
                '}' => inside = false,
                c if !inside => path.push(c),
                _ => {}
            }
        }
        let method: reqwest::Method = f["request"]["method"]
            .as_str()
            .expect("method")
            .parse()
            .expect("method");
        let headers: Vec<(String, String)> = f["request"]["headers"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case("ConsistencyLevel"))
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let header_refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let body = f["request"]["body"].clone();
        let body = (!body.is_null()).then_some(body);
        let outcome = graph.send(method, &path, body.as_ref(), &header_refs).await;
        let documented = &f["response"];
        let status = documented["status"].as_u64().expect("status") as u16;
        if status < 400 {
            let (got_status, got_body) = outcome.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(got_status, status, "{name}");
            let expected: Value = serde_json::from_str(
                &serde_json::to_string(&documented["body"])
                    .expect("json")
                    .replace("https://graph.microsoft.com", &stub.origin),
            )
            .expect("json");
            assert_eq!(
                got_body, expected,
                "{name}: the documented answer comes back whole"
            );
        } else {
            let error = outcome.expect_err(&name);
            match status {
                429 => assert!(
                    matches!(error, TenantError::GaveUp { status: 429, .. }),
                    "{name}: {error}"
                ),
                _ => assert_eq!(
                    error.graph_code(),
                    documented["body"]["error"]["code"].as_str(),
                    "{name}: {error}"
                ),
            }
        }
        let sent = stub
            .seen()
            .into_iter()
            .find(|s| s.uri.starts_with(&format!("/{root}/")))
            .unwrap_or_else(|| panic!("{name}: nothing reached Graph"));
        if let Some(body) = &body {
            let got: Value = serde_json::from_slice(&sent.body).expect("a JSON body");
            assert_eq!(
                &got, body,
                "{name}: the documented request body is sent as is"
            );
        }
        for (k, v) in &headers {
            assert_eq!(sent.headers[k.as_str()], v.as_str(), "{name}: header {k}");
        }
        replayed += 1;
    }
    assert!(replayed >= 45, "only {replayed} exchanges replayed");
}

#[tokio::test]
async fn a_dependent_batch_over_twenty_is_refused_before_sending() {
    let stub = Stub::start().await;
    let graph = graph(&stub, clock()).await;
    let items: Vec<BatchItem> = (1..=21)
        .map(|i| BatchItem {
            id: i.to_string(),
            method: reqwest::Method::POST,
            url: "/users".into(),
            body: Some(json!({})),
            depends_on: if i > 1 {
                vec![(i - 1).to_string()]
            } else {
                vec![]
            },
        })
        .collect();
    let error = graph.batch(items).await.expect_err("refused");
    assert!(error.to_string().contains("at most 20"), "{error}");
    assert!(stub.seen().iter().all(|s| !s.uri.ends_with("$batch")));
}
