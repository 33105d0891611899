//! Active Directory over LDAP (crate `ldap3`): reaching domain controllers securely, signing in,
//! discovering a forest, checking and creating the connector account, and reading (full and
//! delta) and writing directory objects.
//!
//! - [`server`]: a server description (URL, transport security, CA file, time-out) and connecting.
//! - [`tls`]: the TLS client configuration, always verifying the server's certificate.
//! - [`error`]: typed errors with messages an administrator can act on.
//! - [`rootdse`]: the anonymous root DSE read that tells what a server is.
//! - [`session`]: a signed-in connection and every LDAP operation with its time limit.
//! - [`entry`]: entries with their values kept as bytes, ranged values tracked.
//! - [`ber`]: the small BER codec for Active Directory's own controls.
//! - [`escape`]: RFC 4514 DN and RFC 4515 filter escaping.
//! - [`security`]: SIDs, GUIDs and security descriptors, for granting rights.
//! - [`discovery`]: the forest's domains, UPN suffixes, OU trees, schema and features.
//! - [`account`]: is an account fit to be the connector account; creating one.
//! - [`import`]: paged full import, streaming.
//! - [`delta`]: incremental import by DirSync, or by update-number watermarks.
//! - [`sso`]: the computer account seamless single sign-on needs in each forest.
//! - [`write`](mod@write): adding, changing and removing objects, as writeback needs.

pub mod account;
pub mod ber;
pub mod delta;
pub mod discovery;
pub mod entry;
pub mod error;
pub mod escape;
pub mod import;
pub mod rootdse;
pub mod security;
pub mod server;
pub mod session;
pub mod sso;
pub mod tls;
pub mod write;

pub use entry::Entry;
pub use error::{BindFailure, DirectoryError};
pub use rootdse::RootDse;
pub use server::{Security, ServerSpec};
pub use session::{AccountName, Session};
