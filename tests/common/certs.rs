//! Test certificates made with the `openssl` command: a private authority and server
//! certificates from it (the federation peers' and the database server's TLS).

use std::process::Command;

/// Runs `openssl` in `dir`.
pub fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs (Debian: apt-get install openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A test root certificate authority in `dir`: `ca.crt` and its key `ca.key`.
pub fn authority(dir: &std::path::Path) {
    self_signed_as(
        dir,
        ("ca.key", "ca.crt"),
        "/CN=Contoso Test Root",
        3650,
        &[
            "basicConstraints=critical,CA:TRUE",
            "keyUsage=keyCertSign,cRLSign",
        ],
    );
}

/// A self-signed certificate `files.1` with a new RSA key `files.0` in `dir`, for `subject`,
/// valid `days`, with these extensions (`-addext` values).
pub fn self_signed_as(
    dir: &std::path::Path,
    (key, pem): (&str, &str),
    subject: &str,
    days: u32,
    extensions: &[&str],
) {
    let days = days.to_string();
    let mut args = vec![
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", pem, "-subj",
        subject, "-days", &days,
    ];
    for extension in extensions {
        args.extend(["-addext", extension]);
    }
    openssl(dir, &args);
}

/// A TLS server certificate from the authority of [`authority`] in `dir`: `stem`.pem and its
/// key `stem`.key, for the subjectAltName entries `san` (`DNS:localhost,IP:127.0.0.1`).
pub fn server_certificate(dir: &std::path::Path, stem: &str, san: &str) {
    let (key, csr, pem) = (
        format!("{stem}.key"),
        format!("{stem}.csr"),
        format!("{stem}.pem"),
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            "/CN=localhost",
        ],
    );
    sign(dir, &csr, &pem, san, 30);
}

/// Signs the request `csr` in `dir` with the authority of [`authority`]: the certificate `pem`,
/// valid `days`, for the subjectAltName entries `san`.
pub fn sign(dir: &std::path::Path, csr: &str, pem: &str, san: &str, days: u32) {
    let ext = format!("{csr}.ext");
    std::fs::write(dir.join(&ext), format!("subjectAltName={san}\n")).expect("extensions");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            csr,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            pem,
            "-days",
            &days.to_string(),
            "-extfile",
            &ext,
        ],
    );
}
