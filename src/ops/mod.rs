//! The operations both front ends call: the wizard (through its effects) and the command line
//! do the same work through the same functions here, with `thiserror` errors.
//!
//! - [`discover`]: reading a forest, finding a pilot group, checking a single sign-on
//!   administrator, creating a connector account.
//! - [`installed`]: an installed system: reads, cycles, search, troubleshooting, the service
//!   ("ask the service when it runs, else open the store", written once).
//! - [`schema`]: refreshing the directory schema of an installation (its forests' domains and
//!   schemas read again, changed domain lists applied).
//! - [`sso`]: an installation's single sign-on accounts: their keys' age, and creating an
//!   account or renewing its key.
//! - [`store`]: moving an installation's engine state to another store.

pub mod discover;
pub mod installed;
pub mod schema;
pub mod sso;
pub mod store;
