//! `/organization` and `/domains`: the tenant record with its verified domains and
//! `onPremisesSyncEnabled`; domains with the documented flow (create unverified, read the
//! verification DNS records, verify, update) and `federationConfiguration`.
//!
//! Verification checks the emulator's own DNS table, filled through `POST /_emulator/dns`.
//!
//! `onPremisesSyncEnabled` on the organization is documented as writable only on `/beta`; the
//! emulator accepts it on `/v1.0` as well, because Skybridge has to turn directory sync on and
//! newer versions of the service accept it there.

use std::collections::BTreeMap;

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::super::errors::{GraphError, GraphResult};
use super::super::state::Tenant;
use super::super::store::{Kind, Record};
use super::super::util;
use super::{Listing, Reply, Req, get_one, list};

const ORG_WRITABLE: &[&str] = &[
    "marketingNotificationEmails",
    "privacyProfile",
    "securityComplianceNotificationMails",
    "securityComplianceNotificationPhones",
    "technicalNotificationMails",
    // Documented as writable on /beta; accepted on v1.0 too (see the module notes).
    "onPremisesSyncEnabled",
];

/// A new organization record.
pub fn new_organization(id: &str, name: &str, created: &str) -> Map<String, Value> {
    let mut org = Map::new();
    for (k, v) in [
        ("id", json!(id)),
        ("deletedDateTime", Value::Null),
        ("assignedPlans", json!([])),
        ("businessPhones", json!([])),
        ("city", Value::Null),
        ("country", Value::Null),
        ("countryLetterCode", json!("US")),
        ("createdDateTime", json!(created)),
        ("displayName", json!(name)),
        ("marketingNotificationEmails", json!([])),
        ("onPremisesLastSyncDateTime", Value::Null),
        ("onPremisesSyncEnabled", Value::Null),
        ("postalCode", Value::Null),
        ("preferredLanguage", json!("en")),
        ("privacyProfile", Value::Null),
        ("provisionedPlans", json!([])),
        ("securityComplianceNotificationMails", json!([])),
        ("securityComplianceNotificationPhones", json!([])),
        ("state", Value::Null),
        ("street", Value::Null),
        ("technicalNotificationMails", json!([])),
        ("tenantType", json!("AAD")),
    ] {
        org.insert(k.to_owned(), v);
    }
    org
}

fn organization_view(t: &Tenant) -> GraphResult<Map<String, Value>> {
    let mut org: Map<String, Value> = t.store.meta("organization")?.unwrap_or_default();
    let verified: Vec<Value> = t
        .store
        .all_domains()?
        .into_iter()
        .filter(|d| d.props.get("isVerified") == Some(&json!(true)))
        .map(|d| {
            let services: Vec<&str> = d.props["supportedServices"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            json!({
                "capabilities": if services.is_empty() { "None".to_owned() } else { services.join(", ") },
                "isDefault": d.props.get("isDefault").cloned().unwrap_or(json!(false)),
                "isInitial": d.props.get("isInitial").cloned().unwrap_or(json!(false)),
                "name": d.id(),
                "type": d.props.get("authenticationType").cloned().unwrap_or(json!("Managed")),
            })
        })
        .collect();
    org.insert("verifiedDomains".to_owned(), Value::Array(verified));
    Ok(org)
}

/// `/organization` and `/organization/{id}`.
pub fn organization(req: &Req) -> GraphResult<Reply> {
    let org = organization_view(req.t)?;
    match (req.segs.len(), req.method.clone()) {
        (1, Method::GET) => list(
            req,
            &Listing {
                context: "organization",
                type_name: "microsoft.graph.organization",
                defaults: &[],
                directory: false,
            },
            vec![org],
        ),
        (2, method) => {
            if !req.seg(1).eq_ignore_ascii_case(&req.t.tenant_id) {
                return Err(GraphError::not_found(req.seg(1)));
            }
            match method {
                Method::GET => get_one(
                    req,
                    &org,
                    &[],
                    "microsoft.graph.organization",
                    "organization",
                ),
                Method::PATCH => update_organization(req),
                _ => Err(super::unknown(req)),
            }
        }
        _ => Err(super::unknown(req)),
    }
}

fn update_organization(req: &Req) -> GraphResult<Reply> {
    let body = req.body_object()?;
    let mut org: Map<String, Value> = req.t.store.meta("organization")?.unwrap_or_default();
    for (name, value) in &body {
        if name.starts_with("@odata.") {
            continue;
        }
        if !ORG_WRITABLE.contains(&name.as_str()) {
            if org.contains_key(name) || name == "verifiedDomains" {
                return Err(GraphError::read_only(name));
            }
            return Err(GraphError::bad_request(format!(
                "The type 'microsoft.graph.organization' has no property named '{name}'."
            )));
        }
        let ok = match name.as_str() {
            "onPremisesSyncEnabled" => value.is_boolean() || value.is_null(),
            "privacyProfile" => value.is_object() || value.is_null(),
            _ => value
                .as_array()
                .is_some_and(|a| a.iter().all(Value::is_string)),
        };
        if !ok {
            return Err(GraphError::bad_request(format!(
                "The value given for property '{name}' is not valid."
            )));
        }
    }
    for (name, value) in body {
        if !name.starts_with("@odata.") {
            org.insert(name, value);
        }
    }
    req.t.store.set_meta("organization", &org)?;
    Ok(Reply::no_content())
}

/// Whether a domain is federated (it has a federation configuration).
pub fn is_federated(domain: &Record) -> bool {
    domain.str("authenticationType") == Some("Federated")
}

/// A domain record as `POST /domains` creates it (unverified) or as the tenant seeds it.
pub fn new_domain(name: &str, verified: bool, initial: bool, default: bool) -> Record {
    let mut props = Map::new();
    for (k, v) in [
        ("id", json!(name.to_lowercase())),
        ("authenticationType", json!("Managed")),
        ("availabilityStatus", Value::Null),
        ("isAdminManaged", json!(true)),
        ("isDefault", json!(default)),
        ("isInitial", json!(initial)),
        ("isRoot", json!(verified)),
        ("isVerified", json!(verified)),
        (
            "supportedServices",
            if initial {
                json!(["Email", "OfficeCommunicationsOnline"])
            } else {
                json!([])
            },
        ),
        ("passwordNotificationWindowInDays", json!(14)),
        ("passwordValidityPeriodInDays", json!(2_147_483_647)),
        ("state", Value::Null),
    ] {
        props.insert(k.to_owned(), v);
    }
    let code: u32 = util::random_bytes(4).iter().fold(0u32, |acc, b| {
        acc.wrapping_mul(256).wrapping_add(u32::from(*b))
    });
    let mut hidden = Map::new();
    hidden.insert(
        "txt".to_owned(),
        json!(format!("MS=ms{:08}", code % 100_000_000)),
    );
    Record { props, hidden }
}

fn valid_fqdn(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    name.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().any(|c| c.is_ascii_alphabetic()))
}

/// `/domains/...`.
pub fn domains(req: &Req) -> GraphResult<Reply> {
    let m = req.method.clone();
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    let listing = |context| Listing {
        context,
        type_name: "microsoft.graph.domain",
        defaults: &[],
        directory: false,
    };
    match segs.as_slice() {
        ["domains"] => match m {
            Method::GET => {
                let all = req
                    .t
                    .store
                    .all_domains()?
                    .into_iter()
                    .map(|d| d.props)
                    .collect();
                list(req, &listing("domains"), all)
            }
            Method::POST => create(req),
            _ => Err(super::unknown(req)),
        },
        ["domains", name, rest @ ..] => {
            let Some(record) = req.t.store.domain(name)? else {
                return Err(GraphError::not_found(name));
            };
            match (rest, m) {
                ([], Method::GET) => {
                    get_one(req, &record.props, &[], "microsoft.graph.domain", "domains")
                }
                ([], Method::PATCH) => update(req, record),
                ([], Method::DELETE) => delete(req, &record),
                (["verificationDnsRecords"], Method::GET) => list(
                    req,
                    &listing("domains('{id}')/verificationDnsRecords"),
                    verification_records(&record),
                ),
                (["verify"], Method::POST) => verify(req, record),
                (["federationConfiguration"], Method::GET) => match record.hidden.get("federation")
                {
                    Some(Value::Object(fed)) => list(
                        req,
                        &listing("domains('{id}')/federationConfiguration"),
                        vec![fed.clone()],
                    ),
                    _ => Err(GraphError::not_found(&format!(
                        "{}/federationConfiguration",
                        record.id()
                    ))),
                },
                (["federationConfiguration"], Method::POST) => federate(req, record),
                (["federationConfiguration", fid], method) => {
                    let fed = match record.hidden.get("federation") {
                        Some(Value::Object(fed))
                            if fed.get("id").and_then(Value::as_str) == Some(*fid) =>
                        {
                            fed.clone()
                        }
                        _ => return Err(GraphError::not_found(fid)),
                    };
                    match method {
                        Method::GET => get_one(
                            req,
                            &fed,
                            &[],
                            "microsoft.graph.internalDomainFederation",
                            "domains('{id}')/federationConfiguration",
                        ),
                        Method::DELETE => {
                            let mut record = record;
                            record.hidden.remove("federation");
                            record
                                .props
                                .insert("authenticationType".to_owned(), json!("Managed"));
                            req.t.store.put_domain(&record)?;
                            Ok(Reply::no_content())
                        }
                        _ => Err(super::unknown(req)),
                    }
                }
                _ => Err(super::unknown(req)),
            }
        }
        _ => Err(super::unknown(req)),
    }
}

fn create(req: &Req) -> GraphResult<Reply> {
    let body = req.body_object()?;
    for key in body.keys() {
        if key != "id" && !key.starts_with("@odata.") {
            return Err(GraphError::bad_request(format!(
                "Property '{key}' cannot be set when a domain is added; only 'id' can."
            )));
        }
    }
    let Some(name) = body
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_lowercase)
    else {
        return Err(GraphError::bad_request(
            "The property 'id' (the domain name) is required.",
        ));
    };
    if !valid_fqdn(&name) {
        return Err(GraphError::bad_request(format!(
            "'{name}' is not a valid domain name."
        )));
    }
    if name.ends_with(".onmicrosoft.com") {
        return Err(GraphError::bad_request(
            "Domains under onmicrosoft.com cannot be added to a tenant.",
        ));
    }
    if req.t.store.domain(&name)?.is_some() {
        return Err(GraphError::bad_request(format!(
            "The domain '{name}' is already in this tenant."
        )));
    }
    let mut record = new_domain(&name, false, false, false);
    // A subdomain of a verified domain is verified with it.
    if let Some(parent) = req.t.store.all_domains()?.into_iter().find(|d| {
        d.props.get("isVerified") == Some(&json!(true)) && name.ends_with(&format!(".{}", d.id()))
    }) {
        record.props.insert("isVerified".to_owned(), json!(true));
        record.props.insert(
            "authenticationType".to_owned(),
            parent.props["authenticationType"].clone(),
        );
    }
    req.t.store.put_domain(&record)?;
    Ok(Reply::created(with_context(req, &record.props)))
}

fn with_context(req: &Req, props: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    out.insert(
        "@odata.context".to_owned(),
        json!(req.context("domains/$entity")),
    );
    out.extend(props.clone());
    Value::Object(out)
}

/// A GUID derived from a name, so a record keeps its id between calls.
fn stable_id(seed: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(seed.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

fn verification_records(record: &Record) -> Vec<Map<String, Value>> {
    let txt = record
        .hidden
        .get("txt")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let code = txt.trim_start_matches("MS=");
    let name = record.id();
    let txt_record = json!({
        "@odata.type": "#microsoft.graph.domainDnsTxtRecord",
        "id": stable_id(&format!("{name}/txt")),
        "isOptional": false,
        "label": name,
        "recordType": "Txt",
        "supportedService": "Email",
        "ttl": 3600,
        "text": txt,
    });
    let mx_record = json!({
        "@odata.type": "#microsoft.graph.domainDnsMxRecord",
        "id": stable_id(&format!("{name}/mx")),
        "isOptional": false,
        "label": name,
        "recordType": "Mx",
        "supportedService": "Email",
        "ttl": 3600,
        "mailExchange": format!("{code}.msv1.invalid"),
        "preference": 32767,
    });
    [txt_record, mx_record]
        .into_iter()
        .filter_map(|v| v.as_object().cloned())
        .collect()
}

fn verify(req: &Req, mut record: Record) -> GraphResult<Reply> {
    if record.props.get("isVerified") != Some(&json!(true)) {
        let dns: BTreeMap<String, Vec<String>> = req.t.store.meta("dns")?.unwrap_or_default();
        let expected = record
            .hidden
            .get("txt")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let published = dns
            .get(record.id())
            .is_some_and(|txts| txts.iter().any(|t| t == expected));
        if !published {
            return Err(GraphError::bad_request(format!(
                "Domain verification failed: no TXT record '{expected}' was found for '{}'. Publish the record from verificationDnsRecords and try again.",
                record.id()
            )));
        }
        let parent_verified = req.t.store.all_domains()?.into_iter().any(|d| {
            d.props.get("isVerified") == Some(&json!(true))
                && record.id().ends_with(&format!(".{}", d.id()))
        });
        record.props.insert("isVerified".to_owned(), json!(true));
        record
            .props
            .insert("isRoot".to_owned(), json!(!parent_verified));
        req.t.store.put_domain(&record)?;
    }
    let mut view = record.props.clone();
    view.insert(
        "availabilityStatus".to_owned(),
        json!("AvailableImmediately"),
    );
    Ok(Reply::ok(with_context(req, &view)))
}

fn update(req: &Req, mut record: Record) -> GraphResult<Reply> {
    let body = req.body_object()?;
    if record.props.get("isVerified") != Some(&json!(true)) {
        return Err(GraphError::bad_request(format!(
            "The domain '{}' is not verified; only verified domains can be updated.",
            record.id()
        )));
    }
    const SERVICES: &[&str] = &[
        "Email",
        "OfficeCommunicationsOnline",
        "Yammer",
        "Sharepoint",
        "EmailInternalRelayOnly",
        "SharePointDefaultDomain",
        "FullRedelegation",
        "SharePointPublic",
        "OrgIdAuthentication",
        "Intune",
    ];
    for (name, value) in &body {
        let ok = match name.as_str() {
            n if n.starts_with("@odata.") => true,
            "isDefault" => value == &json!(true),
            "supportedServices" => value.as_array().is_some_and(|a| {
                a.iter()
                    .all(|s| s.as_str().is_some_and(|s| SERVICES.contains(&s)))
            }),
            "passwordNotificationWindowInDays" | "passwordValidityPeriodInDays" => value.is_i64(),
            "authenticationType" => value == &json!("Managed") || value == &json!("Federated"),
            n if record.props.contains_key(n) => return Err(GraphError::read_only(n)),
            n => {
                return Err(GraphError::bad_request(format!(
                    "The type 'microsoft.graph.domain' has no property named '{n}'."
                )));
            }
        };
        if !ok {
            return Err(GraphError::bad_request(format!(
                "The value given for property '{name}' of the domain is not valid."
            )));
        }
    }
    if body.get("isDefault") == Some(&json!(true)) {
        for mut other in req.t.store.all_domains()? {
            if other.id() != record.id() && other.props.get("isDefault") == Some(&json!(true)) {
                other.props.insert("isDefault".to_owned(), json!(false));
                req.t.store.put_domain(&other)?;
            }
        }
    }
    for (k, v) in body {
        if !k.starts_with("@odata.") {
            record.props.insert(k, v);
        }
    }
    req.t.store.put_domain(&record)?;
    Ok(Reply::no_content())
}

fn delete(req: &Req, record: &Record) -> GraphResult<Reply> {
    if record.props.get("isInitial") == Some(&json!(true))
        || record.props.get("isDefault") == Some(&json!(true))
    {
        return Err(GraphError::bad_request(
            "The initial domain and the default domain cannot be removed.",
        ));
    }
    let suffix = format!("@{}", record.id());
    let in_use = req.t.store.all(Kind::User)?.iter().any(|u| {
        u.str("userPrincipalName")
            .is_some_and(|upn| upn.to_lowercase().ends_with(&suffix))
    });
    if in_use {
        return Err(GraphError::bad_request(format!(
            "The domain '{}' is still used by users.",
            record.id()
        )));
    }
    req.t
        .store
        .domains
        .remove(record.id())
        .map_err(super::super::store::internal)?;
    Ok(Reply::no_content())
}

fn federate(req: &Req, mut record: Record) -> GraphResult<Reply> {
    let body = req.body_object()?;
    if record.props.get("isVerified") != Some(&json!(true))
        || record.props.get("isInitial") == Some(&json!(true))
    {
        return Err(GraphError::bad_request(
            "Only a verified custom domain (not the initial domain) can be federated.",
        ));
    }
    if record.hidden.contains_key("federation") {
        return Err(GraphError::bad_request(format!(
            "The domain '{}' already has a federation configuration.",
            record.id()
        )));
    }
    const STRINGS: &[&str] = &[
        "displayName",
        "issuerUri",
        "metadataExchangeUri",
        "signingCertificate",
        "passiveSignInUri",
        "activeSignInUri",
        "signOutUri",
        "nextSigningCertificate",
    ];
    const ENUMS: &[(&str, &[&str])] = &[
        ("preferredAuthenticationProtocol", &["wsFed", "saml"]),
        (
            "promptLoginBehavior",
            &[
                "translateToFreshPasswordAuthentication",
                "nativeSupport",
                "disabled",
            ],
        ),
        (
            "federatedIdpMfaBehavior",
            &[
                "acceptIfMfaDoneByFederatedIdp",
                "enforceMfaByFederatedIdp",
                "rejectMfaByFederatedIdp",
            ],
        ),
    ];
    let mut fed = Map::new();
    fed.insert(
        "@odata.type".to_owned(),
        json!("#microsoft.graph.internalDomainFederation"),
    );
    fed.insert("id".to_owned(), json!(util::new_id()));
    for name in STRINGS
        .iter()
        .chain(ENUMS.iter().map(|(n, _)| n))
        .chain(["isSignedAuthenticationRequestRequired"].iter())
    {
        fed.insert((*name).to_owned(), Value::Null);
    }
    for (name, value) in &body {
        let ok = if name == "@odata.type" {
            value == "#microsoft.graph.internalDomainFederation"
        } else if STRINGS.contains(&name.as_str()) {
            value.is_string() || value.is_null()
        } else if let Some((_, allowed)) = ENUMS.iter().find(|(n, _)| n == name) {
            value.as_str().is_some_and(|v| allowed.contains(&v))
        } else if name == "isSignedAuthenticationRequestRequired" {
            value.is_boolean()
        } else {
            return Err(GraphError::bad_request(format!(
                "The type 'microsoft.graph.internalDomainFederation' has no property named '{name}'."
            )));
        };
        if !ok {
            return Err(GraphError::bad_request(format!(
                "The value given for property '{name}' is not valid."
            )));
        }
        fed.insert(name.clone(), value.clone());
    }
    for required in ["issuerUri", "passiveSignInUri", "signingCertificate"] {
        if fed.get(required).is_none_or(Value::is_null) {
            return Err(GraphError::bad_request(format!(
                "The property '{required}' is required to federate a domain."
            )));
        }
    }
    fed.insert(
        "signingCertificateUpdateStatus".to_owned(),
        json!({"certificateUpdateResult": "Success", "lastRunDateTime": req.t.timestamp()}),
    );
    record
        .hidden
        .insert("federation".to_owned(), Value::Object(fed.clone()));
    record
        .props
        .insert("authenticationType".to_owned(), json!("Federated"));
    req.t.store.put_domain(&record)?;
    let mut out = Map::new();
    out.insert(
        "@odata.context".to_owned(),
        json!(req.context("domains('{id}')/federationConfiguration/$entity")),
    );
    out.extend(fed);
    Ok(Reply::created(Value::Object(out)))
}
