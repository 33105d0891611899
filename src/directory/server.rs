//! A domain controller to talk to, and opening a connection to it.
//!
//! A [`ServerSpec`] is parsed from what the administrator typed (`ldaps://dc1.contoso.com`,
//! `ldap://10.0.0.4:389` with StartTLS, a bare host name) and says how the connection is
//! protected. Plain `ldap://` without TLS is accepted only when the administrator explicitly
//! allowed it for that server, because a simple bind would then send the password in clear.

use std::path::PathBuf;
use std::time::Duration;

use ldap3::{LdapConn, LdapConnSettings, LdapError, LdapResult};

use super::error::DirectoryError;
use super::tls::client_config;

/// How the connection to a domain controller is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// TLS from the first byte (`ldaps://`, port 636 by default).
    Ldaps,
    /// Plain LDAP upgraded with the StartTLS extended operation before anything else is sent.
    StartTls,
    /// No encryption at all; only when the administrator allowed it for this server.
    Plain,
}

/// Everything needed to reach one LDAP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSpec {
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Transport protection.
    pub security: Security,
    /// PEM file of the certificate authorities to trust instead of the system's.
    pub ca_file: Option<PathBuf>,
    /// Limit for connecting and for each operation.
    pub timeout: Duration,
}

/// Default limit for connecting and for each LDAP operation.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

impl ServerSpec {
    /// Parses an address. `starttls` upgrades an `ldap://` address; `allow_plain` permits an
    /// `ldap://` address to stay unencrypted.
    pub fn parse(input: &str, starttls: bool, allow_plain: bool) -> Result<Self, DirectoryError> {
        let invalid = |reason: &str| DirectoryError::InvalidAddress {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(invalid("it is empty"));
        }
        let (scheme, rest) = match trimmed.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => ("ldaps".to_string(), trimmed),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#', '@', ' ']) {
            return Err(invalid(
                "only a host and an optional port may follow the scheme",
            ));
        }
        let (security, default_port) = match scheme.as_str() {
            "ldaps" => (Security::Ldaps, 636),
            "ldap" if starttls => (Security::StartTls, 389),
            "ldap" => (Security::Plain, 389),
            _ => return Err(invalid("the scheme must be ldaps:// or ldap://")),
        };
        let (host, port) = split_host_port(rest).map_err(|reason| invalid(&reason))?;
        let spec = ServerSpec {
            host,
            port: port.unwrap_or(default_port),
            security,
            ca_file: None,
            timeout: DEFAULT_TIMEOUT,
        };
        if spec.security == Security::Plain && !allow_plain {
            return Err(DirectoryError::PlainNotAllowed { server: spec.url() });
        }
        Ok(spec)
    }

    /// Trusts the certificate authorities in this PEM file instead of the system's.
    pub fn with_ca_file(mut self, ca_file: Option<PathBuf>) -> Self {
        self.ca_file = ca_file;
        self
    }

    /// Changes the connect and operation time limit.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The server as a URL, as ldap3 and administrators write it.
    pub fn url(&self) -> String {
        let scheme = match self.security {
            Security::Ldaps => "ldaps",
            Security::StartTls | Security::Plain => "ldap",
        };
        if self.host.contains(':') {
            format!("{scheme}://[{}]:{}", self.host, self.port)
        } else {
            format!("{scheme}://{}:{}", self.host, self.port)
        }
    }

    /// Opens a connection (TLS negotiated and verified unless plain was allowed). Nothing is
    /// bound: the session is anonymous until the caller binds.
    pub fn connect(&self) -> Result<LdapConn, DirectoryError> {
        let mut settings = LdapConnSettings::new().set_conn_timeout(self.timeout);
        if self.security != Security::Plain {
            settings = settings.set_config(client_config(self.ca_file.as_deref())?);
        }
        if self.security == Security::StartTls {
            settings = settings.set_starttls(true);
        }
        LdapConn::with_settings(settings, &self.url()).map_err(|e| self.classify(e, "connecting"))
    }

    /// Turns an ldap3 error into one an administrator can act on.
    pub fn classify(&self, error: LdapError, operation: &'static str) -> DirectoryError {
        let server = self.url();
        match error {
            LdapError::Timeout { .. } => DirectoryError::Timeout {
                server,
                seconds: self.timeout.as_secs().max(1),
            },
            LdapError::Io { source } => {
                if let Some(tls) = source
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                {
                    return self.classify_tls(tls);
                }
                DirectoryError::Connect {
                    server,
                    detail: source.to_string(),
                }
            }
            LdapError::LdapResult { result } => self.classify_result(result, operation),
            other => DirectoryError::Operation {
                server,
                operation,
                detail: other.to_string(),
            },
        }
    }

    /// Turns an unsuccessful LDAP result into a typed error.
    pub fn classify_result(&self, result: LdapResult, operation: &'static str) -> DirectoryError {
        let server = self.url();
        let detail = if result.text.trim().is_empty() {
            format!("result code {}", result.rc)
        } else {
            format!("{} (result code {})", result.text.trim(), result.rc)
        };
        match result.rc {
            8 => DirectoryError::StrongerAuthRequired { server, detail },
            32 => DirectoryError::NoSuchObject {
                server,
                dn: if result.matched.is_empty() {
                    "(not named)".to_string()
                } else {
                    format!("below {}", result.matched)
                },
            },
            50 => DirectoryError::InsufficientRights {
                server,
                operation,
                detail,
                advice: "Grant the account the rights Skybridge lists for this task, or use an account that has them.",
            },
            _ => DirectoryError::Operation {
                server,
                operation,
                detail,
            },
        }
    }

    fn classify_tls(&self, error: &rustls::Error) -> DirectoryError {
        use rustls::CertificateError;
        let server = self.url();
        match error {
            rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
                expected,
                presented,
            }) => DirectoryError::CertificateName {
                server,
                asked: match expected {
                    rustls::pki_types::ServerName::DnsName(name) => name.as_ref().to_string(),
                    rustls::pki_types::ServerName::IpAddress(ip) => {
                        std::net::IpAddr::from(*ip).to_string()
                    }
                    _ => self.host.clone(),
                },
                presented: if presented.is_empty() {
                    "no name at all".to_string()
                } else {
                    presented
                        .iter()
                        .map(|p| plain_name(p))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            },
            rustls::Error::InvalidCertificate(CertificateError::NotValidForName) => {
                DirectoryError::CertificateName {
                    server,
                    asked: self.host.clone(),
                    presented: "other names".to_string(),
                }
            }
            other => DirectoryError::CertificateUntrusted {
                server,
                detail: other.to_string(),
            },
        }
    }
}

/// rustls describes presented names as `DnsName("dc1.contoso.test")` or
/// `IpAddress(127.0.0.2)`; administrators want just the name.
fn plain_name(presented: &str) -> String {
    let inner = presented
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(presented);
    inner.trim_matches('"').to_string()
}

fn split_host_port(rest: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(after) = rest.strip_prefix('[') {
        let (host, tail) = after
            .split_once(']')
            .ok_or_else(|| "an IPv6 address in brackets lacks its ']'".to_string())?;
        match tail {
            "" => (host, None),
            _ => match tail.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err("unexpected text after the IPv6 address".into()),
            },
        }
    } else if rest.matches(':').count() > 1 {
        return Err("an IPv6 address must be written in brackets, e.g. [fd00::5]:636".into());
    } else {
        match rest.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        }
    };
    if host.is_empty() {
        return Err("the host is missing".into());
    }
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
    {
        return Err(format!("'{host}' is not a host name or IP address"));
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(0) | Err(_) => return Err(format!("'{p}' is not a port number (1-65535)")),
            Ok(n) => Some(n),
        },
    };
    Ok((host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldaps_is_the_default_scheme_and_port() {
        let spec = ServerSpec::parse("dc1.contoso.test", false, false).unwrap();
        assert_eq!(spec.security, Security::Ldaps);
        assert_eq!(spec.url(), "ldaps://dc1.contoso.test:636");
    }

    #[test]
    fn starttls_upgrades_ldap_on_389() {
        let spec = ServerSpec::parse("ldap://127.0.0.2", true, false).unwrap();
        assert_eq!(spec.security, Security::StartTls);
        assert_eq!(spec.port, 389);
    }

    #[test]
    fn plain_ldap_needs_explicit_permission() {
        let err = ServerSpec::parse("ldap://dc1", false, false).unwrap_err();
        assert!(
            matches!(err, DirectoryError::PlainNotAllowed { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("without encryption"));
        let ok = ServerSpec::parse("ldap://dc1:3389", false, true).unwrap();
        assert_eq!((ok.security, ok.port), (Security::Plain, 3389));
    }

    #[test]
    fn ipv6_addresses_need_brackets() {
        let spec = ServerSpec::parse("ldaps://[::1]:6360", false, false).unwrap();
        assert_eq!(spec.host, "::1");
        assert_eq!(spec.url(), "ldaps://[::1]:6360");
        assert!(ServerSpec::parse("ldaps://::1", false, false).is_err());
    }

    #[test]
    fn a_certificate_for_another_name_is_reported_with_both_names() {
        use rustls::CertificateError;
        use rustls::pki_types::ServerName;
        let spec = ServerSpec::parse("ldaps://dc9.contoso.test", false, false).unwrap();
        // tokio-rustls hands handshake failures to ldap3 as an io::Error around the rustls error.
        let tls = rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
            expected: ServerName::try_from("dc9.contoso.test").unwrap(),
            presented: vec!["DnsName(\"dc1.contoso.test\")".into()],
        });
        let error = LdapError::Io {
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, tls),
        };
        let classified = spec.classify(error, "connecting");
        let text = classified.to_string();
        assert!(
            matches!(classified, DirectoryError::CertificateName { ref asked, .. } if asked == "dc9.contoso.test"),
            "{text}"
        );
        assert!(text.contains("it names dc1.contoso.test."), "{text}");
    }

    #[test]
    fn bad_addresses_say_why() {
        for (input, needle) in [
            ("", "empty"),
            ("http://dc1", "scheme"),
            ("ldaps://dc1:0", "port number"),
            ("ldaps://dc1:99999", "port number"),
            ("ldaps://dc1/dc=x", "only a host"),
            ("ldaps://", "host is missing"),
            ("ldaps://dc 1", "only a host"),
            ("ldaps://dc1*)(uid=*", "not a host name"),
        ] {
            let err = ServerSpec::parse(input, false, false).unwrap_err();
            assert!(err.to_string().contains(needle), "{input:?}: {err}");
        }
    }
}
