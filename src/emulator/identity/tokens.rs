//! The issued tokens: the in-memory table of access tokens, device flows and authorization codes
//! ([`Tokens`]), minting an access token with its refresh and id tokens, and checking the bearer
//! token of a Graph request.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use axum::http::{HeaderMap, StatusCode};
use serde_json::json;

use super::super::errors::GraphError;
use super::super::state::{Caller, Tenant};
use super::super::store::Kind;
use super::super::util;
use super::authorize::AuthCode;
use super::device::{DEVICE_LIFETIME, DeviceFlow};
use super::{TokenAnswer, token_error};

const REFRESH_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);

/// Who a token was issued to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Subject {
    /// A user (object id).
    User(String),
    /// An application (client id).
    App(String),
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct Grant {
    pub(super) subject: Subject,
    pub(super) client_id: String,
    pub(super) scope: String,
    pub(super) expires: SystemTime,
    /// The application permissions of an application's token, fixed when it is issued.
    #[serde(default)]
    roles: Vec<String>,
}

/// Issued access tokens, device flows and authorization codes, keyed by the SHA-256 of the
/// secret value. (Refresh tokens are kept in the store, so they survive a restart as they do
/// in the real service.)
#[derive(Debug, Default)]
pub struct Tokens {
    access: HashMap<String, Grant>,
    pub(super) device: HashMap<String, DeviceFlow>,
    pub(super) codes: HashMap<String, AuthCode>,
}

impl Tokens {
    pub(super) fn prune(&mut self, now: SystemTime) {
        self.access.retain(|_, g| g.expires > now);
        self.codes.retain(|_, c| c.expires > now);
        // Expired device flows stay a while so polls get `expired_token`.
        self.device.retain(|_, d| d.expires + DEVICE_LIFETIME > now);
    }
}

pub(super) fn key(secret: &str) -> String {
    util::sha256_b64(secret.as_bytes())
}

/// Issues an access token (and refresh and id tokens for users who asked for them).
pub(super) fn issue(
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
                    super::super::graph::permissions::roles_of(&t.store, &t.client_id, app_id)
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
    let iat = super::super::timefmt::unix_seconds(now);
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
