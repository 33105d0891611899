//! The shared state of a running emulator: the store, the clock, the budget, faults, the log
//! and the token book, plus the tenant's fixed facts.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::faults::Faults;
use super::identity::Tokens;
use super::log::RequestLog;
use super::store::Store;
use super::throttle::WriteBudget;
use super::timefmt;
use crate::clock::Clock;

/// Who a Graph request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// A signed-in user (delegated token).
    User {
        /// The user's object id.
        id: String,
    },
    /// An application (client credentials token).
    App {
        /// The application (client) id.
        app_id: String,
        /// The application permissions its token carries (`User.ReadWrite.All`, …).
        roles: Vec<String>,
    },
}

/// Everything the request handlers share.
#[derive(Debug)]
pub struct Tenant {
    /// Persistent state.
    pub store: Store,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// The write budget.
    pub budget: Mutex<WriteBudget>,
    /// Fault injection.
    pub faults: Mutex<Faults>,
    /// The request log.
    pub log: RequestLog,
    /// Issued tokens, codes and device flows (in memory: a restart signs everyone out).
    pub tokens: Mutex<Tokens>,
    /// Serialises Graph requests so checks and writes never interleave.
    pub lock: Mutex<()>,
    /// The tenant id.
    pub tenant_id: String,
    /// `<name>.onmicrosoft.com`.
    pub initial_domain: String,
    /// Default page size of lists.
    pub page_size: usize,
    /// Page size of delta rounds.
    pub delta_page_size: usize,
    /// Lifetime of access tokens.
    pub token_lifetime: Duration,
    /// The built-in client's id.
    pub client_id: String,
    /// Whether the listener speaks TLS (for absolute links).
    pub tls: bool,
}

impl Tenant {
    /// Now, from the injected clock.
    pub fn now(&self) -> SystemTime {
        self.clock.wall()
    }

    /// Now as a Graph timestamp.
    pub fn timestamp(&self) -> String {
        timefmt::graph_timestamp(self.now())
    }
}
