//! Checks of a federation farm's certificate file, each with an outcome and, when something is
//! wrong, what is wrong in the file: the password opens it; it holds the certificate's own private
//! key (its public half is compared); the key's algorithm and size; valid now and not expiring
//! within [`EXPIRY_WARNING_DAYS`]; its names cover the federation service name (a wildcard as TLS
//! matches it: one left-most label); and the chain from it to a self-signed root is all in the
//! file.
//!
//! PKCS#12 (`.pfx`, `.p12`) and PEM (certificates and a key, in one file) are read. The time
//! is given by the caller, so the checks are the same whenever they run.

use std::path::Path;

use serde::Serialize;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::{FromDer, GeneralName};
use x509_parser::public_key::PublicKey;

/// A certificate that expires within this many days gets a warning.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// The smallest RSA key accepted (bits).
pub const MIN_RSA_BITS: usize = 2048;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// As it should be.
    Pass,
    /// Works, but deserves attention.
    Warn,
    /// Must be fixed.
    Fail,
}

/// Which check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Check {
    /// The file can be read with the password.
    Opens,
    /// It holds the certificate's private key.
    PrivateKey,
    /// The key's algorithm and size.
    KeyStrength,
    /// Valid now, and for a while yet.
    Validity,
    /// Its names cover the federation service name.
    Name,
    /// The chain to a root is in the file.
    Chain,
}

/// One check's outcome, and what it found in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// Which check.
    pub check: Check,
    /// How it came out.
    pub outcome: Outcome,
    /// What was found (what is wrong, when something is).
    pub detail: String,
}

impl Finding {
    fn new(check: Check, outcome: Outcome, detail: impl Into<String>) -> Finding {
        Finding {
            check,
            outcome,
            detail: detail.into(),
        }
    }
}

/// A private key as the file holds it.
enum Key {
    /// PKCS#8 (DER): what PKCS#12 files and `PRIVATE KEY` PEM blocks hold.
    Pkcs8(Vec<u8>),
    /// PKCS#1 (DER): an `RSA PRIVATE KEY` PEM block.
    Pkcs1(Vec<u8>),
    /// Another kind of key (an `EC PRIVATE KEY` PEM block), which is not compared.
    Other(String),
}

/// What a file holds: its certificates (DER; the leaf first) and its private keys.
struct Contents {
    certs: Vec<Vec<u8>>,
    keys: Vec<Key>,
}

/// Reads the file at `path` and checks it for the federation service `name` at `now` (Unix
/// seconds). Every check that can run is run; the first that cannot says why the rest did not.
pub fn check_file(path: &Path, password: &str, name: &str, now: i64) -> Vec<Finding> {
    match read_file(path) {
        Ok(bytes) => check(&bytes, password, name, now),
        Err(unreadable) => vec![unreadable],
    }
}

/// The bytes of the file at `path`, or the failed [`Check::Opens`] that says why not.
pub fn read_file(path: &Path) -> Result<Vec<u8>, Finding> {
    std::fs::read(path).map_err(|e| {
        Finding::new(
            Check::Opens,
            Outcome::Fail,
            format!("{} cannot be read: {e}", path.display()),
        )
    })
}

/// [`check_file`] on a file's bytes.
pub fn check(bytes: &[u8], password: &str, name: &str, now: i64) -> Vec<Finding> {
    let contents = match read(bytes, password) {
        Ok(contents) => contents,
        Err(why) => return vec![Finding::new(Check::Opens, Outcome::Fail, why)],
    };
    let mut findings = vec![Finding::new(
        Check::Opens,
        Outcome::Pass,
        format!("{} certificate(s) read", contents.certs.len()),
    )];
    let Some(leaf_der) = contents.certs.first() else {
        findings.push(Finding::new(
            Check::PrivateKey,
            Outcome::Fail,
            "the file holds no certificate",
        ));
        return findings;
    };
    let leaf = match X509Certificate::from_der(leaf_der) {
        Ok((_, cert)) => cert,
        Err(e) => {
            findings.push(Finding::new(
                Check::Opens,
                Outcome::Fail,
                format!("its certificate cannot be read: {e}"),
            ));
            return findings;
        }
    };
    findings.push(private_key(&leaf, &contents.keys));
    findings.push(key_strength(&leaf));
    findings.push(validity(&leaf, now));
    findings.push(name_check(&leaf, name));
    findings.push(chain(&contents.certs));
    findings
}

/// The certificates and key of a PKCS#12 or PEM file.
fn read(bytes: &[u8], password: &str) -> Result<Contents, String> {
    if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
        return read_pem(bytes);
    }
    // Every entry as it is, keys and certificates apart: the checks below find the leaf and
    // the chain themselves, whatever attributes the exporting tool wrote.
    let store =
        p12_keystore::KeyStore::from_pkcs12(bytes, password, p12_keystore::Pkcs12ImportPolicy::Raw)
            .map_err(|e| match e {
                p12_keystore::error::Error::MacError(_) => {
                    "the password does not open the file (its integrity check fails with it)"
                        .to_string()
                }
                p12_keystore::error::Error::DerError(_) => {
                    "it is neither a PKCS#12 (.pfx) file nor a PEM file".to_string()
                }
                other => format!("the PKCS#12 file cannot be read: {other}"),
            })?;
    let mut certs = Vec::new();
    let mut keys = Vec::new();
    for (_, entry) in store.entries() {
        match entry {
            p12_keystore::KeyStoreEntry::PrivateKeyChain(chain) => {
                keys.push(Key::Pkcs8(chain.key().as_der().to_vec()));
            }
            p12_keystore::KeyStoreEntry::Certificate(cert) => certs.push(cert.as_der().to_vec()),
            p12_keystore::KeyStoreEntry::Secret(_) => {}
        }
    }
    Ok(Contents {
        certs: leaf_first(certs),
        keys,
    })
}

/// The leaf certificate (DER) of a PKCS#12 or PEM file, or why it cannot be read.
pub fn leaf_der(bytes: &[u8], password: &str) -> Result<Vec<u8>, String> {
    read(bytes, password)?
        .certs
        .into_iter()
        .next()
        .ok_or_else(|| "the file holds no certificate".to_string())
}

/// A certificate's thumbprint as Windows shows it and AD FS takes it: the SHA-1 digest of its
/// DER, in upper-case hexadecimal.
pub fn thumbprint(der: &[u8]) -> String {
    use sha1::Digest as _;
    sha1::Sha1::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// The DNS names a TLS client accepts a certificate (DER) for; empty when it cannot be read.
pub fn dns_names(der: &[u8]) -> Vec<String> {
    X509Certificate::from_der(der)
        .map(|(_, c)| names(&c))
        .unwrap_or_default()
}

/// The certificates with the leaf first: the one that issued none of the others (a self-signed
/// one only when it is alone).
fn leaf_first(mut certs: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let issuers: Vec<String> = certs
        .iter()
        .filter_map(|der| X509Certificate::from_der(der).ok())
        .filter(|(_, c)| c.subject() != c.issuer())
        .map(|(_, c)| c.issuer().to_string())
        .collect();
    let is_leaf = |der: &Vec<u8>| {
        X509Certificate::from_der(der)
            .is_ok_and(|(_, c)| !issuers.contains(&c.subject().to_string()))
    };
    if let Some(at) = certs.iter().position(is_leaf) {
        let leaf = certs.remove(at);
        certs.insert(0, leaf);
    }
    certs
}

fn read_pem(bytes: &[u8]) -> Result<Contents, String> {
    let mut certs = Vec::new();
    let mut keys = Vec::new();
    for block in x509_parser::pem::Pem::iter_from_buffer(bytes) {
        let block = block.map_err(|e| format!("the PEM file cannot be read: {e}"))?;
        match block.label.as_str() {
            "CERTIFICATE" => certs.push(block.contents),
            "PRIVATE KEY" => keys.push(Key::Pkcs8(block.contents)),
            "RSA PRIVATE KEY" => keys.push(Key::Pkcs1(block.contents)),
            label if label.ends_with("PRIVATE KEY") => keys.push(Key::Other(label.to_string())),
            _ => {}
        }
    }
    Ok(Contents {
        certs: leaf_first(certs),
        keys,
    })
}

/// The private key check: a key is in the file, and it is the certificate's own (its public
/// half is the certificate's public key).
fn private_key(leaf: &X509Certificate<'_>, keys: &[Key]) -> Finding {
    let subject = leaf.subject().to_string();
    if keys.is_empty() {
        return Finding::new(
            Check::PrivateKey,
            Outcome::Fail,
            format!(
                "the file holds {subject} without its private key: export it again with the private key"
            ),
        );
    }
    let mut uncompared = None;
    for key in keys {
        match public_half(key) {
            Ok(public) if public == certificate_public_half(leaf) => {
                return Finding::new(
                    Check::PrivateKey,
                    Outcome::Pass,
                    format!("the private key of {subject} is in the file"),
                );
            }
            Ok(_) => {}
            Err(why) => uncompared = Some(why),
        }
    }
    match uncompared {
        Some(why) => Finding::new(
            Check::PrivateKey,
            Outcome::Warn,
            format!(
                "the file holds a private key, but whether it is {subject}'s could not be checked: {why}"
            ),
        ),
        None => Finding::new(
            Check::PrivateKey,
            Outcome::Fail,
            format!(
                "the private key in the file is not {subject}'s (it belongs to another certificate): export the certificate again with its own key"
            ),
        ),
    }
}

/// An RSA key's public half as compared here: modulus and exponent without leading zeros.
fn rsa_public_half(modulus: &[u8], exponent: &[u8]) -> Vec<u8> {
    let trimmed =
        |bytes: &[u8]| -> Vec<u8> { bytes.iter().copied().skip_while(|b| *b == 0).collect() };
    let mut out = trimmed(modulus);
    // The lengths go first, so no two different pairs read the same.
    out.splice(0..0, (out.len() as u32).to_be_bytes());
    out.extend(trimmed(exponent));
    out
}

/// The certificate's public key as [`public_half`] gives a private key's.
fn certificate_public_half(leaf: &X509Certificate<'_>) -> Vec<u8> {
    match leaf.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => rsa_public_half(rsa.modulus, rsa.exponent),
        _ => leaf.public_key().subject_public_key.data.to_vec(),
    }
}

/// The public half of a private key: an RSA key's modulus and exponent, an elliptic-curve
/// key's point; or why it cannot be had.
fn public_half(key: &Key) -> Result<Vec<u8>, String> {
    use ring::signature::KeyPair as _;
    use x509_parser::der_parser::parse_der;
    // RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent, ... }
    let rsa = |pkcs1: &[u8]| -> Result<Vec<u8>, String> {
        let (_, key) = parse_der(pkcs1).map_err(|e| format!("its RSA key cannot be read: {e}"))?;
        let fields = key.as_sequence().map_err(|e| e.to_string())?;
        let part = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.as_slice().ok())
                .ok_or_else(|| "its RSA key is incomplete".to_string())
        };
        Ok(rsa_public_half(part(1)?, part(2)?))
    };
    match key {
        Key::Pkcs1(der) => rsa(der),
        Key::Pkcs8(der) => {
            // PrivateKeyInfo ::= SEQUENCE { version, algorithm, privateKey OCTET STRING, ... }
            let (_, info) = parse_der(der).map_err(|e| format!("its key cannot be read: {e}"))?;
            let fields = info.as_sequence().map_err(|e| e.to_string())?;
            let algorithm = fields
                .get(1)
                .and_then(|a| a.as_sequence().ok())
                .and_then(|a| a.first())
                .and_then(|oid| oid.as_oid().ok())
                .map(|oid| oid.to_id_string())
                .unwrap_or_default();
            if algorithm == "1.2.840.113549.1.1.1" {
                let inner = fields
                    .get(2)
                    .and_then(|k| k.as_slice().ok())
                    .ok_or_else(|| "its RSA key is incomplete".to_string())?;
                return rsa(inner);
            }
            let rng = ring::rand::SystemRandom::new();
            for curve in [
                &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                &ring::signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            ] {
                if let Ok(pair) = ring::signature::EcdsaKeyPair::from_pkcs8(curve, der, &rng) {
                    return Ok(pair.public_key().as_ref().to_vec());
                }
            }
            Err(format!(
                "its key algorithm ({algorithm}) is not one Skybridge compares"
            ))
        }
        Key::Other(label) => Err(format!(
            "its key is a PEM '{label}' block; convert it to PKCS#8 (openssl pkcs8 -topk8) to have it checked"
        )),
    }
}

fn key_strength(cert: &X509Certificate<'_>) -> Finding {
    match cert.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let bits = rsa.key_size();
            if bits >= MIN_RSA_BITS {
                Finding::new(
                    Check::KeyStrength,
                    Outcome::Pass,
                    format!("RSA {bits}-bit key"),
                )
            } else {
                Finding::new(
                    Check::KeyStrength,
                    Outcome::Fail,
                    format!("RSA {bits}-bit key: at least {MIN_RSA_BITS} bits are needed"),
                )
            }
        }
        Ok(PublicKey::EC(point)) => {
            let bits = point.key_size();
            if bits >= 256 {
                Finding::new(
                    Check::KeyStrength,
                    Outcome::Pass,
                    format!("elliptic-curve {bits}-bit key"),
                )
            } else {
                Finding::new(
                    Check::KeyStrength,
                    Outcome::Fail,
                    format!("elliptic-curve {bits}-bit key: at least 256 bits are needed"),
                )
            }
        }
        Ok(_) => Finding::new(
            Check::KeyStrength,
            Outcome::Fail,
            format!(
                "its key algorithm ({}) is not RSA or elliptic-curve",
                cert.public_key().algorithm.algorithm
            ),
        ),
        Err(e) => Finding::new(
            Check::KeyStrength,
            Outcome::Fail,
            format!("its public key cannot be read: {e}"),
        ),
    }
}

/// Whether `cert` is valid at `now` and for [`EXPIRY_WARNING_DAYS`] more.
pub(crate) fn validity(cert: &X509Certificate<'_>, now: i64) -> Finding {
    let from = cert.validity().not_before.timestamp();
    let until = cert.validity().not_after.timestamp();
    let date = |t: i64| {
        time::OffsetDateTime::from_unix_timestamp(t)
            .map(|d| d.date().to_string())
            .unwrap_or_else(|_| t.to_string())
    };
    if now < from {
        return Finding::new(
            Check::Validity,
            Outcome::Fail,
            format!("not valid before {}", date(from)),
        );
    }
    if now > until {
        return Finding::new(
            Check::Validity,
            Outcome::Fail,
            format!("expired on {}", date(until)),
        );
    }
    let days = (until - now) / 86_400;
    if days < EXPIRY_WARNING_DAYS {
        Finding::new(
            Check::Validity,
            Outcome::Warn,
            format!(
                "expires on {}, in {days} day(s): renew it soon",
                date(until)
            ),
        )
    } else {
        Finding::new(
            Check::Validity,
            Outcome::Pass,
            format!("valid until {}", date(until)),
        )
    }
}

/// The DNS names a TLS client would accept the certificate for: its subject alternative names,
/// else (none given) its subject's common names.
fn names(cert: &X509Certificate<'_>) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            if let GeneralName::DNSName(dns) = name {
                out.push(dns.to_string());
            }
        }
        if !out.is_empty() {
            return out;
        }
    }
    cert.subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok().map(str::to_string))
        .collect()
}

/// Whether the certificate name `pattern` covers `host`, as TLS matches it: case does not
/// matter, and a `*` stands for exactly one whole left-most label.
pub fn covers(pattern: &str, host: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(rest) => match host.split_once('.') {
            Some((label, host_rest)) => {
                !label.is_empty() && !rest.is_empty() && rest.contains('.') && host_rest == rest
            }
            None => false,
        },
        None => pattern == host,
    }
}

fn name_check(cert: &X509Certificate<'_>, name: &str) -> Finding {
    let names = names(cert);
    if names.iter().any(|n| covers(n, name)) {
        Finding::new(
            Check::Name,
            Outcome::Pass,
            format!("{name} is among its names ({})", names.join(", ")),
        )
    } else {
        Finding::new(
            Check::Name,
            Outcome::Fail,
            format!(
                "it is for {}, not for {name}: the federation service name must be among its subject alternative names",
                if names.is_empty() {
                    "no name".to_string()
                } else {
                    names.join(", ")
                }
            ),
        )
    }
}

fn chain(certs: &[Vec<u8>]) -> Finding {
    let parsed: Vec<X509Certificate<'_>> = certs
        .iter()
        .filter_map(|der| X509Certificate::from_der(der).ok().map(|(_, c)| c))
        .collect();
    let Some(mut current) = parsed.first() else {
        return Finding::new(Check::Chain, Outcome::Fail, "the file holds no certificate");
    };
    let mut steps = vec![current.subject().to_string()];
    // At most as many steps as certificates: a loop cannot go on for ever.
    for _ in 0..parsed.len() {
        if current.subject() == current.issuer() {
            return Finding::new(
                Check::Chain,
                Outcome::Pass,
                format!("complete: {}", steps.join(" <- ")),
            );
        }
        let Some(issuer) = parsed.iter().find(|c| c.subject() == current.issuer()) else {
            return Finding::new(
                Check::Chain,
                Outcome::Fail,
                format!(
                    "the chain stops at {}: the file lacks the certificate of its issuer, {}; export it again with the whole chain",
                    current.subject(),
                    current.issuer()
                ),
            );
        };
        current = issuer;
        steps.push(current.subject().to_string());
    }
    Finding::new(
        Check::Chain,
        Outcome::Fail,
        "the certificates' issuers go round in a loop",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_covers_one_whole_left_label_as_tls_has_it() {
        assert!(covers("fs.contoso.com", "FS.Contoso.com"));
        assert!(covers("*.contoso.com", "fs.contoso.com"));
        assert!(!covers("*.contoso.com", "contoso.com"));
        assert!(!covers("*.contoso.com", "a.fs.contoso.com"));
        assert!(!covers("*.com", "contoso.com"));
        assert!(!covers("fs.contoso.com", "sts.contoso.com"));
        assert!(!covers("*.contoso.com", ""));
    }

    #[test]
    fn garbage_is_refused_with_the_reason_and_nothing_else_is_checked() {
        let found = check(b"not a certificate", "pw", "fs.contoso.com", 0);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].outcome, Outcome::Fail);
        assert!(found[0].detail.contains("neither a PKCS#12"), "{found:?}");
    }
}
