//! The wizard window driven without a display (egui_kittest): widgets are found by their labels,
//! as a screen reader would find them.
//!
//! One test binary, a module per theme: `harness` (the window, and the steps the other modules
//! share), `walk` (Welcome, Express settings, the custom walk, the keyboard), `tenant` (signing in
//! to the tenant), `express` (the express install), `custom` (the full custom walk on a real
//! forest), `tasks` (Additional tasks on an installed folder), `federation` (AD FS and
//! PingFederate) and `database` (the database server on Required components).
#![cfg(feature = "gui")]

#[path = "../common/mod.rs"]
mod common;

mod custom;
mod database;
mod express;
mod federation;
mod harness;
mod tasks;
mod tenant;
mod walk;
