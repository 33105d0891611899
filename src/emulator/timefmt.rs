//! Time in the forms Graph writes it. (Time itself comes from the crate's injected
//! [`Clock`](crate::clock::Clock).)

use std::time::SystemTime;

use time::OffsetDateTime;

/// `2021-09-21T07:09:14Z`, the form Graph uses for timestamps.
pub fn graph_timestamp(at: SystemTime) -> String {
    let t = OffsetDateTime::from(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `2021-05-18T19:03:10`, the form of `innerError.date`.
pub fn inner_error_date(at: SystemTime) -> String {
    let mut s = graph_timestamp(at);
    s.pop();
    s
}

/// Seconds since the Unix epoch.
pub fn unix_seconds(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
