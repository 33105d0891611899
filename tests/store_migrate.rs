//! `skybridge store migrate`: an installation synced on the embedded store moves to a real
//! PostgreSQL server; its state comes over exactly (the next delta cycle writes nothing to the
//! tenant, a change afterwards is one write), the old store is kept aside, the database then
//! reads as holding Skybridge data, and a second migration into it is refused.

mod common;

use std::path::Path;
use std::process::Command;

use common::emulator::{contoso, start_emulator};
use common::postgres::{ENGINE_PASSWORD, Postgres};
use common::{Forest, temp_dir};
use serde_json::Value;
use skybridge::directory::write;
use skybridge::emulator::RunningEmulator;
use skybridge::engine::install::Installation;
use skybridge::store::postgres::ConnectionProblem;

const SECRET: &str = "migrate-test-app-secret";

async fn tenant(dir: &Path) -> RunningEmulator {
    start_emulator(&dir.join("tenant"), |config| {
        contoso(config, "Migrate-Admin-Pw-1", Some(SECRET))
    })
    .await
}

fn skybridge(args: &[&str], data: &Path) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_skybridge"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env("PGPASSWORD", ENGINE_PASSWORD)
        .output()
        .expect("skybridge runs");
    let said = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "skybridge {args:?} failed: {said:?}");
    said
}

/// The tenant writes the emulator has logged.
async fn writes(emulator: &RunningEmulator) -> Vec<Value> {
    let log = common::tenant::emulator_log(emulator).await;
    log.into_iter().filter(|e| e["write"] == true).collect()
}

fn history(data: &Path) -> Vec<Value> {
    let (out, _) = skybridge(&["sync", "history", "--json"], data);
    serde_json::from_str(&out).expect("history JSON")
}

#[test]
fn a_synced_installation_moves_to_postgresql_and_its_next_delta_writes_nothing() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let forest = Forest::private("contoso");
    let dir = temp_dir("migrate");
    let emulator = rt.block_on(tenant(&dir));
    let data = dir.join("data");
    let service = format!("skybridge-migrate-{}", uuid::Uuid::new_v4());
    let install = common::install::write(&data, &forest, "OU=Corp", &emulator, SECRET, &service);
    {
        // As `skybridge apply` does: the settings are version 1 of the installation.
        let store = skybridge::store::SledStore::open(&data.join("store")).expect("store");
        skybridge::engine::config::record(&store, &install, 1).expect("version 1");
    }

    skybridge(&["sync", "run", "--full"], &data);
    let synced = rt.block_on(writes(&emulator)).len();
    assert!(synced > 0, "the full cycle wrote to the tenant");
    let runs_before = history(&data);
    let (pending_before, _) = skybridge(&["sync", "pending", "--json"], &data);

    let pg = Postgres::start();
    let database = pg.engine_database();
    let to = format!(
        "postgres://skybridge@127.0.0.1:{}/skybridge?sslmode=disable",
        pg.port
    );
    let from = format!("sled:{}", data.display());
    let out = Command::new(env!("CARGO_BIN_EXE_skybridge"))
        .args(["store", "migrate", "--from", &from, "--to", &to])
        .env("PGPASSWORD", ENGINE_PASSWORD)
        .output()
        .expect("migrate runs");
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("connector spaces") && said.contains("run history"),
        "{said}"
    );
    assert!(!said.contains(ENGINE_PASSWORD), "{said}");

    // The settings name the database, the password is not in them, the old store is aside.
    let settings = std::fs::read_to_string(data.join("settings.json")).expect("settings");
    assert!(!settings.contains(ENGINE_PASSWORD));
    let install = Installation::load(&data).expect("settings");
    let db = install
        .database
        .as_ref()
        .expect("a database in the settings");
    assert_eq!((db.port, db.database.as_str()), (pg.port, "skybridge"));
    assert!(
        !data.join("store").exists(),
        "the embedded store was moved aside"
    );
    let kept: Vec<_> = std::fs::read_dir(&data)
        .expect("data folder")
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("store.before-migration-")
        })
        .collect();
    assert_eq!(kept.len(), 1, "the old store is kept as a backup");

    // The state came over: the same history and pending list, read from PostgreSQL, and the
    // move is a settings version of its own.
    let (versions, _) = skybridge(&["config", "history", "--json"], &data);
    let versions: Vec<Value> = serde_json::from_str(&versions).expect("versions JSON");
    assert_eq!(versions.len(), 2, "{versions:?}");
    assert!(
        versions[1]
            .to_string()
            .contains("synchronization store: was the embedded store"),
        "{:?}",
        versions[1]
    );
    assert_eq!(history(&data), runs_before);
    assert_eq!(
        skybridge(&["sync", "pending", "--json"], &data).0,
        pending_before
    );
    let tables = pg.sql(
        "skybridge",
        "SELECT count(*) FROM skybridge.connector_space",
    );
    assert!(tables.trim().parse::<u64>().expect("count") > 0, "{tables}");

    // The next delta cycle writes nothing to the tenant.
    skybridge(&["sync", "run"], &data);
    assert_eq!(
        rt.block_on(writes(&emulator)).len(),
        synced,
        "a delta cycle after the migration wrote to the tenant"
    );
    let runs = history(&data);
    assert!(
        runs.len() > runs_before.len(),
        "the cycle ran on the new store"
    );

    // A change after it is exactly one write: the delta cookie came over too.
    let mut admin = forest.admin_session();
    let someone = common::seeded("contoso", "user")
        .into_iter()
        .find(|dn| dn.contains("OU=Corp,"))
        .expect("a user in OU=Corp");
    write::replace(
        &mut admin,
        &someone,
        vec![("department".into(), vec![b"Moved To Postgres".to_vec()])],
    )
    .expect("a change in the directory");
    skybridge(&["sync", "run"], &data);
    let after = rt.block_on(writes(&emulator));
    assert_eq!(after.len(), synced + 1, "{:?}", &after[synced..]);
    assert_eq!(after[synced]["method"], "PATCH", "{:?}", after[synced]);

    // The database now reads as an installation's; another migration into it is refused.
    let found = rt.block_on(database.test_connection());
    assert!(
        matches!(&found, Err(ConnectionProblem::HoldsSkybridgeData { version, .. }) if version == "2"),
        "{found:?}"
    );
    let other = dir.join("other");
    common::install::write(
        &other,
        &forest,
        "OU=Corp",
        &emulator,
        SECRET,
        &format!("{service}-2"),
    );
    skybridge::store::SledStore::open(&other.join("store")).expect("a store");
    let out = Command::new(env!("CARGO_BIN_EXE_skybridge"))
        .args(["store", "migrate", "--to", &to, "--from"])
        .arg(format!("sled:{}", other.display()))
        .env("PGPASSWORD", ENGINE_PASSWORD)
        .output()
        .expect("migrate runs");
    let refused = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        refused.contains("already holds Skybridge data") && refused.contains("pg_dump"),
        "{refused}"
    );
    assert!(
        other.join("store").exists(),
        "a refused migration moves nothing"
    );
}
