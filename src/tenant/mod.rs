//! The cloud half: signing in to the tenant and talking to Microsoft Graph v1.0.
//!
//! - [`auth`]: the identity platform (password, device code, client credentials, browser sign-in
//!   with PKCE), token renewal, and the OS keychain for refresh tokens and secrets.
//! - [`graph`]: the Graph client core (retries, throttling, write pacing, paging, `$batch`).
//! - [`api`]: typed operations (organization, domains, users, groups, contacts, applications).
//! - [`error`]: typed errors with messages an administrator can act on.

pub mod api;
pub mod auth;
pub mod error;
pub mod graph;

use std::sync::Arc;
use std::time::Duration;

pub use error::TenantError;

use crate::clock::{Clock, SystemClock};
use crate::secret::Secret;
use auth::{Authority, IdentityClient, TokenSource};
use graph::GraphClient;

/// How to sign in.
#[derive(Debug, Clone)]
pub enum SignIn {
    /// User name and password.
    Password {
        /// The administrator's UPN.
        user: String,
        /// Their password.
        password: Secret,
    },
    /// The application's own secret.
    ClientSecret(Secret),
}

/// Where the tenant is and as which application to sign in.
#[derive(Debug, Clone)]
pub struct TenantEndpoint {
    /// The identity platform authority (`https://login.microsoftonline.com/organizations`).
    pub authority: String,
    /// The Graph root (`https://graph.microsoft.com/v1.0/`).
    pub graph: String,
    /// The application (client) id.
    pub client_id: String,
    /// The scope to ask for on Graph.
    pub scope: String,
    /// CA file replacing the system trust store (for a tenant emulator with TLS).
    pub ca_file: Option<std::path::PathBuf>,
    /// Time limit for each HTTP request.
    pub timeout: Duration,
}

impl Default for TenantEndpoint {
    fn default() -> Self {
        TenantEndpoint {
            authority: auth::DEFAULT_AUTHORITY.to_string(),
            graph: graph::DEFAULT_GRAPH.to_string(),
            client_id: auth::DEFAULT_CLIENT_ID.to_string(),
            scope: auth::GRAPH_DEFAULT_SCOPE.to_string(),
            ca_file: None,
            timeout: Duration::from_secs(60),
        }
    }
}

impl TenantEndpoint {
    /// The identity client for this endpoint.
    pub fn identity(&self, clock: Arc<dyn Clock>) -> Result<IdentityClient, TenantError> {
        let http = graph::http_client(self.ca_file.as_deref(), self.timeout)?;
        IdentityClient::new(
            http,
            Authority::parse(&self.authority)?,
            &self.client_id,
            clock,
        )
    }

    /// A Graph client around tokens that were obtained already (e.g. by a device-code sign-in).
    pub fn graph_with(
        &self,
        identity: IdentityClient,
        tokens: auth::Tokens,
        clock: Arc<dyn Clock>,
    ) -> Result<GraphClient, TenantError> {
        let http = identity.http().clone();
        let source = TokenSource::from_user(identity, &self.scope, tokens);
        GraphClient::new(http, &self.graph, Arc::new(source), clock)
    }

    /// Signs in and returns a Graph client on the real clock.
    pub async fn connect(&self, sign_in: &SignIn) -> Result<GraphClient, TenantError> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock::default());
        let identity = self.identity(clock.clone())?;
        let http = identity.http().clone();
        let source = match sign_in {
            SignIn::Password { user, password } => {
                let tokens = identity.password(user, password, &self.scope).await?;
                TokenSource::from_user(identity, &self.scope, tokens)
            }
            SignIn::ClientSecret(secret) => {
                TokenSource::from_client_secret(identity, &self.scope, secret.clone()).await?
            }
        };
        GraphClient::new(http, &self.graph, Arc::new(source), clock)
    }
}
