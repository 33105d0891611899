//! `/groups`: create (security and Microsoft 365), get, list, update (with
//! `members@odata.bind`, at most 20, all or nothing), delete, members (list, add by `$ref`,
//! remove), `validateProperties`, delta and `$count`.

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::super::errors::{GraphError, GraphResult};
use super::super::store::{Change, Deleted, Kind, Record};
use super::super::util;
use super::{Listing, Reply, Req, delta, get_one, id_from_url, list};

/// Returned without `$select` (the documented default set).
pub const DEFAULTS: &[&str] = &[
    "id",
    "deletedDateTime",
    "classification",
    "createdDateTime",
    "creationOptions",
    "description",
    "displayName",
    "expirationDateTime",
    "groupTypes",
    "isAssignableToRole",
    "mail",
    "mailEnabled",
    "mailNickname",
    "membershipRule",
    "membershipRuleProcessingState",
    "onPremisesDomainName",
    "onPremisesLastSyncDateTime",
    "onPremisesNetBiosName",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "preferredDataLocation",
    "preferredLanguage",
    "proxyAddresses",
    "renewedDateTime",
    "resourceBehaviorOptions",
    "resourceProvisioningOptions",
    "securityEnabled",
    "securityIdentifier",
    "theme",
    "visibility",
    "onPremisesProvisioningErrors",
];

const READ_ONLY: &[&str] = &[
    "id",
    "deletedDateTime",
    "createdDateTime",
    "creationOptions",
    "expirationDateTime",
    "mail",
    "onPremisesDomainName",
    "onPremisesLastSyncDateTime",
    "onPremisesNetBiosName",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "onPremisesProvisioningErrors",
    "proxyAddresses",
    "renewedDateTime",
    "securityIdentifier",
];

/// Settable on create only.
const CREATE_ONLY: &[&str] = &[
    "groupTypes",
    "isAssignableToRole",
    "mailEnabled",
    "resourceBehaviorOptions",
    "resourceProvisioningOptions",
];

const WRITABLE: &[&str] = &[
    "classification",
    "description",
    "displayName",
    "mailNickname",
    "membershipRule",
    "membershipRuleProcessingState",
    "preferredDataLocation",
    "preferredLanguage",
    "securityEnabled",
    "theme",
    "visibility",
];

const REQUIRED: &[&str] = &[
    "displayName",
    "mailEnabled",
    "mailNickname",
    "securityEnabled",
];

const MAX_BINDS: usize = 20;

fn invalid_value(property: &str) -> GraphError {
    GraphError::bad_request(format!(
        "The value given for property '{property}' of resource 'Group' is not valid."
    ))
}

/// The `/groups` routes.
pub fn groups(req: &Req) -> GraphResult<Reply> {
    let m = &req.method;
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    match segs.as_slice() {
        ["groups"] => match *m {
            Method::GET => list(req, &listing(), all(req)?),
            Method::POST => create(req),
            _ => Err(super::unknown(req)),
        },
        ["groups", "$count"] if *m == Method::GET => super::count(req, &all(req)?),
        ["groups", "delta"] if *m == Method::GET => delta::delta(req, Kind::Group),
        ["groups", id, rest @ ..] => {
            let Some(record) = req.t.store.get(Kind::Group, id)? else {
                return Err(GraphError::not_found(id));
            };
            match (rest, m.clone()) {
                ([], Method::GET) => get_one(
                    req,
                    &record.props,
                    DEFAULTS,
                    Kind::Group.type_name(),
                    "groups",
                ),
                ([], Method::PATCH) => update(req, record),
                ([], Method::DELETE) => delete(req, record),
                (["members"], Method::GET) => members(req, &record, None),
                (["members", cast], Method::GET) if cast.starts_with("microsoft.graph.") => {
                    let kind = Kind::from_type_name(cast).ok_or_else(|| super::unknown(req))?;
                    members(req, &record, Some(kind))
                }
                (["members", "$ref"], Method::POST) => add_member_ref(req, &record),
                (["members", member, "$ref"], Method::DELETE) => {
                    remove_member(req, &record, member)
                }
                (["validateProperties"], Method::POST) => validate(req, &record),
                _ => Err(super::unknown(req)),
            }
        }
        _ => Err(super::unknown(req)),
    }
}

fn all(req: &Req) -> GraphResult<Vec<Map<String, Value>>> {
    req.t.store.all_props(Kind::Group)
}

fn listing() -> Listing<'static> {
    Listing {
        context: "groups",
        type_name: "microsoft.graph.group",
        defaults: DEFAULTS,
        directory: true,
    }
}

/// A SID in the form the cloud gives groups: `S-1-12-1-` and the id as four numbers.
fn security_identifier(id: &str) -> String {
    let bytes = uuid::Uuid::parse_str(id)
        .map(|u| *u.as_bytes())
        .unwrap_or([0; 16]);
    let parts: Vec<String> = bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]).to_string())
        .collect();
    format!("S-1-12-1-{}", parts.join("-"))
}

fn check_nickname(nick: &str) -> GraphResult<()> {
    if nick.is_empty()
        || nick.len() > 64
        || nick
            .chars()
            .any(|c| !c.is_ascii() || "@()\\[]\";:.<>, ".contains(c))
    {
        return Err(invalid_value("mailNickname"));
    }
    Ok(())
}

fn nickname_owner(req: &Req, nick: &str) -> GraphResult<Option<String>> {
    req.t
        .store
        .index_get(&format!("groupnick:{}", nick.to_lowercase()))
}

/// The object ids of a `…@odata.bind` array, each required to exist.
fn bound_ids(req: &Req, name: &str, value: &Value) -> GraphResult<Vec<(String, Kind)>> {
    let Some(urls) = value.as_array() else {
        return Err(invalid_value(name));
    };
    let mut out = Vec::new();
    for url in urls {
        let Some(url) = url.as_str() else {
            return Err(invalid_value(name));
        };
        let id = id_from_url(url);
        match req.t.store.find(&id)? {
            Some((kind, record)) if kind != Kind::Application => {
                out.push((record.id().to_owned(), kind))
            }
            _ => return Err(GraphError::not_found(&id)),
        }
    }
    Ok(out)
}

fn check_properties(req: &Req, body: &Map<String, Value>, creating: bool) -> GraphResult<()> {
    for (name, value) in body {
        if name.starts_with("@odata.")
            || name == "members@odata.bind"
            || name == "owners@odata.bind"
        {
            continue;
        }
        if name.starts_with("extension_") {
            super::users::check_extension(req, name, value, "Group")?;
            continue;
        }
        if READ_ONLY.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            return Err(GraphError::read_only(name));
        }
        let create_only = CREATE_ONLY.contains(&name.as_str());
        if create_only && !creating {
            return Err(GraphError::bad_request(format!(
                "Property '{name}' can only be set when the group is created."
            )));
        }
        if !create_only && !WRITABLE.contains(&name.as_str()) {
            return Err(GraphError::bad_request(format!(
                "Property '{name}' is neither a declared property nor a registered extension property of 'Group'."
            )));
        }
        let ok = match name.as_str() {
            "mailEnabled" | "securityEnabled" => value.is_boolean(),
            "isAssignableToRole" => value.is_boolean() || value.is_null(),
            "groupTypes" | "resourceBehaviorOptions" | "resourceProvisioningOptions" => value
                .as_array()
                .is_some_and(|a| a.iter().all(Value::is_string)),
            "displayName" => value
                .as_str()
                .is_some_and(|s| !s.trim().is_empty() && s.len() <= 256),
            "description" => value.is_null() || value.as_str().is_some_and(|s| s.len() <= 1024),
            "visibility" => {
                value.is_null()
                    || value
                        .as_str()
                        .is_some_and(|v| ["Private", "Public", "HiddenMembership"].contains(&v))
            }
            _ => value.is_string() || value.is_null(),
        };
        if !ok {
            return Err(invalid_value(name));
        }
    }
    if let Some(nick) = body.get("mailNickname").and_then(Value::as_str) {
        check_nickname(nick)?;
    }
    Ok(())
}

fn create(req: &Req) -> GraphResult<Reply> {
    let body = req.body_object()?;
    check_properties(req, &body, true)?;
    for name in REQUIRED {
        if body.get(*name).is_none_or(Value::is_null) {
            return Err(GraphError::bad_request(format!(
                "The property '{name}' is required when creating a group."
            )));
        }
    }
    let types: Vec<String> = body
        .get("groupTypes")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if types
        .iter()
        .any(|t| t != "Unified" && t != "DynamicMembership")
    {
        return Err(invalid_value("groupTypes"));
    }
    let unified = types.iter().any(|t| t == "Unified");
    let dynamic = types.iter().any(|t| t == "DynamicMembership");
    let mail_enabled = body["mailEnabled"] == json!(true);
    let security_enabled = body["securityEnabled"] == json!(true);
    if !unified && (mail_enabled || !security_enabled) {
        return Err(GraphError::bad_request(
            "Only Microsoft 365 groups (groupTypes Unified, mailEnabled true) and security groups (mailEnabled false, securityEnabled true) can be created here.",
        ));
    }
    if unified && !mail_enabled {
        return Err(GraphError::bad_request(
            "A Microsoft 365 group must be mail-enabled.",
        ));
    }
    if dynamic && body.get("membershipRule").is_none_or(Value::is_null) {
        return Err(GraphError::bad_request(
            "A dynamic group needs a membershipRule.",
        ));
    }
    if body.get("isAssignableToRole") == Some(&json!(true)) && (!security_enabled || dynamic) {
        return Err(GraphError::bad_request(
            "A role-assignable group must be a security group and cannot be dynamic.",
        ));
    }
    let nick = body["mailNickname"].as_str().unwrap_or_default().to_owned();
    if nickname_owner(req, &nick)?.is_some() {
        return Err(GraphError::conflict("mailNickname"));
    }
    let members = body
        .get("members@odata.bind")
        .map(|v| bound_ids(req, "members@odata.bind", v))
        .transpose()?
        .unwrap_or_default();
    let owners = body
        .get("owners@odata.bind")
        .map(|v| bound_ids(req, "owners@odata.bind", v))
        .transpose()?
        .unwrap_or_default();
    if members.len() + owners.len() > MAX_BINDS {
        return Err(GraphError::bad_request(format!(
            "At most {MAX_BINDS} owners and members can be added when a group is created."
        )));
    }

    let id = util::new_id();
    let now = req.t.timestamp();
    let mut props = Map::new();
    for name in DEFAULTS {
        props.insert((*name).to_owned(), Value::Null);
    }
    for name in [
        "creationOptions",
        "groupTypes",
        "proxyAddresses",
        "resourceBehaviorOptions",
        "resourceProvisioningOptions",
        "onPremisesProvisioningErrors",
    ] {
        props.insert(name.to_owned(), json!([]));
    }
    for (k, v) in &body {
        if !k.contains('@') {
            props.insert(k.clone(), v.clone());
        }
    }
    props.insert("id".to_owned(), json!(id));
    props.insert("createdDateTime".to_owned(), json!(now));
    props.insert("renewedDateTime".to_owned(), json!(now));
    props.insert(
        "securityIdentifier".to_owned(),
        json!(security_identifier(&id)),
    );
    if unified {
        let domain = default_domain(req)?;
        let mail = format!("{nick}@{domain}");
        props.insert("mail".to_owned(), json!(mail));
        props.insert("proxyAddresses".to_owned(), json!([format!("SMTP:{mail}")]));
        if props["visibility"].is_null() {
            props.insert("visibility".to_owned(), json!("Public"));
        }
    }
    let record = Record {
        props,
        hidden: Map::new(),
    };
    req.t.store.put(Kind::Group, &record)?;
    req.t
        .store
        .index_set(&format!("groupnick:{}", nick.to_lowercase()), &id)?;
    req.t.store.record_change(&Change::Created {
        kind: Kind::Group,
        id: id.clone(),
    })?;
    for (member, kind) in &members {
        add(req, &id, member, *kind)?;
    }
    let owner_ids: Vec<Value> = owners.iter().map(|(o, _)| json!(o)).collect();
    if !owner_ids.is_empty() {
        let mut record = record.clone();
        record
            .hidden
            .insert("owners".to_owned(), Value::Array(owner_ids));
        req.t.store.put(Kind::Group, &record)?;
    }
    let mut out = Map::new();
    out.insert(
        "@odata.context".to_owned(),
        json!(req.context("groups/$entity")),
    );
    out.insert(
        "@odata.id".to_owned(),
        json!(format!(
            "{}/v2/{}/directoryObjects/{id}/Microsoft.DirectoryServices.Group",
            req.base, req.t.tenant_id
        )),
    );
    out.extend(super::super::odata::project(&record.props, None, DEFAULTS));
    Ok(Reply::created(Value::Object(out)))
}

/// The tenant's default domain name.
pub fn default_domain(req: &Req) -> GraphResult<String> {
    Ok(req
        .t
        .store
        .all_domains()?
        .into_iter()
        .find(|d| d.props.get("isDefault") == Some(&json!(true)))
        .map(|d| d.id().to_owned())
        .unwrap_or_else(|| req.t.initial_domain.clone()))
}

fn add(req: &Req, group: &str, member: &str, kind: Kind) -> GraphResult<()> {
    req.t.store.add_member(group, member, kind)?;
    req.t.store.record_change(&Change::Member {
        group: group.to_owned(),
        member: member.to_owned(),
        member_kind: kind,
        added: true,
    })?;
    Ok(())
}

fn update(req: &Req, mut record: Record) -> GraphResult<Reply> {
    let body = req.body_object()?;
    check_properties(req, &body, false)?;
    let id = record.id().to_owned();
    if body.contains_key("owners@odata.bind") {
        return Err(GraphError::bad_request(
            "The emulator does not support changing owners with owners@odata.bind on PATCH.",
        ));
    }
    let members = match body.get("members@odata.bind") {
        Some(value) => {
            if value.as_array().is_some_and(|a| a.len() > MAX_BINDS) {
                return Err(GraphError::bad_request(format!(
                    "At most {MAX_BINDS} members can be added in one request with members@odata.bind."
                )));
            }
            let ids = bound_ids(req, "members@odata.bind", value)?;
            let mut seen = std::collections::HashSet::new();
            for (member, _) in &ids {
                if req.t.store.is_member(&id, member)? || !seen.insert(member.to_lowercase()) {
                    return Err(already_member(member));
                }
            }
            ids
        }
        None => Vec::new(),
    };
    if let Some(nick) = body.get("mailNickname").and_then(Value::as_str)
        && nickname_owner(req, nick)?.is_some_and(|owner| owner != id)
    {
        return Err(GraphError::conflict("mailNickname"));
    }
    let old_nick = record.str("mailNickname").map(str::to_owned);
    let mut changed = Vec::new();
    for (k, v) in &body {
        if !k.contains('@') {
            record.props.insert(k.clone(), v.clone());
            changed.push(k.clone());
        }
    }
    if !changed.is_empty() {
        req.t.store.put(Kind::Group, &record)?;
        if let Some(nick) = body.get("mailNickname").and_then(Value::as_str) {
            if let Some(old) = old_nick {
                req.t
                    .store
                    .index_remove(&format!("groupnick:{}", old.to_lowercase()))?;
            }
            req.t
                .store
                .index_set(&format!("groupnick:{}", nick.to_lowercase()), &id)?;
        }
        req.t.store.record_change(&Change::Updated {
            kind: Kind::Group,
            id: id.clone(),
            props: changed,
        })?;
    }
    for (member, kind) in members {
        add(req, &id, &member, kind)?;
    }
    Ok(Reply::no_content())
}

fn already_member(member: &str) -> GraphError {
    GraphError::bad_request(format!(
        "The object '{member}' is already a member of this group."
    ))
}

fn delete(req: &Req, mut record: Record) -> GraphResult<Reply> {
    let id = record.id().to_owned();
    let unified = record
        .props
        .get("groupTypes")
        .and_then(Value::as_array)
        .is_some_and(|a| a.contains(&json!("Unified")));
    for (member, _) in req.t.store.members(&id)? {
        req.t.store.remove_member(&id, &member)?;
    }
    let member_of = req.t.store.groups_of(&id)?;
    for group in &member_of {
        req.t.store.remove_member(group, &id)?;
        req.t.store.record_change(&Change::Member {
            group: group.clone(),
            member: id.clone(),
            member_kind: Kind::Group,
            added: false,
        })?;
    }
    if let Some(nick) = record.str("mailNickname") {
        req.t
            .store
            .index_remove(&format!("groupnick:{}", nick.to_lowercase()))?;
    }
    req.t.store.remove(Kind::Group, &id)?;
    if unified {
        // Microsoft 365 groups wait 30 days in deletedItems; other groups are gone at once.
        record
            .props
            .insert("deletedDateTime".to_owned(), json!(req.t.timestamp()));
        req.t.store.put_deleted(&Deleted {
            kind: Kind::Group,
            record,
            member_of: Vec::new(),
        })?;
    }
    req.t.store.record_change(&Change::Deleted {
        kind: Kind::Group,
        id,
        restorable: unified,
    })?;
    Ok(Reply::no_content())
}

/// The default properties of an object of any kind, with its `@odata.type`.
pub fn directory_object(kind: Kind, props: &Map<String, Value>) -> Map<String, Value> {
    let defaults: &[&str] = match kind {
        Kind::User => super::users::DEFAULTS,
        Kind::Group => DEFAULTS,
        _ => &[],
    };
    let mut out = Map::new();
    out.insert(
        "@odata.type".to_owned(),
        json!(format!("#{}", kind.type_name())),
    );
    out.extend(super::super::odata::project(props, None, defaults));
    out
}

fn members(req: &Req, group: &Record, only: Option<Kind>) -> GraphResult<Reply> {
    let mut objects = Vec::new();
    for (member, kind) in req.t.store.members(group.id())? {
        if only.is_some_and(|k| k != kind) {
            continue;
        }
        if let Some(record) = req.t.store.get(kind, &member)? {
            objects.push(directory_object(kind, &record.props));
        }
    }
    let context = match only {
        Some(Kind::User) => "users",
        Some(Kind::Group) => "groups",
        _ => "directoryObjects",
    };
    list(
        req,
        &Listing {
            context,
            type_name: "microsoft.graph.directoryObject",
            defaults: &[],
            directory: true,
        },
        objects,
    )
}

fn add_member_ref(req: &Req, group: &Record) -> GraphResult<Reply> {
    let body = req.body_object()?;
    let Some(url) = body.get("@odata.id").and_then(Value::as_str) else {
        return Err(GraphError::bad_request(
            "The body must hold the member's URL in '@odata.id'.",
        ));
    };
    let id = id_from_url(url);
    let (kind, record) = match req.t.store.find(&id)? {
        Some((kind, record)) if kind != Kind::Application => (kind, record),
        _ => return Err(GraphError::not_found(&id)),
    };
    if record.id().eq_ignore_ascii_case(group.id()) {
        return Err(GraphError::bad_request(
            "A group cannot be a member of itself.",
        ));
    }
    if req.t.store.is_member(group.id(), record.id())? {
        return Err(already_member(record.id()));
    }
    add(req, group.id(), record.id(), kind)?;
    Ok(Reply::no_content())
}

fn remove_member(req: &Req, group: &Record, member: &str) -> GraphResult<Reply> {
    let Some((_, kind)) = req
        .t
        .store
        .members(group.id())?
        .into_iter()
        .find(|(m, _)| m.eq_ignore_ascii_case(member))
    else {
        return Err(GraphError::not_found(member));
    };
    req.t.store.remove_member(group.id(), member)?;
    req.t.store.record_change(&Change::Member {
        group: group.id().to_owned(),
        member: member.to_lowercase(),
        member_kind: kind,
        added: false,
    })?;
    Ok(Reply::no_content())
}

fn validate(req: &Req, group: &Record) -> GraphResult<Reply> {
    let body = req.body_object()?;
    let mut conflicts = Vec::new();
    if let Some(nick) = body.get("mailNickname") {
        let Some(nick) = nick.as_str() else {
            return Err(invalid_value("mailNickname"));
        };
        if nickname_owner(req, nick)?.is_some_and(|owner| !owner.eq_ignore_ascii_case(group.id())) {
            conflicts.push("mailNickname");
        }
    }
    if let Some(name) = body.get("displayName")
        && !name.is_string()
    {
        return Err(invalid_value("displayName"));
    }
    if conflicts.is_empty() {
        Ok(Reply::no_content())
    } else {
        Err(GraphError::unprocessable(&conflicts))
    }
}
