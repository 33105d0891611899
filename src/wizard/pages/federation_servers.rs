//! The Federation servers page: the new farm's federation servers, one per line (`host` or
//! `host:port`). Its ids and its validator.

use crate::wizard::Draft;
use crate::wizard::federation::{SERVER_INVALID, list_problems};
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;

/// Field ids of the Federation servers page.
pub const FIELDS: &[&str] = &[SERVERS];
/// Message ids of the Federation servers page.
pub const MESSAGES: &[&str] = &[NO_SERVERS, SERVER_INVALID];

/// The list of federation servers.
pub const SERVERS: &str = "servers";
/// No federation server listed.
pub const NO_SERVERS: &str = "no_servers";

/// Checks the Federation servers page.
pub fn validate(draft: &Draft) -> Vec<Problem> {
    let page = PageId::FederationServers;
    list_problems(
        &draft.federation.servers,
        Problem::error(page, SERVERS, SERVER_INVALID),
        Problem::error(page, SERVERS, NO_SERVERS),
    )
}
