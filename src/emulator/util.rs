//! Small helpers: random values, salted hashes of secrets, opaque tokens, percent-decoding.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

/// `n` random bytes.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    if getrandom::fill(&mut bytes).is_err() {
        // No system randomness: fall back to a UUID's randomness, which has its own source.
        for chunk in bytes.chunks_mut(16) {
            let id = *uuid::Uuid::new_v4().as_bytes();
            chunk.copy_from_slice(&id[..chunk.len()]);
        }
    }
    bytes
}

/// A random URL-safe string of `n` random bytes.
pub fn random_token(n: usize) -> String {
    B64.encode(random_bytes(n))
}

/// A new object id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// SHA-256 of a value, base64url.
pub fn sha256_b64(value: &[u8]) -> String {
    B64.encode(Sha256::digest(value))
}

/// A salted hash of a secret, for storage: `sha256$<salt>$<hash>`.
pub fn hash_secret(secret: &str) -> String {
    let salt = random_token(16);
    let hash = sha256_b64(format!("{salt}:{secret}").as_bytes());
    format!("sha256${salt}${hash}")
}

/// Whether `secret` matches a stored [`hash_secret`] value.
pub fn verify_secret(stored: &str, secret: &str) -> bool {
    let mut parts = stored.split('$');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("sha256"), Some(salt), Some(hash)) => {
            let candidate = sha256_b64(format!("{salt}:{secret}").as_bytes());
            // Compare without an early exit.
            candidate.len() == hash.len()
                && candidate
                    .bytes()
                    .zip(hash.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        }
        _ => false,
    }
}

/// Encodes a value as an opaque token (base64url of its JSON).
pub fn encode_token<T: Serialize>(value: &T) -> String {
    B64.encode(serde_json::to_vec(value).unwrap_or_default())
}

/// Decodes an [`encode_token`] value.
pub fn decode_token<T: DeserializeOwned>(token: &str) -> Option<T> {
    let bytes = B64.decode(token.trim()).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Base64url without padding.
pub fn b64url(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

/// Percent-decodes a path segment (invalid escapes are kept as they are).
pub fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_tokens_round_trip() {
        let h = hash_secret("pa$$word");
        assert!(verify_secret(&h, "pa$$word"));
        assert!(!verify_secret(&h, "password"));
        let t = encode_token(&(1u32, "x"));
        assert_eq!(decode_token::<(u32, String)>(&t), Some((1, "x".to_owned())));
        assert_eq!(percent_decode("a%23EXT%23%40b%2"), "a#EXT#@b%2");
    }
}
