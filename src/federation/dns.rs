//! Name checks for a federation farm: what a DNS server answers for a name, over the DNS
//! protocol itself (a query over UDP to a configurable server, RFC 1035), and whether the
//! federation service name is an A record as it must be.
//!
//! The federation service name must not be a CNAME: Windows clients ask Kerberos for a ticket
//! to the name the CNAME points at, not to the federation service, and integrated sign-in
//! then fails; the name also must be an A record both inside and outside the network.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use super::certificate::Outcome;

/// What a name is, as the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// An A record (its addresses).
    Address(Vec<Ipv4Addr>),
    /// A CNAME to another name (and the addresses it leads to, if the server gave them).
    Alias {
        /// The name it points at.
        target: String,
        /// The addresses, when the server followed the alias.
        addresses: Vec<Ipv4Addr>,
    },
    /// No such name, or no address for it.
    Missing,
}

/// Why the server could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    /// The name is not one DNS can carry.
    #[error("{0} is not a DNS name")]
    BadName(String),
    /// Sending, or waiting for the answer, failed.
    #[error("the DNS server {server} did not answer: {detail}")]
    NoAnswer {
        /// The server.
        server: SocketAddr,
        /// What happened.
        detail: String,
    },
    /// The answer could not be read, or the server refused.
    #[error("the DNS server {server} answered something unusable: {detail}")]
    BadAnswer {
        /// The server.
        server: SocketAddr,
        /// What was wrong.
        detail: String,
    },
}

/// A DNS server to ask.
#[derive(Debug, Clone)]
pub struct Resolver {
    /// Its address.
    pub server: SocketAddr,
    /// How long an answer may take.
    pub timeout: Duration,
}

impl Resolver {
    /// The server at `server`.
    pub fn new(server: SocketAddr) -> Resolver {
        Resolver {
            server,
            timeout: Duration::from_secs(3),
        }
    }

    /// The first name server of `/etc/resolv.conf`, the system's own.
    pub fn system() -> Option<Resolver> {
        let text = std::fs::read_to_string("/etc/resolv.conf").ok()?;
        text.lines()
            .filter_map(|l| l.trim().strip_prefix("nameserver"))
            .filter_map(|ip| ip.trim().parse::<std::net::IpAddr>().ok())
            .map(|ip| Resolver::new(SocketAddr::new(ip, 53)))
            .next()
    }

    /// Asks for the A record of `name`.
    pub fn lookup(&self, name: &str) -> Result<Answer, DnsError> {
        let query = encode_query(name)?;
        let bind = if self.server.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        };
        let no_answer = |e: std::io::Error| DnsError::NoAnswer {
            server: self.server,
            detail: e.to_string(),
        };
        let socket = UdpSocket::bind(bind).map_err(no_answer)?;
        socket
            .set_read_timeout(Some(self.timeout))
            .map_err(no_answer)?;
        socket.connect(self.server).map_err(no_answer)?;
        socket.send(&query.packet).map_err(no_answer)?;
        let mut buffer = [0u8; 4096];
        loop {
            let n = socket.recv(&mut buffer).map_err(no_answer)?;
            let reply = &buffer[..n];
            // An answer to another query (a late one) is not ours.
            if reply.len() >= 2 && reply[..2] == query.id {
                return decode_answer(reply).map_err(|detail| DnsError::BadAnswer {
                    server: self.server,
                    detail,
                });
            }
        }
    }
}

/// The check of a federation service name at one DNS server (run it at the internal and at an
/// external one).
pub fn check_service_name(resolver: &Resolver, name: &str) -> (Outcome, String) {
    match resolver.lookup(name) {
        Ok(Answer::Address(addresses)) => (
            Outcome::Pass,
            format!(
                "{name} is an A record ({})",
                addresses
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        Ok(Answer::Alias { target, .. }) => (
            Outcome::Fail,
            format!(
                "{name} is a CNAME to {target}: make it an A record, or Windows clients ask Kerberos for {target} and integrated sign-in fails"
            ),
        ),
        Ok(Answer::Missing) => (
            Outcome::Fail,
            format!(
                "{name} does not resolve at {}: create an A record for it",
                resolver.server
            ),
        ),
        Err(e) => (Outcome::Fail, e.to_string()),
    }
}

struct Query {
    id: [u8; 2],
    packet: Vec<u8>,
}

fn encode_query(name: &str) -> Result<Query, DnsError> {
    let bad = || DnsError::BadName(name.to_string());
    let trimmed = name.trim().trim_end_matches('.');
    if trimmed.is_empty() || trimmed.len() > 253 {
        return Err(bad());
    }
    let mut id = [0u8; 2];
    getrandom::fill(&mut id).map_err(|_| bad())?;
    // Header: id, recursion desired, one question.
    let mut packet = vec![id[0], id[1], 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in trimmed.split('.') {
        if label.is_empty() || label.len() > 63 || !label.is_ascii() {
            return Err(bad());
        }
        packet.push(label.len() as u8);
        packet.extend_from_slice(label.as_bytes());
    }
    packet.push(0);
    // Type A, class IN.
    packet.extend_from_slice(&[0, 1, 0, 1]);
    Ok(Query { id, packet })
}

/// Reads a name at `at` (with compression pointers); returns it and where the name ended in
/// the record (after the first pointer, if any).
fn read_name(msg: &[u8], mut at: usize) -> Result<(String, usize), String> {
    let short = || "the answer is cut short".to_string();
    let mut labels = Vec::new();
    let mut end = None;
    // Pointers can only go back a bounded number of times in a valid message.
    for _ in 0..128 {
        let len = *msg.get(at).ok_or_else(short)? as usize;
        if len == 0 {
            return Ok((labels.join("."), end.unwrap_or(at + 1)));
        }
        if len & 0xC0 == 0xC0 {
            let low = *msg.get(at + 1).ok_or_else(short)? as usize;
            end.get_or_insert(at + 2);
            at = ((len & 0x3F) << 8) | low;
            continue;
        }
        let label = msg.get(at + 1..at + 1 + len).ok_or_else(short)?;
        labels.push(String::from_utf8_lossy(label).into_owned());
        at += 1 + len;
    }
    Err("a name in the answer points round in a loop".into())
}

fn decode_answer(msg: &[u8]) -> Result<Answer, String> {
    let short = || "the answer is cut short".to_string();
    if msg.len() < 12 {
        return Err(short());
    }
    let rcode = msg[3] & 0x0F;
    match rcode {
        0 => {}
        3 => return Ok(Answer::Missing),
        2 => return Err("server failure (SERVFAIL)".into()),
        5 => return Err("it refused the query (REFUSED)".into()),
        other => return Err(format!("response code {other}")),
    }
    let questions = u16::from_be_bytes([msg[4], msg[5]]);
    let answers = u16::from_be_bytes([msg[6], msg[7]]);
    let mut at = 12;
    for _ in 0..questions {
        let (_, end) = read_name(msg, at)?;
        at = end + 4;
    }
    let mut target = None;
    let mut addresses = Vec::new();
    for _ in 0..answers {
        let (_, end) = read_name(msg, at)?;
        let fixed = msg.get(end..end + 10).ok_or_else(short)?;
        let kind = u16::from_be_bytes([fixed[0], fixed[1]]);
        let length = u16::from_be_bytes([fixed[8], fixed[9]]) as usize;
        let data_at = end + 10;
        let data = msg.get(data_at..data_at + length).ok_or_else(short)?;
        match kind {
            1 if length == 4 => addresses.push(Ipv4Addr::new(data[0], data[1], data[2], data[3])),
            5 if target.is_none() => target = Some(read_name(msg, data_at)?.0),
            _ => {}
        }
        at = data_at + length;
    }
    Ok(match (target, addresses.is_empty()) {
        (Some(target), _) => Answer::Alias { target, addresses },
        (None, false) => Answer::Address(addresses),
        (None, true) => Answer::Missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_dns_cannot_carry_are_refused_before_anything_is_sent() {
        assert!(encode_query("").is_err());
        assert!(encode_query("a..b").is_err());
        assert!(encode_query(&format!("{}.com", "x".repeat(64))).is_err());
        assert!(encode_query("fs.contoso.com.").is_ok());
    }

    #[test]
    fn a_truncated_or_looping_answer_is_an_error_not_a_panic() {
        assert!(decode_answer(&[0, 1, 0x81, 0x80]).is_err());
        // One answer whose name points at itself.
        let mut msg = vec![0, 1, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0];
        msg.extend_from_slice(&[0xC0, 12]);
        assert!(decode_answer(&msg).is_err());
    }
}
