//! Application registrations and service principals: create, get, list, delete, `addPassword`
//! (the secret is shown once, then only its hash is kept; applications' secrets work with the
//! client credentials grant), `removePassword`, and directory `extensionProperties`.

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::super::errors::{GraphError, GraphResult};
use super::super::store::{Change, Deleted, Kind, Record};
use super::super::util;
use super::{Listing, Reply, Req, get_one, list};

const APP_WRITABLE: &[&str] = &[
    "displayName",
    "description",
    "signInAudience",
    "identifierUris",
    "isFallbackPublicClient",
    "isDeviceOnlyAuthSupported",
    "groupMembershipClaims",
    "optionalClaims",
    "tags",
    "notes",
    "api",
    "appRoles",
    "publicClient",
    "info",
    "requiredResourceAccess",
    "web",
    "spa",
    "tokenEncryptionKeyId",
];

/// The application whose `appId` is given.
pub fn app_by_app_id(
    req_store: &super::super::store::Store,
    app_id: &str,
) -> GraphResult<Option<Record>> {
    match req_store.index_get(&format!("appid:{}", app_id.to_lowercase()))? {
        Some(id) => req_store.get(Kind::Application, &id),
        None => Ok(None),
    }
}

/// `/applications/...` and `/servicePrincipals/...`.
pub fn applications(req: &Req) -> GraphResult<Reply> {
    let m = req.method.clone();
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    let app_listing = Listing {
        context: "applications",
        type_name: "microsoft.graph.application",
        defaults: &[],
        directory: true,
    };
    let sp_listing = Listing {
        context: "servicePrincipals",
        type_name: "microsoft.graph.servicePrincipal",
        defaults: &[],
        directory: true,
    };
    match (segs.as_slice(), m) {
        (["applications"], Method::GET) => list(req, &app_listing, all(req, Kind::Application)?),
        (["applications"], Method::POST) => create_app(req),
        (["servicePrincipals"], Method::GET) => {
            list(req, &sp_listing, all(req, Kind::ServicePrincipal)?)
        }
        (["servicePrincipals"], Method::POST) => create_sp(req),
        (["servicePrincipals", id, "appRoleAssignedTo"], _) => {
            let Some(record) = req.t.store.get(Kind::ServicePrincipal, id)? else {
                return Err(GraphError::not_found(id));
            };
            super::permissions::assignments(req, &record, true)
        }
        (["servicePrincipals", id, "appRoleAssignments"], _) => {
            let Some(record) = req.t.store.get(Kind::ServicePrincipal, id)? else {
                return Err(GraphError::not_found(id));
            };
            super::permissions::assignments(req, &record, false)
        }
        (["servicePrincipals", id], method) => {
            let Some(record) = req.t.store.get(Kind::ServicePrincipal, id)? else {
                return Err(GraphError::not_found(id));
            };
            match method {
                Method::GET => get_one(
                    req,
                    &record.props,
                    &[],
                    "microsoft.graph.servicePrincipal",
                    "servicePrincipals",
                ),
                Method::DELETE => {
                    if let Some(app_id) = record.str("appId") {
                        req.t
                            .store
                            .index_remove(&format!("spappid:{}", app_id.to_lowercase()))?;
                    }
                    req.t.store.remove(Kind::ServicePrincipal, id)?;
                    Ok(Reply::no_content())
                }
                _ => Err(super::unknown(req)),
            }
        }
        (["applications", id, rest @ ..], method) => {
            let Some(record) = req.t.store.get(Kind::Application, id)? else {
                return Err(GraphError::not_found(id));
            };
            match (rest, method) {
                ([], Method::GET) => get_one(
                    req,
                    &record.props,
                    &[],
                    "microsoft.graph.application",
                    "applications",
                ),
                ([], Method::PATCH) => update_app(req, record),
                ([], Method::DELETE) => delete_app(req, record),
                (["addPassword"], Method::POST) => add_password(req, record),
                (["removePassword"], Method::POST) => remove_password(req, record),
                (["extensionProperties"], Method::GET) => {
                    let defs: Vec<Map<String, Value>> = record
                        .hidden
                        .get("extensionProperties")
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(|v| v.as_object().cloned()).collect())
                        .unwrap_or_default();
                    list(
                        req,
                        &Listing {
                            context: "applications('{id}')/extensionProperties",
                            type_name: "microsoft.graph.extensionProperty",
                            defaults: &[],
                            directory: false,
                        },
                        defs,
                    )
                }
                (["extensionProperties"], Method::POST) => add_extension(req, record),
                _ => Err(super::unknown(req)),
            }
        }
        _ => Err(super::unknown(req)),
    }
}

fn all(req: &Req, kind: Kind) -> GraphResult<Vec<Map<String, Value>>> {
    Ok(req
        .t
        .store
        .all(kind)?
        .into_iter()
        .map(|r| r.props)
        .collect())
}

fn check_app_body(body: &Map<String, Value>) -> GraphResult<()> {
    for (name, value) in body {
        if name.starts_with("@odata.") {
            continue;
        }
        if !APP_WRITABLE.contains(&name.as_str()) {
            return Err(GraphError::bad_request(format!(
                "Property '{name}' cannot be set on an application through this emulator, or is read-only."
            )));
        }
        if name == "displayName" && value.as_str().is_none_or(|s| s.trim().is_empty()) {
            return Err(GraphError::bad_request(
                "The value given for property 'displayName' of the application is not valid.",
            ));
        }
        if name == "signInAudience"
            && !value.as_str().is_some_and(|v| {
                [
                    "AzureADMyOrg",
                    "AzureADMultipleOrgs",
                    "AzureADandPersonalMicrosoftAccount",
                    "PersonalMicrosoftAccount",
                ]
                .contains(&v)
            })
        {
            return Err(GraphError::bad_request(
                "The value given for property 'signInAudience' is not valid.",
            ));
        }
    }
    Ok(())
}

fn create_app(req: &Req) -> GraphResult<Reply> {
    let body = req.body_object()?;
    check_app_body(&body)?;
    if body.get("displayName").is_none() {
        return Err(GraphError::bad_request(
            "The property 'displayName' is required when creating an application.",
        ));
    }
    let id = util::new_id();
    let app_id = util::new_id();
    let mut props = json!({
        "id": id,
        "deletedDateTime": null,
        "isFallbackPublicClient": null,
        "appId": app_id,
        "applicationTemplateId": null,
        "identifierUris": [],
        "createdDateTime": req.t.timestamp(),
        "description": null,
        "displayName": "",
        "isDeviceOnlyAuthSupported": null,
        "groupMembershipClaims": null,
        "optionalClaims": null,
        "addIns": [],
        "notes": null,
        "publisherDomain": req.t.initial_domain,
        "signInAudience": "AzureADMyOrg",
        "tags": [],
        "tokenEncryptionKeyId": null,
        "api": {"requestedAccessTokenVersion": null, "acceptMappedClaims": null, "knownClientApplications": [], "oauth2PermissionScopes": [], "preAuthorizedApplications": []},
        "appRoles": [],
        "publicClient": {"redirectUris": []},
        "info": {"termsOfServiceUrl": null, "supportUrl": null, "privacyStatementUrl": null, "marketingUrl": null, "logoUrl": null},
        "keyCredentials": [],
        "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
        "passwordCredentials": [],
        "requiredResourceAccess": [],
        "spa": {"redirectUris": []},
        "web": {"redirectUris": [], "homePageUrl": null, "logoutUrl": null, "implicitGrantSettings": {"enableIdTokenIssuance": false, "enableAccessTokenIssuance": false}},
    });
    for (k, v) in &body {
        if !k.starts_with("@odata.") {
            props[k] = v.clone();
        }
    }
    let record = Record {
        props: props.as_object().cloned().unwrap_or_default(),
        hidden: Map::new(),
    };
    req.t.store.put(Kind::Application, &record)?;
    req.t
        .store
        .index_set(&format!("appid:{}", app_id.to_lowercase()), &id)?;
    req.t.store.record_change(&Change::Created {
        kind: Kind::Application,
        id,
    })?;
    let mut out = Map::new();
    out.insert(
        "@odata.context".to_owned(),
        json!(req.context("applications/$entity")),
    );
    out.extend(record.props);
    Ok(Reply::created(Value::Object(out)))
}

fn update_app(req: &Req, mut record: Record) -> GraphResult<Reply> {
    let body = req.body_object()?;
    check_app_body(&body)?;
    for (k, v) in body {
        if !k.starts_with("@odata.") {
            record.props.insert(k, v);
        }
    }
    req.t.store.put(Kind::Application, &record)?;
    Ok(Reply::no_content())
}

fn delete_app(req: &Req, mut record: Record) -> GraphResult<Reply> {
    let id = record.id().to_owned();
    if let Some(app_id) = record.str("appId") {
        req.t
            .store
            .index_remove(&format!("appid:{}", app_id.to_lowercase()))?;
    }
    record
        .props
        .insert("deletedDateTime".to_owned(), json!(req.t.timestamp()));
    req.t.store.remove(Kind::Application, &id)?;
    req.t.store.put_deleted(&Deleted {
        kind: Kind::Application,
        record,
        member_of: Vec::new(),
    })?;
    req.t.store.record_change(&Change::Deleted {
        kind: Kind::Application,
        id,
        restorable: true,
    })?;
    Ok(Reply::no_content())
}

fn add_password(req: &Req, mut record: Record) -> GraphResult<Reply> {
    let body = if req.body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        req.body_object()?
    };
    let credential = match body.get("passwordCredential") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(c)) => c.clone(),
        Some(_) => {
            return Err(GraphError::bad_request(
                "'passwordCredential' must be an object.",
            ));
        }
    };
    for key in credential.keys() {
        if !["displayName", "startDateTime", "endDateTime"].contains(&key.as_str()) {
            return Err(GraphError::bad_request(format!(
                "'{key}' cannot be set on a new password credential."
            )));
        }
    }
    let now = req.t.now();
    let start = credential
        .get("startDateTime")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| req.t.timestamp());
    let end = credential
        .get("endDateTime")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| {
            super::super::timefmt::graph_timestamp(
                now + std::time::Duration::from_secs(2 * 365 * 24 * 3600),
            )
        });
    let secret = util::random_token(30);
    let key_id = util::new_id();
    let hint: String = secret.chars().take(3).collect();
    let display = credential
        .get("displayName")
        .cloned()
        .unwrap_or(Value::Null);
    let public = json!({
        "customKeyIdentifier": null,
        "displayName": display,
        "endDateTime": end,
        "hint": hint,
        "keyId": key_id,
        "secretText": null,
        "startDateTime": start,
    });
    if let Some(list) = record
        .props
        .get_mut("passwordCredentials")
        .and_then(Value::as_array_mut)
    {
        list.push(public.clone());
    }
    let mut secrets = record.hidden.get("secrets").cloned().unwrap_or(json!([]));
    if let Some(list) = secrets.as_array_mut() {
        list.push(json!({"keyId": key_id, "hash": util::hash_secret(&secret), "end": end}));
    }
    record.hidden.insert("secrets".to_owned(), secrets);
    req.t.store.put(Kind::Application, &record)?;
    let mut out = public;
    out["secretText"] = json!(secret);
    out["@odata.context"] = json!(req.context("microsoft.graph.passwordCredential"));
    Ok(Reply::ok(out))
}

fn remove_password(req: &Req, mut record: Record) -> GraphResult<Reply> {
    let body = req.body_object()?;
    let Some(key_id) = body.get("keyId").and_then(Value::as_str).map(str::to_owned) else {
        return Err(GraphError::bad_request(
            "The body needs the 'keyId' of the credential to remove.",
        ));
    };
    let mut found = false;
    if let Some(list) = record
        .props
        .get_mut("passwordCredentials")
        .and_then(Value::as_array_mut)
    {
        let before = list.len();
        list.retain(|c| c["keyId"].as_str() != Some(&key_id));
        found = list.len() != before;
    }
    if let Some(list) = record
        .hidden
        .get_mut("secrets")
        .and_then(Value::as_array_mut)
    {
        list.retain(|c| c["keyId"].as_str() != Some(&key_id));
    }
    if !found {
        return Err(GraphError::not_found(&key_id));
    }
    req.t.store.put(Kind::Application, &record)?;
    Ok(Reply::no_content())
}

fn add_extension(req: &Req, mut record: Record) -> GraphResult<Reply> {
    let body = req.body_object()?;
    for key in body.keys() {
        if !["name", "dataType", "targetObjects", "isMultiValued"].contains(&key.as_str()) {
            return Err(GraphError::bad_request(format!(
                "The type 'microsoft.graph.extensionProperty' has no settable property '{key}'."
            )));
        }
    }
    let name = body.get("name").and_then(Value::as_str).unwrap_or_default();
    if name.is_empty()
        || name.len() > 100
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(GraphError::bad_request(
            "The extension property 'name' is required and may hold only letters, digits and '_'.",
        ));
    }
    const TYPES: &[&str] = &[
        "Binary",
        "Boolean",
        "DateTime",
        "Integer",
        "LargeInteger",
        "String",
    ];
    let data_type = body
        .get("dataType")
        .and_then(Value::as_str)
        .and_then(|d| TYPES.iter().find(|t| t.eq_ignore_ascii_case(d)))
        .ok_or_else(|| {
            GraphError::bad_request(format!("'dataType' must be one of {}.", TYPES.join(", ")))
        })?;
    const TARGETS: &[&str] = &["User", "Group", "Organization", "Device", "Application"];
    let targets: Vec<&str> = match body.get("targetObjects").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => list
            .iter()
            .map(|t| {
                t.as_str()
                    .and_then(|t| TARGETS.iter().find(|x| x.eq_ignore_ascii_case(t)).copied())
            })
            .collect::<Option<_>>()
            .ok_or_else(|| {
                GraphError::bad_request(format!(
                    "'targetObjects' may hold only {}.",
                    TARGETS.join(", ")
                ))
            })?,
        _ => {
            return Err(GraphError::bad_request(
                "'targetObjects' must list at least one target.",
            ));
        }
    };
    let app_id = record.str("appId").unwrap_or_default().replace('-', "");
    let full_name = format!("extension_{app_id}_{name}");
    let mut defs: Vec<Value> = req.t.store.meta("extensions")?.unwrap_or_default();
    if defs.iter().any(|d| {
        d["name"]
            .as_str()
            .is_some_and(|n| n.eq_ignore_ascii_case(&full_name))
    }) {
        return Err(GraphError::conflict("name"));
    }
    let definition = json!({
        "id": util::new_id(),
        "deletedDateTime": null,
        "appDisplayName": record.props.get("displayName").cloned().unwrap_or(Value::Null),
        "name": full_name,
        "dataType": data_type,
        "isMultiValued": body.get("isMultiValued").and_then(Value::as_bool).unwrap_or(false),
        "isSyncedFromOnPremises": false,
        "targetObjects": targets,
    });
    defs.push(definition.clone());
    req.t.store.set_meta("extensions", &defs)?;
    let mut list = record
        .hidden
        .get("extensionProperties")
        .cloned()
        .unwrap_or(json!([]));
    if let Some(items) = list.as_array_mut() {
        items.push(definition.clone());
    }
    record.hidden.insert("extensionProperties".to_owned(), list);
    req.t.store.put(Kind::Application, &record)?;
    let mut out = definition;
    out["@odata.context"] = json!(req.context("applications('{id}')/extensionProperties/$entity"));
    Ok(Reply::created(out))
}

fn create_sp(req: &Req) -> GraphResult<Reply> {
    let body = req.body_object()?;
    for key in body.keys() {
        if ![
            "appId",
            "accountEnabled",
            "tags",
            "appRoleAssignmentRequired",
            "notes",
            "description",
        ]
        .contains(&key.as_str())
        {
            return Err(GraphError::bad_request(format!(
                "Property '{key}' cannot be set when a service principal is created here."
            )));
        }
    }
    let Some(app_id) = body.get("appId").and_then(Value::as_str).map(str::to_owned) else {
        return Err(GraphError::bad_request(
            "The property 'appId' is required when creating a service principal.",
        ));
    };
    let Some(app) = app_by_app_id(&req.t.store, &app_id)? else {
        return Err(GraphError::bad_request(format!(
            "The appId '{app_id}' does not belong to an application of this tenant."
        )));
    };
    if req
        .t
        .store
        .index_get(&format!("spappid:{}", app_id.to_lowercase()))?
        .is_some()
    {
        return Err(GraphError::conflict("appId"));
    }
    let id = util::new_id();
    let mut props = json!({
        "id": id,
        "deletedDateTime": null,
        "accountEnabled": true,
        "appDisplayName": app.props.get("displayName").cloned().unwrap_or(Value::Null),
        "appId": app.str("appId"),
        "appOwnerOrganizationId": req.t.tenant_id,
        "appRoleAssignmentRequired": false,
        "displayName": app.props.get("displayName").cloned().unwrap_or(Value::Null),
        "homepage": null,
        "logoutUrl": null,
        "publisherName": req.t.initial_domain,
        "replyUrls": [],
        "servicePrincipalNames": [app.str("appId")],
        "servicePrincipalType": "Application",
        "signInAudience": app.props.get("signInAudience").cloned().unwrap_or(Value::Null),
        "tags": [],
        "addIns": [],
        "appRoles": [],
        "info": {"termsOfServiceUrl": null, "supportUrl": null, "privacyStatementUrl": null, "marketingUrl": null, "logoUrl": null},
        "keyCredentials": [],
        "oauth2PermissionScopes": [],
        "passwordCredentials": [],
    });
    for (k, v) in &body {
        props[k] = v.clone();
    }
    let record = Record {
        props: props.as_object().cloned().unwrap_or_default(),
        hidden: Map::new(),
    };
    req.t.store.put(Kind::ServicePrincipal, &record)?;
    req.t
        .store
        .index_set(&format!("spappid:{}", app_id.to_lowercase()), &id)?;
    let mut out = Map::new();
    out.insert(
        "@odata.context".to_owned(),
        json!(req.context("servicePrincipals/$entity")),
    );
    out.extend(record.props);
    Ok(Reply::created(Value::Object(out)))
}
