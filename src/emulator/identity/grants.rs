//! The token endpoint, `POST /{tenant}/oauth2/v2.0/token`, and its grants: `client_credentials`,
//! `password`, `refresh_token`, the device code and `authorization_code` (with the PKCE
//! verifier), with the client authentication and user sign-in checks they need.

use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use serde_json::{Value, json};

use super::super::state::Tenant;
use super::super::store::{Kind, Record};
use super::super::util;
use super::device::DeviceState;
use super::tokens::{Grant, Subject, issue, key};
use super::{
    Client, GRAPH, TokenAnswer, bad, check_delegated_scope, check_tenant, find_client, find_upn,
    form, token_error,
};

const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

fn secret_matches(t: &Tenant, client: &Client, secret: &str) -> bool {
    let now = super::super::timefmt::graph_timestamp(t.now());
    match client {
        Client::BuiltIn => t
            .store
            .meta::<String>("clientSecretHash")
            .ok()
            .flatten()
            .is_some_and(|h| util::verify_secret(&h, secret)),
        Client::App(app) => app
            .hidden
            .get("secrets")
            .and_then(Value::as_array)
            .is_some_and(|list| {
                list.iter().any(|s| {
                    s["end"].as_str().is_none_or(|end| end > now.as_str())
                        && s["hash"]
                            .as_str()
                            .is_some_and(|h| util::verify_secret(h, secret))
                })
            }),
    }
}

/// Client id and secret from HTTP Basic authentication, if sent that way.
fn basic_auth(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((decode(id)?, decode(secret)?))
}

/// `POST /{tenant}/oauth2/v2.0/token`.
pub fn token(t: &Tenant, tenant: &str, headers: &HeaderMap, body: &[u8]) -> TokenAnswer {
    let f = form(body);
    let grant = f.get("grant_type").map(String::as_str).unwrap_or_default();
    let (client_id, secret) = match basic_auth(headers) {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (f.get("client_id").cloned(), f.get("client_secret").cloned()),
    };
    let allow_common = matches!(
        grant,
        "refresh_token" | "authorization_code" | "urn:ietf:params:oauth:grant-type:device_code"
    );
    if let Err(refusal) = check_tenant(t, tenant, allow_common) {
        return refusal;
    }
    let Some(client_id) = client_id.filter(|c| !c.is_empty()) else {
        return bad(
            t,
            "invalid_request",
            900144,
            "The request body must contain the parameter 'client_id'.",
        );
    };
    let Some(client) = find_client(t, &client_id) else {
        return bad(
            t,
            "unauthorized_client",
            700016,
            &format!("No application with identifier '{client_id}' exists in this tenant."),
        );
    };
    if let Some(secret) = &secret
        && !secret_matches(t, &client, secret)
    {
        return token_error(
            t,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            "The client secret is not valid for this application.",
        );
    }
    let mut tokens = t.tokens.lock().unwrap_or_else(|e| e.into_inner());
    match grant {
        "client_credentials" => {
            if secret.is_none() {
                return token_error(
                    t,
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    7000218,
                    "The client credentials grant needs 'client_secret'.",
                );
            }
            let scope = f.get("scope").cloned().unwrap_or_default();
            let resource = scope.strip_suffix("/.default").map(str::to_lowercase);
            if scope.split_whitespace().count() != 1
                || !resource
                    .as_deref()
                    .is_some_and(|r| r == GRAPH || r == format!("{GRAPH}/") || r == GRAPH_APP_ID)
            {
                return bad(
                    t,
                    "invalid_scope",
                    70011,
                    &format!(
                        "The scope '{scope}' is not valid: the client credentials grant needs '{GRAPH}/.default'."
                    ),
                );
            }
            issue(
                t,
                &mut tokens,
                Subject::App(client_id.to_lowercase()),
                &client_id,
                &format!("{GRAPH}/.default"),
            )
        }
        "password" => {
            let scope = match check_delegated_scope(t, f.get("scope")) {
                Ok(s) => s,
                Err(e) => return e,
            };
            let username = f.get("username").cloned().unwrap_or_default();
            let password = f.get("password").cloned().unwrap_or_default();
            // A federated user's password is checked by their identity provider, which the
            // password grant cannot reach (documented: ROPC does not support federated users).
            if let Some(domain) = federated_domain(t, &username) {
                return bad(
                    t,
                    "invalid_grant",
                    50126,
                    &format!(
                        "The domain '{domain}' is federated: its users sign in at their identity provider, which the password grant cannot use. Sign in interactively or with the device code flow."
                    ),
                );
            }
            let user = match sign_in(t, &username, &password) {
                Ok(user) => user,
                Err(e) => return e,
            };
            if user.hidden.get("mfaRequired") == Some(&json!(true)) {
                let mut answer = bad(
                    t,
                    "invalid_grant",
                    50076,
                    "This account must use multi-factor authentication, which the password grant cannot perform. Sign in interactively or with the device code flow.",
                );
                answer.1["suberror"] = json!("basic_action");
                return answer;
            }
            issue(
                t,
                &mut tokens,
                Subject::User(user.id().to_owned()),
                &client_id,
                &scope,
            )
        }
        "refresh_token" => {
            let presented = f.get("refresh_token").cloned().unwrap_or_default();
            let now = t.now();
            let stored = format!("refresh:{}", key(&presented));
            let Some(grant) = t.store.meta::<Grant>(&stored).ok().flatten() else {
                return bad(
                    t,
                    "invalid_grant",
                    9002313,
                    "The refresh token is not valid.",
                );
            };
            if grant.expires <= now {
                let _ = t.store.remove_meta(&stored);
                return bad(t, "invalid_grant", 700082, "The refresh token has expired.");
            }
            if !grant.client_id.eq_ignore_ascii_case(&client_id) {
                return bad(
                    t,
                    "invalid_grant",
                    70000,
                    "The refresh token was issued to another client.",
                );
            }
            if let Subject::User(id) = &grant.subject
                && !user_can_sign_in(t, id)
            {
                return bad(
                    t,
                    "invalid_grant",
                    50057,
                    "The user account is disabled or no longer exists.",
                );
            }
            let scope = match f.get("scope").filter(|s| !s.trim().is_empty()) {
                Some(s) => match check_delegated_scope(t, Some(s)) {
                    Ok(s) => s,
                    Err(e) => return e,
                },
                None => grant.scope.clone(),
            };
            issue(t, &mut tokens, grant.subject, &client_id, &scope)
        }
        "urn:ietf:params:oauth:grant-type:device_code" => {
            let code = f.get("device_code").cloned().unwrap_or_default();
            let k = key(&code);
            let Some(flow) = tokens.device.get(&k).cloned() else {
                return bad(
                    t,
                    "bad_verification_code",
                    70019,
                    "The device_code is not one this tenant issued.",
                );
            };
            if !flow.client_id.eq_ignore_ascii_case(&client_id) {
                return bad(
                    t,
                    "invalid_grant",
                    70000,
                    "The device_code was issued to another client.",
                );
            }
            if flow.expires <= t.now() {
                tokens.device.remove(&k);
                return bad(
                    t,
                    "expired_token",
                    70020,
                    "The device code has expired; start a new sign-in.",
                );
            }
            match flow.state {
                DeviceState::Pending => bad(
                    t,
                    "authorization_pending",
                    70016,
                    "The user has not finished signing in yet; poll again after the interval.",
                ),
                DeviceState::Declined => {
                    tokens.device.remove(&k);
                    bad(
                        t,
                        "authorization_declined",
                        70000,
                        "The user declined the sign-in.",
                    )
                }
                DeviceState::Approved(user_id) => {
                    tokens.device.remove(&k);
                    issue(
                        t,
                        &mut tokens,
                        Subject::User(user_id),
                        &client_id,
                        &flow.scope,
                    )
                }
            }
        }
        "authorization_code" => {
            let code = f.get("code").cloned().unwrap_or_default();
            let Some(grant) = tokens.codes.remove(&key(&code)) else {
                return bad(
                    t,
                    "invalid_grant",
                    70008,
                    "The authorization code is not valid or was already used.",
                );
            };
            if grant.expires <= t.now() {
                return bad(
                    t,
                    "invalid_grant",
                    70008,
                    "The authorization code has expired.",
                );
            }
            if !grant.client_id.eq_ignore_ascii_case(&client_id) {
                return bad(
                    t,
                    "invalid_grant",
                    70000,
                    "The authorization code was issued to another client.",
                );
            }
            if f.get("redirect_uri") != Some(&grant.redirect_uri) {
                return bad(
                    t,
                    "invalid_grant",
                    70000,
                    "redirect_uri does not match the one of the authorization request.",
                );
            }
            let verifier = f.get("code_verifier").cloned().unwrap_or_default();
            if util::sha256_b64(verifier.as_bytes()) != grant.challenge {
                return bad(
                    t,
                    "invalid_grant",
                    501481,
                    "The code_verifier does not match the code_challenge of the authorization request.",
                );
            }
            issue(
                t,
                &mut tokens,
                Subject::User(grant.user_id),
                &client_id,
                &grant.scope,
            )
        }
        "" => bad(
            t,
            "invalid_request",
            900144,
            "The request body must contain the parameter 'grant_type'.",
        ),
        other => bad(
            t,
            "unsupported_grant_type",
            70003,
            &format!("The grant type '{other}' is not supported."),
        ),
    }
}

fn user_can_sign_in(t: &Tenant, id: &str) -> bool {
    t.store
        .get(Kind::User, id)
        .ok()
        .flatten()
        .is_some_and(|u| u.props.get("accountEnabled") != Some(&json!(false)))
}

/// The federated domain `username` is in, if it is in one.
fn federated_domain(t: &Tenant, username: &str) -> Option<String> {
    let (_, domain) = username.rsplit_once('@')?;
    let record = t.store.domain(domain).ok().flatten()?;
    super::super::graph::domains::is_federated(&record).then(|| record.id().to_owned())
}

fn sign_in(t: &Tenant, username: &str, password: &str) -> Result<Record, TokenAnswer> {
    let Some(user) = find_upn(t, username) else {
        return Err(bad(
            t,
            "invalid_grant",
            50034,
            &format!("The user account '{username}' does not exist in this tenant."),
        ));
    };
    let ok = user
        .hidden
        .get("passwordHash")
        .and_then(Value::as_str)
        .is_some_and(|h| util::verify_secret(h, password));
    if !ok {
        return Err(bad(
            t,
            "invalid_grant",
            50126,
            "The user name or password is incorrect.",
        ));
    }
    if user.props.get("accountEnabled") == Some(&json!(false)) {
        return Err(bad(
            t,
            "invalid_grant",
            50057,
            "The user account is disabled.",
        ));
    }
    Ok(user)
}
