//! Skybridge connects on-premises Active Directory forests to a cloud directory tenant.
//!
//! This crate is one library under two front ends: the desktop wizard (feature `gui`, module
//! `ui`) and the command line (`src/main.rs`). The library owns every piece of work that
//! touches the outside world; the front ends only collect input and show results.
//!
//! - [`wizard`]: the install wizard as data: pages, the administrator's draft, validation.
//! - [`directory`]: reaching Active Directory domain controllers over LDAP.
//! - [`engine`]: the sync engine (rules, store, run profiles).
//! - [`service`]: the installed service (`skybridge service run`) and its control channel.
//! - [`tenant`]: signing in to the cloud tenant and Microsoft Graph.
//! - [`emulator`]: the tenant emulator, a stand-in for Microsoft Graph and its sign-in endpoints.
//! - [`secret`]: passwords in memory that never reach logs or files.
//! - [`clock`]: injected time, so waiting code is testable.
//! - [`cli`]: the command-line interface shared by the binary and its tests.

// Tests may unwrap: a panic there is a test failure with its cause.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod cli;
pub mod clock;
pub mod dbserver;
pub mod directory;
pub mod emulator;
pub mod engine;
pub mod federation;
pub mod secret;
pub mod service;
pub mod tenant;
#[cfg(feature = "gui")]
pub mod ui;
pub mod wizard;
