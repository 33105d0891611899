//! The federation pages: AD FS farm (a new farm with its certificate file, or an existing farm
//! by its metadata), federation servers, Web Application Proxy servers, the farm's service
//! account, the tenant domain to federate, and the verification that runs every check before
//! anything is changed; for PingFederate, the domain and one page with the metadata address,
//! its connectivity check and the settings file for the PingFederate administrator.
//!
//! What was entered is in [`FederationDraft`], what the checks found in [`FederationFacts`];
//! any change to an input forgets the findings that depended on it, so a page never passes on
//! a check of something else.

use crate::federation::certificate::{self, Outcome};
use crate::federation::metadata::{Metadata, MetadataFinding};
use crate::secret::Secret;
use crate::wizard::probe::ProbeResult;
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::{Draft, Facts, SignInMethod};
use crate::wizard::{Effect, Msg, Wizard};

/// A new farm, or one that runs already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Farm {
    /// Skybridge prepares a new farm: certificate, servers, proxies, account, script.
    #[default]
    New,
    /// The farm runs already: its metadata is read.
    Existing,
}

/// What was entered on the federation pages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FederationDraft {
    /// New or existing farm.
    pub farm: Farm,
    /// The federation service name (`fs.contoso.com`).
    pub service_name: String,
    /// The name people see on the sign-in page.
    pub display_name: String,
    /// The farm's certificate file (PFX or PEM).
    pub certificate_file: String,
    /// Its password.
    pub certificate_password: Secret,
    /// Where the metadata is (empty: the AD FS address for the service name).
    pub metadata_url: String,
    /// Certificate authorities (PEM) to trust for the metadata, instead of the system's.
    pub ca_file: String,
    /// Federation servers, one per line (`host` or `host:port`).
    pub servers: String,
    /// Web Application Proxy servers, one per line.
    pub proxies: String,
    /// The service account is a domain user (else a group managed service account).
    pub user_account: bool,
    /// The service account's name.
    pub account: String,
    /// A domain user's password.
    pub account_password: Secret,
    /// The tenant domain to federate.
    pub domain: String,
    /// The DNS server inside the network (empty: the system's).
    pub internal_dns: String,
    /// A DNS server as people outside the network see it (empty: not checked).
    pub external_dns: String,
    /// Where to save the PingFederate administrator's settings.
    pub ping_export: String,
    /// The administrator has read what converting a domain to managed does.
    pub convert_understood: bool,
}

/// A check's row on the Verification and Complete pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRow {
    /// What is checked (a field id of the Verification page).
    pub check: &'static str,
    /// What it was checked on (a server, a name).
    pub subject: String,
    /// How it came out.
    pub outcome: Outcome,
    /// What was found.
    pub detail: String,
}

/// The farm certificate's check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFacts {
    /// Each check.
    pub findings: Vec<certificate::Finding>,
    /// Its thumbprint, when it could be read.
    pub thumbprint: Option<String>,
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

/// What the federation checks found.
#[derive(Debug, Clone, Default)]
pub struct FederationFacts {
    /// The certificate file's check.
    pub certificate: Option<CertificateFacts>,
    /// The metadata, or why it could not be had.
    pub metadata: Option<Result<MetadataFacts, String>>,
    /// The verification's rows, or why it could not run.
    pub verification: Option<Result<Vec<CheckRow>, String>>,
    /// Where the PingFederate settings were saved, or why not.
    pub saved: Option<Result<String, String>>,
    /// Domains converted to managed (whether they were federated), or why not.
    pub converted: std::collections::BTreeMap<String, Result<bool, String>>,
}

/// Something done on a federation page.
#[derive(Debug, Clone)]
pub enum FedMsg {
    /// New or existing farm.
    SetFarm(Farm),
    /// Typed the federation service name.
    SetServiceName(String),
    /// Typed the display name.
    SetDisplayName(String),
    /// Typed or chose the certificate file.
    SetCertificateFile(String),
    /// Typed its password.
    SetCertificatePassword(Secret),
    /// Typed the metadata address.
    SetMetadataUrl(String),
    /// Typed the CA file.
    SetCaFile(String),
    /// Typed the servers.
    SetServers(String),
    /// Typed the proxies.
    SetProxies(String),
    /// A domain user (true) or a managed service account.
    SetUserAccount(bool),
    /// Typed the service account.
    SetAccount(String),
    /// Typed its password.
    SetAccountPassword(Secret),
    /// Chose the tenant domain.
    SetDomain(String),
    /// Typed the internal DNS server.
    SetInternalDns(String),
    /// Typed the external DNS server.
    SetExternalDns(String),
    /// Typed where to save the PingFederate settings.
    SetPingExport(String),
    /// Ticked (or cleared) "I understand" before converting domains to managed.
    SetConvertUnderstood(bool),
}

impl FederationFacts {
    /// Forgets what depended on who the identity provider is: its metadata and the checks.
    pub fn forget_provider(&mut self) {
        self.metadata = None;
        self.verification = None;
    }

    /// Forgets what depended on the input `msg` changed.
    pub fn forget_for(&mut self, msg: &FedMsg) {
        match msg {
            FedMsg::SetFarm(_) | FedMsg::SetServiceName(_) => {
                self.certificate = None;
                self.forget_provider();
            }
            FedMsg::SetCertificateFile(_) | FedMsg::SetCertificatePassword(_) => {
                self.certificate = None;
                self.verification = None;
            }
            FedMsg::SetMetadataUrl(_) | FedMsg::SetCaFile(_) => self.metadata = None,
            FedMsg::SetServers(_)
            | FedMsg::SetProxies(_)
            | FedMsg::SetUserAccount(_)
            | FedMsg::SetAccount(_)
            | FedMsg::SetAccountPassword(_)
            | FedMsg::SetInternalDns(_)
            | FedMsg::SetExternalDns(_) => self.verification = None,
            FedMsg::SetPingExport(_) => self.saved = None,
            FedMsg::SetDisplayName(_) | FedMsg::SetDomain(_) | FedMsg::SetConvertUnderstood(_) => {}
        }
    }
}

impl FederationDraft {
    /// Applies an input.
    pub fn apply(&mut self, msg: FedMsg) {
        match msg {
            FedMsg::SetFarm(v) => self.farm = v,
            FedMsg::SetServiceName(v) => self.service_name = v,
            FedMsg::SetDisplayName(v) => self.display_name = v,
            FedMsg::SetCertificateFile(v) => self.certificate_file = v,
            FedMsg::SetCertificatePassword(v) => self.certificate_password = v,
            FedMsg::SetMetadataUrl(v) => self.metadata_url = v,
            FedMsg::SetCaFile(v) => self.ca_file = v,
            FedMsg::SetServers(v) => self.servers = v,
            FedMsg::SetProxies(v) => self.proxies = v,
            FedMsg::SetUserAccount(v) => self.user_account = v,
            FedMsg::SetAccount(v) => self.account = v,
            FedMsg::SetAccountPassword(v) => self.account_password = v,
            FedMsg::SetDomain(v) => self.domain = v,
            FedMsg::SetInternalDns(v) => self.internal_dns = v,
            FedMsg::SetExternalDns(v) => self.external_dns = v,
            FedMsg::SetPingExport(v) => self.ping_export = v,
            FedMsg::SetConvertUnderstood(v) => self.convert_understood = v,
        }
    }

    /// The federation service name as typed, without spaces or a final dot, in lower case.
    pub fn name(&self) -> String {
        self.service_name
            .trim()
            .trim_end_matches('.')
            .to_ascii_lowercase()
    }

    /// Where the metadata is read: as typed, else where AD FS publishes it.
    pub fn metadata_address(&self) -> String {
        let typed = self.metadata_url.trim();
        if typed.is_empty() && !self.name().is_empty() {
            crate::federation::metadata::adfs_metadata_url(&self.name())
        } else {
            typed.to_string()
        }
    }

    /// The CA file, when one was given.
    pub fn ca_path(&self) -> Option<std::path::PathBuf> {
        let typed = self.ca_file.trim();
        (!typed.is_empty()).then(|| typed.into())
    }
}

/// Whether `name` is a DNS host name (letters, digits and hyphens in dot-separated labels).
pub fn valid_host(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    !name.is_empty()
        && name.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// The servers of a list (one per line, or separated by commas): `host` or `host:port`, with
/// 443 when no port is given; or what is wrong with an entry.
pub fn parse_servers(text: &str) -> Result<Vec<(String, u16)>, String> {
    let mut out: Vec<(String, u16)> = Vec::new();
    for entry in text
        .split(['\n', ','])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let (host, port) = match entry.rsplit_once(':') {
            Some((host, port)) => match port.parse::<u16>() {
                Ok(port) if port > 0 => (host, port),
                _ => {
                    return Err(format!(
                        "'{entry}': the port is not a number from 1 to 65535"
                    ));
                }
            },
            None => (entry, 443),
        };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if host.parse::<std::net::IpAddr>().is_err() && !valid_host(&host) {
            return Err(format!("'{entry}' is not a server name"));
        }
        if out.iter().any(|(h, p)| *h == host && *p == port) {
            return Err(format!("{host} is listed twice"));
        }
        out.push((host, port));
    }
    Ok(out)
}

/// A DNS server as typed (`10.0.0.1` or `10.0.0.1:53`); `Ok(None)` when empty.
pub fn parse_dns(text: &str) -> Result<Option<std::net::SocketAddr>, String> {
    let typed = text.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    if let Ok(ip) = typed.parse::<std::net::IpAddr>() {
        return Ok(Some((ip, 53).into()));
    }
    typed
        .parse::<std::net::SocketAddr>()
        .map(Some)
        .map_err(|_| format!("'{typed}' is not an address such as 10.0.0.1 or 10.0.0.1:53"))
}

/// The federation pages of the walk for this sign-in method, in order.
pub fn pages(draft: &Draft) -> Vec<PageId> {
    match draft.sign_in {
        SignInMethod::FederationAdfs if draft.federation.farm == Farm::New => vec![
            PageId::AdfsFarm,
            PageId::FederationServers,
            PageId::ProxyServers,
            PageId::AdfsServiceAccount,
            PageId::FederatedDomain,
            PageId::FederationVerification,
        ],
        SignInMethod::FederationAdfs => vec![
            PageId::AdfsFarm,
            PageId::FederatedDomain,
            PageId::FederationVerification,
        ],
        SignInMethod::FederationPing => vec![PageId::FederatedDomain, PageId::PingFederate],
        _ => Vec::new(),
    }
}

// ---- AD FS farm ----

/// Field ids of the AD FS farm page.
pub const FARM_FIELDS: &[&str] = &[
    NEW_FARM,
    EXISTING_FARM,
    SERVICE_NAME,
    DISPLAY_NAME,
    CERTIFICATE_FILE,
    CERTIFICATE_PASSWORD,
    BROWSE,
    CHECK_CERTIFICATE,
    THUMBPRINT,
    METADATA_URL,
    CA_FILE,
    FETCH_METADATA,
    WINDOWS_NOTE,
    CHECK_OPENS,
    CHECK_KEY,
    CHECK_STRENGTH,
    CHECK_VALIDITY,
    CHECK_NAME,
    CHECK_CHAIN,
    META_ENTITY,
    META_SIGNING,
    META_ENDPOINTS,
    PASS,
    WARN,
    FAIL,
];
/// Message ids of the AD FS farm page.
pub const FARM_MESSAGES: &[&str] = &[
    NAME_INVALID,
    CERT_MISSING,
    CHECK_CERT_FIRST,
    CERT_FAILED,
    CERT_WARNING,
    FETCH_FIRST,
    METADATA_FAILED,
    METADATA_WARNING,
    CHECKING,
];

/// Set up a new farm.
pub const NEW_FARM: &str = "new_farm";
/// Use a farm that runs.
pub const EXISTING_FARM: &str = "existing_farm";
/// The federation service name.
pub const SERVICE_NAME: &str = "service_name";
/// The display name.
pub const DISPLAY_NAME: &str = "display_name";
/// The certificate file.
pub const CERTIFICATE_FILE: &str = "certificate_file";
/// Its password.
pub const CERTIFICATE_PASSWORD: &str = "certificate_password";
/// The Browse button.
pub const BROWSE: &str = "browse";
/// The Check certificate button.
pub const CHECK_CERTIFICATE: &str = "check_certificate";
/// The thumbprint's label.
pub const THUMBPRINT: &str = "thumbprint";
/// The metadata address.
pub const METADATA_URL: &str = "metadata_url";
/// The CA file.
pub const CA_FILE: &str = "ca_file";
/// The Fetch metadata button.
pub const FETCH_METADATA: &str = "fetch_metadata";
/// What Skybridge does not do on Windows.
pub const WINDOWS_NOTE: &str = "windows_note";
/// Certificate check: the password opens it.
pub const CHECK_OPENS: &str = "check_opens";
/// Certificate check: the private key.
pub const CHECK_KEY: &str = "check_key";
/// Certificate check: key strength.
pub const CHECK_STRENGTH: &str = "check_strength";
/// Certificate check: validity.
pub const CHECK_VALIDITY: &str = "check_validity";
/// Certificate check: names.
pub const CHECK_NAME: &str = "check_name";
/// Certificate check: chain.
pub const CHECK_CHAIN: &str = "check_chain";
/// Metadata check: entityID.
pub const META_ENTITY: &str = "meta_entity";
/// Metadata check: signing certificate.
pub const META_SIGNING: &str = "meta_signing";
/// Metadata check: endpoints.
pub const META_ENDPOINTS: &str = "meta_endpoints";
/// A check passed.
pub const PASS: &str = "pass";
/// A check warns.
pub const WARN: &str = "warn";
/// A check failed.
pub const FAIL: &str = "fail";
/// The service name is not a host name.
pub const NAME_INVALID: &str = "name_invalid";
/// No certificate file given.
pub const CERT_MISSING: &str = "cert_missing";
/// The certificate was not checked.
pub const CHECK_CERT_FIRST: &str = "check_cert_first";
/// A certificate check failed (detail: which and why).
pub const CERT_FAILED: &str = "cert_failed";
/// A certificate check warns (detail).
pub const CERT_WARNING: &str = "cert_warning";
/// The metadata was not read.
pub const FETCH_FIRST: &str = "fetch_first";
/// The metadata could not be had or a check failed (detail).
pub const METADATA_FAILED: &str = "metadata_failed";
/// A metadata check warns (detail).
pub const METADATA_WARNING: &str = "metadata_warning";
/// A check is running.
pub const CHECKING: &str = "checking";

/// The label id of a certificate check.
pub fn certificate_label(check: certificate::Check) -> &'static str {
    match check {
        certificate::Check::Opens => CHECK_OPENS,
        certificate::Check::PrivateKey => CHECK_KEY,
        certificate::Check::KeyStrength => CHECK_STRENGTH,
        certificate::Check::Validity => CHECK_VALIDITY,
        certificate::Check::Name => CHECK_NAME,
        certificate::Check::Chain => CHECK_CHAIN,
    }
}

/// The label id of a metadata check.
pub fn metadata_label(check: crate::federation::metadata::MetadataCheck) -> &'static str {
    use crate::federation::metadata::MetadataCheck;
    match check {
        MetadataCheck::EntityId => META_ENTITY,
        MetadataCheck::SigningCertificate => META_SIGNING,
        MetadataCheck::Endpoints => META_ENDPOINTS,
    }
}

/// The label id of an outcome.
pub fn outcome_label(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => PASS,
        Outcome::Warn => WARN,
        Outcome::Fail => FAIL,
    }
}

/// What the metadata checks say, as problems of `page`.
fn metadata_problems(page: PageId, facts: &Facts) -> Vec<Problem> {
    match &facts.federation.metadata {
        None => vec![Problem::error(page, FETCH_METADATA, FETCH_FIRST)],
        Some(Err(why)) => {
            vec![Problem::error(page, METADATA_URL, METADATA_FAILED).with_detail(why.clone())]
        }
        Some(Ok(found)) => outcome_problems(
            page,
            found
                .findings
                .iter()
                .map(|f| (metadata_label(f.check), f.outcome, f.detail.clone())),
            METADATA_FAILED,
            METADATA_WARNING,
        ),
    }
}

/// The problems of `page` for checks (field, outcome, what was found) that did not pass: a
/// failure blocks with `failed`, a warning must be confirmed with `warned`.
fn outcome_problems(
    page: PageId,
    checks: impl IntoIterator<Item = (&'static str, Outcome, String)>,
    failed: &'static str,
    warned: &'static str,
) -> Vec<Problem> {
    checks
        .into_iter()
        .filter_map(|(field, outcome, detail)| match outcome {
            Outcome::Fail => Some(Problem::error(page, field, failed).with_detail(detail)),
            Outcome::Warn => Some(Problem::confirm(page, field, warned).with_detail(detail)),
            Outcome::Pass => None,
        })
        .collect()
}

/// Checks the AD FS farm page.
pub fn validate_farm(draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::AdfsFarm;
    let fed = &draft.federation;
    if !valid_host(&fed.name()) || !fed.name().contains('.') {
        return vec![Problem::error(page, SERVICE_NAME, NAME_INVALID)];
    }
    if fed.farm == Farm::Existing {
        return metadata_problems(page, facts);
    }
    if fed.certificate_file.trim().is_empty() {
        return vec![Problem::error(page, CERTIFICATE_FILE, CERT_MISSING)];
    }
    let Some(found) = &facts.federation.certificate else {
        return vec![Problem::error(page, CHECK_CERTIFICATE, CHECK_CERT_FIRST)];
    };
    outcome_problems(
        page,
        found
            .findings
            .iter()
            .map(|f| (certificate_label(f.check), f.outcome, f.detail.clone())),
        CERT_FAILED,
        CERT_WARNING,
    )
}

// ---- Federation servers and proxies ----

/// Field ids of the Federation servers page.
pub const SERVERS_FIELDS: &[&str] = &[SERVERS];
/// Message ids of the Federation servers page.
pub const SERVERS_MESSAGES: &[&str] = &[NO_SERVERS, SERVER_INVALID];
/// Field ids of the Web Application Proxy page.
pub const PROXIES_FIELDS: &[&str] = &[PROXIES];
/// Message ids of the Web Application Proxy page.
pub const PROXIES_MESSAGES: &[&str] = &[NO_PROXIES, SERVER_INVALID];

/// The list of federation servers.
pub const SERVERS: &str = "servers";
/// The list of proxies.
pub const PROXIES: &str = "proxies";
/// No federation server listed.
pub const NO_SERVERS: &str = "no_servers";
/// An entry of a list is not a server (detail).
pub const SERVER_INVALID: &str = "server_invalid";
/// No proxy: only people inside the network can sign in.
pub const NO_PROXIES: &str = "no_proxies";

/// Checks the Federation servers page.
pub fn validate_servers(draft: &Draft) -> Vec<Problem> {
    let page = PageId::FederationServers;
    list_problems(
        &draft.federation.servers,
        Problem::error(page, SERVERS, SERVER_INVALID),
        Problem::error(page, SERVERS, NO_SERVERS),
    )
}

/// Checks the Web Application Proxy page.
pub fn validate_proxies(draft: &Draft) -> Vec<Problem> {
    let page = PageId::ProxyServers;
    list_problems(
        &draft.federation.proxies,
        Problem::error(page, PROXIES, SERVER_INVALID),
        Problem::confirm(page, PROXIES, NO_PROXIES),
    )
}

/// A server list's problem: `invalid` (with what is wrong) or, when it is empty, `empty`.
fn list_problems(text: &str, invalid: Problem, empty: Problem) -> Vec<Problem> {
    match parse_servers(text) {
        Err(why) => vec![invalid.with_detail(why)],
        Ok(list) if list.is_empty() => vec![empty],
        Ok(_) => Vec::new(),
    }
}

// ---- Service account ----

/// Field ids of the service account page.
pub const ACCOUNT_FIELDS: &[&str] = &[GMSA, DOMAIN_USER, ACCOUNT, ACCOUNT_PASSWORD, KDS_NOTE];
/// Message ids of the service account page.
pub const ACCOUNT_MESSAGES: &[&str] = &[ACCOUNT_MISSING, PASSWORD_MISSING, NO_KDS_KEY];

/// A group managed service account.
pub const GMSA: &str = "gmsa";
/// A domain user.
pub const DOMAIN_USER: &str = "domain_user";
/// The account's name.
pub const ACCOUNT: &str = "account";
/// A domain user's password.
pub const ACCOUNT_PASSWORD: &str = "account_password";
/// What a managed service account needs.
pub const KDS_NOTE: &str = "kds_note";
/// No account named.
pub const ACCOUNT_MISSING: &str = "account_missing";
/// No password for the domain user.
pub const PASSWORD_MISSING: &str = "password_missing";
/// The forest has no KDS root key (a managed service account cannot work).
pub const NO_KDS_KEY: &str = "no_kds_key";

/// Checks the service account page.
pub fn validate_account(draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::AdfsServiceAccount;
    let fed = &draft.federation;
    if fed.account.trim().is_empty() {
        return vec![Problem::error(page, ACCOUNT, ACCOUNT_MISSING)];
    }
    if fed.user_account {
        if fed.account_password.expose().is_empty() {
            return vec![Problem::error(page, ACCOUNT_PASSWORD, PASSWORD_MISSING)];
        }
        return Vec::new();
    }
    let forest = draft
        .directories
        .first()
        .and_then(|d| facts.forests.get(&d.forest));
    if forest.is_some_and(|f| f.forest.kds_root_key == Some(false)) {
        return vec![Problem::error(page, GMSA, NO_KDS_KEY)];
    }
    Vec::new()
}

// ---- Tenant domain ----

/// Field ids of the domain page.
pub const DOMAIN_FIELDS: &[&str] = &[DOMAIN, DOMAIN_NOTE];
/// Message ids of the domain page.
pub const DOMAIN_MESSAGES: &[&str] = &[DOMAIN_REFUSED, NO_TENANT];

/// The domain to federate.
pub const DOMAIN: &str = "domain";
/// What federating a domain means for its users.
pub const DOMAIN_NOTE: &str = "domain_note";
/// The domain cannot be federated (detail: why).
pub const DOMAIN_REFUSED: &str = "domain_refused";
/// The tenant was not read.
pub const NO_TENANT: &str = "no_tenant";

/// Checks the domain page.
pub fn validate_domain(draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::FederatedDomain;
    let Some(Ok(tenant)) = &facts.tenant else {
        return vec![Problem::error(page, DOMAIN, NO_TENANT)];
    };
    match crate::federation::domain::refusal(&tenant.domains, &draft.federation.domain) {
        Some(why) => vec![Problem::error(page, DOMAIN, DOMAIN_REFUSED).with_detail(why)],
        None => Vec::new(),
    }
}

// ---- Verification ----

/// Field ids of the verification page.
pub const VERIFY_FIELDS: &[&str] = &[
    INTERNAL_DNS,
    EXTERNAL_DNS,
    RUN_CHECKS,
    CHECK_DNS_INTERNAL,
    CHECK_DNS_EXTERNAL,
    CHECK_SERVER,
    CHECK_PROXY,
    CHECK_SPN,
    CHECK_ACCOUNT,
    CHECK_METADATA,
    SCRIPT,
    PASS,
    WARN,
    FAIL,
];
/// Message ids of the verification page.
pub const VERIFY_MESSAGES: &[&str] = &[
    DNS_INVALID,
    RUN_FIRST,
    CHECKS_FAILED,
    CHECKS_BLOCK,
    CHECKS_WARN,
    CHECKING,
];

/// The internal DNS server.
pub const INTERNAL_DNS: &str = "internal_dns";
/// The external DNS server.
pub const EXTERNAL_DNS: &str = "external_dns";
/// The Run checks button.
pub const RUN_CHECKS: &str = "run_checks";
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
/// The deployment script's heading.
pub const SCRIPT: &str = "script";
/// A DNS server is not an address (detail).
pub const DNS_INVALID: &str = "dns_invalid";
/// The checks were not run for what is entered now.
pub const RUN_FIRST: &str = "run_first";
/// The checks could not run (detail).
pub const CHECKS_FAILED: &str = "checks_failed";
/// A check failed (detail).
pub const CHECKS_BLOCK: &str = "checks_block";
/// A check warns (detail).
pub const CHECKS_WARN: &str = "checks_warn";

/// Checks the verification page.
pub fn validate_verification(draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::FederationVerification;
    let fed = &draft.federation;
    for (field, text) in [
        (INTERNAL_DNS, &fed.internal_dns),
        (EXTERNAL_DNS, &fed.external_dns),
    ] {
        if let Err(why) = parse_dns(text) {
            return vec![Problem::error(page, field, DNS_INVALID).with_detail(why)];
        }
    }
    rows_problems(page, &facts.federation.verification)
}

fn rows_problems(page: PageId, rows: &Option<Result<Vec<CheckRow>, String>>) -> Vec<Problem> {
    match rows {
        None => vec![Problem::error(page, RUN_CHECKS, RUN_FIRST)],
        Some(Err(why)) => {
            vec![Problem::error(page, RUN_CHECKS, CHECKS_FAILED).with_detail(why.clone())]
        }
        Some(Ok(rows)) => outcome_problems(
            page,
            rows.iter()
                .map(|r| (r.check, r.outcome, format!("{}: {}", r.subject, r.detail))),
            CHECKS_BLOCK,
            CHECKS_WARN,
        ),
    }
}

// ---- PingFederate ----

/// Field ids of the PingFederate page.
pub const PING_FIELDS: &[&str] = &[
    METADATA_URL,
    CA_FILE,
    FETCH_METADATA,
    PING_EXPORT,
    SAVE_EXPORT,
    SAVED_TO,
    PING_NOTE,
    META_ENTITY,
    META_SIGNING,
    META_ENDPOINTS,
    PASS,
    WARN,
    FAIL,
];
/// Message ids of the PingFederate page.
pub const PING_MESSAGES: &[&str] = &[
    FETCH_FIRST,
    METADATA_FAILED,
    METADATA_WARNING,
    SAVE_FAILED,
    CHECKING,
];

/// Where to save the PingFederate settings.
pub const PING_EXPORT: &str = "ping_export";
/// The Save button.
pub const SAVE_EXPORT: &str = "save_export";
/// Where they were saved.
pub const SAVED_TO: &str = "saved_to";
/// What the PingFederate administrator does.
pub const PING_NOTE: &str = "ping_note";
/// The settings could not be saved (detail).
pub const SAVE_FAILED: &str = "save_failed";

/// Checks the PingFederate page.
pub fn validate_ping(_draft: &Draft, facts: &Facts) -> Vec<Problem> {
    let page = PageId::PingFederate;
    let mut out = metadata_problems(page, facts);
    if let Some(Err(why)) = &facts.federation.saved {
        out.push(Problem::warning(page, PING_EXPORT, SAVE_FAILED).with_detail(why.clone()));
    }
    out
}

/// What the PingFederate administrator needs to set up the tenant as a partner, as text.
pub fn ping_settings(draft: &Draft, facts: &Facts) -> String {
    let fed = &draft.federation;
    let tenant = match &facts.tenant {
        Some(Ok(t)) => format!("{} ({})", t.display_name, t.tenant_id),
        _ => String::new(),
    };
    let mut s = String::new();
    for (k, v) in [
        ("Tenant", tenant.as_str()),
        ("Federated domain", fed.domain.trim()),
        (
            "Partner (service provider) entity ID",
            "urn:federation:MicrosoftOnline",
        ),
        (
            "Assertion consumer service (HTTP-POST)",
            "https://login.microsoftonline.com/login.srf",
        ),
        (
            "Name ID",
            "persistent; the user's onPremisesImmutableId (the sourceAnchor Skybridge synchronizes)",
        ),
        (
            "Attribute IDPEmail",
            "the user's userPrincipalName in the federated domain",
        ),
        ("Signing", "sign the assertion (SHA-256)"),
        (
            "Identity provider metadata Skybridge reads",
            &fed.metadata_address(),
        ),
    ] {
        s.push_str(k);
        s.push_str(": ");
        s.push_str(v);
        s.push('\n');
    }
    s
}

// ---- Converting back to managed (Additional tasks) ----

/// Field ids of the page that converts federated domains to managed.
pub const CONVERT_FIELDS: &[&str] = &[
    CONVERT_NOTE,
    CONVERT_UNDERSTOOD,
    CONVERT,
    CONVERTED,
    NONE_FEDERATED,
];
/// Message ids of that page.
pub const CONVERT_MESSAGES: &[&str] = &[CONVERT_FAILED];

/// What converting does to the domain's people.
pub const CONVERT_NOTE: &str = "convert_note";
/// "I understand" before converting.
pub const CONVERT_UNDERSTOOD: &str = "convert_understood";
/// A domain's Convert button (`{domain}`).
pub const CONVERT: &str = "convert";
/// A domain converted (`{domain}`).
pub const CONVERTED: &str = "converted";
/// The tenant has no federated domain.
pub const NONE_FEDERATED: &str = "none_federated";
/// A conversion failed (detail: the domain and why).
pub const CONVERT_FAILED: &str = "convert_failed";

/// The tenant's federated domains, as the sign-in read them (and conversions since).
pub fn federated_domains(facts: &Facts) -> Vec<&crate::tenant::api::Domain> {
    match &facts.tenant {
        Some(Ok(tenant)) => tenant
            .domains
            .iter()
            .filter(|d| d.authentication_type.eq_ignore_ascii_case("Federated"))
            .collect(),
        _ => Vec::new(),
    }
}

/// Checks the conversion page: nothing blocks (each conversion is done when pressed); a
/// failed one is said.
pub fn validate_convert(facts: &Facts) -> Vec<Problem> {
    facts
        .federation
        .converted
        .iter()
        .filter_map(|(domain, outcome)| {
            outcome.as_ref().err().map(|why| {
                Problem::warning(PageId::ConvertDomains, CONVERT, CONVERT_FAILED)
                    .with_detail(format!("{domain}: {why}"))
            })
        })
        .collect()
}

// ---- The plan ----

/// What configuring does for federation.
#[derive(Debug, Clone)]
pub struct PlannedFederation {
    /// AD FS (with its service name) or another provider.
    pub provider: crate::federation::metadata::Provider,
    /// The tenant domain to federate.
    pub domain: String,
    /// The name shown on the sign-in page.
    pub display_name: String,
    /// Where the metadata is.
    pub metadata_url: String,
    /// Certificate authorities to trust for it.
    pub ca_file: Option<std::path::PathBuf>,
    /// The metadata read while walking the pages (an existing farm, PingFederate).
    pub metadata: Option<Metadata>,
    /// A new farm's deployment script.
    pub script: Option<String>,
    /// DNS servers inside and outside the network, for the Complete page's checks.
    pub internal_dns: Option<std::net::SocketAddr>,
    /// Outside.
    pub external_dns: Option<std::net::SocketAddr>,
    /// How long configuring waits for a new farm's metadata.
    pub wait: std::time::Duration,
}

/// How long configuring waits for a new farm's metadata, unless
/// `SKYBRIDGE_FARM_WAIT_SECONDS` says otherwise.
pub fn farm_wait() -> std::time::Duration {
    let seconds = std::env::var("SKYBRIDGE_FARM_WAIT_SECONDS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(600);
    std::time::Duration::from_secs(seconds)
}

/// Who serves the metadata, when the sign-in method federates.
pub fn provider(draft: &Draft) -> Option<crate::federation::metadata::Provider> {
    use crate::federation::metadata::Provider;
    match draft.sign_in {
        SignInMethod::FederationAdfs => Some(Provider::Adfs(draft.federation.name())),
        SignInMethod::FederationPing => Some(Provider::Other),
        _ => None,
    }
}

/// The plan's federation part, when the sign-in method federates.
pub fn planned(draft: &Draft, facts: &Facts) -> Option<PlannedFederation> {
    let fed = &draft.federation;
    let provider = provider(draft)?;
    let new_farm = draft.sign_in == SignInMethod::FederationAdfs && fed.farm == Farm::New;
    let metadata = match &facts.federation.metadata {
        Some(Ok(found)) if !new_farm => Some(found.metadata.clone()),
        _ => None,
    };
    let script = if new_farm {
        Some(crate::federation::deploy::script(
            &farm_plan(draft, facts)?,
            &today(),
        ))
    } else {
        None
    };
    let display_name = match fed.display_name.trim() {
        "" => fed.domain.trim().to_string(),
        typed => typed.to_string(),
    };
    Some(PlannedFederation {
        provider,
        domain: fed.domain.trim().to_ascii_lowercase(),
        display_name,
        metadata_url: fed.metadata_address(),
        ca_file: fed.ca_path(),
        metadata,
        script,
        internal_dns: parse_dns(&fed.internal_dns).ok().flatten(),
        external_dns: parse_dns(&fed.external_dns).ok().flatten(),
        wait: farm_wait(),
    })
}

fn today() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.date().to_string()
}

/// A new farm's deployment plan, once its certificate was read.
pub fn farm_plan(draft: &Draft, facts: &Facts) -> Option<crate::federation::deploy::FarmPlan> {
    use crate::federation::deploy::{FarmPlan, PlannedAccount};
    let fed = &draft.federation;
    let thumbprint = facts.federation.certificate.as_ref()?.thumbprint.clone()?;
    let hosts = |text: &str| -> Vec<String> {
        parse_servers(text)
            .unwrap_or_default()
            .into_iter()
            .map(|(h, _)| h)
            .collect()
    };
    let file = std::path::Path::new(fed.certificate_file.trim())
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    Some(FarmPlan {
        name: fed.name(),
        display_name: match fed.display_name.trim() {
            "" => fed.name(),
            typed => typed.to_string(),
        },
        thumbprint,
        certificate_file: file,
        servers: hosts(&fed.servers),
        proxies: hosts(&fed.proxies),
        account: if fed.user_account {
            PlannedAccount::User(fed.account.trim().to_string())
        } else {
            PlannedAccount::Gmsa(crate::federation::account::gmsa_sam_name(&fed.account))
        },
    })
}

// ---- Running the checks ----

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
    pub account: Option<crate::federation::account::ServiceAccount>,
}

/// What the checks need from the draft: `None` when the forest or the inputs are not there.
pub fn farm_checks(draft: &Draft, facts: &Facts) -> Option<FarmChecks> {
    use crate::federation::account::ServiceAccount;
    let fed = &draft.federation;
    let new_farm = fed.farm == Farm::New;
    let added = draft.directories.first()?;
    let found = facts.forests.get(&added.forest)?;
    let (server, account) = added.form.parsed().ok()?;
    Some(FarmChecks {
        name: fed.name(),
        new_farm,
        thumbprint: facts
            .federation
            .certificate
            .as_ref()
            .and_then(|c| c.thumbprint.clone()),
        servers: if new_farm {
            parse_servers(&fed.servers).ok()?
        } else {
            Vec::new()
        },
        proxies: if new_farm {
            parse_servers(&fed.proxies).ok()?
        } else {
            Vec::new()
        },
        internal_dns: parse_dns(&fed.internal_dns).ok()?,
        external_dns: parse_dns(&fed.external_dns).ok()?,
        forest: Some(ForestAccess {
            server,
            account,
            password: added.form.password.clone(),
            naming_contexts: found.reachable_naming_contexts(),
            kds_root_key: found.forest.kds_root_key,
        }),
        account: new_farm.then(|| {
            if fed.user_account {
                ServiceAccount::User {
                    account: fed.account.trim().to_string(),
                    password: fed.account_password.clone(),
                }
            } else {
                ServiceAccount::Gmsa(fed.account.trim().to_string())
            }
        }),
    })
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
    use crate::federation::dns::{Resolver, check_service_name};
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
    use crate::federation::dns::Resolver;
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
            let found = crate::federation::servers::check(
                host,
                *port,
                &c.name,
                c.thumbprint.as_deref(),
                resolver,
            )
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
    account: Option<&crate::federation::account::ServiceAccount>,
    new_farm: bool,
) -> Vec<CheckRow> {
    use crate::federation::{account as svc, spn};
    let mut session =
        match crate::directory::Session::open(&forest.server, &forest.account, &forest.password) {
            Ok(s) => s,
            Err(e) => return vec![row(CHECK_SPN, name, (Outcome::Fail, e.to_string()))],
        };
    let mut rows = Vec::new();
    let mut account_dn = None;
    if let Some(account) = account {
        let subject = match account {
            svc::ServiceAccount::Gmsa(n) => n.clone(),
            svc::ServiceAccount::User { account, .. } => account.clone(),
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
pub fn metadata_row(url: &str, found: &Result<MetadataFacts, String>) -> CheckRow {
    let (outcome, detail) = match found {
        Ok(found) => match found.findings.iter().find(|f| f.outcome != Outcome::Pass) {
            Some(f) => (f.outcome, f.detail.clone()),
            None => (
                Outcome::Pass,
                format!("issuer {}", found.metadata.entity_id),
            ),
        },
        Err(why) => (Outcome::Fail, why.clone()),
    };
    row(CHECK_METADATA, url, (outcome, detail))
}

/// Reads and checks the metadata at `url`; with `host`, its endpoints must be on it.
pub async fn read_metadata(
    url: &str,
    ca_file: Option<&std::path::Path>,
    host: Option<&str>,
) -> Result<MetadataFacts, String> {
    use crate::federation::metadata;
    let client = crate::tenant::graph::http_client(ca_file, std::time::Duration::from_secs(20))
        .map_err(|e| e.to_string())?;
    let text = metadata::fetch(&client, url)
        .await
        .map_err(|e| e.to_string())?;
    let parsed = metadata::parse(&text).map_err(|e| e.to_string())?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let findings = metadata::check(&parsed, host, now);
    Ok(MetadataFacts {
        url: url.to_string(),
        metadata: parsed,
        findings,
    })
}

/// Applies a message of this page (the wizard hands each message to the page that owns it).
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Federation(input) => {
            w.facts.federation.forget_for(&input);
            w.draft.federation.apply(input);
        }
        Msg::CheckFarmCertificate => {
            let fed = &w.draft.federation;
            let probe = crate::wizard::probe::Probe::FederationCertificate {
                file: fed.certificate_file.trim().into(),
                password: fed.certificate_password.clone(),
                name: fed.name(),
            };
            w.facts.federation.certificate = None;
            return vec![w.ask(probe)];
        }
        Msg::FetchFederationMetadata => {
            let fed = &w.draft.federation;
            let host = crate::wizard::pages::federation::provider(&w.draft)
                .and_then(|p| p.host().map(str::to_string));
            let probe = crate::wizard::probe::Probe::FederationMetadata {
                url: fed.metadata_address(),
                ca_file: fed.ca_path(),
                host,
            };
            w.facts.federation.metadata = None;
            return vec![w.ask(probe)];
        }
        Msg::RunFederationChecks => {
            w.facts.federation.verification = None;
            let Some(checks) = crate::wizard::pages::federation::farm_checks(&w.draft, &w.facts)
            else {
                w.facts.federation.verification = Some(Err(
                    "the forest or the farm's inputs are not complete: go back to the pages before"
                        .into(),
                ));
                return Vec::new();
            };
            return vec![w.ask(crate::wizard::probe::Probe::VerifyFarm(Box::new(checks)))];
        }
        Msg::SavePingSettings => {
            let path = w.draft.federation.ping_export.trim().to_string();
            if path.is_empty() {
                w.facts.federation.saved =
                    Some(Err("type where to save the settings first".into()));
                return Vec::new();
            }
            let text = crate::wizard::pages::federation::ping_settings(&w.draft, &w.facts);
            w.facts.federation.saved = None;
            return vec![w.ask(crate::wizard::probe::Probe::SaveText {
                path: path.into(),
                text,
            })];
        }
        Msg::ConvertToManaged(domain) => {
            let Some(Ok(tenant)) = &w.facts.tenant else {
                return Vec::new();
            };
            let probe = crate::wizard::probe::Probe::ConvertToManaged {
                admin: tenant.admin.clone(),
                domain: domain.clone(),
            };
            w.facts.federation.converted.remove(&domain);
            return vec![w.ask(probe)];
        }
        // Messages of other pages never come here.
        _ => {}
    }
    Vec::new()
}

/// Takes a probe's answer for this page (already checked to be the awaited one).
pub(crate) fn answered(w: &mut Wizard, result: ProbeResult) -> Vec<Effect> {
    match result {
        crate::wizard::probe::ProbeResult::FederationCertificate(found) => {
            w.facts.federation.certificate = Some(found);
        }
        crate::wizard::probe::ProbeResult::FederationMetadata(found) => {
            w.facts.federation.metadata = Some(found);
        }
        crate::wizard::probe::ProbeResult::FarmVerified(rows) => {
            w.facts.federation.verification = Some(Ok(rows));
        }
        crate::wizard::probe::ProbeResult::ConvertedToManaged(domain, outcome) => {
            if outcome.is_ok()
                && let Some(Ok(tenant)) = &mut w.facts.tenant
                && let Some(d) = tenant
                    .domains
                    .iter_mut()
                    .find(|d| d.id.eq_ignore_ascii_case(&domain))
            {
                d.authentication_type = "Managed".into();
            }
            w.facts.federation.converted.insert(domain, outcome);
        }
        crate::wizard::probe::ProbeResult::TextSaved(outcome) => {
            w.facts.federation.saved = Some(outcome);
        }
        // Answers for other pages never come here.
        _ => {}
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_lists_take_names_addresses_and_ports_and_say_what_is_wrong() {
        assert_eq!(
            parse_servers("adfs1.contoso.com\n adfs2.contoso.com:4443, 10.0.0.5").unwrap(),
            [
                ("adfs1.contoso.com".to_string(), 443),
                ("adfs2.contoso.com".to_string(), 4443),
                ("10.0.0.5".to_string(), 443)
            ]
        );
        assert!(
            parse_servers("adfs 1")
                .unwrap_err()
                .contains("not a server name")
        );
        assert!(parse_servers("a.b:0").unwrap_err().contains("port"));
        assert!(parse_servers("a.b\nA.B").unwrap_err().contains("twice"));
        assert_eq!(parse_dns(" ").unwrap(), None);
        assert_eq!(
            parse_dns("10.0.0.1").unwrap(),
            Some("10.0.0.1:53".parse().unwrap())
        );
        assert!(parse_dns("dns.contoso.com").is_err());
    }

    #[test]
    fn the_walk_has_the_farm_pages_for_a_new_farm_only() {
        let mut draft = Draft {
            sign_in: SignInMethod::FederationAdfs,
            ..Draft::default()
        };
        assert_eq!(pages(&draft).len(), 6);
        draft.federation.farm = Farm::Existing;
        assert_eq!(
            pages(&draft),
            [
                PageId::AdfsFarm,
                PageId::FederatedDomain,
                PageId::FederationVerification
            ]
        );
        draft.sign_in = SignInMethod::FederationPing;
        assert_eq!(
            pages(&draft),
            [PageId::FederatedDomain, PageId::PingFederate]
        );
        draft.sign_in = SignInMethod::PasswordHashSync;
        assert!(pages(&draft).is_empty());
    }

    #[test]
    fn a_changed_input_forgets_the_checks_that_depended_on_it() {
        let mut facts = FederationFacts {
            certificate: Some(CertificateFacts {
                findings: Vec::new(),
                thumbprint: None,
            }),
            metadata: Some(Err("x".into())),
            verification: Some(Ok(Vec::new())),
            ..FederationFacts::default()
        };
        facts.forget_for(&FedMsg::SetServers("a".into()));
        assert!(facts.verification.is_none() && facts.certificate.is_some());
        facts.forget_for(&FedMsg::SetCertificatePassword(Secret::new("p")));
        assert!(facts.certificate.is_none() && facts.metadata.is_some());
        facts.forget_for(&FedMsg::SetServiceName("fs".into()));
        assert!(facts.metadata.is_none());
    }
}
