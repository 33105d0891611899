//! The Required components page's "use an existing database server" option: what is typed
//! for the PostgreSQL server, the Test connection answer, and the page's rules for them.
//!
//! Next waits for a Test connection of exactly the values shown. Each obstacle has its own
//! message with what to do ([`crate::store::postgres::ConnectionProblem`] says it). A database that
//! already holds Skybridge data is refused, unless the administrator says they are rebuilding
//! the installation that wrote it and the settings they imported are of the same settings
//! version as the database.

use crate::engine::install::DatabaseConnection;
use crate::secret::Secret;
use crate::store::postgres::{ConnectionProblem, DbServer};
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;

/// Use a database server (else the embedded store).
pub const DB_USE: &str = "db_use";
/// Host name.
pub const DB_HOST: &str = "db_host";
/// Port.
pub const DB_PORT: &str = "db_port";
/// Database name.
pub const DB_NAME: &str = "db_name";
/// The account.
pub const DB_USER: &str = "db_user";
/// Its password.
pub const DB_PASSWORD: &str = "db_password";
/// Turn TLS off.
pub const DB_TLS_OFF: &str = "db_tls_off";
/// The CA file.
pub const DB_CA_FILE: &str = "db_ca_file";
/// The Test connection button.
pub const DB_TEST: &str = "db_test";
/// Reuse a database with data, on purpose.
pub const DB_REUSE: &str = "db_reuse";
/// Field ids of the option.
pub const FIELDS: &[&str] = &[
    DB_USE,
    DB_HOST,
    DB_PORT,
    DB_NAME,
    DB_USER,
    DB_PASSWORD,
    DB_TLS_OFF,
    DB_CA_FILE,
    DB_TEST,
    DB_REUSE,
];

/// Something needed is not typed (detail: what).
pub const DB_INCOMPLETE: &str = "db_incomplete";
/// The port is not a number from 1 to 65535.
pub const DB_PORT_INVALID: &str = "db_port_invalid";
/// Test connection has not been run on these values.
pub const DB_NOT_TESTED: &str = "db_not_tested";
/// Test connection is running.
pub const DB_TESTING: &str = "db_testing";
/// The database is usable (detail: the server's version).
pub const DB_USABLE: &str = "db_usable";
/// The server cannot be reached (detail).
pub const DB_UNREACHABLE: &str = "db_unreachable";
/// The sign-in was refused (detail).
pub const DB_AUTH_FAILED: &str = "db_auth_failed";
/// No such database (detail).
pub const DB_NO_DATABASE: &str = "db_no_database";
/// The account may not create tables (detail).
pub const DB_NO_CREATE: &str = "db_no_create";
/// The database holds Skybridge data (detail: the way forward).
pub const DB_HOLDS_DATA: &str = "db_holds_data";
/// Reuse asked, but the settings imported are not that installation's version (detail).
pub const DB_REUSE_MISMATCH: &str = "db_reuse_mismatch";
/// Reuse asked and the versions match: the data will be used as it is.
pub const DB_REUSED: &str = "db_reused";
/// Anything else the server said (detail).
pub const DB_FAILED: &str = "db_failed";
/// TLS is off: a warning.
pub const DB_TLS_OFF_WARNING: &str = "db_tls_off_warning";
/// Message ids of the option.
pub const MESSAGES: &[&str] = &[
    DB_INCOMPLETE,
    DB_PORT_INVALID,
    DB_NOT_TESTED,
    DB_TESTING,
    DB_USABLE,
    DB_UNREACHABLE,
    DB_AUTH_FAILED,
    DB_NO_DATABASE,
    DB_NO_CREATE,
    DB_HOLDS_DATA,
    DB_REUSE_MISMATCH,
    DB_REUSED,
    DB_FAILED,
    DB_TLS_OFF_WARNING,
];

/// What is typed for the database server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseDraft {
    /// Use a database server instead of the embedded store.
    pub enabled: bool,
    /// Host name or address.
    pub host: String,
    /// Port, as typed.
    pub port: String,
    /// Database name.
    pub database: String,
    /// The account.
    pub user: String,
    /// Its password (kept in the keychain once configured).
    pub password: Secret,
    /// TLS turned off.
    pub tls_off: bool,
    /// CA file for the server's certificate, as typed.
    pub ca_file: String,
    /// The administrator is rebuilding the installation whose data the database holds.
    pub reuse: bool,
}

impl Default for DatabaseDraft {
    fn default() -> Self {
        DatabaseDraft {
            enabled: false,
            host: String::new(),
            port: "5432".into(),
            database: "skybridge".into(),
            user: "skybridge".into(),
            password: Secret::new(""),
            tls_off: false,
            ca_file: String::new(),
            reuse: false,
        }
    }
}

/// A change typed on the option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseInput {
    /// Use a server, or not.
    Use(bool),
    /// Host.
    Host(String),
    /// Port.
    Port(String),
    /// Database name.
    Database(String),
    /// Account.
    User(String),
    /// Password.
    Password(Secret),
    /// TLS off.
    TlsOff(bool),
    /// CA file.
    CaFile(String),
    /// Reuse the data on purpose.
    Reuse(bool),
}

impl DatabaseDraft {
    /// Takes a change. Whether it changes what Test connection must look at.
    pub fn apply(&mut self, input: DatabaseInput) -> bool {
        match input {
            DatabaseInput::Use(on) => self.enabled = on,
            DatabaseInput::Host(v) => self.host = v,
            DatabaseInput::Port(v) => self.port = v,
            DatabaseInput::Database(v) => self.database = v,
            DatabaseInput::User(v) => self.user = v,
            DatabaseInput::Password(v) => self.password = v,
            DatabaseInput::TlsOff(on) => self.tls_off = on,
            DatabaseInput::CaFile(v) => self.ca_file = v,
            DatabaseInput::Reuse(on) => {
                self.reuse = on;
                return false;
            }
        }
        true
    }

    /// What is missing or wrong before a test can be made: (message, detail).
    pub fn incomplete(&self) -> Option<(&'static str, String)> {
        let missing: Vec<&str> = [
            (self.host.trim().is_empty(), "host"),
            (self.database.trim().is_empty(), "database name"),
            (self.user.trim().is_empty(), "account"),
            (self.password.expose().is_empty(), "password"),
        ]
        .into_iter()
        .filter_map(|(empty, what)| empty.then_some(what))
        .collect();
        if !missing.is_empty() {
            return Some((DB_INCOMPLETE, missing.join(", ")));
        }
        match self.port.trim().parse::<u16>() {
            Ok(p) if p > 0 => None,
            _ => Some((DB_PORT_INVALID, self.port.trim().to_string())),
        }
    }

    /// The connection as the settings keep it (no password), when complete.
    pub fn connection(&self) -> Option<DatabaseConnection> {
        if self.incomplete().is_some() {
            return None;
        }
        Some(DatabaseConnection {
            host: self.host.trim().to_string(),
            port: self.port.trim().parse().ok()?,
            database: self.database.trim().to_string(),
            user: self.user.trim().to_string(),
            tls_off: self.tls_off,
            ca_file: Some(self.ca_file.trim())
                .filter(|f| !f.is_empty())
                .map(Into::into),
        })
    }

    /// The server to test or use, when complete.
    pub fn server(&self) -> Option<DbServer> {
        Some(self.connection()?.server(self.password.clone()))
    }
}

/// What Test connection answered, for the values it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseTest {
    /// The values tested.
    pub tested: DbServer,
    /// The server's version, or what stands in the way.
    pub outcome: Result<String, ConnectionProblem>,
}

/// The option's problems: none when the embedded store is used.
pub fn validate(
    draft: &DatabaseDraft,
    test: Option<&DatabaseTest>,
    imported_version: Option<u64>,
) -> Vec<Problem> {
    let page = PageId::RequiredComponents;
    if !draft.enabled {
        return Vec::new();
    }
    if let Some((message, detail)) = draft.incomplete() {
        let field = if message == DB_PORT_INVALID {
            DB_PORT
        } else {
            DB_HOST
        };
        return vec![Problem::error(page, field, message).with_detail(detail)];
    }
    let mut problems = Vec::new();
    if draft.tls_off {
        problems.push(Problem::warning(page, DB_TLS_OFF, DB_TLS_OFF_WARNING));
    }
    let current = test.filter(|t| Some(&t.tested) == draft.server().as_ref());
    let Some(test) = current else {
        problems.push(Problem::error(page, DB_TEST, DB_NOT_TESTED));
        return problems;
    };
    let error = |message, problem: &ConnectionProblem| {
        Problem::error(page, DB_TEST, message).with_detail(problem.to_string())
    };
    match &test.outcome {
        Ok(_) => {}
        Err(p @ ConnectionProblem::Unreachable { .. }) => problems.push(error(DB_UNREACHABLE, p)),
        Err(p @ ConnectionProblem::AuthFailed { .. }) => problems.push(error(DB_AUTH_FAILED, p)),
        Err(p @ ConnectionProblem::NoDatabase { .. }) => problems.push(error(DB_NO_DATABASE, p)),
        Err(p @ ConnectionProblem::NoCreatePrivilege { .. }) => {
            problems.push(error(DB_NO_CREATE, p))
        }
        Err(p @ ConnectionProblem::Other(_)) => problems.push(error(DB_FAILED, p)),
        Err(p @ ConnectionProblem::HoldsSkybridgeData { version, .. }) => {
            if !draft.reuse {
                problems.push(error(DB_HOLDS_DATA, p));
            } else {
                let found = version.parse::<u64>().ok();
                match (found, imported_version) {
                    (Some(found), Some(imported)) if found == imported => {
                        problems.push(Problem::warning(page, DB_REUSE, DB_REUSED));
                    }
                    _ => problems.push(
                        Problem::error(page, DB_REUSE, DB_REUSE_MISMATCH).with_detail(format!(
                            "the database holds settings version {version}; {}",
                            match imported_version {
                                Some(v) => format!("the settings imported are version {v}"),
                                None => "no settings exported from that installation were imported on this page".into(),
                            }
                        )),
                    ),
                }
            }
        }
    }
    problems
}

/// Whether the tested database is to be reused (it holds data and reuse was allowed).
pub fn reusing(draft: &DatabaseDraft, test: Option<&DatabaseTest>) -> bool {
    draft.enabled
        && draft.reuse
        && test
            .is_some_and(|t| matches!(t.outcome, Err(ConnectionProblem::HoldsSkybridgeData { .. })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> DatabaseDraft {
        DatabaseDraft {
            enabled: true,
            host: "db.contoso.test".into(),
            password: Secret::new("Db-Pw-1"),
            ..DatabaseDraft::default()
        }
    }

    fn messages(problems: &[Problem]) -> Vec<&'static str> {
        problems.iter().map(|p| p.message).collect()
    }

    #[test]
    fn next_waits_for_a_test_of_the_values_shown_and_each_answer_has_its_message() {
        let mut draft = complete();
        assert!(validate(&DatabaseDraft::default(), None, None).is_empty());
        assert_eq!(messages(&validate(&draft, None, None)), [DB_NOT_TESTED]);
        let tested = |outcome| DatabaseTest {
            tested: draft.server().unwrap(),
            outcome,
        };
        let ok = tested(Ok("17.2".into()));
        assert!(validate(&draft, Some(&ok), None).is_empty());
        let auth = tested(Err(ConnectionProblem::AuthFailed {
            user: "skybridge".into(),
            why: "password authentication failed".into(),
        }));
        assert_eq!(
            messages(&validate(&draft, Some(&auth), None)),
            [DB_AUTH_FAILED]
        );
        let held = tested(Err(ConnectionProblem::HoldsSkybridgeData {
            database: "skybridge".into(),
            version: "4".into(),
        }));
        assert_eq!(
            messages(&validate(&draft, Some(&held), None)),
            [DB_HOLDS_DATA]
        );
        draft.apply(DatabaseInput::Reuse(true));
        assert_eq!(
            messages(&validate(&draft, Some(&held), Some(3))),
            [DB_REUSE_MISMATCH]
        );
        assert_eq!(
            messages(&validate(&draft, Some(&held), None)),
            [DB_REUSE_MISMATCH]
        );
        assert_eq!(
            messages(&validate(&draft, Some(&held), Some(4))),
            [DB_REUSED]
        );
        assert!(reusing(&draft, Some(&held)));
        // A test of other values does not count.
        assert!(draft.apply(DatabaseInput::Host("db2.contoso.test".into())));
        assert_eq!(
            messages(&validate(&draft, Some(&ok), None)),
            [DB_NOT_TESTED]
        );
    }

    #[test]
    fn missing_values_and_a_bad_port_are_named() {
        let mut draft = DatabaseDraft {
            enabled: true,
            ..DatabaseDraft::default()
        };
        let found = validate(&draft, None, None);
        assert_eq!(messages(&found), [DB_INCOMPLETE]);
        assert_eq!(found[0].detail.as_deref(), Some("host, password"));
        draft = complete();
        draft.apply(DatabaseInput::Port("65536".into()));
        assert_eq!(messages(&validate(&draft, None, None)), [DB_PORT_INVALID]);
        draft.apply(DatabaseInput::Port("6432".into()));
        draft.apply(DatabaseInput::TlsOff(true));
        assert_eq!(
            messages(&validate(&draft, None, None)),
            [DB_TLS_OFF_WARNING, DB_NOT_TESTED]
        );
        assert_eq!(draft.connection().unwrap().port, 6432);
    }
}
