//! The checks of a federation farm that ask servers, as rows to show: run before anything is
//! changed (the wizard's verification page) and again once the domain is federated (its
//! Complete page).
//!
//! - [`FarmChecks`] (with [`ForestAccess`]): everything the verification checks, as plain
//!   data; [`verify_farm`] runs every check of it.
//! - [`name_rows`]: the federation service name asked of the DNS servers inside and outside
//!   the network.
//! - [`read_metadata`]: an identity provider's metadata fetched, read and checked
//!   ([`MetadataFacts`], or why not: [`ReadError`]); [`metadata_row`]: the row for it.
//! - [`CheckRow`]: one check's row, and the ids of the rows (`CHECK_*`, which are also the
//!   field ids of the wizard's verification page, whose words name them).

use super::account::ServiceAccount;
use super::certificate::Outcome;
use super::metadata::{Metadata, MetadataError, MetadataFinding};
use crate::secret::Secret;

/// Row: the name inside the network.
pub const CHECK_DNS_INTERNAL: &str = "check_dns_internal";
/// Row: the name outside the network.
pub const CHECK_DNS_EXTERNAL: &str = "check_dns_external";
/// Row: a federation server.
pub const CHECK_SERVER: &str = "check_server";
/// Row: a proxy.
pub const CHECK_PROXY: &str = "check_proxy";
/// Row: the SPN.
pub const CHECK_SPN: &str = "check_spn";
/// Row: the service account.
pub const CHECK_ACCOUNT: &str = "check_account";
/// Row: the metadata.
pub const CHECK_METADATA: &str = "check_metadata";

/// A check's row on the Verification and Complete pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRow {
    /// What is checked (one of the `CHECK_*` ids, a field id of the Verification page).
    pub check: &'static str,
    /// What it was checked on (a server, a name).
    pub subject: String,
    /// How it came out.
    pub outcome: Outcome,
    /// What was found.
    pub detail: String,
}

/// Metadata read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataFacts {
    /// Where it was read.
    pub url: String,
    /// What it says.
    pub metadata: Metadata,
    /// Each check.
    pub findings: Vec<MetadataFinding>,
}

/// Why metadata could not be read (its words are those of the error inside).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// No HTTPS client could be set up (the CA file could not be used).
    #[error(transparent)]
    Client(#[from] crate::tenant::TenantError),
    /// The metadata could not be fetched, or it is not readable metadata.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
}

/// A forest to read, with the connector account.
#[derive(Debug, Clone)]
pub struct ForestAccess {
    /// A domain controller.
    pub server: crate::directory::ServerSpec,
    /// The connector account.
    pub account: crate::directory::AccountName,
    /// Its password.
    pub password: Secret,
    /// The domains to look in.
    pub naming_contexts: Vec<String>,
    /// Whether the forest has a KDS root key (as discovery read it).
    pub kds_root_key: Option<bool>,
}

/// Everything the verification checks.
#[derive(Debug, Clone)]
pub struct FarmChecks {
    /// The federation service name.
    pub name: String,
    /// A new farm (its servers need not answer yet; the certificate is compared).
    pub new_farm: bool,
    /// The farm certificate's thumbprint (a new farm).
    pub thumbprint: Option<String>,
    /// Federation servers.
    pub servers: Vec<(String, u16)>,
    /// Proxies.
    pub proxies: Vec<(String, u16)>,
    /// DNS server inside the network (else the system's).
    pub internal_dns: Option<std::net::SocketAddr>,
    /// DNS server outside (else not checked).
    pub external_dns: Option<std::net::SocketAddr>,
    /// The forest, for the SPN and the service account.
    pub forest: Option<ForestAccess>,
    /// The service account (a new farm).
    pub account: Option<ServiceAccount>,
}

fn row(check: &'static str, subject: &str, (outcome, detail): (Outcome, String)) -> CheckRow {
    CheckRow {
        check,
        subject: subject.to_string(),
        outcome,
        detail,
    }
}

/// The federation service name asked of the DNS server inside the network and, when one is
/// given, outside it: an A record each time.
pub async fn name_rows(
    name: &str,
    internal: Option<std::net::SocketAddr>,
    external: Option<std::net::SocketAddr>,
) -> Vec<CheckRow> {
    use super::dns::{Resolver, check_service_name};
    let ask = |resolver: Option<Resolver>| {
        let name = name.to_string();
        async move {
            match resolver {
                None => (
                    Outcome::Fail,
                    "no DNS server is known: give the address of one".to_string(),
                ),
                Some(r) => tokio::task::spawn_blocking(move || check_service_name(&r, &name))
                    .await
                    .unwrap_or_else(|e| (Outcome::Fail, e.to_string())),
            }
        }
    };
    let internal = internal.map(Resolver::new).or_else(Resolver::system);
    let mut rows = vec![row(CHECK_DNS_INTERNAL, name, ask(internal).await)];
    rows.push(match external {
        Some(addr) => row(
            CHECK_DNS_EXTERNAL,
            name,
            ask(Some(Resolver::new(addr))).await,
        ),
        None => row(
            CHECK_DNS_EXTERNAL,
            name,
            (
                Outcome::Warn,
                "not checked: give a DNS server as people outside the network see it".into(),
            ),
        ),
    });
    rows
}

/// Runs every check of the verification page.
pub async fn verify_farm(c: FarmChecks) -> Vec<CheckRow> {
    use super::dns::Resolver;
    let mut rows = name_rows(&c.name, c.internal_dns, c.external_dns).await;
    let internal = c.internal_dns.map(Resolver::new);
    let external = c.external_dns.map(Resolver::new);
    for (list, check, resolver) in [
        (&c.servers, CHECK_SERVER, internal.as_ref()),
        (
            &c.proxies,
            CHECK_PROXY,
            external.as_ref().or(internal.as_ref()),
        ),
    ] {
        for (host, port) in list {
            let subject = format!("{host}:{port}");
            let found =
                super::servers::check(host, *port, &c.name, c.thumbprint.as_deref(), resolver)
                    .await;
            // Before its script has run, a new farm's server has nothing on its port: as
            // expected. It must resolve, and nothing else may answer there.
            let (outcome, detail) = if c.new_farm && found.silent {
                (
                    Outcome::Pass,
                    format!(
                        "{}: as expected before the deployment script has run; configuring checks it again",
                        found.detail
                    ),
                )
            } else {
                (found.outcome, found.detail)
            };
            rows.push(row(check, &subject, (outcome, detail)));
        }
    }
    if let Some(forest) = c.forest {
        let name = c.name.clone();
        let account = c.account.clone();
        let new_farm = c.new_farm;
        let forest_rows = tokio::task::spawn_blocking(move || {
            forest_checks(&forest, &name, account.as_ref(), new_farm)
        })
        .await
        .unwrap_or_else(|e| vec![row(CHECK_SPN, &c.name, (Outcome::Fail, e.to_string()))]);
        rows.extend(forest_rows);
    }
    rows
}

/// The SPN and service account checks, read with the connector account.
fn forest_checks(
    forest: &ForestAccess,
    name: &str,
    account: Option<&ServiceAccount>,
    new_farm: bool,
) -> Vec<CheckRow> {
    use super::{account as svc, spn};
    let mut session =
        match crate::directory::Session::open(&forest.server, &forest.account, &forest.password) {
            Ok(s) => s,
            Err(e) => return vec![row(CHECK_SPN, name, (Outcome::Fail, e.to_string()))],
        };
    let mut rows = Vec::new();
    let mut account_dn = None;
    if let Some(account) = account {
        let subject = match account {
            ServiceAccount::Gmsa(n) => n.clone(),
            ServiceAccount::User { account, .. } => account.clone(),
        };
        match svc::check(
            &forest.server,
            &mut session,
            &forest.naming_contexts,
            account,
            forest.kds_root_key,
        ) {
            Ok(found) => {
                account_dn = found.dn.clone();
                rows.push(row(CHECK_ACCOUNT, &subject, (found.outcome, found.detail)));
            }
            Err(e) => rows.push(row(CHECK_ACCOUNT, &subject, (Outcome::Fail, e.to_string()))),
        }
    }
    let spn = format!("host/{name}");
    match spn::holders(&mut session, &forest.naming_contexts, name) {
        // A running farm's account holds its name: one holder is that account.
        Ok(holders) if !new_farm && holders.len() <= 1 => rows.push(row(
            CHECK_SPN,
            &spn,
            (
                Outcome::Pass,
                match holders.first() {
                    Some(dn) => format!("held by {dn} alone (the farm's account)"),
                    None => "held by no object".to_string(),
                },
            ),
        )),
        Ok(holders) => rows.push(row(
            CHECK_SPN,
            &spn,
            spn::check(&holders, name, account_dn.as_deref()),
        )),
        Err(e) => rows.push(row(CHECK_SPN, &spn, (Outcome::Fail, e.to_string()))),
    }
    session.close();
    rows
}

/// The Complete page's row for metadata read at `url`: its first check that did not pass,
/// else its issuer; or why it could not be read.
pub fn metadata_row(url: &str, found: &Result<MetadataFacts, ReadError>) -> CheckRow {
    let (outcome, detail) = match found {
        Ok(found) => match found.findings.iter().find(|f| f.outcome != Outcome::Pass) {
            Some(f) => (f.outcome, f.detail.clone()),
            None => (
                Outcome::Pass,
                format!("issuer {}", found.metadata.entity_id),
            ),
        },
        Err(why) => (Outcome::Fail, why.to_string()),
    };
    row(CHECK_METADATA, url, (outcome, detail))
}

/// Reads and checks the metadata at `url`; with `host`, its endpoints must be on it.
pub async fn read_metadata(
    url: &str,
    ca_file: Option<&std::path::Path>,
    host: Option<&str>,
) -> Result<MetadataFacts, ReadError> {
    use super::metadata;
    let client = crate::tenant::graph::http_client(ca_file, std::time::Duration::from_secs(20))?;
    let text = metadata::fetch(&client, url).await?;
    let parsed = metadata::parse(&text)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let findings = metadata::check(&parsed, host, now);
    Ok(MetadataFacts {
        url: url.to_string(),
        metadata: parsed,
        findings,
    })
}
