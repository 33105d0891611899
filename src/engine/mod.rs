//! The sync engine: connector spaces, a metaverse and run history kept in a store, the default
//! sync rules, and the run profiles that move changes from Active Directory to the tenant.
//!
//! - [`rules`]: the default rules as pure functions (exclusions, sourceAnchor, tenant UPN, joins).
//! - [`model`]: connector-space and metaverse objects, pending exports, run records.
//! - [`config`]: settings after install: locked settings, differences, kept versions.
//! - [`attributes`]: the catalogue of attributes copied to the tenant (app and attribute filtering).
//! - [`extensions`]: directory extensions (forest attributes kept in tenant extension properties).
//! - [`sync`]: scoping, joins, projection and the tenant state each identity should have.
//! - [`run`]: the run profiles (import, sync, export, anchor write-back) and the run history.
//! - [`schedule`]: the cycle scheduler, on an injected clock.
//! - [`install`]: an installation's settings, secrets and the cycle run against it.
//! - [`search`]: finding objects in the connector spaces and the metaverse.
//! - [`troubleshoot`]: the checklist run against a live installation.
//!
//! The engine keeps its state in [`crate::store`].

pub mod attributes;
pub mod config;
pub mod extensions;
pub mod install;
pub mod model;
pub mod rules;
pub mod run;
pub mod schedule;
pub mod search;
pub mod sync;
pub mod troubleshoot;
