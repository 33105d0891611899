//! The tenant sign-in as several pages read it: what was entered ([`TenantDraft`]) and what
//! the sign-in learned ([`TenantFacts`], with the administrator's session for Configuring).

use crate::secret::Secret;

/// What the administrator entered on this page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantDraft {
    /// Sign-in name (`admin@contoso.onmicrosoft.com`).
    pub user: String,
    /// Password (kept in memory only; never written anywhere).
    pub password: Secret,
    /// Identity platform authority.
    pub authority: String,
    /// Graph root.
    pub graph: String,
    /// Application (client) id.
    pub client_id: String,
    /// CA file replacing the system trust store.
    pub ca_file: String,
    /// Sign in with a code entered in a browser instead of a password (accounts with
    /// multi-factor authentication).
    pub device_code: bool,
}

impl Default for TenantDraft {
    fn default() -> Self {
        let endpoint = crate::tenant::TenantEndpoint::default();
        TenantDraft {
            user: String::new(),
            password: Secret::default(),
            authority: endpoint.authority,
            graph: endpoint.graph,
            client_id: endpoint.client_id,
            ca_file: String::new(),
            device_code: false,
        }
    }
}

impl TenantDraft {
    /// The endpoint these settings describe.
    pub fn endpoint(&self) -> crate::tenant::TenantEndpoint {
        crate::tenant::TenantEndpoint {
            authority: self.authority.trim().to_string(),
            graph: self.graph.trim().to_string(),
            client_id: self.client_id.trim().to_string(),
            ca_file: Some(self.ca_file.trim())
                .filter(|f| !f.is_empty())
                .map(std::path::PathBuf::from),
            ..crate::tenant::TenantEndpoint::default()
        }
    }
}

/// The administrator's signed-in Graph client, kept from the sign-in so that Configuring can
/// prepare the tenant without asking again (a device-code sign-in cannot be repeated silently).
#[derive(Clone, Default)]
pub struct AdminSession(Option<std::sync::Arc<crate::tenant::graph::GraphClient>>);

impl AdminSession {
    /// Keeps a signed-in client.
    pub fn new(graph: crate::tenant::graph::GraphClient) -> AdminSession {
        AdminSession(Some(std::sync::Arc::new(graph)))
    }

    /// The client, if the sign-in kept one.
    pub fn graph(&self) -> Option<&crate::tenant::graph::GraphClient> {
        self.0.as_deref()
    }
}

impl std::fmt::Debug for AdminSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Tokens never reach Debug output.
        f.write_str(if self.0.is_some() {
            "AdminSession(signed in)"
        } else {
            "AdminSession(none)"
        })
    }
}

impl PartialEq for AdminSession {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        }
    }
}

impl Eq for AdminSession {}

/// What a successful sign-in learned about the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantFacts {
    /// Who signed in.
    pub user: String,
    /// The tenant id.
    pub tenant_id: String,
    /// The organization's name.
    pub display_name: String,
    /// The tenant's domains.
    pub domains: Vec<crate::tenant::api::Domain>,
    /// The administrator's session.
    pub admin: AdminSession,
}

impl TenantFacts {
    /// The `….onmicrosoft.com` domain.
    pub fn initial_domain(&self) -> Option<&str> {
        self.domains
            .iter()
            .find(|d| d.is_initial)
            .map(|d| d.id.as_str())
    }
}

/// Whether a sign-in name looks like `name@domain.tld`.
pub fn is_upn(user: &str) -> bool {
    let Some((name, domain)) = user.split_once('@') else {
        return false;
    };
    !name.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !user.chars().any(char::is_whitespace)
}
