//! Anchor write-back: the managed sourceAnchor (ms-DS-ConsistencyGuid) written to Active
//! Directory for the identities that wait for it.

use super::RunError;
use crate::directory::{DirectoryError, Session, write};
use crate::engine::model::{CsObject, MvKind, MvObject, key};
use crate::engine::sync;
use crate::store::{Batch, Space, Store, StoreExt};

/// Writes managed sourceAnchors (ms-DS-ConsistencyGuid) back to a forest: the objectGUID of
/// each identity's primary source, where ms-DS-ConsistencyGuid is still empty.
pub fn write_back_anchors(
    store: &dyn Store,
    connector: &str,
    session: &mut Session,
) -> Result<u64, RunError> {
    // Most cycles have nothing to write back: the marker saves reading every identity.
    if store
        .get_raw(Space::Meta, sync::WRITE_BACK_PENDING)?
        .is_none()
    {
        return Ok(0);
    }
    let prefix = format!("{}/", sync::kind_prefix(MvKind::Person));
    let mut done = 0;
    let mut elsewhere = 0;
    let mut batch = Batch::default();
    for (k, mut mv) in store.scan::<MvObject>(Space::Metaverse, prefix.as_bytes())? {
        if !mv.write_back {
            continue;
        }
        let Some((c, anchor)) = mv.sources.first().cloned() else {
            continue;
        };
        if c != connector {
            elsewhere += 1;
            continue;
        }
        let Some(source) = store.get::<CsObject>(Space::Connector, &key(&c, &anchor))? else {
            continue;
        };
        let guid = source.values("objectGUID");
        let Some(guid) = guid
            .first()
            .and_then(|g| <[u8; 16]>::try_from(g.as_slice()).ok())
        else {
            continue;
        };
        match write::set_consistency_guid(session, &source.dn, &guid) {
            Ok(()) | Err(DirectoryError::NoSuchObject { .. }) => {
                mv.write_back = false;
                batch.put(Space::Metaverse, &k, &mv)?;
                done += 1;
                if batch.len() >= 500 {
                    store.commit(std::mem::take(&mut batch))?;
                }
            }
            Err(e) => {
                store.commit(batch)?;
                return Err(e.into());
            }
        }
    }
    if elsewhere == 0 {
        batch.remove(Space::Meta, sync::WRITE_BACK_PENDING);
    }
    store.commit(batch)?;
    Ok(done)
}
