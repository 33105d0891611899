//! Delta import: what changed in a domain since the last import.
//!
//! The preferred feed is Active Directory's DirSync control: the server keeps no state, the
//! caller keeps an opaque cookie, and each read returns only changed attributes of changed
//! objects, moves and renames (same objectGUID, new DN), deletions (tombstones with `isDeleted`)
//! and, with the incremental-values flag, the single member values added to or removed from a
//! group. DirSync needs the "Replicating Directory Changes" right on the domain root.
//!
//! For an account without that right, [`usn_delta`] reads objects whose `uSNChanged` passed the
//! last watermark plus the tombstones since then. Update numbers are per domain controller, so
//! the watermark records which DC it came from and is refused on any other.

use std::collections::BTreeMap;

use ldap3::Scope;
use ldap3::adapters::{Adapter, EntriesOnly};
use ldap3::controls::RawControl;
use serde::{Deserialize, Serialize};

use super::ber::Ber;
use super::entry::{Entry, raw_entry};
use super::error::DirectoryError;
use super::import::{ImportScope, import_matching};
use super::rootdse::{OID_DIRSYNC, OID_SHOW_DELETED};
use super::session::{Session, control};

/// DirSync flag: report changed member values one by one instead of the whole list.
pub const DIRSYNC_INCREMENTAL_VALUES: i64 = 0x8000_0000;
/// DirSync flag: return parents before their children.
pub const DIRSYNC_ANCESTORS_FIRST: i64 = 0x800;

/// The most bytes of attribute data the server may put into one DirSync answer.
const DIRSYNC_MAX_BYTES: i64 = 1_048_576;

/// One change of one object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// The object's GUID, which survives renames and moves.
    pub guid: [u8; 16],
    /// Its DN now (for a deleted object, its tombstone's DN).
    pub dn: String,
    /// Whether the object was deleted.
    pub deleted: bool,
    /// Attributes whose whole value list is given (changed or, on the first read, all).
    pub attrs: BTreeMap<String, Vec<Vec<u8>>>,
    /// Values added to multi-valued attributes (incremental values).
    pub added: BTreeMap<String, Vec<Vec<u8>>>,
    /// Values removed from multi-valued attributes (incremental values).
    pub removed: BTreeMap<String, Vec<Vec<u8>>>,
}

impl Change {
    /// The change as an entry (whole-value attributes and added values).
    pub fn as_entry(&self) -> Entry {
        let mut entry = Entry {
            dn: self.dn.clone(),
            attrs: self.attrs.clone(),
            ..Entry::default()
        };
        for (name, values) in &self.added {
            entry
                .attrs
                .entry(name.clone())
                .or_default()
                .extend(values.iter().cloned());
        }
        entry
    }

    fn from_raw(dn: String, attributes: Vec<(String, Vec<Vec<u8>>)>) -> Option<Change> {
        let mut change = Change {
            dn,
            ..Change::default()
        };
        for (description, values) in attributes {
            let mut parts = description.split(';');
            let name = parts.next().unwrap_or_default().to_ascii_lowercase();
            // With incremental values, `range=1-1` carries added and `range=0-0` removed values.
            let option = parts
                .map(str::to_ascii_lowercase)
                .find(|o| o.starts_with("range="));
            let target = match option.as_deref() {
                Some("range=1-1") => &mut change.added,
                Some("range=0-0") => &mut change.removed,
                _ => &mut change.attrs,
            };
            target.entry(name).or_default().extend(values);
        }
        change.guid = change
            .attrs
            .get("objectguid")
            .and_then(|v| v.first())
            .and_then(|b| <[u8; 16]>::try_from(b.as_slice()).ok())?;
        change.deleted = change
            .attrs
            .get("isdeleted")
            .and_then(|v| v.first())
            .is_some_and(|v| v.eq_ignore_ascii_case(b"TRUE"));
        Some(change)
    }
}

/// What a DirSync read ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirSyncOutcome {
    /// The cookie to keep for the next read.
    pub cookie: Vec<u8>,
    /// Changes handed on.
    pub changes: u64,
    /// Changes outside the scope, skipped.
    pub skipped: u64,
}

fn dirsync_control(flags: i64, cookie: &[u8]) -> RawControl {
    RawControl {
        ctype: OID_DIRSYNC.to_string(),
        crit: true,
        val: Some(
            Ber::Sequence(vec![
                Ber::Integer(flags),
                Ber::Integer(DIRSYNC_MAX_BYTES),
                Ber::Bytes(cookie.to_vec()),
            ])
            .encode(),
        ),
    }
}

/// Reads the response control: (more data waiting, new cookie).
fn dirsync_response(
    session: &Session,
    ctrls: &[ldap3::controls::Control],
) -> Result<(bool, Vec<u8>), DirectoryError> {
    let raw = ctrls
        .iter()
        .map(|c| &c.1)
        .find(|c| c.ctype == OID_DIRSYNC)
        .ok_or_else(|| {
            session.protocol("reading changes", "the answer carries no DirSync cookie")
        })?;
    let value = raw
        .val
        .as_deref()
        .ok_or_else(|| session.protocol("reading changes", "the DirSync answer is empty"))?;
    let parsed = Ber::decode(value).map_err(|e| session.protocol("reading changes", e))?;
    let items = parsed
        .items()
        .map_err(|e| session.protocol("reading changes", e))?;
    match items {
        [more, _, cookie] => Ok((
            more.integer()
                .map_err(|e| session.protocol("reading changes", e))?
                != 0,
            cookie
                .bytes()
                .map_err(|e| session.protocol("reading changes", e))?
                .to_vec(),
        )),
        _ => Err(session.protocol("reading changes", "the DirSync answer has the wrong shape")),
    }
}

/// Reads changes of the domain `nc` since `cookie` (empty: everything, which is also how a
/// DirSync-based full read starts). Changes outside `scope` are skipped; each other change goes
/// to `sink`. Returns the new cookie, which the caller stores only after it has kept the changes.
pub fn dirsync<E: From<DirectoryError>>(
    session: &mut Session,
    nc: &str,
    scope: &ImportScope,
    cookie: &[u8],
    mut sink: impl FnMut(Change) -> Result<(), E>,
) -> Result<DirSyncOutcome, E> {
    const OPERATION: &str = "reading changes (DirSync)";
    let filter = scope.change_filter();
    let mut attrs: Vec<String> = scope
        .requested_attributes()
        .into_iter()
        .map(|a| a.split(';').next().unwrap_or_default().to_string())
        .collect();
    for extra in ["objectGUID", "isDeleted", "parentGUID", "objectClass"] {
        if !attrs.iter().any(|a| a.eq_ignore_ascii_case(extra)) {
            attrs.push(extra.to_string());
        }
    }
    let attr_refs: Vec<&str> = attrs.iter().map(String::as_str).collect();
    let mut cookie = cookie.to_vec();
    let started_with_cookie = !cookie.is_empty();
    let mut outcome = DirSyncOutcome {
        cookie: Vec::new(),
        changes: 0,
        skipped: 0,
    };
    loop {
        let spec = session.spec().clone();
        let adapters: Vec<Box<dyn Adapter<_, _>>> = vec![Box::new(EntriesOnly::new())];
        let mut stream = session
            .conn()
            .with_controls(dirsync_control(
                DIRSYNC_INCREMENTAL_VALUES | DIRSYNC_ANCESTORS_FIRST,
                &cookie,
            ))
            .streaming_search_with(adapters, nc, Scope::Subtree, &filter, attr_refs.clone())
            .map_err(|e| reject(&spec, started_with_cookie, spec.classify(e, OPERATION)))?;
        loop {
            match stream.next() {
                Ok(Some(raw)) => {
                    let (dn, attributes) =
                        raw_entry(raw).map_err(|e| DirectoryError::Protocol {
                            server: spec.url(),
                            operation: OPERATION,
                            detail: e.to_string(),
                        })?;
                    let Some(change) = Change::from_raw(dn, attributes) else {
                        continue;
                    };
                    // Tombstones live under Deleted Objects: keep them, the caller knows the GUID.
                    if !change.deleted
                        && (!scope.contains(&change.dn) || !scope.wants(&change.as_entry()))
                    {
                        outcome.skipped += 1;
                        continue;
                    }
                    outcome.changes += 1;
                    if let Err(stop) = sink(change) {
                        let id = stream.last_id();
                        drop(stream);
                        let _ = session.conn().abandon(id);
                        return Err(stop);
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(
                        reject(&spec, started_with_cookie, spec.classify(e, OPERATION)).into(),
                    );
                }
            }
        }
        let result = stream.result();
        if result.rc != 0 {
            let error = spec.classify_result(result, OPERATION);
            return Err(reject(&spec, started_with_cookie, dirsync_rights(error)).into());
        }
        let (more, next) = dirsync_response(session, &result.ctrls)?;
        cookie = next;
        if !more {
            break;
        }
    }
    outcome.cookie = cookie;
    Ok(outcome)
}

/// A DirSync refusal for lack of rights gets advice of its own.
fn dirsync_rights(error: DirectoryError) -> DirectoryError {
    match error {
        DirectoryError::InsufficientRights {
            server,
            operation,
            detail,
            ..
        } => DirectoryError::InsufficientRights {
            server,
            operation,
            detail,
            advice: "Reading changes with DirSync needs the \"Replicating Directory Changes\" right on the domain root. Grant it to the connector account (Skybridge does this for accounts it creates), or let delta imports fall back to update-number watermarks.",
        },
        other => other,
    }
}

/// With a cookie, a refusal that is not about the connection or rights means the cookie is stale.
fn reject(
    spec: &super::server::ServerSpec,
    with_cookie: bool,
    error: DirectoryError,
) -> DirectoryError {
    match error {
        DirectoryError::Operation { detail, .. } | DirectoryError::Protocol { detail, .. }
            if with_cookie =>
        {
            DirectoryError::CookieRejected {
                server: spec.url(),
                detail,
            }
        }
        other => other,
    }
}

/// Whether the session's account may read changes with DirSync in domain `nc`.
pub fn can_use_dirsync(session: &mut Session, nc: &str) -> Result<bool, DirectoryError> {
    let filter = "(&(objectClass=user)(sAMAccountName=skybridge-no-such-account-0f3c))";
    let result = session.search(
        nc,
        Scope::Subtree,
        filter,
        &["objectGUID"],
        vec![dirsync_control(0, &[])],
        "checking the right to read changes",
    );
    match result {
        Ok(_) => Ok(true),
        Err(DirectoryError::InsufficientRights { .. }) => Ok(false),
        Err(DirectoryError::Operation { detail, .. })
            if detail.to_ascii_lowercase().contains("access") =>
        {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Where an update-number delta import left off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsnWatermark {
    /// The DC the numbers belong to (its dnsHostName).
    pub server: String,
    /// The highest committed update number when the last read began.
    pub usn: u64,
}

/// Reads the DC's name and highest update number: the watermark a full import starts from
/// (take it before the full import begins, so nothing changed during the read is missed).
pub fn current_watermark(session: &mut Session) -> Result<UsnWatermark, DirectoryError> {
    let dse = super::discovery::read_root_dse(session)?;
    Ok(UsnWatermark {
        server: dse
            .dns_host_name
            .clone()
            .unwrap_or_else(|| session.spec().host.clone()),
        usn: dse.highest_committed_usn.ok_or_else(|| {
            session.protocol(
                "reading the update number",
                "the root DSE has no highestCommittedUSN",
            )
        })?,
    })
}

/// Reads what changed since `watermark` without DirSync: objects whose `uSNChanged` is newer
/// (each as a whole object: a group comes with its whole member list), then tombstones of
/// deletions. Returns the next watermark.
pub fn usn_delta<E: From<DirectoryError>>(
    session: &mut Session,
    nc: &str,
    scope: &ImportScope,
    watermark: &UsnWatermark,
    mut sink: impl FnMut(Change) -> Result<(), E>,
) -> Result<UsnWatermark, E> {
    let next = current_watermark(session)?;
    if !next.server.eq_ignore_ascii_case(&watermark.server) {
        return Err(DirectoryError::WatermarkFromOtherServer {
            server: session.spec().url(),
            recorded: watermark.server.clone(),
        }
        .into());
    }
    let since = watermark.usn.saturating_add(1);
    let filter = format!("(&{}(uSNChanged>={since}))", scope.filter());
    import_matching(session, scope, &filter, |e: Entry| -> Result<(), E> {
        let Some(guid) = e.guid() else { return Ok(()) };
        sink(Change {
            guid,
            dn: e.dn,
            deleted: false,
            attrs: e.attrs,
            ..Change::default()
        })
    })?;
    let (tombstones, _) = session.search(
        nc,
        Scope::Subtree,
        &format!(
            "(&(isDeleted=TRUE)(uSNChanged>={since}){})",
            scope.change_filter()
        ),
        &["objectGUID", "isDeleted", "lastKnownParent", "objectClass"],
        vec![control(OID_SHOW_DELETED, true)],
        "reading deleted objects",
    )?;
    for e in tombstones {
        let Some(guid) = e.guid() else { continue };
        sink(Change {
            guid,
            dn: e.dn.clone(),
            deleted: true,
            attrs: e.attrs,
            ..Change::default()
        })?;
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_member_values_are_split_into_added_and_removed() {
        let guid = vec![7u8; 16];
        let change = Change::from_raw(
            "CN=G,DC=x".into(),
            vec![
                ("objectGUID".into(), vec![guid.clone()]),
                ("member;range=1-1".into(), vec![b"CN=new".to_vec()]),
                ("member;range=0-0".into(), vec![b"CN=gone".to_vec()]),
                ("description".into(), vec![b"d".to_vec()]),
            ],
        )
        .unwrap();
        assert_eq!(change.guid, [7u8; 16]);
        assert_eq!(change.added["member"], [b"CN=new".to_vec()]);
        assert_eq!(change.removed["member"], [b"CN=gone".to_vec()]);
        assert_eq!(change.attrs["description"], [b"d".to_vec()]);
        assert!(!change.deleted);
    }

    #[test]
    fn tombstones_are_deletions_and_entries_without_guid_are_dropped() {
        let change = Change::from_raw(
            "CN=a\\0ADEL:x,CN=Deleted Objects,DC=x".into(),
            vec![
                ("objectGUID".into(), vec![vec![1u8; 16]]),
                ("isDeleted".into(), vec![b"TRUE".to_vec()]),
            ],
        )
        .unwrap();
        assert!(change.deleted);
        assert!(Change::from_raw("CN=a".into(), vec![]).is_none());
    }

    #[test]
    fn the_request_control_encodes_flags_size_and_cookie() {
        let c = dirsync_control(DIRSYNC_INCREMENTAL_VALUES, b"abc");
        assert!(c.crit);
        let parsed = Ber::decode(c.val.as_deref().unwrap()).unwrap();
        assert_eq!(
            parsed,
            Ber::Sequence(vec![
                Ber::Integer(0x8000_0000),
                Ber::Integer(DIRSYNC_MAX_BYTES),
                Ber::Bytes(b"abc".to_vec())
            ])
        );
    }
}
