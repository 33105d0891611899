//! Delta queries on users and groups: an initial round of pages linked by `@odata.nextLink`
//! (`$skiptoken`) that ends with an `@odata.deltaLink` (`$deltatoken`); later rounds from a
//! deltaLink return what changed since, with `@removed` for deletions (`changed` when the
//! object waits in deletedItems, `deleted` when it is gone) and `members@delta` for groups
//! when `members` is selected. `$deltatoken=latest` returns only a deltaLink.
//!
//! Tokens are opaque to clients; they hold the round's position in the store's change log and
//! the `$select` of the first request.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::super::errors::{GraphError, GraphResult};
use super::super::odata;
use super::super::store::{Change, Kind};
use super::super::util;
use super::{Reply, Req};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct DeltaState {
    /// Users or groups.
    k: Kind,
    /// Changes after this point (none: the initial round, every object).
    s: Option<u64>,
    /// Changes up to this point.
    a: u64,
    /// Position in the round's items.
    o: usize,
    /// `$select` of the round.
    sel: Option<Vec<String>>,
    /// `$filter` of the round: the links carry the original query, so later pages and rounds
    /// keep it without the client repeating it.
    #[serde(default)]
    f: Option<String>,
}

#[derive(Debug, Default)]
struct Pending {
    created: bool,
    deleted: bool,
    props: HashSet<String>,
    /// (member id, kind, added), last change per member.
    members: Vec<(String, Kind, bool)>,
}

/// `GET /users/delta` or `/groups/delta`.
pub fn delta(req: &Req, kind: Kind) -> GraphResult<Reply> {
    for unsupported in ["$top", "$orderby", "$expand", "$search", "$count"] {
        if req.query.get(unsupported).is_some() {
            return Err(GraphError::bad_request(format!(
                "{unsupported} is not supported with delta queries."
            )));
        }
    }
    let store = &req.t.store;
    let latest = store.last_change()?;
    let token_error = || GraphError::bad_request("The delta or skip token is not valid.");
    let state = if let Some(token) = req.query.get("$skiptoken") {
        util::decode_token::<DeltaState>(token)
            .filter(|s| s.k == kind)
            .ok_or_else(token_error)?
    } else if let Some(token) = req.query.get("$deltatoken") {
        if token.eq_ignore_ascii_case("latest") {
            let sel = odata::select_list(&req.query);
            let state = DeltaState {
                k: kind,
                s: Some(latest),
                a: latest,
                o: 0,
                sel,
                f: req.query.get("$filter").map(str::to_string),
            };
            return Ok(page(req, kind, Vec::new(), &state, true));
        }
        let previous = util::decode_token::<DeltaState>(token)
            .filter(|s| s.k == kind)
            .ok_or_else(token_error)?;
        DeltaState {
            k: kind,
            s: Some(previous.a),
            a: latest,
            o: 0,
            sel: previous.sel,
            f: previous.f,
        }
    } else {
        DeltaState {
            k: kind,
            s: None,
            a: latest,
            o: 0,
            sel: odata::select_list(&req.query),
            f: req.query.get("$filter").map(str::to_string),
        }
    };
    let filter = state.f.as_deref().map(odata::parse_filter).transpose()?;
    let sel = state.sel.clone();
    let with_members = kind == Kind::Group
        && sel
            .as_ref()
            .is_some_and(|s| s.iter().any(|p| p.eq_ignore_ascii_case("members")));
    let props_sel: Option<Vec<String>> = sel.as_ref().map(|s| {
        s.iter()
            .filter(|p| !p.eq_ignore_ascii_case("members"))
            .cloned()
            .collect()
    });
    let defaults: &[&str] = if kind == Kind::User {
        super::users::DEFAULTS
    } else {
        super::groups::DEFAULTS
    };
    let project = |props: &Map<String, Value>| {
        let mut out = odata::project(props, props_sel.as_deref(), defaults);
        out.insert(
            "id".to_owned(),
            props.get("id").cloned().unwrap_or(Value::Null),
        );
        out
    };
    let member_entry = |id: &str, kind: Kind, added: bool| {
        let mut m = json!({"@odata.type": format!("#{}", kind.type_name()), "id": id});
        if !added {
            m["@removed"] = json!({"reason": "deleted"});
        }
        m
    };

    let mut items: Vec<Value> = Vec::new();
    match state.s {
        None => {
            for record in store.all(kind)? {
                if filter
                    .as_ref()
                    .is_some_and(|f| !f.matches(&Value::Object(record.props.clone())))
                {
                    continue;
                }
                let mut item = project(&record.props);
                if with_members {
                    let members: Vec<Value> = store
                        .members(record.id())?
                        .into_iter()
                        .map(|(m, k)| member_entry(&m, k, true))
                        .collect();
                    if !members.is_empty() {
                        item.insert("members@delta".to_owned(), Value::Array(members));
                    }
                }
                items.push(Value::Object(item));
            }
        }
        Some(since) => {
            let mut order: Vec<String> = Vec::new();
            let mut pending: std::collections::HashMap<String, Pending> = Default::default();
            fn entry<'p>(
                order: &mut Vec<String>,
                pending: &'p mut std::collections::HashMap<String, Pending>,
                id: &str,
            ) -> &'p mut Pending {
                let id = id.to_lowercase();
                if !pending.contains_key(&id) {
                    order.push(id.clone());
                }
                pending.entry(id).or_default()
            }
            for change in store.changes_between(since, state.a)? {
                match change {
                    Change::Created { kind: k, id } if k == kind => {
                        let p = entry(&mut order, &mut pending, &id);
                        p.created = true;
                        p.deleted = false;
                    }
                    Change::Updated { kind: k, id, props } if k == kind => {
                        entry(&mut order, &mut pending, &id)
                            .props
                            .extend(props.into_iter().map(|p| p.to_lowercase()));
                    }
                    Change::Deleted { kind: k, id, .. } if k == kind => {
                        entry(&mut order, &mut pending, &id).deleted = true
                    }
                    Change::Member {
                        group,
                        member,
                        member_kind,
                        added,
                    } if kind == Kind::Group => {
                        let p = entry(&mut order, &mut pending, &group);
                        p.members
                            .retain(|(m, _, _)| !m.eq_ignore_ascii_case(&member));
                        p.members.push((member, member_kind, added));
                    }
                    _ => {}
                }
            }
            for id in order {
                let Some(p) = pending.get(&id) else { continue };
                match store.get(kind, &id)? {
                    Some(record) => {
                        if filter
                            .as_ref()
                            .is_some_and(|f| !f.matches(&Value::Object(record.props.clone())))
                        {
                            continue;
                        }
                        let props_relevant = match &props_sel {
                            None => !p.props.is_empty(),
                            Some(s) => s.iter().any(|n| p.props.contains(&n.to_lowercase())),
                        };
                        let members_relevant = with_members && !p.members.is_empty();
                        if !(p.created || p.deleted || props_relevant || members_relevant) {
                            continue;
                        }
                        let mut item = project(&record.props);
                        if members_relevant {
                            let list: Vec<Value> = p
                                .members
                                .iter()
                                .map(|(m, k, a)| member_entry(m, *k, *a))
                                .collect();
                            item.insert("members@delta".to_owned(), Value::Array(list));
                        }
                        items.push(Value::Object(item));
                    }
                    None if p.deleted => {
                        // Still in deleted items: restorable ("changed"); gone for good: "deleted".
                        let (reason, original_id) = match store.get_deleted(&id)? {
                            Some(d) => ("changed", d.record.id().to_owned()),
                            None => ("deleted", id.clone()),
                        };
                        items.push(json!({"id": original_id, "@removed": {"reason": reason}}));
                    }
                    None => {}
                }
            }
        }
    }
    Ok(page(req, kind, items, &state, false))
}

fn page(req: &Req, kind: Kind, items: Vec<Value>, state: &DeltaState, latest_only: bool) -> Reply {
    let size = req.t.delta_page_size.max(1);
    let link_base = format!("{}/{}/{}/delta", req.base, req.version, kind.collection());
    let fragment = match &state.sel {
        Some(s) => {
            let plain: Vec<&str> = s
                .iter()
                .map(String::as_str)
                .filter(|p| !p.eq_ignore_ascii_case("members"))
                .collect();
            format!("{}({})", kind.collection(), plain.join(","))
        }
        None => kind.collection().to_owned(),
    };
    let mut body = Map::new();
    body.insert("@odata.context".to_owned(), json!(req.context(&fragment)));
    let page: Vec<Value> = if latest_only {
        Vec::new()
    } else {
        items.iter().skip(state.o).take(size).cloned().collect()
    };
    if !latest_only && state.o + size < items.len() {
        let next = DeltaState {
            o: state.o + size,
            ..state.clone()
        };
        body.insert(
            "@odata.nextLink".to_owned(),
            json!(format!(
                "{link_base}?$skiptoken={}",
                util::encode_token(&next)
            )),
        );
    } else {
        let done = DeltaState {
            s: Some(state.a),
            o: 0,
            ..state.clone()
        };
        body.insert(
            "@odata.deltaLink".to_owned(),
            json!(format!(
                "{link_base}?$deltatoken={}",
                util::encode_token(&done)
            )),
        );
    }
    body.insert("value".to_owned(), Value::Array(page));
    Reply::ok(Value::Object(body))
}
