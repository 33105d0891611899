//! The tenant side of federation: which domain may be federated (verified, not the initial
//! `onmicrosoft.com` domain, managed today), converting it (`federationConfiguration`), and
//! converting it back to managed.

use serde_json::Value;

use crate::tenant::api::Domain;
use crate::tenant::error::TenantError;
use crate::tenant::graph::GraphClient;

/// Why `name` cannot be federated, in words; `None` when it can.
pub fn refusal(domains: &[Domain], name: &str) -> Option<String> {
    let name = name.trim();
    if name.is_empty() {
        return Some("choose the domain whose users will sign in through the farm".into());
    }
    let Some(domain) = domains.iter().find(|d| d.id.eq_ignore_ascii_case(name)) else {
        return Some(format!(
            "{name} is not a domain of this tenant: add and verify it in the tenant first"
        ));
    };
    if domain.is_initial {
        return Some(format!(
            "{name} is the tenant's initial domain, which is always managed by the tenant: choose a custom domain"
        ));
    }
    if !domain.is_verified {
        return Some(format!(
            "{name} is not verified yet: publish its verification record and verify it first"
        ));
    }
    if domain.authentication_type.eq_ignore_ascii_case("Federated") {
        return Some(format!(
            "{name} is federated already: convert it back to managed first (Additional tasks) or choose another domain"
        ));
    }
    None
}

/// The domains that could be federated.
pub fn candidates(domains: &[Domain]) -> Vec<&Domain> {
    domains
        .iter()
        .filter(|d| refusal(domains, &d.id).is_none())
        .collect()
}

/// Federates `domain` with `configuration` (an `internalDomainFederation`), after checking
/// again, on the tenant as it is now, that it may be. Returns what the tenant stored.
pub async fn federate(
    graph: &GraphClient,
    domain: &str,
    configuration: &Value,
) -> Result<Value, TenantError> {
    let domains = graph.domains().await?;
    if let Some(why) = refusal(&domains, domain) {
        return Err(TenantError::Invalid(why));
    }
    graph
        .create_federation_configuration(domain, configuration)
        .await
}

/// The federation settings of `domain`, when it is federated.
pub async fn configuration(
    graph: &GraphClient,
    domain: &str,
) -> Result<Option<Value>, TenantError> {
    match graph.federation_configurations(domain).await {
        Ok(found) => Ok(found.into_iter().next()),
        // Documented: 404 when the domain has no federation configuration.
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Converts `domain` back to managed: its federation configuration is removed. Returns
/// whether there was one.
pub async fn unfederate(graph: &GraphClient, domain: &str) -> Result<bool, TenantError> {
    let Some(found) = configuration(graph, domain).await? else {
        return Ok(false);
    };
    let id = found
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| TenantError::Invalid("the federation configuration has no id".into()))?;
    graph.delete_federation_configuration(domain, id).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(id: &str, verified: bool, initial: bool, kind: &str) -> Domain {
        Domain {
            id: id.into(),
            is_verified: verified,
            is_default: false,
            is_initial: initial,
            authentication_type: kind.into(),
        }
    }

    #[test]
    fn only_a_verified_managed_custom_domain_can_be_federated() {
        let all = vec![
            domain("contoso.onmicrosoft.com", true, true, "Managed"),
            domain("contoso.com", true, false, "Managed"),
            domain("new.contoso.com", false, false, "Managed"),
            domain("fed.contoso.com", true, false, "Federated"),
        ];
        assert!(
            refusal(&all, "contoso.onmicrosoft.com")
                .unwrap()
                .contains("initial")
        );
        assert!(
            refusal(&all, "new.contoso.com")
                .unwrap()
                .contains("not verified")
        );
        assert!(
            refusal(&all, "fed.contoso.com")
                .unwrap()
                .contains("federated already")
        );
        assert!(
            refusal(&all, "fabrikam.com")
                .unwrap()
                .contains("not a domain")
        );
        assert_eq!(refusal(&all, "Contoso.com"), None);
        let ids: Vec<&str> = candidates(&all).iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids, ["contoso.com"]);
    }
}
