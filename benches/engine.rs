//! The engine benchmark (`scripts/bench-cycle`).
//!
//! 1. With the `contosobig` forest (FOREST_* variables from `scripts/test-forest env`): (a) raw =
//!    a DirSync full read plus a bare client's `$batch` creation of the same users in a fresh
//!    emulator; (b) Skybridge's full cycle (import, sync, export) into another fresh emulator.
//!    Prints (b)/(a) (target ≤ 2.0), then the seconds of a delta cycle after one changed user
//!    (target ≤ 1 s).
//!    The full cycle (b) is run again with the store on a PostgreSQL server (a private one on
//!    loopback) and its ratio to (a) printed too.
//! 2. A synthetic in-process source of 100,000 objects (no LDAP): the sync step alone, in
//!    objects/s (target ≥ 50,000/s), the peak RSS (target ≤ 500 MB) and the store's size against
//!    the raw data (target ≤ 3×); then the same step on the PostgreSQL store, its objects/s and
//!    how many times as long it takes as on the embedded store (target ≤ 3×).

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use skybridge::directory::import::ObjectClass;
use skybridge::directory::{AccountName, DirectoryError, Entry, ServerSpec, Session, delta};
use skybridge::emulator::RunningEmulator;
use skybridge::engine::model::CsObject;
use skybridge::engine::run;
use skybridge::engine::sync::{ConnectorScope, SyncSettings, index_dn};
use skybridge::secret::Secret;
use skybridge::store::postgres::PostgresStore;
use skybridge::store::{Batch, SledStore, Space, Store};
use skybridge::tenant::SignIn;
use skybridge::tenant::graph::GraphClient;

mod common;
// The tests' private PostgreSQL server (RECIPES.md §3), and the certificates it can use.
#[allow(dead_code)]
#[path = "../tests/common/certs.rs"]
mod certs;
#[allow(dead_code)]
#[path = "../tests/common/postgres.rs"]
mod postgres;

// The allocator the skybridge binary uses (src/main.rs), so the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use common::{SECRET, emulator, peak_rss_mb, remove_scratch, scratch};

fn settings(name: &str, base: &str, included: Vec<String>) -> SyncSettings {
    let mut settings = SyncSettings::new(
        vec![ConnectorScope {
            name: name.to_string(),
            domains: vec![(base.to_string(), name.to_string())],
            included,
            excluded: Vec::new(),
        }],
        vec!["contoso.com".into(), "contoso.onmicrosoft.com".into()],
        "contoso.onmicrosoft.com",
    );
    settings.delete_threshold = None;
    settings
}

async fn graph(e: &RunningEmulator) -> GraphClient {
    e.tenant_endpoint()
        .connect(&SignIn::ClientSecret(Secret::new(SECRET)))
        .await
        .expect("sign-in")
}

fn forest_part(rt: &tokio::runtime::Runtime) {
    let Ok(url) = std::env::var("FOREST_URL") else {
        println!("(no FOREST_URL: the forest part needs scripts/bench-cycle)");
        return;
    };
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("{k} is not set"));
    let base = var("FOREST_BASE_DN");
    let dns = var("FOREST_DNS");
    let password =
        Secret::new(std::fs::read_to_string(var("FOREST_ADMIN_PASSWORD_FILE")).expect("password"));
    let spec = ServerSpec::parse(&url, false, false)
        .expect("url")
        .with_ca_file(Some(var("FOREST_CA_FILE").into()))
        .with_timeout(Duration::from_secs(120));
    let account = AccountName::parse(&var("FOREST_ADMIN")).expect("account");
    let bench_ou = format!("OU=Bench,{base}");
    let settings = settings(&dns, &base, vec![bench_ou.clone()]);

    // (a) raw: a DirSync full read, and a bare client's batched creation of the same users.
    let mut session = Session::open(&spec, &account, &password).expect("session");
    let mut scope = skybridge::directory::import::ImportScope::new(vec![bench_ou.clone()]);
    scope.classes = vec![ObjectClass::User];
    let started = Instant::now();
    let mut users: Vec<Value> = Vec::new();
    delta::dirsync(&mut session, &base, &scope, &[], |c| {
        let e = c.as_entry();
        let sam = e.text("sAMAccountName").unwrap_or_default();
        users.push(json!({"accountEnabled": true, "displayName": e.text("displayName"), "mailNickname": sam,
            "userPrincipalName": format!("{sam}@contoso.com"),
            "onPremisesImmutableId": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, c.guid),
            "passwordProfile": {"password": "Bench-Pw-1234!", "forceChangePasswordNextSignIn": false}}));
        Ok::<(), DirectoryError>(())
    })
    .expect("dirsync");
    let read = started.elapsed();
    let raw_tenant = rt.block_on(emulator(100_000_000, Duration::from_secs(300)));
    let raw_graph = rt.block_on(graph(&raw_tenant));
    let started = Instant::now();
    let created = rt
        .block_on(raw_graph.create_users_batched(&users))
        .expect("created");
    let write = started.elapsed();
    assert!(created.iter().all(Result::is_ok));
    let raw = read + write;

    // (b) our full cycle into a fresh tenant, on each store.
    let store = SledStore::open(&scratch("cycle-store")).expect("store");
    let (_tenant, graph, exported, ours, phases) = full_cycle(rt, &store, &mut session, &settings);
    println!(
        "forest objects:                     {} users in OU=Bench",
        users.len()
    );
    println!(
        "(a) DirSync read + bare batched create: {:.2} s ({:.2} + {:.2})",
        raw.as_secs_f64(),
        read.as_secs_f64(),
        write.as_secs_f64()
    );
    println!(
        "(b) skybridge full cycle:           {:.2} s ({exported} created; {phases})",
        ours.as_secs_f64(),
    );
    println!(
        "    ratio (b)/(a):                  {:.2}   (target <= 2.0)",
        ours.as_secs_f64() / raw.as_secs_f64()
    );
    {
        let pg = postgres::Postgres::start();
        let on_server =
            PostgresStore::connect(&pg.engine_database()).expect("the PostgreSQL store");
        let (_pg_tenant, _, exported, took, phases) =
            full_cycle(rt, &on_server, &mut session, &settings);
        println!(
            "(b) on PostgreSQL:                  {:.2} s ({exported} created; {phases})",
            took.as_secs_f64(),
        );
        println!(
            "    ratio (b on PostgreSQL)/(a):    {:.2}",
            took.as_secs_f64() / raw.as_secs_f64()
        );
    }

    // One changed user, then a delta cycle end to end.
    let (entries, _) = session
        .search(
            &bench_ou,
            ldap3::Scope::OneLevel,
            "(sAMAccountName=bench00042)",
            &["cn"],
            Vec::new(),
            "pick",
        )
        .expect("pick");
    let dn = &entries.first().expect("bench00042").dn;
    skybridge::directory::write::replace(
        &mut session,
        dn,
        vec![(
            "department".into(),
            vec![format!("Changed {:?}", Instant::now()).into_bytes()],
        )],
    )
    .expect("change");
    let started = Instant::now();
    run::import(&store, &mut session, &settings.connectors[0], false).expect("delta import");
    run::synchronize(&store, &settings, false).expect("delta sync");
    let delta = rt
        .block_on(run::export(&store, &settings, &graph))
        .expect("export");
    println!(
        "one changed user, delta cycle:      {:.3} s ({} update exported; target <= 1 s)",
        started.elapsed().as_secs_f64(),
        delta.counts.updates
    );
}

/// A full cycle (import, sync, export) from `session` into a fresh tenant on `store`: the
/// tenant and its client, the users created, the time, and the time of each phase in words.
fn full_cycle(
    rt: &tokio::runtime::Runtime,
    store: &dyn Store,
    session: &mut Session,
    settings: &SyncSettings,
) -> (RunningEmulator, GraphClient, u64, Duration, String) {
    let tenant = rt.block_on(emulator(100_000_000, Duration::from_secs(300)));
    let graph = rt.block_on(graph(&tenant));
    let started = Instant::now();
    run::import(store, session, &settings.connectors[0], true).expect("import");
    let imported = started.elapsed();
    run::synchronize(store, settings, true).expect("sync");
    let synced = started.elapsed();
    let exported = rt
        .block_on(run::export(store, settings, &graph))
        .expect("export");
    let took = started.elapsed();
    let phases = format!(
        "import {:.2}, sync {:.2}, export {:.2}",
        imported.as_secs_f64(),
        (synced - imported).as_secs_f64(),
        (took - synced).as_secs_f64()
    );
    (tenant, graph, exported.counts.adds, took, phases)
}

/// The synthetic objects in `store`, then the sync step over them: objects/s, projected
/// identities, the store's size, and the raw data's size.
fn synthetic_sync(store: &dyn Store) -> (f64, u64, u64, u64) {
    const OBJECTS: usize = 100_000;
    let base = "DC=synthetic,DC=test";
    let settings = settings("synthetic.test", base, vec![base.to_string()]);
    let mut raw_bytes = 0u64;
    let mut batch = Batch::default();
    for i in 0..OBJECTS {
        let mut e = Entry {
            dn: format!("CN=User {i:06},OU=People,{base}"),
            ..Entry::default()
        };
        let guid: [u8; 16] = {
            let mut g = [0u8; 16];
            g[..8].copy_from_slice(&(i as u64).to_le_bytes());
            g[8] = 0x5b;
            g
        };
        let values: Vec<(&str, Vec<u8>)> = vec![
            ("objectGUID", guid.to_vec()),
            ("objectClass", b"user".to_vec()),
            ("sAMAccountName", format!("user{i:06}").into_bytes()),
            (
                "userPrincipalName",
                format!("user{i:06}@contoso.com").into_bytes(),
            ),
            ("displayName", format!("Synthetic User {i}").into_bytes()),
            ("givenName", b"Synthetic".to_vec()),
            ("sn", format!("User{i}").into_bytes()),
            ("mail", format!("user{i:06}@contoso.com").into_bytes()),
            ("department", b"Operations".to_vec()),
            ("title", b"Analyst".to_vec()),
            ("userAccountControl", b"512".to_vec()),
        ];
        for (name, value) in values {
            raw_bytes += (name.len() + value.len()) as u64;
            let v = if name == "objectClass" {
                vec![
                    b"top".to_vec(),
                    b"person".to_vec(),
                    b"organizationalPerson".to_vec(),
                    b"user".to_vec(),
                ]
            } else {
                vec![value]
            };
            e.add_values(name, v);
        }
        raw_bytes += e.dn.len() as u64;
        let o = CsObject::from_entry("synthetic.test", "synthetic.test", &e).expect("object");
        index_dn(&mut batch, "synthetic.test", &o.dn, &o.anchor, o.class).expect("index");
        batch.put(Space::Connector, &o.key(), &o).expect("object");
        if batch.len() > 20_000 {
            store.commit(std::mem::take(&mut batch)).expect("commit");
        }
    }
    store.commit(batch).expect("commit");
    let started = Instant::now();
    let record = run::synchronize(store, &settings, true).expect("sync");
    let took = started.elapsed();
    let size = store.size_on_disk().expect("size");
    (
        OBJECTS as f64 / took.as_secs_f64(),
        record.counts.adds,
        size,
        raw_bytes,
    )
}

fn synthetic_part() {
    let dir = scratch("synthetic-store");
    let store = SledStore::open(&dir).expect("store");
    let before = peak_rss_mb();
    let (rate, projected, size, raw_bytes) = synthetic_sync(&store);
    println!("synthetic objects:                  100000 ({projected} projected)");
    println!("sync step:                          {rate:.0} objects/s   (target >= 50,000/s)");
    println!(
        "peak RSS:                           {:.0} MB (before the sync {:.0} MB; target <= 500 MB)",
        peak_rss_mb(),
        before
    );
    println!(
        "store size / raw data:              {:.1}x ({:.1} MB / {:.1} MB; target <= 3x)",
        size as f64 / raw_bytes as f64,
        size as f64 / 1e6,
        raw_bytes as f64 / 1e6
    );
    drop(store);
    let _ = std::fs::remove_dir_all(dir);

    // The same step with the store on a PostgreSQL server.
    let pg = postgres::Postgres::start();
    let on_server = PostgresStore::connect(&pg.engine_database()).expect("the PostgreSQL store");
    let (pg_rate, pg_projected, _, _) = synthetic_sync(&on_server);
    assert_eq!(
        pg_projected, projected,
        "the same identities on both stores"
    );
    println!("sync step on PostgreSQL:            {pg_rate:.0} objects/s");
    println!(
        "    PostgreSQL/sled (time):         {:.2}x  (target <= 3x)",
        rate / pg_rate
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // The sync step first, so its peak memory is its own and not the emulators'.
    synthetic_part();
    forest_part(&rt);
    remove_scratch();
}
