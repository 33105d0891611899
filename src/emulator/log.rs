//! The request log: one JSON line per request under the data directory (`requests.jsonl`), also
//! served at `GET /_emulator/requests`.
//!
//! An entry holds the method, the path with its query (values of sensitive parameters replaced
//! by `***`), the status, the time and the duration, and for `$batch` items the batch item id.
//! Never a header, a body, a token, a secret or a password: tests use the log to prove what a
//! client did (for example that a staging run wrote nothing) and can grep it for secrets.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// One logged request.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LogEntry {
    /// Position in the log, from 1.
    pub seq: u64,
    /// When the request arrived (`2021-09-21T07:09:14Z`).
    pub time: String,
    /// HTTP method.
    pub method: String,
    /// Path and query, sensitive query values redacted.
    pub path: String,
    /// The status answered (0: the connection was dropped on purpose by fault injection).
    pub status: u16,
    /// Whether it counted as a write against the budget.
    pub write: bool,
    /// For an item of a `$batch`: its id in the batch.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub batch_item: Option<String>,
    /// Milliseconds spent.
    pub duration_ms: u64,
}

/// Query parameters whose values never reach the log.
const SENSITIVE: &[&str] = &[
    "code",
    "code_verifier",
    "code_challenge",
    "client_secret",
    "password",
    "access_token",
    "refresh_token",
    "id_token",
    "device_code",
    "user_code",
    "client_assertion",
];

/// Replaces the values of sensitive query parameters by `***`.
pub fn redact(path_and_query: &str) -> String {
    let Some((path, query)) = path_and_query.split_once('?') else {
        return path_and_query.to_owned();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if SENSITIVE.iter().any(|s| name.eq_ignore_ascii_case(s)) => {
                format!("{name}=***")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{path}?{}", parts.join("&"))
}

/// The log file and its counter.
#[derive(Debug)]
pub struct RequestLog {
    path: PathBuf,
    inner: Mutex<(File, u64)>,
}

impl RequestLog {
    /// Opens (or creates) `requests.jsonl` in `dir`, continuing its numbering.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        let path = dir.join("requests.jsonl");
        let existing = read_entries(&path)?.last().map(|e| e.seq).unwrap_or(0);
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(RequestLog {
            path,
            inner: Mutex::new((file, existing)),
        })
    }

    /// Appends an entry (its `seq` is assigned here). A failed write is reported on stderr and
    /// otherwise ignored: the log must not break the service.
    pub fn append(&self, mut entry: LogEntry) {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        guard.1 += 1;
        entry.seq = guard.1;
        if let Ok(mut line) = serde_json::to_string(&entry) {
            line.push('\n');
            if let Err(e) = guard.0.write_all(line.as_bytes()) {
                eprintln!("skybridge emulator: the request log could not be written: {e}");
            }
        }
    }

    /// All entries with `seq` greater than `since`.
    pub fn entries(&self, since: u64) -> std::io::Result<Vec<LogEntry>> {
        let _guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        Ok(read_entries(&self.path)?
            .into_iter()
            .filter(|e| e.seq > since)
            .collect())
    }
}

fn read_entries(path: &Path) -> std::io::Result<Vec<LogEntry>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut entries = Vec::new();
    for line in BufReader::new(file).lines() {
        if let Ok(entry) = serde_json::from_str::<LogEntry>(&line?) {
            entries.push(entry);
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_query_values_are_redacted() {
        assert_eq!(
            redact("/t/oauth2/v2.0/authorize?client_id=a&code_challenge=xyz&state=s"),
            "/t/oauth2/v2.0/authorize?client_id=a&code_challenge=***&state=s"
        );
        assert_eq!(redact("/v1.0/users"), "/v1.0/users");
    }
}
