//! The Configuring page's work: the steps that turn an [`InstallPlan`] into a working
//! installation, and the library code that carries each one out.
//!
//! Each step is its own effect ([`Job`] in, [`Done`] out), so a failed step can be retried
//! without redoing the ones before it; what a step produced that a later one needs (the engine's
//! application in the tenant and its secret) travels in [`Carried`]. The window and
//! `skybridge apply` run the same steps through [`run`].

use std::path::Path;
use std::time::Duration;

use super::plan::InstallPlan;
use super::probe::blocking;
use crate::engine::extensions;
use crate::engine::install::{self, DirectoryConnection, Installation, TenantConnection};
use crate::engine::model::RunRecord;
use crate::secret::Secret;
use crate::tenant::SignIn;

/// Label id of [`Step::CreateStore`].
pub const STEP_STORE: &str = "step_store";
/// Label id of [`Step::PrepareTenant`].
pub const STEP_TENANT: &str = "step_tenant";
/// Label id of [`Step::SaveCredentials`].
pub const STEP_CREDENTIALS: &str = "step_credentials";
/// Label id of [`Step::ConfigureConnectors`].
pub const STEP_CONNECTORS: &str = "step_connectors";
/// Label id of [`Step::SingleSignOn`].
pub const STEP_SSO: &str = "step_sso";
/// Label id of [`Step::ConfigureRules`].
pub const STEP_RULES: &str = "step_rules";
/// What [`Step::CreateStore`] did (`{path}`).
pub const DONE_STORE: &str = "done_store";
/// What [`Step::PrepareTenant`] did (`{name}`, `{client_id}`, `{permissions}`).
pub const DONE_TENANT: &str = "done_tenant";
/// Added to [`DONE_TENANT`] when directory extensions were registered (`{n}`).
pub const DONE_EXTENSIONS: &str = "done_extensions";
/// What [`Step::SaveCredentials`] did (`{n}`, `{service}`).
pub const DONE_CREDENTIALS: &str = "done_credentials";
/// What [`Step::ConfigureConnectors`] did (`{forests}`).
pub const DONE_CONNECTORS: &str = "done_connectors";
/// A single sign-on account created (`{forest}`, `{dn}`).
pub const DONE_SSO_CREATED: &str = "done_sso_created";
/// A single sign-on account given a new key (`{forest}`, `{dn}`).
pub const DONE_SSO_RENEWED: &str = "done_sso_renewed";
/// What [`Step::ConfigureRules`] did (`{path}`).
pub const DONE_RULES: &str = "done_rules";
/// The first synchronization was not wanted.
pub const DONE_NOT_STARTED: &str = "done_not_started";
/// One run of the first synchronization (`{profile}`, `{connector}`, `{adds}`, `{updates}`,
/// `{deletes}`).
pub const DONE_RUN: &str = "done_run";
/// Added to [`DONE_RUN`] when the run had errors (`{n}`).
pub const DONE_RUN_ERRORS: &str = "done_run_errors";
/// Added to [`DONE_RUN`] when the run did not complete (`{outcome}`).
pub const DONE_RUN_OUTCOME: &str = "done_run_outcome";

/// The Configuring page's words, where the step results are.
fn words() -> &'static super::text::PageText {
    super::text::page(super::registry::PageId::Configuring)
}

/// Label id of [`Step::FederationMetadata`].
pub const STEP_FEDERATION_METADATA: &str = "step_federation_metadata";
/// Label id of [`Step::FederateDomain`].
pub const STEP_FEDERATE: &str = "step_federate";
/// The metadata was read (`{url}`, `{issuer}`).
pub const DONE_FEDERATION_METADATA: &str = "done_federation_metadata";
/// The deployment script was saved (`{path}`).
pub const DONE_SCRIPT: &str = "done_script";
/// The domain was federated (`{domain}`, `{issuer}`).
pub const DONE_FEDERATED: &str = "done_federated";
/// Label id of [`Step::FirstSync`].
pub const STEP_FIRST_SYNC: &str = "step_first_sync";
/// Label id of [`Step::StartService`].
pub const STEP_SERVICE: &str = "step_service";
/// The service was started in the background (`{pid}`, `{minutes}`, `{log}`).
pub const DONE_SERVICE: &str = "done_service";
/// The service was registered with systemd and started by it (`{unit}`, `{pid}`).
pub const DONE_SERVICE_REGISTERED: &str = "done_service_registered";

/// One step of configuring, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// The data folder and the engine's store.
    CreateStore,
    /// The engine's own application in the tenant, with a secret, allowed to synchronize.
    PrepareTenant,
    /// Connector account passwords and the application secret into the keychain.
    SaveCredentials,
    /// Each forest signed in to with the saved credentials, and the tenant as the application.
    ConfigureConnectors,
    /// The single sign-on computer account in each forest that has it (only when chosen).
    SingleSignOn,
    /// The settings file with the synchronization rules.
    ConfigureRules,
    /// The identity provider's metadata: a new farm's deployment script saved, then its
    /// metadata awaited; else the metadata read on the pages, read again (federation only).
    FederationMetadata,
    /// The tenant domain federated with it, then the name and metadata checked for the
    /// Complete page (federation only).
    FederateDomain,
    /// The first full import, synchronization and export (unless not wanted).
    FirstSync,
    /// The service started in the background, or registered with systemd (when chosen).
    StartService,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 10] = [
        Step::CreateStore,
        Step::PrepareTenant,
        Step::SaveCredentials,
        Step::ConfigureConnectors,
        Step::SingleSignOn,
        Step::ConfigureRules,
        Step::FederationMetadata,
        Step::FederateDomain,
        Step::FirstSync,
        Step::StartService,
    ];

    /// The steps a plan takes, in order (single sign-on only when it has forests for it, the
    /// service only when synchronization starts and the service is wanted).
    pub fn of(plan: &InstallPlan) -> Vec<Step> {
        Step::ALL
            .into_iter()
            .filter(|&s| s != Step::SingleSignOn || !plan.sso.is_empty())
            .filter(|&s| {
                !matches!(s, Step::FederationMetadata | Step::FederateDomain)
                    || plan.federation.is_some()
            })
            .filter(|&s| {
                s != Step::StartService
                    || (plan.start_sync
                        && plan.service != super::pages::ready_to_configure::ServiceChoice::None)
            })
            .collect()
    }

    /// The id of its label in the Configuring page's words.
    pub fn field(self) -> &'static str {
        match self {
            Step::CreateStore => STEP_STORE,
            Step::PrepareTenant => STEP_TENANT,
            Step::SaveCredentials => STEP_CREDENTIALS,
            Step::ConfigureConnectors => STEP_CONNECTORS,
            Step::SingleSignOn => STEP_SSO,
            Step::ConfigureRules => STEP_RULES,
            Step::FederationMetadata => STEP_FEDERATION_METADATA,
            Step::FederateDomain => STEP_FEDERATE,
            Step::FirstSync => STEP_FIRST_SYNC,
            Step::StartService => STEP_SERVICE,
        }
    }
}

/// The engine's application in the tenant.
#[derive(Debug, Clone)]
pub struct EngineApp {
    /// Its application (client) id.
    pub app_id: String,
    /// Its object id (where its extension properties are registered).
    pub object_id: String,
    /// Its service principal's id (what its permissions are granted to).
    pub service_principal_id: String,
    /// Its display name.
    pub name: String,
    /// Its secret (kept in the keychain, never in a file).
    pub secret: Secret,
    /// The tenant's own authority, which client credentials need.
    pub authority: String,
}

/// What earlier steps produced for later ones.
#[derive(Debug, Clone, Default)]
pub struct Carried {
    /// The engine's application, once registered.
    pub app: Option<EngineApp>,
    /// The identity provider's metadata, once read.
    pub federation_metadata: Option<crate::federation::metadata::Metadata>,
    /// The metadata check made while reading it (a new farm's), for the Complete page.
    pub metadata_check: Option<super::pages::federation::CheckRow>,
    /// The federation checks shown on the Complete page.
    pub federation_checks: Vec<super::pages::federation::CheckRow>,
}

/// A step to carry out.
#[derive(Debug, Clone)]
pub struct Job {
    /// Which.
    pub step: Step,
    /// The plan being applied.
    pub plan: Box<InstallPlan>,
    /// What earlier steps produced.
    pub carried: Carried,
}

/// How a step went.
#[derive(Debug, Clone)]
pub struct Done {
    /// Which step.
    pub step: Step,
    /// What it produced and a line saying what it did, or why it failed (in words).
    pub outcome: Result<(Carried, String), String>,
}

/// The keychain service for an installation's secrets: `skybridge` for the default data
/// folder, else one of its own so that two installations on one machine never share entries.
pub fn keychain_service(data: &Path) -> String {
    if data == install::default_data_dir() {
        install::default_service()
    } else {
        format!("skybridge:{}", data.display())
    }
}

/// The tenant's own authority: the administrator may have signed in through a shared one
/// (`…/organizations`), but an application signs in to its tenant.
pub fn tenant_authority(authority: &str, tenant_id: &str) -> String {
    let trimmed = authority.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some((root, _)) if root.contains("://") => format!("{root}/{tenant_id}"),
        _ => format!("{trimmed}/{tenant_id}"),
    }
}

/// Carries out one step.
pub async fn run(job: Job) -> Done {
    run_reporting(job, std::sync::Arc::new(|_, _| {})).await
}

/// Where a running step reports how far it has got (the first synchronization, object by
/// object): what it is doing and how many objects it has handled.
pub type Report = std::sync::Arc<dyn Fn(install::CyclePhase, u64) + Send + Sync>;

/// [`run`], reporting progress to `report`.
pub async fn run_reporting(job: Job, report: Report) -> Done {
    let Job {
        step,
        plan,
        mut carried,
    } = job;
    let data = plan.data_dir.clone();
    let outcome = match step {
        Step::CreateStore => {
            let database = plan.database.clone();
            blocking(move || create_store(&data, database.as_ref())).await
        }
        Step::PrepareTenant => prepare_tenant(&plan, &mut carried).await,
        Step::SingleSignOn => blocking(move || single_sign_on(&plan)).await,
        Step::FirstSync if !plan.start_sync => Ok(words().field(DONE_NOT_STARTED).to_string()),
        Step::StartService => blocking(move || start_service(&data, plan.service)).await,
        Step::FederationMetadata => federation_metadata(&plan, &mut carried).await,
        Step::FederateDomain => federate_domain(&plan, &mut carried).await,
        // The later steps work on the settings the plan and the application make.
        later => match installation(&plan, &carried) {
            Err(why) => Err(why),
            Ok((installation, secret)) => match later {
                Step::SaveCredentials => {
                    blocking(move || save_credentials(&plan, &secret, &installation)).await
                }
                Step::ConfigureConnectors => configure_connectors(installation).await,
                Step::ConfigureRules => {
                    let choices = plan.choices.clone();
                    blocking(move || configure_rules(&data, &installation, choices.as_deref()))
                        .await
                }
                _ => blocking(move || first_sync(&data, &report)).await,
            },
        },
    };
    Done {
        step,
        outcome: outcome.map(|line| (carried, line)),
    }
}

/// Creates (or renews) the single sign-on computer account in each chosen forest's root domain,
/// signing in once with the administrator given for it; their password is not kept.
pub(crate) fn single_sign_on(plan: &InstallPlan) -> Result<String, String> {
    let mut lines = Vec::new();
    for forest in &plan.sso {
        let Some(root) = plan
            .sync
            .connectors
            .iter()
            .find(|c| c.name == forest.connector)
            .and_then(|c| {
                c.domains
                    .iter()
                    .find(|(_, dns)| dns.eq_ignore_ascii_case(&forest.connector))
            })
            .map(|(nc, _)| nc.clone())
        else {
            return Err(format!(
                "{}: the forest root domain is not among its domains",
                forest.connector
            ));
        };
        let mut session =
            crate::directory::Session::open(&forest.server, &forest.account, &forest.password)
                .map_err(|e| format!("{}: {e}", forest.connector))?;
        let made = crate::directory::sso::ensure_account(&mut session, &root)
            .map_err(|e| format!("{}: {e}", forest.connector))?;
        session.close();
        let done = if made.created {
            DONE_SSO_CREATED
        } else {
            DONE_SSO_RENEWED
        };
        lines.push(words().field_with(done, &[("forest", &forest.connector), ("dn", &made.dn)]));
    }
    Ok(lines.join("; "))
}

fn create_store(
    data: &Path,
    database: Option<&super::plan::PlannedDatabase>,
) -> Result<String, String> {
    if data.join("settings.json").exists() {
        return Err(format!(
            "{} already holds a Skybridge installation. Change it from Additional tasks, or choose another data folder.",
            data.display()
        ));
    }
    std::fs::create_dir_all(data)
        .map_err(|e| format!("cannot create the data folder {}: {e}", data.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(data, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot restrict the data folder {}: {e}", data.display()))?;
    }
    if let Some(db) = database {
        let server = db.connection.server(db.password.clone());
        if !db.reuse {
            // Test connection's rules once more: an earlier installation's data may have
            // arrived since, and is never overwritten.
            server
                .test_connection_blocking()
                .map_err(|e| e.to_string())?;
        }
        crate::store::postgres::PostgresStore::connect(&server).map_err(|e| e.to_string())?;
        return Ok(words().field_with(DONE_STORE, &[("path", &db.connection.name())]));
    }
    let store = data.join("store");
    crate::store::SledStore::open(&store).map_err(|e| e.to_string())?;
    Ok(words().field_with(DONE_STORE, &[("path", &store.display().to_string())]))
}

/// The name the engine's application gets in the tenant.
fn app_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .unwrap_or_else(|| "this computer".into());
    format!("Skybridge sync on {host}")
}

async fn prepare_tenant(plan: &InstallPlan, carried: &mut Carried) -> Result<String, String> {
    if carried.app.is_none() {
        let admin = admin_session(plan)?;
        let name = app_name();
        let app = admin
            .create_application(&name)
            .await
            .map_err(|e| format!("cannot register the engine's application: {e}"))?;
        let (Some(app_id), Some(object_id)) = (app["appId"].as_str(), app["id"].as_str()) else {
            return Err("the tenant registered the application but gave no appId or id".into());
        };
        let sp = admin
            .create_service_principal(app_id)
            .await
            .map_err(|e| format!("cannot create the application's service principal: {e}"))?;
        let Some(sp_id) = sp["id"].as_str() else {
            return Err("the tenant created the service principal but gave no id".into());
        };
        let (_, secret) = admin
            .add_password(object_id, "Skybridge sync engine")
            .await
            .map_err(|e| format!("cannot give the application a secret: {e}"))?;
        carried.app = Some(EngineApp {
            app_id: app_id.to_string(),
            object_id: object_id.to_string(),
            service_principal_id: sp_id.to_string(),
            name,
            secret,
            authority: tenant_authority(&plan.tenant.authority, &plan.tenant_id),
        });
    }
    let granted = grant_permissions(plan, carried).await?;
    let registered = register_extensions(plan, carried).await?;
    let (installation, secret) = installation(plan, carried)?;
    // The engine signs in as the application, as every cycle will. A new secret can take a
    // little while to be accepted everywhere in a real tenant.
    let endpoint = installation.tenant.endpoint();
    let mut last = String::new();
    for attempt in 0..6 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        match endpoint
            .connect(&SignIn::ClientSecret(secret.clone()))
            .await
        {
            Ok(_) => {
                let name = carried.app.as_ref().map_or("", |a| a.name.as_str());
                let mut line = words().field_with(
                    DONE_TENANT,
                    &[
                        ("name", name),
                        ("client_id", &installation.tenant.client_id),
                        ("permissions", &granted.join(", ")),
                    ],
                );
                if registered > 0 {
                    line.push_str(
                        &words().field_with(DONE_EXTENSIONS, &[("n", &registered.to_string())]),
                    );
                }
                return Ok(line);
            }
            Err(e) => last = e.to_string(),
        }
    }
    Err(format!(
        "the application {} was registered, but cannot sign in with its secret: {last}",
        installation.tenant.client_id
    ))
}

/// The Microsoft Graph application permissions the engine's application needs: creating,
/// changing and deleting users and groups (and their members), and reading the directory
/// (the tenant's domains and organization, objects by id, deleted items).
pub const ENGINE_PERMISSIONS: &[&str] = &[
    "User.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
];

/// Microsoft Graph's application id.
const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// The engine's application, once registered, and the administrator's session that changes it.
fn app_and_admin<'a>(
    plan: &'a InstallPlan,
    carried: &'a Carried,
) -> Result<(&'a EngineApp, &'a crate::tenant::graph::GraphClient), String> {
    let app = carried
        .app
        .as_ref()
        .ok_or("the engine's application is not registered yet")?;
    Ok((app, admin_session(plan)?))
}

/// The administrator's session, while the wizard still holds it.
fn admin_session(plan: &InstallPlan) -> Result<&crate::tenant::graph::GraphClient, String> {
    plan.admin.graph().ok_or_else(|| {
        "the administrator's sign-in is no longer at hand: go back to Connect to the tenant and sign in again".to_string()
    })
}

/// Grants the engine's application [`ENGINE_PERMISSIONS`] on Microsoft Graph (the
/// administrator's consent), each once: a retry finds the ones granted before.
async fn grant_permissions(
    plan: &InstallPlan,
    carried: &Carried,
) -> Result<Vec<&'static str>, String> {
    let (app, admin) = app_and_admin(plan, carried)?;
    let graph = admin
        .service_principal_of(GRAPH_APP_ID)
        .await
        .map_err(|e| format!("cannot find Microsoft Graph's service principal: {e}"))?
        .ok_or("the tenant has no service principal for Microsoft Graph")?;
    let graph_id = graph["id"].as_str().unwrap_or_default().to_string();
    let held: Vec<String> = admin
        .app_role_assignments(&app.service_principal_id)
        .await
        .map_err(|e| format!("cannot list the application's permissions: {e}"))?
        .iter()
        .filter(|a| a["resourceId"].as_str() == Some(graph_id.as_str()))
        .filter_map(|a| a["appRoleId"].as_str().map(str::to_string))
        .collect();
    let roles = graph["appRoles"].as_array().cloned().unwrap_or_default();
    for &permission in ENGINE_PERMISSIONS {
        let Some(role_id) = roles
            .iter()
            .find(|r| r["value"].as_str() == Some(permission))
            .and_then(|r| r["id"].as_str())
        else {
            return Err(format!(
                "Microsoft Graph offers no application permission {permission} in this tenant"
            ));
        };
        if held.iter().any(|h| h == role_id) {
            continue;
        }
        admin
            .grant_app_role(&graph_id, &app.service_principal_id, role_id)
            .await
            .map_err(|e| format!("cannot grant the application {permission}: {e}"))?;
    }
    Ok(ENGINE_PERMISSIONS.to_vec())
}

/// Registers the plan's directory extensions on the engine's application, each once: a retry
/// finds the ones an earlier try registered. Returns how many the application has.
async fn register_extensions(plan: &InstallPlan, carried: &Carried) -> Result<usize, String> {
    if plan.sync.extensions.is_empty() {
        return Ok(0);
    }
    let (app, admin) = app_and_admin(plan, carried)?;
    register_extension_properties(admin, &app.app_id, &app.object_id, &plan.sync.extensions).await
}

/// Registers directory extensions on the engine's application (`app_id`, object `object_id`),
/// each once: the ones it already has are left alone. Returns how many were asked for.
pub async fn register_extension_properties(
    admin: &crate::tenant::graph::GraphClient,
    app_id: &str,
    object_id: &str,
    wanted: &[extensions::Extension],
) -> Result<usize, String> {
    let existing: Vec<String> = admin
        .extension_properties(object_id)
        .await
        .map_err(|e| format!("cannot list the application's extension properties: {e}"))?
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_lowercase))
        .collect();
    for extension in wanted {
        let property = extensions::property_name(app_id, &extension.attribute);
        if existing.contains(&property.to_lowercase()) {
            continue;
        }
        let mut targets = Vec::new();
        if extension.users {
            targets.push("User");
        }
        if extension.groups {
            targets.push("Group");
        }
        admin
            .create_extension_property_of(
                object_id,
                &extensions::name_part(&extension.attribute),
                extension.data_type.tenant_name(),
                extension.multi_valued,
                &targets,
            )
            .await
            .map_err(|e| {
                format!(
                    "cannot register {} as a directory extension: {e}",
                    extension.attribute
                )
            })?;
    }
    Ok(wanted.len())
}

/// The settings file's contents for a plan, and the application secret that goes with them.
fn installation(plan: &InstallPlan, carried: &Carried) -> Result<(Installation, Secret), String> {
    let app = carried
        .app
        .as_ref()
        .ok_or("the tenant is not prepared yet (retry Prepare the tenant)")?;
    let mut sync = plan.sync.clone();
    for extension in &mut sync.extensions {
        extension.property = extensions::property_name(&app.app_id, &extension.attribute);
    }
    let installation = Installation {
        sync,
        directories: plan
            .directories
            .iter()
            .map(|d| DirectoryConnection {
                connector: d.connector.clone(),
                server: d.server.url(),
                starttls: d.server.security == crate::directory::Security::StartTls,
                ca_file: d.server.ca_file.clone(),
                account: d.account.to_string(),
            })
            .collect(),
        tenant: TenantConnection {
            authority: app.authority.clone(),
            graph: plan.tenant.graph.clone(),
            client_id: app.app_id.clone(),
            ca_file: plan.tenant.ca_file.clone(),
            write_budget: install::default_budget(),
            budget_window_seconds: install::default_window(),
        },
        keychain_service: keychain_service(&plan.data_dir),
        history_days: install::default_history_days(),
        sign_in: Some(plan.sign_in.key().to_string()),
        single_sign_on: plan.single_sign_on,
        database: plan.database.as_ref().map(|d| d.connection.clone()),
    };
    Ok((installation, app.secret.clone()))
}

fn save_credentials(
    plan: &InstallPlan,
    secret: &Secret,
    installation: &Installation,
) -> Result<String, String> {
    for d in &plan.directories {
        installation
            .store_directory_password(&d.connector, &d.password)
            .map_err(|e| format!("cannot keep {}'s password: {e}", d.connector))?;
    }
    installation
        .store_client_secret(secret)
        .map_err(|e| format!("cannot keep the application secret: {e}"))?;
    if let Some(db) = &plan.database {
        installation
            .store_database_password(&db.password)
            .map_err(|e| format!("cannot keep the database account's password: {e}"))?;
    }
    Ok(words().field_with(
        DONE_CREDENTIALS,
        &[
            ("n", &(plan.directories.len() + 1).to_string()),
            ("service", &installation.keychain_service),
        ],
    ))
}

async fn configure_connectors(installation: Installation) -> Result<String, String> {
    // Everything from what was saved, as the engine will read it: the forests' sessions and the
    // application secret, in one trip off the runtime.
    let reader = installation.clone();
    let (forests, secret) = blocking(move || {
        let sessions = reader.directory_sessions().map_err(|e| e.to_string())?;
        let secret = reader.client_secret().map_err(|e| e.to_string())?;
        let forests: Vec<String> = sessions.iter().map(|(d, _)| d.connector.clone()).collect();
        Ok((forests.join(", "), secret))
    })
    .await?;
    installation
        .graph(secret)
        .await
        .map_err(|e| format!("the engine cannot sign in to the tenant: {e}"))?;
    Ok(words().field_with(DONE_CONNECTORS, &[("forests", &forests)]))
}

fn configure_rules(
    data: &Path,
    installation: &Installation,
    choices: Option<&super::settings::SettingsFile>,
) -> Result<String, String> {
    installation.save(data).map_err(|e| e.to_string())?;
    // The wizard's own choices, for customizing later (no secret in it).
    if let Some(choices) = choices {
        super::pages::additional_tasks::keep_choices(
            data,
            choices,
            &installation.keychain_service,
        )?;
    }
    // The installation's settings are version 1 of its settings history.
    let store = install::open_store(data).map_err(|e| e.to_string())?;
    if crate::engine::config::versions(&store)
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        crate::engine::config::record(&store, installation, crate::clock::unix_now())
            .map_err(|e| e.to_string())?;
    }
    Ok(words().field_with(
        DONE_RULES,
        &[("path", &data.join("settings.json").display().to_string())],
    ))
}

/// Starts the service in the background, or registers it with systemd (which starts it).
fn start_service(
    data: &Path,
    choice: super::pages::ready_to_configure::ServiceChoice,
) -> Result<String, String> {
    use crate::service::launch::{self, Started};
    let register = choice == super::pages::ready_to_configure::ServiceChoice::Register;
    let started = launch::bring_up(data, register).map_err(|e| e.to_string())?;
    let pid = started.pid().to_string();
    Ok(match &started {
        Started::Manager { unit, .. } => {
            words().field_with(DONE_SERVICE_REGISTERED, &[("unit", unit), ("pid", &pid)])
        }
        Started::AlreadyRunning(_) | Started::Detached(_) => words().field_with(
            DONE_SERVICE,
            &[
                ("pid", &pid),
                (
                    "minutes",
                    &(crate::engine::schedule::DEFAULT_INTERVAL.as_secs() / 60).to_string(),
                ),
                ("log", &data.join(launch::LOG_NAME).display().to_string()),
            ],
        ),
    })
}

fn first_sync(data: &Path, report: &Report) -> Result<String, String> {
    let records = install::run_cycle_observed(data, true, &|phase, n| report(phase, n))
        .map_err(|e| e.to_string())?;
    Ok(summarize(&records))
}

/// One line for a cycle's runs: what each profile did.
pub fn summarize(records: &[RunRecord]) -> String {
    records
        .iter()
        .map(|r| {
            let c = &r.counts;
            let mut line = words().field_with(
                DONE_RUN,
                &[
                    ("profile", &r.profile.to_string()),
                    ("connector", &r.connector),
                    ("adds", &c.adds.to_string()),
                    ("updates", &c.updates.to_string()),
                    ("deletes", &c.deletes.to_string()),
                ],
            );
            if !r.errors.is_empty() {
                line += &words().field_with(DONE_RUN_ERRORS, &[("n", &r.errors.len().to_string())]);
            }
            if r.outcome != "completed" {
                line += &words().field_with(DONE_RUN_OUTCOME, &[("outcome", &r.outcome)]);
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Saves a new farm's deployment script and waits for the farm's metadata; for an existing
/// farm or PingFederate, takes the metadata the pages read.
async fn federation_metadata(plan: &InstallPlan, carried: &mut Carried) -> Result<String, String> {
    use super::pages::federation::{metadata_row, read_metadata};
    use crate::federation::certificate::Outcome;
    let Some(fed) = &plan.federation else {
        return Err("the plan federates no domain".into());
    };
    let mut lines = Vec::new();
    let mut script_path = None;
    if let Some(script) = &fed.script {
        let path = plan.data_dir.join("adfs-deploy.ps1");
        std::fs::write(&path, script).map_err(|e| {
            format!(
                "cannot save the deployment script to {}: {e}",
                path.display()
            )
        })?;
        lines.push(words().field_with(DONE_SCRIPT, &[("path", &path.display().to_string())]));
        script_path = Some(path);
    }
    let done = |lines: &mut Vec<String>, issuer: &str| {
        lines.push(words().field_with(
            DONE_FEDERATION_METADATA,
            &[("url", &fed.metadata_url), ("issuer", issuer)],
        ));
        lines.join("; ")
    };
    if let Some(meta) = &fed.metadata {
        carried.federation_metadata = Some(meta.clone());
        return Ok(done(&mut lines, &meta.entity_id));
    }
    let started = std::time::Instant::now();
    loop {
        let found = read_metadata(
            &fed.metadata_url,
            fed.ca_file.as_deref(),
            fed.provider.host(),
        )
        .await;
        let row = metadata_row(&fed.metadata_url, &found);
        if let Ok(found) = found
            && row.outcome != Outcome::Fail
        {
            let line = done(&mut lines, &found.metadata.entity_id);
            carried.federation_metadata = Some(found.metadata);
            carried.metadata_check = Some(row);
            return Ok(line);
        }
        if started.elapsed() >= fed.wait {
            return Err(format!(
                "the farm's metadata at {} could not be used within {} s ({}). Run the deployment script{} on the servers as it says, then press Retry.",
                fed.metadata_url,
                fed.wait.as_secs(),
                row.detail,
                script_path
                    .map(|p| format!(" saved at {}", p.display()))
                    .unwrap_or_default()
            ));
        }
        tokio::time::sleep(std::time::Duration::from_secs(5).min(fed.wait)).await;
    }
}

/// Federates the tenant domain with the metadata (again on a retry: a domain federated with
/// the same issuer already is left as it is), then checks the name and metadata for the
/// Complete page (the metadata is read again only when the step before did not read it).
async fn federate_domain(plan: &InstallPlan, carried: &mut Carried) -> Result<String, String> {
    use super::pages::federation::{metadata_row, name_rows, read_metadata};
    use crate::federation::{domain, metadata};
    let Some(fed) = &plan.federation else {
        return Err("the plan federates no domain".into());
    };
    let Some(meta) = carried.federation_metadata.clone() else {
        return Err("the identity provider's metadata was not read".into());
    };
    let admin = admin_session(plan)?;
    let config = metadata::tenant_configuration(&meta, &fed.display_name, &fed.provider);
    let existing = domain::configuration(admin, &fed.domain)
        .await
        .map_err(|e| format!("cannot read {}'s federation: {e}", fed.domain))?;
    match existing {
        Some(found) if found["issuerUri"].as_str() == Some(meta.entity_id.as_str()) => {}
        _ => {
            domain::federate(admin, &fed.domain, &config)
                .await
                .map_err(|e| format!("cannot federate {}: {e}", fed.domain))?;
        }
    }
    let mut rows = Vec::new();
    if let Some(name) = fed.provider.host() {
        rows.extend(name_rows(name, fed.internal_dns, fed.external_dns).await);
    }
    rows.push(match carried.metadata_check.clone() {
        Some(row) => row,
        None => {
            let found = read_metadata(
                &fed.metadata_url,
                fed.ca_file.as_deref(),
                fed.provider.host(),
            )
            .await;
            metadata_row(&fed.metadata_url, &found)
        }
    });
    carried.federation_checks = rows;
    Ok(words().field_with(
        DONE_FEDERATED,
        &[("domain", &fed.domain), ("issuer", &meta.entity_id)],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_application_signs_in_to_its_own_tenant() {
        assert_eq!(
            tenant_authority("https://login.microsoftonline.com/organizations", "t1"),
            "https://login.microsoftonline.com/t1"
        );
        assert_eq!(
            tenant_authority("https://127.0.0.1:8443/t1/", "t1"),
            "https://127.0.0.1:8443/t1"
        );
    }
}
