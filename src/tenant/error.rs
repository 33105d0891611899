//! Errors from the identity platform and Microsoft Graph, typed by their documented codes and
//! explained in an administrator's words.

use std::time::Duration;

/// What went wrong talking to the tenant.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    /// A URL given by the administrator cannot be used.
    #[error("'{input}' is not a usable address: {reason}")]
    InvalidUrl {
        /// What was given.
        input: String,
        /// Why not.
        reason: String,
    },
    /// The identity platform refused a sign-in or token request.
    #[error("{}", identity_message(code, description, error_codes))]
    Identity {
        /// The OAuth2 `error` (`invalid_grant`, `authorization_pending`, …).
        code: String,
        /// The platform's `error_description`.
        description: String,
        /// The platform's numeric `error_codes` (AADSTS numbers).
        error_codes: Vec<i64>,
    },
    /// The device code expired or was declined before anyone signed in.
    #[error("the sign-in code {reason}. Start the sign-in again to get a new code.")]
    DeviceCodeEnded {
        /// "expired" or "was declined".
        reason: &'static str,
    },
    /// Graph answered with an error.
    #[error("{0}")]
    Graph(Box<GraphFailure>),
    /// Still throttled or unavailable after every retry.
    #[error(
        "Microsoft Graph kept answering {status} for {path} after {attempts} attempts; last advice was to wait {wait:?}. Try again later."
    )]
    GaveUp {
        /// The last status.
        status: u16,
        /// The path.
        path: String,
        /// Attempts made.
        attempts: u32,
        /// The last wait asked for.
        wait: Duration,
    },
    /// The network or TLS failed.
    #[error("cannot reach {url}: {detail}")]
    Transport {
        /// Where.
        url: String,
        /// What the HTTP library said (no secrets: bodies and headers are not included).
        detail: String,
    },
    /// An answer that does not have the documented shape.
    #[error("{url} answered in a way Skybridge does not understand: {detail}")]
    Protocol {
        /// Where.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// The OS keychain could not store or give back a secret.
    #[error(transparent)]
    Keychain(#[from] crate::secret::KeychainError),
    /// The request cannot be sent as asked (too many batch items, missing data…).
    #[error("{0}")]
    Invalid(String),
}

/// The details of an error answer from Graph.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "Microsoft Graph refused {method} {path}: {code} ({status}): {message}{}",
    advice_for(code, message)
)]
pub struct GraphFailure {
    /// HTTP status.
    pub status: u16,
    /// Graph `error.code`.
    pub code: String,
    /// Graph `error.message`.
    pub message: String,
    /// The method.
    pub method: String,
    /// The path (no query).
    pub path: String,
    /// `innerError.request-id`, for support cases.
    pub request_id: Option<String>,
}

/// Identity platform codes (AADSTS…) that need their own explanation.
fn identity_message(code: &str, description: &str, codes: &[i64]) -> String {
    let first_line = description.lines().next().unwrap_or(description).trim();
    let hint = if codes
        .iter()
        .any(|c| matches!(c, 50076 | 50079 | 50074 | 50158))
    {
        Some(
            "The account must complete multi-factor authentication, which a password sign-in cannot do. Sign in with a device code instead (the wizard's \"Sign in with a code\", or --device-code on the command line).",
        )
    } else if codes.contains(&50126) {
        Some("The user name or password is wrong.")
    } else if codes.contains(&50034) {
        Some(
            "There is no such user in the tenant. Check the user name (it is the full user@domain sign-in name).",
        )
    } else if codes.contains(&50053) {
        Some(
            "The account is locked after too many attempts. Wait, or ask another administrator to unlock it.",
        )
    } else if codes.contains(&50057) {
        Some("The account is disabled in the tenant.")
    } else if codes.contains(&50055) {
        Some(
            "The password has expired. Change it by signing in to the portal once, then try again.",
        )
    } else if codes.iter().any(|c| matches!(c, 7_000_215 | 7_000_222)) {
        Some(
            "The application's client secret is wrong or has expired. Create a new secret for the application.",
        )
    } else if codes.contains(&700_016) {
        Some(
            "The application (client id) is not known in this tenant. Check the client id and the tenant.",
        )
    } else {
        match code {
            "invalid_grant" => Some("The credentials were not accepted."),
            "invalid_client" => Some("The application's credentials were not accepted."),
            "unauthorized_client" => Some("This application may not use this kind of sign-in."),
            "invalid_scope" => Some("The requested permissions (scopes) are not valid."),
            "interaction_required" | "consent_required" => Some(
                "The account must sign in interactively (consent or extra verification). Use the device code sign-in.",
            ),
            _ => None,
        }
    };
    match hint {
        Some(hint) => format!(
            "the sign-in was refused ({code}): {hint} The identity platform said: {first_line}"
        ),
        None => format!("the sign-in was refused ({code}): {first_line}"),
    }
}

/// What to do about some Graph error codes.
fn advice_for(code: &str, message: &str) -> &'static str {
    let lower = message.to_ascii_lowercase();
    if lower.contains("userprincipalname") && lower.contains("domain") {
        return ". The sign-in name's domain is not verified in the tenant: add and verify the domain (Connect to tenant page), or let Skybridge give such users a name on the initial domain.";
    }
    if lower.contains("onpremisesimmutableid")
        && (lower.contains("already") || lower.contains("unique"))
    {
        return ". Another tenant object already has this sourceAnchor: two on-premises objects map to one cloud identity; find the duplicate and remove or re-scope it.";
    }
    match code {
        "Request_BadRequest" => "",
        "Authorization_RequestDenied" => {
            ". The signed-in account lacks the permission for this; a Global Administrator (or the needed role) is required."
        }
        "InvalidAuthenticationToken" => ". The sign-in has expired; sign in again.",
        "Request_ResourceNotFound" => ". The object no longer exists in the tenant.",
        _ => "",
    }
}

impl TenantError {
    /// Graph's error code, if this is a Graph error.
    pub fn graph_code(&self) -> Option<&str> {
        match self {
            TenantError::Graph(failure) => Some(&failure.code),
            _ => None,
        }
    }

    /// The HTTP status, if Graph answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            TenantError::Graph(failure) => Some(failure.status),
            TenantError::GaveUp { status, .. } => Some(*status),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_mfa_account_is_told_to_use_a_device_code() {
        let e = TenantError::Identity {
            code: "invalid_grant".into(),
            description: "AADSTS50076: Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication.\r\nTrace ID: x".into(),
            error_codes: vec![50076],
        };
        let text = e.to_string();
        assert!(text.contains("device code"), "{text}");
        assert!(text.contains("AADSTS50076"), "{text}");
        assert!(!text.contains("Trace ID"), "{text}");
    }

    #[test]
    fn a_wrong_password_says_so() {
        let e = TenantError::Identity {
            code: "invalid_grant".into(),
            description:
                "AADSTS50126: Error validating credentials due to invalid username or password."
                    .into(),
            error_codes: vec![50126],
        };
        assert!(e.to_string().contains("user name or password is wrong"));
    }
}
