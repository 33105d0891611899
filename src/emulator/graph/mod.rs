//! The Graph side of the emulator: one dispatcher from method and path to a handler, shared by
//! plain requests and the items of a `$batch`.
//!
//! Handlers are synchronous: the server runs each Graph request on a blocking thread under the
//! tenant's lock, so uniqueness checks and writes never interleave.

pub mod applications;
pub mod batch;
pub mod delta;
pub mod directory;
pub mod domains;
pub mod groups;
pub mod permissions;
pub mod users;

use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::{Map, Value, json};

use super::errors::{GraphError, GraphResult};
use super::odata::{self, Query};
use super::state::{Caller, Tenant};
use super::throttle;

/// One Graph request, decoded.
#[derive(Debug)]
pub struct Req<'a> {
    /// Shared state.
    pub t: &'a Tenant,
    /// Method.
    pub method: Method,
    /// `v1.0` or `beta`.
    pub version: String,
    /// Percent-decoded path segments after the version.
    pub segs: Vec<String>,
    /// The path as received (for links).
    pub raw_path: String,
    /// The query as received (for links).
    pub raw_query: String,
    /// The decoded query.
    pub query: Query,
    /// Request headers.
    pub headers: HeaderMap,
    /// Request body.
    pub body: Vec<u8>,
    /// `http://host:port`, for absolute links.
    pub base: String,
    /// Who is calling.
    pub caller: Caller,
}

/// A Graph answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// JSON body.
    pub body: Option<Value>,
    /// Plain-text body (`$count`).
    pub text: Option<String>,
}

impl Reply {
    /// A JSON answer.
    pub fn json(status: StatusCode, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Some(body),
            text: None,
        }
    }

    /// 200 with JSON.
    pub fn ok(body: Value) -> Reply {
        Self::json(StatusCode::OK, body)
    }

    /// 201 with JSON.
    pub fn created(body: Value) -> Reply {
        Self::json(StatusCode::CREATED, body)
    }

    /// 204.
    pub fn no_content() -> Reply {
        Reply {
            status: StatusCode::NO_CONTENT,
            headers: Vec::new(),
            body: None,
            text: None,
        }
    }

    /// 200 with plain text.
    pub fn text(text: String) -> Reply {
        Reply {
            status: StatusCode::OK,
            headers: Vec::new(),
            body: None,
            text: Some(text),
        }
    }
}

impl Req<'_> {
    /// `https://host/v1.0/$metadata#<fragment>`.
    pub fn context(&self, fragment: &str) -> String {
        format!("{}/{}/$metadata#{fragment}", self.base, self.version)
    }

    /// The request body as a JSON object, or Graph's 400.
    pub fn body_object(&self) -> GraphResult<Map<String, Value>> {
        if self.body.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(GraphError::bad_request("The request needs a JSON body."));
        }
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(GraphError::bad_request(
                "The request body must be a JSON object.",
            )),
            Err(e) => Err(GraphError::bad_request(format!(
                "The request body is not valid JSON: {e}."
            ))),
        }
    }

    /// The segment at `i`.
    pub fn seg(&self, i: usize) -> &str {
        self.segs.get(i).map(String::as_str).unwrap_or_default()
    }

    /// The signed-in user's id, or Graph's 400 for application tokens.
    pub fn me(&self) -> GraphResult<String> {
        match &self.caller {
            Caller::User { id } => Ok(id.clone()),
            Caller::App { .. } => Err(GraphError::bad_request(
                "/me needs a signed-in user; an application token has none.",
            )),
        }
    }
}

/// Whether the method writes.
pub fn is_write(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PATCH | Method::PUT | Method::DELETE
    )
}

/// Whether a request counts against the write budget (a `$batch` envelope does not; its
/// items do, one by one; POST actions that only read do not). `segs` are the path segments
/// after the version. The request log's `write` flag says the same.
pub fn counted_write(method: &Method, segs: &[String]) -> bool {
    let read_action = *method == Method::POST
        && matches!(
            segs.last().map(String::as_str),
            Some("getByIds" | "validateProperties")
        );
    is_write(method) && segs.first().map(String::as_str) != Some("$batch") && !read_action
}

/// [`counted_write`] of a request.
pub fn counts_as_write(req: &Req) -> bool {
    counted_write(&req.method, &req.segs)
}

/// Runs one Graph request: the caller's permissions, the write budget, then the handler.
pub fn execute(req: &Req) -> Reply {
    if let Err(denied) = permissions::check(req) {
        return error_reply(req, denied);
    }
    if counts_as_write(req) {
        let taken = req
            .t
            .budget
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take(req.t.now());
        if let Err(wait) = taken {
            let error = GraphError::throttled(throttle::retry_after_value(wait));
            let mut reply = error_reply(req, error);
            reply.headers.push((
                "x-ms-throttle-information".to_owned(),
                "WriteLimitExceeded".to_owned(),
            ));
            return reply;
        }
    }
    if req.seg(0) == "$batch" {
        // Not under the lock: each item takes it in turn.
        return match batch::batch(req) {
            Ok(reply) => reply,
            Err(error) => error_reply(req, error),
        };
    }
    let _guard = req.t.lock.lock().unwrap_or_else(|e| e.into_inner());
    match route(req) {
        Ok(reply) => reply,
        Err(error) => error_reply(req, error),
    }
}

/// Turns an error into an answer with Graph's body.
pub fn error_reply(req: &Req, error: GraphError) -> Reply {
    let request_id = header(&req.headers, "request-id").unwrap_or_else(super::util::new_id);
    let client_request_id =
        header(&req.headers, "client-request-id").unwrap_or_else(|| request_id.clone());
    let date = super::timefmt::inner_error_date(req.t.now());
    let mut reply = Reply::json(
        error.status,
        error.body(&date, &request_id, &client_request_id),
    );
    if let Some(retry) = &error.retry_after {
        reply
            .headers
            .push(("Retry-After".to_owned(), retry.clone()));
    }
    reply
}

/// A header's value as text.
pub fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn route(req: &Req) -> GraphResult<Reply> {
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    match segs.as_slice() {
        ["organization"] | ["organization", _] => domains::organization(req),
        ["domains", ..] => domains::domains(req),
        ["users", ..] | ["me", ..] => users::users(req),
        ["groups", ..] => groups::groups(req),
        ["contacts", ..] | ["directory", ..] | ["directoryObjects", ..] => {
            directory::directory(req)
        }
        ["applications", ..] | ["servicePrincipals", ..] => applications::applications(req),
        ["roleManagement", "directory", "roleAssignments", ..] => {
            permissions::role_assignments(req)
        }
        _ => Err(unknown(req)),
    }
}

/// Graph's answer for a path or method the emulator does not serve.
pub fn unknown(req: &Req) -> GraphError {
    GraphError::no_such_path(req.method.as_str(), &format!("/{}", req.segs.join("/")))
}

/// How a collection is listed.
pub struct Listing<'a> {
    /// `@odata.context` fragment (`users`).
    pub context: &'a str,
    /// The type name for errors (`microsoft.graph.user`).
    pub type_name: &'a str,
    /// Properties returned without `$select`.
    pub defaults: &'a [&'a str],
    /// Whether `$count` and advanced queries apply (directory objects).
    pub directory: bool,
}

/// Lists full objects with `$filter`, `$search`, `$orderby`, `$count`, `$top`, paging and
/// `$select`.
pub fn list(req: &Req, listing: &Listing, objects: Vec<Map<String, Value>>) -> GraphResult<Reply> {
    let q = &req.query;
    if q.get("$skip").is_some() {
        return Err(GraphError::bad_request(
            "$skip is not supported on this collection; page with @odata.nextLink.",
        ));
    }
    if q.get("$expand").is_some() {
        return Err(GraphError::bad_request(
            "The emulator does not support $expand.",
        ));
    }
    let eventual = odata::eventual(&req.headers);
    let count = match q.get("$count") {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(v) => {
            return Err(GraphError::bad_request(format!(
                "'{v}' is not a valid value for $count."
            )));
        }
    };
    if count && listing.directory && !eventual {
        return Err(count_refused());
    }
    let filter = q.get("$filter").map(odata::parse_filter).transpose()?;
    let orderby = q.get("$orderby");
    let search = q.get("$search");
    if listing.directory {
        if search.is_some() && !eventual {
            return Err(GraphError::unsupported_query(
                "$search needs the request header 'ConsistencyLevel: eventual'.",
            ));
        }
        let advanced = filter
            .as_ref()
            .is_some_and(|f| f.is_advanced() || orderby.is_some());
        if advanced && !(eventual && count) {
            return Err(GraphError::unsupported_query(
                "This query is an advanced query: it needs 'ConsistencyLevel: eventual' and $count=true.",
            ));
        }
    }
    let select = odata::select_list(q);
    if let Some(names) = &select {
        let sample = objects.first().cloned().unwrap_or_default();
        let known = |name: &str| {
            name == "*"
                || name.starts_with("extension_")
                || sample.is_empty()
                || sample.keys().any(|k| k.eq_ignore_ascii_case(name))
        };
        odata::check_select(names, &known, listing.type_name)?;
    }
    let mut items: Vec<Map<String, Value>> = objects
        .into_iter()
        .filter(|o| {
            let v = Value::Object(o.clone());
            filter.as_ref().is_none_or(|f| f.matches(&v))
                && search.is_none_or(|s| search_matches(s, o))
        })
        .collect();
    if let Some(order) = orderby {
        let mut parts = order.split_whitespace();
        let prop = parts.next().unwrap_or_default().to_owned();
        let desc = parts.next().is_some_and(|d| d.eq_ignore_ascii_case("desc"));
        items.sort_by_key(|o| {
            o.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&prop))
                .and_then(|(_, v)| v.as_str())
                .map(str::to_lowercase)
                .unwrap_or_else(|| "\u{10FFFF}".to_owned())
        });
        if desc {
            items.reverse();
        }
    }
    let total = items.len();
    let (size, offset) = odata::page_window(q, req.t.page_size)?;
    let page: Vec<Value> = items
        .iter()
        .skip(offset)
        .take(size)
        .map(|o| Value::Object(odata::project(o, select.as_deref(), listing.defaults)))
        .collect();
    let mut body = Map::new();
    let fragment = match &select {
        Some(names) => format!("{}({})", listing.context, names.join(",")),
        None => listing.context.to_owned(),
    };
    body.insert("@odata.context".to_owned(), json!(req.context(&fragment)));
    if count && q.get("$skiptoken").is_none() {
        body.insert("@odata.count".to_owned(), json!(total));
    }
    if offset + size < total {
        body.insert(
            "@odata.nextLink".to_owned(),
            json!(odata::next_link(
                &req.base,
                &req.raw_path,
                &req.raw_query,
                offset + size
            )),
        );
    }
    body.insert("value".to_owned(), Value::Array(page));
    Ok(Reply::ok(Value::Object(body)))
}

/// The `$count` refusal without `ConsistencyLevel: eventual`.
pub fn count_refused() -> GraphError {
    GraphError::bad_request("$count needs the request header 'ConsistencyLevel: eventual'.")
}

/// `GET /<collection>/$count`.
pub fn count(req: &Req, objects: &[Map<String, Value>]) -> GraphResult<Reply> {
    if !odata::eventual(&req.headers) {
        return Err(count_refused());
    }
    let filter = req
        .query
        .get("$filter")
        .map(odata::parse_filter)
        .transpose()?;
    let n = objects
        .iter()
        .filter(|o| {
            filter
                .as_ref()
                .is_none_or(|f| f.matches(&Value::Object((*o).clone())))
        })
        .count();
    Ok(Reply::text(n.to_string()))
}

/// `$search="prop:words"` clauses joined by AND / OR: substring match, case-insensitive.
fn search_matches(search: &str, object: &Map<String, Value>) -> bool {
    let clause = |c: &str| {
        let c = c.trim().trim_matches('"');
        let Some((prop, words)) = c.split_once(':') else {
            return false;
        };
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(prop.trim()))
            .and_then(|(_, v)| v.as_str())
            .is_some_and(|v| v.to_lowercase().contains(&words.trim().to_lowercase()))
    };
    search
        .split(" OR ")
        .any(|alt| alt.split(" AND ").all(clause))
}

/// A GET of one object with `$select` (or the defaults).
pub fn get_one(
    req: &Req,
    props: &Map<String, Value>,
    defaults: &[&str],
    type_name: &str,
    context: &str,
) -> GraphResult<Reply> {
    let select = odata::select_list(&req.query);
    if let Some(names) = &select {
        odata::check_select(
            names,
            &|n| {
                n == "*"
                    || n.starts_with("extension_")
                    || props.keys().any(|k| k.eq_ignore_ascii_case(n))
            },
            type_name,
        )?;
    }
    let mut out = Map::new();
    let fragment = match &select {
        Some(names) => format!("{context}({})/$entity", names.join(",")),
        None => format!("{context}/$entity"),
    };
    out.insert("@odata.context".to_owned(), json!(req.context(&fragment)));
    out.extend(odata::project(props, select.as_deref(), defaults));
    Ok(Reply::ok(Value::Object(out)))
}

/// The id at the end of an `@odata.id` / `@odata.bind` URL.
pub fn id_from_url(url: &str) -> String {
    let trimmed = url.trim().trim_end_matches('/');
    let last = trimmed.rsplit('/').next().unwrap_or_default();
    // Also accept the key form `directoryObjects('id')`.
    let last = match (last.find("('"), last.rfind("')")) {
        (Some(a), Some(b)) if b > a => &last[a + 2..b],
        _ => last,
    };
    super::util::percent_decode(last)
}
