//! Everything that can go wrong between Skybridge and a domain controller, in words an
//! administrator can act on.
//!
//! Active Directory reports why a bind failed in a hexadecimal "data" code inside the result
//! text (`data 52e`, `data 533`, …); [`BindFailure::from_diagnostic`] turns those into reasons.
//! Result codes that need a specific action (stronger authentication, missing rights, an expired
//! DirSync cookie) have their own variants.

/// Why a bind (sign-in) to a domain controller was refused.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum BindFailure {
    /// 52e / 525: unknown user or wrong password (AD does not say which).
    WrongPassword,
    /// 530: not permitted to sign in at this time.
    OutsideLogonHours,
    /// 531: not permitted to sign in from this computer.
    WorkstationRestricted,
    /// 532: the password has expired.
    PasswordExpired,
    /// 533: the account is disabled.
    Disabled,
    /// 701: the account has expired.
    AccountExpired,
    /// 773: the password must be changed before the first sign-in.
    MustChangePassword,
    /// 775: the account is locked out.
    LockedOut,
    /// Any other reason, with the server's text.
    Other(String),
}

impl BindFailure {
    /// Reads the AD sub-code out of a bind result's diagnostic text.
    pub fn from_diagnostic(text: &str) -> BindFailure {
        let lower = text.to_ascii_lowercase();
        let code = lower.split("data ").nth(1).map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_hexdigit)
                .collect::<String>()
        });
        match code.as_deref() {
            Some("52e" | "525") => BindFailure::WrongPassword,
            Some("530") => BindFailure::OutsideLogonHours,
            Some("531") => BindFailure::WorkstationRestricted,
            Some("532") => BindFailure::PasswordExpired,
            Some("533") => BindFailure::Disabled,
            Some("701") => BindFailure::AccountExpired,
            Some("773") => BindFailure::MustChangePassword,
            Some("775") => BindFailure::LockedOut,
            _ => BindFailure::Other(text.trim().to_string()),
        }
    }
}

impl std::fmt::Display for BindFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BindFailure::WrongPassword => {
                "the user name or the password is wrong. Check both (the name as DOMAIN\\user or user@domain) and try again; repeated attempts can lock the account"
            }
            BindFailure::OutsideLogonHours => {
                "the account may not sign in at this time of day (logon hours). Ask a domain administrator to widen its logon hours"
            }
            BindFailure::WorkstationRestricted => {
                "the account may only sign in from certain computers. Ask a domain administrator to allow this computer or remove the restriction"
            }
            BindFailure::PasswordExpired => {
                "the account's password has expired. Set a new password for it, then try again"
            }
            BindFailure::Disabled => {
                "the account is disabled. Enable it in Active Directory or use another account"
            }
            BindFailure::AccountExpired => {
                "the account has expired. Extend its expiry date in Active Directory or use another account"
            }
            BindFailure::MustChangePassword => {
                "the account must change its password before it can sign in. Sign in once interactively or reset the password without 'must change at next logon', then try again"
            }
            BindFailure::LockedOut => {
                "the account is locked out after too many wrong passwords. Wait for the lockout to end or ask a domain administrator to unlock it"
            }
            BindFailure::Other(text) => text,
        })
    }
}

/// What went wrong while reaching, reading or writing a directory server.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The server address could not be understood.
    #[error(
        "'{input}' is not a server address Skybridge understands: {reason}. Use ldaps://host[:port], ldap://host[:port] or a host name."
    )]
    InvalidAddress {
        /// What was typed.
        input: String,
        /// Why it was refused.
        reason: String,
    },
    /// The account name could not be understood.
    #[error("'{input}' is not an account name Skybridge can sign in with: {reason}.")]
    InvalidAccountName {
        /// What was typed.
        input: String,
        /// Why, and what to type instead.
        reason: String,
    },
    /// Plain LDAP was asked for without the explicit permission.
    #[error(
        "{server} would be reached without encryption, and a password sent to it could be read on the network. Use ldaps://, or StartTLS on port 389; allow plain LDAP for this server only if you accept that risk."
    )]
    PlainNotAllowed {
        /// The server in URL form.
        server: String,
    },
    /// The TLS configuration could not be built (bad CA file, no system roots).
    #[error(transparent)]
    Tls(#[from] super::tls::TlsConfigError),
    /// The server presented a certificate that does not name the server asked for.
    #[error(
        "the certificate of {server} is not valid for the name '{asked}'; it names {presented}. Connect using one of the names in the certificate, or ask for a certificate that includes '{asked}'."
    )]
    CertificateName {
        /// The server in URL form.
        server: String,
        /// The name (or address) that was connected to.
        asked: String,
        /// The names the certificate holds.
        presented: String,
    },
    /// The server's certificate could not be verified.
    #[error(
        "the certificate of {server} could not be verified ({detail}). If the domain controllers use your own certificate authority, give its certificate as the CA file."
    )]
    CertificateUntrusted {
        /// The server in URL form.
        server: String,
        /// What the TLS library reported.
        detail: String,
    },
    /// The server did not answer in time.
    #[error(
        "{server} did not answer within {seconds} s. Check that the name resolves to a domain controller and that a firewall lets this machine reach the port."
    )]
    Timeout {
        /// The server in URL form.
        server: String,
        /// The limit that passed.
        seconds: u64,
    },
    /// The TCP connection failed (refused, unreachable, name not found).
    #[error(
        "cannot connect to {server}: {detail}. Check the server name and port, and that the domain controller is running."
    )]
    Connect {
        /// The server in URL form.
        server: String,
        /// What the system reported.
        detail: String,
    },
    /// The domain controller refused the account's credentials.
    #[error("{server} refused the sign-in of {account}: {reason}.")]
    Bind {
        /// The server in URL form.
        server: String,
        /// The account as typed.
        account: String,
        /// Why.
        reason: BindFailure,
    },
    /// The server requires a protected connection for this operation.
    #[error(
        "{server} requires a stronger protection of the connection ({detail}). Domain controllers refuse simple sign-ins over unencrypted LDAP; use ldaps:// (port 636) or StartTLS."
    )]
    StrongerAuthRequired {
        /// The server in URL form.
        server: String,
        /// The server's text.
        detail: String,
    },
    /// The account lacks the rights for an operation.
    #[error(
        "{server} refused {operation}: the account does not have the rights for it ({detail}). {advice}"
    )]
    InsufficientRights {
        /// The server in URL form.
        server: String,
        /// What was being done, in words.
        operation: &'static str,
        /// The server's text.
        detail: String,
        /// What to do about it.
        advice: &'static str,
    },
    /// The DirSync cookie of an earlier import is no longer accepted.
    #[error(
        "{server} no longer accepts the change cookie of the last import ({detail}). A full import is needed; it then starts a new change feed."
    )]
    CookieRejected {
        /// The server in URL form.
        server: String,
        /// The server's text.
        detail: String,
    },
    /// A watermark was taken on another domain controller, whose update numbers mean nothing here.
    #[error(
        "the change watermark of the last import belongs to domain controller {recorded}, but {server} answered. A full import is needed."
    )]
    WatermarkFromOtherServer {
        /// The server in URL form.
        server: String,
        /// The DC the watermark came from.
        recorded: String,
    },
    /// The object named does not exist.
    #[error("{server} has no object '{dn}'.")]
    NoSuchObject {
        /// The server in URL form.
        server: String,
        /// The DN asked for.
        dn: String,
    },
    /// An object with this name already exists.
    #[error("{server} already has an object named '{dn}'. Choose another name.")]
    AlreadyExists {
        /// The server in URL form.
        server: String,
        /// The DN.
        dn: String,
    },
    /// The server sent something Skybridge cannot read.
    #[error("{server} sent an answer Skybridge cannot read while {operation}: {detail}")]
    Protocol {
        /// The server in URL form.
        server: String,
        /// What was being done, in words.
        operation: &'static str,
        /// What was wrong with it.
        detail: String,
    },
    /// An LDAP operation failed for another reason.
    #[error("{operation} on {server} failed: {detail}")]
    Operation {
        /// The server in URL form.
        server: String,
        /// What was being done, in words.
        operation: &'static str,
        /// What the server or library reported.
        detail: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_directory_bind_sub_codes_each_have_their_reason() {
        let text = |code: &str| {
            format!(
                "80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data {code}, v4563"
            )
        };
        for (code, expected) in [
            ("52e", BindFailure::WrongPassword),
            ("525", BindFailure::WrongPassword),
            ("530", BindFailure::OutsideLogonHours),
            ("531", BindFailure::WorkstationRestricted),
            ("532", BindFailure::PasswordExpired),
            ("533", BindFailure::Disabled),
            ("701", BindFailure::AccountExpired),
            ("773", BindFailure::MustChangePassword),
            ("775", BindFailure::LockedOut),
        ] {
            assert_eq!(
                BindFailure::from_diagnostic(&text(code)),
                expected,
                "{code}"
            );
        }
        let other = BindFailure::from_diagnostic("something else");
        assert_eq!(other, BindFailure::Other("something else".into()));
    }

    #[test]
    fn every_reason_reads_differently() {
        let all = [
            BindFailure::WrongPassword,
            BindFailure::OutsideLogonHours,
            BindFailure::WorkstationRestricted,
            BindFailure::PasswordExpired,
            BindFailure::Disabled,
            BindFailure::AccountExpired,
            BindFailure::MustChangePassword,
            BindFailure::LockedOut,
        ];
        let texts: std::collections::BTreeSet<String> =
            all.iter().map(ToString::to_string).collect();
        assert_eq!(texts.len(), all.len());
    }
}
