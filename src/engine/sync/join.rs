//! Inbound: which connector objects take part (scoping), the DN index of each connector space,
//! the join index and the links between connector objects and metaverse objects, and the step
//! that joins a connector object to an identity or projects a new one ([`sync_object`]).

use std::collections::BTreeSet;

use serde_json::Value;

use super::SyncSettings;
use super::desired::{recompute, recompute_with};
use crate::directory::escape;
use crate::directory::import::ObjectClass;
use crate::engine::model::{CsObject, MvKind, MvObject, RunCounts, key};
use crate::engine::rules::{self, Matching};
use crate::store::{Batch, Space, Store, StoreError, StoreExt};

/// The marker of a join index that is up to date for a matching rule (its value).
const JOIN_INDEX_BUILT: &[u8] = b"join-index-built";

/// Makes the join index match the settings: built from every identity's sources when forests
/// are joined and it was not built for this matching rule (a second forest was added, or the
/// rule changed), and dropped when nothing is joined. Sign-in name reservations (`upn:`) stay.
pub fn ensure_join_index(store: &dyn Store, settings: &SyncSettings) -> Result<(), StoreError> {
    let built: Option<Matching> = store.get(Space::Meta, JOIN_INDEX_BUILT)?;
    let wanted = settings.joins_forests().then(|| settings.matching.clone());
    if built == wanted {
        return Ok(());
    }
    let mut batch = Batch::default();
    store.for_each_raw(Space::JoinIndex, b"", &mut |k, _| {
        if !k.starts_with(b"upn:") {
            batch.remove(Space::JoinIndex, k);
        }
        Ok(())
    })?;
    if let Some(matching) = &wanted {
        let mut identities = Vec::new();
        store.for_each_raw(Space::Metaverse, b"", &mut |k, v| {
            let mv: MvObject = serde_json::from_slice(v).map_err(|e| StoreError::Corrupt {
                key: String::from_utf8_lossy(k).into_owned(),
                detail: e.to_string(),
            })?;
            if !mv.deleting {
                identities.push((mv.id, mv.sources));
            }
            Ok(())
        })?;
        for (id, sources) in identities {
            for (c, a) in sources {
                if let Some(o) = store.get::<CsObject>(Space::Connector, &key(&c, &a))? {
                    let (_, offers) = rules::join_keys(&o.to_entry(), matching);
                    for k in offers {
                        batch.put(Space::JoinIndex, k.as_bytes(), &id)?;
                    }
                }
            }
        }
        batch.put(Space::Meta, JOIN_INDEX_BUILT, matching)?;
    } else {
        batch.remove(Space::Meta, JOIN_INDEX_BUILT);
    }
    store.commit(batch)
}

fn mv_kind(class: ObjectClass) -> MvKind {
    match class {
        ObjectClass::User | ObjectClass::InetOrgPerson => MvKind::Person,
        ObjectClass::Group => MvKind::Group,
        ObjectClass::Contact => MvKind::Contact,
        ObjectClass::Computer => MvKind::Device,
    }
}

/// Why a connector object does not take part, if it does not.
pub fn out_of_scope(
    object: &CsObject,
    entry: &crate::directory::Entry,
    settings: &SyncSettings,
    store: &dyn Store,
) -> Result<Option<String>, StoreError> {
    if object.deleted {
        return Ok(Some("deleted in Active Directory".into()));
    }
    let Some(scope) = settings
        .connectors
        .iter()
        .find(|c| c.name == object.connector)
    else {
        return Ok(Some("its forest is no longer connected".into()));
    };
    if !scope.contains(&object.dn) {
        return Ok(Some("outside the selected domains and OUs".into()));
    }
    if object.class == ObjectClass::Computer && !settings.devices {
        return Ok(Some("devices are not synchronized".into()));
    }
    if let Some(reason) = rules::builtin_exclusion(entry) {
        return Ok(Some(reason.to_string()));
    }
    // With group-based filtering only direct members of the pilot group take part (nested
    // members do not, as in the reference product); the pilot group itself need not.
    if let Some(pilot) = settings.pilot_groups.get(&object.connector)
        && !escape::dn_eq(&object.dn, pilot)
    {
        let member = pilot_members(store, &object.connector, pilot)?;
        if !member.contains(&object.dn.to_lowercase()) {
            return Ok(Some("not a member of the pilot group".into()));
        }
    }
    Ok(None)
}

fn pilot_members(
    store: &dyn Store,
    connector: &str,
    pilot_dn: &str,
) -> Result<BTreeSet<String>, StoreError> {
    let Some((anchor, _)) = lookup_dn(store, connector, pilot_dn)? else {
        return Ok(BTreeSet::new());
    };
    let group: Option<CsObject> = store.get(Space::Connector, &key(connector, &anchor))?;
    Ok(group
        .map(|g| {
            g.values("member")
                .iter()
                .map(|m| String::from_utf8_lossy(m).to_lowercase())
                .collect()
        })
        .unwrap_or_default())
}

/// The index key of a DN (lower-case) in a connector; its value is (anchor, class).
pub fn dn_key(connector: &str, dn: &str) -> Vec<u8> {
    format!("{connector}/{}", dn.to_lowercase()).into_bytes()
}

/// Records where a DN of a connector points: the object's anchor and class.
pub fn index_dn(
    batch: &mut Batch,
    connector: &str,
    dn: &str,
    anchor: &str,
    class: ObjectClass,
) -> Result<(), StoreError> {
    batch.put(Space::DnIndex, &dn_key(connector, dn), &(anchor, class))
}

/// The (anchor, class) of the object a DN of a connector names, if it is in the connector space.
pub fn lookup_dn(
    store: &dyn Store,
    connector: &str,
    dn: &str,
) -> Result<Option<(String, ObjectClass)>, StoreError> {
    store.get(Space::DnIndex, &dn_key(connector, dn))
}

/// The metaverse id an object gets when it projects a new identity: its kind, connector and
/// anchor. Deriving the id from the source saves a link record for the common case (an object
/// that is its identity's only or first source), and the kind prefix lets the groups be read
/// without reading everyone.
pub fn own_id(object: &CsObject) -> String {
    own_id_of(mv_kind(object.class), &object.connector, &object.anchor)
}

fn own_id_of(kind: MvKind, connector: &str, anchor: &str) -> String {
    format!("{}/{connector}/{anchor}", kind_prefix(kind))
}

/// The key prefix of one kind of metaverse object.
pub fn kind_prefix(kind: MvKind) -> &'static str {
    match kind {
        MvKind::Person => "p",
        MvKind::Group => "g",
        MvKind::Contact => "c",
        MvKind::Device => "d",
    }
}

/// The metaverse object a connector object is joined to, if any.
///
/// A link record decides when there is one: an id (joined to another identity) or empty
/// (explicitly not joined: it left scope). Without a link record an object belongs to the
/// identity it projected, when that identity exists.
pub fn joined_to(
    store: &dyn Store,
    connector: &str,
    anchor: &str,
    class: ObjectClass,
) -> Result<Option<String>, StoreError> {
    match store.get::<String>(Space::JoinToMetaverse, &key(connector, anchor))? {
        Some(id) if id.is_empty() => Ok(None),
        Some(id) => Ok(Some(id)),
        None => {
            let own = own_id_of(mv_kind(class), connector, anchor);
            Ok(store
                .get_raw(Space::Metaverse, own.as_bytes())?
                .map(|_| own))
        }
    }
}

/// Synchronizes one connector object into the metaverse; returns what happened.
pub fn sync_object(
    store: &dyn Store,
    settings: &SyncSettings,
    object: &CsObject,
    counts: &mut RunCounts,
) -> Result<(), StoreError> {
    let link_key = object.key();
    let own = own_id(object);
    let link: Option<String> = store.get(Space::JoinToMetaverse, &link_key)?;
    // The identity's stored state, read once: without a link record, the own identity.
    let mut own_stored: Option<Option<MvObject>> = None;
    let linked: Option<String> = match &link {
        Some(id) if id.is_empty() => None,
        Some(id) => Some(id.clone()),
        None => {
            let stored: Option<MvObject> = store.get(Space::Metaverse, own.as_bytes())?;
            let linked = stored.as_ref().map(|_| own.clone());
            own_stored = Some(stored);
            linked
        }
    };
    let mut batch = Batch::default();
    let entry = object.to_entry();
    if let Some(reason) = out_of_scope(object, &entry, settings, store)? {
        // Leaving scope: disconnect; a metaverse object with no sources left is deleted.
        if let Some(mv_id) = linked {
            let stored = match own_stored {
                Some(stored) => stored,
                None => store.get(Space::Metaverse, mv_id.as_bytes())?,
            };
            let Some(mut mv) = stored else {
                return Ok(());
            };
            mv.sources
                .retain(|(c, a)| !(c == &object.connector && a == &object.anchor));
            batch.put(Space::JoinToMetaverse, &link_key, &String::new())?;
            if mv.sources.is_empty() {
                mv.deleting = true;
                mv.error = Some(format!("its source is gone: {reason}"));
                counts.deletes += 1;
            } else {
                counts.updates += 1;
                recompute(store, settings, &mut mv, None)?;
            }
            batch.put(Space::Metaverse, mv_id.as_bytes(), &mv)?;
        }
        store.commit(batch)?;
        return Ok(());
    }

    let (looks, offers) = rules::join_keys(&entry, &settings.matching);
    let was_linked = linked.is_some();
    let mv_id = match linked {
        Some(id) => id,
        None => {
            // Join: an existing identity from another forest offering a key this one looks for.
            let mut joined = None;
            for k in &looks {
                if let Some(candidate) = store.get::<String>(Space::JoinIndex, k.as_bytes())? {
                    let mv: Option<MvObject> = store.get(Space::Metaverse, candidate.as_bytes())?;
                    if let Some(mv) = mv
                        && mv.kind == mv_kind(object.class)
                        && !mv.deleting
                        && !mv.sources.iter().any(|(c, _)| c == &object.connector)
                    {
                        joined = Some(candidate);
                        break;
                    }
                }
            }
            match joined {
                Some(id) => {
                    counts.updates += 1;
                    id
                }
                None => {
                    counts.adds += 1;
                    own.clone()
                }
            }
        }
    };
    let stored: Option<MvObject> = match own_stored {
        // Already read (and absent when this object projects anew).
        Some(stored) if mv_id == own => stored,
        _ => store.get(Space::Metaverse, mv_id.as_bytes())?,
    };
    let mut mv: MvObject = stored.clone().unwrap_or_else(|| MvObject {
        id: mv_id.clone(),
        kind: mv_kind(object.class),
        sources: Vec::new(),
        desired: Value::Null,
        tenant_id: None,
        exported: Value::Null,
        not_exportable: None,
        error: None,
        deleting: false,
        in_flight: false,
        write_back: false,
    });
    if !mv
        .sources
        .iter()
        .any(|(c, a)| c == &object.connector && a == &object.anchor)
    {
        mv.sources
            .push((object.connector.clone(), object.anchor.clone()));
    }
    mv.deleting = false;
    let before = mv.desired.clone();
    recompute_with(store, settings, &mut mv, Some((object, &entry)))?;
    if before != Value::Null && before != mv.desired {
        counts.updates += 1;
    }
    // Nothing changed for an object already joined: write nothing (a full sync of a quiet
    // directory then costs reads only).
    if was_linked && stored.as_ref() == Some(&mv) {
        let mut indexed = true;
        for k in offers.iter().filter(|_| settings.joins_forests()) {
            indexed &= store
                .get::<String>(Space::JoinIndex, k.as_bytes())?
                .as_deref()
                == Some(mv_id.as_str());
        }
        if indexed {
            return Ok(());
        }
    }
    // The link record: only for a join to another identity, or to undo an explicit "not
    // joined".
    if mv_id != own {
        if link.as_deref() != Some(mv_id.as_str()) {
            batch.put(Space::JoinToMetaverse, &link_key, &mv_id)?;
        }
    } else if link.is_some() {
        batch.remove(Space::JoinToMetaverse, &link_key);
    }
    if settings.joins_forests() {
        for k in offers {
            batch.put(Space::JoinIndex, k.as_bytes(), &mv_id)?;
        }
    }
    batch.put(Space::Metaverse, mv_id.as_bytes(), &mv)?;
    store.commit(batch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::Entry;
    use crate::engine::sync::ConnectorScope;
    use crate::store::SledStore;

    fn person(connector: &str, guid: u8, name: &str, mail: &str) -> CsObject {
        let mut e = Entry {
            dn: format!("CN={name},OU=People,DC={connector},DC=test"),
            ..Entry::default()
        };
        e.add_values("objectGUID", vec![vec![guid; 16]]);
        e.add_values("objectClass", vec![b"top".to_vec(), b"user".to_vec()]);
        e.add_values("sAMAccountName", vec![name.as_bytes().to_vec()]);
        e.add_values("mail", vec![mail.as_bytes().to_vec()]);
        CsObject::from_entry(connector, &format!("{connector}.test"), &e).expect("object")
    }

    /// Puts an imported object in its connector space, as the import does.
    fn imported(store: &SledStore, object: &CsObject) {
        let mut batch = Batch::default();
        batch
            .put(Space::Connector, &object.key(), object)
            .expect("put");
        store.commit(batch).expect("commit");
    }

    fn scope(name: &str) -> ConnectorScope {
        let base = format!("DC={name},DC=test");
        ConnectorScope {
            name: name.into(),
            domains: vec![(base.clone(), format!("{name}.test"))],
            included: vec![base],
            excluded: Vec::new(),
        }
    }

    #[test]
    fn a_forest_added_later_joins_the_identities_of_the_first() {
        let dir = std::env::temp_dir().join(format!("skybridge-join-{}", uuid::Uuid::new_v4()));
        let store = SledStore::open(&dir).expect("store");
        let mut settings = SyncSettings::new(
            vec![scope("alpha")],
            vec!["contoso.com".into()],
            "contoso.onmicrosoft.com",
        );
        let a = person("alpha", 1, "ann", "Ann@Contoso.com");
        imported(&store, &a);
        let mut counts = RunCounts::default();
        ensure_join_index(&store, &settings).expect("index");
        sync_object(&store, &settings, &a, &mut counts).expect("sync");
        // One forest: nothing can join, so no join index is kept.
        assert!(
            store
                .scan_raw(Space::JoinIndex, b"mail:")
                .expect("scan")
                .is_empty()
        );

        // A second forest: the index is built from the identities already there.
        settings.connectors.push(scope("beta"));
        ensure_join_index(&store, &settings).expect("index");
        let b = person("beta", 2, "ann.b", "ann@contoso.com");
        imported(&store, &b);
        sync_object(&store, &settings, &b, &mut counts).expect("sync");
        let ids: Vec<MvObject> = store
            .scan::<MvObject>(Space::Metaverse, b"")
            .expect("scan")
            .into_iter()
            .map(|(_, mv)| mv)
            .collect();
        assert_eq!(ids.len(), 1, "one identity for the person in both forests");
        assert_eq!(ids[0].sources.len(), 2);
        assert_eq!(
            joined_to(&store, "beta", &b.anchor, b.class).expect("link"),
            Some(own_id(&a))
        );

        // Back to one forest: the index goes, the sign-in name reservations would stay.
        settings.connectors.pop();
        ensure_join_index(&store, &settings).expect("index");
        assert!(
            store
                .scan_raw(Space::JoinIndex, b"mail:")
                .expect("scan")
                .is_empty()
        );
        drop(store);
        let _ = std::fs::remove_dir_all(dir);
    }
}
