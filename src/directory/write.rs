//! Writing to the directory, as writeback and the managed sourceAnchor need: adding, changing,
//! moving and deleting objects, and group member changes that tolerate values already there.
//!
//! Every DN is built from its parts here with RFC 4514 escaping, so a name such as
//! `Smith, John` or `*)(uid=*` can only ever be a name.

use std::collections::HashSet;

use ldap3::Mod;

use super::error::DirectoryError;
use super::escape;
use super::session::{OID_PERMISSIVE_MODIFY, Session, control};

/// An attribute with its values, for a new object.
pub type NewAttribute = (String, Vec<Vec<u8>>);

/// Adds an object named `TYPE=value` under `parent`; returns its DN.
pub fn add_object(
    session: &mut Session,
    rdn_type: &str,
    rdn_value: &str,
    parent: &str,
    attrs: Vec<NewAttribute>,
) -> Result<String, DirectoryError> {
    let dn = escape::child_dn(rdn_type, rdn_value, parent);
    let attrs = attrs
        .into_iter()
        .filter(|(_, values)| !values.is_empty())
        .map(|(name, values)| {
            (
                name.into_bytes(),
                values.into_iter().collect::<HashSet<_>>(),
            )
        })
        .collect();
    session.add(&dn, attrs)?;
    Ok(dn)
}

/// Replaces the values of attributes (an empty list removes the attribute).
pub fn replace(
    session: &mut Session,
    dn: &str,
    changes: Vec<NewAttribute>,
) -> Result<(), DirectoryError> {
    let mods = changes
        .into_iter()
        .map(|(name, values)| Mod::Replace(name.into_bytes(), values.into_iter().collect()))
        .collect();
    session.modify(dn, mods, Vec::new())
}

/// Writes the managed sourceAnchor value (`ms-DS-ConsistencyGuid`) of an object.
pub fn set_consistency_guid(
    session: &mut Session,
    dn: &str,
    value: &[u8; 16],
) -> Result<(), DirectoryError> {
    replace(
        session,
        dn,
        vec![("mS-DS-ConsistencyGuid".into(), vec![value.to_vec()])],
    )
}

/// Adds and removes values of a multi-valued attribute (group members) in one change; values
/// already present (or already absent) are not an error.
pub fn change_values(
    session: &mut Session,
    dn: &str,
    attribute: &str,
    add: &[Vec<u8>],
    remove: &[Vec<u8>],
) -> Result<(), DirectoryError> {
    let mut mods = Vec::new();
    if !add.is_empty() {
        mods.push(Mod::Add(
            attribute.as_bytes().to_vec(),
            add.iter().cloned().collect(),
        ));
    }
    if !remove.is_empty() {
        mods.push(Mod::Delete(
            attribute.as_bytes().to_vec(),
            remove.iter().cloned().collect(),
        ));
    }
    if mods.is_empty() {
        return Ok(());
    }
    session.modify(dn, mods, vec![control(OID_PERMISSIVE_MODIFY, false)])
}

/// Renames an object (new RDN value, same type) and/or moves it under `new_parent`; returns
/// the new DN.
pub fn move_object(
    session: &mut Session,
    dn: &str,
    new_value: Option<&str>,
    new_parent: Option<&str>,
) -> Result<String, DirectoryError> {
    let parts = escape::split_dn(dn).map_err(|e| DirectoryError::InvalidAddress {
        input: dn.to_string(),
        reason: e.to_string(),
    })?;
    let Some((rdn_type, old_value)) = parts.first() else {
        return Err(DirectoryError::InvalidAddress {
            input: dn.to_string(),
            reason: "it has no name part".into(),
        });
    };
    let value = new_value.unwrap_or(old_value);
    let rdn = escape::join_dn(&[(rdn_type.as_str(), value)]);
    session.rename(dn, &rdn, new_parent)?;
    let parent = match new_parent {
        Some(p) => p.to_string(),
        None => escape::parent_dn(dn).unwrap_or_default(),
    };
    Ok(escape::child_dn(rdn_type, value, &parent))
}

/// The value AD's `unicodePwd` takes: the password in double quotes, UTF-16LE.
pub fn unicode_pwd(password: &crate::secret::Secret) -> Vec<u8> {
    format!("\"{}\"", password.expose())
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect()
}

/// Sets an account's password (needs a protected connection and the right to reset it).
pub fn set_password(
    session: &mut Session,
    dn: &str,
    password: &crate::secret::Secret,
) -> Result<(), DirectoryError> {
    session.modify(
        dn,
        vec![Mod::Replace(
            b"unicodePwd".to_vec(),
            HashSet::from([unicode_pwd(password)]),
        )],
        Vec::new(),
    )
}

/// Deletes a leaf object.
pub fn delete(session: &mut Session, dn: &str) -> Result<(), DirectoryError> {
    session.delete(dn)
}
