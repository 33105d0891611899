//! The run profiles: full and delta import from a forest (DirSync), full and delta sync, export
//! to the tenant, and the write-back of managed sourceAnchors to Active Directory. Each keeps a
//! record in the run history.
//!
//! - [`mod@import`]: full and delta import from a forest into its connector space.
//! - [`mod@synchronize`]: full and delta sync, from the connector spaces into the metaverse.
//! - [`write_back`]: managed sourceAnchors written back to Active Directory.
//! - [`mod@export`]: pending changes exported to the tenant (creates, updates, memberships,
//!   deletes), with hard and soft matches.
//! - [`mod@history`]: the run records and how long they are kept.
//!
//! Everything the submodules offer is re-exported here: callers use `run::import`,
//! `run::export`, `run::history` and so on.

pub mod export;
pub mod history;
pub mod import;
pub mod synchronize;
pub mod write_back;

pub use export::{export, export_observed};
pub use history::{history, purge_history, record};
pub use import::{import, import_observed};
pub use synchronize::{synchronize, synchronize_observed};
pub use write_back::write_back_anchors;

use crate::directory::DirectoryError;
use crate::store::StoreError;
use crate::tenant::TenantError;

/// What can stop a run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The directory failed.
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    /// The tenant failed as a whole (per-object errors are recorded instead).
    #[error(transparent)]
    Tenant(#[from] TenantError),
}

fn now() -> u64 {
    crate::clock::unix_now()
}

/// How often a run reports how many objects it has handled.
pub const PROGRESS_EVERY: u64 = 250;
