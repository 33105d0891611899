//! The federation certificate checks against real certificate files made by OpenSSL: a good
//! PFX with its chain, the wrong password, no private key, a missing chain, a weak key, a
//! wildcard, another name, expired and expiring soon (the time is given), an elliptic-curve
//! key, and PEM.

mod common;

use common::certs::sign;
use common::federation::{authority, openssl};

use std::path::{Path, PathBuf};
use std::process::Command;

use skybridge::federation::certificate::{Check, Finding, Outcome, check_file};

const PASSWORD: &str = "Pfx-Pass-1";
const DAY: i64 = 86_400;

/// A leaf `name`.crt/.key signed by the root, valid 365 days, with `key` ("rsa:2048",
/// "rsa:1024", "ec") and these DNS names.
fn leaf(dir: &Path, name: &str, key: &str, dns: &[&str]) {
    let mut new_key: Vec<&str> = vec!["req", "-newkey"];
    if key == "ec" {
        new_key.extend(["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]);
    } else {
        new_key.push(key);
    }
    let (keyfile, csr) = (format!("{name}.key"), format!("{name}.csr"));
    new_key.extend([
        "-nodes",
        "-keyout",
        &keyfile,
        "-out",
        &csr,
        "-subj",
        "/CN=fs.contoso.test",
    ]);
    openssl(dir, &new_key);
    let sans: Vec<String> = dns.iter().map(|d| format!("DNS:{d}")).collect();
    sign(dir, &csr, &format!("{name}.crt"), &sans.join(","), 365);
}

/// `name`.pfx from its key and certificate, with the root unless `chain` is false, without the
/// key when `key` is false.
fn pfx(dir: &Path, name: &str, out: &str, key: bool, chain: bool) -> PathBuf {
    let (crt, keyfile) = (format!("{name}.crt"), format!("{name}.key"));
    let pass = format!("pass:{PASSWORD}");
    let mut args = vec![
        "pkcs12", "-export", "-in", &crt, "-out", out, "-passout", &pass,
    ];
    if key {
        args.extend(["-inkey", &keyfile]);
    } else {
        args.push("-nokeys");
    }
    if chain {
        args.extend(["-certfile", "ca.crt"]);
    }
    openssl(dir, &args);
    dir.join(out)
}

fn outcome(found: &[Finding], check: Check) -> (Outcome, String) {
    let f = found
        .iter()
        .find(|f| f.check == check)
        .unwrap_or_else(|| panic!("{check:?} not checked: {found:?}"));
    (f.outcome, f.detail.clone())
}

fn now() -> i64 {
    skybridge::clock::unix_now() as i64
}

#[test]
fn each_certificate_problem_is_found_and_named() {
    let dir = common::temp_dir("fed-certs");
    authority(&dir);
    leaf(
        &dir,
        "fs",
        "rsa:2048",
        &["fs.contoso.test", "enterpriseregistration.contoso.test"],
    );

    // A good file: every check passes.
    let good = pfx(&dir, "fs", "good.pfx", true, true);
    let found = check_file(&good, PASSWORD, "fs.contoso.test", now());
    assert!(
        found.iter().all(|f| f.outcome == Outcome::Pass),
        "{found:?}"
    );
    assert_eq!(found.len(), 6);
    assert!(
        outcome(&found, Check::KeyStrength)
            .1
            .contains("RSA 2048-bit")
    );
    assert!(
        outcome(&found, Check::Chain)
            .1
            .contains("Contoso Test Root")
    );

    // The wrong password: said, and nothing else is checked.
    let found = check_file(&good, "not-it", "fs.contoso.test", now());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(outcome(&found, Check::Opens).0, Outcome::Fail);
    assert!(
        outcome(&found, Check::Opens)
            .1
            .contains("password does not open")
    );

    // Another name than the federation service's.
    let found = check_file(&good, PASSWORD, "sts.fabrikam.test", now());
    let (o, detail) = outcome(&found, Check::Name);
    assert_eq!(o, Outcome::Fail);
    assert!(detail.contains("not for sts.fabrikam.test"), "{detail}");

    // Expired, and expiring within 30 days (the time is given).
    let found = check_file(&good, PASSWORD, "fs.contoso.test", now() + 400 * DAY);
    let (o, detail) = outcome(&found, Check::Validity);
    assert_eq!(o, Outcome::Fail);
    assert!(detail.starts_with("expired on"), "{detail}");
    let found = check_file(&good, PASSWORD, "fs.contoso.test", now() + 355 * DAY);
    let (o, detail) = outcome(&found, Check::Validity);
    assert_eq!(o, Outcome::Warn);
    assert!(detail.contains("day(s)"), "{detail}");
    let found = check_file(&good, PASSWORD, "fs.contoso.test", now() - 2 * DAY);
    assert!(
        outcome(&found, Check::Validity)
            .1
            .starts_with("not valid before")
    );

    // No private key.
    let nokey = pfx(&dir, "fs", "nokey.pfx", false, true);
    let found = check_file(&nokey, PASSWORD, "fs.contoso.test", now());
    let (o, detail) = outcome(&found, Check::PrivateKey);
    assert_eq!(o, Outcome::Fail);
    assert!(detail.contains("without its private key"), "{detail}");

    // No chain: the issuer it lacks is named.
    let nochain = pfx(&dir, "fs", "nochain.pfx", true, false);
    let found = check_file(&nochain, PASSWORD, "fs.contoso.test", now());
    let (o, detail) = outcome(&found, Check::Chain);
    assert_eq!(o, Outcome::Fail);
    assert!(
        detail.contains("its issuer, CN=Contoso Test Root"),
        "{detail}"
    );

    // A weak key.
    leaf(&dir, "weak", "rsa:1024", &["fs.contoso.test"]);
    let weak = pfx(&dir, "weak", "weak.pfx", true, true);
    let found = check_file(&weak, PASSWORD, "fs.contoso.test", now());
    let (o, detail) = outcome(&found, Check::KeyStrength);
    assert_eq!(o, Outcome::Fail);
    assert!(detail.contains("RSA 1024-bit key"), "{detail}");

    // A wildcard: one label, not two.
    leaf(&dir, "wild", "rsa:2048", &["*.contoso.test"]);
    let wild = pfx(&dir, "wild", "wild.pfx", true, true);
    let found = check_file(&wild, PASSWORD, "fs.contoso.test", now());
    assert_eq!(outcome(&found, Check::Name).0, Outcome::Pass);
    let found = check_file(&wild, PASSWORD, "a.fs.contoso.test", now());
    assert_eq!(outcome(&found, Check::Name).0, Outcome::Fail);

    // An elliptic-curve key.
    leaf(&dir, "ec", "ec", &["fs.contoso.test"]);
    let ec = pfx(&dir, "ec", "ec.pfx", true, true);
    let found = check_file(&ec, PASSWORD, "fs.contoso.test", now());
    assert!(
        found.iter().all(|f| f.outcome == Outcome::Pass),
        "{found:?}"
    );
    assert!(
        outcome(&found, Check::KeyStrength)
            .1
            .contains("elliptic-curve 256-bit")
    );

    // PEM: the certificate, the chain and the key in one file.
    let pem: Vec<u8> = ["fs.crt", "ca.crt", "fs.key"]
        .iter()
        .flat_map(|f| std::fs::read(dir.join(f)).expect("pem part"))
        .collect();
    std::fs::write(dir.join("fs.pem"), pem).expect("pem");
    let found = check_file(&dir.join("fs.pem"), "", "fs.contoso.test", now());
    assert!(
        found.iter().all(|f| f.outcome == Outcome::Pass),
        "{found:?}"
    );
    let pem_of = |parts: &[&str], out: &str| {
        let bytes: Vec<u8> = parts
            .iter()
            .flat_map(|f| std::fs::read(dir.join(f)).expect("pem part"))
            .collect();
        std::fs::write(dir.join(out), bytes).expect("pem");
        check_file(&dir.join(out), "", "fs.contoso.test", now())
    };
    // Another certificate's key: refused, and said so.
    let found = pem_of(&["fs.crt", "ca.crt", "wild.key"], "wrong-key.pem");
    let (o, detail) = outcome(&found, Check::PrivateKey);
    assert_eq!(o, Outcome::Fail, "{detail}");
    assert!(
        detail.contains("belongs to another certificate"),
        "{detail}"
    );
    // A traditional RSA key (PKCS#1) is compared too.
    openssl(
        &dir,
        &[
            "rsa",
            "-in",
            "fs.key",
            "-out",
            "fs-pkcs1.key",
            "-traditional",
        ],
    );
    let found = pem_of(&["fs.crt", "ca.crt", "fs-pkcs1.key"], "fs-pkcs1.pem");
    assert_eq!(
        outcome(&found, Check::PrivateKey).0,
        Outcome::Pass,
        "{found:?}"
    );
    // An elliptic-curve key in its traditional form cannot be compared: a warning that says
    // how to convert it.
    openssl(&dir, &["ec", "-in", "ec.key", "-out", "ec-sec1.key"]);
    let found = pem_of(&["ec.crt", "ca.crt", "ec-sec1.key"], "ec-sec1.pem");
    let (o, detail) = outcome(&found, Check::PrivateKey);
    assert_eq!(o, Outcome::Warn, "{detail}");
    assert!(detail.contains("pkcs8 -topk8"), "{detail}");
    // The command line: the same checks, failing while one fails.
    let probe = |file: &Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_skybridge"))
            .args(["probe", "certificate", "--name", "fs.contoso.test"])
            .args(["--password-env", "SKY_FED_PFX_PW"])
            .arg(file)
            .env("SKY_FED_PFX_PW", PASSWORD)
            .output()
            .expect("skybridge runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = probe(&good);
    assert!(ok && out.contains("ok    Chain: complete"), "{out}{err}");
    let (ok, out, err) = probe(&nochain);
    assert!(!ok && err.contains("1 check(s) failed"), "{out}{err}");
    assert!(out.contains("FAIL  Chain: the chain stops at"), "{out}");
    assert!(!out.contains(PASSWORD) && !err.contains(PASSWORD));

    std::fs::copy(dir.join("fs.crt"), dir.join("only.pem")).expect("copy");
    let found = check_file(&dir.join("only.pem"), "", "fs.contoso.test", now());
    assert_eq!(outcome(&found, Check::PrivateKey).0, Outcome::Fail);
}
