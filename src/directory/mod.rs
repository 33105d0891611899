//! Active Directory over LDAP (crate `ldap3`): how to reach a domain controller securely and
//! what it says about itself before anyone binds.
//!
//! - [`server`]: a server description (URL, transport security, CA file, time-out) and connecting.
//! - [`tls`]: the TLS client configuration, always verifying the server's certificate.
//! - [`rootdse`]: the anonymous root DSE read that tells what a server is.

pub mod rootdse;
pub mod server;
pub mod tls;

pub use rootdse::RootDse;
pub use server::{DirectoryError, Security, ServerSpec};
