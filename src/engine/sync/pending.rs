//! Pending exports: the changes an export would make now, from the difference between the
//! state each metaverse object should have in the tenant and the state last exported.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::engine::model::{ExportChange, MvKind, MvObject, PendingExport};
use crate::store::{Space, Store, StoreError, StoreExt};

/// Every change export would make now, in the order it would make them.
pub fn pending_exports(store: &dyn Store) -> Result<Vec<PendingExport>, StoreError> {
    let all: Vec<(Vec<u8>, MvObject)> = store.scan(Space::Metaverse, b"")?;
    let mut out = Vec::new();
    for (_, mv) in all {
        if let Some(p) = pending_for(&mv) {
            out.push(p);
        }
    }
    let rank = |p: &PendingExport| match (&p.change, p.kind) {
        (ExportChange::Add { .. }, MvKind::Person) => 0,
        (ExportChange::Add { .. }, _) => 1,
        (ExportChange::Update { .. }, _) => 2,
        (ExportChange::Delete, MvKind::Group) => 3,
        (ExportChange::Delete, _) => 4,
    };
    out.sort_by_key(|p| (rank(p), p.name.clone()));
    Ok(out)
}

/// Whether a property the rules stopped giving a value is cleared in the tenant: the optional
/// ones. The sign-in name, nickname, display name and anchor always have a value while the
/// object is exported, so their absence means the value could not be made, not that it is gone.
fn clearable(property: &str) -> bool {
    !matches!(
        property,
        "userPrincipalName" | "mailNickname" | "displayName" | "onPremisesImmutableId"
    )
}

/// The pending export of one metaverse object, if it has one.
pub fn pending_for(mv: &MvObject) -> Option<PendingExport> {
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let source = if mv.desired.is_null() {
        &mv.exported
    } else {
        &mv.desired
    };
    let display_name = text(source, "displayName");
    let name = match mv.kind {
        MvKind::Person => text(source, "userPrincipalName"),
        _ => text(source, "mailNickname"),
    };
    let base = |change: ExportChange| PendingExport {
        mv_id: mv.id.clone(),
        kind: mv.kind,
        display_name: display_name.clone(),
        name: name.clone(),
        reason: match &change {
            ExportChange::Add { .. } if mv.in_flight => {
                "sent before but not confirmed; it is looked up before it is created again".into()
            }
            ExportChange::Add { .. } => match &mv.error {
                Some(e) => format!("not in the tenant yet; the last attempt failed: {e}"),
                None => "new in Active Directory, not in the tenant yet".into(),
            },
            ExportChange::Update { .. } => {
                "changed in Active Directory since the last export".into()
            }
            ExportChange::Delete => mv
                .error
                .clone()
                .unwrap_or_else(|| "no longer synchronized".into()),
        },
        change,
        members_added: Vec::new(),
        members_removed: Vec::new(),
    };
    if mv.deleting {
        return mv.tenant_id.as_ref().map(|_| base(ExportChange::Delete));
    }
    if mv.not_exportable.is_some() || mv.desired.is_null() {
        return None;
    }
    let members = |v: &Value| -> BTreeSet<String> {
        v["members"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|m| m.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut properties = mv.desired.clone();
    if let Some(map) = properties.as_object_mut() {
        map.remove("members");
    }
    if mv.tenant_id.is_none() {
        let mut p = base(ExportChange::Add { properties });
        p.members_added = members(&mv.desired).into_iter().collect();
        return Some(p);
    }
    let mut changes = BTreeMap::new();
    if let Some(map) = properties.as_object() {
        for (k, v) in map {
            let was = mv.exported.get(k).cloned().unwrap_or(Value::Null);
            if &was != v {
                changes.insert(k.clone(), (was, v.clone()));
            }
        }
        // A value cleared in Active Directory is cleared in the tenant too (set to null).
        if let Some(exported) = mv.exported.as_object() {
            for (k, was) in exported {
                if !map.contains_key(k) && k != "members" && !was.is_null() && clearable(k) {
                    changes.insert(k.clone(), (was.clone(), Value::Null));
                }
            }
        }
    }
    let want = members(&mv.desired);
    let have = members(&mv.exported);
    let added: Vec<String> = want.difference(&have).cloned().collect();
    let removed: Vec<String> = have.difference(&want).cloned().collect();
    if changes.is_empty() && added.is_empty() && removed.is_empty() {
        return None;
    }
    let mut p = base(ExportChange::Update { changes });
    p.members_added = added;
    p.members_removed = removed;
    Some(p)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_value_gone_from_active_directory_is_cleared_but_names_are_never_blanked() {
        let mv = MvObject {
            id: "mv1".into(),
            kind: MvKind::Person,
            sources: Vec::new(),
            desired: json!({"userPrincipalName": "a@contoso.com", "accountEnabled": true}),
            tenant_id: Some("t1".into()),
            exported: json!({"userPrincipalName": "a@contoso.com", "displayName": "A",
                "department": "Sales", "accountEnabled": true, "members": []}),
            not_exportable: None,
            error: None,
            deleting: false,
            in_flight: false,
            write_back: false,
        };
        let Some(PendingExport {
            change: ExportChange::Update { changes },
            ..
        }) = pending_for(&mv)
        else {
            panic!("an update");
        };
        let names: Vec<&str> = changes.keys().map(String::as_str).collect();
        assert_eq!(names, ["department"]);
        assert_eq!(changes["department"], (json!("Sales"), Value::Null));
    }
}
