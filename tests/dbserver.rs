//! The "existing database server" Test connection against a real PostgreSQL on loopback: each
//! thing that stands in the way gets its own answer (nothing listening, a wrong password, a
//! missing database, an account that may not create tables, a database that already holds
//! Skybridge data), and a usable database is left exactly as it was.

mod common;

use common::postgres::Postgres;
use skybridge::dbserver::{ConnectionProblem, DbServer, Tls};
use skybridge::secret::Secret;

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
    match found {
        Err(e @ ConnectionProblem::NoDatabase { .. }) => {
            assert!(
                e.to_string()
                    .contains("CREATE DATABASE nosuch OWNER sky_owner"),
                "{e}"
            )
        }
        other => panic!("{other:?}"),
    }

    // An account that may sign in but not create tables.
    let found = server(&pg, "sky", "sky_reader", "Reader-Pw-1")
        .test_connection()
        .await;
    match found {
        Err(e @ ConnectionProblem::NoCreatePrivilege { .. }) => {
            assert!(
                e.to_string()
                    .contains("GRANT CREATE ON DATABASE sky TO sky_reader"),
                "{e}"
            )
        }
        other => panic!("{other:?}"),
    }

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
