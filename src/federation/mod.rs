//! Federation with AD FS or PingFederate: what Skybridge checks before anything is changed,
//! the tenant side it configures, and the Windows side it hands over as a script.
//!
//! - [`certificate`]: the farm's certificate file (PKCS#12/PFX or PEM): the password opens
//!   it, it holds the private key, the key is strong enough, it is valid now and for a while,
//!   it names the federation service, and its chain reaches a root.
//! - [`dns`]: what a DNS server answers for a name, and whether the federation service name
//!   is an A record.
//! - [`spn`]: whether `host/<federation service name>` is already held in the forest.
//! - [`account`]: the farm's service account (managed service account and KDS root key, or a
//!   domain user and its password).
//! - [`servers`]: each federation server and proxy answers on 443 with the farm's certificate.
//! - [`metadata`]: the identity provider's metadata, fetched, read and checked, and the
//!   tenant settings made from it.
//! - [`domain`]: the tenant domain to federate, converting it and converting it back.
//! - [`deploy`]: the PowerShell deployment script for a new farm.
//! - [`verify`]: the farm's checks that ask servers (names, servers and proxies, the SPN and
//!   the service account, the metadata), run together, as rows to show.

pub mod account;
pub mod certificate;
pub mod deploy;
pub mod dns;
pub mod domain;
pub mod metadata;
pub mod servers;
pub mod spn;
pub mod verify;
