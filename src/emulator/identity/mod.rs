//! The identity platform endpoints: `POST /{tenant}/oauth2/v2.0/token` (grants `password`,
//! `client_credentials`, `refresh_token`, device code and `authorization_code` with PKCE S256),
//! `POST /{tenant}/oauth2/v2.0/devicecode` and `GET /{tenant}/oauth2/v2.0/authorize`, and the
//! bearer check in front of Graph.
//!
//! Tokens are opaque random strings; only their SHA-256 is kept: access tokens, device flows and
//! codes in memory (a restart invalidates them), refresh tokens in the store (they survive it). Errors use the documented token error body (`error`, `error_description`
//! starting with `AADSTSnnnnn:`, `error_codes`, `timestamp`, `trace_id`, `correlation_id`).
//!
//! This module holds what the endpoints share (the error body, the tenant, client and scope
//! checks, the form reader); the endpoints live in:
//! - `grants`: the token endpoint and its grants;
//! - `device`: the device authorization endpoint and the emulator's approval of a device code;
//! - `authorize`: the authorization endpoint (authorization code with PKCE);
//! - `tokens`: the issued tokens, minting them and checking a bearer token.

mod authorize;
mod device;
mod grants;
mod tokens;

use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::graph::applications::app_by_app_id;
use super::state::Tenant;
use super::store::{Kind, Record};
use super::util;

pub use authorize::{Authorize, authorize};
pub use device::{devicecode, settle_device};
pub use grants::token;
pub use tokens::{Subject, Tokens, authenticate};

const GRAPH: &str = "https://graph.microsoft.com";

/// A token endpoint answer.
pub type TokenAnswer = (StatusCode, Value);

fn token_error(
    t: &Tenant,
    status: StatusCode,
    error: &str,
    code: u32,
    description: &str,
) -> TokenAnswer {
    let trace = util::new_id();
    let correlation = util::new_id();
    let stamp = super::timefmt::graph_timestamp(t.now()).replacen('T', " ", 1);
    (
        status,
        json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {description}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {stamp}"),
            "error_codes": [code],
            "timestamp": stamp,
            "trace_id": trace,
            "correlation_id": correlation,
        }),
    )
}

fn bad(t: &Tenant, error: &str, code: u32, description: &str) -> TokenAnswer {
    token_error(t, StatusCode::BAD_REQUEST, error, code, description)
}

/// Whether the `{tenant}` path segment names this tenant; `Err` is the refusal.
fn check_tenant(t: &Tenant, segment: &str, allow_common: bool) -> Result<(), TokenAnswer> {
    let lower = segment.to_lowercase();
    if lower == t.tenant_id || lower == "organizations" || (allow_common && lower == "common") {
        return Ok(());
    }
    if lower == "common" || lower == "consumers" {
        return Err(bad(
            t,
            "invalid_request",
            9002331,
            "This grant is not supported on the /common or /consumers endpoints; use /organizations or the tenant.",
        ));
    }
    match t.store.domain(&lower) {
        Ok(Some(d)) if d.props.get("isVerified") == Some(&json!(true)) => Ok(()),
        _ => Err(bad(
            t,
            "invalid_request",
            90002,
            &format!("Tenant '{segment}' was not found."),
        )),
    }
}

enum Client {
    BuiltIn,
    App(Record),
}

fn find_client(t: &Tenant, client_id: &str) -> Option<Client> {
    if client_id.eq_ignore_ascii_case(&t.client_id) {
        return Some(Client::BuiltIn);
    }
    app_by_app_id(&t.store, client_id)
        .ok()
        .flatten()
        .map(Client::App)
}

fn form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Checks delegated scopes: names, or URIs of Microsoft Graph.
fn check_delegated_scope(t: &Tenant, scope: Option<&String>) -> Result<String, TokenAnswer> {
    let Some(scope) = scope.filter(|s| !s.trim().is_empty()) else {
        return Err(bad(
            t,
            "invalid_request",
            900144,
            "The request body must contain the parameter 'scope'.",
        ));
    };
    for s in scope.split_whitespace() {
        if s.contains("://") && !s.to_lowercase().starts_with(&format!("{GRAPH}/")) {
            return Err(bad(
                t,
                "invalid_scope",
                70011,
                &format!(
                    "The scope '{s}' is not valid: this tenant only issues tokens for Microsoft Graph."
                ),
            ));
        }
    }
    Ok(scope.clone())
}

fn find_upn(t: &Tenant, upn: &str) -> Option<Record> {
    let id = t
        .store
        .index_get(&format!("upn:{}", upn.to_lowercase()))
        .ok()
        .flatten()?;
    t.store.get(Kind::User, &id).ok().flatten()
}
