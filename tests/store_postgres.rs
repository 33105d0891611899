//! The "existing database server" Test connection against a real PostgreSQL on loopback: each
//! thing that stands in the way gets its own answer (nothing listening, a wrong password, a
//! missing database, an account that may not create tables, a database that already holds
//! Skybridge data), and a usable database is left exactly as it was.

mod common;

use common::postgres::Postgres;
use skybridge::secret::Secret;
use skybridge::store::postgres::{ConnectionProblem, DbServer, Tls};

fn server(pg: &Postgres, database: &str, user: &str, password: &str) -> DbServer {
    DbServer {
        host: "127.0.0.1".into(),
        port: pg.port,
        database: database.into(),
        user: user.into(),
        password: Secret::new(password),
        tls: Tls::Off,
        ca_file: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_obstacle_gets_its_own_answer_and_a_usable_database_is_left_as_it_was() {
    let pg = Postgres::start();
    pg.sql(
        "postgres",
        "CREATE ROLE sky_owner LOGIN PASSWORD 'Owner-Pw-1'; \
         CREATE ROLE sky_reader LOGIN PASSWORD 'Reader-Pw-1'",
    );
    pg.sql("postgres", "CREATE DATABASE sky OWNER sky_owner");

    // Nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let mut nowhere = server(&pg, "sky", "sky_owner", "Owner-Pw-1");
    nowhere.port = closed;
    let found = nowhere.test_connection().await;
    assert!(
        matches!(found, Err(ConnectionProblem::Unreachable { .. })),
        "{found:?}"
    );

    // A wrong password.
    let found = server(&pg, "sky", "sky_owner", "wrong")
        .test_connection()
        .await;
    assert!(
        matches!(found, Err(ConnectionProblem::AuthFailed { .. })),
        "{found:?}"
    );
    assert!(!format!("{found:?}").contains("wrong\""), "{found:?}");

    // No such database: how to create it is said.
    let found = server(&pg, "nosuch", "sky_owner", "Owner-Pw-1")
        .test_connection()
        .await;
    assert!(
        matches!(&found, Err(ConnectionProblem::NoDatabase { .. }))
            && found.as_ref().is_err_and(|e| e
                .to_string()
                .contains("CREATE DATABASE nosuch OWNER sky_owner")),
        "{found:?}"
    );

    // An account that may sign in but not create tables.
    let found = server(&pg, "sky", "sky_reader", "Reader-Pw-1")
        .test_connection()
        .await;
    assert!(
        matches!(&found, Err(ConnectionProblem::NoCreatePrivilege { .. }))
            && found.as_ref().is_err_and(|e| e
                .to_string()
                .contains("GRANT CREATE ON DATABASE sky TO sky_reader")),
        "{found:?}"
    );

    // The owner: usable, and the probe leaves nothing behind.
    let owner = server(&pg, "sky", "sky_owner", "Owner-Pw-1");
    let usable = owner.test_connection().await.expect("usable");
    assert!(
        usable.server_version.starts_with(char::is_numeric),
        "{usable:?}"
    );
    assert_eq!(
        pg.sql(
            "sky",
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'skybridge'"
        )
        .trim(),
        "0"
    );

    // TLS is required unless turned off: this server offers none, and it is said.
    let mut tls = owner.clone();
    tls.tls = Tls::Verified;
    let found = tls.test_connection().await;
    assert!(
        matches!(found, Err(ConnectionProblem::Unreachable { .. })),
        "{found:?}"
    );

    // An earlier installation's data: never overwritten, and the way forward is said.
    pg.sql(
        "sky",
        "SET ROLE sky_owner; CREATE SCHEMA skybridge; \
         CREATE TABLE skybridge.meta (key text PRIMARY KEY, value text NOT NULL); \
         INSERT INTO skybridge.meta VALUES ('settings_version', '3')",
    );
    match owner.test_connection().await {
        Err(e @ ConnectionProblem::HoldsSkybridgeData { .. }) => {
            let text = e.to_string();
            assert!(text.contains("settings version 3"), "{text}");
            assert!(text.contains("pg_dump -n skybridge sky"), "{text}");
        }
        other => panic!("{other:?}"),
    }
}

/// The engine's store on PostgreSQL: a batch across spaces is read back in key order, a
/// removal holds, the state survives reconnecting, a second process is refused while one has
/// the database, the newest settings version is what Test connection then reports, and a
/// database written by a later layout is refused with advice.
#[test]
fn the_engine_store_keeps_its_state_on_the_server_and_one_process_at_a_time() {
    use skybridge::store::postgres::{MIGRATIONS, PostgresStore};
    use skybridge::store::{Batch, Space, Store, StoreExt};

    let pg = Postgres::start();
    let database = pg.engine_database();
    let store = PostgresStore::connect(&database).expect("the store opens");
    let mut batch = Batch::default();
    for (space, key, value) in [
        (Space::Connector, &b"contoso/b"[..], "beta"),
        (Space::Connector, b"contoso/a", "alpha"),
        (Space::Connector, b"fabrikam/a", "fab"),
        (Space::Metaverse, b"contoso/a", "other space"),
        (Space::Watermark, b"contoso", "cookie-1"),
        (Space::Watermark, b"contoso", "cookie-2"),
    ] {
        batch.put(space, key, &value).expect("the store answers");
    }
    store.commit(batch).expect("commit");
    let contoso: Vec<(Vec<u8>, String)> = store
        .scan(Space::Connector, b"contoso/")
        .expect("the store answers");
    assert_eq!(
        contoso,
        vec![
            (b"contoso/a".to_vec(), "alpha".to_string()),
            (b"contoso/b".to_vec(), "beta".to_string())
        ]
    );
    assert_eq!(
        store
            .get::<String>(Space::Watermark, b"contoso")
            .expect("the store answers")
            .as_deref(),
        Some("cookie-2"),
        "the last change of a key in a batch wins"
    );
    let mut batch = Batch::default();
    batch.remove(Space::Connector, b"contoso/a");
    store.commit(batch).expect("the store answers");
    assert_eq!(
        store
            .get::<String>(Space::Connector, b"contoso/a")
            .expect("the store answers"),
        None
    );

    // The server drops the store's connections (a restart, a network failure): the store
    // signs in again, takes the database again, and reads what it wrote. At most the call
    // that meets the broken connection fails.
    let terminated = pg.sql(
        "postgres",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'skybridge' AND datname = 'skybridge'",
    );
    assert_eq!(
        terminated.lines().filter(|l| *l == "t").count(),
        2,
        "{terminated}"
    );
    let again = store
        .get::<String>(Space::Connector, b"contoso/b")
        .or_else(|_| store.get::<String>(Space::Connector, b"contoso/b"))
        .expect("read after signing in again");
    assert_eq!(again.as_deref(), Some("beta"));
    let mut batch = Batch::default();
    batch
        .put(Space::Connector, b"contoso/c", &"gamma")
        .expect("the store answers");
    store
        .commit(batch)
        .expect("a commit after signing in again");

    // Another process (here: another connection) cannot take the database meanwhile.
    let second = PostgresStore::connect(&database).expect_err("refused");
    assert!(
        second.to_string().contains("another Skybridge process"),
        "{second}"
    );

    // Settings versions are recorded where Test connection looks.
    let settings = installation();
    skybridge::engine::config::record(&store, &settings, 10).expect("the store answers");
    skybridge::engine::config::record(&store, &settings, 20).expect("the store answers");
    assert_eq!(
        store
            .backend()
            .settings_version()
            .expect("the store answers"),
        Some(2)
    );
    drop(store);

    // Reconnected, the state is there, and the database is an installation's now.
    let store = PostgresStore::connect(&database).expect("the store opens again");
    assert_eq!(
        store
            .get::<String>(Space::Connector, b"contoso/b")
            .expect("the store answers")
            .as_deref(),
        Some("beta")
    );
    assert_eq!(
        store
            .get::<String>(Space::Metaverse, b"contoso/a")
            .expect("the store answers")
            .as_deref(),
        Some("other space")
    );
    drop(store);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    match rt.block_on(database.test_connection()) {
        Err(ConnectionProblem::HoldsSkybridgeData { version, .. }) => assert_eq!(version, "2"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        pg.sql(
            "skybridge",
            "SELECT value FROM skybridge.meta WHERE key = 'db_schema'"
        )
        .trim(),
        MIGRATIONS.len().to_string()
    );

    // A later build's layout: refused, the data left alone.
    let count = "SELECT count(*) FROM skybridge.connector_space";
    let before = pg.sql("skybridge", count);
    pg.sql(
        "skybridge",
        "UPDATE skybridge.meta SET value = '99' WHERE key = 'db_schema'",
    );
    let later = PostgresStore::connect(&database).expect_err("refused");
    assert!(later.to_string().contains("layout 99"), "{later}");
    assert_eq!(pg.sql("skybridge", count), before);
    assert_ne!(before.trim(), "0");
}

/// TLS to the server is verified: with the server's authority given as a CA file the store
/// opens; without it the certificate is refused and said so.
#[test]
fn tls_to_the_database_is_verified_against_the_ca_file() {
    use skybridge::store::postgres::PostgresStore;

    let pg = Postgres::start_tls();
    let mut database = pg.engine_database();
    database.host = "localhost".into();
    database.tls = Tls::Verified;
    database.ca_file = Some(pg.ca_file());
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(database.test_connection())
        .expect("usable over verified TLS");
    PostgresStore::connect(&database).expect("the store opens over TLS");

    let mut unknown = database.clone();
    unknown.ca_file = None;
    match rt.block_on(unknown.test_connection()) {
        Err(e @ ConnectionProblem::Unreachable { .. }) => {
            assert!(e.to_string().to_lowercase().contains("certificate"), "{e}")
        }
        other => panic!("{other:?}"),
    }
}

/// Settings of an installation, enough to be recorded as a version.
fn installation() -> skybridge::engine::install::Installation {
    use skybridge::engine::install::{DirectoryConnection, Installation, TenantConnection};
    use skybridge::engine::sync::{ConnectorScope, SyncSettings};
    Installation {
        sync: SyncSettings::new(
            vec![ConnectorScope {
                name: "contoso.test".into(),
                domains: vec![("DC=contoso,DC=test".into(), "contoso.test".into())],
                included: vec!["OU=Corp,DC=contoso,DC=test".into()],
                excluded: Vec::new(),
            }],
            vec!["contoso.com".into()],
            "contoso.onmicrosoft.com",
        ),
        directories: vec![DirectoryConnection {
            connector: "contoso.test".into(),
            server: "ldaps://dc1.contoso.test".into(),
            starttls: false,
            ca_file: None,
            account: "CONTOSO\\sky-sync".into(),
        }],
        tenant: TenantConnection {
            authority: "https://login.example/tenant".into(),
            graph: "https://graph.example".into(),
            client_id: "client".into(),
            ca_file: None,
            write_budget: 7000,
            budget_window_seconds: 300,
        },
        keychain_service: "skybridge-test".into(),
        history_days: 7,
        sign_in: None,
        single_sign_on: false,
        database: None,
        password_sync: None,
    }
}
