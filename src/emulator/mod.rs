//! The tenant emulator: an HTTP server that behaves like the part of Microsoft Graph v1.0 and
//! the Microsoft identity platform that Skybridge uses — same paths, JSON shapes, status codes,
//! error bodies, paging, delta, batching and throttling — over a persistent sled database.
//!
//! It is held to the documented behaviour by the contract tests in `tests/emulator/`, which
//! replay the samples of `tests/data/graph-fixtures/`.
//!
//! - [`EmulatorConfig`] describes one tenant; [`start`] runs it in-process (port 0 works; the
//!   bound address is in [`RunningEmulator::addr`]); [`serve`] runs it until a shutdown signal;
//!   [`run`] is the blocking entry point of `skybridge emulator`.
//! - The tenant has an id, an initial domain `<name>.onmicrosoft.com`, optional verified custom
//!   domains, an administrator `admin@<initial domain>` and an account that must use MFA,
//!   `mfa-admin@<initial domain>` (the password grant refuses it; device code works), and a
//!   built-in application (client id and secret) for the client credentials grant.
//! - Emulator-only control endpoints live under `/_emulator/` (see [`server`]).
//! - Plain HTTP is served only on loopback addresses; any other address needs a certificate and
//!   key, and is served over TLS.

pub mod errors;
pub mod faults;
pub mod graph;
pub mod identity;
pub mod log;
pub mod odata;
pub mod server;
pub mod state;
pub mod store;
pub mod throttle;
pub mod timefmt;
pub mod tls;
pub mod util;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Args;
use serde_json::json;

use crate::clock::{Clock, SystemClock};
use crate::secret::Secret;
use state::Tenant;
use store::Store;

/// Environment variable holding the administrators' password.
pub const ADMIN_PASSWORD_ENV: &str = "SKYBRIDGE_EMULATOR_ADMIN_PASSWORD";
/// Environment variable holding the built-in application's client secret.
pub const CLIENT_SECRET_ENV: &str = "SKYBRIDGE_EMULATOR_CLIENT_SECRET";

/// Why the emulator could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The configuration is refused.
    #[error("{0}")]
    Config(String),
    /// The data directory or its database.
    #[error("the emulator's data in {dir} could not be opened: {reason}")]
    Data {
        /// The directory.
        dir: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Binding or serving.
    #[error("the emulator could not listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

/// A TLS certificate chain and key, as PEM files.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The certificate chain.
    pub cert: PathBuf,
    /// The private key.
    pub key: PathBuf,
}

/// One emulated tenant.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Where to listen (port 0 picks one).
    pub listen: SocketAddr,
    /// The directory that holds the database and the request log.
    pub data_dir: PathBuf,
    /// Gives the initial domain `<name>.onmicrosoft.com` (first start only).
    pub tenant_name: String,
    /// Verified custom domains to add.
    pub domains: Vec<String>,
    /// The administrators' password (generated on first start when absent).
    pub admin_password: Option<Secret>,
    /// The built-in application's secret (generated on first start when absent).
    pub client_secret: Option<Secret>,
    /// Lifetime of access tokens.
    pub token_lifetime: Duration,
    /// Writes allowed per window.
    pub write_budget: u32,
    /// The budget window.
    pub budget_window: Duration,
    /// Share of Graph requests that fail on purpose (0.0 to 1.0).
    pub fault_rate: f64,
    /// Seed of the fault sequence.
    pub seed: u64,
    /// Default page size of lists (`$top` overrides it).
    pub page_size: usize,
    /// Page size of delta rounds (Graph chooses it; clients cannot).
    pub delta_page_size: usize,
    /// TLS files (required for non-loopback addresses).
    pub tls: Option<TlsFiles>,
    /// The time source.
    pub clock: Arc<dyn Clock>,
}

impl EmulatorConfig {
    /// The defaults: tenant `contoso`, one-hour tokens, 7000 writes per 300 s, no faults,
    /// pages of 100 for lists and delta rounds.
    pub fn new(listen: SocketAddr, data_dir: impl Into<PathBuf>) -> Self {
        EmulatorConfig {
            listen,
            data_dir: data_dir.into(),
            tenant_name: "contoso".to_owned(),
            domains: Vec::new(),
            admin_password: None,
            client_secret: None,
            token_lifetime: Duration::from_secs(3599),
            write_budget: 7000,
            budget_window: Duration::from_secs(300),
            fault_rate: 0.0,
            seed: 0,
            page_size: 100,
            delta_page_size: 100,
            tls: None,
            clock: Arc::new(SystemClock::default()),
        }
    }
}

/// What a client needs to reach the tenant. Secrets are present only when they were given in
/// the configuration or generated by this start.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The tenant id.
    pub tenant_id: String,
    /// `<name>.onmicrosoft.com`.
    pub initial_domain: String,
    /// `admin@<initial domain>`.
    pub admin_upn: String,
    /// `mfa-admin@<initial domain>`.
    pub mfa_admin_upn: String,
    /// Both administrators' password.
    pub admin_password: Option<Secret>,
    /// The built-in application's client id.
    pub client_id: String,
    /// Its secret.
    pub client_secret: Option<Secret>,
    /// Whether the password was generated now (and should be shown once).
    pub admin_password_generated: bool,
    /// Whether the secret was generated now.
    pub client_secret_generated: bool,
}

/// A running emulator.
#[derive(Debug)]
pub struct RunningEmulator {
    /// The bound address.
    pub addr: SocketAddr,
    /// How to reach the tenant.
    pub credentials: Credentials,
    tenant: Arc<Tenant>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), EmulatorError>>,
}

impl RunningEmulator {
    /// `http://127.0.0.1:port` (or `https://…`).
    pub fn base_url(&self) -> String {
        format!(
            "{}://{}",
            if self.tenant.tls { "https" } else { "http" },
            self.addr
        )
    }

    /// How Skybridge's tenant client reaches this tenant (as its built-in application).
    pub fn tenant_endpoint(&self) -> crate::tenant::TenantEndpoint {
        crate::tenant::TenantEndpoint {
            authority: format!("{}/{}", self.base_url(), self.credentials.tenant_id),
            graph: format!("{}/v1.0/", self.base_url()),
            client_id: self.credentials.client_id.clone(),
            ..crate::tenant::TenantEndpoint::default()
        }
    }

    /// Stops serving, waits for the server to finish and flushes the database.
    pub async fn stop(mut self) -> Result<(), EmulatorError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let result = match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(EmulatorError::Config(format!(
                "the server task failed: {e}"
            ))),
        };
        let _ = self.tenant.store.flush();
        result
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct TenantMeta {
    id: String,
    initial_domain: String,
    client_id: String,
}

/// Opens or creates the tenant in the data directory.
fn open_tenant(config: &EmulatorConfig, tls: bool) -> Result<(Tenant, Credentials), EmulatorError> {
    let data_error = |reason: String| EmulatorError::Data {
        dir: config.data_dir.clone(),
        reason,
    };
    std::fs::create_dir_all(&config.data_dir).map_err(|e| data_error(e.to_string()))?;
    let store = Store::open(&config.data_dir).map_err(|e| data_error(e.to_string()))?;
    let log = log::RequestLog::open(&config.data_dir).map_err(|e| data_error(e.to_string()))?;
    let graph_error = |e: errors::GraphError| data_error(e.message);
    let now = timefmt::graph_timestamp(config.clock.wall());

    let meta = match store.meta::<TenantMeta>("tenant").map_err(graph_error)? {
        Some(meta) => meta,
        None => {
            let name = config.tenant_name.to_lowercase();
            if name.is_empty()
                || name.len() > 27
                || !name.chars().all(|c| c.is_ascii_alphanumeric())
            {
                return Err(EmulatorError::Config(format!(
                    "the tenant name '{}' is not valid: use up to 27 letters and digits",
                    config.tenant_name
                )));
            }
            let meta = TenantMeta {
                id: util::new_id(),
                initial_domain: format!("{name}.onmicrosoft.com"),
                client_id: util::new_id(),
            };
            store.set_meta("tenant", &meta).map_err(graph_error)?;
            let mut display = name.clone();
            if let Some(first) = display.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            store
                .set_meta(
                    "organization",
                    &graph::domains::new_organization(&meta.id, &display, &now),
                )
                .map_err(graph_error)?;
            store
                .put_domain(&graph::domains::new_domain(
                    &meta.initial_domain,
                    true,
                    true,
                    true,
                ))
                .map_err(graph_error)?;
            meta
        }
    };
    graph::permissions::ensure_graph_service_principal(&store).map_err(graph_error)?;
    for domain in &config.domains {
        let name = domain.trim().to_lowercase();
        let mut record = match store.domain(&name).map_err(graph_error)? {
            Some(record) => record,
            None => graph::domains::new_domain(&name, true, false, false),
        };
        record.props.insert("isVerified".to_owned(), json!(true));
        record.props.insert("isRoot".to_owned(), json!(true));
        store.put_domain(&record).map_err(graph_error)?;
    }

    let tenant = Tenant {
        store,
        clock: Arc::clone(&config.clock),
        budget: Mutex::new(throttle::WriteBudget::new(
            config.write_budget,
            config.budget_window,
        )),
        faults: Mutex::new(faults::Faults::new(config.fault_rate, config.seed)),
        log,
        tokens: Mutex::new(identity::Tokens::default()),
        lock: Mutex::new(()),
        tenant_id: meta.id.clone(),
        initial_domain: meta.initial_domain.clone(),
        page_size: config.page_size.clamp(1, 999),
        delta_page_size: config.delta_page_size.clamp(1, 999),
        token_lifetime: config.token_lifetime,
        client_id: meta.client_id.clone(),
        tls,
    };

    let admin_upn = format!("admin@{}", meta.initial_domain);
    let mfa_upn = format!("mfa-admin@{}", meta.initial_domain);
    let admin_exists = tenant
        .store
        .index_get(&format!("upn:{admin_upn}"))
        .map_err(graph_error)?
        .is_some();
    let (admin_password, admin_generated) = match &config.admin_password {
        Some(p) => (Some(p.clone()), false),
        None if !admin_exists => (
            Some(Secret::generate_password().map_err(|e| data_error(e.to_string()))?),
            true,
        ),
        None => (None, false),
    };
    if let Some(password) = &admin_password {
        let hash = util::hash_secret(password.expose());
        graph::users::seed_user(&tenant, &admin_upn, "Tenant Administrator", &hash, false)
            .map_err(graph_error)?;
        graph::users::seed_user(&tenant, &mfa_upn, "MFA Administrator", &hash, true)
            .map_err(graph_error)?;
    }
    let secret_exists = tenant
        .store
        .meta::<String>("clientSecretHash")
        .map_err(graph_error)?
        .is_some();
    let (client_secret, secret_generated) = match &config.client_secret {
        Some(s) => (Some(s.clone()), false),
        None if !secret_exists => (Some(Secret::new(util::random_token(30))), true),
        None => (None, false),
    };
    if let Some(secret) = &client_secret {
        tenant
            .store
            .set_meta("clientSecretHash", &util::hash_secret(secret.expose()))
            .map_err(graph_error)?;
    }
    tenant
        .store
        .flush()
        .map_err(|e| data_error(e.to_string()))?;
    let credentials = Credentials {
        tenant_id: meta.id,
        initial_domain: meta.initial_domain,
        admin_upn,
        mfa_admin_upn: mfa_upn,
        admin_password,
        client_id: meta.client_id,
        client_secret,
        admin_password_generated: admin_generated,
        client_secret_generated: secret_generated,
    };
    Ok((tenant, credentials))
}

/// Starts the emulator in the current tokio runtime.
pub async fn start(config: EmulatorConfig) -> Result<RunningEmulator, EmulatorError> {
    let loopback = config.listen.ip().is_loopback();
    let acceptor = match (&config.tls, loopback) {
        (Some(files), _) => {
            Some(tls::acceptor(&files.cert, &files.key).map_err(EmulatorError::Config)?)
        }
        (None, true) => None,
        (None, false) => {
            return Err(EmulatorError::Config(format!(
                "{} is not a loopback address: serving there needs --tls-cert and --tls-key (plain HTTP is only for 127.0.0.1 / ::1)",
                config.listen
            )));
        }
    };
    let tcp = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| EmulatorError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = tcp.local_addr().map_err(|source| EmulatorError::Listen {
        addr: config.listen,
        source,
    })?;
    let (tenant, credentials) = open_tenant(&config, acceptor.is_some())?;
    let tenant = Arc::new(tenant);
    let app = server::router(Arc::clone(&tenant));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        let _ = stop_rx.await;
    };
    let task = match acceptor {
        Some(acceptor) => tokio::spawn(async move {
            axum::serve(tls::TlsListener { tcp, acceptor }, app)
                .with_graceful_shutdown(shutdown)
                .await
                .map_err(|source| EmulatorError::Listen { addr, source })
        }),
        None => tokio::spawn(async move {
            axum::serve(tcp, app)
                .with_graceful_shutdown(shutdown)
                .await
                .map_err(|source| EmulatorError::Listen { addr, source })
        }),
    };
    Ok(RunningEmulator {
        addr,
        credentials,
        tenant,
        stop: Some(stop_tx),
        task,
    })
}

/// Runs the emulator until `shutdown` completes.
pub async fn serve(
    config: EmulatorConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), EmulatorError> {
    let running = start(config).await?;
    shutdown.await;
    running.stop().await
}

/// `skybridge emulator`: run a tenant emulator.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to listen on; plain HTTP only on a loopback address.
    #[arg(long, default_value = "127.0.0.1:5880")]
    pub listen: SocketAddr,
    /// Directory for the tenant's database and request log (created if missing).
    #[arg(long)]
    pub data: PathBuf,
    /// Tenant name: the initial domain is `<name>.onmicrosoft.com` (first start only).
    #[arg(long, default_value = "contoso")]
    pub tenant_name: String,
    /// A verified custom domain (repeatable).
    #[arg(long = "domain", value_name = "DOMAIN")]
    pub domains: Vec<String>,
    /// Lifetime of access tokens in seconds.
    #[arg(long, default_value_t = 3599)]
    pub token_lifetime: u64,
    /// Graph writes allowed per budget window before 429.
    #[arg(long, default_value_t = 7000)]
    pub write_budget: u32,
    /// Length of the budget window in seconds.
    #[arg(long, default_value_t = 300)]
    pub budget_window: u64,
    /// Share of Graph requests answered with 503, 504 or a dropped connection (0.0 to 1.0).
    #[arg(long, default_value_t = 0.0)]
    pub fault_rate: f64,
    /// Seed of the injected faults, for reproducible runs.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// TLS certificate chain (PEM), required for a non-loopback address.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

impl EmulatorArgs {
    /// The configuration these arguments (and the environment) describe.
    pub fn config(&self) -> anyhow::Result<EmulatorConfig> {
        if !(0.0..=1.0).contains(&self.fault_rate) {
            anyhow::bail!("--fault-rate must be between 0.0 and 1.0");
        }
        if self.write_budget == 0 || self.budget_window == 0 || self.token_lifetime == 0 {
            anyhow::bail!(
                "--write-budget, --budget-window and --token-lifetime must be greater than 0"
            );
        }
        let mut config = EmulatorConfig::new(self.listen, &self.data);
        config.tenant_name = self.tenant_name.clone();
        config.domains = self.domains.clone();
        config.token_lifetime = Duration::from_secs(self.token_lifetime);
        config.write_budget = self.write_budget;
        config.budget_window = Duration::from_secs(self.budget_window);
        config.fault_rate = self.fault_rate;
        config.seed = self.seed;
        config.admin_password = std::env::var(ADMIN_PASSWORD_ENV)
            .ok()
            .filter(|p| !p.is_empty())
            .map(Secret::from);
        config.client_secret = std::env::var(CLIENT_SECRET_ENV)
            .ok()
            .filter(|p| !p.is_empty())
            .map(Secret::from);
        config.tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ => None,
        };
        Ok(config)
    }
}

/// Runs the emulator until Ctrl-C (the blocking entry point of `skybridge emulator`), printing
/// how to reach it and any secret it generated, once.
pub fn run(config: EmulatorConfig) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let running = start(config).await?;
        print_banner(&running);
        let _ = tokio::signal::ctrl_c().await;
        println!("Stopping.");
        running.stop().await
    })?;
    Ok(())
}

fn print_banner(running: &RunningEmulator) {
    let c = &running.credentials;
    let base = running.base_url();
    println!("Skybridge tenant emulator listening on {base}");
    println!("  tenant id:       {}", c.tenant_id);
    println!("  initial domain:  {}", c.initial_domain);
    println!(
        "  token endpoint:  {base}/{}/oauth2/v2.0/token",
        c.tenant_id
    );
    println!("  Graph:           {base}/v1.0/");
    println!(
        "  administrator:   {} (MFA account: {})",
        c.admin_upn, c.mfa_admin_upn
    );
    match (&c.admin_password, c.admin_password_generated) {
        (Some(p), true) => println!(
            "  admin password:  {} (generated; shown once, set {ADMIN_PASSWORD_ENV} to choose it)",
            p.expose()
        ),
        (Some(_), false) => println!("  admin password:  from {ADMIN_PASSWORD_ENV}"),
        (None, _) => println!("  admin password:  unchanged since the first start"),
    }
    println!("  client id:       {}", c.client_id);
    match (&c.client_secret, c.client_secret_generated) {
        (Some(s), true) => println!(
            "  client secret:   {} (generated; shown once, set {CLIENT_SECRET_ENV} to choose it)",
            s.expose()
        ),
        (Some(_), false) => println!("  client secret:   from {CLIENT_SECRET_ENV}"),
        (None, _) => println!("  client secret:   unchanged since the first start"),
    }
    println!("  control API:     {base}/_emulator/ (device approval, DNS, contacts, request log)");
    println!("Press Ctrl-C to stop.");
}
