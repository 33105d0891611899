//! Starting and stopping the service of an installation from the wizard or the CLI: the
//! `skybridge` program is started detached (its own process group, output appended to
//! `service.log` in the data folder) and is ready once it answers on its socket. When the
//! installation is registered with the system's service manager, that manager starts it
//! instead, so that there is never a second copy beside the registered one.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::ServiceError;
use super::client::{Reach, ask};
use super::protocol::{Request, Response, SOCKET_NAME};

/// The service's output, in the data folder.
pub const LOG_NAME: &str = "service.log";

/// How long a starting service may take to answer (it opens the store first).
const READY_TIME: Duration = Duration::from_secs(30);

/// How the service was started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Started {
    /// It already ran (its process id).
    AlreadyRunning(u32),
    /// Started now, detached (its process id).
    Detached(u32),
    /// Started by the system's service manager under this unit (the service's process id).
    Manager {
        /// The unit's name.
        unit: String,
        /// The service's process id.
        pid: u32,
    },
}

impl Started {
    /// The running service's process id.
    pub fn pid(&self) -> u32 {
        match self {
            Started::AlreadyRunning(pid) | Started::Detached(pid) => *pid,
            Started::Manager { pid, .. } => *pid,
        }
    }
}

/// The `skybridge` program that runs the service: this program when it is `skybridge`, else
/// the `skybridge` beside it or one folder up (a test binary in `target/*/deps`).
pub fn program() -> Result<PathBuf, ServiceError> {
    let exe = std::env::current_exe().map_err(|e| ServiceError::Io {
        what: "this program's own path".into(),
        detail: e.to_string(),
    })?;
    let name = format!("skybridge{}", std::env::consts::EXE_SUFFIX);
    if exe.file_name().is_some_and(|n| n == name.as_str()) {
        return Ok(exe);
    }
    exe.ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join(&name))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| ServiceError::Io {
            what: "the skybridge program".into(),
            detail: format!(
                "it is neither this program ({}) nor beside it",
                exe.display()
            ),
        })
}

/// The pid of the service answering for `data`, if one does.
pub fn running(data: &Path) -> Result<Option<u32>, ServiceError> {
    Ok(match ask(data, &Request::Status)? {
        Reach::Answer(Response::Status(status)) => Some(status.pid),
        _ => None,
    })
}

/// Starts the service of the installation in `data` with `program`, unless one already
/// answers. A registered installation is started by its service manager. Waits until the
/// service answers; when it exits first, says why with the end of its log.
pub fn start(
    program: &Path,
    data: &Path,
    interval_minutes: u64,
    manager: &super::systemd::UserManager,
) -> Result<Started, ServiceError> {
    if let Some(pid) = running(data)? {
        return Ok(Started::AlreadyRunning(pid));
    }
    if manager.is_registered(data) {
        let unit = super::systemd::unit_name(data);
        manager.systemctl(&["start", &unit])?;
        let pid = wait_ready(data, None)?;
        return Ok(Started::Manager { unit, pid });
    }
    spawn(program, data, interval_minutes)
}

/// Starts the installation's service as the wizard does, with the default interval: in the
/// background, or registered with the user's systemd (`register`), which starts it. Waits until
/// it answers.
pub fn bring_up(data: &Path, register: bool) -> Result<Started, ServiceError> {
    let program = program()?;
    let minutes = crate::engine::schedule::DEFAULT_INTERVAL.as_secs() / 60;
    let manager = super::systemd::UserManager::from_env();
    if register {
        manager.register(&program, data, minutes)?;
        let pid = wait_ready(data, None)?;
        return Ok(Started::Manager {
            unit: super::systemd::unit_name(data),
            pid,
        });
    }
    start(&program, data, minutes, &manager)
}

#[cfg(unix)]
fn spawn(program: &Path, data: &Path, interval_minutes: u64) -> Result<Started, ServiceError> {
    use std::os::unix::process::CommandExt;
    let log_path = data.join(LOG_NAME);
    let io = |what: String| {
        move |e: std::io::Error| ServiceError::Io {
            what,
            detail: e.to_string(),
        }
    };
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(io(format!("the service log {}", log_path.display())))?;
    let log_err = log
        .try_clone()
        .map_err(io(format!("the service log {}", log_path.display())))?;
    let mut child = std::process::Command::new(program)
        .arg("service")
        .arg("run")
        .arg("--data")
        .arg(data)
        .arg("--interval-minutes")
        .arg(interval_minutes.to_string())
        .stdin(std::process::Stdio::null())
        .stdout(log)
        .stderr(log_err)
        // Its own process group: closing the window or its terminal leaves it running.
        .process_group(0)
        .spawn()
        .map_err(io(format!("starting {}", program.display())))?;
    let pid = child.id();
    let outcome = wait_ready(data, Some(&mut child));
    // Reap it when it ends, so that no zombie stays behind while this process runs.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    outcome?;
    Ok(Started::Detached(pid))
}

#[cfg(not(unix))]
fn spawn(_program: &Path, _data: &Path, _interval_minutes: u64) -> Result<Started, ServiceError> {
    Err(ServiceError::Unsupported)
}

/// Waits until the service of `data` answers, and returns its pid. When `child` exits first,
/// the error carries the end of the service's log.
fn wait_ready(
    data: &Path,
    mut child: Option<&mut std::process::Child>,
) -> Result<u32, ServiceError> {
    let deadline = Instant::now() + READY_TIME;
    loop {
        if let Some(pid) = running(data)? {
            return Ok(pid);
        }
        if let Some(child) = child.as_deref_mut()
            && let Ok(Some(status)) = child.try_wait()
        {
            return Err(ServiceError::Io {
                what: "the service".into(),
                detail: format!("it stopped at once ({status}): {}", log_tail(data)),
            });
        }
        if Instant::now() > deadline {
            return Err(ServiceError::Io {
                what: "the service".into(),
                detail: format!(
                    "it did not answer within {} s: {}",
                    READY_TIME.as_secs(),
                    log_tail(data)
                ),
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The last lines of the service's log, for an error message.
pub fn log_tail(data: &Path) -> String {
    let text = std::fs::read_to_string(data.join(LOG_NAME)).unwrap_or_default();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(3)..].join(" / ");
    if tail.is_empty() {
        "its log is empty".into()
    } else {
        tail
    }
}

/// What stopping came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// It stopped after its running cycle.
    Stopped,
    /// None ran.
    NotRunning,
    /// None ran; the socket a crashed one left was removed.
    RemovedStale,
}

/// Stops the service of `data` after its running cycle and waits until it has gone. A
/// registered installation is stopped through its service manager, which would otherwise
/// start it again.
pub fn stop(data: &Path, manager: &super::systemd::UserManager) -> Result<Stopped, ServiceError> {
    if manager.is_registered(data) && running(data)?.is_some() {
        manager.systemctl(&["stop", &super::systemd::unit_name(data)])?;
        return Ok(Stopped::Stopped);
    }
    let socket = data.join(SOCKET_NAME);
    match ask(data, &Request::Stop)? {
        Reach::Answer(Response::Stopping) => {
            // The service removes its socket as it leaves.
            while socket.exists() {
                std::thread::sleep(Duration::from_millis(100));
            }
            Ok(Stopped::Stopped)
        }
        Reach::Answer(other) => Err(ServiceError::Io {
            what: "the service".into(),
            detail: format!("unexpected answer: {other:?}"),
        }),
        Reach::NotRunning => Ok(Stopped::NotRunning),
        Reach::Stale => {
            std::fs::remove_file(&socket).map_err(|e| ServiceError::Io {
                what: format!("the stale socket {}", socket.display()),
                detail: e.to_string(),
            })?;
            Ok(Stopped::RemovedStale)
        }
    }
}
