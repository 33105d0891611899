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
//! client secrets are kept only in the OS keychain ([`crate::secret::Keychain`]), never in files or logs.
//!
//! This module holds the authority and its endpoints, the constants and the shared [`Tokens`];
//! the rest lives in:
//! - `client`: [`IdentityClient`] and its sign-in flows;
//! - `browser`: the loopback listener that receives the browser sign-in's redirect;
//! - `token_source`: [`TokenSource`], which keeps the tokens fresh.

mod browser;
mod client;
mod token_source;

use std::time::Duration;

use url::Url;

use super::error::TenantError;
use crate::secret::Secret;

pub use client::{DeviceCodePrompt, IdentityClient};
pub use token_source::TokenSource;

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
        check_scheme(&url).map_err(|r| invalid(&r.to_string()))?;
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
            reason: reason.to_string(),
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

/// Why an address may not be used: its scheme.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemeError {
    /// Plain HTTP to another machine.
    #[error("plain http is only allowed to this machine (127.0.0.1); use https")]
    PlainHttp,
    /// Neither http nor https.
    #[error("the scheme '{0}' is not http(s)")]
    Other(String),
}

/// HTTPS everywhere, except plain HTTP to a loopback address (the emulator, a test server).
pub fn check_scheme(url: &Url) -> Result<(), SchemeError> {
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
                Err(SchemeError::PlainHttp)
            }
        }
        other => Err(SchemeError::Other(other.to_string())),
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
