//! Federation with AD FS or PingFederate: what Skybridge checks before anything is changed.
//!
//! - [`certificate`]: the farm's certificate file (PKCS#12/PFX or PEM): the password opens
//!   it, it holds the private key, the key is strong enough, it is valid now and for a while,
//!   it names the federation service, and its chain reaches a root.
//! - [`dns`]: what a DNS server answers for a name, and whether the federation service name
//!   is an A record.
//! - [`spn`]: whether `host/<federation service name>` is already held in the forest.

pub mod certificate;
pub mod dns;
pub mod spn;
