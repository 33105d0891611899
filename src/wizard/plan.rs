//! The install plan: what the draft resolves into once every page of the walk is free of
//! errors. Only a plan can be applied; the Ready to configure page shows it.

use std::collections::BTreeMap;

use super::flow::flow;
use super::registry::PageId;
use super::{Draft, Facts, SignInMethod};
use crate::engine::sync::{ConnectorScope, SyncSettings};
use crate::secret::Secret;
use crate::wizard::state::choices::Feature;

/// One forest as the plan connects it.
#[derive(Debug, Clone)]
pub struct PlannedDirectory {
    /// The connector's name (the forest's DNS name).
    pub connector: String,
    /// The domain controller.
    pub server: crate::directory::ServerSpec,
    /// The connector account.
    pub account: crate::directory::AccountName,
    /// Its password (goes to the keychain, never to a file).
    pub password: Secret,
}

/// Everything needed to configure Skybridge.
#[derive(Debug, Clone)]
pub struct InstallPlan {
    /// The sign-in method.
    pub sign_in: SignInMethod,
    /// Seamless single sign-on.
    pub single_sign_on: bool,
    /// Where the service listens for password agents.
    pub password_listen: String,
    /// The tenant.
    pub tenant: crate::tenant::TenantEndpoint,
    /// The tenant's name and initial domain, as the sign-in read them.
    pub tenant_name: String,
    /// The forests.
    pub directories: Vec<PlannedDirectory>,
    /// What to synchronize and how.
    pub sync: SyncSettings,
    /// The attribute people sign in with, when not userPrincipalName.
    pub alternate_sign_in: Option<String>,
    /// Optional features on.
    pub features: Vec<Feature>,
    /// Start synchronizing when configured.
    pub start_sync: bool,
    /// What happens to the service once configured (when synchronization starts).
    pub service: super::pages::ready_to_configure::ServiceChoice,
    /// The wizard's choices as a settings file, kept with the installation for customizing.
    pub choices: Option<Box<super::settings::SettingsFile>>,
    /// The tenant's id.
    pub tenant_id: String,
    /// The administrator's session, for preparing the tenant.
    pub admin: crate::wizard::state::tenant::AdminSession,
    /// The data folder to install into.
    pub data_dir: std::path::PathBuf,
    /// The forests whose single sign-on account is created, with their administrators.
    pub sso: Vec<super::pages::single_sign_on::PlannedSso>,
    /// Federation of a tenant domain, when the sign-in method federates.
    pub federation: Option<super::federation::PlannedFederation>,
    /// The database server that keeps the engine's state (else the embedded store).
    pub database: Option<PlannedDatabase>,
}

/// The engine's state on a database server.
#[derive(Debug, Clone)]
pub struct PlannedDatabase {
    /// How it is reached (kept in the settings).
    pub connection: crate::engine::install::DatabaseConnection,
    /// The account's password (kept in the keychain).
    pub password: crate::secret::Secret,
    /// It holds the data of the installation being rebuilt, and is used as it is.
    pub reuse: bool,
}

/// Why the draft is not a plan yet: the first page of the walk with a problem that blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotReady(pub PageId);

/// Resolves the draft: every page before Ready to configure must let Next through.
pub fn resolve(draft: &Draft, facts: &Facts) -> Result<InstallPlan, NotReady> {
    for page in flow(draft) {
        if page == PageId::ReadyToConfigure {
            break;
        }
        let blocked = super::problems_of(page, draft, facts)
            .iter()
            .any(|p| super::blocks(p, draft));
        if blocked {
            return Err(NotReady(page));
        }
    }
    let not_ready = || NotReady(PageId::ConnectTenant);
    let Some(Ok(tenant)) = &facts.tenant else {
        return Err(not_ready());
    };
    let selections = crate::wizard::state::scope::selections(draft, facts);
    let mut directories = Vec::new();
    let mut connectors = Vec::new();
    let mut pilot_groups = BTreeMap::new();
    for added in &draft.directories {
        let (Some(found), Some(selection)) = (
            facts.forests.get(&added.forest),
            selections.get(&added.forest),
        ) else {
            return Err(NotReady(PageId::ConnectDirectories));
        };
        let (server, account) = added
            .form
            .parsed()
            .map_err(|_| NotReady(PageId::ConnectDirectories))?;
        directories.push(PlannedDirectory {
            connector: added.forest.clone(),
            server,
            account,
            password: added.form.password.clone(),
        });
        connectors.push(ConnectorScope {
            name: added.forest.clone(),
            domains: found
                .forest
                .domains
                .iter()
                .map(|d| (d.naming_context.clone(), d.dns_name.clone()))
                .collect(),
            included: selection.included.clone(),
            excluded: selection.excluded.clone(),
        });
        if draft.pilot_enabled
            && let Some(Ok(group)) = facts.pilot_groups.get(&added.forest)
        {
            pilot_groups.insert(added.forest.clone(), group.dn.clone());
        }
    }
    let verified: Vec<String> = tenant
        .domains
        .iter()
        .filter(|d| d.is_verified)
        .map(|d| d.id.clone())
        .collect();
    let initial = tenant.initial_domain().unwrap_or_default().to_string();
    let mut sync = SyncSettings::new(connectors, verified, &initial);
    sync.matching = draft.matching.clone();
    sync.anchor = draft.anchor.clone();
    sync.sign_in_attribute = draft
        .alternate_sign_in
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty() && !a.eq_ignore_ascii_case("userPrincipalName"))
        .map(str::to_string);
    sync.pilot_groups = pilot_groups;
    sync.staging = draft.staging;
    if Feature::AppAttributeFiltering.is_on(draft, facts) {
        sync.excluded_attributes = super::pages::app_filtering::excluded(draft);
    }
    if Feature::DirectoryExtensions.is_on(draft, facts) {
        // Their tenant property is named once the engine's application is registered.
        sync.extensions = super::pages::directory_extensions::chosen(draft, facts);
    }
    let features = Feature::ALL
        .iter()
        .copied()
        .filter(|f| f.is_on(draft, facts))
        .collect();
    let database = if draft.database.enabled {
        let connection = draft
            .database
            .connection()
            .ok_or(NotReady(PageId::RequiredComponents))?;
        Some(PlannedDatabase {
            connection,
            password: draft.database.password.clone(),
            reuse: super::pages::required_components::database::reusing(
                &draft.database,
                facts.database.as_ref(),
            ),
        })
    } else {
        None
    };
    Ok(InstallPlan {
        database,
        sign_in: draft.sign_in,
        single_sign_on: draft.single_sign_on,
        password_listen: draft.password_listen.trim().to_string(),
        tenant: draft.tenant.endpoint(),
        tenant_name: format!("{} ({initial})", tenant.display_name),
        directories,
        sync,
        alternate_sign_in: draft.alternate_sign_in.clone(),
        features,
        start_sync: !draft.no_start_sync,
        service: draft.service,
        choices: Some(Box::new(super::settings::SettingsFile::from_draft(
            draft, facts,
        ))),
        tenant_id: tenant.tenant_id.clone(),
        admin: tenant.admin.clone(),
        data_dir: draft.data_dir.clone(),
        sso: super::pages::single_sign_on::planned(draft, facts),
        federation: super::federation::planned(draft, facts),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_with_a_blocking_page_is_no_plan_and_names_that_page() {
        let mut draft = Draft::default();
        let mut facts = Facts::default();
        assert_eq!(
            resolve(&draft, &facts).unwrap_err(),
            NotReady(PageId::Welcome)
        );
        draft.licence_accepted = true;
        draft.mode = Some(super::super::InstallMode::Custom);
        assert_eq!(
            resolve(&draft, &facts).unwrap_err(),
            NotReady(PageId::RequiredComponents)
        );
        facts.data_folder = Some((
            draft.data_dir.clone(),
            super::super::pages::required_components::FolderCheck::Usable,
        ));
        assert_eq!(
            resolve(&draft, &facts).unwrap_err(),
            NotReady(PageId::ConnectTenant)
        );
    }
}
