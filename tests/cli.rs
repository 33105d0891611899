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
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
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
