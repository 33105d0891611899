//! The federation verification page: the DNS servers inside and outside the network, and
//! every check before anything is changed (run by [`crate::federation::verify`], whose row
//! ids are this page's `CHECK_*` fields), with the new farm's deployment script. Its ids and
//! its validator.

use crate::wizard::federation::{
    CHECKING, CheckRow, FAIL, PASS, WARN, outcome_problems, parse_dns,
};
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::{Draft, Facts};

pub use crate::federation::verify::{
    CHECK_ACCOUNT, CHECK_DNS_EXTERNAL, CHECK_DNS_INTERNAL, CHECK_METADATA, CHECK_PROXY,
    CHECK_SERVER, CHECK_SPN,
};

/// Field ids of the verification page.
pub const FIELDS: &[&str] = &[
    INTERNAL_DNS,
    EXTERNAL_DNS,
    RUN_CHECKS,
    CHECK_DNS_INTERNAL,
    CHECK_DNS_EXTERNAL,
    CHECK_SERVER,
    CHECK_PROXY,
    CHECK_SPN,
    CHECK_ACCOUNT,
    CHECK_METADATA,
    SCRIPT,
    PASS,
    WARN,
    FAIL,
];
/// Message ids of the verification page.
pub const MESSAGES: &[&str] = &[
    DNS_INVALID,
    RUN_FIRST,
    CHECKS_FAILED,
    CHECKS_BLOCK,
    CHECKS_WARN,
    CHECKING,
];

/// The internal DNS server.
pub const INTERNAL_DNS: &str = "internal_dns";
/// The external DNS server.
pub const EXTERNAL_DNS: &str = "external_dns";
/// The Run checks button.
pub const RUN_CHECKS: &str = "run_checks";
/// The deployment script's heading.
pub const SCRIPT: &str = "script";
/// A DNS server is not an address (detail).
pub const DNS_INVALID: &str = "dns_invalid";
/// The checks were not run for what is entered now.
pub const RUN_FIRST: &str = "run_first";
/// The checks could not run (detail).
pub const CHECKS_FAILED: &str = "checks_failed";
/// A check failed (detail).
pub const CHECKS_BLOCK: &str = "checks_block";
/// A check warns (detail).
pub const CHECKS_WARN: &str = "checks_warn";

/// Checks the verification page.
pub fn validate(draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::FederationVerification;
    let fed = &draft.federation;
    for (field, text) in [
        (INTERNAL_DNS, &fed.internal_dns),
        (EXTERNAL_DNS, &fed.external_dns),
    ] {
        if let Err(why) = parse_dns(text) {
            return vec![Problem::error(page, field, DNS_INVALID).with_detail(why.to_string())];
        }
    }
    rows_problems(page, &facts.federation.verification)
}

fn rows_problems(
    page: PageId,
    rows: &Option<Result<Vec<CheckRow>, crate::ops::Failure>>,
) -> Vec<Problem> {
    match rows {
        None => vec![Problem::error(page, RUN_CHECKS, RUN_FIRST)],
        Some(Err(why)) => {
            vec![Problem::error(page, RUN_CHECKS, CHECKS_FAILED).with_detail(why.clone())]
        }
        Some(Ok(rows)) => outcome_problems(
            page,
            rows.iter()
                .map(|r| (r.check, r.outcome, format!("{}: {}", r.subject, r.detail))),
            CHECKS_BLOCK,
            CHECKS_WARN,
        ),
    }
}
