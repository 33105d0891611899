//! Asking the running service something, from the CLI or the GUI: connect to the socket in the
//! data folder, send one request, read one answer. Tells apart "no service" (no socket) from
//! "a service died and left its socket" (nobody answers on it).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::time::Duration;

use super::ServiceError;
use super::protocol::{Request, Response, SOCKET_NAME};

/// How long an answer may take (a history or a search over a large store takes a while).
const ANSWER_TIME: Duration = Duration::from_secs(120);

/// What asking the service came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Reach {
    /// The service answered.
    Answer(Response),
    /// No service runs for this folder.
    NotRunning,
    /// A socket is there but nothing answers on it: a service stopped without cleaning up.
    Stale,
}

/// Sends `request` to the service of the installation in `data`.
pub fn ask(data: &Path, request: &Request) -> Result<Reach, ServiceError> {
    let socket = data.join(SOCKET_NAME);
    if !socket.exists() {
        return Ok(Reach::NotRunning);
    }
    ask_at(&socket, request)
}

#[cfg(unix)]
fn ask_at(socket: &Path, request: &Request) -> Result<Reach, ServiceError> {
    use std::os::unix::net::UnixStream;
    let io = |what: &str, e: std::io::Error| ServiceError::Io {
        what: format!("{what} {}", socket.display()),
        detail: e.to_string(),
    };
    let mut stream = match UnixStream::connect(socket) {
        Ok(stream) => stream,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NotFound
            ) =>
        {
            return Ok(Reach::Stale);
        }
        Err(e) => return Err(io("the control socket", e)),
    };
    stream
        .set_read_timeout(Some(ANSWER_TIME))
        .map_err(|e| io("the control socket", e))?;
    let mut line = serde_json::to_string(request).map_err(|e| ServiceError::Io {
        what: "a request".into(),
        detail: e.to_string(),
    })?;
    line.push('\n');
    // A service that dies while it is asked resets the connection: nobody answers any more.
    let died = |e: &std::io::Error| {
        matches!(
            e.kind(),
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe
        )
    };
    match stream.write_all(line.as_bytes()) {
        Err(e) if died(&e) => return Ok(Reach::Stale),
        other => other.map_err(|e| io("writing to", e))?,
    }
    let mut answer = String::new();
    match BufReader::new(stream).read_line(&mut answer) {
        Err(e) if died(&e) => return Ok(Reach::Stale),
        other => other.map_err(|e| io("reading from", e))?,
    };
    if answer.trim().is_empty() {
        return Err(ServiceError::Io {
            what: format!("the service at {}", socket.display()),
            detail: "it closed the connection without answering".into(),
        });
    }
    serde_json::from_str(answer.trim())
        .map(Reach::Answer)
        .map_err(|e| ServiceError::Io {
            what: format!("the answer of the service at {}", socket.display()),
            detail: e.to_string(),
        })
}

#[cfg(not(unix))]
fn ask_at(_socket: &Path, _request: &Request) -> Result<Reach, ServiceError> {
    Err(ServiceError::Unsupported)
}
