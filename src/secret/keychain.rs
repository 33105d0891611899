//! The OS keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on
//! Windows): the only place Skybridge keeps passwords, refresh tokens and client secrets
//! between runs.

use super::Secret;

/// The keychain refused or failed an operation.
#[derive(Debug, thiserror::Error)]
#[error(
    "the system keychain refused to {action}: {detail}. On Linux a Secret Service (GNOME Keyring or KWallet) must be running and unlocked."
)]
pub struct KeychainError {
    /// What was attempted.
    pub action: &'static str,
    /// The keychain's error.
    pub detail: String,
}

/// The OS keychain (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows):
/// the only place refresh tokens and secrets are kept between runs.
#[derive(Debug, Clone)]
pub struct Keychain {
    service: String,
}

impl Keychain {
    /// Entries under this service name (`skybridge` in the product; tests use their own).
    pub fn new(service: &str) -> Keychain {
        Keychain {
            service: service.to_string(),
        }
    }

    /// Runs one keychain operation on the entry `name`.
    ///
    /// Operations of this process take turns: the Secret Service of GNOME is known to abort
    /// when many sessions open at once, and nothing here needs two at a time. When the service
    /// went away during the call (it crashed, or was restarted by the session's service manager)
    /// the operation is tried again a few times, with pauses, before its error is reported.
    fn with_entry<T>(
        &self,
        name: &str,
        action: &'static str,
        op: impl Fn(&keyring::Entry) -> keyring::Result<T>,
    ) -> Result<T, KeychainError> {
        static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _turn = TURN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = keyring::Entry::new(&self.service, name).map_err(|e| KeychainError {
            action: "open an entry",
            detail: e.to_string(),
        })?;
        let mut pauses = KEYCHAIN_PAUSES.iter();
        loop {
            match op(&entry) {
                Err(e) if service_vanished(&e) => match pauses.next() {
                    Some(pause) => std::thread::sleep(*pause),
                    None => {
                        return Err(KeychainError {
                            action,
                            detail: e.to_string(),
                        });
                    }
                },
                Err(e) => {
                    return Err(KeychainError {
                        action,
                        detail: e.to_string(),
                    });
                }
                Ok(value) => return Ok(value),
            }
        }
    }

    /// Stores a secret under `name`.
    pub fn store(&self, name: &str, secret: &Secret) -> Result<(), KeychainError> {
        self.with_entry(name, "store a secret", |entry| {
            entry.set_password(secret.expose())
        })
    }

    /// Reads a secret; `None` when there is none.
    pub fn load(&self, name: &str) -> Result<Option<Secret>, KeychainError> {
        self.with_entry(name, "read a secret", |entry| match entry.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e),
        })
    }

    /// Removes a secret (no error when there is none).
    pub fn remove(&self, name: &str) -> Result<(), KeychainError> {
        self.with_entry(name, "remove a secret", |entry| {
            match entry.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(e),
            }
        })
    }
}

/// The pauses before each new try of a keychain operation whose service went away.
const KEYCHAIN_PAUSES: [std::time::Duration; 3] = [
    std::time::Duration::from_millis(250),
    std::time::Duration::from_secs(1),
    std::time::Duration::from_secs(3),
];

/// Whether a keychain error says the service itself went away (rather than refusing): the
/// D-Bus names of "no one owns the name" and "the owner left without answering". Only the
/// Secret Service on Linux reports these; other platforms never match.
fn service_vanished(error: &keyring::Error) -> bool {
    let keyring::Error::PlatformFailure(inner) = error else {
        return false;
    };
    let text = inner.to_string();
    [
        "org.freedesktop.DBus.Error.NoReply",
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.NameHasNoOwner",
    ]
    .iter()
    .any(|name| text.contains(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_vanished_secret_service_is_tried_again() {
        let failure = |text: &str| {
            keyring::Error::PlatformFailure(Box::new(std::io::Error::other(text.to_string())))
        };
        assert!(service_vanished(&failure(
            "zbus error: org.freedesktop.DBus.Error.NoReply: Message recipient disconnected"
        )));
        assert!(service_vanished(&failure(
            "org.freedesktop.DBus.Error.ServiceUnknown: The name is not activatable"
        )));
        assert!(!service_vanished(&failure(
            "org.freedesktop.Secret.Error.IsLocked"
        )));
        assert!(!service_vanished(&keyring::Error::NoStorageAccess(
            Box::new(std::io::Error::other("org.freedesktop.DBus.Error.NoReply"))
        )));
        assert!(!service_vanished(&keyring::Error::NoEntry));
    }
}
