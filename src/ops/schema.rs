//! Refreshing the directory schema of an installed system, for the wizard's Additional tasks
//! and the command line alike: each forest is read again with its connector account (its
//! domains and its schema), a changed domain list is applied as a new settings version, and
//! the schema's attribute names are kept beside the installation to say, next time, which are
//! new. Every function blocks (ldap3's client).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::directory::DirectoryError;
use crate::engine::config::{Applied, ChangeError};
use crate::engine::install::{DirectoryConnection, InstallError, Installation};

/// Why the directory schema could not be refreshed (or one forest's, read).
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The installation's settings or keychain.
    #[error(transparent)]
    Install(#[from] InstallError),
    /// The directory refused or failed.
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    /// The changed domain lists could not be applied.
    #[error(transparent)]
    Change(#[from] ChangeError),
    /// The schema's attribute names could not be kept for the next refresh.
    #[error("cannot keep the schema in {}: {source}", .path.display())]
    Keep {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// What refreshing the directory schema found in one forest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForestRefresh {
    /// Domains the forest has now that the settings did not list (DNS names).
    pub domains_added: Vec<String>,
    /// Domains the settings listed that the forest no longer has (naming contexts).
    pub domains_gone: Vec<String>,
    /// The schema's attributes.
    pub attributes: usize,
    /// Those that can be directory extensions.
    pub extension_candidates: usize,
    /// Attributes new since the last refresh (`None`: the first one).
    pub new_attributes: Option<Vec<String>>,
}

/// The outcome of refreshing the directory schema.
#[derive(Debug, Clone)]
pub struct SchemaRefresh {
    /// Per forest, what was found, or why it could not be read (the [`SchemaError`]'s words:
    /// one forest's failure does not stop the others being read).
    pub forests: Vec<(String, Result<ForestRefresh, super::Failure>)>,
    /// The settings version that took in changed domain lists, when they changed.
    pub applied: Option<Applied>,
}

/// Where the attribute names of each forest's schema are kept between refreshes (a folder of
/// the data folder, one `<forest>.txt` each).
pub const SCHEMA_FOLDER: &str = "schema";

/// Refresh directory schema: each forest is read again with its connector account — its
/// domains and its schema. A changed domain list is applied to the settings (through the
/// change API, as a new version; a new domain is synchronized only once it is ticked in
/// Customize synchronization options). The schema's attribute names are kept to say, next
/// time, which are new.
pub fn refresh_schema(data: &Path) -> Result<SchemaRefresh, SchemaError> {
    let installed = Installation::load(data)?;
    let mut new = installed.clone();
    let mut forests = Vec::new();
    for d in &installed.directories {
        let outcome = refresh_forest(data, &installed, d, &mut new).map_err(super::Failure::new);
        forests.push((d.connector.clone(), outcome));
    }
    let applied = if new.sync.connectors != installed.sync.connectors {
        Some(crate::service::change_settings(data, &new)?)
    } else {
        None
    };
    Ok(SchemaRefresh { forests, applied })
}

/// Reads one forest of `installed` again: its domain list changed in `new` when the forest's
/// changed (a domain gone is no longer synchronized or left out), its attribute names kept in
/// [`SCHEMA_FOLDER`].
pub fn refresh_forest(
    data: &Path,
    installed: &Installation,
    d: &DirectoryConnection,
    new: &mut Installation,
) -> Result<ForestRefresh, SchemaError> {
    // Discovery needs the password as well as the session: one keychain read for both.
    let password = installed.directory_password(d)?;
    let mut session = d.sign_in(&password)?;
    let forest = crate::directory::discovery::discover(&mut session, &password);
    session.close();
    let forest = forest?;
    let mut domains_added = Vec::new();
    let mut domains_gone = Vec::new();
    if let Some(scope) = new
        .sync
        .connectors
        .iter_mut()
        .find(|c| c.name == d.connector)
    {
        let now: Vec<(String, String)> = forest
            .domains
            .iter()
            .map(|dm| (dm.naming_context.clone(), dm.dns_name.clone()))
            .collect();
        let known = |nc: &str, list: &[(String, String)]| {
            list.iter().any(|(other, _)| other.eq_ignore_ascii_case(nc))
        };
        domains_added = now
            .iter()
            .filter(|(nc, _)| !known(nc, &scope.domains))
            .map(|(_, dns)| dns.clone())
            .collect();
        domains_gone = scope
            .domains
            .iter()
            .filter(|(nc, _)| !known(nc, &now))
            .map(|(nc, _)| nc.clone())
            .collect();
        if !domains_added.is_empty() || !domains_gone.is_empty() {
            scope.domains = now;
            // A domain that is gone is no longer synchronized or left out.
            let gone = |dn: &String| {
                domains_gone.iter().any(|nc| {
                    dn.len() >= nc.len() && dn[dn.len() - nc.len()..].eq_ignore_ascii_case(nc)
                })
            };
            scope.included.retain(|dn| !gone(dn));
            scope.excluded.retain(|dn| !gone(dn));
        }
    }
    let names: BTreeSet<String> = forest
        .schema
        .attributes
        .iter()
        .map(|a| a.name.clone())
        .collect();
    let folder = data.join(SCHEMA_FOLDER);
    let kept = folder.join(format!("{}.txt", d.connector));
    let new_attributes = std::fs::read_to_string(&kept).ok().map(|text| {
        let before: BTreeSet<&str> = text.lines().collect();
        names
            .iter()
            .filter(|n| !before.contains(n.as_str()))
            .cloned()
            .collect()
    });
    std::fs::create_dir_all(&folder)
        .and_then(|()| {
            std::fs::write(
                &kept,
                names.iter().cloned().collect::<Vec<_>>().join("\n") + "\n",
            )
        })
        .map_err(|source| SchemaError::Keep {
            path: kept.clone(),
            source,
        })?;
    Ok(ForestRefresh {
        domains_added,
        domains_gone,
        attributes: names.len(),
        extension_candidates: crate::engine::extensions::candidates_in(std::iter::once(
            &forest.schema,
        ))
        .len(),
        new_attributes,
    })
}
