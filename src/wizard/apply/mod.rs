//! The Configuring page's work: the steps that turn an [`InstallPlan`] into a working
//! installation, and the library code that carries each one out.
//!
//! Each step is its own effect ([`Job`] in, [`Done`] out), so a failed step can be retried
//! without redoing the ones before it; what a step produced that a later one needs (the engine's
//! application in the tenant and its secret) travels in [`Carried`]. The window and
//! `skybridge apply` run the same steps through [`run`].
//!
//! This module holds the step ids and words, [`Step`], [`Job`], [`Done`], [`Carried`], the
//! settings a plan makes and [`run`]; the steps' work lives in:
//! - `tenant`: the engine's application, its permissions and directory extensions
//!   ([`register_extension_properties`]);
//! - `local`: the store, credentials, connectors, single sign-on, rules, the first
//!   synchronization and the service;
//! - `federation`: the identity provider's metadata and the federated domain.

mod federation;
mod local;
mod tenant;

use std::path::Path;

pub(crate) use local::single_sign_on;
pub use tenant::{ENGINE_PERMISSIONS, EngineApp, register_extension_properties, tenant_authority};

use super::plan::InstallPlan;
use super::probe::blocking;
use crate::engine::extensions;
use crate::engine::install::{self, DirectoryConnection, Installation, TenantConnection};
use crate::engine::model::RunRecord;
use crate::secret::Secret;

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

/// What earlier steps produced for later ones.
#[derive(Debug, Clone, Default)]
pub struct Carried {
    /// The engine's application, once registered.
    pub app: Option<EngineApp>,
    /// The identity provider's metadata, once read.
    pub federation_metadata: Option<crate::federation::metadata::Metadata>,
    /// The metadata check made while reading it (a new farm's), for the Complete page.
    pub metadata_check: Option<crate::federation::verify::CheckRow>,
    /// The federation checks shown on the Complete page.
    pub federation_checks: Vec<crate::federation::verify::CheckRow>,
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

/// Why a configuring step failed, in words for the Configuring page (with what to do next).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StepError(String);

impl From<String> for StepError {
    fn from(why: String) -> Self {
        StepError(why)
    }
}

impl From<&str> for StepError {
    fn from(why: &str) -> Self {
        StepError(why.to_string())
    }
}

/// How a step went.
#[derive(Debug, Clone)]
pub struct Done {
    /// Which step.
    pub step: Step,
    /// What it produced and a line saying what it did, or why it failed (in words).
    pub outcome: Result<(Carried, String), StepError>,
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
            blocking(move || local::create_store(&data, database.as_ref())).await
        }
        Step::PrepareTenant => tenant::prepare_tenant(&plan, &mut carried).await,
        Step::SingleSignOn => blocking(move || local::single_sign_on(&plan)).await,
        Step::FirstSync if !plan.start_sync => Ok(words().field(DONE_NOT_STARTED).to_string()),
        Step::StartService => blocking(move || local::start_service(&data, plan.service)).await,
        Step::FederationMetadata => federation::federation_metadata(&plan, &mut carried).await,
        Step::FederateDomain => federation::federate_domain(&plan, &mut carried).await,
        // The later steps work on the settings the plan and the application make.
        later => match installation(&plan, &carried) {
            Err(why) => Err(why),
            Ok((installation, secret)) => match later {
                Step::SaveCredentials => {
                    blocking(move || local::save_credentials(&plan, &secret, &installation)).await
                }
                Step::ConfigureConnectors => local::configure_connectors(installation).await,
                Step::ConfigureRules => {
                    let choices = plan.choices.clone();
                    blocking(move || {
                        local::configure_rules(&data, &installation, choices.as_deref())
                    })
                    .await
                }
                _ => blocking(move || local::first_sync(&data, &report)).await,
            },
        },
    };
    Done {
        step,
        outcome: outcome.map(|line| (carried, line)),
    }
}

/// The settings file's contents for a plan, and the application secret that goes with them.
fn installation(
    plan: &InstallPlan,
    carried: &Carried,
) -> Result<(Installation, Secret), StepError> {
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
        password_sync: (plan.sign_in == crate::wizard::SignInMethod::PasswordHashSync).then(|| {
            crate::passwords::PasswordSyncSettings {
                listen: plan.password_listen.clone(),
            }
        }),
    };
    Ok((installation, app.secret.clone()))
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
