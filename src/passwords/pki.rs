//! The keys and certificates of password synchronization, and TLS over them: each end has a
//! self-signed certificate of its own, and each trusts exactly the other's certificate, pinned
//! by its SHA-256 fingerprint at enrolment. No certificate authority is involved, so none can
//! be misused to stand in for either end.

use std::sync::Arc;

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use sha2::Digest as _;

use crate::secret::Secret;

/// A certificate and its private key (PKCS#8, PEM, kept as a secret).
pub struct Identity {
    /// The certificate, PEM.
    pub certificate: String,
    /// The private key, PKCS#8 PEM.
    pub key: Secret,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("certificate", &self.fingerprint().unwrap_or_default())
            .finish_non_exhaustive()
    }
}

/// What went wrong with a key or a certificate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PkiError(pub String);

impl Identity {
    /// A new key pair (ECDSA P-256) and a self-signed certificate naming `name`.
    pub fn generate(name: &str) -> Result<Identity, PkiError> {
        let made = rcgen::generate_simple_self_signed(vec![name.to_string()])
            .map_err(|e| PkiError(format!("a certificate could not be made: {e}")))?;
        Ok(Identity {
            certificate: made.cert.pem(),
            key: Secret::new(made.signing_key.serialize_pem()),
        })
    }

    /// The certificate's fingerprint (SHA-256 of its DER, lowercase hex).
    pub fn fingerprint(&self) -> Result<String, PkiError> {
        Ok(fingerprint(&self.certificate_der()?))
    }

    fn certificate_der(&self) -> Result<CertificateDer<'static>, PkiError> {
        CertificateDer::from_pem_slice(self.certificate.as_bytes())
            .map_err(|e| PkiError(format!("the certificate is not valid PEM: {e}")))
    }

    fn key_der(&self) -> Result<PrivateKeyDer<'static>, PkiError> {
        PrivatePkcs8KeyDer::from_pem_slice(self.key.expose().as_bytes())
            .map(PrivateKeyDer::Pkcs8)
            .map_err(|_| PkiError("the private key is not a PKCS#8 PEM key".into()))
    }
}

/// The SHA-256 fingerprint of a certificate, lowercase hex.
pub fn fingerprint(der: &[u8]) -> String {
    hex(&sha2::Sha256::digest(der))
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The service's TLS: its own certificate; every agent must show a certificate (whose
/// fingerprint the service then looks up among enrolled agents; an enrolling agent proves its
/// code instead).
pub fn server_config(identity: &Identity) -> Result<rustls::ServerConfig, PkiError> {
    let provider = provider();
    let verifier = AnyClientCertificate {
        algorithms: provider.signature_verification_algorithms,
    };
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PkiError(e.to_string()))?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(vec![identity.certificate_der()?], identity.key_der()?)
        .map_err(|e| PkiError(format!("the service's key cannot be used: {e}")))
}

/// The agent's TLS: its own certificate, and the service's certificate pinned by `pinned`
/// (`None` only while enrolling: any certificate is taken, and the code's proof, which covers
/// the fingerprint seen, tells whether it was the service's).
pub fn client_config(
    identity: &Identity,
    pinned: Option<&str>,
) -> Result<rustls::ClientConfig, PkiError> {
    let provider = provider();
    let verifier = PinnedServer {
        pinned: pinned.map(str::to_ascii_lowercase),
        algorithms: provider.signature_verification_algorithms,
    };
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PkiError(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_client_auth_cert(vec![identity.certificate_der()?], identity.key_der()?)
        .map_err(|e| PkiError(format!("the agent's key cannot be used: {e}")))
}

#[derive(Debug)]
struct PinnedServer {
    pinned: Option<String>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedServer {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.pinned {
            Some(pinned) if *pinned != fingerprint(end_entity) => Err(rustls::Error::General(
                "the service's certificate is not the one this agent was enrolled with".into(),
            )),
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Takes any client certificate whose holder proves its key in the handshake; who it is, is
/// decided afterwards by its fingerprint.
#[derive(Debug)]
struct AnyClientCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for AnyClientCertificate {
    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_identity_has_a_stable_fingerprint_and_builds_both_configs() {
        let a = Identity::generate("service").expect("generates");
        let fp = a.fingerprint().expect("fingerprint");
        assert_eq!(fp.len(), 64);
        assert_eq!(fp, a.fingerprint().expect("fingerprint"));
        assert!(!format!("{a:?}").contains("PRIVATE"));
        server_config(&a).expect("server config");
        client_config(&a, Some(&fp)).expect("client config");
        let b = Identity::generate("service").expect("generates");
        assert_ne!(fp, b.fingerprint().expect("fingerprint"));
    }
}
