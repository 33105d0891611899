//! Skybridge connects on-premises Active Directory forests to a cloud directory tenant.
//!
//! This crate is one library under two front ends: the desktop wizard (feature `gui`, module
//! `ui`) and the command line ([`cli`]). The library owns every piece of work that touches the
//! outside world; the front ends only collect input and show results. ARCHITECTURE.md is the
//! map.
//!
//! - [`cli`]: the command-line interface shared by the binary and its tests.
//! - `ui` (feature `gui`): the egui window; it renders the wizard and emits its messages.
//! - [`wizard`]: the install wizard as data: pages, the administrator's draft, validation.
//! - [`ops`]: the operations both front ends call.
//! - [`engine`]: the sync engine (rules, run profiles, settings versions, the cycle).
//! - [`store`]: where the engine keeps its state: the embedded store or a PostgreSQL server.
//! - [`passwords`]: password synchronization: the agent on a Samba domain controller and the
//!   service's delivery of each new password to the tenant.
//! - [`service`]: the installed service (`skybridge service run`) and its control channel.
//! - [`directory`]: reaching Active Directory domain controllers over LDAP.
//! - [`tenant`]: signing in to the cloud tenant and Microsoft Graph.
//! - [`federation`]: federation with AD FS or PingFederate: the checks and the tenant side.
//! - [`emulator`]: the tenant emulator, a stand-in for Microsoft Graph and its sign-in endpoints.
//! - [`secret`]: passwords in memory that never reach logs or files, and the OS keychain.
//! - [`host`]: this computer's name.
//! - [`template`]: filling `{name}` placeholders in texts.
//! - [`clock`]: injected time, so waiting code is testable.

// Tests may unwrap: a panic there is a test failure with its cause.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod cli;
pub mod clock;
pub mod directory;
pub mod emulator;
pub mod engine;
pub mod federation;
pub mod host;
pub mod ops;
pub mod passwords;
pub mod secret;
pub mod service;
pub mod store;
pub mod template;
pub mod tenant;
#[cfg(feature = "gui")]
pub mod ui;
pub mod wizard;
