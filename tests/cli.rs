//! The `skybridge` binary as an administrator runs it.

mod common;

use std::process::Command;

use common::Forest;

fn skybridge(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_skybridge"))
        .args(args)
        .output()
        .expect("the skybridge binary runs")
}

#[test]
fn help_lists_the_commands() {
    let out = skybridge(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for command in ["wizard", "probe"] {
        assert!(text.contains(command), "--help lacks {command}:\n{text}");
    }
    let out = skybridge(&["probe", "--help"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("server"));
}

#[test]
fn probe_server_prints_the_forest_as_json() {
    let forest = Forest::shared("contoso");
    let ca = forest.ca_file.to_string_lossy().into_owned();
    let out = skybridge(&[
        "probe",
        "server",
        "--server",
        &forest.url,
        "--ca",
        &ca,
        "--json",
    ]);
    let json = json_of(&out);
    assert_eq!(json["defaultNamingContext"], forest.base_dn.as_str());
    assert!(
        json["highestCommittedUsn"]
            .as_u64()
            .is_some_and(|usn| usn > 0)
    );

    let out = skybridge(&["probe", "server", "--server", &forest.url, "--ca", &ca]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Active Directory:    yes"), "{text}");
    assert!(text.contains("DirSync supported"), "{text}");
}

#[test]
fn sync_commands_on_a_folder_without_an_installation_say_so_and_create_nothing() {
    let dir = std::env::temp_dir().join(format!("skybridge-no-install-{}", uuid::Uuid::new_v4()));
    for args in [
        vec!["sync", "status"],
        vec!["sync", "pending", "--json"],
        vec!["sync", "history"],
        vec!["sync", "run"],
        vec!["search", "jdoe"],
    ] {
        let mut full = args.clone();
        let data = dir.to_string_lossy().into_owned();
        full.extend(["--data", data.as_str()]);
        let out = skybridge(&full);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no Skybridge installation"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    assert!(!dir.exists(), "nothing was created in {}", dir.display());
}

#[test]
fn bad_input_gets_a_clear_message_and_a_failure_code() {
    for (args, needle) in [
        (
            vec!["probe", "server", "--server", "ldap://127.0.0.2"],
            "without encryption",
        ),
        (
            vec!["probe", "server", "--server", "gopher://x"],
            "ldaps://",
        ),
        (
            vec![
                "probe",
                "server",
                "--server",
                "ldaps://127.0.0.2",
                "--ca",
                "/nonexistent.pem",
            ],
            "/nonexistent.pem",
        ),
        (
            vec![
                "probe",
                "server",
                "--server",
                "ldaps://127.0.0.9",
                "--timeout",
                "2",
            ],
            "127.0.0.9",
        ),
    ] {
        let out = skybridge(&args);
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// The JSON a successful command printed (its error output when it failed).
#[track_caller]
fn json_of(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

fn skybridge_with_password(args: &[&str], password: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_skybridge"))
        .args(args)
        .env("SKYBRIDGE_TEST_PASSWORD", password)
        .output()
        .expect("the skybridge binary runs")
}

fn probe_forest_json(forest: &Forest) -> serde_json::Value {
    let ca = forest.ca_file.to_string_lossy().into_owned();
    let out = skybridge_with_password(
        &[
            "probe",
            "forest",
            "--server",
            &forest.url,
            "--ca",
            &ca,
            "--user",
            &forest.admin,
            "--password-env",
            "SKYBRIDGE_TEST_PASSWORD",
            "--json",
        ],
        forest.admin_password(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

#[test]
fn probe_forest_prints_domains_suffixes_ous_and_features_of_both_forests() {
    for name in ["contoso", "fabrikam"] {
        let forest = Forest::shared(name);
        let json = probe_forest_json(&forest);
        assert_eq!(json["forest"], forest.dns.as_str());
        let domains = json["domains"].as_array().expect("domains");
        assert_eq!(domains.len(), 1, "{json:#}");
        assert_eq!(domains[0]["netbiosName"], forest.netbios.as_str());
        assert_eq!(domains[0]["reachable"], true);
        let suffixes: Vec<&str> = json["upnSuffixes"]
            .as_array()
            .expect("suffixes")
            .iter()
            .filter_map(|s| s["suffix"].as_str())
            .collect();
        assert!(suffixes.contains(&forest.dns.as_str()), "{suffixes:?}");
        if name == "contoso" {
            assert!(suffixes.contains(&"contoso.com"), "{suffixes:?}");
        }
        let ous: Vec<&str> = json["ous"]
            .as_array()
            .expect("ous")
            .iter()
            .filter_map(|o| o["dn"].as_str())
            .collect();
        assert!(ous.len() > 5, "{ous:?}");
        assert!(
            ous.iter()
                .all(|dn| dn.to_lowercase().ends_with(&forest.base_dn.to_lowercase()))
        );
        assert_eq!(json["exchangeSchema"], false);
        assert!(json["kdsRootKey"].is_boolean(), "{}", json["kdsRootKey"]);
        assert!(
            json["schema"]["attributes"]
                .as_u64()
                .is_some_and(|n| n > 1000)
        );
    }
}

#[test]
fn probe_account_refuses_a_domain_admin_and_says_why() {
    let forest = Forest::private("contoso");
    let dn = format!("CN=adm-jdoe,OU=Service Accounts,OU=Corp,{}", forest.base_dn);
    forest.set_password(&dn, "Admin-Test-Password-7");
    let ca = forest.ca_file.to_string_lossy().into_owned();
    let user = format!("{}\\adm-jdoe", forest.netbios);
    let probe = |variable: &str| {
        [
            "probe",
            "account",
            "--server",
            &forest.url,
            "--ca",
            &ca,
            "--user",
            &user,
            "--password-env",
            variable,
        ]
        .map(str::to_string)
    };
    let args = probe("SKYBRIDGE_TEST_PASSWORD");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = skybridge_with_password(&args, "Admin-Test-Password-7");
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("not acceptable"), "{text}");
    assert!(text.contains("Domain Admins"), "{text}");
    assert!(err.contains("cannot be the connector account"), "{err}");

    // A wrong password gets the sign-in reason, not a crash.
    let out = skybridge_with_password(&args, "wrong");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("user name or the password is wrong"), "{err}");
    // An unset variable is named.
    let unset = probe("SKYBRIDGE_NO_SUCH_VARIABLE");
    let out = skybridge(&unset.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SKYBRIDGE_NO_SUCH_VARIABLE"));
}

/// `skybridge emulator` as its own process, as a remote tenant would be; stopped on drop.
struct EmulatorProcess {
    child: std::process::Child,
    base: String,
    tenant_id: String,
    client_id: String,
    _dir: std::path::PathBuf,
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

const EMULATOR_PASSWORD: &str = "Emulator-Admin-Pw-2";

fn emulator_process() -> EmulatorProcess {
    use std::io::BufRead;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = std::env::temp_dir().join(format!("skybridge-cli-tenant-{}", uuid::Uuid::new_v4()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_skybridge"))
        .args([
            "emulator",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data",
        ])
        .arg(&dir)
        .args(["--domain", "contoso.com"])
        .env("SKYBRIDGE_EMULATOR_ADMIN_PASSWORD", EMULATOR_PASSWORD)
        .env("SKYBRIDGE_EMULATOR_CLIENT_SECRET", "cli-test-secret")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the emulator starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(stdout).lines();
    let mut field = |label: &str| -> String {
        for line in lines.by_ref() {
            let line = line.expect("emulator output");
            if let Some(v) = line.trim().strip_prefix(label) {
                return v.trim().to_string();
            }
        }
        panic!("the emulator did not print '{label}'");
    };
    let tenant_id = field("tenant id:");
    let client_id = field("client id:");
    std::thread::spawn(move || for _ in lines {});
    EmulatorProcess {
        child,
        base: format!("http://127.0.0.1:{port}"),
        tenant_id,
        client_id,
        _dir: dir,
    }
}

fn probe_tenant(
    emulator: &EmulatorProcess,
    extra: &[&str],
    password: &str,
) -> std::process::Output {
    let authority = format!("{}/{}", emulator.base, emulator.tenant_id);
    let graph = format!("{}/v1.0/", emulator.base);
    let mut args = vec![
        "probe",
        "tenant",
        "--authority",
        &authority,
        "--graph",
        &graph,
        "--client-id",
        &emulator.client_id,
    ];
    args.extend_from_slice(extra);
    skybridge_with_password(&args, password)
}

#[test]
fn probe_tenant_shows_the_tenant_and_explains_refusals() {
    let emulator = emulator_process();
    let out = probe_tenant(
        &emulator,
        &[
            "--user",
            "admin@contoso.onmicrosoft.com",
            "--password-env",
            "SKYBRIDGE_TEST_PASSWORD",
            "--json",
        ],
        EMULATOR_PASSWORD,
    );
    let json = json_of(&out);
    assert_eq!(json["tenantId"], emulator.tenant_id.as_str());
    assert_eq!(json["initialDomain"], "contoso.onmicrosoft.com");
    let verified: Vec<&str> = json["verifiedDomains"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|d| d.as_str())
        .collect();
    assert!(verified.contains(&"contoso.com"), "{json}");
    assert!(json["directorySyncEnabled"].is_null() || json["directorySyncEnabled"].is_boolean());

    let wrong = probe_tenant(
        &emulator,
        &[
            "--user",
            "admin@contoso.onmicrosoft.com",
            "--password-env",
            "SKYBRIDGE_TEST_PASSWORD",
        ],
        "not-the-password",
    );
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(!wrong.status.success());
    assert!(
        err.contains("password is wrong") || err.contains("AADSTS50126"),
        "{err}"
    );

    let mfa = probe_tenant(
        &emulator,
        &[
            "--user",
            "mfa-admin@contoso.onmicrosoft.com",
            "--password-env",
            "SKYBRIDGE_TEST_PASSWORD",
        ],
        EMULATOR_PASSWORD,
    );
    let err = String::from_utf8_lossy(&mfa.stderr);
    assert!(!mfa.status.success());
    assert!(err.contains("device code"), "{err}");
    assert!(
        !err.contains(EMULATOR_PASSWORD),
        "the password is never printed"
    );
}

#[test]
fn probe_tenant_signs_in_with_a_device_code() {
    use std::io::BufRead;
    let emulator = emulator_process();
    let authority = format!("{}/{}", emulator.base, emulator.tenant_id);
    let graph = format!("{}/v1.0/", emulator.base);
    let mut child = Command::new(env!("CARGO_BIN_EXE_skybridge"))
        .args([
            "probe",
            "tenant",
            "--authority",
            &authority,
            "--graph",
            &graph,
        ])
        .args([
            "--client-id",
            &emulator.client_id,
            "--device-code",
            "--json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("probe runs");
    let stderr = child.stderr.take().expect("stderr");
    let first = std::io::BufReader::new(stderr)
        .lines()
        .next()
        .expect("a prompt")
        .expect("text");
    let code = first
        .split("enter the code ")
        .nth(1)
        .and_then(|rest| rest.split(['.', ' ']).next())
        .unwrap_or_else(|| panic!("no code in: {first}"))
        .to_string();
    // A person approves the sign-in on another device.
    let body = format!(r#"{{"user_code":"{code}","upn":"mfa-admin@contoso.onmicrosoft.com"}}"#);
    let approved = Command::new("curl")
        .args([
            "-sf",
            "-X",
            "POST",
            "-H",
            "content-type: application/json",
            "-d",
            &body,
        ])
        .arg(format!("{}/_emulator/device/approve", emulator.base))
        .status()
        .expect("curl runs");
    assert!(approved.success());
    let out = child.wait_with_output().expect("probe ends");
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["initialDomain"], "contoso.onmicrosoft.com");
}
