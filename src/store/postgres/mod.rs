//! The engine's store on a PostgreSQL server the organisation runs ("use an existing database
//! server"): how it is reached ([`DbServer`], and [`DatabaseConnection`] as settings name it),
//! the store itself ([`backend`]), and the Test connection probe that says, each in its own
//! words, what stands in the way: the server cannot be reached, the sign-in is refused,
//! the database is missing, the account may not create tables, or the database already holds
//! Skybridge data (an earlier installation's, which is never overwritten).
//!
//! Skybridge keeps everything it writes in the schema [`SCHEMA`]; its table `meta` holds the
//! settings version of the installation that wrote it. That is how an earlier installation's
//! data is recognised.
//!
//! TLS is verified (the system's authorities, or a CA file) unless the administrator turns it
//! off explicitly.

pub mod backend;

pub use backend::{MIGRATIONS, PgTree, PostgresStore};

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// The schema that holds everything Skybridge writes.
pub const SCHEMA: &str = "skybridge";

/// How long connecting and each question may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Transport protection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tls {
    /// TLS, with the server's certificate verified.
    #[default]
    Verified,
    /// No TLS (a server on the same machine or a trusted network only).
    Off,
}

/// A database server and how to sign in to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbServer {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Database name.
    pub database: String,
    /// The account.
    pub user: String,
    /// Its password (kept in the keychain; never in a file).
    pub password: Secret,
    /// Transport protection.
    pub tls: Tls,
    /// Certificate authorities (PEM) to trust instead of the system's.
    pub ca_file: Option<PathBuf>,
}

/// What Test connection found when nothing stands in the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usable {
    /// The server's version, as it says it.
    pub server_version: String,
}

/// What stands in the way, in words an administrator can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionProblem {
    /// Nothing answers at the address, or TLS cannot be set up with it.
    #[error(
        "the database server at {address} cannot be reached: {why}. Check the host, the port, and that the server accepts connections from this computer"
    )]
    Unreachable {
        /// host:port.
        address: String,
        /// What happened.
        why: String,
    },
    /// The server refused the account or its password.
    #[error(
        "the server refused the sign-in of '{user}': {why}. Check the account and its password"
    )]
    AuthFailed {
        /// The account.
        user: String,
        /// What the server said.
        why: String,
    },
    /// The database does not exist.
    #[error(
        "the database '{database}' does not exist on this server: create it (CREATE DATABASE {database} OWNER {user}) or name another"
    )]
    NoDatabase {
        /// The database.
        database: String,
        /// The account (to own it).
        user: String,
    },
    /// The account may not create Skybridge's schema and tables.
    #[error(
        "'{user}' may not create tables in '{database}' ({why}): make it the database's owner or GRANT CREATE ON DATABASE {database} TO {user}"
    )]
    NoCreatePrivilege {
        /// The account.
        user: String,
        /// The database.
        database: String,
        /// What the server said.
        why: String,
    },
    /// The database already holds an installation's data.
    #[error(
        "the database '{database}' already holds Skybridge data (settings version {version}). Skybridge will not overwrite it: back it up (pg_dump -n {SCHEMA} {database}) and remove it (DROP SCHEMA {SCHEMA} CASCADE), or choose another database; to rebuild that same installation, import its exported settings, whose version must match"
    )]
    HoldsSkybridgeData {
        /// The database.
        database: String,
        /// The settings version found in it.
        version: String,
    },
    /// Anything else the server said.
    #[error("the database server answered: {0}")]
    Other(String),
}

/// How the engine's database server is reached (settings.json names it; its password is
/// kept in the keychain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseConnection {
    /// Host name or address.
    pub host: String,
    /// Port.
    #[serde(default = "default_db_port")]
    pub port: u16,
    /// Database name.
    pub database: String,
    /// The account.
    pub user: String,
    /// TLS turned off (a server on this computer only); verified TLS otherwise.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tls_off: bool,
    /// Certificate authorities (PEM) for the server's certificate, when not the system's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

/// PostgreSQL's port.
fn default_db_port() -> u16 {
    5432
}

impl DatabaseConnection {
    /// The database as people name it (`postgres://account@host:port/database`).
    pub fn name(&self) -> String {
        name(&self.user, &self.host, self.port, &self.database)
    }

    /// Whether `other` is the same database, whoever signs in to it.
    pub fn same_database(&self, other: &DatabaseConnection) -> bool {
        self.host.eq_ignore_ascii_case(&other.host)
            && self.port == other.port
            && self.database == other.database
    }

    /// The server, signed in to with `password`.
    pub fn server(&self, password: Secret) -> DbServer {
        DbServer {
            host: self.host.clone(),
            port: self.port,
            database: self.database.clone(),
            user: self.user.clone(),
            password,
            tls: if self.tls_off {
                Tls::Off
            } else {
                Tls::Verified
            },
            ca_file: self.ca_file.clone(),
        }
    }
}

/// How people name a database: `postgres://account@host:port/database` (never a password).
pub fn name(user: &str, host: &str, port: u16, database: &str) -> String {
    format!("postgres://{user}@{host}:{port}/{database}")
}

impl DbServer {
    /// The database as people name it ([`name`]).
    pub fn name(&self) -> String {
        name(&self.user, &self.host, self.port, &self.database)
    }

    fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    fn config(&self) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config
            .host(&self.host)
            .port(self.port)
            .dbname(&self.database)
            .user(&self.user)
            .password(self.password.expose())
            .application_name("skybridge")
            .connect_timeout(TIMEOUT)
            .ssl_mode(match self.tls {
                Tls::Verified => tokio_postgres::config::SslMode::Require,
                Tls::Off => tokio_postgres::config::SslMode::Disable,
            });
        config
    }

    /// Signs in; the connection runs on the current runtime until the client is dropped.
    pub async fn connect(&self) -> Result<tokio_postgres::Client, ConnectionProblem> {
        let config = self.config();
        let classify = |e: tokio_postgres::Error| self.classify(e);
        let client = match self.tls {
            Tls::Off => {
                let (client, connection) =
                    tokio::time::timeout(TIMEOUT, config.connect(tokio_postgres::NoTls))
                        .await
                        .map_err(|_| self.timed_out())?
                        .map_err(classify)?;
                tokio::spawn(connection);
                client
            }
            Tls::Verified => {
                let tls =
                    crate::directory::tls::client_config(self.ca_file.as_deref()).map_err(|e| {
                        ConnectionProblem::Unreachable {
                            address: self.address(),
                            why: format!("TLS cannot be set up: {e}"),
                        }
                    })?;
                let connector = tokio_postgres_rustls::MakeRustlsConnect::new((*tls).clone());
                let (client, connection) = tokio::time::timeout(TIMEOUT, config.connect(connector))
                    .await
                    .map_err(|_| self.timed_out())?
                    .map_err(classify)?;
                tokio::spawn(connection);
                client
            }
        };
        Ok(client)
    }

    fn timed_out(&self) -> ConnectionProblem {
        ConnectionProblem::Unreachable {
            address: self.address(),
            why: format!("no answer within {TIMEOUT:?}"),
        }
    }

    /// Words for what the server (or the way to it) said.
    fn classify(&self, e: tokio_postgres::Error) -> ConnectionProblem {
        use tokio_postgres::error::SqlState;
        let Some(db) = e.as_db_error() else {
            // No answer from a server: the network, or TLS.
            let mut why = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                why = format!("{why}: {cause}");
                source = cause.source();
            }
            return ConnectionProblem::Unreachable {
                address: self.address(),
                why,
            };
        };
        let code = db.code();
        if *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        {
            ConnectionProblem::AuthFailed {
                user: self.user.clone(),
                why: db.message().to_string(),
            }
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            ConnectionProblem::NoDatabase {
                database: self.database.clone(),
                user: self.user.clone(),
            }
        } else if *code == SqlState::INSUFFICIENT_PRIVILEGE {
            ConnectionProblem::NoCreatePrivilege {
                user: self.user.clone(),
                database: self.database.clone(),
                why: db.message().to_string(),
            }
        } else {
            ConnectionProblem::Other(db.message().to_string())
        }
    }

    /// [`DbServer::test_connection`] for a caller that is not async (on a thread of its own,
    /// so that it works inside or outside a runtime).
    pub fn test_connection_blocking(&self) -> Result<Usable, ConnectionProblem> {
        std::thread::scope(|s| {
            s.spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| {
                        ConnectionProblem::Other(format!("cannot start a runtime: {e}"))
                    })?;
                runtime.block_on(self.test_connection())
            })
            .join()
            .unwrap_or_else(|_| Err(ConnectionProblem::Other("the test failed".into())))
        })
    }

    /// The Test connection probe: signs in, looks for an earlier installation's data, and
    /// proves the account may create Skybridge's schema and tables (in a transaction that is
    /// rolled back, so nothing is left behind).
    pub async fn test_connection(&self) -> Result<Usable, ConnectionProblem> {
        let mut client = self.connect().await?;
        let classify = |e: tokio_postgres::Error| self.classify(e);
        let server_version = client
            .query_one("SHOW server_version", &[])
            .await
            .map_err(classify)?
            .get::<_, String>(0);
        let meta = format!("{SCHEMA}.meta");
        let exists: Option<String> = client
            .query_one("SELECT to_regclass($1)::text", &[&meta])
            .await
            .map_err(classify)?
            .get(0);
        if exists.is_some() {
            let version = client
                .query_opt(
                    &format!("SELECT value FROM {SCHEMA}.meta WHERE key = 'settings_version'"),
                    &[],
                )
                .await
                .map_err(classify)?
                .map(|row| row.get::<_, String>(0))
                .unwrap_or_else(|| "unknown".into());
            return Err(ConnectionProblem::HoldsSkybridgeData {
                database: self.database.clone(),
                version,
            });
        }
        let tx = client.transaction().await.map_err(classify)?;
        tx.batch_execute(&format!(
            "CREATE SCHEMA {SCHEMA}; CREATE TABLE {SCHEMA}.probe (id bigint PRIMARY KEY)"
        ))
        .await
        .map_err(classify)?;
        tx.rollback().await.map_err(classify)?;
        Ok(Usable { server_version })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_never_shows_in_debug_output() {
        let server = DbServer {
            host: "db".into(),
            port: 5432,
            database: "sky".into(),
            user: "sky".into(),
            password: Secret::new("Db-Pass-Word-1"),
            tls: Tls::Verified,
            ca_file: None,
        };
        assert!(!format!("{server:?}").contains("Db-Pass-Word-1"));
    }
}
