//! What the federation pages share (each page's ids and validator are in its own module in
//! [`super::pages`]: `adfs_farm`, `federation_servers`, `proxy_servers`,
//! `adfs_service_account`, `federated_domain`, `federation_verification`, `ping_federate`,
//! `convert_domains`).
//!
//! - [`FederationDraft`] (what was entered, changed by a [`FedMsg`]) and [`FederationFacts`]
//!   (what the checks found; any change to an input forgets the findings that depended on it,
//!   so a page never passes on a check of something else), with [`CertificateFacts`] and,
//!   from [`crate::federation::verify`], [`MetadataFacts`], [`CheckRow`], [`FarmChecks`] and
//!   [`ForestAccess`].
//! - [`valid_host`], [`parse_servers`], [`parse_dns`]: reading what was typed.
//! - [`pages`]: the federation part of the walk.
//! - The ids more than one page uses (metadata, outcomes, a server list's problem), the label
//!   ids of [`metadata_label`] and [`outcome_label`], and the problems several validators make.
//! - The plan ([`PlannedFederation`], [`planned`], [`provider`], [`farm_plan`], [`farm_wait`])
//!   and the verification's input ([`farm_checks`]), in the `plan` submodule.
//! - `update` and `answered`: the federation messages and the answers of their probes.

mod plan;

use crate::federation::certificate::{self, Outcome};
use crate::federation::metadata::MetadataCheck;
use crate::secret::Secret;
use crate::wizard::probe::{Answer, Probe};
use crate::wizard::problem::Problem;
use crate::wizard::registry::PageId;
use crate::wizard::{Draft, Facts, SignInMethod};
use crate::wizard::{Effect, Msg, Wizard};

pub use crate::federation::verify::{CheckRow, FarmChecks, ForestAccess, MetadataFacts};
pub use plan::{PlannedFederation, farm_checks, farm_plan, farm_wait, planned, provider};

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

/// The farm certificate's check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFacts {
    /// Each check.
    pub findings: Vec<certificate::Finding>,
    /// Its thumbprint, when it could be read.
    pub thumbprint: Option<String>,
}

/// What the federation checks found.
#[derive(Debug, Clone, Default)]
pub struct FederationFacts {
    /// The certificate file's check.
    pub certificate: Option<CertificateFacts>,
    /// The metadata, or why it could not be had.
    pub metadata: Option<Result<MetadataFacts, crate::ops::Failure>>,
    /// The verification's rows, or why it could not run.
    pub verification: Option<Result<Vec<CheckRow>, crate::ops::Failure>>,
    /// Where the PingFederate settings were saved, or why not.
    pub saved: Option<Result<String, crate::ops::Failure>>,
    /// Domains converted to managed (whether they were federated), or why not.
    pub converted: std::collections::BTreeMap<String, Result<bool, crate::ops::Failure>>,
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

/// What is wrong with a typed server list or DNS server address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// A port that is not a number from 1 to 65535.
    #[error("'{0}': the port is not a number from 1 to 65535")]
    Port(String),
    /// An entry that is not a host name or an IP address.
    #[error("'{0}' is not a server name")]
    Host(String),
    /// The same server twice.
    #[error("{0} is listed twice")]
    Twice(String),
    /// A DNS server that is not an address.
    #[error("'{0}' is not an address such as 10.0.0.1 or 10.0.0.1:53")]
    Dns(String),
}

/// The servers of a list (one per line, or separated by commas): `host` or `host:port`, with
/// 443 when no port is given; or what is wrong with an entry.
pub fn parse_servers(text: &str) -> Result<Vec<(String, u16)>, AddressError> {
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
                    return Err(AddressError::Port(entry.to_string()));
                }
            },
            None => (entry, 443),
        };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if host.parse::<std::net::IpAddr>().is_err() && !valid_host(&host) {
            return Err(AddressError::Host(entry.to_string()));
        }
        if out.iter().any(|(h, p)| *h == host && *p == port) {
            return Err(AddressError::Twice(host));
        }
        out.push((host, port));
    }
    Ok(out)
}

/// A DNS server as typed (`10.0.0.1` or `10.0.0.1:53`); `Ok(None)` when empty.
pub fn parse_dns(text: &str) -> Result<Option<std::net::SocketAddr>, AddressError> {
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
        .map_err(|_| AddressError::Dns(typed.to_string()))
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

// ---- Ids more than one page uses ----

/// The metadata address (AD FS farm, PingFederate).
pub const METADATA_URL: &str = "metadata_url";
/// The CA file (AD FS farm, PingFederate).
pub const CA_FILE: &str = "ca_file";
/// The Fetch metadata button (AD FS farm, PingFederate).
pub const FETCH_METADATA: &str = "fetch_metadata";
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
/// The metadata was not read.
pub const FETCH_FIRST: &str = "fetch_first";
/// The metadata could not be had or a check failed (detail).
pub const METADATA_FAILED: &str = "metadata_failed";
/// A metadata check warns (detail).
pub const METADATA_WARNING: &str = "metadata_warning";
/// A check is running.
pub const CHECKING: &str = "checking";
/// An entry of a list is not a server (detail) (Federation servers, proxies).
pub const SERVER_INVALID: &str = "server_invalid";

/// The label id of a metadata check.
pub fn metadata_label(check: MetadataCheck) -> &'static str {
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
pub(crate) fn metadata_problems(page: PageId, facts: &Facts) -> Vec<Problem> {
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
pub(crate) fn outcome_problems(
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

/// A server list's problem: `invalid` (with what is wrong) or, when it is empty, `empty`.
pub(crate) fn list_problems(text: &str, invalid: Problem, empty: Problem) -> Vec<Problem> {
    match parse_servers(text) {
        Err(why) => vec![invalid.with_detail(why.to_string())],
        Ok(list) if list.is_empty() => vec![empty],
        Ok(_) => Vec::new(),
    }
}

// ---- Messages and answers ----

/// Applies a federation message (the wizard hands each message to the part that owns it).
pub(crate) fn update(w: &mut Wizard, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Federation(input) => {
            w.facts.federation.forget_for(&input);
            w.draft.federation.apply(input);
        }
        Msg::CheckFarmCertificate => {
            let fed = &w.draft.federation;
            let probe = Probe::FederationCertificate {
                file: fed.certificate_file.trim().into(),
                password: fed.certificate_password.clone(),
                name: fed.name(),
            };
            w.facts.federation.certificate = None;
            return vec![w.ask(probe)];
        }
        Msg::FetchFederationMetadata => {
            let fed = &w.draft.federation;
            let host = provider(&w.draft).and_then(|p| p.host().map(str::to_string));
            let probe = Probe::FederationMetadata {
                url: fed.metadata_address(),
                ca_file: fed.ca_path(),
                host,
            };
            w.facts.federation.metadata = None;
            return vec![w.ask(probe)];
        }
        Msg::RunFederationChecks => {
            w.facts.federation.verification = None;
            let Some(checks) = farm_checks(&w.draft, &w.facts) else {
                w.facts.federation.verification = Some(Err(
                    "the forest or the farm's inputs are not complete: go back to the pages before"
                        .into(),
                ));
                return Vec::new();
            };
            return vec![w.ask(Probe::VerifyFarm(Box::new(checks)))];
        }
        Msg::SavePingSettings => {
            let path = w.draft.federation.ping_export.trim().to_string();
            if path.is_empty() {
                w.facts.federation.saved =
                    Some(Err("type where to save the settings first".into()));
                return Vec::new();
            }
            let text = crate::wizard::pages::ping_federate::ping_settings(&w.draft, &w.facts);
            w.facts.federation.saved = None;
            return vec![w.operate(crate::wizard::operation::Operation::SaveText {
                path: path.into(),
                text,
            })];
        }
        Msg::ConvertToManaged(domain) => {
            let Some(Ok(tenant)) = &w.facts.tenant else {
                return Vec::new();
            };
            let operation = crate::wizard::operation::Operation::ConvertToManaged {
                admin: tenant.admin.clone(),
                domain: domain.clone(),
            };
            w.facts.federation.converted.remove(&domain);
            return vec![w.operate(operation)];
        }
        // Messages of other pages never come here.
        _ => {}
    }
    Vec::new()
}

/// Takes a probe's answer for the federation pages (already checked to be the awaited one).
pub(crate) fn answered(w: &mut Wizard, result: Answer) -> Vec<Effect> {
    match result {
        Answer::FederationCertificate(found) => {
            w.facts.federation.certificate = Some(found);
        }
        Answer::FederationMetadata(found) => {
            w.facts.federation.metadata = Some(found);
        }
        Answer::FarmVerified(rows) => {
            w.facts.federation.verification = Some(Ok(rows));
        }
        Answer::ConvertedToManaged(domain, outcome) => {
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
        Answer::TextSaved(outcome) => {
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
                .to_string()
                .contains("not a server name")
        );
        assert!(
            parse_servers("a.b:0")
                .unwrap_err()
                .to_string()
                .contains("port")
        );
        assert!(
            parse_servers("a.b\nA.B")
                .unwrap_err()
                .to_string()
                .contains("twice")
        );
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
