//! The database server option on Required components, against a real PostgreSQL server.

use crate::common;
use crate::harness::{State, click, harness, run_until, use_database, walk_to_required_components};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

/// The database server option on Required components: each thing Test connection finds in the
/// way is shown on the page with what to do and keeps Next disabled, against a real PostgreSQL:
/// a wrong password, an account without CREATE, a database holding an earlier installation's
/// data (reusing it needs that installation's settings); a usable database lets Next through.
#[test]
fn test_connection_shows_each_obstacle_of_a_real_database_server() {
    let pg = common::postgres::Postgres::start();
    pg.engine_database();
    pg.sql(
        "postgres",
        "CREATE ROLE sky_reader LOGIN PASSWORD 'Reader-Pw-1'; \
         CREATE ROLE sky_old LOGIN PASSWORD 'Old-Pw-1'",
    );
    pg.sql("postgres", "CREATE DATABASE old OWNER sky_old");
    pg.sql(
        "old",
        "SET ROLE sky_old; CREATE SCHEMA skybridge; \
         CREATE TABLE skybridge.meta (key text PRIMARY KEY, value text NOT NULL); \
         INSERT INTO skybridge.meta VALUES ('settings_version', '3')",
    );
    let mut harness = harness();
    walk_to_required_components(&mut harness);
    harness.get_by_label("Where Skybridge keeps its data");
    let next_disabled =
        |h: &Harness<'static, State>| h.get_by_label("Next").accesskit_node().is_disabled();

    use_database(
        &mut harness,
        &pg,
        "skybridge",
        "skybridge",
        "wrong-password",
    );
    harness.get_by_label_contains("The database server refused the account.");
    harness.get_by_label_contains("Check the account and its password");
    assert!(next_disabled(&harness));

    use_database(&mut harness, &pg, "skybridge", "sky_reader", "Reader-Pw-1");
    harness.get_by_label_contains("The account may not create Skybridge's tables.");
    harness.get_by_label_contains("GRANT CREATE ON DATABASE skybridge TO sky_reader");
    assert!(next_disabled(&harness));

    use_database(&mut harness, &pg, "old", "sky_old", "Old-Pw-1");
    harness.get_by_label_contains("already holds Skybridge data and will not be overwritten");
    harness.get_by_label_contains("pg_dump -n skybridge old");
    assert!(next_disabled(&harness));
    // Reusing it on purpose needs the settings of the installation that wrote it.
    click(
        &mut harness,
        "Reuse this data: I am rebuilding the installation that wrote it",
    );
    harness.get_by_label_contains("The data cannot be reused");
    harness.get_by_label_contains("settings version 3");
    assert!(next_disabled(&harness));
    // Nothing was written to it.
    assert_eq!(
        pg.sql(
            "old",
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'skybridge'"
        )
        .trim(),
        "1"
    );

    use_database(
        &mut harness,
        &pg,
        "skybridge",
        "skybridge",
        common::postgres::ENGINE_PASSWORD,
    );
    harness.get_by_label_contains("The database is ready for Skybridge");
    harness.get_by_label_contains("clear text");
    run_until(&mut harness, |s| s.wizard.can_go_next());
    assert!(!next_disabled(&harness));
}
