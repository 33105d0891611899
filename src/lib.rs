//! Skybridge connects on-premises Active Directory forests to a cloud directory tenant.
//!
//! This crate is one library under two front ends: the desktop wizard (feature `gui`, module
//! [`ui`]) and the command line (`src/main.rs`). The library owns every piece of work that
//! touches the outside world; the front ends only collect input and show results.
//!
//! - [`wizard`]: the install wizard as data: pages, the administrator's draft, validation.
//! - [`directory`]: reaching Active Directory domain controllers over LDAP.
//! - [`cli`]: the command-line interface shared by the binary and its tests.

// Tests may unwrap: a panic there is a test failure with its cause.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod cli;
pub mod directory;
#[cfg(feature = "gui")]
pub mod ui;
pub mod wizard;
