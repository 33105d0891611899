//! Synchronization: from connector-space objects to metaverse objects (scoping, built-in
//! exclusions, joining across forests, projection) and from metaverse objects to the state each
//! should have in the tenant (the outbound rules), from which pending exports follow.
//!
//! A full sync looks at every connector object; a delta sync only at those imports marked
//! changed. Each object's step is committed with its links and index entries in one batch.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::model::{CsObject, ExportChange, MvKind, MvObject, PendingExport, RunCounts, key};
use super::rules::{self, AnchorMode, Matching};
use super::store::{Batch, Space, Store, StoreError, StoreExt};
use crate::directory::escape;
use crate::directory::import::ObjectClass;

/// What to synchronize and how: the settings the wizard writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncSettings {
    /// The connected forests.
    pub connectors: Vec<ConnectorScope>,
    /// Where the immutableId comes from.
    pub anchor: AnchorMode,
    /// How the same person is found across forests.
    pub matching: Matching,
    /// The tenant's verified domains.
    pub verified_domains: Vec<String>,
    /// The tenant's initial domain (`contoso.onmicrosoft.com`).
    pub initial_domain: String,
    /// Only members of this group (DN, per connector) are synchronized, when set.
    #[serde(default)]
    pub pilot_groups: BTreeMap<String, String>,
    /// Stop an export that would delete more than this many objects (`None`: no limit).
    #[serde(default = "default_threshold")]
    pub delete_threshold: Option<u64>,
    /// Import and sync, never export.
    #[serde(default)]
    pub staging: bool,
    /// Synchronize computers as devices.
    #[serde(default)]
    pub devices: bool,
    /// Take over a cloud-only user (no immutableId yet) with the same sign-in name instead of
    /// failing on the conflict ("soft match").
    #[serde(default)]
    pub soft_match: bool,
    /// Attributes copied into tenant extension properties.
    #[serde(default)]
    pub extensions: Vec<super::extensions::Extension>,
    /// Active Directory attributes of the catalogue ([`super::attributes::FLOWS`]) that are not
    /// copied to the tenant (app and attribute filtering). Required ones are copied anyway.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub excluded_attributes: BTreeSet<String>,
}

impl SyncSettings {
    /// The defaults the wizard starts from: managed sourceAnchor, matching by mail, a delete
    /// threshold of 500, no pilot group, no staging, no devices, no soft match.
    pub fn new(
        connectors: Vec<ConnectorScope>,
        verified_domains: Vec<String>,
        initial_domain: &str,
    ) -> SyncSettings {
        SyncSettings {
            connectors,
            anchor: AnchorMode::Managed,
            matching: Matching::Mail,
            verified_domains,
            initial_domain: initial_domain.to_string(),
            pilot_groups: BTreeMap::new(),
            delete_threshold: default_threshold(),
            staging: false,
            devices: false,
            soft_match: false,
            extensions: Vec::new(),
            excluded_attributes: BTreeSet::new(),
        }
    }

    /// Whether the rules copy this Active Directory attribute of the catalogue to the tenant.
    pub fn copies(&self, source: &str) -> bool {
        super::attributes::flow(source).is_none_or(|f| f.required)
            || !self
                .excluded_attributes
                .iter()
                .any(|x| x.eq_ignore_ascii_case(source))
    }

    /// Attributes the rules use besides the ones every import reads: a chosen anchor or
    /// matching attribute, and the directory extensions.
    pub fn read_also(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        if let AnchorMode::Attribute(name) = &self.anchor {
            names.push(name.clone());
        }
        if let Matching::Attribute(name) = &self.matching {
            names.push(name.clone());
        }
        names.extend(self.extensions.iter().map(|e| e.attribute.clone()));
        names.retain(|n| {
            !crate::directory::import::DEFAULT_ATTRIBUTES
                .iter()
                .any(|d| d.eq_ignore_ascii_case(n))
        });
        names.sort_by_key(|n| n.to_lowercase());
        names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
        names
    }
}

impl SyncSettings {
    /// Whether identities are joined across forests: with more than one forest connected and a
    /// matching rule. Only then is the join index kept.
    pub fn joins_forests(&self) -> bool {
        self.connectors.len() > 1 && self.matching != Matching::None
    }
}

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

fn default_threshold() -> Option<u64> {
    Some(500)
}

/// One forest's part of the scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorScope {
    /// The connector's name (the forest's DNS name).
    pub name: String,
    /// Domain naming contexts and their DNS names.
    pub domains: Vec<(String, String)>,
    /// Domains or OUs included.
    pub included: Vec<String>,
    /// OUs excluded.
    pub excluded: Vec<String>,
}

impl ConnectorScope {
    /// Whether a DN is in scope.
    pub fn contains(&self, dn: &str) -> bool {
        crate::directory::import::in_scope(dn, &self.included, &self.excluded)
    }

    /// The DNS name of the domain holding `dn`.
    pub fn domain_of(&self, dn: &str) -> String {
        self.domains
            .iter()
            .filter(|(nc, _)| escape::dn_is_within(dn, nc))
            .max_by_key(|(nc, _)| nc.len())
            .map(|(_, dns)| dns.clone())
            .unwrap_or_default()
    }
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

/// The marker that some identities wait for their sourceAnchor to be written back.
pub const WRITE_BACK_PENDING: &[u8] = b"write-back-pending";

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

/// Recomputes the tenant state a metaverse object should have from its sources.
/// `known` is a source already at hand (it is not read again).
pub fn recompute(
    store: &dyn Store,
    settings: &SyncSettings,
    mv: &mut MvObject,
    known: Option<&CsObject>,
) -> Result<(), StoreError> {
    let entry = known.map(CsObject::to_entry);
    recompute_with(store, settings, mv, known.zip(entry.as_ref()))
}

/// [`recompute`] with the known source's entry already made.
fn recompute_with(
    store: &dyn Store,
    settings: &SyncSettings,
    mv: &mut MvObject,
    known: Option<(&CsObject, &crate::directory::Entry)>,
) -> Result<(), StoreError> {
    use std::borrow::Cow;
    let mut sources: Vec<Cow<'_, CsObject>> = Vec::with_capacity(mv.sources.len());
    for (c, a) in &mv.sources {
        if let Some((k, _)) = known.filter(|(k, _)| &k.connector == c && &k.anchor == a) {
            sources.push(Cow::Borrowed(k));
        } else if let Some(o) = store.get::<CsObject>(Space::Connector, &key(c, a))? {
            sources.push(Cow::Owned(o));
        }
    }
    let Some(primary) = sources.first() else {
        return Ok(());
    };
    let made;
    let entry = match known {
        Some((k, e)) if k.connector == primary.connector && k.anchor == primary.anchor => e,
        _ => {
            made = primary.to_entry();
            &made
        }
    };
    // Values from the primary source first, the joined ones filling what it lacks.
    let first = |name: &str| -> Option<String> {
        sources.iter().find_map(|s| {
            s.first_text(name)
                .filter(|v| !v.trim().is_empty())
                .map(str::to_string)
        })
    };
    // The name part of the DN: every object has one, whatever attributes were read.
    let rdn = escape::split_dn(&primary.dn)
        .ok()
        .and_then(|parts| parts.into_iter().next())
        .map(|(_, v)| v);
    // An attribute app and attribute filtering left out is never copied.
    let kept = |name: &str| -> Option<String> {
        if settings.copies(name) {
            first(name)
        } else {
            None
        }
    };
    let mut desired = Map::new();
    fn put(desired: &mut Map<String, Value>, k: &str, v: Option<String>) {
        if let Some(v) = v {
            desired.insert(k.to_string(), Value::String(v));
        }
    }
    mv.not_exportable = None;
    match mv.kind {
        MvKind::Person => {
            let anchor = rules::source_anchor(entry, &settings.anchor);
            match anchor {
                Ok(a) => {
                    desired.insert("onPremisesImmutableId".into(), json!(a.immutable_id));
                    mv.write_back = a.write_back.is_some();
                    if mv.write_back && store.get_raw(Space::Meta, WRITE_BACK_PENDING)?.is_none() {
                        let mut batch = Batch::default();
                        batch.put_raw(Space::Meta, WRITE_BACK_PENDING, Vec::new());
                        store.commit(batch)?;
                    }
                }
                Err(e) => mv.not_exportable = Some(format!("no usable sourceAnchor: {e}")),
            }
            let domain = settings
                .connectors
                .iter()
                .find(|c| c.name == primary.connector)
                .map(|c| c.domain_of(&primary.dn))
                .unwrap_or_default();
            let upn = rules::tenant_upn(
                entry,
                &domain,
                &settings.verified_domains,
                &settings.initial_domain,
            );
            let previous = mv.desired["userPrincipalName"].as_str().map(str::to_string);
            let upn = match upn {
                Some(u) => Some(unique_fallback_upn(
                    store,
                    &mv.id,
                    &u,
                    &settings.initial_domain,
                    previous.as_deref(),
                )?),
                None => None,
            };
            put(&mut desired, "userPrincipalName", upn);
            let nickname = rules::mail_nickname(entry)
                .or_else(|| entry.text("sAMAccountName"))
                .map(|n| rules::tenant_safe(&n));
            put(&mut desired, "mailNickname", nickname);
            put(
                &mut desired,
                "displayName",
                first("displayName")
                    .or_else(|| first("cn"))
                    .or_else(|| first("name"))
                    .or_else(|| rdn.clone()),
            );
            put(&mut desired, "givenName", kept("givenName"));
            put(&mut desired, "surname", kept("sn"));
            put(&mut desired, "mail", kept("mail"));
            put(&mut desired, "department", kept("department"));
            put(&mut desired, "jobTitle", kept("title"));
            put(&mut desired, "companyName", kept("company"));
            put(
                &mut desired,
                "officeLocation",
                kept("physicalDeliveryOfficeName"),
            );
            put(&mut desired, "mobilePhone", kept("mobile"));
            put(&mut desired, "employeeId", kept("employeeID"));
            let uac = entry.number("userAccountControl").unwrap_or(512);
            desired.insert("accountEnabled".into(), json!(uac & 2 == 0));
            put_extensions(&mut desired, settings, &sources, |e| e.users);
        }
        MvKind::Group => {
            let group_type = entry.number("groupType").unwrap_or(0);
            let security = group_type & 0x8000_0000 != 0 || group_type < 0;
            let mail_enabled =
                first("mail").is_some() || !primary.values("proxyAddresses").is_empty();
            put(
                &mut desired,
                "displayName",
                first("displayName")
                    .or_else(|| first("cn"))
                    .or_else(|| rdn.clone()),
            );
            put(&mut desired, "description", kept("description"));
            let nickname = first("mailNickname")
                .or_else(|| first("sAMAccountName"))
                .or_else(|| first("cn"))
                .or_else(|| rdn.clone())
                .map(|n| rules::tenant_safe(&n.replace(' ', "")));
            put(&mut desired, "mailNickname", nickname);
            desired.insert("securityEnabled".into(), json!(security));
            desired.insert("mailEnabled".into(), json!(false));
            put_extensions(&mut desired, settings, &sources, |e| e.groups);
            // Graph has no immutableId on groups: a group is matched by its tenant id alone.
            if !security || mail_enabled {
                mv.not_exportable = Some(
                    "mail-enabled and distribution groups cannot be created through the tenant API (Microsoft Graph creates security and Microsoft 365 groups only)".into(),
                );
            }
            // Members: metaverse ids of in-scope members, resolved through the DN index.
            let mut members = BTreeSet::new();
            for m in primary.values("member") {
                let dn = String::from_utf8_lossy(&m).into_owned();
                if let Some((anchor, class)) = lookup_dn(store, &primary.connector, &dn)?
                    && let Some(member_mv) = joined_to(store, &primary.connector, &anchor, class)?
                {
                    members.insert(member_mv);
                }
            }
            desired.insert("members".into(), json!(members));
        }
        MvKind::Contact => {
            put(
                &mut desired,
                "displayName",
                first("displayName").or_else(|| first("cn")),
            );
            put(&mut desired, "mail", first("mail"));
            mv.not_exportable = Some(
                "contacts cannot be created through the tenant API (Microsoft Graph's orgContacts are read-only)".into(),
            );
        }
        MvKind::Device => {
            put(&mut desired, "displayName", first("cn"));
            mv.not_exportable =
                Some("devices are registered by the devices themselves, not created through this tenant API".into());
        }
    }
    mv.desired = Value::Object(desired);
    Ok(())
}

/// The directory extensions for one object: each from the first source holding a value the
/// tenant takes (the primary source first, as for every other attribute).
fn put_extensions(
    desired: &mut Map<String, Value>,
    settings: &SyncSettings,
    sources: &[std::borrow::Cow<'_, CsObject>],
    applies: impl Fn(&super::extensions::Extension) -> bool,
) {
    for extension in settings.extensions.iter().filter(|e| applies(e)) {
        if let Some(value) = sources.iter().find_map(|s| {
            super::extensions::tenant_value(extension, &s.values(&extension.attribute))
        }) {
            desired.insert(extension.property.clone(), value);
        }
    }
}

/// Two people of different forests (or a person and a cloud account) can fall back to the same
/// `nickname@<initial domain>`. Such names are made unique here, the way the tenant itself
/// resolves duplicate synchronized names: the first keeps the name, the next get a number
/// (`jdoe2@…`). A name on a verified domain is the administrator's and is never changed.
fn unique_fallback_upn(
    store: &dyn Store,
    mv_id: &str,
    upn: &str,
    initial_domain: &str,
    previous: Option<&str>,
) -> Result<String, StoreError> {
    let suffix = format!("@{}", initial_domain.to_lowercase());
    let index = |u: &str| format!("upn:{}", u.to_lowercase()).into_bytes();
    let chosen = if upn.to_lowercase().ends_with(&suffix) {
        let prefix = &upn[..upn.len() - suffix.len()];
        let mut n = 1u32;
        loop {
            let candidate = if n == 1 {
                upn.to_string()
            } else {
                format!("{prefix}{n}{}", &upn[upn.len() - suffix.len()..])
            };
            match store.get::<String>(Space::JoinIndex, &index(&candidate))? {
                // A name held by an identity that has since gone is free again.
                Some(owner)
                    if owner != mv_id
                        && store.get_raw(Space::Metaverse, owner.as_bytes())?.is_some() =>
                {
                    n += 1
                }
                _ => break candidate,
            }
        }
    } else {
        upn.to_string()
    };
    let mut batch = Batch::default();
    if let Some(old) = previous
        && !old.eq_ignore_ascii_case(&chosen)
        && store
            .get::<String>(Space::JoinIndex, &index(old))?
            .as_deref()
            == Some(mv_id)
    {
        batch.remove(Space::JoinIndex, &index(old));
    }
    if chosen.to_lowercase().ends_with(&suffix) {
        batch.put(Space::JoinIndex, &index(&chosen), &mv_id.to_string())?;
    }
    store.commit(batch)?;
    Ok(chosen)
}

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
    use crate::directory::Entry;
    use crate::engine::store::SledStore;

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
