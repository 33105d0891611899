//! Secrets in memory: passwords and keys that must never reach a log, a file or `Debug` output.
//!
//! A [`Secret`] prints as `***`, is not serialisable, and wipes its bytes when dropped. Code that
//! needs the value asks for it explicitly with [`Secret::expose`], which makes every use easy to
//! find in review.
//!
//! - [`keychain`]: [`Keychain`], the OS keychain, the only place secrets are kept between runs.

pub mod keychain;

pub use keychain::{Keychain, KeychainError};

use zeroize::Zeroize;

/// A password or key held in memory.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that must send it somewhere.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A strong random password for an account Skybridge creates: 32 characters drawn from
    /// upper- and lower-case letters, digits and symbols, always containing each kind, so it
    /// passes any Active Directory complexity policy.
    pub fn generate_password() -> Result<Secret, getrandom::Error> {
        const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
        const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
        const DIGIT: &[u8] = b"23456789";
        const SYMBOL: &[u8] = b"!#%+-.:=?@^_~";
        let sets = [UPPER, LOWER, DIGIT, SYMBOL];
        loop {
            let mut random = [0u8; 64];
            getrandom::fill(&mut random)?;
            let mut password = String::with_capacity(32);
            // Two random bytes per character: one picks the set, one the character.
            for pair in random.chunks_exact(2) {
                let set = sets[usize::from(pair[0]) % sets.len()];
                password.push(char::from(set[usize::from(pair[1]) % set.len()]));
            }
            random.zeroize();
            if sets
                .iter()
                .all(|set| password.bytes().any(|b| set.contains(&b)))
            {
                return Ok(Secret(password));
            }
            password.zeroize();
        }
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_value() {
        let secret = Secret::new("Pa55w0rd!");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(***)");
        assert_eq!(secret.expose(), "Pa55w0rd!");
    }

    #[test]
    fn generated_passwords_are_long_varied_and_different() {
        let a = Secret::generate_password().unwrap();
        let b = Secret::generate_password().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.expose().chars().count(), 32);
        let p = a.expose();
        assert!(p.chars().any(|c| c.is_ascii_uppercase()));
        assert!(p.chars().any(|c| c.is_ascii_lowercase()));
        assert!(p.chars().any(|c| c.is_ascii_digit()));
        assert!(p.chars().any(|c| !c.is_ascii_alphanumeric()));
    }
}
