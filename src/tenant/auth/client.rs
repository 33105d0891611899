//! [`IdentityClient`]: talks to the identity platform's token and device authorization endpoints
//! and runs the sign-in flows (password, client credentials, refresh, device code, and the
//! browser's authorization code with PKCE), turning the answers into [`Tokens`].

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::Digest as _;
use url::Url;

use super::super::error::TenantError;
use super::browser::receive_redirect;
use super::{Authority, Endpoints, Tokens, transport};
use crate::clock::Clock;
use crate::secret::Secret;

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    id_token: Option<String>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
    #[serde(default)]
    error_description: String,
    #[serde(default)]
    error_codes: Vec<i64>,
}

/// What the administrator is shown during a device-code sign-in.
#[derive(Debug, Clone)]
pub struct DeviceCodePrompt {
    /// The short code to type.
    pub user_code: String,
    /// Where to type it.
    pub verification_uri: String,
    /// The platform's instructions.
    pub message: String,
    /// Seconds between polls.
    pub interval: Duration,
    /// How long the code stays valid.
    pub expires_in: Duration,
    device_code: Secret,
}

/// Talks to the identity platform's endpoints.
#[derive(Clone)]
pub struct IdentityClient {
    http: reqwest::Client,
    endpoints: Endpoints,
    client_id: String,
    pub(super) clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for IdentityClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityClient")
            .field("token_endpoint", &self.endpoints.token.as_str())
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl IdentityClient {
    /// A client for the Microsoft identity platform `authority` as application `client_id`.
    pub fn new(
        http: reqwest::Client,
        authority: Authority,
        client_id: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<IdentityClient, TenantError> {
        Ok(Self::with_endpoints(
            http,
            authority.endpoints()?,
            client_id,
            clock,
        ))
    }

    /// The HTTP client it uses (cheap to clone: clones share one connection pool).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// A client for any OAuth 2.0 server with these endpoints.
    pub fn with_endpoints(
        http: reqwest::Client,
        endpoints: Endpoints,
        client_id: &str,
        clock: Arc<dyn Clock>,
    ) -> IdentityClient {
        IdentityClient {
            http,
            endpoints,
            client_id: client_id.to_string(),
            clock,
        }
    }

    async fn post_form(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Result<Result<TokenAnswer, ErrorAnswer>, TenantError> {
        let body = self.post_raw(endpoint, form).await?;
        match body {
            Ok(text) => serde_json::from_str::<TokenAnswer>(&text)
                .map(Ok)
                .map_err(|e| self.protocol(endpoint, e)),
            Err(err) => Ok(Err(err)),
        }
    }

    async fn post_raw(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Result<Result<String, ErrorAnswer>, TenantError> {
        let url = match endpoint {
            "devicecode" => self.endpoints.device.clone(),
            _ => self.endpoints.token.clone(),
        };
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let send = || {
            self.http
                .post(url.clone())
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(body.clone())
                .send()
        };
        // A pooled connection the server closed while idle fails before anything is answered;
        // one more try on a fresh connection is what every HTTP client does then.
        let response = match send().await {
            Ok(r) => r,
            Err(e) if e.is_request() || e.is_connect() => {
                send().await.map_err(|e| transport(&url, &e))?
            }
            Err(e) => return Err(transport(&url, &e)),
        };
        let status = response.status();
        let text = response.text().await.map_err(|e| transport(&url, &e))?;
        if status.is_success() {
            return Ok(Ok(text));
        }
        match serde_json::from_str::<ErrorAnswer>(&text) {
            Ok(err) => Ok(Err(err)),
            Err(_) => Err(TenantError::Protocol {
                url: url.to_string(),
                detail: format!("status {status} without an OAuth error body"),
            }),
        }
    }

    fn protocol(&self, endpoint: &str, e: impl ToString) -> TenantError {
        TenantError::Protocol {
            url: match endpoint {
                "devicecode" => self.endpoints.device.to_string(),
                _ => self.endpoints.token.to_string(),
            },
            detail: e.to_string(),
        }
    }

    fn tokens(&self, answer: TokenAnswer) -> Tokens {
        let lifetime = answer
            .expires_in
            .as_ref()
            .and_then(|v| {
                v.as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            })
            .unwrap_or(3600);
        let tenant_id = answer
            .id_token
            .as_deref()
            .and_then(jwt_tenant)
            .or_else(|| jwt_tenant(&answer.access_token));
        Tokens {
            access_token: Secret::new(answer.access_token),
            expires_at: self.clock.now() + Duration::from_secs(lifetime),
            refresh_token: answer.refresh_token.map(Secret::new),
            tenant_id,
        }
    }

    /// Signs in with a user name and password (no MFA).
    pub async fn password(
        &self,
        username: &str,
        password: &Secret,
        scope: &str,
    ) -> Result<Tokens, TenantError> {
        let scope = format!("{scope} offline_access openid profile");
        let answer = self
            .post_form(
                "token",
                &[
                    ("client_id", &self.client_id),
                    ("scope", &scope),
                    ("username", username),
                    ("password", password.expose()),
                    ("grant_type", "password"),
                ],
            )
            .await?;
        answer.map(|a| self.tokens(a)).map_err(identity)
    }

    /// Signs in as the application with its secret.
    pub async fn client_credentials(
        &self,
        secret: &Secret,
        scope: &str,
    ) -> Result<Tokens, TenantError> {
        let answer = self
            .post_form(
                "token",
                &[
                    ("client_id", &self.client_id),
                    ("scope", scope),
                    ("client_secret", secret.expose()),
                    ("grant_type", "client_credentials"),
                ],
            )
            .await?;
        answer.map(|a| self.tokens(a)).map_err(identity)
    }

    /// Renews user tokens with a refresh token.
    pub async fn refresh(
        &self,
        refresh_token: &Secret,
        scope: &str,
    ) -> Result<Tokens, TenantError> {
        let scope = format!("{scope} offline_access");
        let answer = self
            .post_form(
                "token",
                &[
                    ("client_id", &self.client_id),
                    ("scope", &scope),
                    ("refresh_token", refresh_token.expose()),
                    ("grant_type", "refresh_token"),
                ],
            )
            .await?;
        let mut tokens = answer.map(|a| self.tokens(a)).map_err(identity)?;
        // The platform may omit a new refresh token: the old one stays valid then.
        if tokens.refresh_token.is_none() {
            tokens.refresh_token = Some(refresh_token.clone());
        }
        Ok(tokens)
    }

    /// Starts a device-code sign-in.
    pub async fn device_code(&self, scope: &str) -> Result<DeviceCodePrompt, TenantError> {
        #[derive(Deserialize)]
        struct Answer {
            device_code: String,
            user_code: String,
            verification_uri: String,
            #[serde(default)]
            message: String,
            #[serde(default)]
            interval: Option<u64>,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let scope = format!("{scope} offline_access openid profile");
        let text = self
            .post_raw(
                "devicecode",
                &[("client_id", &self.client_id), ("scope", &scope)],
            )
            .await?
            .map_err(identity)?;
        let a: Answer = serde_json::from_str(&text).map_err(|e| self.protocol("devicecode", e))?;
        Ok(DeviceCodePrompt {
            message: if a.message.is_empty() {
                format!(
                    "Open {} and enter the code {}.",
                    a.verification_uri, a.user_code
                )
            } else {
                a.message
            },
            user_code: a.user_code,
            verification_uri: a.verification_uri,
            interval: Duration::from_secs(a.interval.unwrap_or(5).max(1)),
            expires_in: Duration::from_secs(a.expires_in.unwrap_or(900)),
            device_code: Secret::new(a.device_code),
        })
    }

    /// Polls until the device-code sign-in completes, is declined, or expires.
    pub async fn poll_device_code(&self, prompt: &DeviceCodePrompt) -> Result<Tokens, TenantError> {
        let deadline = self.clock.now() + prompt.expires_in;
        let mut interval = prompt.interval;
        loop {
            self.clock.sleep(interval).await;
            let answer = self
                .post_form(
                    "token",
                    &[
                        ("client_id", &self.client_id),
                        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                        ("device_code", prompt.device_code.expose()),
                    ],
                )
                .await?;
            match answer {
                Ok(a) => return Ok(self.tokens(a)),
                Err(e) => match e.error.as_str() {
                    "authorization_pending" => {}
                    // RFC 8628: slow down adds five seconds to the interval.
                    "slow_down" => interval += Duration::from_secs(5),
                    "authorization_declined" | "access_denied" => {
                        return Err(TenantError::DeviceCodeEnded {
                            reason: "was declined",
                        });
                    }
                    "expired_token" | "code_expired" => {
                        return Err(TenantError::DeviceCodeEnded { reason: "expired" });
                    }
                    _ => return Err(identity(e)),
                },
            }
            if self.clock.now() >= deadline {
                return Err(TenantError::DeviceCodeEnded { reason: "expired" });
            }
        }
    }

    /// The browser sign-in: listens on a loopback port, hands the authorization URL to `open`
    /// (which shows or opens it), waits for the redirect, checks `state`, and exchanges the code
    /// with the PKCE verifier.
    pub async fn authorization_code(
        &self,
        scope: &str,
        login_hint: Option<&str>,
        open: impl FnOnce(&Url),
        wait: Duration,
    ) -> Result<Tokens, TenantError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| {
                TenantError::Invalid(format!(
                    "cannot listen for the sign-in redirect on 127.0.0.1: {e}"
                ))
            })?;
        let port = listener
            .local_addr()
            .map_err(|e| TenantError::Invalid(e.to_string()))?
            .port();
        let redirect = format!("http://127.0.0.1:{port}/");
        let verifier = random_token(48)?;
        let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.expose().as_bytes()));
        let state = random_token(24)?;
        let scope = format!("{scope} offline_access openid profile");
        let mut url = self.endpoints.authorize.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &self.client_id)
                .append_pair("response_type", "code")
                .append_pair("redirect_uri", &redirect)
                .append_pair("response_mode", "query")
                .append_pair("scope", &scope)
                .append_pair("state", state.expose())
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256");
            if let Some(hint) = login_hint {
                q.append_pair("login_hint", hint);
            }
        }
        open(&url);
        let code = tokio::time::timeout(wait, receive_redirect(&listener, state.expose()))
            .await
            .map_err(|_| {
                TenantError::Invalid(
                    "no sign-in arrived in the browser in time; start again".into(),
                )
            })??;
        let answer = self
            .post_form(
                "token",
                &[
                    ("client_id", &self.client_id),
                    ("scope", &scope),
                    ("code", code.expose()),
                    ("redirect_uri", &redirect),
                    ("grant_type", "authorization_code"),
                    ("code_verifier", verifier.expose()),
                ],
            )
            .await?;
        answer.map(|a| self.tokens(a)).map_err(identity)
    }
}

fn random_token(bytes: usize) -> Result<Secret, TenantError> {
    let mut raw = vec![0u8; bytes];
    getrandom::fill(&mut raw)
        .map_err(|e| TenantError::Invalid(format!("no random numbers: {e}")))?;
    Ok(Secret::new(URL_SAFE_NO_PAD.encode(raw)))
}

fn identity(e: ErrorAnswer) -> TenantError {
    TenantError::Identity {
        code: e.error,
        description: e.error_description,
        error_codes: e.error_codes,
    }
}

/// The `tid` claim of a JWT, without verifying it (it only labels what the platform gave us).
fn jwt_tenant(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("tid")?.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tenant_claim_is_read_from_a_jwt() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"tid":"aaaabbbb-0000-cccc-1111-dddd2222eeee"}"#);
        let token = format!("x.{payload}.y");
        assert_eq!(
            jwt_tenant(&token).as_deref(),
            Some("aaaabbbb-0000-cccc-1111-dddd2222eeee")
        );
        assert_eq!(jwt_tenant("opaque"), None);
    }
}
