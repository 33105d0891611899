//! Additional tasks: the tenant's federated domains ([`federated_domains`]), each converted
//! back to managed when its button is pressed. Its ids and its validator.

use crate::wizard::Facts;
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;

/// Field ids of the page that converts federated domains to managed.
pub const FIELDS: &[&str] = &[
    CONVERT_NOTE,
    CONVERT_UNDERSTOOD,
    CONVERT,
    CONVERTED,
    NONE_FEDERATED,
];
/// Message ids of that page.
pub const MESSAGES: &[&str] = &[CONVERT_FAILED];

/// What converting does to the domain's people.
pub const CONVERT_NOTE: &str = "convert_note";
/// "I understand" before converting.
pub const CONVERT_UNDERSTOOD: &str = "convert_understood";
/// A domain's Convert button (`{domain}`).
pub const CONVERT: &str = "convert";
/// A domain converted (`{domain}`).
pub const CONVERTED: &str = "converted";
/// The tenant has no federated domain.
pub const NONE_FEDERATED: &str = "none_federated";
/// A conversion failed (detail: the domain and why).
pub const CONVERT_FAILED: &str = "convert_failed";

/// The tenant's federated domains, as the sign-in read them (and conversions since).
pub fn federated_domains(facts: &Facts) -> Vec<&crate::tenant::api::Domain> {
    match &facts.tenant {
        Some(Ok(tenant)) => tenant
            .domains
            .iter()
            .filter(|d| d.authentication_type.eq_ignore_ascii_case("Federated"))
            .collect(),
        _ => Vec::new(),
    }
}

/// Checks the conversion page: nothing blocks (each conversion is done when pressed); a
/// failed one is said.
pub fn validate(facts: &Facts) -> Vec<Problem> {
    facts
        .federation
        .converted
        .iter()
        .filter_map(|(domain, outcome)| {
            outcome.as_ref().err().map(|why| {
                Problem::warning(PageId::ConvertDomains, CONVERT, CONVERT_FAILED)
                    .with_detail(format!("{domain}: {why}"))
            })
        })
        .collect()
}
