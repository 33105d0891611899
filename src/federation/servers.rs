//! Whether a federation server or proxy answers: its name resolves, it accepts a TLS connection
//! on its port (443) for the federation service name (sent as SNI, as AD FS binds its
//! certificate to that name), and the certificate it presents covers that name and, for a new
//! farm, is the very certificate chosen for it (same thumbprint).
//!
//! The certificate is compared, not trusted through the system's authorities: a farm often
//! uses a certificate of a private authority, and what matters here is that the server
//! presents the farm's certificate and proves it holds its key (the handshake's signature is
//! still verified).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use super::certificate::{Outcome, covers, dns_names, thumbprint};
use super::dns::{Answer, Resolver};

/// How long to wait for a server to connect and finish its handshake.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Accepts any certificate, keeps none of the trust decision: the caller compares the
/// certificate itself. Handshake signatures are verified as usual.
#[derive(Debug)]
struct Compare(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Compare {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The addresses of `host`: itself when it is an address, else what `resolver` answers (the
/// system's resolver without one).
async fn addresses(host: &str, resolver: Option<&Resolver>) -> Result<Vec<IpAddr>, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    match resolver {
        Some(resolver) => {
            let resolver = resolver.clone();
            let name = host.to_string();
            let answer = tokio::task::spawn_blocking(move || resolver.lookup(&name))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            match answer {
                Answer::Address(ips) | Answer::Alias { addresses: ips, .. } if !ips.is_empty() => {
                    Ok(ips.into_iter().map(IpAddr::V4).collect())
                }
                _ => Err(format!("{host} does not resolve")),
            }
        }
        None => tokio::net::lookup_host((host, 443))
            .await
            .map(|found| found.map(|a| a.ip()).collect())
            .map_err(|e| format!("{host} does not resolve: {e}")),
    }
}

/// What asking a server found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerCheck {
    /// How it came out.
    pub outcome: Outcome,
    /// What was found.
    pub detail: String,
    /// Nothing answered on the port (the name resolved): a server whose service is not
    /// installed yet looks like this.
    pub silent: bool,
}

/// Why a server did not pass: in words, and whether nothing answered at all.
type Refusal = (String, bool);

fn refused(detail: String) -> Refusal {
    (detail, false)
}

/// Checks that `host` answers on `port` with a certificate for the federation service `name`;
/// with `thumbprint_wanted`, that it is that certificate.
pub async fn check(
    host: &str,
    port: u16,
    name: &str,
    thumbprint_wanted: Option<&str>,
    resolver: Option<&Resolver>,
) -> ServerCheck {
    match answer(host.trim(), port, name, thumbprint_wanted, resolver).await {
        Ok(detail) => ServerCheck {
            outcome: Outcome::Pass,
            detail,
            silent: false,
        },
        Err((detail, silent)) => ServerCheck {
            outcome: Outcome::Fail,
            detail,
            silent,
        },
    }
}

async fn answer(
    host: &str,
    port: u16,
    name: &str,
    thumbprint_wanted: Option<&str>,
    resolver: Option<&Resolver>,
) -> Result<String, Refusal> {
    let ips = addresses(host, resolver).await.map_err(refused)?;
    let Some(ip) = ips.first() else {
        return Err(refused(format!("{host} does not resolve")));
    };
    let addr = SocketAddr::new(*ip, port);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| refused(format!("TLS cannot be set up: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Compare(provider)))
        .with_no_client_auth();
    let sni = ServerName::try_from(name.trim().trim_end_matches('.').to_string())
        .map_err(|_| refused(format!("'{name}' is not a usable federation service name")))?;
    let connect = async {
        let tcp = tokio::net::TcpStream::connect(addr).await.map_err(|e| {
            (
                format!("{host} ({addr}) does not answer on port {port}: {e}"),
                true,
            )
        })?;
        tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(sni, tcp)
            .await
            .map_err(|e| {
                refused(format!(
                    "{host} ({addr}) answers on port {port} but not with TLS: {e}"
                ))
            })
    };
    let stream = tokio::time::timeout(TIMEOUT, connect).await.map_err(|_| {
        (
            format!("{host} ({addr}) did not answer on port {port} within {TIMEOUT:?}"),
            true,
        )
    })??;
    let presented = stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.as_ref().to_vec())
        .ok_or_else(|| refused(format!("{host} presented no certificate")))?;
    let names = dns_names(&presented);
    let print = thumbprint(&presented);
    if !names.iter().any(|n| covers(n, name)) {
        return Err(refused(format!(
            "{host} presents a certificate for {} (thumbprint {print}), not for {name}",
            if names.is_empty() {
                "no name".to_string()
            } else {
                names.join(", ")
            }
        )));
    }
    if let Some(wanted) = thumbprint_wanted
        && !wanted.eq_ignore_ascii_case(&print)
    {
        return Err(refused(format!(
            "{host} presents another certificate (thumbprint {print}) than the farm's ({wanted}): bind the farm's certificate to port {port}"
        )));
    }
    Ok(format!(
        "{host} ({addr}) answers on port {port} with the certificate for {name} (thumbprint {print})"
    ))
}
