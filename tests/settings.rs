//! Settings files against real servers: `skybridge plan` finds the problems the wizard's pages
//! would show, and `skybridge apply` configures an installation from a file alone, as the
//! Configuring page does, ending with users in the tenant.

mod common;

use common::tenant::{TENANT_PASSWORD, Tenant};
use common::{Forest, temp_dir};
use serde_json::{Value, json};

fn skybridge(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_skybridge"))
        .args(args)
        .env_remove("SKY_TEST_TENANT_PW")
        .env_remove("SKY_TEST_DIRECTORY_PW")
        .envs(env.iter().copied())
        .output()
        .expect("skybridge runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn plan_lists_the_problems_and_apply_configures_an_installation_from_a_file() {
    let forest = Forest::private("contoso");
    let created = common::connector_account(&forest, "sky-file-01");
    let dir = temp_dir("settings-file");
    let tenant = Tenant::start("settings-file");
    let users_ou = format!("OU=Users,OU=Corp,{}", forest.base_dn);
    let mut settings = tenant.settings_file(
        &forest,
        &created.account.bind_name(),
        "SKY_TEST_TENANT_PW",
        "SKY_TEST_DIRECTORY_PW",
        &users_ou,
    );
    // An attribute the default rules do not copy, kept in the tenant as an extension; and one
    // they do copy, left out by attribute filtering.
    settings["features"] = json!(["directoryExtensions", "appAttributeFiltering"]);
    settings["directoryExtensions"] = json!(["telephoneNumber"]);
    settings["excludedAttributes"] = json!(["department"]);
    // The synchronization store on a PostgreSQL server.
    let pg = common::postgres::Postgres::start();
    pg.engine_database();
    settings["database"] = json!({
        "host": "127.0.0.1", "port": pg.port, "database": "skybridge", "user": "skybridge",
        "password": {"env": "SKY_TEST_DB_PW"}, "tlsOff": true
    });
    let file = dir.join("contoso.json");
    std::fs::write(&file, settings.to_string()).expect("write");
    let file_arg = file.to_str().expect("utf-8 path");
    let data = dir.join("data");
    let data_arg = data.to_str().expect("utf-8 path");
    let tenant_pw = ("SKY_TEST_TENANT_PW", TENANT_PASSWORD);
    let directory_pw = ("SKY_TEST_DIRECTORY_PW", created.password.expose());
    let db_pw = ("SKY_TEST_DB_PW", common::postgres::ENGINE_PASSWORD);

    // Without the passwords: each is named, and the pages that need them say what is missing.
    let (ok, out, err) = skybridge(
        &["plan", file_arg, "--data", data_arg, "--accept-licence"],
        &[],
    );
    assert!(!ok, "{out}");
    assert!(out.contains("SKY_TEST_TENANT_PW is not set"), "{out}");
    assert!(out.contains("SKY_TEST_DIRECTORY_PW is not set"), "{out}");
    assert!(out.contains("SKY_TEST_DB_PW is not set"), "{out}");
    assert!(out.contains("error: Connect to your tenant ›"), "{out}");
    assert!(
        err.contains("must be fixed before it can be applied"),
        "{err}"
    );

    // A wrong database password: Test connection's answer, on its page.
    let (refused, said, _) = skybridge(
        &["plan", file_arg, "--data", data_arg, "--accept-licence"],
        &[
            tenant_pw,
            directory_pw,
            ("SKY_TEST_DB_PW", "wrong-db-password"),
        ],
    );
    assert!(!refused, "{said}");
    assert!(
        said.contains("error: Where Skybridge keeps its data")
            && said.contains("The database server refused the account."),
        "{said}"
    );

    // With them, the forest's own suffix is not a tenant domain: a warning that needs
    // acknowledging, named so that it can be added to the file; --json says the same.
    let (ok, out, _) = skybridge(
        &[
            "plan",
            file_arg,
            "--data",
            data_arg,
            "--accept-licence",
            "--json",
        ],
        &[tenant_pw, directory_pw, db_pw],
    );
    assert!(!ok, "{out}");
    let report: Value = serde_json::from_str(&out).expect("plan --json prints JSON");
    assert_eq!(report["ready"], false);
    let problems = report["problems"].as_array().expect("problems");
    let blocking: Vec<&Value> = problems.iter().filter(|p| p["blocks"] == true).collect();
    assert_eq!(blocking.len(), 1, "{out}");
    assert_eq!(blocking[0]["page"], "sign_in_configuration");
    assert_eq!(blocking[0]["message"], "unverified_suffixes");
    assert_eq!(blocking[0]["severity"], "confirm");

    // Without the licence accepted, the Welcome page stops it first.
    let (ok, out, _) = skybridge(
        &["plan", file_arg, "--data", data_arg],
        &[tenant_pw, directory_pw, db_pw],
    );
    assert!(
        !ok && out.contains("error: Welcome to Skybridge ›"),
        "{out}"
    );

    settings["acknowledged"] = json!(["sign_in_configuration/unverified_suffixes"]);
    std::fs::write(&file, settings.to_string()).expect("write");
    let (ok, out, err) = skybridge(
        &["plan", file_arg, "--data", data_arg, "--accept-licence"],
        &[tenant_pw, directory_pw, db_pw],
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("ready to apply (1 forest(s))"), "{out}");

    // Apply: every step, then the users of the one OU are in the tenant with their anchors.
    let (ok, out, err) = skybridge(
        &["apply", file_arg, "--accept-licence", "--data", data_arg],
        &[tenant_pw, directory_pw, db_pw],
    );
    assert!(ok, "{out}{err}");
    for step in ["Create the data folder", "first synchronization"] {
        assert!(
            out.to_lowercase().contains(&step.to_lowercase()),
            "{step}: {out}"
        );
    }
    assert!(!out.contains("FAILED"), "{out}");
    // The first synchronization reports its progress object by object as it goes.
    let contoso = forest.dns.to_lowercase();
    assert!(
        out.contains(&format!("Importing {contoso} — 250 objects so far")),
        "{out}"
    );
    assert!(out.contains("Synchronizing into the metaverse — "), "{out}");
    let installed = std::fs::read_to_string(data.join("settings.json")).expect("settings.json");
    assert!(!installed.contains(created.password.expose()));
    assert!(!installed.contains(TENANT_PASSWORD));
    assert!(!installed.contains(common::postgres::ENGINE_PASSWORD));
    // The store is on the database server.
    assert!(!data.join("store").exists());
    assert_ne!(
        pg.sql("skybridge", "SELECT count(*) FROM skybridge.metaverse")
            .trim(),
        "0"
    );
    let expected: Vec<String> = common::seeded_under("contoso", "user", &users_ou)
        .into_iter()
        .collect();
    let synced = tenant
        .users()
        .into_iter()
        .filter(|u| u["onPremisesImmutableId"].is_string())
        .count();
    assert!(!expected.is_empty());
    assert_eq!(synced, expected.len(), "{expected:?}");

    // The directory extension: registered on the engine's application, and each user's
    // telephone number (as the seed gave it) in that property.
    assert!(out.contains("1 directory extensions"), "{out}");
    let installed: Value = serde_json::from_str(&installed).expect("settings JSON");
    let property = installed["sync"]["extensions"][0]["property"]
        .as_str()
        .expect("the extension's tenant property")
        .to_string();
    assert!(
        property.starts_with("extension_") && property.ends_with("_telephoneNumber"),
        "{property}"
    );
    let mut want = seeded_phones_under(&users_ou);
    let users = tenant.users_with(&format!(
        "id,onPremisesImmutableId,jobTitle,department,{property}"
    ));
    let mut got: Vec<String> = users
        .iter()
        .filter_map(|u| u[&property].as_str().map(str::to_string))
        .collect();
    // Attribute filtering: the seed gives these users departments and titles; titles are
    // copied, departments are not.
    assert!(users.iter().any(|u| u["jobTitle"].is_string()));
    assert!(users.iter().all(|u| u["department"].is_null()), "{users:?}");
    assert_eq!(
        installed["sync"]["excludedAttributes"],
        json!(["department"])
    );
    want.sort();
    got.sort();
    assert!(!want.is_empty());
    assert_eq!(got, want);

    // The same file again into the same folder: refused, nothing changed.
    let (ok, out, err) = skybridge(
        &["apply", file_arg, "--accept-licence", "--data", data_arg],
        &[tenant_pw, directory_pw, db_pw],
    );
    assert!(!ok, "{out}");
    assert!(err.contains("nothing was changed"), "{err}");
    assert!(
        out.contains("error: Where Skybridge keeps its data › Data folder: This folder already holds a Skybridge installation"),
        "{out}"
    );
}

/// The telephone numbers the seed gave the users under `ou`.
fn seeded_phones_under(ou: &str) -> Vec<String> {
    common::seeded_with("contoso", "user", "telephoneNumber")
        .into_iter()
        .filter(|(dn, _)| {
            dn.to_lowercase()
                .ends_with(&format!(",{}", ou.to_lowercase()))
        })
        .filter_map(|(_, phone)| phone)
        .collect()
}

#[test]
fn files_of_another_version_or_with_a_password_in_them_are_refused_and_say_why() {
    let dir = temp_dir("settings-refused");
    let file = dir.join("s.json");
    let arg = file.to_str().expect("utf-8 path");
    std::fs::write(&file, r#"{"version": 9}"#).expect("write");
    let (ok, _, err) = skybridge(&["plan", arg, "--accept-licence"], &[]);
    assert!(!ok);
    assert!(err.contains("newer Skybridge (settings format 9)"), "{err}");
    std::fs::write(
        &file,
        r#"{"version": 1, "signIn": "passwordHashSync", "tenant": {"authority": "a", "graph": "g", "clientId": "c", "password": "hunter2"}, "directories": [], "matching": {"by": "mail"}, "anchor": {"mode": "managed"}}"#,
    )
    .expect("write");
    let (ok, _, err) = skybridge(&["apply", arg, "--accept-licence"], &[]);
    assert!(!ok);
    assert!(err.contains("cannot be imported"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    let (ok, out, _) = skybridge(&["settings", "schema"], &[]);
    assert!(ok);
    assert_eq!(
        out,
        std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/settings.schema.json")
        )
        .expect("schema")
    );
}

#[test]
fn an_alternate_sign_in_id_of_mail_makes_the_tenant_sign_in_names_from_mail() {
    let forest = Forest::private("contoso");
    let tenant = Tenant::start("alternate-id");
    let created = common::connector_account(&forest, "sky-alt-01");
    let dir = temp_dir("alternate-id");
    let users_ou = format!("OU=Users,OU=Corp,{}", forest.base_dn);
    let (tenant_env, directory_env) = ("SKY_ALT_TENANT_PW", "SKY_ALT_DIRECTORY_PW");
    let mut settings = tenant.settings_file(
        &forest,
        &created.account.bind_name(),
        tenant_env,
        directory_env,
        &users_ou,
    );
    settings["alternateSignIn"] = json!("mail");
    settings["acknowledged"] = json!(["sign_in_configuration/unverified_suffixes"]);
    let file = dir.join("alternate.json");
    std::fs::write(&file, settings.to_string()).expect("write the settings file");
    let data = dir.join("data");
    common::apply_settings(
        &file,
        &data,
        &[
            (tenant_env, TENANT_PASSWORD),
            (directory_env, created.password.expose()),
        ],
        &[],
    );
    let installed = skybridge::engine::install::Installation::load(&data).expect("settings");
    assert_eq!(installed.sync.sign_in_attribute.as_deref(), Some("mail"));
    let upns: Vec<String> = tenant
        .users()
        .iter()
        .filter_map(|u| u["userPrincipalName"].as_str().map(str::to_lowercase))
        .collect();
    // Betty King signs in on premises as betty.king@contoso.test (not a verified domain); her
    // mail, on the verified contoso.com, is her tenant sign-in name.
    assert!(
        upns.contains(&"betty.king@contoso.com".to_string()),
        "{upns:?}"
    );
    assert!(
        !upns
            .iter()
            .any(|u| u.starts_with("betty.king@contoso.onmicrosoft"))
    );
    // Melissa Young has no mail: the fallback, her nickname on the initial domain.
    assert!(
        upns.iter()
            .any(|u| u.ends_with("@contoso.onmicrosoft.com") && u.contains("young")),
        "{upns:?}"
    );
    assert!(
        !upns.iter().any(|u| u.ends_with("@contoso.test")),
        "{upns:?}"
    );
}
