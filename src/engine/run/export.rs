//! Export to the tenant: pending creates (20 to a `$batch`), updates, group memberships and
//! deletes, with the hard match (immutableId) and soft match (mail, sign-in name) that adopt
//! objects already in the tenant.
//!
//! Export is idempotent: before a create is sent the object is marked "in flight" (committed);
//! an object found in flight after a crash is first looked up in the tenant by its immutableId
//! (a hard match) and adopted if it is there, so a crash never duplicates an object.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::history::record;
use super::{RunError, now};
use crate::engine::model::{ExportChange, MvKind, MvObject, PendingExport, RunCounts, RunRecord};
use crate::engine::sync::{self, SyncSettings, pending_exports};
use crate::secret::Secret;
use crate::store::{Batch, Space, Store, StoreError, StoreExt};
use crate::tenant::TenantError;
use crate::tenant::graph::{BatchItem, GraphClient, MAX_BATCH};

fn random_password() -> String {
    Secret::generate_password()
        .map(|s| s.expose().to_string())
        .unwrap_or_else(|_| uuid::Uuid::new_v4().to_string() + "Aa1!")
}

fn create_body(mv: &MvObject) -> Value {
    let mut body = mv.desired.clone();
    if let Some(map) = body.as_object_mut() {
        map.remove("members");
        if mv.kind == MvKind::Person {
            // Graph needs a password to create a user. It is random and never shown: a
            // synchronized user's own arrives with their next password change on premises
            // (password synchronization), or they sign in through federation.
            map.insert(
                "passwordProfile".into(),
                json!({"password": random_password(), "forceChangePasswordNextSignIn": false}),
            );
        } else {
            map.remove("onPremisesImmutableId");
        }
    }
    body
}

fn exported_state(mv: &MvObject) -> Value {
    let mut state = mv.desired.clone();
    if mv.kind != MvKind::Person
        && let Some(map) = state.as_object_mut()
    {
        map.remove("onPremisesImmutableId");
    }
    state
}

/// Finds the tenant object an earlier, unconfirmed create may have made: a user by its
/// immutableId (a hard match); a group, which Graph gives no immutableId, by its mail nickname
/// when exactly one security group has it.
async fn find_by_anchor(graph: &GraphClient, mv: &MvObject) -> Result<Option<String>, TenantError> {
    match mv.kind {
        MvKind::Person => {
            let Some(anchor) = mv.desired["onPremisesImmutableId"].as_str() else {
                return Ok(None);
            };
            Ok(graph
                .user_by_immutable_id(anchor)
                .await?
                .and_then(|u| u["id"].as_str().map(str::to_string)))
        }
        MvKind::Group => {
            let Some(nickname) = mv.desired["mailNickname"].as_str() else {
                return Ok(None);
            };
            let filter = crate::tenant::api::encode(&format!(
                "mailNickname eq {}",
                crate::tenant::api::odata_string(nickname)
            ));
            let mut found = Vec::new();
            graph
                .list(
                    &format!("groups?$filter={filter}&$select=id,displayName,securityEnabled"),
                    false,
                    |g| {
                        if g["securityEnabled"] == true {
                            found.push(g["id"].as_str().unwrap_or_default().to_string());
                        }
                        Ok(())
                    },
                )
                .await?;
            Ok(if found.len() == 1 { found.pop() } else { None })
        }
        _ => Ok(None),
    }
}

/// Soft match: a cloud-only user (no immutableId) whose primary SMTP proxy address is this
/// person's mail, or else whose sign-in name is the one this person would get, becomes this
/// person's tenant object: its immutableId and properties are set from Active Directory.
async fn soft_match(graph: &GraphClient, mv: &MvObject) -> Result<Option<String>, TenantError> {
    if mv.kind != MvKind::Person {
        return Ok(None);
    }
    let mut found = None;
    if let Some(mail) = mv.desired["mail"].as_str() {
        let filter = crate::tenant::api::encode(&format!(
            "proxyAddresses/any(p:p eq {})",
            crate::tenant::api::odata_string(&format!("SMTP:{mail}"))
        ));
        let mut holders = Vec::new();
        graph
            .list(
                &format!("users?$filter={filter}&$select=id,onPremisesImmutableId"),
                false,
                |u| {
                    holders.push(u);
                    Ok(())
                },
            )
            .await?;
        // Only one holder can be meant; two would be a conflict for the administrator.
        if holders.len() == 1 {
            found = holders.pop();
        }
    }
    if found.is_none()
        && let Some(upn) = mv.desired["userPrincipalName"].as_str()
    {
        found = match graph.user(upn, &["id", "onPremisesImmutableId"]).await {
            Ok(u) => Some(u),
            Err(e) if e.status() == Some(404) => None,
            Err(e) => return Err(e),
        };
    }
    let Some(existing) = found else {
        return Ok(None);
    };
    if !existing["onPremisesImmutableId"].is_null() {
        // Already synchronized from somewhere else: taking it over would steal an identity.
        return Ok(None);
    }
    let Some(id) = existing["id"].as_str().map(str::to_string) else {
        return Ok(None);
    };
    adopt(graph, mv, &id).await?;
    Ok(Some(id))
}

/// Makes a cloud-only user this person's tenant object: its immutableId and properties from
/// Active Directory (its cloud password stays).
async fn adopt(graph: &GraphClient, mv: &MvObject, id: &str) -> Result<(), TenantError> {
    let mut properties = create_body(mv);
    if let Some(map) = properties.as_object_mut() {
        map.remove("passwordProfile");
    }
    graph.update_user(id, &properties).await?;
    Ok(())
}

/// The tenant's cloud-only users (no immutableId), by primary SMTP address and by sign-in
/// name: the candidates of a soft match, read once per export.
struct CloudOnly {
    by_smtp: std::collections::HashMap<String, String>,
    by_upn: std::collections::HashMap<String, String>,
    taken: BTreeSet<String>,
}

impl CloudOnly {
    async fn read(graph: &GraphClient) -> Result<CloudOnly, TenantError> {
        let mut found = CloudOnly {
            by_smtp: Default::default(),
            by_upn: Default::default(),
            taken: BTreeSet::new(),
        };
        graph
            .list(
                "users?$select=id,userPrincipalName,proxyAddresses,onPremisesImmutableId&$top=999",
                false,
                |u| {
                    let Some(id) = u["id"].as_str() else {
                        return Ok(());
                    };
                    if !u["onPremisesImmutableId"].is_null() {
                        return Ok(());
                    }
                    if let Some(upn) = u["userPrincipalName"].as_str() {
                        found.by_upn.insert(upn.to_lowercase(), id.to_string());
                    }
                    // The primary address is the one written `SMTP:` in capitals.
                    for address in u["proxyAddresses"].as_array().into_iter().flatten() {
                        if let Some(smtp) = address.as_str().and_then(|a| a.strip_prefix("SMTP:")) {
                            found.by_smtp.insert(smtp.to_lowercase(), id.to_string());
                        }
                    }
                    Ok(())
                },
            )
            .await?;
        Ok(found)
    }

    /// The cloud-only user a person takes over: by mail first, then by sign-in name; each
    /// cloud user is taken once.
    fn take(&mut self, mv: &MvObject) -> Option<String> {
        if mv.kind != MvKind::Person {
            return None;
        }
        let by = |map: &std::collections::HashMap<String, String>, v: Option<&str>| {
            v.and_then(|v| map.get(&v.to_lowercase()).cloned())
        };
        let id = by(&self.by_smtp, mv.desired["mail"].as_str())
            .or_else(|| by(&self.by_upn, mv.desired["userPrincipalName"].as_str()))?;
        self.taken.insert(id.clone()).then_some(id)
    }
}

/// Exports pending changes to the tenant: adds, updates (with member changes), deletes —
/// unless staging mode is on, or the deletes exceed the threshold.
pub async fn export(
    store: &dyn Store,
    settings: &SyncSettings,
    graph: &GraphClient,
) -> Result<RunRecord, RunError> {
    export_observed(store, settings, graph, &|_| {}).await
}

/// [`export`], telling `progress` how many objects it has created in the tenant so far.
pub async fn export_observed(
    store: &dyn Store,
    settings: &SyncSettings,
    graph: &GraphClient,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<RunRecord, RunError> {
    let started = now();
    let mut counts = RunCounts::default();
    let mut errors = Vec::new();
    let pending = pending_exports(store)?;
    let deletes = pending
        .iter()
        .filter(|p| matches!(p.change, ExportChange::Delete))
        .count() as u64;
    if settings.staging {
        let outcome = format!(
            "staging: {} changes pending, nothing written to the tenant",
            pending.len()
        );
        return Ok(record(
            store, "export", "tenant", started, counts, outcome, errors,
        )?);
    }
    if let Some(limit) = settings.delete_threshold
        && deletes > limit
    {
        let outcome = format!(
            "stopped: this export would delete {deletes} objects, more than the threshold of {limit}. Nothing was exported. Review the pending deletions (skybridge sync pending); if they are intended, raise or disable the threshold and run again."
        );
        return Ok(record(
            store, "export", "tenant", started, counts, outcome, errors,
        )?);
    }
    let load = |id: &str| -> Result<Option<MvObject>, StoreError> {
        store.get(Space::Metaverse, id.as_bytes())
    };
    let save = |mv: &MvObject| -> Result<(), StoreError> {
        let mut batch = Batch::default();
        batch.put(Space::Metaverse, mv.id.as_bytes(), mv)?;
        store.commit(batch)
    };

    // Adds, 20 per $batch: people first (groups need their members), then groups.
    let adds: Vec<&PendingExport> = pending
        .iter()
        .filter(|p| matches!(p.change, ExportChange::Add { .. }))
        .filter(|p| matches!(p.kind, MvKind::Person | MvKind::Group))
        .collect();
    // Soft match looks at the tenant's cloud-only users once, before anything is created.
    let mut cloud_only = if settings.soft_match && adds.iter().any(|p| p.kind == MvKind::Person) {
        Some(CloudOnly::read(graph).await?)
    } else {
        None
    };
    // Ten $batch requests' worth at a time: marked in flight together (one durable commit),
    // sent, then recorded together, instead of two commits for every twenty objects.
    for chunk in adds.chunks(MAX_BATCH * 10) {
        let mut objects = Vec::new();
        for p in chunk {
            let Some(mut mv) = load(&p.mv_id)? else {
                continue;
            };
            // In flight before: a crash may have hidden a create that happened. Look first.
            if mv.in_flight && mv.tenant_id.is_none() {
                mv.tenant_id = find_by_anchor(graph, &mv).await?;
            }
            if mv.tenant_id.is_none()
                && let Some(id) = cloud_only.as_mut().and_then(|c| c.take(&mv))
            {
                match adopt(graph, &mv, &id).await {
                    Ok(()) => mv.tenant_id = Some(id),
                    Err(e) => {
                        mv.error = Some(e.to_string());
                        errors.push((p.name.clone(), e.to_string()));
                        counts.errors += 1;
                        save(&mv)?;
                        continue;
                    }
                }
            }
            objects.push(((*p).clone(), mv));
        }
        let mut marks = Batch::default();
        for (_, mv) in objects.iter_mut().filter(|(_, mv)| mv.tenant_id.is_none()) {
            mv.in_flight = true;
            marks.put(Space::Metaverse, mv.id.as_bytes(), &*mv)?;
        }
        store.commit(marks)?;
        let items: Vec<BatchItem> = objects
            .iter()
            .enumerate()
            .filter(|(_, (_, mv))| mv.tenant_id.is_none())
            .map(|(i, (_, mv))| BatchItem {
                id: i.to_string(),
                method: reqwest::Method::POST,
                url: if mv.kind == MvKind::Person {
                    "/users"
                } else {
                    "/groups"
                }
                .into(),
                body: Some(create_body(mv)),
                depends_on: Vec::new(),
            })
            .collect();
        let answers = if items.is_empty() {
            Vec::new()
        } else {
            graph.batch(items).await?
        };
        let answers: std::collections::HashMap<&str, &crate::tenant::graph::BatchAnswer> =
            answers.iter().map(|a| (a.id.as_str(), a)).collect();
        let mut done = Batch::default();
        for (i, (p, mv)) in objects.iter_mut().enumerate() {
            if mv.tenant_id.is_none() {
                let Some(answer) = answers.get(i.to_string().as_str()).copied() else {
                    continue;
                };
                match answer.error(
                    "POST",
                    if mv.kind == MvKind::Person {
                        "/users"
                    } else {
                        "/groups"
                    },
                ) {
                    None => {
                        mv.tenant_id = answer.body["id"].as_str().map(str::to_string);
                        counts.adds += 1;
                    }
                    Some(e) => {
                        // Refused because it exists already (an earlier run's create): match it.
                        let mut matched = find_by_anchor(graph, mv).await.ok().flatten();
                        if matched.is_none() && settings.soft_match {
                            matched = soft_match(graph, mv).await.ok().flatten();
                        }
                        match matched {
                            Some(id) => mv.tenant_id = Some(id),
                            None => {
                                mv.in_flight = false;
                                mv.error = Some(e.to_string());
                                errors.push((p.name.clone(), e.to_string()));
                                counts.errors += 1;
                                done.put(Space::Metaverse, mv.id.as_bytes(), &*mv)?;
                                continue;
                            }
                        }
                    }
                }
            }
            let mut state = exported_state(mv);
            if let Some(map) = state.as_object_mut() {
                map.insert("members".into(), json!([]));
            }
            mv.exported = state;
            mv.in_flight = false;
            mv.error = None;
            done.put(Space::Metaverse, mv.id.as_bytes(), &*mv)?;
        }
        store.commit(done)?;
        progress(counts.adds);
    }

    // Updates of people and groups.
    for p in &pending {
        let Some(mut mv) = load(&p.mv_id)? else {
            continue;
        };
        let path = match mv.kind {
            MvKind::Person => "users",
            MvKind::Group => "groups",
            _ => continue,
        };
        match &p.change {
            ExportChange::Add { .. } => {}
            ExportChange::Update { changes } => {
                let Some(id) = mv.tenant_id.clone() else {
                    continue;
                };
                let patch: serde_json::Map<String, Value> = changes
                    .iter()
                    .filter(|(k, _)| {
                        k.as_str() != "onPremisesImmutableId" || mv.kind == MvKind::Person
                    })
                    .map(|(k, (_, v))| (k.clone(), v.clone()))
                    .collect();
                if !patch.is_empty() {
                    if let Err(e) = graph
                        .patch(&format!("{path}/{id}"), &Value::Object(patch))
                        .await
                    {
                        mv.error = Some(e.to_string());
                        errors.push((p.name.clone(), e.to_string()));
                        counts.errors += 1;
                        save(&mv)?;
                        continue;
                    }
                    counts.updates += 1;
                }
                let members = mv.exported["members"].clone();
                mv.exported = exported_state(&mv);
                if let Some(map) = mv.exported.as_object_mut() {
                    map.insert("members".into(), members);
                }
                mv.error = None;
                save(&mv)?;
            }
            ExportChange::Delete => {}
        }
    }

    // Group memberships, now that every member that could be created has a tenant id. Only
    // groups with something pending can have membership changes.
    for group in pending.iter().filter(|p| p.kind == MvKind::Group) {
        let Some(mut mv) = load(&group.mv_id)? else {
            continue;
        };
        if mv.deleting {
            continue;
        }
        let Some(group_id) = mv.tenant_id.clone() else {
            continue;
        };
        let Some(p) = sync::pending_for(&mv) else {
            continue;
        };
        let mut confirmed: BTreeSet<String> = mv.exported["members"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|m| m.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let mut to_add = Vec::new();
        let mut added_mv = Vec::new();
        for m in &p.members_added {
            if let Some(member) = load(m)?
                && let Some(tid) = member.tenant_id
            {
                to_add.push(tid);
                added_mv.push(m.clone());
            }
        }
        if !to_add.is_empty() {
            match graph.add_members(&group_id, &to_add).await {
                Ok(()) => confirmed.extend(added_mv),
                Err(e) => {
                    // Some may be members already (an add that happened before a crash, or a
                    // change made in the tenant): look at the group as it is, add the rest one
                    // by one, and report only what really failed.
                    let mut present = BTreeSet::new();
                    graph
                        .list(
                            &format!("groups/{group_id}/members?$select=id"),
                            false,
                            |m| {
                                if let Some(id) = m["id"].as_str() {
                                    present.insert(id.to_string());
                                }
                                Ok(())
                            },
                        )
                        .await?;
                    let mut failed = None;
                    for (tid, mv_id) in to_add.iter().zip(&added_mv) {
                        if present.contains(tid) {
                            confirmed.insert(mv_id.clone());
                            continue;
                        }
                        match graph
                            .add_members(&group_id, std::slice::from_ref(tid))
                            .await
                        {
                            Ok(()) => {
                                confirmed.insert(mv_id.clone());
                            }
                            Err(one) => failed = Some(one),
                        }
                    }
                    // The first error is superseded by what the group really holds.
                    drop(e);
                    if let Some(one) = failed {
                        errors.push((p.name.clone(), one.to_string()));
                        counts.errors += 1;
                    }
                }
            }
        }
        for m in &p.members_removed {
            let tid = load(m)?.and_then(|member| member.tenant_id);
            let result = match tid {
                Some(tid) => graph.remove_member(&group_id, &tid).await,
                None => Ok(()),
            };
            match result {
                Ok(()) => {
                    confirmed.remove(m);
                }
                Err(e) if e.status() == Some(404) => {
                    confirmed.remove(m);
                }
                Err(e) => {
                    errors.push((p.name.clone(), e.to_string()));
                    counts.errors += 1;
                }
            }
        }
        if let Some(map) = mv.exported.as_object_mut() {
            map.insert("members".into(), json!(confirmed));
        }
        save(&mv)?;
    }

    // Deletes last.
    for p in pending
        .iter()
        .filter(|p| matches!(p.change, ExportChange::Delete))
    {
        let Some(mv) = load(&p.mv_id)? else { continue };
        let Some(id) = mv.tenant_id.clone() else {
            continue;
        };
        let path = if mv.kind == MvKind::Group {
            "groups"
        } else {
            "users"
        };
        match graph.delete(&format!("{path}/{id}")).await {
            Ok(()) => {}
            Err(e) if e.status() == Some(404) => {}
            Err(e) => {
                errors.push((p.name.clone(), e.to_string()));
                counts.errors += 1;
                continue;
            }
        }
        counts.deletes += 1;
        let mut batch = Batch::default();
        batch.remove(Space::Metaverse, mv.id.as_bytes());
        store.commit(batch)?;
    }
    let outcome = if errors.is_empty() {
        "completed".to_string()
    } else {
        format!(
            "completed with {} object errors (retried next cycle)",
            errors.len()
        )
    };
    Ok(record(
        store, "export", "tenant", started, counts, outcome, errors,
    )?)
}
