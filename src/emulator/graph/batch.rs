//! JSON batching (`POST /$batch`): at most 20 requests with unique ids, relative URLs,
//! `dependsOn` ordering (a request whose dependency failed gets 424), one answer per item in
//! an outer 200, and each item evaluated on its own against the write budget (429 inside the
//! batch). No nesting, no transactions.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde_json::{Map, Value, json};

use super::super::errors::{GraphError, GraphResult};
use super::super::log::{LogEntry, redact};
use super::super::odata::Query;
use super::super::{timefmt, util};
use super::{Reply, Req, error_reply, execute};

/// The documented limit.
pub const MAX_REQUESTS: usize = 20;

fn malformed(message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, "BadRequest", message)
}

struct Item {
    id: String,
    method: Method,
    url: String,
    headers: HeaderMap,
    body: Option<Value>,
    depends_on: Vec<String>,
}

fn parse_items(req: &Req) -> GraphResult<Vec<Item>> {
    let body = req.body_object()?;
    let Some(requests) = body.get("requests").and_then(Value::as_array) else {
        return Err(malformed("A batch body needs a 'requests' array."));
    };
    if requests.is_empty() {
        return Err(malformed("A batch needs at least one request."));
    }
    if requests.len() > MAX_REQUESTS {
        return Err(malformed(format!(
            "A batch holds at most {MAX_REQUESTS} requests; this one has {}.",
            requests.len()
        )));
    }
    let mut items = Vec::new();
    let mut ids = HashSet::new();
    for request in requests {
        let Some(request) = request.as_object() else {
            return Err(malformed("Every batch request must be an object."));
        };
        let text = |name: &str| request.get(name).and_then(Value::as_str).map(str::to_owned);
        let Some(id) = text("id").filter(|i| !i.is_empty()) else {
            return Err(malformed("Every batch request needs an 'id'."));
        };
        if !ids.insert(id.clone()) {
            return Err(malformed(format!(
                "The id '{id}' is used by more than one request in the batch."
            )));
        }
        let method = text("method")
            .and_then(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
            .ok_or_else(|| malformed(format!("Request '{id}' needs a valid 'method'.")))?;
        let Some(url) = text("url") else {
            return Err(malformed(format!("Request '{id}' needs a 'url'.")));
        };
        let mut headers = HeaderMap::new();
        if let Some(h) = request.get("headers") {
            let Some(h) = h.as_object() else {
                return Err(malformed(format!(
                    "The headers of request '{id}' must be an object."
                )));
            };
            for (name, value) in h {
                let (Ok(name), Some(Ok(value))) = (
                    HeaderName::from_bytes(name.as_bytes()),
                    value.as_str().map(HeaderValue::from_str),
                ) else {
                    return Err(malformed(format!(
                        "Request '{id}' has a header that is not valid."
                    )));
                };
                headers.insert(name, value);
            }
        }
        let body = request.get("body").cloned().filter(|b| !b.is_null());
        if body.is_some() && !headers.contains_key("content-type") {
            return Err(malformed(format!(
                "Request '{id}' has a body but no Content-Type header."
            )));
        }
        let depends_on = match request.get("dependsOn") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(list)) => list
                .iter()
                .map(|d| d.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| {
                    malformed(format!(
                        "The dependsOn of request '{id}' must list request ids."
                    ))
                })?,
            Some(_) => {
                return Err(malformed(format!(
                    "The dependsOn of request '{id}' must be an array."
                )));
            }
        };
        items.push(Item {
            id,
            method,
            url,
            headers,
            body,
            depends_on,
        });
    }
    for item in &items {
        for d in &item.depends_on {
            if !ids.contains(d) || d == &item.id {
                return Err(malformed(format!(
                    "Request '{}' depends on '{d}', which is not another request of this batch.",
                    item.id
                )));
            }
        }
    }
    Ok(items)
}

/// Orders the items so each comes after what it depends on (request order otherwise).
fn schedule(items: &[Item]) -> GraphResult<Vec<usize>> {
    let mut done: HashSet<&str> = HashSet::new();
    let mut order = Vec::new();
    while order.len() < items.len() {
        let next = items.iter().enumerate().find(|(i, item)| {
            !order.contains(i) && item.depends_on.iter().all(|d| done.contains(d.as_str()))
        });
        let Some((i, item)) = next else {
            return Err(malformed("The dependsOn values of the batch form a cycle."));
        };
        done.insert(&item.id);
        order.push(i);
    }
    Ok(order)
}

/// The path segments of an item's relative URL (`/users/{id}?$select=x` → users, {id}).
fn url_segments(url: &str) -> Vec<String> {
    url.split(['?', '#'])
        .next()
        .unwrap_or_default()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// `POST /$batch`.
pub fn batch(req: &Req) -> GraphResult<Reply> {
    let items = parse_items(req)?;
    let order = schedule(&items)?;
    let mut status: HashMap<String, u16> = HashMap::new();
    let mut responses = Vec::new();
    for i in order {
        let item = &items[i];
        let started = Instant::now();
        let arrived = req.t.now();
        let failed = item
            .depends_on
            .iter()
            .find(|d| status.get(*d).is_none_or(|s| *s >= 400));
        let (reply, path) = match failed {
            Some(d) => {
                let error = GraphError::new(
                    StatusCode::FAILED_DEPENDENCY,
                    "FailedDependency",
                    format!(
                        "Request '{}' was not run because request '{d}', which it depends on, failed.",
                        item.id
                    ),
                );
                (error_reply(req, error), item.url.clone())
            }
            None => run_item(req, item),
        };
        status.insert(item.id.clone(), reply.status.as_u16());
        req.t.log.append(LogEntry {
            seq: 0,
            time: timefmt::graph_timestamp(arrived),
            method: item.method.to_string(),
            path: redact(&path),
            status: reply.status.as_u16(),
            // An item skipped for a failed dependency never ran.
            write: failed.is_none() && super::counted_write(&item.method, &url_segments(&item.url)),
            batch_item: Some(item.id.clone()),
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        });
        let mut headers = Map::new();
        if reply.body.is_some() {
            headers.insert("Content-Type".to_owned(), json!("application/json"));
        } else if reply.text.is_some() {
            headers.insert("Content-Type".to_owned(), json!("text/plain"));
        }
        for (k, v) in &reply.headers {
            headers.insert(k.clone(), json!(v));
        }
        let mut response =
            json!({"id": item.id, "status": reply.status.as_u16(), "headers": headers});
        if let Some(body) = reply.body {
            response["body"] = body;
        } else if let Some(text) = reply.text {
            response["body"] = json!(text);
        } else {
            response["body"] = Value::Null;
        }
        responses.push(response);
    }
    Ok(Reply::ok(json!({ "responses": responses })))
}

/// Runs one item as a Graph request of its own; returns the answer and the path it ran.
fn run_item(outer: &Req, item: &Item) -> (Reply, String) {
    let relative = item.url.trim_start_matches('/');
    let path = format!("/{}/{relative}", outer.version);
    let refuse = |message: String| {
        let reply = error_reply(outer, GraphError::bad_request(message));
        (reply, path.clone())
    };
    if item.url.contains("://") {
        return refuse(
            "Batch request URLs must be relative to the version, such as /users.".to_owned(),
        );
    }
    let (raw_path_rest, raw_query) = relative.split_once('?').unwrap_or((relative, ""));
    let segs: Vec<String> = raw_path_rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(util::percent_decode)
        .collect();
    if segs.first().is_some_and(|s| s == "$batch") {
        return refuse("A batch cannot contain another batch.".to_owned());
    }
    let body = match &item.body {
        None => Vec::new(),
        Some(Value::String(s)) => s.clone().into_bytes(),
        Some(v) => serde_json::to_vec(v).unwrap_or_default(),
    };
    let inner = Req {
        t: outer.t,
        method: item.method.clone(),
        version: outer.version.clone(),
        segs,
        raw_path: format!("/{}/{raw_path_rest}", outer.version),
        raw_query: raw_query.to_owned(),
        query: Query::parse(raw_query),
        headers: item.headers.clone(),
        body,
        base: outer.base.clone(),
        caller: outer.caller.clone(),
    };
    (execute(&inner), path)
}
