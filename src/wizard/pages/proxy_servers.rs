//! The Web Application Proxy page: the new farm's proxies, one per line (`host` or
//! `host:port`); none means only people inside the network can sign in. Its ids and its
//! validator.

use crate::wizard::Draft;
use crate::wizard::federation::{SERVER_INVALID, list_problems};
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;

/// Field ids of the Web Application Proxy page.
pub const FIELDS: &[&str] = &[PROXIES];
/// Message ids of the Web Application Proxy page.
pub const MESSAGES: &[&str] = &[NO_PROXIES, SERVER_INVALID];

/// The list of proxies.
pub const PROXIES: &str = "proxies";
/// No proxy: only people inside the network can sign in.
pub const NO_PROXIES: &str = "no_proxies";

/// Checks the Web Application Proxy page.
pub fn validate(draft: &Draft) -> Vec<Problem> {
    let page = PageId::ProxyServers;
    list_problems(
        &draft.federation.proxies,
        Problem::error(page, PROXIES, SERVER_INVALID),
        Problem::confirm(page, PROXIES, NO_PROXIES),
    )
}
