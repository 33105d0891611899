//! What configuring does for federation ([`PlannedFederation`], [`planned`]: who serves the
//! metadata, the domain, a new farm's deployment script from [`farm_plan`], how long to wait
//! for it with [`farm_wait`]), and the input of the verification's checks ([`farm_checks`]),
//! both made from the draft and what the checks found.

use super::{Farm, FarmChecks, ForestAccess, parse_dns, parse_servers};
use crate::federation::metadata::{Metadata, Provider};
use crate::wizard::{Draft, Facts, SignInMethod};

/// What configuring does for federation.
#[derive(Debug, Clone)]
pub struct PlannedFederation {
    /// AD FS (with its service name) or another provider.
    pub provider: Provider,
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
pub fn provider(draft: &Draft) -> Option<Provider> {
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
        anchor: draft.anchor.clone(),
        sign_in_attribute: draft
            .alternate_sign_in
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .unwrap_or("userPrincipalName")
            .to_string(),
    })
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
