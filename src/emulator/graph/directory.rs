//! Organizational contacts (read-only, as in Graph v1.0), `directory/deletedItems` (list with a
//! type cast, get, restore, delete for good) and `directoryObjects` (get, `getByIds`).

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::super::errors::{GraphError, GraphResult};
use super::super::state::Tenant;
use super::super::store::{Change, Kind, Record};
use super::super::util;
use super::{Listing, Reply, Req, get_one, list};

/// Contact properties (all returned by default).
const CONTACT_PROPS: &[&str] = &[
    "id",
    "deletedDateTime",
    "addresses",
    "companyName",
    "department",
    "displayName",
    "givenName",
    "imAddresses",
    "jobTitle",
    "mail",
    "mailNickname",
    "onPremisesLastSyncDateTime",
    "onPremisesProvisioningErrors",
    "onPremisesSyncEnabled",
    "phones",
    "proxyAddresses",
    "surname",
];

/// Adds a contact as Exchange Online or directory sync would (the emulator's control API; Graph
/// itself cannot create contacts).
pub fn seed_contact(t: &Tenant, body: &Map<String, Value>) -> GraphResult<Map<String, Value>> {
    let mut props = Map::new();
    for name in CONTACT_PROPS {
        let empty = if [
            "addresses",
            "imAddresses",
            "onPremisesProvisioningErrors",
            "phones",
            "proxyAddresses",
        ]
        .contains(name)
        {
            json!([])
        } else {
            Value::Null
        };
        props.insert((*name).to_owned(), empty);
    }
    for (k, v) in body {
        if !CONTACT_PROPS.contains(&k.as_str()) || k == "id" || k == "deletedDateTime" {
            return Err(GraphError::bad_request(format!(
                "'{k}' is not a property a contact can be given."
            )));
        }
        props.insert(k.clone(), v.clone());
    }
    if props["displayName"].as_str().is_none_or(str::is_empty) {
        return Err(GraphError::bad_request("A contact needs a displayName."));
    }
    props.insert("id".to_owned(), json!(util::new_id()));
    let record = Record {
        props: props.clone(),
        hidden: Map::new(),
    };
    t.store.put(Kind::Contact, &record)?;
    Ok(props)
}

fn read_only_contacts() -> GraphError {
    GraphError::method_not_allowed(
        "Organizational contacts are read-only in Microsoft Graph: they come from directory synchronization or Exchange Online.",
    )
}

/// `/contacts`, `/directory/...` and `/directoryObjects/...`.
pub fn directory(req: &Req) -> GraphResult<Reply> {
    let m = req.method.clone();
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    match (segs.as_slice(), m) {
        (["contacts"], Method::GET) => {
            let all = req.t.store.all_props(Kind::Contact)?;
            list(
                req,
                &Listing {
                    context: "contacts",
                    type_name: "microsoft.graph.orgContact",
                    defaults: &[],
                    directory: true,
                },
                all,
            )
        }
        (["contacts"], _) => Err(read_only_contacts()),
        (["contacts", "$count"], Method::GET) => {
            let all: Vec<_> = req.t.store.all_props(Kind::Contact)?;
            super::count(req, &all)
        }
        (["contacts", id], Method::GET) => match req.t.store.get(Kind::Contact, id)? {
            Some(record) => get_one(
                req,
                &record.props,
                &[],
                "microsoft.graph.orgContact",
                "contacts",
            ),
            None => Err(GraphError::not_found(id)),
        },
        (["contacts", _], _) => Err(read_only_contacts()),
        (["directory", "deletedItems"], Method::GET) => Err(GraphError::bad_request(
            "Listing deleted items needs a type cast: /directory/deletedItems/microsoft.graph.user, .group or .application.",
        )),
        (["directory", "deletedItems", cast], Method::GET)
            if cast.starts_with("microsoft.graph.") =>
        {
            let kind = Kind::from_type_name(cast)
                .filter(|k| matches!(k, Kind::User | Kind::Group | Kind::Application))
                .ok_or_else(|| {
                    GraphError::bad_request(format!(
                        "'{cast}' is not a type deleted items can be cast to."
                    ))
                })?;
            let items = req
                .t
                .store
                .all_deleted()?
                .into_iter()
                .filter(|d| d.kind == kind)
                .map(|d| d.record.props)
                .collect();
            list(
                req,
                &Listing {
                    context: kind.collection(),
                    type_name: kind.type_name(),
                    defaults: defaults(kind),
                    directory: true,
                },
                items,
            )
        }
        (["directory", "deletedItems", id], Method::GET) => match req.t.store.get_deleted(id)? {
            Some(d) => {
                let mut props = d.record.props.clone();
                props.insert(
                    "@odata.type".to_owned(),
                    json!(format!("#{}", d.kind.type_name())),
                );
                let mut shown: Vec<&str> = defaults(d.kind).to_vec();
                if !shown.is_empty() {
                    shown.push("@odata.type");
                    shown.push("deletedDateTime");
                }
                get_one(
                    req,
                    &props,
                    &shown,
                    "microsoft.graph.directoryObject",
                    "directoryObjects",
                )
            }
            None => Err(GraphError::not_found(id)),
        },
        (["directory", "deletedItems", id], Method::DELETE) => {
            let Some(d) = req.t.store.get_deleted(id)? else {
                return Err(GraphError::not_found(id));
            };
            req.t.store.remove_deleted(id)?;
            req.t.store.record_change(&Change::Deleted {
                kind: d.kind,
                id: d.record.id().to_owned(),
                restorable: false,
            })?;
            Ok(Reply::no_content())
        }
        (["directory", "deletedItems", id, "restore"], Method::POST) => restore(req, id),
        (["directoryObjects", "getByIds"], Method::POST) => get_by_ids(req),
        (["directoryObjects", id], Method::GET) => match req.t.store.find(id)? {
            Some((kind, record)) => {
                let mut props = record.props.clone();
                props.insert(
                    "@odata.type".to_owned(),
                    json!(format!("#{}", kind.type_name())),
                );
                get_one(
                    req,
                    &props,
                    &[],
                    "microsoft.graph.directoryObject",
                    "directoryObjects",
                )
            }
            None => Err(GraphError::not_found(id)),
        },
        _ => Err(super::unknown(req)),
    }
}

fn defaults(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::User => super::users::DEFAULTS,
        Kind::Group => super::groups::DEFAULTS,
        _ => &[],
    }
}

fn restore(req: &Req, id: &str) -> GraphResult<Reply> {
    let Some(deleted) = req.t.store.get_deleted(id)? else {
        return Err(GraphError::not_found(id));
    };
    let mut record = deleted.record.clone();
    record
        .props
        .insert("deletedDateTime".to_owned(), Value::Null);
    let object_id = record.id().to_owned();
    match deleted.kind {
        Kind::User => super::users::claim_indexes(req, &record)?,
        Kind::Group => {
            if let Some(nick) = record.str("mailNickname") {
                let key = format!("groupnick:{}", nick.to_lowercase());
                if req.t.store.index_get(&key)?.is_some() {
                    return Err(GraphError::conflict("mailNickname"));
                }
                req.t.store.index_set(&key, &object_id)?;
            }
        }
        Kind::Application => {
            if let Some(app_id) = record.str("appId") {
                req.t
                    .store
                    .index_set(&format!("appid:{}", app_id.to_lowercase()), &object_id)?;
            }
        }
        _ => {}
    }
    req.t.store.put(deleted.kind, &record)?;
    req.t.store.remove_deleted(id)?;
    req.t.store.record_change(&Change::Created {
        kind: deleted.kind,
        id: object_id.clone(),
    })?;
    for group in &deleted.member_of {
        if req.t.store.get(Kind::Group, group)?.is_some() {
            req.t.store.add_member(group, &object_id, deleted.kind)?;
            req.t.store.record_change(&Change::Member {
                group: group.clone(),
                member: object_id.clone(),
                member_kind: deleted.kind,
                added: true,
            })?;
        }
    }
    let mut out = Map::new();
    out.insert(
        "@odata.context".to_owned(),
        json!(req.context("directoryObjects/$entity")),
    );
    out.insert(
        "@odata.type".to_owned(),
        json!(format!("#{}", deleted.kind.type_name())),
    );
    let shown = defaults(deleted.kind);
    out.extend(super::super::odata::project(&record.props, None, shown));
    Ok(Reply::ok(Value::Object(out)))
}

fn get_by_ids(req: &Req) -> GraphResult<Reply> {
    let body = req.body_object()?;
    let Some(ids) = body.get("ids").and_then(Value::as_array) else {
        return Err(GraphError::bad_request(
            "The body needs 'ids', an array of object ids.",
        ));
    };
    if ids.len() > 1000 {
        return Err(GraphError::bad_request(
            "At most 1000 ids can be looked up in one request.",
        ));
    }
    let types: Option<Vec<Kind>> = match body.get("types") {
        None | Some(Value::Null) => None,
        Some(Value::Array(names)) => Some(
            names
                .iter()
                .map(|n| {
                    n.as_str().and_then(Kind::from_type_name).ok_or_else(|| {
                        GraphError::bad_request(format!("{n} is not a directory object type."))
                    })
                })
                .collect::<GraphResult<_>>()?,
        ),
        Some(_) => {
            return Err(GraphError::bad_request(
                "'types' must be an array of type names.",
            ));
        }
    };
    let mut value = Vec::new();
    for id in ids {
        let Some(id) = id.as_str() else {
            return Err(GraphError::bad_request("Every id must be a string."));
        };
        if let Some((kind, record)) = req.t.store.find(id)?
            && types.as_ref().is_none_or(|t| t.contains(&kind))
        {
            let mut item = Map::new();
            item.insert(
                "@odata.type".to_owned(),
                json!(format!("#{}", kind.type_name())),
            );
            item.extend(record.props.clone());
            value.push(Value::Object(item));
        }
    }
    Ok(Reply::ok(
        json!({"@odata.context": req.context("directoryObjects"), "value": value}),
    ))
}
