//! The installation's settings as the wizard's settings file: what "Customize synchronization
//! options" (and "Change user sign-in") start from and what they apply, what "Export settings"
//! writes, and the wizard's own choices kept beside the settings at install (`wizard.json`).
//!
//! Not a page: Additional tasks and Configuring both use it (pages do not import each other).
//! These functions read and write the wizard's settings-file types, so they live in the wizard
//! rather than in [`crate::ops`]. The reads and writes block.

use std::path::{Path, PathBuf};

use crate::engine::install::{InstallError, Installation};
use crate::wizard::pages::additional_tasks::{Change, INSTALLED_SOURCE};
use crate::wizard::settings::{SettingsError, SettingsFile};

/// Why the installation's settings could not be read, or the choices or a settings file
/// written.
#[derive(Debug, thiserror::Error)]
pub enum ChoicesError {
    /// The installation's settings could not be read.
    #[error(transparent)]
    Install(#[from] InstallError),
    /// The choices could not be written as JSON.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A file could not be written.
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A settings file could not be written.
    #[error(transparent)]
    Settings(#[from] SettingsError),
}

/// The wizard's own choices, kept beside the settings when configuring (`wizard.json`, a
/// settings file without secrets): what the engine's settings do not hold, such as the sign-in
/// method, the tenant administrator and the optional features.
pub const CHOICES_NAME: &str = "wizard.json";

/// Keeps the wizard's choices beside the installation's settings (no secret: each connector
/// password is named by its entry in the keychain `service`).
pub fn keep_choices(
    data: &Path,
    choices: &SettingsFile,
    service: &str,
) -> Result<(), ChoicesError> {
    let kept = choices.kept_in(service);
    let mut text = serde_json::to_string_pretty(&kept)?;
    text.push('\n');
    let path = data.join(CHOICES_NAME);
    let partial = path.with_extension("json.partial");
    std::fs::write(&partial, text)
        .and_then(|()| std::fs::rename(&partial, &path))
        .map_err(|source| ChoicesError::Write { path, source })
}

/// The installation as a settings file: the engine's settings as they are now (forests,
/// scope, sourceAnchor, matching, pilot groups, staging, attributes left out, extensions) over
/// the wizard's choices kept at install. Each connector password is named by its keychain
/// entry; the tenant administrator signs in again. What "Customize synchronization options"
/// starts from, and what "Export settings" writes.
pub fn installed_choices(data: &Path, installed: &Installation) -> SettingsFile {
    use crate::wizard::settings::{
        DirectorySettings, OuFilter, SCHEMA_FILE, SecretRef, TenantSettings, VERSION,
    };
    let kept = SettingsFile::load(&data.join(CHOICES_NAME)).ok();
    let sync = &installed.sync;
    let directories = installed
        .directories
        .iter()
        .map(|d| {
            let scope = sync.connectors.iter().find(|c| c.name == d.connector);
            let sso_skip = kept.as_ref().is_some_and(|k| {
                k.directories.iter().any(|kd| {
                    kd.sso_skip
                        && kd
                            .forest
                            .as_deref()
                            .is_some_and(|f| f.eq_ignore_ascii_case(&d.connector))
                })
            });
            DirectorySettings {
                forest: Some(d.connector.clone()),
                server: d.server.clone(),
                starttls: d.starttls,
                ca_file: d.ca_file.as_ref().map(|p| p.display().to_string()),
                account: d.account.clone(),
                password: SecretRef::Keychain {
                    service: installed.keychain_service.clone(),
                    entry: format!("directory:{}", d.connector),
                },
                ou_filter: scope.map(|c| OuFilter {
                    included: c.included.clone(),
                    excluded: c.excluded.clone(),
                }),
                pilot_group: sync.pilot_groups.get(&d.connector).cloned(),
                sso_admin: None,
                sso_skip,
            }
        })
        .collect();
    // Everything synchronized: each forest's scope is its domains, nothing left out.
    let everything = sync.connectors.iter().all(|c| {
        let mut domains: Vec<String> = c.domains.iter().map(|(nc, _)| nc.to_lowercase()).collect();
        let mut included: Vec<String> = c.included.iter().map(|i| i.to_lowercase()).collect();
        domains.sort();
        included.sort();
        c.excluded.is_empty() && domains == included
    });
    let tenant = match &kept {
        Some(k) => TenantSettings {
            password: None,
            ..k.tenant.clone()
        },
        None => {
            let defaults = crate::wizard::state::tenant::TenantDraft::default();
            TenantSettings {
                authority: defaults.authority,
                graph: installed.tenant.graph.clone(),
                client_id: defaults.client_id,
                ca_file: installed
                    .tenant
                    .ca_file
                    .as_ref()
                    .map(|p| p.display().to_string()),
                user: String::new(),
                device_code: false,
                password: None,
            }
        }
    };
    let mut features: Vec<crate::wizard::state::choices::Feature> = kept
        .as_ref()
        .map(|k| k.features.clone())
        .unwrap_or_default();
    for (on, feature) in [
        (
            !sync.extensions.is_empty(),
            crate::wizard::state::choices::Feature::DirectoryExtensions,
        ),
        (
            !sync.excluded_attributes.is_empty(),
            crate::wizard::state::choices::Feature::AppAttributeFiltering,
        ),
    ] {
        if on && !features.contains(&feature) {
            features.push(feature);
        }
    }
    SettingsFile {
        schema: Some(SCHEMA_FILE.into()),
        version: VERSION,
        settings_version: None,
        database: None,
        sign_in: installed
            .sign_in
            .as_deref()
            .and_then(crate::wizard::SignInMethod::from_key)
            .or_else(|| kept.as_ref().map(|k| k.sign_in))
            .unwrap_or_default(),
        single_sign_on: if installed.sign_in.is_some() {
            installed.single_sign_on
        } else {
            kept.as_ref().is_some_and(|k| k.single_sign_on)
        },
        password_sync: installed.password_sync.clone(),
        tenant,
        directories,
        alternate_sign_in: kept.as_ref().and_then(|k| k.alternate_sign_in.clone()),
        sync_selected: !everything,
        matching: sync.matching.clone(),
        anchor: sync.anchor.clone(),
        pilot: !sync.pilot_groups.is_empty(),
        features,
        services: kept.as_ref().and_then(|k| k.services.clone()),
        excluded_attributes: sync.excluded_attributes.iter().cloned().collect(),
        directory_extensions: sync
            .extensions
            .iter()
            .map(|e| e.attribute.clone())
            .collect(),
        staging: sync.staging,
        start_sync: true,
        acknowledged: kept.map(|k| k.acknowledged).unwrap_or_default(),
    }
}

/// Reads the installation in `data` for "Customize synchronization options": its settings as
/// a settings file with the connector passwords looked up in the keychain, ready to be
/// imported into the pages. Blocking.
pub fn read_for_change(data: &Path) -> Result<crate::wizard::settings::Imported, ChoicesError> {
    let installed = Installation::load(data)?;
    let file = installed_choices(data, &installed);
    let words = crate::wizard::text::page(crate::wizard::PageId::AdditionalTasks);
    Ok(crate::wizard::settings::resolve(
        file,
        words.field(INSTALLED_SOURCE),
    ))
}

/// Writes the installation's settings to `path` for a rebuild (and the schema beside it), each
/// password named by an environment variable as the Ready page's export does; never a secret.
/// Blocking.
pub fn export_installed(data: &Path, path: &Path) -> Result<String, ChoicesError> {
    use crate::wizard::settings::SecretRef;
    let installed = Installation::load(data)?;
    let mut file = installed_choices(data, &installed);
    // Which settings version this is, so that a rebuild may reuse the installation's database
    // (asked of the service when it runs, since it holds the store).
    file.settings_version = crate::ops::installed::settings_versions(data)
        .ok()
        .and_then(|versions| versions.last().map(|v| v.version));
    // The database server, if the store is on one (reusing its data stays a deliberate choice).
    file.database =
        installed
            .database
            .as_ref()
            .map(|db| crate::wizard::settings::DatabaseSettings {
                host: db.host.clone(),
                port: db.port,
                database: db.database.clone(),
                user: db.user.clone(),
                password: SecretRef::Env(crate::wizard::settings::DATABASE_PASSWORD_ENV.into()),
                tls_off: db.tls_off,
                ca_file: db.ca_file.as_ref().map(|f| f.display().to_string()),
                reuse: false,
            });
    for d in &mut file.directories {
        let forest = d.forest.clone().unwrap_or_default();
        d.password = SecretRef::directory_env(&forest);
    }
    if !file.tenant.device_code {
        file.tenant.password = Some(SecretRef::Env(
            crate::wizard::settings::TENANT_PASSWORD_ENV.into(),
        ));
    }
    file.save(path)?;
    Ok(path.display().to_string())
}

/// The settings a "Customize synchronization options" walk would apply: today's settings with
/// what its pages control replaced by the plan's — the forests and their connections, the
/// scope, the tenant's domains, the attributes left out and the directory extensions (a new
/// extension's tenant property is named after the engine's application). Everything else
/// (sourceAnchor, matching, pilot groups, staging, thresholds) stays as it is.
pub fn customized(
    installed: &Installation,
    plan: &crate::wizard::plan::InstallPlan,
    change: Change,
) -> Installation {
    let mut new = installed.clone();
    if change == Change::SignIn {
        // That walk changes how people sign in, and nothing else.
        new.sign_in = Some(plan.sign_in.key().to_string());
        new.single_sign_on = plan.single_sign_on;
        return new;
    }
    new.directories = plan
        .directories
        .iter()
        .map(|d| crate::engine::install::DirectoryConnection {
            connector: d.connector.clone(),
            server: d.server.url(),
            starttls: d.server.security == crate::directory::Security::StartTls,
            ca_file: d.server.ca_file.clone(),
            account: d.account.to_string(),
        })
        .collect();
    new.sync.connectors = plan.sync.connectors.clone();
    // A forest removed takes its pilot group with it.
    new.sync
        .pilot_groups
        .retain(|forest, _| plan.directories.iter().any(|d| &d.connector == forest));
    new.sync.verified_domains = plan.sync.verified_domains.clone();
    new.sync.initial_domain = plan.sync.initial_domain.clone();
    new.sync.excluded_attributes = plan.sync.excluded_attributes.clone();
    new.sync.extensions = plan
        .sync
        .extensions
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e.property =
                crate::engine::extensions::property_name(&installed.tenant.client_id, &e.attribute);
            e
        })
        .collect();
    new
}
