//! What an agent and the service say to each other inside their TLS connection: one JSON
//! message per frame (a 4-byte big-endian length, then the message), and the proofs that bind
//! an enrolment to its one-time code and to both certificates seen.

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use zeroize::Zeroize as _;

/// The largest frame either side accepts.
pub const MAX_FRAME: usize = 64 * 1024;

/// An agent's message.
#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum AgentMessage {
    /// Enrol this agent's certificate with a one-time code.
    Enroll {
        /// The agent's name (its host).
        name: String,
        /// The agent's version.
        version: String,
        /// [`proof`] of the code, by the agent.
        proof: String,
    },
    /// A user's new password.
    Change {
        /// The objectGUID, 32 hex digits in Active Directory's byte order.
        guid: String,
        /// The sAMAccountName, for messages.
        #[serde(default)]
        account: Option<String>,
        /// The new password.
        password: String,
        /// The agent's version.
        version: String,
    },
}

impl Drop for AgentMessage {
    fn drop(&mut self) {
        if let AgentMessage::Change { password, .. } = self {
            password.zeroize();
        }
    }
}

impl std::fmt::Debug for AgentMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AgentMessage::Enroll { name, version, .. } => f
                .debug_struct("Enroll")
                .field("name", name)
                .field("version", version)
                .finish_non_exhaustive(),
            AgentMessage::Change { guid, account, .. } => f
                .debug_struct("Change")
                .field("guid", guid)
                .field("account", account)
                .finish_non_exhaustive(),
        }
    }
}

/// The service's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ServiceMessage {
    /// The agent is enrolled; the service's own proof of the code.
    Enrolled {
        /// [`proof`] of the code, by the service.
        proof: String,
    },
    /// The change is taken: the service delivers it to the tenant.
    Accepted,
    /// Refused, with the reason.
    Refused {
        /// Why.
        reason: String,
    },
}

/// A frame could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The connection failed.
    #[error("the connection failed: {0}")]
    Io(#[from] std::io::Error),
    /// A frame over [`MAX_FRAME`].
    #[error("the other side sent a message of {0} bytes, more than this side accepts")]
    TooLarge(usize),
    /// Not a message of this protocol.
    #[error("the other side sent something that is not a message of this protocol: {0}")]
    Garbled(String),
}

/// Writes one message; the buffer that held it is wiped.
pub async fn send<T: Serialize>(
    stream: &mut (impl AsyncWrite + Unpin),
    message: &T,
) -> Result<(), WireError> {
    let mut body = serde_json::to_vec(message).map_err(|e| WireError::Garbled(e.to_string()))?;
    let len = u32::try_from(body.len())
        .ok()
        .filter(|n| (*n as usize) <= MAX_FRAME)
        .ok_or(WireError::TooLarge(body.len()));
    let written = match len {
        Ok(len) => {
            let mut frame = Vec::with_capacity(body.len() + 4);
            frame.extend_from_slice(&len.to_be_bytes());
            frame.extend_from_slice(&body);
            let result = stream.write_all(&frame).await;
            frame.zeroize();
            result.map_err(WireError::from)
        }
        Err(e) => Err(e),
    };
    body.zeroize();
    written?;
    stream.flush().await?;
    Ok(())
}

/// Reads one message; the buffer that held it is wiped.
pub async fn receive<T: for<'de> Deserialize<'de>>(
    stream: &mut (impl AsyncRead + Unpin),
) -> Result<T, WireError> {
    let mut len = [0u8; 4];
    stream.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(WireError::TooLarge(len));
    }
    let mut body = vec![0u8; len];
    let read = stream.read_exact(&mut body).await;
    let parsed = read
        .map_err(WireError::from)
        .and_then(|_| serde_json::from_slice(&body).map_err(|e| WireError::Garbled(e.to_string())));
    body.zeroize();
    parsed
}

/// Who makes a proof.
#[derive(Debug, Clone, Copy)]
pub enum Prover {
    /// The enrolling agent.
    Agent,
    /// The service.
    Service,
}

/// The proof that `prover` knows the one-time `code`, bound to the two certificates of this
/// connection: HMAC-SHA256 keyed with the code over both fingerprints. A party in the middle
/// sees other fingerprints than the two ends, so its proofs do not match.
pub fn proof(code: &str, prover: Prover, service_fp: &str, agent_fp: &str) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, normalize(code).as_bytes());
    let label = match prover {
        Prover::Agent => "agent",
        Prover::Service => "service",
    };
    let message = format!("skybridge password enrolment v1|{label}|{service_fp}|{agent_fp}");
    super::pki::hex(ring::hmac::sign(&key, message.as_bytes()).as_ref())
}

/// Whether `claimed` is `code`'s proof (in constant time).
pub fn verify(code: &str, prover: Prover, service_fp: &str, agent_fp: &str, claimed: &str) -> bool {
    let expected = proof(code, prover, service_fp, agent_fp);
    expected.len() == claimed.len()
        && expected
            .bytes()
            .zip(claimed.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// A code as typed: without spaces or dashes, upper case.
pub fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_message_round_trips_and_an_oversized_frame_is_refused() {
        let (mut a, mut b) = tokio::io::duplex(1 << 20);
        let sent = AgentMessage::Change {
            guid: "00".repeat(16),
            account: Some("ann".into()),
            password: "Blue-Sky-42".into(),
            version: "1".into(),
        };
        send(&mut a, &sent).await.expect("sends");
        let got: AgentMessage = receive(&mut b).await.expect("receives");
        assert!(
            matches!(got, AgentMessage::Change { ref password, .. } if password == "Blue-Sky-42")
        );
        assert!(!format!("{got:?}").contains("Blue"));
        use tokio::io::AsyncWriteExt as _;
        a.write_all(&(MAX_FRAME as u32 + 1).to_be_bytes())
            .await
            .expect("writes");
        assert!(matches!(
            receive::<ServiceMessage>(&mut b).await,
            Err(WireError::TooLarge(_))
        ));
    }

    #[test]
    fn proofs_bind_the_code_the_side_and_both_certificates() {
        let p = proof("ABCD-EFGH", Prover::Agent, "s1", "a1");
        assert!(verify("abcd efgh", Prover::Agent, "s1", "a1", &p));
        assert!(!verify("ABCD-EFGX", Prover::Agent, "s1", "a1", &p));
        assert!(!verify("ABCD-EFGH", Prover::Service, "s1", "a1", &p));
        assert!(!verify("ABCD-EFGH", Prover::Agent, "s2", "a1", &p));
        assert!(!verify("ABCD-EFGH", Prover::Agent, "s1", "a2", &p));
    }
}
