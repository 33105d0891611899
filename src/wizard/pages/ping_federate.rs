//! The PingFederate page: the identity provider's metadata address, its connectivity check,
//! and the settings file for the PingFederate administrator ([`ping_settings`]). Its ids and
//! its validator.

use crate::wizard::federation::{
    CA_FILE, CHECKING, FAIL, FETCH_FIRST, FETCH_METADATA, META_ENDPOINTS, META_ENTITY,
    META_SIGNING, METADATA_FAILED, METADATA_URL, METADATA_WARNING, PASS, WARN, metadata_problems,
};
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::{Draft, Facts};

/// Field ids of the PingFederate page.
pub const FIELDS: &[&str] = &[
    METADATA_URL,
    CA_FILE,
    FETCH_METADATA,
    PING_EXPORT,
    SAVE_EXPORT,
    SAVED_TO,
    PING_NOTE,
    META_ENTITY,
    META_SIGNING,
    META_ENDPOINTS,
    PASS,
    WARN,
    FAIL,
];
/// Message ids of the PingFederate page.
pub const MESSAGES: &[&str] = &[
    FETCH_FIRST,
    METADATA_FAILED,
    METADATA_WARNING,
    SAVE_FAILED,
    CHECKING,
];

/// Where to save the PingFederate settings.
pub const PING_EXPORT: &str = "ping_export";
/// The Save button.
pub const SAVE_EXPORT: &str = "save_export";
/// Where they were saved.
pub const SAVED_TO: &str = "saved_to";
/// What the PingFederate administrator does.
pub const PING_NOTE: &str = "ping_note";
/// The settings could not be saved (detail).
pub const SAVE_FAILED: &str = "save_failed";

/// Checks the PingFederate page.
pub fn validate(_draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::PingFederate;
    let mut out = metadata_problems(page, facts);
    if let Some(Err(why)) = &facts.federation.saved {
        out.push(Problem::warning(page, PING_EXPORT, SAVE_FAILED).with_detail(why.clone()));
    }
    out
}

/// What the PingFederate administrator needs to set up the tenant as a partner, as text.
pub fn ping_settings(draft: &Draft, facts: &Facts) -> String {
    let fed = &draft.federation;
    let tenant = match &facts.tenant {
        Some(Ok(t)) => format!("{} ({})", t.display_name, t.tenant_id),
        _ => String::new(),
    };
    let mut s = String::new();
    for (k, v) in [
        ("Tenant", tenant.as_str()),
        ("Federated domain", fed.domain.trim()),
        (
            "Partner (service provider) entity ID",
            "urn:federation:MicrosoftOnline",
        ),
        (
            "Assertion consumer service (HTTP-POST)",
            "https://login.microsoftonline.com/login.srf",
        ),
        (
            "Name ID",
            "persistent; the user's onPremisesImmutableId (the sourceAnchor Skybridge synchronizes)",
        ),
        (
            "Attribute IDPEmail",
            "the user's userPrincipalName in the federated domain",
        ),
        ("Signing", "sign the assertion (SHA-256)"),
        (
            "Identity provider metadata Skybridge reads",
            &fed.metadata_address(),
        ),
    ] {
        s.push_str(k);
        s.push_str(": ");
        s.push_str(v);
        s.push('\n');
    }
    s
}
