//! The identity platform endpoints: `POST /{tenant}/oauth2/v2.0/token` (grants `password`,
//! `client_credentials`, `refresh_token`, device code and `authorization_code` with PKCE S256),
//! `POST /{tenant}/oauth2/v2.0/devicecode` and `GET /{tenant}/oauth2/v2.0/authorize`, and the
//! bearer check in front of Graph.
//!
//! Tokens are opaque random strings; only their SHA-256 is kept: access tokens, device flows and
//! codes in memory (a restart invalidates them), refresh tokens in the store (they survive it). Errors use the documented token error body (`error`, `error_description`
//! starting with `AADSTSnnnnn:`, `error_codes`, `timestamp`, `trace_id`, `correlation_id`).

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use serde_json::{Value, json};

use super::errors::GraphError;
use super::graph::applications::app_by_app_id;
use super::state::{Caller, Tenant};
use super::store::{Kind, Record};
use super::util;

const REFRESH_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);
const CODE_LIFETIME: Duration = Duration::from_secs(600);
const DEVICE_LIFETIME: Duration = Duration::from_secs(900);
const GRAPH: &str = "https://graph.microsoft.com";
const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// Who a token was issued to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Subject {
    /// A user (object id).
    User(String),
    /// An application (client id).
    App(String),
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Grant {
    subject: Subject,
    client_id: String,
    scope: String,
    expires: SystemTime,
    /// The application permissions of an application's token, fixed when it is issued.
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DeviceState {
    Pending,
    Approved(String),
    Declined,
}

#[derive(Debug, Clone)]
struct DeviceFlow {
    user_code: String,
    client_id: String,
    scope: String,
    expires: SystemTime,
    state: DeviceState,
}

#[derive(Debug, Clone)]
struct AuthCode {
    client_id: String,
    redirect_uri: String,
    challenge: String,
    user_id: String,
    scope: String,
    expires: SystemTime,
}

/// Issued access tokens, device flows and authorization codes, keyed by the SHA-256 of the
/// secret value. (Refresh tokens are kept in the store, so they survive a restart as they do
/// in the real service.)
#[derive(Debug, Default)]
pub struct Tokens {
    access: HashMap<String, Grant>,
    device: HashMap<String, DeviceFlow>,
    codes: HashMap<String, AuthCode>,
}

impl Tokens {
    fn prune(&mut self, now: SystemTime) {
        self.access.retain(|_, g| g.expires > now);
        self.codes.retain(|_, c| c.expires > now);
        // Expired device flows stay a while so polls get `expired_token`.
        self.device.retain(|_, d| d.expires + DEVICE_LIFETIME > now);
    }
}

fn key(secret: &str) -> String {
    util::sha256_b64(secret.as_bytes())
}

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

fn secret_matches(t: &Tenant, client: &Client, secret: &str) -> bool {
    let now = super::timefmt::graph_timestamp(t.now());
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

fn form(body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
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

/// Issues an access token (and refresh and id tokens for users who asked for them).
fn issue(
    t: &Tenant,
    tokens: &mut Tokens,
    subject: Subject,
    client_id: &str,
    scope: &str,
) -> TokenAnswer {
    let now = t.now();
    tokens.prune(now);
    let access = util::random_token(32);
    let expires = now + t.token_lifetime;
    tokens.access.insert(
        key(&access),
        Grant {
            subject: subject.clone(),
            client_id: client_id.to_owned(),
            scope: scope.to_owned(),
            expires,
            roles: match &subject {
                Subject::App(app_id) => {
                    super::graph::permissions::roles_of(&t.store, &t.client_id, app_id)
                        .unwrap_or_default()
                }
                Subject::User(_) => Vec::new(),
            },
        },
    );
    let granted: Vec<&str> = scope
        .split_whitespace()
        .filter(|s| *s != "offline_access")
        .collect();
    let mut answer = json!({
        "token_type": "Bearer",
        "scope": granted.join(" "),
        "expires_in": t.token_lifetime.as_secs(),
        "ext_expires_in": t.token_lifetime.as_secs(),
        "access_token": access,
    });
    if let Subject::User(user_id) = &subject {
        let words: Vec<String> = scope.split_whitespace().map(str::to_lowercase).collect();
        if words.iter().any(|w| w == "offline_access") {
            let refresh = util::random_token(48);
            let grant = Grant {
                subject: subject.clone(),
                client_id: client_id.to_owned(),
                scope: scope.to_owned(),
                expires: now + REFRESH_LIFETIME,
                roles: Vec::new(),
            };
            if let Err(e) = t
                .store
                .set_meta(&format!("refresh:{}", key(&refresh)), &grant)
            {
                return token_error(
                    t,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "temporarily_unavailable",
                    90033,
                    &e.message,
                );
            }
            answer["refresh_token"] = json!(refresh);
        }
        if words.iter().any(|w| w == "openid") {
            answer["id_token"] = json!(id_token(t, user_id, client_id, now));
        }
    }
    (StatusCode::OK, answer)
}

/// An unsigned JWT (`alg: none`) describing the user, as clients read id tokens.
fn id_token(t: &Tenant, user_id: &str, client_id: &str, now: SystemTime) -> String {
    let user = t
        .store
        .get(Kind::User, user_id)
        .ok()
        .flatten()
        .unwrap_or_default();
    let iat = super::timefmt::unix_seconds(now);
    let header = json!({"typ": "JWT", "alg": "none"});
    let claims = json!({
        "aud": client_id,
        "iss": format!("https://login.microsoftonline.com/{}/v2.0", t.tenant_id),
        "iat": iat,
        "nbf": iat,
        "exp": iat + t.token_lifetime.as_secs(),
        "name": user.props.get("displayName"),
        "oid": user_id,
        "preferred_username": user.props.get("userPrincipalName"),
        "sub": user_id,
        "tid": t.tenant_id,
        "ver": "2.0",
    });
    format!(
        "{}.{}.",
        util::b64url(header.to_string().as_bytes()),
        util::b64url(claims.to_string().as_bytes())
    )
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

fn find_upn(t: &Tenant, upn: &str) -> Option<Record> {
    let id = t
        .store
        .index_get(&format!("upn:{}", upn.to_lowercase()))
        .ok()
        .flatten()?;
    t.store.get(Kind::User, &id).ok().flatten()
}

/// The federated domain `username` is in, if it is in one.
fn federated_domain(t: &Tenant, username: &str) -> Option<String> {
    let (_, domain) = username.rsplit_once('@')?;
    let record = t.store.domain(domain).ok().flatten()?;
    super::graph::domains::is_federated(&record).then(|| record.id().to_owned())
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

/// `POST /{tenant}/oauth2/v2.0/devicecode`.
pub fn devicecode(t: &Tenant, tenant: &str, base: &str, body: &[u8]) -> TokenAnswer {
    if let Err(refusal) = check_tenant(t, tenant, true) {
        return refusal;
    }
    let f = form(body);
    let client_id = f.get("client_id").cloned().unwrap_or_default();
    if find_client(t, &client_id).is_none() {
        return bad(
            t,
            "unauthorized_client",
            700016,
            &format!("No application with identifier '{client_id}' exists in this tenant."),
        );
    }
    let scope = match check_delegated_scope(t, f.get("scope")) {
        Ok(s) => s,
        Err(e) => return e,
    };
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let user_code: String = util::random_bytes(9)
        .iter()
        .map(|b| char::from(LETTERS[usize::from(*b) % LETTERS.len()]))
        .collect();
    let device_code = util::random_token(48);
    let uri = format!("{base}/_emulator/device");
    let mut tokens = t.tokens.lock().unwrap_or_else(|e| e.into_inner());
    tokens.prune(t.now());
    tokens.device.insert(
        key(&device_code),
        DeviceFlow {
            user_code: user_code.clone(),
            client_id,
            scope,
            expires: t.now() + DEVICE_LIFETIME,
            state: DeviceState::Pending,
        },
    );
    (
        StatusCode::OK,
        json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": uri,
            "expires_in": DEVICE_LIFETIME.as_secs(),
            "interval": 5,
            "message": format!("To sign in, open {uri} in a web browser and enter the code {user_code}. (Emulator: approve with POST {uri}/approve.)"),
        }),
    )
}

/// The emulator's stand-in for the user finishing (or refusing) a device code sign-in.
pub fn settle_device(
    t: &Tenant,
    user_code: &str,
    upn: Option<&str>,
    approve: bool,
) -> Result<(), String> {
    let user_id = match (approve, upn) {
        (true, Some(upn)) => match find_upn(t, upn) {
            Some(user) if user.props.get("accountEnabled") != Some(&json!(false)) => {
                Some(user.id().to_owned())
            }
            _ => return Err(format!("no enabled user '{upn}' exists in this tenant")),
        },
        (true, None) => return Err("approving needs the 'upn' of the user who signs in".to_owned()),
        (false, _) => None,
    };
    let mut tokens = t.tokens.lock().unwrap_or_else(|e| e.into_inner());
    let now = t.now();
    let Some(flow) = tokens.device.values_mut().find(|f| {
        f.user_code.eq_ignore_ascii_case(user_code.trim())
            && f.expires > now
            && f.state == DeviceState::Pending
    }) else {
        return Err("no pending sign-in has this user code".to_owned());
    };
    flow.state = match user_id {
        Some(id) => DeviceState::Approved(id),
        None => DeviceState::Declined,
    };
    Ok(())
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

/// Checks the bearer token of a Graph request.
pub fn authenticate(t: &Tenant, headers: &HeaderMap) -> Result<Caller, GraphError> {
    let Some(value) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return Err(GraphError::unauthenticated("Access token is empty."));
    };
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .unwrap_or_default();
    if token.is_empty() {
        return Err(GraphError::unauthenticated("Access token is empty."));
    }
    let tokens = t.tokens.lock().unwrap_or_else(|e| e.into_inner());
    let Some(grant) = tokens.access.get(&key(token)) else {
        return Err(GraphError::unauthenticated(
            "Access token validation failure: this tenant did not issue the token.",
        ));
    };
    if grant.expires <= t.now() {
        return Err(GraphError::unauthenticated(
            "Lifetime validation failed: the token is expired.",
        ));
    }
    Ok(match &grant.subject {
        Subject::User(id) => Caller::User { id: id.clone() },
        Subject::App(app_id) => Caller::App {
            app_id: app_id.clone(),
            roles: grant.roles.clone(),
        },
    })
}
