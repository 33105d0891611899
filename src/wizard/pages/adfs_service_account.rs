//! The AD FS service account page: a group managed service account (the forest needs a KDS
//! root key) or a domain user with its password. Its ids and its validator.

use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::{Draft, Facts};

/// Field ids of the service account page.
pub const FIELDS: &[&str] = &[GMSA, DOMAIN_USER, ACCOUNT, ACCOUNT_PASSWORD, KDS_NOTE];
/// Message ids of the service account page.
pub const MESSAGES: &[&str] = &[ACCOUNT_MISSING, PASSWORD_MISSING, NO_KDS_KEY];

/// A group managed service account.
pub const GMSA: &str = "gmsa";
/// A domain user.
pub const DOMAIN_USER: &str = "domain_user";
/// The account's name.
pub const ACCOUNT: &str = "account";
/// A domain user's password.
pub const ACCOUNT_PASSWORD: &str = "account_password";
/// What a managed service account needs.
pub const KDS_NOTE: &str = "kds_note";
/// No account named.
pub const ACCOUNT_MISSING: &str = "account_missing";
/// No password for the domain user.
pub const PASSWORD_MISSING: &str = "password_missing";
/// The forest has no KDS root key (a managed service account cannot work).
pub const NO_KDS_KEY: &str = "no_kds_key";

/// Checks the service account page.
pub fn validate(draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::AdfsServiceAccount;
    let fed = &draft.federation;
    if fed.account.trim().is_empty() {
        return vec![Problem::error(page, ACCOUNT, ACCOUNT_MISSING)];
    }
    if fed.user_account {
        if fed.account_password.expose().is_empty() {
            return vec![Problem::error(page, ACCOUNT_PASSWORD, PASSWORD_MISSING)];
        }
        return Vec::new();
    }
    let forest = draft
        .directories
        .first()
        .and_then(|d| facts.forests.get(&d.forest));
    if forest.is_some_and(|f| f.forest.kds_root_key == Some(false)) {
        return vec![Problem::error(page, GMSA, NO_KDS_KEY)];
    }
    Vec::new()
}
