//! The domain to federate: one of the tenant's domains that can be federated. Its ids and its
//! validator.

use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::{Draft, Facts};

/// Field ids of the domain page.
pub const FIELDS: &[&str] = &[DOMAIN, DOMAIN_NOTE];
/// Message ids of the domain page.
pub const MESSAGES: &[&str] = &[DOMAIN_REFUSED, NO_TENANT];

/// The domain to federate.
pub const DOMAIN: &str = "domain";
/// What federating a domain means for its users.
pub const DOMAIN_NOTE: &str = "domain_note";
/// The domain cannot be federated (detail: why).
pub const DOMAIN_REFUSED: &str = "domain_refused";
/// The tenant was not read.
pub const NO_TENANT: &str = "no_tenant";

/// Checks the domain page.
pub fn validate(draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::FederatedDomain;
    let Some(Ok(tenant)) = &facts.tenant else {
        return vec![Problem::error(page, DOMAIN, NO_TENANT)];
    };
    match crate::federation::domain::refusal(&tenant.domains, &draft.federation.domain) {
        Some(why) => vec![Problem::error(page, DOMAIN, DOMAIN_REFUSED).with_detail(why)],
        None => Vec::new(),
    }
}
