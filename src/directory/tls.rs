//! TLS client configuration for LDAPS and StartTLS.
//!
//! Certificates are always verified. With no CA file the operating system's trust store decides;
//! with a CA file (a PEM bundle the administrator chose) exactly the certificates in that file are
//! trusted, as `TLS_CACERT` does for OpenLDAP's tools. There is deliberately no way to turn
//! verification off.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ClientConfig;
use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Why a TLS client configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsConfigError {
    /// The CA file could not be read or holds no usable certificate.
    #[error("cannot use the CA file {path}: {reason}")]
    CaFile {
        /// The file the administrator named.
        path: PathBuf,
        /// What is wrong with it, in words.
        reason: String,
    },
    /// The operating system's trust store could not be used.
    #[error("cannot use the system's trusted certificates: {0}")]
    SystemRoots(String),
}

/// The one cryptography provider Skybridge uses (ring), so no process-wide default is needed.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Reads every certificate of a PEM file.
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let fail = |reason: String| TlsConfigError::CaFile {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(format!("it is not a PEM certificate file ({e})")))?;
    if certs.is_empty() {
        return Err(fail(
            "it holds no certificate (expected one or more '-----BEGIN CERTIFICATE-----' blocks)"
                .into(),
        ));
    }
    Ok(certs)
}

/// Builds a verifying client configuration, trusting `ca_file` if given, else the system.
pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, TlsConfigError> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsConfigError::SystemRoots(e.to_string()))?;
    let config = match ca_file {
        Some(path) => {
            let mut roots = RootCertStore::empty();
            for cert in read_ca_file(path)? {
                roots.add(cert).map_err(|e| TlsConfigError::CaFile {
                    path: path.to_path_buf(),
                    reason: format!("a certificate in it cannot be a trust anchor ({e})"),
                })?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        None => {
            let verifier = rustls_platform_verifier::Verifier::new(provider)
                .map_err(|e| TlsConfigError::SystemRoots(e.to_string()))?;
            builder
                .dangerous() // Only to plug in the platform verifier; it verifies fully.
                .with_custom_certificate_verifier(Arc::new(verifier))
                .with_no_client_auth()
        }
    };
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_ca_file_names_the_file() {
        let err = client_config(Some(Path::new("/nonexistent/ca.pem"))).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("/nonexistent/ca.pem"), "{text}");
    }

    #[test]
    fn a_file_without_certificates_is_refused_with_the_reason() {
        let dir = std::env::temp_dir().join(format!("skybridge-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("empty.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let err = client_config(Some(&path)).unwrap_err();
        assert!(err.to_string().contains("holds no certificate"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_system_trust_store_is_usable() {
        assert!(client_config(None).is_ok());
    }
}
