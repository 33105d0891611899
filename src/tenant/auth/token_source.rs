//! [`TokenSource`]: keeps the tokens of one sign-in fresh for the Graph client, renewing them with
//! the refresh token or the application secret.

use tokio::sync::Mutex;

use super::super::error::TenantError;
use super::{IdentityClient, REFRESH_MARGIN, Tokens};
use crate::secret::Secret;

/// How tokens are renewed.
#[derive(Debug, Clone)]
enum Renewal {
    /// With the refresh token (user sign-ins).
    RefreshToken,
    /// By asking again with the application secret.
    ClientSecret(Secret),
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
