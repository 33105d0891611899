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
                            path("server.crt"),
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
/// (`server.crt`, `server.key`) in `dir`.
fn certificates(dir: &std::path::Path) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl runs (Debian: apt-get install openssl)");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-subj",
        "/CN=Skybridge Test Database Root",
        "-days",
        "30",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=keyCertSign,cRLSign",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .expect("extensions");
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "30",
        "-extfile",
        "server.ext",
    ]);
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

/// An engine store for one test, and the server under it (kept running while the store is).
pub struct TestStore {
    // Declared first: dropped (connections closed) before the server stops.
    store: Box<dyn skybridge::engine::store::Store>,
    /// The server, for a PostgreSQL store.
    pub server: Option<Postgres>,
    /// How to sign in to its database, for a PostgreSQL store.
    pub database: Option<skybridge::dbserver::DbServer>,
}

impl TestStore {
    /// A fresh store of `kind` (the embedded one in `dir`).
    pub fn open(kind: StoreKind, dir: &std::path::Path) -> TestStore {
        match kind {
            StoreKind::Sled => TestStore {
                store: Box::new(
                    skybridge::engine::store::SledStore::open(dir).expect("the embedded store"),
                ),
                server: None,
                database: None,
            },
            StoreKind::Postgres => {
                let server = Postgres::start();
                let database = server.engine_database();
                let store = skybridge::dbserver::store::PostgresStore::connect(&database)
                    .expect("the PostgreSQL store");
                TestStore {
                    store: Box::new(store),
                    server: Some(server),
                    database: Some(database),
                }
            }
        }
    }
}

impl skybridge::engine::store::Store for TestStore {
    fn get_raw(
        &self,
        space: skybridge::engine::store::Space,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, skybridge::engine::store::StoreError> {
        self.store.get_raw(space, key)
    }
    fn scan_raw(
        &self,
        space: skybridge::engine::store::Space,
        prefix: &[u8],
    ) -> Result<skybridge::engine::store::RawPairs, skybridge::engine::store::StoreError> {
        self.store.scan_raw(space, prefix)
    }
    fn for_each_raw(
        &self,
        space: skybridge::engine::store::Space,
        prefix: &[u8],
        visit: skybridge::engine::store::Visitor<'_>,
    ) -> Result<(), skybridge::engine::store::StoreError> {
        self.store.for_each_raw(space, prefix, visit)
    }
    fn commit(
        &self,
        batch: skybridge::engine::store::Batch,
    ) -> Result<(), skybridge::engine::store::StoreError> {
        self.store.commit(batch)
    }
    fn size_on_disk(&self) -> Result<u64, skybridge::engine::store::StoreError> {
        self.store.size_on_disk()
    }
}

impl Postgres {
    /// A database `skybridge` owned by the account `skybridge` (password [`ENGINE_PASSWORD`]),
    /// and how to sign in to it (no TLS: loopback).
    pub fn engine_database(&self) -> skybridge::dbserver::DbServer {
        self.sql(
            "postgres",
            &format!("CREATE ROLE skybridge LOGIN PASSWORD '{ENGINE_PASSWORD}'"),
        );
        self.sql("postgres", "CREATE DATABASE skybridge OWNER skybridge");
        skybridge::dbserver::DbServer {
            host: "127.0.0.1".into(),
            port: self.port,
            database: "skybridge".into(),
            user: "skybridge".into(),
            password: skybridge::secret::Secret::new(ENGINE_PASSWORD),
            tls: skybridge::dbserver::Tls::Off,
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
