//! The authorization endpoint, `GET /{tenant}/oauth2/v2.0/authorize`: the first half of the
//! authorization code flow with PKCE (S256) and a loopback redirect. It issues the code; the
//! token endpoint's `authorization_code` grant (in `grants`) redeems it.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use axum::http::StatusCode;
use serde_json::json;

use super::super::state::Tenant;
use super::super::util;
use super::tokens::key;
use super::{check_delegated_scope, check_tenant, find_client, find_upn, form};

const CODE_LIFETIME: Duration = Duration::from_secs(600);

#[derive(Debug, Clone)]
pub(super) struct AuthCode {
    pub(super) client_id: String,
    pub(super) redirect_uri: String,
    pub(super) challenge: String,
    pub(super) user_id: String,
    pub(super) scope: String,
    pub(super) expires: SystemTime,
}

/// What the authorize endpoint answers.
#[derive(Debug)]
pub enum Authorize {
    /// 302 to this URL.
    Redirect(String),
    /// A plain-text error page (when redirecting would be unsafe).
    Page(StatusCode, String),
}

fn is_loopback_redirect(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    url.scheme() == "http"
        && match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        }
}

/// `GET /{tenant}/oauth2/v2.0/authorize`: signs in the user named by `login_hint` without a page
/// (the emulator has no browser), then redirects to the loopback `redirect_uri` with `code` and
/// `state`.
pub fn authorize(t: &Tenant, tenant: &str, query: &str) -> Authorize {
    if let Err((_, body)) = check_tenant(t, tenant, true) {
        return Authorize::Page(
            StatusCode::BAD_REQUEST,
            body["error_description"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let q: HashMap<String, String> = form(query.as_bytes());
    let client_id = q.get("client_id").cloned().unwrap_or_default();
    if find_client(t, &client_id).is_none() {
        return Authorize::Page(
            StatusCode::BAD_REQUEST,
            format!(
                "AADSTS700016: No application with identifier '{client_id}' exists in this tenant."
            ),
        );
    }
    let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
    if !is_loopback_redirect(&redirect) {
        return Authorize::Page(StatusCode::BAD_REQUEST, "AADSTS50011: The emulator only redirects to loopback addresses (http://localhost or http://127.0.0.1).".to_owned());
    }
    let state = q.get("state").cloned();
    let back = |pairs: Vec<(&str, String)>| {
        let Ok(mut url) = url::Url::parse(&redirect) else {
            return Authorize::Page(
                StatusCode::BAD_REQUEST,
                "AADSTS50011: The redirect_uri is not a valid URL.".to_owned(),
            );
        };
        {
            let mut qp = url.query_pairs_mut();
            for (k, v) in pairs {
                qp.append_pair(k, &v);
            }
            if let Some(s) = &state {
                qp.append_pair("state", s);
            }
        }
        Authorize::Redirect(url.to_string())
    };
    let fail = |error: &str, description: &str| {
        back(vec![
            ("error", error.to_owned()),
            ("error_description", description.to_owned()),
        ])
    };
    if q.get("response_type").map(String::as_str) != Some("code") {
        return fail(
            "unsupported_response_type",
            "AADSTS70005: Only response_type=code is supported.",
        );
    }
    let (Some(challenge), Some("S256")) = (
        q.get("code_challenge"),
        q.get("code_challenge_method").map(String::as_str),
    ) else {
        return fail(
            "invalid_request",
            "AADSTS9002325: PKCE with code_challenge_method=S256 is required.",
        );
    };
    let scope = match check_delegated_scope(t, q.get("scope")) {
        Ok(s) => s,
        Err((_, body)) => {
            return fail(
                "invalid_scope",
                body["error_description"].as_str().unwrap_or_default(),
            );
        }
    };
    let Some(user) = q.get("login_hint").and_then(|h| find_upn(t, h)) else {
        return fail(
            "interaction_required",
            "AADSTS50058: The emulator signs in only the account named by a login_hint that exists in the tenant.",
        );
    };
    if user.props.get("accountEnabled") == Some(&json!(false)) {
        return fail(
            "access_denied",
            "AADSTS50057: The user account is disabled.",
        );
    }
    let code = util::random_token(48);
    let mut tokens = t.tokens.lock().unwrap_or_else(|e| e.into_inner());
    tokens.prune(t.now());
    tokens.codes.insert(
        key(&code),
        AuthCode {
            client_id,
            redirect_uri: redirect.clone(),
            challenge: challenge.clone(),
            user_id: user.id().to_owned(),
            scope,
            expires: t.now() + CODE_LIFETIME,
        },
    );
    drop(tokens);
    back(vec![("code", code)])
}
