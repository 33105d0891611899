//! Outbound: the state each metaverse object should have in the tenant, recomputed from its
//! sources by the outbound rules (attribute flows, sign-in names made unique, directory
//! extensions, group members), and the marker of identities waiting for anchor write-back.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::SyncSettings;
use super::join::{joined_to, lookup_dn};
use crate::directory::escape;
use crate::engine::model::{CsObject, MvKind, MvObject, key};
use crate::engine::rules;
use crate::store::{Batch, Space, Store, StoreError, StoreExt};

/// The marker that some identities wait for their sourceAnchor to be written back.
pub const WRITE_BACK_PENDING: &[u8] = b"write-back-pending";

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
pub(super) fn recompute_with(
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
                settings.sign_in_attribute.as_deref(),
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
    applies: impl Fn(&crate::engine::extensions::Extension) -> bool,
) {
    for extension in settings.extensions.iter().filter(|e| applies(e)) {
        if let Some(value) = sources.iter().find_map(|s| {
            crate::engine::extensions::tenant_value(extension, &s.values(&extension.attribute))
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
