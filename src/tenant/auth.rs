//! Signing in to the tenant through the Microsoft identity platform (OAuth 2.0, v2.0 endpoints).
//!
//! Four ways, as the product needs them:
//! - **password** (resource owner password credentials): the wizard's classic "administrator user
//!   name and password"; refused by the platform for accounts that need multi-factor
//!   authentication, with a message that points at the device code;
//! - **device code**: shows a short code and a URL, then polls at the interval the server asks
//!   for until someone signs in elsewhere (works with MFA);
//! - **client credentials** (application secret): the running engine's own identity;
//! - **authorization code with PKCE** and a loopback redirect: a browser sign-in.
//!
//! Tokens live in memory as [`Secret`]s and are refreshed before they expire. Refresh tokens and
//! client secrets are kept only in the OS keychain ([`Keychain`]), never in files or logs.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::Digest as _;
use tokio::sync::Mutex;
use url::Url;

use super::error::TenantError;
use crate::clock::Clock;
use crate::secret::Secret;

/// The public-cloud authority for work and school accounts.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com/organizations";
/// The scope that asks for Microsoft Graph with the permissions the app was granted.
pub const GRAPH_DEFAULT_SCOPE: &str = "https://graph.microsoft.com/.default";
/// Skybridge's public client (application) id, used for interactive sign-ins unless the
/// administrator names their own app registration.
pub const DEFAULT_CLIENT_ID: &str = "5a1f3c2e-7b9d-4e61-9c0a-3d2b8e4f6a17";
/// Refresh a token this long before it expires.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Where tokens come from: the identity platform's base URL and the tenant segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authority {
    base: Url,
    tenant: String,
}

impl Authority {
    /// Reads `https://login.microsoftonline.com/organizations` (or another cloud's, or the
    /// emulator's `http://127.0.0.1:PORT/contoso.onmicrosoft.com`).
    pub fn parse(input: &str) -> Result<Authority, TenantError> {
        let invalid = |reason: &str| TenantError::InvalidUrl {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let url = Url::parse(input.trim()).map_err(|e| invalid(&e.to_string()))?;
        check_scheme(&url).map_err(|r| invalid(&r))?;
        let mut segments: Vec<String> = url
            .path_segments()
            .map(|s| s.filter(|p| !p.is_empty()).map(str::to_string).collect())
            .unwrap_or_default();
        let tenant = segments
            .pop()
            .ok_or_else(|| invalid("it names no tenant; add /organizations or /<tenant id>"))?;
        if matches!(tenant.as_str(), "common" | "consumers") {
            return Err(invalid(
                "personal-account authorities cannot sign in to a directory; use /organizations or the tenant's id or domain",
            ));
        }
        let mut base = url.clone();
        base.set_path(&format!("{}/", segments.join("/")));
        base.set_query(None);
        Ok(Authority { base, tenant })
    }

    /// The same authority with a specific tenant (after the first sign-in learned it).
    pub fn with_tenant(&self, tenant: &str) -> Authority {
        Authority {
            base: self.base.clone(),
            tenant: tenant.to_string(),
        }
    }

    /// The tenant segment.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The Microsoft identity platform's endpoints under this authority.
    pub fn endpoints(&self) -> Result<Endpoints, TenantError> {
        Ok(Endpoints {
            token: self.endpoint("token")?,
            device: self.endpoint("devicecode")?,
            authorize: self.endpoint("authorize")?,
        })
    }

    fn endpoint(&self, name: &str) -> Result<Url, TenantError> {
        self.base
            .join(&format!("{}/oauth2/v2.0/{name}", self.tenant))
            .map_err(|e| TenantError::InvalidUrl {
                input: self.base.to_string(),
                reason: e.to_string(),
            })
    }
}

/// The three endpoints of an OAuth 2.0 authorization server that Skybridge uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// The token endpoint.
    pub token: Url,
    /// The device authorization endpoint.
    pub device: Url,
    /// The authorization endpoint (browser sign-in).
    pub authorize: Url,
}

impl Endpoints {
    /// Reads an OpenID Connect discovery document (`<issuer>/.well-known/openid-configuration`):
    /// how any standard authorization server says where its endpoints are.
    pub async fn discover(http: &reqwest::Client, issuer: &str) -> Result<Endpoints, TenantError> {
        let base =
            Url::parse(issuer.trim_end_matches('/')).map_err(|e| TenantError::InvalidUrl {
                input: issuer.to_string(),
                reason: e.to_string(),
            })?;
        check_scheme(&base).map_err(|reason| TenantError::InvalidUrl {
            input: issuer.to_string(),
            reason,
        })?;
        let url = Url::parse(&format!(
            "{}/.well-known/openid-configuration",
            base.as_str().trim_end_matches('/')
        ))
        .map_err(|e| TenantError::InvalidUrl {
            input: issuer.to_string(),
            reason: e.to_string(),
        })?;
        let response = http
            .get(url.clone())
            .send()
            .await
            .map_err(|e| transport(&url, &e))?;
        let doc: serde_json::Value = response.json().await.map_err(|e| transport(&url, &e))?;
        let endpoint = |key: &str| -> Result<Url, TenantError> {
            let text = doc[key].as_str().ok_or_else(|| TenantError::Protocol {
                url: url.to_string(),
                detail: format!("the discovery document has no {key}"),
            })?;
            let parsed = Url::parse(text).map_err(|e| TenantError::Protocol {
                url: url.to_string(),
                detail: format!("{key} is not a URL: {e}"),
            })?;
            check_scheme(&parsed).map_err(|reason| TenantError::Protocol {
                url: url.to_string(),
                detail: format!("{key}: {reason}"),
            })?;
            Ok(parsed)
        };
        Ok(Endpoints {
            token: endpoint("token_endpoint")?,
            device: endpoint("device_authorization_endpoint")?,
            authorize: endpoint("authorization_endpoint")?,
        })
    }
}

/// HTTPS everywhere, except plain HTTP to a loopback address (the emulator, a test server).
pub fn check_scheme(url: &Url) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                Err("plain http is only allowed to this machine (127.0.0.1); use https".into())
            }
        }
        other => Err(format!("the scheme '{other}' is not http(s)")),
    }
}

/// A set of tokens from one sign-in.
#[derive(Debug, Clone)]
pub struct Tokens {
    /// The bearer token for Graph.
    pub access_token: Secret,
    /// When it expires, on the injected clock.
    pub expires_at: Duration,
    /// The refresh token, when the platform gave one.
    pub refresh_token: Option<Secret>,
    /// The tenant id from the ID token or the access token, when known.
    pub tenant_id: Option<String>,
}

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

/// How tokens are renewed.
#[derive(Debug, Clone)]
enum Renewal {
    /// With the refresh token (user sign-ins).
    RefreshToken,
    /// By asking again with the application secret.
    ClientSecret(Secret),
}

/// Talks to the identity platform's endpoints.
#[derive(Clone)]
pub struct IdentityClient {
    http: reqwest::Client,
    endpoints: Endpoints,
    client_id: String,
    clock: Arc<dyn Clock>,
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

/// Answers the browser's redirect and returns the code, refusing a wrong `state`.
async fn receive_redirect(
    listener: &tokio::net::TcpListener,
    expected_state: &str,
) -> Result<Secret, TenantError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    loop {
        let (mut stream, _) = listener
            .accept()
            .await
            .map_err(|e| TenantError::Invalid(e.to_string()))?;
        let mut buf = vec![0u8; 8192];
        let n = stream.read(&mut buf).await.unwrap_or(0);
        let head = String::from_utf8_lossy(&buf[..n]).into_owned();
        let target = head
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("/");
        let parsed = Url::parse(&format!("http://127.0.0.1{target}")).ok();
        let pairs: Vec<(String, String)> = parsed
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let (status, page, outcome) = match (get("code"), get("state"), get("error")) {
            (Some(code), Some(state), _) if state == expected_state => (
                "200 OK",
                "Signed in. You can close this window and return to Skybridge.",
                Some(Ok(Secret::new(code))),
            ),
            (_, _, Some(error)) => (
                "200 OK",
                "The sign-in did not complete. Return to Skybridge for details.",
                Some(Err(TenantError::Identity {
                    code: error,
                    description: get("error_description").unwrap_or_default(),
                    error_codes: Vec::new(),
                })),
            ),
            (Some(_), _, _) => (
                "400 Bad Request",
                "This sign-in answer does not belong to the sign-in Skybridge started.",
                None,
            ),
            _ => ("404 Not Found", "Nothing here.", None),
        };
        let reply = format!(
            "HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
            page.len()
        );
        let _ = stream.write_all(reply.as_bytes()).await;
        if let Some(outcome) = outcome {
            return outcome;
        }
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

pub(crate) fn transport(url: &Url, e: &reqwest::Error) -> TenantError {
    // reqwest's Display can include the URL with its query; the query never holds secrets
    // here (they go in bodies), but keep only the cause chain's text.
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail = format!("{detail}: {s}");
        source = s.source();
    }
    TenantError::Transport {
        url: format!(
            "{}://{}{}",
            url.scheme(),
            url.host_str().unwrap_or(""),
            url.path()
        ),
        detail,
    }
}

/// The `tid` claim of a JWT, without verifying it (it only labels what the platform gave us).
fn jwt_tenant(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("tid")?.as_str().map(str::to_string)
}

/// Keeps tokens fresh for the Graph client: hands out a valid access token, renewing it
/// [`REFRESH_MARGIN`] before it expires, or at once after Graph said it expired.
pub struct TokenSource {
    identity: IdentityClient,
    scope: String,
    renewal: Renewal,
    current: Mutex<Tokens>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    /// From a user sign-in (renewed with its refresh token).
    pub fn from_user(identity: IdentityClient, scope: &str, tokens: Tokens) -> TokenSource {
        TokenSource {
            identity,
            scope: scope.to_string(),
            renewal: Renewal::RefreshToken,
            current: Mutex::new(tokens),
        }
    }

    /// Signs in as the application and keeps renewing with its secret.
    pub async fn from_client_secret(
        identity: IdentityClient,
        scope: &str,
        secret: Secret,
    ) -> Result<TokenSource, TenantError> {
        let tokens = identity.client_credentials(&secret, scope).await?;
        Ok(TokenSource {
            identity,
            scope: scope.to_string(),
            renewal: Renewal::ClientSecret(secret),
            current: Mutex::new(tokens),
        })
    }

    /// A valid access token.
    pub async fn access_token(&self) -> Result<Secret, TenantError> {
        let mut current = self.current.lock().await;
        if self.identity.clock.now() + REFRESH_MARGIN >= current.expires_at {
            *current = self.renew(&current).await?;
        }
        Ok(current.access_token.clone())
    }

    /// Renews now unless someone already did since `seen` was handed out.
    pub async fn renew_after_rejection(&self, seen: &Secret) -> Result<(), TenantError> {
        let mut current = self.current.lock().await;
        if current.access_token.expose() == seen.expose() {
            *current = self.renew(&current).await?;
        }
        Ok(())
    }

    /// The tenant id the sign-in reported, if any.
    pub async fn tenant_id(&self) -> Option<String> {
        self.current.lock().await.tenant_id.clone()
    }

    /// The current refresh token (to keep in the keychain).
    pub async fn refresh_token(&self) -> Option<Secret> {
        self.current.lock().await.refresh_token.clone()
    }

    async fn renew(&self, current: &Tokens) -> Result<Tokens, TenantError> {
        let mut fresh = match &self.renewal {
            Renewal::RefreshToken => {
                let refresh = current.refresh_token.as_ref().ok_or_else(|| {
                    TenantError::Invalid(
                        "the sign-in has expired and gave no refresh token; sign in again".into(),
                    )
                })?;
                self.identity.refresh(refresh, &self.scope).await?
            }
            Renewal::ClientSecret(secret) => {
                self.identity
                    .client_credentials(secret, &self.scope)
                    .await?
            }
        };
        if fresh.tenant_id.is_none() {
            fresh.tenant_id = current.tenant_id.clone();
        }
        Ok(fresh)
    }
}

/// The OS keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows):
/// the only place refresh tokens and secrets are kept between runs.
#[derive(Debug, Clone)]
pub struct Keychain {
    service: String,
}

impl Keychain {
    /// Entries under this service name (`skybridge` in the product; tests use their own).
    pub fn new(service: &str) -> Keychain {
        Keychain {
            service: service.to_string(),
        }
    }

    /// Runs one keychain operation on the entry `name`.
    ///
    /// Operations of this process take turns: the Secret Service of GNOME is known to abort
    /// when many sessions open at once, and nothing here needs two at a time. When the service
    /// went away during the call (it crashed, or was restarted by the session's service manager)
    /// the operation is tried again a few times, with pauses, before its error is reported.
    fn with_entry<T>(
        &self,
        name: &str,
        action: &'static str,
        op: impl Fn(&keyring::Entry) -> keyring::Result<T>,
    ) -> Result<T, TenantError> {
        static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _turn = TURN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry =
            keyring::Entry::new(&self.service, name).map_err(|e| TenantError::Keychain {
                action: "open an entry",
                detail: e.to_string(),
            })?;
        let mut pauses = KEYCHAIN_PAUSES.iter();
        loop {
            match op(&entry) {
                Err(e) if service_vanished(&e) => match pauses.next() {
                    Some(pause) => std::thread::sleep(*pause),
                    None => {
                        return Err(TenantError::Keychain {
                            action,
                            detail: e.to_string(),
                        });
                    }
                },
                Err(e) => {
                    return Err(TenantError::Keychain {
                        action,
                        detail: e.to_string(),
                    });
                }
                Ok(value) => return Ok(value),
            }
        }
    }

    /// Stores a secret under `name`.
    pub fn store(&self, name: &str, secret: &Secret) -> Result<(), TenantError> {
        self.with_entry(name, "store a secret", |entry| {
            entry.set_password(secret.expose())
        })
    }

    /// Reads a secret; `None` when there is none.
    pub fn load(&self, name: &str) -> Result<Option<Secret>, TenantError> {
        self.with_entry(name, "read a secret", |entry| match entry.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        })
    }

    /// Removes a secret (no error when there is none).
    pub fn remove(&self, name: &str) -> Result<(), TenantError> {
        self.with_entry(name, "remove a secret", |entry| {
            match entry.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(e),
            }
        })
    }
}

/// The pauses before each new try of a keychain operation whose service went away.
const KEYCHAIN_PAUSES: [std::time::Duration; 3] = [
    std::time::Duration::from_millis(250),
    std::time::Duration::from_secs(1),
    std::time::Duration::from_secs(3),
];

/// Whether a keychain error says the service itself went away (rather than refusing): the
/// D-Bus names of "no one owns the name" and "the owner left without answering". Only the
/// Secret Service on Linux reports these; other platforms never match.
fn service_vanished(error: &keyring::Error) -> bool {
    let keyring::Error::PlatformFailure(inner) = error else {
        return false;
    };
    let text = inner.to_string();
    [
        "org.freedesktop.DBus.Error.NoReply",
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
    ]
    .iter()
    .any(|name| text.contains(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_vanished_secret_service_is_tried_again() {
        let failure = |text: &str| {
            keyring::Error::PlatformFailure(Box::new(std::io::Error::other(text.to_string())))
        };
        assert!(service_vanished(&failure(
            "zbus error: org.freedesktop.DBus.Error.NoReply: Message recipient disconnected"
        )));
        assert!(service_vanished(&failure(
            "org.freedesktop.DBus.Error.ServiceUnknown: The name is not activatable"
        )));
        assert!(!service_vanished(&failure(
            "org.freedesktop.Secret.Error.IsLocked"
        )));
        assert!(!service_vanished(&keyring::Error::NoStorageAccess(
            Box::new(std::io::Error::other("org.freedesktop.DBus.Error.NoReply"))
        )));
        assert!(!service_vanished(&keyring::Error::NoEntry));
    }

    #[test]
    fn authorities_are_split_into_base_and_tenant() {
        let a = Authority::parse(DEFAULT_AUTHORITY).unwrap();
        assert_eq!(a.tenant(), "organizations");
        assert_eq!(
            a.endpoint("token").unwrap().as_str(),
            "https://login.microsoftonline.com/organizations/oauth2/v2.0/token"
        );
        let e = Authority::parse("http://127.0.0.1:8080/prefix/contoso.onmicrosoft.com").unwrap();
        assert_eq!(
            e.endpoint("devicecode").unwrap().as_str(),
            "http://127.0.0.1:8080/prefix/contoso.onmicrosoft.com/oauth2/v2.0/devicecode"
        );
    }

    #[test]
    fn unusable_authorities_say_why() {
        for (input, needle) in [
            (
                "http://login.example.com/organizations",
                "only allowed to this machine",
            ),
            (
                "https://login.microsoftonline.com/common",
                "personal-account",
            ),
            ("https://login.microsoftonline.com/", "names no tenant"),
            ("ftp://x/organizations", "not http"),
            ("not a url", "relative URL"),
        ] {
            let err = Authority::parse(input).unwrap_err().to_string();
            assert!(err.contains(needle), "{input}: {err}");
        }
    }

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
