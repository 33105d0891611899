//! The long-running service, `skybridge service run --data DIR`: the one process that opens the
//! installation's store (sled holds a lock on it), runs synchronization cycles on the
//! [`Scheduler`], and answers the control channel in the data folder.
//!
//! A cycle runs on a thread of its own (LDAP and the tenant client drive runtimes of their
//! own); Stop, SIGTERM and Ctrl-C let a running cycle finish before the service leaves, and the
//! socket is removed on the way out. A socket left by a service that died is recognised (no one
//! answers on it) and replaced.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Notify;

use super::ServiceError;
use super::client::{self, Reach};
use super::protocol::{CycleOutcome, Request, Response, SOCKET_NAME, Status};
use crate::clock::{Clock, SystemClock};
use crate::engine::install::{self, Installation};
use crate::engine::schedule::Scheduler;
use crate::store::Store;

/// How the service runs.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// Time between scheduled cycles.
    pub interval: Duration,
}

impl Default for ServiceOptions {
    fn default() -> Self {
        ServiceOptions {
            interval: crate::engine::schedule::DEFAULT_INTERVAL,
        }
    }
}

/// What the service's parts share.
struct Shared {
    data: PathBuf,
    /// The settings in use; a cycle takes a copy when it starts.
    install: Mutex<Installation>,
    store: Arc<dyn Store>,
    options: ServiceOptions,
    cycle_running: AtomicBool,
    cycle_done: Notify,
    next_full: AtomicBool,
    cycles_done: AtomicU64,
    last: Mutex<Option<CycleOutcome>>,
    stop: Notify,
    stopping: AtomicBool,
    /// Password synchronization, when the installation has it: its part, or why it could not
    /// start (the address is taken, the keychain refused).
    passwords: Mutex<Option<Result<Arc<crate::passwords::service::PasswordSync>, String>>>,
}

/// Runs the service for the installation in `data` until it is told to stop.
pub fn run(data: &Path, options: ServiceOptions) -> Result<(), ServiceError> {
    let data = std::path::absolute(data).map_err(|e| ServiceError::Io {
        what: format!("the data folder {}", data.display()),
        detail: e.to_string(),
    })?;
    let install = Installation::load(&data)?;
    let socket = data.join(SOCKET_NAME);
    match client::ask(&data, &Request::Status)? {
        Reach::Answer(Response::Status(s)) => {
            return Err(ServiceError::AlreadyRunning {
                data: data.clone(),
                pid: s.pid,
            });
        }
        Reach::Answer(_) | Reach::NotRunning => {}
        Reach::Stale => {
            // A service that died left its socket: nothing listens on it any more.
            std::fs::remove_file(&socket).map_err(|e| ServiceError::Io {
                what: format!("the stale socket {}", socket.display()),
                detail: e.to_string(),
            })?;
        }
    }
    let store: Arc<dyn Store> = Arc::from(install::open_store(&data)?);
    let shared = Arc::new(Shared {
        data: data.clone(),
        install: Mutex::new(install),
        store,
        options,
        cycle_running: AtomicBool::new(false),
        cycle_done: Notify::new(),
        next_full: AtomicBool::new(false),
        cycles_done: AtomicU64::new(0),
        last: Mutex::new(None),
        stop: Notify::new(),
        stopping: AtomicBool::new(false),
        passwords: Mutex::new(None),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ServiceError::Io {
            what: "the service's runtime".into(),
            detail: e.to_string(),
        })?;
    let outcome = runtime.block_on(serve(shared, &socket));
    let _ = std::fs::remove_file(&socket);
    outcome
}

async fn serve(shared: Arc<Shared>, socket: &Path) -> Result<(), ServiceError> {
    let listener = UnixListener::bind(socket).map_err(|e| ServiceError::Io {
        what: format!("the control socket {}", socket.display()),
        detail: e.to_string(),
    })?;
    restrict(socket)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::default());
    let scheduler = Arc::new(Scheduler::new(shared.options.interval, clock));
    let accepting = tokio::spawn(accept(listener, shared.clone(), scheduler.clone()));
    let password_tasks = start_passwords(&shared).await;
    let cycles = {
        let shared = shared.clone();
        let scheduler = scheduler.clone();
        async move {
            scheduler
                .run(
                    || start_cycle(shared.clone()),
                    |_| !shared.stopping.load(Ordering::SeqCst),
                )
                .await
        }
    };
    let terminate = async {
        #[cfg(unix)]
        {
            if let Ok(mut term) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            {
                term.recv().await;
                return;
            }
        }
        std::future::pending::<()>().await;
    };
    tokio::select! {
        _ = cycles => {}
        () = shared.stop.notified() => {}
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    shared.stopping.store(true, Ordering::SeqCst);
    // A cycle under way finishes before the store is let go.
    while shared.cycle_running.load(Ordering::SeqCst) {
        let done = shared.cycle_done.notified();
        if !shared.cycle_running.load(Ordering::SeqCst) {
            break;
        }
        done.await;
    }
    accepting.abort();
    for task in password_tasks {
        task.abort();
    }
    // Passwords already taken from the agents go to the tenant before the process ends.
    let passwords = shared.passwords.lock().ok().and_then(|p| p.clone());
    if let Some(Ok(sync)) = passwords {
        sync.drain(Duration::from_secs(20)).await;
    }
    Ok(())
}

/// Starts password synchronization's listener and delivery when the installation has it. A
/// failure to start is kept for the status, and the service goes on without it.
async fn start_passwords(shared: &Arc<Shared>) -> Vec<tokio::task::JoinHandle<()>> {
    use crate::passwords::service::PasswordSync;
    let install = match shared.install.lock() {
        Ok(i) => i.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    let Some(settings) = install.password_sync() else {
        return Vec::new();
    };
    let data = shared.data.clone();
    let store = shared.store.clone();
    let reader = shared.clone();
    let current: Box<dyn Fn() -> Installation + Send + Sync> =
        Box::new(move || match reader.install.lock() {
            Ok(i) => i.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        });
    let keychain = crate::secret::Keychain::new(&install.keychain_service);
    // The keychain blocks.
    let bound = tokio::task::spawn_blocking(move || {
        PasswordSync::bind(data, keychain, &settings.listen, store, current)
    })
    .await;
    let outcome = match bound {
        Ok(Ok((sync, listener))) => {
            let tasks = vec![
                tokio::spawn(sync.clone().serve(listener)),
                tokio::spawn(sync.clone().deliver()),
            ];
            if let Ok(mut slot) = shared.passwords.lock() {
                *slot = Some(Ok(sync));
            }
            return tasks;
        }
        Ok(Err(e)) => e.to_string(),
        Err(e) => e.to_string(),
    };
    eprintln!("password synchronization could not start: {outcome}");
    if let Ok(mut slot) = shared.passwords.lock() {
        *slot = Some(Err(outcome));
    }
    Vec::new()
}

/// Runs one cycle on a thread of its own and waits for it. The running flag is cleared by the
/// thread itself, so a stop that stops waiting still sees the cycle until it really ends.
async fn start_cycle(shared: Arc<Shared>) {
    if shared.stopping.load(Ordering::SeqCst) {
        return;
    }
    let full = shared.next_full.swap(false, Ordering::SeqCst);
    shared.cycle_running.store(true, Ordering::SeqCst);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let worker = shared.clone();
    let spawned = std::thread::Builder::new()
        .name("skybridge-cycle".into())
        .spawn(move || {
            let settings = match worker.install.lock() {
                Ok(settings) => settings.clone(),
                Err(poisoned) => poisoned.into_inner().clone(),
            };
            let result =
                install::run_cycle_on(&worker.store, &settings, &worker.data, full, &|_, _| {});
            let error = match result {
                Ok(records) => records
                    .iter()
                    .find(|r| !r.succeeded())
                    .map(|r| format!("{} {}: {}", r.profile, r.connector, r.outcome)),
                Err(e) => Some(e.to_string()),
            };
            if let Ok(mut last) = worker.last.lock() {
                *last = Some(CycleOutcome {
                    ended: crate::clock::unix_now(),
                    full,
                    error,
                });
            }
            worker.cycles_done.fetch_add(1, Ordering::SeqCst);
            worker.cycle_running.store(false, Ordering::SeqCst);
            worker.cycle_done.notify_waiters();
            let _ = tx.send(());
        });
    match spawned {
        Ok(_) => {
            let _ = rx.await;
        }
        Err(e) => {
            if let Ok(mut last) = shared.last.lock() {
                *last = Some(CycleOutcome {
                    ended: crate::clock::unix_now(),
                    full,
                    error: Some(format!("cannot start the cycle's thread: {e}")),
                });
            }
            shared.cycle_running.store(false, Ordering::SeqCst);
            shared.cycle_done.notify_waiters();
        }
    }
}

/// Only the owner may connect.
fn restrict(socket: &Path) -> Result<(), ServiceError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600)).map_err(|e| {
            ServiceError::Io {
                what: format!("the control socket {}", socket.display()),
                detail: e.to_string(),
            }
        })?;
    }
    Ok(())
}

async fn accept(listener: UnixListener, shared: Arc<Shared>, scheduler: Arc<Scheduler>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(answer(stream, shared.clone(), scheduler.clone()));
    }
}

/// Reads one request line and writes one answer line.
async fn answer(stream: UnixStream, shared: Arc<Shared>, scheduler: Arc<Scheduler>) {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut reader = BufReader::new(read).take(1 << 20);
    if reader.read_line(&mut line).await.is_err() {
        return;
    }
    let response = match serde_json::from_str::<Request>(line.trim()) {
        Ok(request) => {
            let shared = shared.clone();
            let scheduler = scheduler.clone();
            // Store reads block: off the async threads.
            tokio::task::spawn_blocking(move || respond(&shared, &scheduler, request))
                .await
                .unwrap_or_else(|e| Response::Failed(format!("the request failed: {e}")))
        }
        Err(e) => Response::Failed(format!("not a request this service understands: {e}")),
    };
    let Ok(mut text) = serde_json::to_string(&response) else {
        return;
    };
    text.push('\n');
    let _ = write.write_all(text.as_bytes()).await;
    let _ = write.shutdown().await;
    if response == Response::Stopping {
        // Only now: the answer is on its way before the service winds down.
        shared.stop.notify_one();
    }
}

fn respond(shared: &Shared, scheduler: &Scheduler, request: Request) -> Response {
    use crate::engine::{run, search, sync};
    let store = &*shared.store;
    let failed = |e: crate::store::StoreError| Response::Failed(e.to_string());
    match request {
        Request::Status => match sync::pending_exports(store) {
            Ok(pending) => Response::Status(Status {
                pid: std::process::id(),
                data_dir: shared.data.display().to_string(),
                cycle_running: shared.cycle_running.load(Ordering::SeqCst),
                cycles_done: shared.cycles_done.load(Ordering::SeqCst),
                last_cycle: shared.last.lock().ok().and_then(|l| l.clone()),
                interval_minutes: shared.options.interval.as_secs() / 60,
                staging: shared
                    .install
                    .lock()
                    .map(|i| i.sync.staging)
                    .unwrap_or(false),
                pending_exports: pending.len(),
            }),
            Err(e) => failed(e),
        },
        Request::RunNow { full } => {
            if shared.stopping.load(Ordering::SeqCst) {
                return Response::Failed("the service is stopping".into());
            }
            if full {
                shared.next_full.store(true, Ordering::SeqCst);
            }
            scheduler.run_now();
            Response::Queued
        }
        Request::Pending => sync::pending_exports(store).map_or_else(failed, Response::Pending),
        Request::History => run::history(store).map_or_else(failed, Response::History),
        Request::Search { text, limit } => {
            search::search(store, &text, limit.min(10_000)).map_or_else(failed, Response::Found)
        }
        Request::Troubleshoot => {
            let history = run::history(store).unwrap_or_default();
            // LDAP, the keychain and the tenant client drive runtimes of their own: a plain
            // thread, outside the service's.
            let store = shared.store.clone();
            let data = shared.data.clone();
            match std::thread::spawn(move || {
                crate::engine::troubleshoot::run(&data, &*store, &history)
            })
            .join()
            {
                Ok(checks) => Response::Checks(checks),
                Err(_) => Response::Failed("the checklist stopped unexpectedly".into()),
            }
        }
        Request::SettingsHistory => {
            crate::engine::config::versions(store).map_or_else(failed, Response::SettingsHistory)
        }
        Request::ApplySettings { settings } => {
            use crate::engine::config::{ChangeError, apply_change};
            // One change at a time, and never while another request reads the settings.
            let Ok(mut current) = shared.install.lock() else {
                return Response::Failed("the service's settings are unusable; restart it".into());
            };
            match apply_change(store, &shared.data, &settings, crate::clock::unix_now()) {
                Ok(applied) => {
                    *current = *settings;
                    if applied.full_sync {
                        shared.next_full.store(true, Ordering::SeqCst);
                    }
                    scheduler.run_now();
                    Response::Applied(applied)
                }
                Err(ChangeError::Locked(locked)) => Response::Refused(locked),
                Err(e) => Response::Failed(e.to_string()),
            }
        }
        Request::PasswordStatus => match shared.passwords.lock().ok().and_then(|p| p.clone()) {
            Some(Ok(sync)) => Response::Passwords(Box::new(sync.status())),
            Some(Err(why)) => {
                Response::Failed(format!("password synchronization could not start: {why}"))
            }
            None => Response::Failed("this installation does not synchronize passwords".into()),
        },
        Request::Stop => {
            // No new cycle starts from here; the service leaves once this is answered.
            shared.stopping.store(true, Ordering::SeqCst);
            Response::Stopping
        }
    }
}
