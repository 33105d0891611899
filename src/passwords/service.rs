//! The service's side of password synchronization: the TLS listener agents deliver to, and the
//! delivery of each new password to the tenant (`PATCH /users/{id}` with `passwordProfile`).
//!
//! A password lives only in memory, as a [`Secret`] in the queue, until the tenant accepted
//! it, refused it, or its retry window ended; it is never logged or written anywhere. A user the
//! engine has not exported yet waits (it is tried again until the window ends); in staging mode
//! nothing is written and the change is dropped, counted. Each pass that delivered or failed
//! something leaves a "Password synchronization" run in the history, with the tenant's words
//! for every user it refused.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio_rustls::TlsAcceptor;

use super::PasswordError;
use super::enrolment::{self, AgentRecord, Register};
use super::wire::{self, AgentMessage, Prover, ServiceMessage};
use crate::clock::unix_now;
use crate::directory::import::ObjectClass;
use crate::engine::install::Installation;
use crate::engine::model::{MvKind, MvObject, RunCounts};
use crate::secret::{Keychain, Secret};
use crate::store::{Space, Store, StoreExt as _};
use crate::tenant::TenantError;
use crate::tenant::graph::GraphClient;

/// How long a change is tried before it is given up (a user not yet in the tenant, a tenant
/// that does not answer).
pub const RETRY_WINDOW_SECONDS: u64 = 3600;
/// The run profile of password deliveries in the history.
pub const PROFILE: &str = "Password synchronization";
/// How many recent failures the status keeps.
const RECENT_FAILURES: usize = 20;
/// Connections served at once; more are closed at once.
const MAX_CONNECTIONS: usize = 64;
/// Messages one connection may send before it is closed.
const MAX_MESSAGES: usize = 1000;
/// Users whose new password may wait at once; more changes are refused (Samba's loop hands
/// them over again).
const MAX_WAITING: usize = 100_000;

/// What the status shows about password synchronization.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordStatus {
    /// Where agents deliver (`host:port`).
    pub listening: String,
    /// The service certificate's fingerprint.
    pub service_fingerprint: String,
    /// The enrolled agents.
    pub agents: Vec<AgentRecord>,
    /// Changes received from agents since the service started.
    pub received: u64,
    /// Changes the tenant accepted.
    pub delivered: u64,
    /// Changes the tenant refused, or given up.
    pub failed: u64,
    /// Changes dropped because the installation is in staging mode.
    pub held_by_staging: u64,
    /// Changes for objects outside the synchronization's scope.
    pub out_of_scope: u64,
    /// Changes waiting (for the user's export, or for the tenant).
    pub waiting: u64,
    /// Why the last change that had to wait did (the user is not in the tenant yet, what the
    /// tenant answered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_because: Option<String>,
    /// The latest failures: (user, what the tenant said).
    pub recent_failures: Vec<(String, String)>,
    /// Users in the tenant from this installation that no password has reached yet.
    pub users_without_password: Option<u64>,
}

struct Waiting {
    account: String,
    password: Secret,
    received: u64,
    next_try: u64,
    attempts: u32,
}

/// Password synchronization inside the running service.
pub struct PasswordSync {
    data: PathBuf,
    keychain: Keychain,
    listening: String,
    service_fingerprint: String,
    acceptor: TlsAcceptor,
    store: Arc<dyn Store>,
    settings: Box<dyn Fn() -> Installation + Send + Sync>,
    register: Mutex<Register>,
    queue: Mutex<BTreeMap<[u8; 16], Waiting>>,
    wake: Notify,
    received: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
    held_by_staging: AtomicU64,
    out_of_scope: AtomicU64,
    recent_failures: Mutex<Vec<(String, String)>>,
    waiting_because: Mutex<Option<String>>,
    connections: Arc<tokio::sync::Semaphore>,
    /// When the register on disk last changed, as last read.
    register_changed: Mutex<Option<std::time::SystemTime>>,
}

/// Why an agent's delivery is refused.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    /// No such agent.
    #[error(
        "this agent is not enrolled with this installation; enrol it with `skybridge password-agent install --service HOST:PORT` and a new code"
    )]
    NotEnrolled,
    /// Revoked (its name).
    #[error("the agent {0} was revoked; enrol it again with a new code to deliver passwords")]
    Revoked(String),
}

/// Why the service could not sign in to the tenant for a delivery.
#[derive(Debug, thiserror::Error)]
enum ConnectError {
    /// The installation's secret or the sign-in.
    #[error(transparent)]
    Install(#[from] crate::engine::install::InstallError),
    /// The keychain's thread did not finish.
    #[error("reading the application secret stopped: {0}")]
    Stopped(#[from] tokio::task::JoinError),
}

impl PasswordSync {
    /// Binds the listener at `listen` and prepares the service's side. Blocking (keychain).
    pub fn bind(
        data: PathBuf,
        keychain: Keychain,
        listen: &str,
        store: Arc<dyn Store>,
        settings: Box<dyn Fn() -> Installation + Send + Sync>,
    ) -> Result<(Arc<PasswordSync>, std::net::TcpListener), PasswordError> {
        let identity = enrolment::service_identity(&data, &keychain)?;
        let config = super::pki::server_config(&identity)?;
        let listener = std::net::TcpListener::bind(listen).map_err(|e| PasswordError::Io {
            what: format!("the password synchronization address {listen}"),
            detail: e.to_string(),
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|e| PasswordError::Io {
                what: format!("the password synchronization address {listen}"),
                detail: e.to_string(),
            })?;
        let listening = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_else(|_| listen.to_string());
        let register = enrolment::load_register(&data)?;
        Ok((
            Arc::new(PasswordSync {
                data,
                keychain,
                listening,
                service_fingerprint: identity.fingerprint()?,
                acceptor: TlsAcceptor::from(Arc::new(config)),
                store,
                settings,
                register: Mutex::new(register),
                queue: Mutex::new(BTreeMap::new()),
                wake: Notify::new(),
                received: AtomicU64::new(0),
                delivered: AtomicU64::new(0),
                failed: AtomicU64::new(0),
                held_by_staging: AtomicU64::new(0),
                out_of_scope: AtomicU64::new(0),
                recent_failures: Mutex::new(Vec::new()),
                waiting_because: Mutex::new(None),
                connections: Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS)),
                register_changed: Mutex::new(None),
            }),
            listener,
        ))
    }

    /// Accepts agents' connections until the task is dropped.
    pub async fn serve(self: Arc<Self>, listener: std::net::TcpListener) {
        let Ok(listener) = TcpListener::from_std(listener) else {
            return;
        };
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            // Past the limit a connection is closed at once, unread.
            let Ok(permit) = self.connections.clone().try_acquire_owned() else {
                drop(stream);
                continue;
            };
            let this = self.clone();
            tokio::spawn(async move {
                this.connection(stream).await;
                drop(permit);
            });
        }
    }

    async fn connection(self: Arc<Self>, stream: TcpStream) {
        let _ = stream.set_nodelay(true);
        let Ok(Ok(mut tls)) =
            tokio::time::timeout(Duration::from_secs(10), self.acceptor.accept(stream)).await
        else {
            return;
        };
        let Some(agent_fp) = tls
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|c| c.first())
            .map(|c| super::pki::fingerprint(c))
        else {
            return;
        };
        for _ in 0..MAX_MESSAGES {
            let message = match tokio::time::timeout(
                Duration::from_secs(60),
                wire::receive::<AgentMessage>(&mut tls),
            )
            .await
            {
                Ok(Ok(m)) => m,
                _ => return,
            };
            let this = self.clone();
            let fp = agent_fp.clone();
            // The keychain and the register are blocking.
            let Ok(answer) = tokio::task::spawn_blocking(move || this.answer(message, &fp)).await
            else {
                return;
            };
            let goes_on = matches!(answer, ServiceMessage::Accepted);
            if wire::send(&mut tls, &answer).await.is_err() || !goes_on {
                // A refusal or an enrolment ends the connection.
                return;
            }
        }
    }

    fn answer(&self, message: AgentMessage, agent_fp: &str) -> ServiceMessage {
        match &message {
            AgentMessage::Enroll {
                name,
                version,
                proof,
            } => self.enroll(name, version, proof, agent_fp),
            AgentMessage::Change {
                guid,
                account,
                password,
                version,
            } => {
                if let Err(refusal) = self.known(agent_fp, version) {
                    return ServiceMessage::Refused {
                        reason: refusal.to_string(),
                    };
                }
                let Some(guid) = parse_guid(guid) else {
                    return ServiceMessage::Refused {
                        reason: "the change names no valid objectGUID".into(),
                    };
                };
                let now = unix_now();
                let account = account.clone().unwrap_or_else(|| super::pki::hex(&guid));
                let change = Waiting {
                    account,
                    password: Secret::new(password.clone()),
                    received: now,
                    next_try: now,
                    attempts: 0,
                };
                // A newer password of the same user replaces one not yet delivered.
                let mut queue = self
                    .queue
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if queue.len() >= MAX_WAITING && !queue.contains_key(&guid) {
                    return ServiceMessage::Refused {
                        reason: "too many passwords wait for the tenant; Samba's loop hands this one over again later".into(),
                    };
                }
                queue.insert(guid, change);
                drop(queue);
                self.received.fetch_add(1, Ordering::SeqCst);
                self.wake.notify_one();
                ServiceMessage::Accepted
            }
        }
    }

    fn enroll(&self, name: &str, version: &str, proof: &str, agent_fp: &str) -> ServiceMessage {
        let now = unix_now();
        let taken = enrolment::take_code(&self.keychain, now, |code| {
            wire::verify(
                code,
                Prover::Agent,
                &self.service_fingerprint,
                agent_fp,
                proof,
            )
        });
        let code = match taken {
            Ok(Some(code)) => code,
            Ok(None) => {
                return ServiceMessage::Refused {
                    reason: "the enrolment code is wrong, already used or expired; open a new one with `skybridge password-agent enroll` on the sync server (or in the wizard's Additional tasks)".into(),
                };
            }
            Err(e) => {
                return ServiceMessage::Refused {
                    reason: format!("the service cannot check the code: {e}"),
                };
            }
        };
        let mut register = self
            .register
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A revocation or an agent written meanwhile by another process is kept.
        merge_disk(&self.data, &mut register);
        register.agents.retain(|a| a.fingerprint != agent_fp);
        register.agents.push(AgentRecord {
            name: name.chars().take(253).collect(),
            fingerprint: agent_fp.to_string(),
            enrolled: now,
            last_seen: Some(now),
            version: Some(version.chars().take(40).collect()),
            revoked: false,
        });
        if let Err(e) = enrolment::save_register(&self.data, &register) {
            return ServiceMessage::Refused {
                reason: format!("the service cannot record the agent: {e}"),
            };
        }
        ServiceMessage::Enrolled {
            proof: wire::proof(
                code.expose(),
                Prover::Service,
                &self.service_fingerprint,
                agent_fp,
            ),
        }
    }

    /// Whether the agent is enrolled and not revoked; notes that it was seen. The register on
    /// disk is read again when it changed since it was last read (another process may have
    /// revoked an agent), and written at most once a minute for the last-seen times.
    fn known(&self, agent_fp: &str, version: &str) -> Result<(), Refusal> {
        let mut register = self
            .register
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let changed = enrolment::register_changed(&self.data);
        if let Ok(mut seen) = self.register_changed.lock()
            && *seen != changed
        {
            merge_disk(&self.data, &mut register);
            *seen = changed;
        }
        let now = unix_now();
        let Some(agent) = register
            .agents
            .iter_mut()
            .find(|a| a.fingerprint == agent_fp)
        else {
            return Err(Refusal::NotEnrolled);
        };
        if agent.revoked {
            return Err(Refusal::Revoked(agent.name.clone()));
        }
        let stale = agent.last_seen.is_none_or(|t| now.saturating_sub(t) >= 60);
        agent.last_seen = Some(now);
        agent.version = Some(version.chars().take(40).collect());
        if stale {
            let _ = enrolment::save_register(&self.data, &register);
        }
        Ok(())
    }

    /// What the status shows.
    pub fn status(&self) -> PasswordStatus {
        let agents = self
            .register
            .lock()
            .map(|r| r.agents.clone())
            .unwrap_or_default();
        PasswordStatus {
            listening: self.listening.clone(),
            service_fingerprint: self.service_fingerprint.clone(),
            agents,
            received: self.received.load(Ordering::SeqCst),
            delivered: self.delivered.load(Ordering::SeqCst),
            failed: self.failed.load(Ordering::SeqCst),
            held_by_staging: self.held_by_staging.load(Ordering::SeqCst),
            out_of_scope: self.out_of_scope.load(Ordering::SeqCst),
            waiting: self.queue.lock().map(|q| q.len() as u64).unwrap_or(0),
            waiting_because: self.waiting_because.lock().ok().and_then(|w| w.clone()),
            recent_failures: self
                .recent_failures
                .lock()
                .map(|f| f.clone())
                .unwrap_or_default(),
            users_without_password: users_without_password(&*self.store).ok(),
        }
    }

    /// Delivers queued changes until the task is dropped.
    pub async fn deliver(self: Arc<Self>) {
        let mut graph: Option<GraphClient> = None;
        loop {
            let due = self.take_due(unix_now());
            if due.is_empty() {
                let _ = tokio::time::timeout(Duration::from_secs(1), self.wake.notified()).await;
                continue;
            }
            let started = unix_now();
            let settings = (self.settings)();
            let mut pass = Pass::default();
            for (guid, change) in due {
                self.deliver_one(&settings, &mut graph, guid, change, &mut pass)
                    .await;
            }
            if pass.delivered + pass.failed.len() as u64 + pass.staged > 0 {
                self.record(started, pass).await;
            }
        }
    }

    /// Delivers what waits, for at most `within`: the service calls it on its way out, so that
    /// a password Samba's loop considers handed over is not lost with the process.
    pub async fn drain(self: Arc<Self>, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        let mut graph: Option<GraphClient> = None;
        while tokio::time::Instant::now() < deadline {
            let now = unix_now();
            // Everything waiting is due now.
            let due: Vec<([u8; 16], Waiting)> = {
                let mut queue = self
                    .queue
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                std::mem::take(&mut *queue).into_iter().collect()
            };
            if due.is_empty() {
                return;
            }
            let started = now;
            let settings = (self.settings)();
            let mut pass = Pass::default();
            for (guid, change) in due {
                let left = deadline.saturating_duration_since(tokio::time::Instant::now());
                if tokio::time::timeout(
                    left,
                    self.deliver_one(&settings, &mut graph, guid, change, &mut pass),
                )
                .await
                .is_err()
                {
                    break;
                }
            }
            let progressed = pass.delivered + pass.failed.len() as u64 + pass.staged > 0;
            if progressed {
                self.record(started, pass).await;
            } else {
                // What waits for an export, or for a tenant that does not answer, stays lost.
                return;
            }
            if self.queue.lock().map(|q| q.is_empty()).unwrap_or(true)
                || tokio::time::Instant::now() >= deadline
            {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    fn take_due(&self, now: u64) -> Vec<([u8; 16], Waiting)> {
        let mut queue = self
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let due: Vec<[u8; 16]> = queue
            .iter()
            .filter(|(_, w)| w.next_try <= now)
            .map(|(g, _)| *g)
            .collect();
        due.into_iter()
            .filter_map(|g| queue.remove(&g).map(|w| (g, w)))
            .collect()
    }

    fn retry_later(&self, guid: [u8; 16], mut change: Waiting, pass: &mut Pass, why: String) {
        let now = unix_now();
        if now.saturating_sub(change.received) >= RETRY_WINDOW_SECONDS {
            self.fail(
                pass,
                change.account.clone(),
                format!("given up after an hour of trying: {why}"),
            );
            return;
        }
        if let Ok(mut because) = self.waiting_because.lock() {
            *because = Some(why);
        }
        change.attempts = change.attempts.saturating_add(1);
        let pause = 1u64 << change.attempts.min(6);
        change.next_try = now.saturating_add(pause);
        let mut queue = self
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A newer password that arrived meanwhile wins.
        queue.entry(guid).or_insert(change);
    }

    fn fail(&self, pass: &mut Pass, account: String, words: String) {
        self.failed.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut recent) = self.recent_failures.lock() {
            recent.push((account.clone(), words.clone()));
            let excess = recent.len().saturating_sub(RECENT_FAILURES);
            recent.drain(..excess);
        }
        pass.failed.push((account, words));
    }

    async fn deliver_one(
        &self,
        settings: &Installation,
        graph: &mut Option<GraphClient>,
        guid: [u8; 16],
        change: Waiting,
        pass: &mut Pass,
    ) {
        if settings.sync.staging {
            self.held_by_staging.fetch_add(1, Ordering::SeqCst);
            pass.staged += 1;
            return;
        }
        let connectors: Vec<String> = settings
            .sync
            .connectors
            .iter()
            .map(|c| c.name.clone())
            .collect();
        let store = self.store.clone();
        let target =
            tokio::task::spawn_blocking(move || resolve(&*store, &connectors, &guid)).await;
        let target = match target {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => return self.retry_later(guid, change, pass, e.to_string()),
            Err(e) => return self.retry_later(guid, change, pass, e.to_string()),
        };
        let (tenant_id, mv_id) = match target {
            Target::OutOfScope => {
                self.out_of_scope.fetch_add(1, Ordering::SeqCst);
                return;
            }
            Target::NotYet => {
                return self.retry_later(
                    guid,
                    change,
                    pass,
                    "the user is not in the tenant yet (the next export brings it)".into(),
                );
            }
            Target::User { tenant_id, mv_id } => (tenant_id, mv_id),
        };
        if graph.is_none() {
            match connect(settings).await {
                Ok(g) => *graph = Some(g),
                Err(e) => return self.retry_later(guid, change, pass, e.to_string()),
            }
        }
        let Some(client) = graph.as_ref() else {
            return;
        };
        let body = json!({
            "passwordProfile": {
                "password": change.password.expose(),
                "forceChangePasswordNextSignIn": false,
            },
            "passwordPolicies": "DisablePasswordExpiration",
        });
        let result = client.update_user(&tenant_id, &body).await;
        wipe(body);
        match result {
            Ok(()) => {
                self.delivered.fetch_add(1, Ordering::SeqCst);
                pass.delivered += 1;
                pass.synced.push(mv_id);
            }
            Err(e) if refused_for_good(&e) => {
                self.fail(pass, change.account.clone(), e.to_string());
            }
            Err(e) => {
                if matches!(e, TenantError::Identity { .. }) {
                    *graph = None;
                }
                self.retry_later(guid, change, pass, e.to_string());
            }
        }
    }

    async fn record(&self, started: u64, pass: Pass) {
        let store = self.store.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let mut batch = crate::store::Batch::default();
            for mv in &pass.synced {
                let _ = batch.put(Space::Meta, synced_key(mv).as_bytes(), &unix_now());
            }
            let _ = store.commit(batch);
            let counts = RunCounts {
                updates: pass.delivered,
                errors: pass.failed.len() as u64,
                ..RunCounts::default()
            };
            let outcome = match (pass.failed.len(), pass.staged) {
                (0, 0) => "success".to_string(),
                (0, staged) => {
                    format!("staging mode: {staged} new password(s) not written to the tenant")
                }
                (n, _) => format!("completed with {n} error(s)"),
            };
            crate::engine::run::record(
                &*store,
                PROFILE,
                "tenant",
                started,
                counts,
                outcome,
                pass.failed,
            )
        })
        .await;
    }
}

/// Takes in what another process wrote to the register: revocations (`password-agent
/// revoke`) and agents this process does not know.
fn merge_disk(data: &std::path::Path, register: &mut Register) {
    let Ok(on_disk) = enrolment::load_register(data) else {
        return;
    };
    for disk in on_disk.agents {
        match register
            .agents
            .iter_mut()
            .find(|a| a.fingerprint == disk.fingerprint)
        {
            Some(agent) => agent.revoked |= disk.revoked,
            None => register.agents.push(disk),
        }
    }
}

#[derive(Default)]
struct Pass {
    delivered: u64,
    staged: u64,
    failed: Vec<(String, String)>,
    synced: Vec<String>,
}

enum Target {
    OutOfScope,
    NotYet,
    User { tenant_id: String, mv_id: String },
}

/// The tenant object of the user with this objectGUID, through the connector space and the
/// metaverse.
fn resolve(
    store: &dyn Store,
    connectors: &[String],
    guid: &[u8; 16],
) -> Result<Target, crate::store::StoreError> {
    let anchor = base64::engine::general_purpose::STANDARD.encode(guid);
    for connector in connectors {
        let key = crate::engine::model::key(connector, &anchor);
        if store.get_raw(Space::Connector, &key)?.is_none() {
            continue;
        }
        // A link record decides: an identity, or empty (left out of scope). Without one the
        // object belongs to the identity it projected — or was imported and not synchronized
        // yet, when that identity does not exist (yet).
        let mv_id = match store.get::<String>(Space::JoinToMetaverse, &key)? {
            Some(id) if id.is_empty() => return Ok(Target::OutOfScope),
            Some(id) => id,
            None => {
                match crate::engine::sync::joined_to(store, connector, &anchor, ObjectClass::User)?
                {
                    Some(id) => id,
                    None => return Ok(Target::NotYet),
                }
            }
        };
        let Some(mv) = store.get::<MvObject>(Space::Metaverse, mv_id.as_bytes())? else {
            return Ok(Target::NotYet);
        };
        if mv.kind != MvKind::Person || mv.deleting || mv.not_exportable.is_some() {
            return Ok(Target::OutOfScope);
        }
        return Ok(match mv.tenant_id {
            Some(tenant_id) => Target::User { tenant_id, mv_id },
            None => Target::NotYet,
        });
    }
    // Not imported yet: a user created a moment ago.
    Ok(Target::NotYet)
}

fn synced_key(mv_id: &str) -> String {
    format!("password-synced/{mv_id}")
}

/// Users this installation put in the tenant that no synchronized password has reached.
pub fn users_without_password(store: &dyn Store) -> Result<u64, crate::store::StoreError> {
    let mut count = 0u64;
    for (key, mv) in store.scan::<MvObject>(Space::Metaverse, b"")? {
        if mv.kind == MvKind::Person && mv.tenant_id.is_some() {
            let id = String::from_utf8_lossy(&key).into_owned();
            if store
                .get_raw(Space::Meta, synced_key(&id).as_bytes())?
                .is_none()
            {
                count += 1;
            }
        }
    }
    Ok(count)
}

/// A refusal that trying again does not change: the tenant's rules (400), a missing right
/// (403), a user gone (404).
fn refused_for_good(e: &TenantError) -> bool {
    matches!(e.status(), Some(400 | 403 | 404))
}

async fn connect(settings: &Installation) -> Result<GraphClient, ConnectError> {
    let install = settings.clone();
    // The keychain blocks.
    let secret = tokio::task::spawn_blocking(move || install.client_secret()).await??;
    Ok(settings.graph(secret).await?)
}

/// Overwrites the password inside a request body before it is dropped.
fn wipe(mut body: serde_json::Value) {
    if let Some(serde_json::Value::String(p)) = body
        .get_mut("passwordProfile")
        .and_then(|p| p.get_mut("password"))
    {
        zeroize::Zeroize::zeroize(p);
    }
}

fn parse_guid(hex: &str) -> Option<[u8; 16]> {
    if hex.len() != 32 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_travel_as_hex_and_anything_else_is_refused() {
        let guid = [7u8; 16];
        assert_eq!(parse_guid(&super::super::pki::hex(&guid)), Some(guid));
        assert_eq!(parse_guid("07"), None);
        assert_eq!(parse_guid(&"zz".repeat(16)), None);
        assert_eq!(parse_guid(&"é".repeat(16)), None);
    }
}
