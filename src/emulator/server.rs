//! The HTTP front: one axum fallback handler that reads the request, routes it to the identity
//! platform, Graph or the emulator's control API, applies fault injection and the bearer check
//! to Graph, and writes the request log.
//!
//! Control API (emulator only, not part of Graph, unauthenticated — the emulator is a test tool):
//!
//! | request | effect |
//! |---|---|
//! | `GET /_emulator/requests[?since=N]` | the request log as a JSON array |
//! | `POST /_emulator/dns {"domain","txt"}` | publish a TXT record, so `POST /domains/{id}/verify` can succeed |
//! | `POST /_emulator/device/approve {"user_code","upn"}` | the user finishes a device code sign-in |
//! | `POST /_emulator/device/decline {"user_code"}` | the user refuses it |
//! | `GET /_emulator/device` | what a person would do at the verification URI |
//! | `POST /_emulator/contacts {"displayName",…}` | add an organizational contact (Graph cannot) |
//! | `GET /_emulator/tenant` | tenant id, initial domain, built-in client id |
//! | `POST /_emulator/mailbox {"id","smtp"}` | give a user a mailbox: `mail` and primary proxy address (as Exchange Online would) |

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::GraphError;
use super::faults::Fault;
use super::graph::{self, Reply, Req};
use super::identity::{self, Authorize};
use super::log::{LogEntry, redact};
use super::odata::Query;
use super::state::Tenant;
use super::store::Kind;
use super::timefmt;
use super::util;

/// Largest request body accepted (bigger ones get 413).
pub const MAX_BODY: usize = 4 * 1024 * 1024;

const JSON_TYPE: &str = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/// The router: every request goes to one fallback handler.
pub fn router(tenant: Arc<Tenant>) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(tenant)
}

struct Outcome {
    response: Response,
    status: u16,
    write: bool,
    logged: bool,
}

async fn handle(State(t): State<Arc<Tenant>>, request: Request) -> Response {
    let started = Instant::now();
    let arrived = t.now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let raw_query = request.uri().query().unwrap_or_default().to_owned();
    let headers = request.headers().clone();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost")
        .to_owned();
    let base = format!("{}://{host}", if t.tls { "https" } else { "http" });
    let outcome = match axum::body::to_bytes(request.into_body(), MAX_BODY).await {
        Ok(body) => {
            route(
                &t,
                method.clone(),
                &path,
                &raw_query,
                headers,
                body.to_vec(),
                base,
            )
            .await
        }
        Err(_) => {
            let error = GraphError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request_BadRequest",
                format!("The request body is larger than {MAX_BODY} bytes."),
            );
            let date = timefmt::inner_error_date(t.now());
            let id = util::new_id();
            let response = json_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                &error.body(&date, &id, &id),
                // The rest of the body was not read: the connection cannot be reused.
                &[("Connection".to_owned(), "close".to_owned())],
            );
            Outcome {
                response,
                status: 413,
                write: false,
                logged: true,
            }
        }
    };
    if outcome.logged {
        let full = if raw_query.is_empty() {
            path.clone()
        } else {
            format!("{path}?{raw_query}")
        };
        t.log.append(LogEntry {
            seq: 0,
            time: timefmt::graph_timestamp(arrived),
            method: method.to_string(),
            path: redact(&full),
            status: outcome.status,
            write: outcome.write,
            batch_item: None,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        });
    }
    outcome.response
}

fn json_response(status: StatusCode, body: &Value, extra: &[(String, String)]) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_TYPE));
    with_headers(response, extra)
}

/// The response with these headers added (a name or value that is not valid is left out).
fn with_headers(mut response: Response, extra: &[(String, String)]) -> Response {
    for (k, v) in extra {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

fn reply_response(reply: Reply, request_id: &str, client_request_id: &str) -> Response {
    let mut extra = reply.headers.clone();
    extra.push(("request-id".to_owned(), request_id.to_owned()));
    extra.push(("client-request-id".to_owned(), client_request_id.to_owned()));
    match (reply.body, reply.text) {
        (Some(body), _) => json_response(reply.status, &body, &extra),
        (None, Some(text)) => {
            let mut response = (reply.status, text).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
            with_headers(response, &extra)
        }
        (None, None) => with_headers(reply.status.into_response(), &extra),
    }
}

async fn route(
    t: &Arc<Tenant>,
    method: Method,
    path: &str,
    raw_query: &str,
    headers: HeaderMap,
    body: Vec<u8>,
    base: String,
) -> Outcome {
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(util::percent_decode)
        .collect();
    let plain = |response: Response, status: u16| Outcome {
        response,
        status,
        write: false,
        logged: true,
    };
    if segs.first().is_some_and(|s| s == "_emulator") {
        let response = control(t, &method, &segs[1..], raw_query, &body);
        return Outcome {
            status: response.status().as_u16(),
            response,
            write: false,
            logged: false,
        };
    }
    if segs.len() == 4 && segs[1] == "oauth2" && segs[2] == "v2.0" {
        let tenant = segs[0].clone();
        return match (segs[3].as_str(), &method) {
            ("token", &Method::POST) => {
                let (status, answer) = identity::token(t, &tenant, &headers, &body);
                plain(json_response(status, &answer, &[]), status.as_u16())
            }
            ("devicecode", &Method::POST) => {
                let (status, answer) = identity::devicecode(t, &tenant, &base, &body);
                plain(json_response(status, &answer, &[]), status.as_u16())
            }
            ("authorize", &Method::GET) => match identity::authorize(t, &tenant, raw_query) {
                Authorize::Redirect(to) => {
                    let mut response = StatusCode::FOUND.into_response();
                    if let Ok(v) = HeaderValue::from_str(&to) {
                        response.headers_mut().insert(header::LOCATION, v);
                    }
                    plain(response, 302)
                }
                Authorize::Page(status, text) => {
                    plain((status, text).into_response(), status.as_u16())
                }
            },
            _ => plain(StatusCode::METHOD_NOT_ALLOWED.into_response(), 405),
        };
    }
    let version = segs.first().cloned().unwrap_or_default();
    let request_id = util::new_id();
    let client_request_id =
        graph::header(&headers, "client-request-id").unwrap_or_else(|| request_id.clone());
    let graph_error = |error: GraphError| {
        let date = timefmt::inner_error_date(t.now());
        let mut extra = vec![
            ("request-id".to_owned(), request_id.clone()),
            ("client-request-id".to_owned(), client_request_id.clone()),
        ];
        if let Some(r) = &error.retry_after {
            extra.push(("Retry-After".to_owned(), r.clone()));
        }
        let status = error.status;
        plain(
            json_response(
                status,
                &error.body(&date, &request_id, &client_request_id),
                &extra,
            ),
            status.as_u16(),
        )
    };
    if version != "v1.0" && version != "beta" {
        return graph_error(GraphError::new(
            StatusCode::NOT_FOUND,
            "BadRequest",
            format!("Unsupported path {path}: Graph paths start with /v1.0/ or /beta/."),
        ));
    }
    let fault = t.faults.lock().unwrap_or_else(|e| e.into_inner()).draw();
    match fault {
        Fault::None => {}
        Fault::Unavailable => {
            let mut error = GraphError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "serviceNotAvailable",
                "The service is temporarily unavailable (injected fault). Retry after a delay.",
            );
            error.retry_after = Some("1".to_owned());
            return graph_error(error);
        }
        Fault::GatewayTimeout => {
            return graph_error(GraphError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "GatewayTimeout",
                "The request timed out in the gateway (injected fault).",
            ));
        }
        Fault::Drop => {
            let stream = futures_util::stream::once(async {
                Err::<Vec<u8>, std::io::Error>(std::io::Error::other(
                    "connection dropped (injected fault)",
                ))
            });
            let response = Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .body(Body::from_stream(stream))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
            return plain(response, 0);
        }
    }
    let caller = match identity::authenticate(t, &headers) {
        Ok(caller) => caller,
        Err(error) => return graph_error(error),
    };
    let t2 = Arc::clone(t);
    let raw_path = path.to_owned();
    let raw_query = raw_query.to_owned();
    let write_method = graph::counted_write(&method, segs.get(1..).unwrap_or_default());
    let mut headers = headers;
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert("request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&client_request_id) {
        headers.insert("client-request-id", v);
    }
    let joined = tokio::task::spawn_blocking(move || {
        let req = Req {
            t: &t2,
            method,
            version,
            segs: segs[1..].to_vec(),
            query: Query::parse(&raw_query),
            raw_path,
            raw_query,
            headers,
            body,
            base,
            caller,
        };
        graph::execute(&req)
    })
    .await;
    match joined {
        Ok(reply) => {
            let status = reply.status.as_u16();
            Outcome {
                response: reply_response(reply, &request_id, &client_request_id),
                status,
                write: write_method,
                logged: true,
            }
        }
        Err(_) => graph_error(GraphError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "generalException",
            "The request failed inside the emulator.",
        )),
    }
}

fn control(t: &Tenant, method: &Method, segs: &[String], raw_query: &str, body: &[u8]) -> Response {
    let body_json = || match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err("the body must be a JSON object".to_owned()),
    };
    let refuse = |message: String| {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": message})),
        )
            .into_response()
    };
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (method, segs.as_slice()) {
        (&Method::GET, ["requests"]) => {
            let since = Query::parse(raw_query).get("since").and_then(|s| s.parse().ok()).unwrap_or(0);
            match t.log.entries(since) {
                Ok(entries) => axum::Json(entries).into_response(),
                Err(e) => refuse(format!("the request log could not be read: {e}")),
            }
        }
        (&Method::GET, ["tenant"]) => axum::Json(json!({
            "tenantId": t.tenant_id,
            "initialDomain": t.initial_domain,
            "clientId": t.client_id,
        }))
        .into_response(),
        (&Method::POST, ["dns"]) => {
            let body = match body_json() {
                Ok(b) => b,
                Err(e) => return refuse(e),
            };
            let (Some(domain), Some(txt)) = (body.get("domain").and_then(Value::as_str), body.get("txt").and_then(Value::as_str)) else {
                return refuse("the body needs 'domain' and 'txt'".to_owned());
            };
            let _guard = t.lock.lock().unwrap_or_else(|e| e.into_inner());
            let mut dns: std::collections::BTreeMap<String, Vec<String>> = t.store.meta("dns").ok().flatten().unwrap_or_default();
            dns.entry(domain.to_lowercase()).or_default().push(txt.to_owned());
            match t.store.set_meta("dns", &dns) {
                Ok(()) => StatusCode::NO_CONTENT.into_response(),
                Err(e) => refuse(e.message),
            }
        }
        (&Method::GET, ["device"]) => (
            StatusCode::OK,
            "Skybridge tenant emulator: a person would sign in here with the code shown by the application.\n\
             To stand in for them, POST {\"user_code\": \"…\", \"upn\": \"admin@…\"} to /_emulator/device/approve\n\
             (or {\"user_code\": \"…\"} to /_emulator/device/decline).\n",
        )
            .into_response(),
        (&Method::POST, ["device", action @ ("approve" | "decline")]) => {
            let body = match body_json() {
                Ok(b) => b,
                Err(e) => return refuse(e),
            };
            let Some(code) = body.get("user_code").and_then(Value::as_str) else {
                return refuse("the body needs 'user_code'".to_owned());
            };
            let upn = body.get("upn").and_then(Value::as_str);
            match identity::settle_device(t, code, upn, *action == "approve") {
                Ok(()) => StatusCode::NO_CONTENT.into_response(),
                Err(e) => refuse(e.to_string()),
            }
        }
        (&Method::POST, ["contacts"]) => {
            let body = match body_json() {
                Ok(b) => b,
                Err(e) => return refuse(e),
            };
            let _guard = t.lock.lock().unwrap_or_else(|e| e.into_inner());
            match graph::directory::seed_contact(t, &body) {
                Ok(contact) => (StatusCode::CREATED, axum::Json(Value::Object(contact))).into_response(),
                Err(e) => refuse(e.message),
            }
        }
        (&Method::POST, ["mailbox"]) => {
            // What Exchange Online does when it gives a user a mailbox: the primary SMTP
            // address becomes the user's mail and first proxy address (Graph cannot set them).
            let body = match body_json() {
                Ok(b) => b,
                Err(e) => return refuse(e),
            };
            let (Some(id), Some(smtp)) = (
                body.get("id").and_then(Value::as_str),
                body.get("smtp").and_then(Value::as_str),
            ) else {
                return refuse("the body needs 'id' (a user's id) and 'smtp'".to_owned());
            };
            let _guard = t.lock.lock().unwrap_or_else(|e| e.into_inner());
            let mut user = match t.store.get(Kind::User, id) {
                Ok(Some(user)) => user,
                Ok(None) => return refuse(format!("no user has the id {id}")),
                Err(e) => return refuse(e.message),
            };
            user.props.insert("mail".to_owned(), json!(smtp));
            user.props.insert("proxyAddresses".to_owned(), json!([format!("SMTP:{smtp}")]));
            match t.store.put(Kind::User, &user) {
                Ok(()) => StatusCode::NO_CONTENT.into_response(),
                Err(e) => refuse(e.message),
            }
        }
        _ => (StatusCode::NOT_FOUND, axum::Json(json!({"error": "no such emulator control endpoint"}))).into_response(),
    }
}
