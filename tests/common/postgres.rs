//! A private PostgreSQL server on loopback for one test (RECIPES.md §3): its own data folder,
//! a free port, password sign-in over TCP; stopped and removed when dropped.

use std::path::PathBuf;
use std::process::Command;

/// The superuser's password.
pub const SUPERUSER_PASSWORD: &str = "Pg-Super-Pw-1";

/// A running server.
pub struct Postgres {
    dir: PathBuf,
    bin: PathBuf,
    /// Its TCP port on 127.0.0.1.
    pub port: u16,
}

/// The newest installed PostgreSQL's programs.
fn bin_dir() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect(
            "PostgreSQL is installed (Debian: apt-get install postgresql; scripts/test does this)",
        )
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("initdb").exists())
        .collect();
    found.sort();
    found.pop().expect("an initdb under /usr/lib/postgresql")
}

/// Runs a command as the `postgres` user (initdb refuses root), failing the test if it fails.
fn as_postgres(program: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(program)
        .args(args)
        .output()
        .expect("runuser runs (util-linux)");
    assert!(
        out.status.success(),
        "{} {args:?}: {}{}",
        program.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl Postgres {
    /// Starts a fresh server (no TLS).
    pub fn start() -> Postgres {
        Self::launch(false)
    }

    /// Starts a fresh server that also offers TLS, with a certificate for `localhost` and
    /// 127.0.0.1 from a test authority whose certificate is [`Postgres::ca_file`].
    pub fn start_tls() -> Postgres {
        Self::launch(true)
    }

    /// The test authority of a [`Postgres::start_tls`] server.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    fn launch(tls: bool) -> Postgres {
        let bin = bin_dir();
        let dir = std::env::temp_dir().join(format!("skybridge-pg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("folder");
        std::fs::write(dir.join("pw"), SUPERUSER_PASSWORD).expect("password file");
        if tls {
            certificates(&dir);
        }
        let chown = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status()
            .expect("chown");
        assert!(chown.success());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let path = |p: &str| dir.join(p).display().to_string();
        as_postgres(
            &bin.join("initdb"),
            &[
                "-D",
                &path("data"),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                &format!("--pwfile={}", path("pw")),
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "-N",
            ],
        );
        as_postgres(
            &bin.join("pg_ctl"),
            &[
                "-D",
                &path("data"),
                "-l",
                &path("log"),
                "-o",
                &format!(
                    "-c listen_addresses=127.0.0.1 -p {port} -k {}{}",
                    dir.display(),
                    if tls {
                        format!(
                            " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                            path("server.pem"),
                            path("server.key")
                        )
                    } else {
                        String::new()
                    }
                ),
                "-w",
                "start",
            ],
        );
        Postgres { dir, bin, port }
    }

    /// Runs SQL as the superuser in `database` (through the server's local socket).
    pub fn sql(&self, database: &str, sql: &str) -> String {
        as_postgres(
            &self.bin.join("psql"),
            &[
                "-h",
                &self.dir.display().to_string(),
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-Atc",
                sql,
            ],
        )
    }
}

/// A test authority (`ca.crt`) and a server certificate from it for localhost and 127.0.0.1
/// (`server.pem`, `server.key`, readable by its owner only, as PostgreSQL wants) in `dir`.
fn certificates(dir: &std::path::Path) {
    super::certs::authority(dir);
    super::certs::server_certificate(dir, "server", "DNS:localhost,IP:127.0.0.1");
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(
        dir.join("server.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .expect("key permissions");
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.join("data").display().to_string();
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join("pg_ctl"))
            .args(["-D", &data, "-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Which store an engine test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// The embedded store, in a folder.
    Sled,
    /// A PostgreSQL server of the test's own.
    Postgres,
}

/// A fresh engine store of `kind` for one test (the embedded one in `dir`), and the server
/// under it for a PostgreSQL store (keep it while the store is used).
pub fn test_store(
    kind: StoreKind,
    dir: &std::path::Path,
) -> (Box<dyn skybridge::store::Store>, Option<Postgres>) {
    match kind {
        StoreKind::Sled => (
            Box::new(skybridge::store::SledStore::open(dir).expect("the embedded store")),
            None,
        ),
        StoreKind::Postgres => {
            let server = Postgres::start();
            let store =
                skybridge::store::postgres::PostgresStore::connect(&server.engine_database())
                    .expect("the PostgreSQL store");
            (Box::new(store), Some(server))
        }
    }
}

impl Postgres {
    /// A database `skybridge` owned by the account `skybridge` (password [`ENGINE_PASSWORD`]),
    /// and how to sign in to it (no TLS: loopback).
    pub fn engine_database(&self) -> skybridge::store::postgres::DbServer {
        self.sql(
            "postgres",
            &format!("CREATE ROLE skybridge LOGIN PASSWORD '{ENGINE_PASSWORD}'"),
        );
        self.sql("postgres", "CREATE DATABASE skybridge OWNER skybridge");
        skybridge::store::postgres::DbServer {
            host: "127.0.0.1".into(),
            port: self.port,
            database: "skybridge".into(),
            user: "skybridge".into(),
            password: skybridge::secret::Secret::new(ENGINE_PASSWORD),
            tls: skybridge::store::postgres::Tls::Off,
            ca_file: None,
        }
    }
}

/// The engine account's password in [`Postgres::engine_database`].
pub const ENGINE_PASSWORD: &str = "Engine-Db-Pw-1";

/// Runs a test body once per store: `store_suite!(name, body_fn)` makes `name::sled` and
/// `name::postgres`, each calling `body_fn(StoreKind::…)`.
#[macro_export]
macro_rules! store_suite {
    ($($name:ident => $body:path),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sled() {
                $body($crate::common::postgres::StoreKind::Sled)
            }
            #[test]
            fn postgres() {
                $body($crate::common::postgres::StoreKind::Postgres)
            }
        }
    )*};
}
