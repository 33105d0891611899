//! `/users` and `/me`: create, get, list, update (including `passwordProfile`), delete, delta,
//! `$count`, with the property rules of `users-rules.json`.

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::super::errors::{GraphError, GraphResult};
use super::super::store::{Change, Deleted, Kind, Record};
use super::super::util;
use super::{Listing, Reply, Req, delta, get_one, list};

/// Returned without `$select`.
pub const DEFAULTS: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "id",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
];

/// Properties no request may set.
pub const READ_ONLY: &[&str] = &[
    "assignedPlans",
    "createdDateTime",
    "creationType",
    "id",
    "imAddresses",
    "legalAgeGroupClassification",
    "licenseAssignmentStates",
    "onPremisesDistinguishedName",
    "onPremisesDomainName",
    "onPremisesLastSyncDateTime",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "onPremisesUserPrincipalName",
    "provisionedPlans",
    "proxyAddresses",
    "refreshTokensValidFromDateTime",
    "signInSessionsValidFromDateTime",
    // Not in the documented list but computed by the service all the same.
    "assignedLicenses",
    "deletedDateTime",
    "onPremisesProvisioningErrors",
    "securityIdentifier",
];

/// Properties a create or an update may set.
pub const WRITABLE: &[&str] = &[
    "aboutMe",
    "accountEnabled",
    "ageGroup",
    "birthday",
    "businessPhones",
    "city",
    "companyName",
    "consentProvidedForMinor",
    "country",
    "department",
    "displayName",
    "employeeId",
    "employeeType",
    "faxNumber",
    "givenName",
    "hireDate",
    "interests",
    "jobTitle",
    "mail",
    "mailNickname",
    "mobilePhone",
    "mySite",
    "officeLocation",
    "onPremisesExtensionAttributes",
    "onPremisesImmutableId",
    "otherMails",
    "passwordPolicies",
    "passwordProfile",
    "pastProjects",
    "postalCode",
    "preferredLanguage",
    "responsibilities",
    "schools",
    "skills",
    "state",
    "streetAddress",
    "surname",
    "usageLocation",
    "userPrincipalName",
    "userType",
];

const REQUIRED: &[&str] = &[
    "accountEnabled",
    "displayName",
    "mailNickname",
    "passwordProfile",
    "userPrincipalName",
];

const ARRAYS: &[&str] = &[
    "businessPhones",
    "otherMails",
    "interests",
    "pastProjects",
    "responsibilities",
    "schools",
    "skills",
    "imAddresses",
    "proxyAddresses",
    "assignedLicenses",
    "assignedPlans",
    "provisionedPlans",
    "licenseAssignmentStates",
    "onPremisesProvisioningErrors",
];

/// A new user record with every property present.
fn blank_user(id: &str, created: &str) -> Record {
    let mut props = Map::new();
    for name in WRITABLE.iter().chain(READ_ONLY) {
        let empty = if ARRAYS.contains(name) {
            json!([])
        } else {
            Value::Null
        };
        props.insert((*name).to_owned(), empty);
    }
    props.insert("id".to_owned(), json!(id));
    props.insert("createdDateTime".to_owned(), json!(created));
    props.insert("userType".to_owned(), json!("Member"));
    props.insert("accountEnabled".to_owned(), json!(true));
    props.insert("passwordProfile".to_owned(), Value::Null);
    Record {
        props,
        hidden: Map::new(),
    }
}

/// Creates a user directly (the seeded administrators), bypassing request checks.
pub fn seed_user(
    t: &super::super::state::Tenant,
    upn: &str,
    display: &str,
    password_hash: &str,
    mfa: bool,
) -> GraphResult<String> {
    if let Some(id) = t.store.index_get(&format!("upn:{}", upn.to_lowercase()))? {
        if let Some(mut record) = t.store.get(Kind::User, &id)? {
            record
                .hidden
                .insert("passwordHash".to_owned(), json!(password_hash));
            t.store.put(Kind::User, &record)?;
        }
        return Ok(id);
    }
    let id = util::new_id();
    let mut record = blank_user(&id, &t.timestamp());
    record
        .props
        .insert("displayName".to_owned(), json!(display));
    record
        .props
        .insert("userPrincipalName".to_owned(), json!(upn));
    record.props.insert(
        "mailNickname".to_owned(),
        json!(upn.split('@').next().unwrap_or(upn)),
    );
    record
        .hidden
        .insert("passwordHash".to_owned(), json!(password_hash));
    if mfa {
        record.hidden.insert("mfaRequired".to_owned(), json!(true));
    }
    t.store.put(Kind::User, &record)?;
    t.store
        .index_set(&format!("upn:{}", upn.to_lowercase()), &id)?;
    t.store.record_change(&Change::Created {
        kind: Kind::User,
        id: id.clone(),
    })?;
    Ok(id)
}

/// Checks a directory extension value in a create or update body of a `target` (`User`,
/// `Group`): the property must be registered for that target, and the value must fit its
/// documented data type (strings up to 256 characters, binary up to 256 bytes in base64,
/// 32- and 64-bit integers, booleans, ISO 8601 times), as an array when it is multi-valued.
/// `null` clears it.
pub fn check_extension(req: &Req, name: &str, value: &Value, target: &str) -> GraphResult<()> {
    let defs: Vec<Value> = req.t.store.meta("extensions")?.unwrap_or_default();
    let Some(def) = defs.iter().find(|d| {
        d["name"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
            && d["targetObjects"]
                .as_array()
                .is_some_and(|ts| ts.iter().any(|t| t.as_str() == Some(target)))
    }) else {
        return Err(GraphError::bad_request(format!(
            "Property '{name}' is neither a declared property nor a registered extension property of '{target}'."
        )));
    };
    if value.is_null() {
        return Ok(());
    }
    let data_type = def["dataType"].as_str().unwrap_or("String");
    let fits = |v: &Value| match data_type {
        "String" => v.as_str().is_some_and(|s| s.chars().count() <= 256),
        "Binary" => v.as_str().is_some_and(|s| {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .is_ok_and(|b| b.len() <= 256)
        }),
        "Boolean" => v.is_boolean(),
        "Integer" => v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
        "LargeInteger" => v.is_i64(),
        "DateTime" => v.as_str().is_some_and(|s| {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
        }),
        _ => false,
    };
    let ok = if def["isMultiValued"].as_bool() == Some(true) {
        value.as_array().is_some_and(|a| a.iter().all(fits))
    } else {
        fits(value)
    };
    if ok {
        Ok(())
    } else {
        Err(GraphError::bad_request(format!(
            "The value given for extension property '{name}' does not match its data type {data_type}{}.",
            if def["isMultiValued"].as_bool() == Some(true) {
                " (a collection)"
            } else {
                ""
            }
        )))
    }
}

/// Looks a user up by id or userPrincipalName.
pub fn find_user(req: &Req, key: &str) -> GraphResult<Option<Record>> {
    if let Some(record) = req.t.store.get(Kind::User, key)? {
        return Ok(Some(record));
    }
    if key.contains('@')
        && let Some(id) = req
            .t
            .store
            .index_get(&format!("upn:{}", key.to_lowercase()))?
    {
        return req.t.store.get(Kind::User, &id);
    }
    Ok(None)
}

/// The `/users` and `/me` routes.
pub fn users(req: &Req) -> GraphResult<Reply> {
    let m = &req.method;
    let (key, rest): (String, Vec<&str>) = if req.seg(0) == "me" {
        (
            req.me()?,
            req.segs[1..].iter().map(String::as_str).collect(),
        )
    } else if req.segs.len() == 1 {
        return match *m {
            Method::GET => {
                let all: Vec<Map<String, Value>> = req.t.store.all_props(Kind::User)?;
                list(req, &listing(), all)
            }
            Method::POST => create(req),
            _ => Err(super::unknown(req)),
        };
    } else {
        (
            req.seg(1).to_owned(),
            req.segs[2..].iter().map(String::as_str).collect(),
        )
    };
    match (key.as_str(), rest.as_slice()) {
        ("$count", []) if *m == Method::GET => {
            let all: Vec<Map<String, Value>> = req.t.store.all_props(Kind::User)?;
            super::count(req, &all)
        }
        ("delta", []) if *m == Method::GET => delta::delta(req, Kind::User),
        (_, []) => {
            let Some(record) = find_user(req, &key)? else {
                return Err(GraphError::not_found(&key));
            };
            match *m {
                Method::GET => get_one(
                    req,
                    &record.props,
                    DEFAULTS,
                    Kind::User.type_name(),
                    "users",
                ),
                Method::PATCH => update(req, record),
                Method::DELETE => delete(req, record),
                _ => Err(super::unknown(req)),
            }
        }
        (_, ["memberOf"]) if *m == Method::GET => {
            let Some(record) = find_user(req, &key)? else {
                return Err(GraphError::not_found(&key));
            };
            let mut groups = Vec::new();
            for gid in req.t.store.groups_of(record.id())? {
                if let Some(g) = req.t.store.get(Kind::Group, &gid)? {
                    groups.push(super::groups::directory_object(Kind::Group, &g.props));
                }
            }
            list(
                req,
                &Listing {
                    context: "directoryObjects",
                    type_name: "microsoft.graph.directoryObject",
                    defaults: &[],
                    directory: true,
                },
                groups,
            )
        }
        _ => Err(super::unknown(req)),
    }
}

fn listing() -> Listing<'static> {
    Listing {
        context: "users",
        type_name: "microsoft.graph.user",
        defaults: DEFAULTS,
        directory: true,
    }
}

fn invalid_value(property: &str) -> GraphError {
    GraphError::bad_request(format!(
        "The value given for property '{property}' of resource 'User' is not valid."
    ))
}

/// Checks the names and JSON types of the properties in a create or update body.
fn check_properties(req: &Req, body: &Map<String, Value>) -> GraphResult<()> {
    for (name, value) in body {
        if name.starts_with("@odata.") {
            continue;
        }
        if READ_ONLY.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            return Err(GraphError::read_only(name));
        }
        if name.contains("@odata.bind") {
            return Err(GraphError::bad_request(format!(
                "The emulator does not support binding '{name}' on a user."
            )));
        }
        if name.starts_with("extension_") {
            check_extension(req, name, value, "User")?;
            continue;
        }
        if !WRITABLE.iter().any(|w| w == name) {
            return Err(GraphError::bad_request(format!(
                "Property '{name}' is neither a declared property nor a registered extension property of 'User'."
            )));
        }
        let ok = match name.as_str() {
            "accountEnabled" => value.is_boolean(),
            "passwordProfile" => value.is_object(),
            "onPremisesExtensionAttributes" => value.is_object() || value.is_null(),
            n if ARRAYS.contains(&n) => value
                .as_array()
                .is_some_and(|a| a.iter().all(Value::is_string)),
            _ => value.is_string() || value.is_null(),
        };
        if !ok {
            return Err(invalid_value(name));
        }
    }
    if let Some(phones) = body.get("businessPhones").and_then(Value::as_array)
        && phones.len() > 1
    {
        return Err(GraphError::bad_request(
            "Only one business phone number can be set on a user.",
        ));
    }
    for name in ["displayName", "userPrincipalName", "mailNickname"] {
        if let Some(v) = body.get(name)
            && v.as_str()
                .is_none_or(|s| s.trim().is_empty() || s.len() > 256)
        {
            return Err(invalid_value(name));
        }
    }
    if let Some(nick) = body.get("mailNickname").and_then(Value::as_str)
        && (nick.len() > 64
            || nick
                .chars()
                .any(|c| !c.is_ascii() || "@()\\[]\";:<>, ".contains(c)))
    {
        return Err(invalid_value("mailNickname"));
    }
    Ok(())
}

/// The password rules: 8 to 256 characters, three of upper, lower, digit, symbol.
fn check_password(profile: &Value) -> GraphResult<Option<String>> {
    let Some(profile) = profile.as_object() else {
        return Err(invalid_value("passwordProfile"));
    };
    for (k, v) in profile {
        let ok = match k.as_str() {
            "password" => v.is_string(),
            "forceChangePasswordNextSignIn" | "forceChangePasswordNextSignInWithMfa" => {
                v.is_boolean()
            }
            _ => false,
        };
        if !ok {
            return Err(invalid_value("passwordProfile"));
        }
    }
    let Some(password) = profile.get("password").and_then(Value::as_str) else {
        return Ok(None);
    };
    let classes = [
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if password.chars().count() < 8
        || password.len() > 256
        || classes.iter().filter(|c| **c).count() < 3
    {
        return Err(GraphError::bad_request(
            "The password does not meet the complexity rules: 8 to 256 characters with three of upper case, lower case, digits and symbols.",
        ));
    }
    Ok(Some(util::hash_secret(password)))
}

/// The domain part of a UPN if it is a verified domain of the tenant, with its record.
fn upn_domain(req: &Req, upn: &str) -> GraphResult<Record> {
    let valid_alias = |alias: &str| {
        !alias.is_empty()
            && alias.len() <= 113
            && !alias.starts_with('.')
            && !alias.ends_with('.')
            && alias
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "'.-_!#^~".contains(c))
    };
    let Some((alias, domain)) = upn.rsplit_once('@') else {
        return Err(invalid_value("userPrincipalName"));
    };
    if !valid_alias(alias) {
        return Err(invalid_value("userPrincipalName"));
    }
    match req.t.store.domain(domain)? {
        Some(record) if record.props.get("isVerified") == Some(&json!(true)) => Ok(record),
        _ => Err(GraphError::bad_request(format!(
            "The domain '{domain}' of userPrincipalName is not a verified domain of this organization; use one of its verified domains."
        ))),
    }
}

fn check_immutable_id(req: &Req, value: &str, own_id: Option<&str>) -> GraphResult<()> {
    if value.is_empty() || value.contains('$') || value.contains('_') || value.len() > 512 {
        return Err(GraphError::bad_request(
            "onPremisesImmutableId must not be empty and must not contain '$' or '_'.",
        ));
    }
    match req.t.store.index_get(&format!("immutable:{value}"))? {
        Some(id) if Some(id.as_str()) != own_id => {
            Err(GraphError::conflict("onPremisesImmutableId"))
        }
        _ => Ok(()),
    }
}

fn check_upn_free(req: &Req, upn: &str, own_id: Option<&str>) -> GraphResult<()> {
    match req
        .t
        .store
        .index_get(&format!("upn:{}", upn.to_lowercase()))?
    {
        Some(id) if Some(id.as_str()) != own_id => Err(GraphError::conflict("userPrincipalName")),
        _ => Ok(()),
    }
}

fn create(req: &Req) -> GraphResult<Reply> {
    let body = req.body_object()?;
    check_properties(req, &body)?;
    for name in REQUIRED {
        if body.get(*name).is_none_or(Value::is_null) {
            return Err(GraphError::bad_request(format!(
                "The property '{name}' is required when creating a user."
            )));
        }
    }
    let upn = body["userPrincipalName"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let domain = upn_domain(req, &upn)?;
    let immutable = body.get("onPremisesImmutableId").and_then(Value::as_str);
    if super::domains::is_federated(&domain) && immutable.is_none() {
        return Err(GraphError::bad_request(format!(
            "onPremisesImmutableId is required for a user whose userPrincipalName is in the federated domain '{}'.",
            domain.id()
        )));
    }
    if let Some(value) = immutable {
        check_immutable_id(req, value, None)?;
    }
    let Some(hash) = check_password(&body["passwordProfile"])? else {
        return Err(GraphError::bad_request(
            "passwordProfile.password is required when creating a user.",
        ));
    };
    check_upn_free(req, &upn, None)?;

    let id = util::new_id();
    let mut record = blank_user(&id, &req.t.timestamp());
    for (k, v) in &body {
        if k != "passwordProfile" && !k.starts_with("@odata.") {
            record.props.insert(k.clone(), v.clone());
        }
    }
    record.hidden.insert("passwordHash".to_owned(), json!(hash));
    req.t.store.put(Kind::User, &record)?;
    req.t
        .store
        .index_set(&format!("upn:{}", upn.to_lowercase()), &id)?;
    if let Some(value) = immutable {
        req.t.store.index_set(&format!("immutable:{value}"), &id)?;
    }
    req.t.store.record_change(&Change::Created {
        kind: Kind::User,
        id: id.clone(),
    })?;
    let mut out = Map::new();
    out.insert(
        "@odata.context".to_owned(),
        json!(req.context("users/$entity")),
    );
    out.extend(super::super::odata::project(&record.props, None, DEFAULTS));
    Ok(Reply::created(Value::Object(out)))
}

fn update(req: &Req, mut record: Record) -> GraphResult<Reply> {
    let body = req.body_object()?;
    check_properties(req, &body)?;
    let id = record.id().to_owned();
    let current_upn = record
        .str("userPrincipalName")
        .unwrap_or_default()
        .to_owned();
    let new_upn = body
        .get("userPrincipalName")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let upn = new_upn.clone().unwrap_or_else(|| current_upn.clone());
    let domain = upn_domain(req, &upn)?;
    let federated = super::domains::is_federated(&domain);
    if let Some(v) = &new_upn {
        check_upn_free(req, v, Some(&id))?;
    }
    let old_immutable = record.str("onPremisesImmutableId").map(str::to_owned);
    let new_immutable = match body.get("onPremisesImmutableId") {
        Some(Value::String(v)) => {
            check_immutable_id(req, v, Some(&id))?;
            Some(Some(v.clone()))
        }
        Some(_) => Some(None),
        None => None,
    };
    let final_immutable = new_immutable.clone().unwrap_or(old_immutable.clone());
    if federated && final_immutable.is_none() {
        return Err(GraphError::bad_request(format!(
            "onPremisesImmutableId is required for a user whose userPrincipalName is in the federated domain '{}'.",
            domain.id()
        )));
    }
    let mut hash = None;
    if let Some(profile) = body.get("passwordProfile") {
        if !super::permissions::may_reset_passwords(req)? {
            return Err(GraphError::new(
                axum::http::StatusCode::FORBIDDEN,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            ));
        }
        if federated {
            return Err(GraphError::bad_request(
                "passwordProfile cannot be set on a user of a federated domain.",
            ));
        }
        hash = check_password(profile)?;
    }

    for (k, v) in &body {
        if k != "passwordProfile" && !k.starts_with("@odata.") {
            record.props.insert(k.clone(), v.clone());
        }
    }
    if let Some(hash) = hash {
        record.hidden.insert("passwordHash".to_owned(), json!(hash));
    }
    req.t.store.put(Kind::User, &record)?;
    if let Some(v) = new_upn {
        req.t
            .store
            .index_remove(&format!("upn:{}", current_upn.to_lowercase()))?;
        req.t
            .store
            .index_set(&format!("upn:{}", v.to_lowercase()), &id)?;
    }
    if new_immutable.is_some() {
        if let Some(old) = old_immutable {
            req.t.store.index_remove(&format!("immutable:{old}"))?;
        }
        if let Some(new) = final_immutable {
            req.t.store.index_set(&format!("immutable:{new}"), &id)?;
        }
    }
    let props: Vec<String> = body
        .keys()
        .filter(|k| !k.starts_with("@odata."))
        .cloned()
        .collect();
    req.t.store.record_change(&Change::Updated {
        kind: Kind::User,
        id,
        props,
    })?;
    Ok(Reply::no_content())
}

fn delete(req: &Req, mut record: Record) -> GraphResult<Reply> {
    let id = record.id().to_owned();
    let member_of = req.t.store.groups_of(&id)?;
    for group in &member_of {
        req.t.store.remove_member(group, &id)?;
        req.t.store.record_change(&Change::Member {
            group: group.clone(),
            member: id.clone(),
            member_kind: Kind::User,
            added: false,
        })?;
    }
    release_indexes(req, &record)?;
    record
        .props
        .insert("deletedDateTime".to_owned(), json!(req.t.timestamp()));
    req.t.store.remove(Kind::User, &id)?;
    req.t.store.put_deleted(&Deleted {
        kind: Kind::User,
        record,
        member_of,
    })?;
    req.t.store.record_change(&Change::Deleted {
        kind: Kind::User,
        id,
        restorable: true,
    })?;
    Ok(Reply::no_content())
}

/// Frees the unique values a user holds.
pub fn release_indexes(req: &Req, record: &Record) -> GraphResult<()> {
    if let Some(upn) = record.str("userPrincipalName") {
        req.t
            .store
            .index_remove(&format!("upn:{}", upn.to_lowercase()))?;
    }
    if let Some(v) = record.str("onPremisesImmutableId") {
        req.t.store.index_remove(&format!("immutable:{v}"))?;
    }
    Ok(())
}

/// Takes the unique values of a user being restored, or refuses when another object holds them.
pub fn claim_indexes(req: &Req, record: &Record) -> GraphResult<()> {
    let id = record.id();
    if let Some(upn) = record.str("userPrincipalName") {
        check_upn_free(req, upn, Some(id))?;
    }
    if let Some(v) = record.str("onPremisesImmutableId") {
        check_immutable_id(req, v, Some(id))?;
    }
    if let Some(upn) = record.str("userPrincipalName") {
        req.t
            .store
            .index_set(&format!("upn:{}", upn.to_lowercase()), id)?;
    }
    if let Some(v) = record.str("onPremisesImmutableId") {
        req.t.store.index_set(&format!("immutable:{v}"), id)?;
    }
    Ok(())
}
