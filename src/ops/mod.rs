//! The operations both front ends call: the wizard (through its effects) and the command line
//! do the same work through the same functions here, with `thiserror` errors.
//!
//! - [`discover`]: reading a forest, finding a pilot group, checking a single sign-on
//!   administrator, creating a connector account.
//! - [`installed`]: an installed system: reads, cycles, search, troubleshooting, the service
//!   ("ask the service when it runs, else open the store", written once).
//! - [`passwords`]: password synchronization on the sync server: enrolment codes and status.
//! - [`schema`]: refreshing the directory schema of an installation (its forests' domains and
//!   schemas read again, changed domain lists applied).
//! - [`sso`]: an installation's single sign-on accounts: their keys' age, and creating an
//!   account or renewing its key.
//! - [`store`]: moving an installation's engine state to another store.
//!
//! [`Failure`] keeps an error in state that is copied (the wizard's facts, a refresh's rows).

pub mod discover;
pub mod installed;
pub mod passwords;
pub mod schema;
pub mod sso;
pub mod store;

/// A failure kept in state that is copied and shown later (a forest's row of a refresh, what the
/// wizard learned): the library's own error, shared rather than flattened to text, so it still
/// says what went wrong in its own words and can be matched on.
#[derive(Debug, Clone, thiserror::Error)]
#[error(transparent)]
pub struct Failure(std::sync::Arc<dyn std::error::Error + Send + Sync>);

impl Failure {
    /// Keeps `error`.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Failure {
        Failure(std::sync::Arc::new(error))
    }
}

/// A failure the caller says in its own words (a page's check, a step that cannot start).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Said(String);

impl From<String> for Failure {
    fn from(words: String) -> Failure {
        Failure::new(Said(words))
    }
}

impl From<&str> for Failure {
    fn from(words: &str) -> Failure {
        Failure::new(Said(words.to_string()))
    }
}

/// Two failures are the same when they say the same.
impl PartialEq for Failure {
    fn eq(&self, other: &Failure) -> bool {
        self.to_string() == other.to_string()
    }
}
