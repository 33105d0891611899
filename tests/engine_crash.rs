//! Crash safety: the engine process (`skybridge sync run --full`) is killed with SIGKILL at 20
//! and more points of a full cycle; after each restart the cycle goes on, and in the end the
//! tenant holds every in-scope object exactly once. On either store: the embedded one, and a
//! PostgreSQL server (a killed process's transaction is rolled back by the server).

mod common;

store_suite!(killed_at_twenty_points_the_cycle_still_ends_with_each_object_once => super::killed_at_twenty_points_the_cycle_still_ends_with_each_object_once);

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::emulator::{contoso, start_emulator};
use common::postgres::{Postgres, StoreKind};
use common::{Forest, temp_dir};
use serde_json::Value;
use skybridge::emulator::RunningEmulator;
use skybridge::secret::Secret;

const SECRET: &str = "crash-test-app-secret";

async fn tenant(dir: &Path) -> RunningEmulator {
    start_emulator(&dir.join("tenant"), |config| {
        contoso(config, "Crash-Admin-Pw-1", Some(SECRET))
    })
    .await
}

/// Writes an installation for `forest` and `emulator` into `data`: the head office (360
/// users, the groups), enough work for twenty crash points, short enough for the test suite.
/// With a database server and the name of a database on it, the store is kept there.
fn install(
    data: &Path,
    forest: &Forest,
    emulator: &RunningEmulator,
    service: &str,
    database: Option<(&Postgres, &str)>,
) {
    let mut installation =
        common::install::write(data, forest, "OU=Corp", emulator, SECRET, service);
    if let Some((pg, name)) = database {
        pg.sql(
            "postgres",
            &format!("CREATE DATABASE {name} OWNER skybridge"),
        );
        installation.database = Some(skybridge::engine::install::DatabaseConnection {
            host: "127.0.0.1".into(),
            port: pg.port,
            database: name.into(),
            user: "skybridge".into(),
            tls_off: true,
            ca_file: None,
        });
        installation.save(data).expect("settings");
        installation
            .store_database_password(&Secret::new(common::postgres::ENGINE_PASSWORD))
            .expect("password in the keychain");
    }
}

fn engine(data: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_skybridge"))
        .args(["sync", "run", "--full", "--data"])
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the engine starts")
}

fn run_to_end(data: &Path) -> Duration {
    let started = Instant::now();
    let out = engine(data).wait_with_output().expect("the engine ends");
    assert!(
        out.status.success(),
        "the engine failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    started.elapsed()
}

async fn immutable_ids(emulator: &RunningEmulator) -> Vec<String> {
    let http = skybridge::tenant::graph::http_client(None, Duration::from_secs(30)).expect("http");
    let token: Value = http
        .post(format!("{}/{}/oauth2/v2.0/token", emulator.base_url(), emulator.credentials.tenant_id))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "client_id={}&client_secret={SECRET}&grant_type=client_credentials&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default",
            emulator.credentials.client_id
        ))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let bearer = token["access_token"].as_str().expect("token").to_string();
    let mut ids = Vec::new();
    let mut next = Some(format!(
        "{}/v1.0/users?$select=id,onPremisesImmutableId&$top=999",
        emulator.base_url()
    ));
    while let Some(url) = next.take() {
        let page: Value = http
            .get(url)
            .bearer_auth(&bearer)
            .send()
            .await
            .expect("users")
            .json()
            .await
            .expect("json");
        for u in page["value"].as_array().expect("value") {
            if let Some(id) = u["onPremisesImmutableId"].as_str() {
                ids.push(id.to_string());
            }
        }
        next = page["@odata.nextLink"].as_str().map(str::to_string);
    }
    ids
}

fn killed_at_twenty_points_the_cycle_still_ends_with_each_object_once(kind: StoreKind) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let pg = (kind == StoreKind::Postgres).then(|| {
        let pg = Postgres::start();
        pg.sql(
            "postgres",
            &format!(
                "CREATE ROLE skybridge LOGIN PASSWORD '{}'",
                common::postgres::ENGINE_PASSWORD
            ),
        );
        pg
    });
    let forest = Forest::private("contoso");
    let service = format!("skybridge-crash-{}", uuid::Uuid::new_v4());

    // How long an uninterrupted full cycle takes, in a separate installation and tenant.
    let measure = temp_dir("crash-measure");
    let measure_tenant = rt.block_on(tenant(&measure));
    install(
        &measure.join("data"),
        &forest,
        &measure_tenant,
        &format!("{service}-m"),
        pg.as_ref().map(|pg| (pg, "measure")),
    );
    let full = run_to_end(&measure.join("data"));
    let expected: BTreeSet<String> = rt
        .block_on(immutable_ids(&measure_tenant))
        .into_iter()
        .collect();
    assert!(expected.len() > 300, "{} users", expected.len());

    // Now the same cycle, killed again and again.
    let dir = temp_dir("crash");
    let emulator = rt.block_on(tenant(&dir));
    let data = dir.join("data");
    install(
        &data,
        &forest,
        &emulator,
        &service,
        pg.as_ref().map(|pg| (pg, "crash")),
    );
    let mut kills = 0;
    let mut step = 1u32;
    while kills < 20 {
        let delay = full.mul_f64(f64::from(step % 21 + 1) / 22.0);
        step += 1;
        let mut child = engine(&data);
        std::thread::sleep(delay);
        if child.try_wait().expect("status").is_none() {
            child.kill().expect("SIGKILL");
            child.wait().expect("reaped");
            kills += 1;
        } else if step > 200 {
            panic!("the engine kept finishing before it could be killed");
        }
    }
    run_to_end(&data);
    let got = rt.block_on(immutable_ids(&emulator));
    let unique: BTreeSet<String> = got.iter().cloned().collect();
    assert_eq!(got.len(), unique.len(), "no object twice");
    assert_eq!(
        unique, expected,
        "exactly the in-scope objects, as without crashes"
    );

    // And the next cycle has nothing left to do.
    let out = Command::new(env!("CARGO_BIN_EXE_skybridge"))
        .args(["sync", "history", "--json", "--data"])
        .arg(&data)
        .output()
        .expect("history");
    let history: Vec<Value> = serde_json::from_slice(&out.stdout).expect("history JSON");
    assert!(history.iter().any(|r| r["profile"] == "export"));
    run_to_end(&data);
    let pending = Command::new(env!("CARGO_BIN_EXE_skybridge"))
        .args(["sync", "pending", "--json", "--data"])
        .arg(&data)
        .output()
        .expect("pending");
    let pending: Vec<Value> = serde_json::from_slice(&pending.stdout).expect("pending JSON");
    assert!(pending.is_empty(), "{pending:?}");
    println!(
        "{kills} kills over a full cycle of {:.1} s",
        full.as_secs_f64()
    );
}
