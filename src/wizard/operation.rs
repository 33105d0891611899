//! The work the wizard asks the library to do that writes (a connector account, a settings
//! change, the service, a saved file, a domain converted), as data. The front end runs [`run`]
//! off the drawing thread and sends the answer back like a probe's, with its ticket.

use super::probe::{Answer, ProbeKind, blocking};
use crate::secret::Secret;

/// Work that changes something.
#[derive(Debug, Clone)]
pub enum Operation {
    /// Sign in to a domain controller as an enterprise administrator, create a connector
    /// account with the rights synchronization needs, and read the forest as that account.
    CreateConnector {
        /// The domain controller.
        server: crate::directory::ServerSpec,
        /// The enterprise administrator (used for this once, never kept).
        admin: crate::directory::AccountName,
        /// Their password.
        password: Secret,
    },
    /// Convert a federated domain back to managed, as the signed-in administrator.
    ConvertToManaged {
        /// The administrator's session.
        admin: crate::wizard::state::tenant::AdminSession,
        /// The domain.
        domain: String,
    },
    /// Write a text file (the PingFederate administrator's settings).
    SaveText {
        /// Where.
        path: std::path::PathBuf,
        /// What.
        text: String,
    },
    /// Apply changed settings to an installation (the change API of `skybridge config apply`).
    ApplyChange {
        /// The data folder.
        data: std::path::PathBuf,
        /// The new settings.
        settings: Box<crate::engine::install::Installation>,
    },
    /// Start, stop, register or unregister an installation's service.
    Service {
        /// The data folder.
        data: std::path::PathBuf,
        /// What to do.
        action: crate::ops::installed::ServiceAction,
    },
    /// Write an installation's settings to a file (no secrets).
    ExportInstalled {
        /// The data folder.
        data: std::path::PathBuf,
        /// Where to write.
        path: std::path::PathBuf,
    },
    /// Apply changed settings from a walk through the pages: register new directory
    /// extensions on the engine's application, create the single sign-on accounts the plan
    /// asks for, keep the connector passwords, then the change API.
    ApplyCustomized {
        /// The data folder.
        data: std::path::PathBuf,
        /// The new settings.
        settings: Box<crate::engine::install::Installation>,
        /// The walk's plan: connector passwords, the administrator's session, single sign-on
        /// administrators, the wizard's choices.
        plan: Box<super::plan::InstallPlan>,
    },
    /// Create a forest's single sign-on account or renew its key, as a domain administrator.
    RenewSso {
        /// The data folder.
        data: std::path::PathBuf,
        /// The forest.
        forest: String,
        /// The administrator.
        account: String,
        /// Their password.
        password: Secret,
    },
    /// Read each forest's domains and schema again, and take in changed domain lists.
    RefreshSchema {
        /// The data folder.
        data: std::path::PathBuf,
    },
    /// Open a one-time enrolment code for a password agent.
    NewEnrolmentCode {
        /// The data folder.
        data: std::path::PathBuf,
    },
    /// Run a cycle of an installation (its service's, when one runs).
    RunCycle {
        /// The data folder.
        data: std::path::PathBuf,
    },
    /// Write the settings (and their schema beside them).
    WriteSettings {
        /// The file.
        path: std::path::PathBuf,
        /// What to write.
        file: Box<super::settings::SettingsFile>,
    },
}

impl Operation {
    /// The kind of answer it gives: one answer of each kind is awaited at a time.
    pub fn kind(&self) -> ProbeKind {
        match self {
            Operation::CreateConnector { .. } => ProbeKind::Directory,
            Operation::ConvertToManaged { .. } => ProbeKind::Federation,
            Operation::SaveText { .. } => ProbeKind::Federation,
            Operation::ApplyChange { .. } => ProbeKind::TaskChange,
            Operation::Service { .. } => ProbeKind::TaskChange,
            Operation::ExportInstalled { .. } => ProbeKind::SettingsFile,
            Operation::ApplyCustomized { .. } => ProbeKind::TaskChange,
            Operation::RenewSso { .. } => ProbeKind::SsoAdmin,
            Operation::RefreshSchema { .. } => ProbeKind::TaskChange,
            Operation::RunCycle { .. } => ProbeKind::TaskChange,
            Operation::NewEnrolmentCode { .. } => ProbeKind::Passwords,
            Operation::WriteSettings { .. } => ProbeKind::SettingsFile,
        }
    }
}

/// Carries out an operation.
pub async fn run(operation: Operation) -> Answer {
    match operation {
        Operation::ConvertToManaged { admin, domain } => {
            let outcome = match admin.graph() {
                None => {
                    Err("the administrator's sign-in is no longer at hand: sign in again".into())
                }
                Some(graph) => crate::federation::domain::unfederate(graph, &domain)
                    .await
                    .map_err(crate::ops::Failure::new),
            };
            Answer::ConvertedToManaged(domain, outcome)
        }
        Operation::SaveText { path, text } => Answer::TextSaved(
            blocking(move || {
                std::fs::write(&path, text)
                    .map(|()| path.display().to_string())
                    .map_err(|e| {
                        crate::ops::Failure::from(format!("cannot write {}: {e}", path.display()))
                    })
            })
            .await,
        ),
        Operation::ApplyChange { data, settings } => Answer::TaskChanged(
            blocking(move || {
                crate::ops::installed::change_settings(&data, &settings)
                    .map_err(crate::ops::Failure::new)
            })
            .await,
        ),
        Operation::Service { data, action } => Answer::ServiceDone(
            blocking(move || {
                crate::ops::installed::service_action(&data, action)
                    .map(|done| super::pages::additional_tasks::service_done(&done))
                    .map_err(crate::ops::Failure::new)
            })
            .await,
        ),
        Operation::RenewSso {
            data,
            forest,
            account,
            password,
        } => {
            let named = forest.clone();
            let outcome = blocking(move || {
                crate::ops::sso::renew_sso(&data, &forest, &account, &password)
                    .map(|made| super::pages::additional_tasks::sso_done(&made))
                    .map_err(crate::ops::Failure::new)
            })
            .await;
            Answer::SsoRenewed(named, outcome)
        }
        Operation::NewEnrolmentCode { data } => Answer::EnrolmentCode(
            blocking(move || {
                crate::ops::passwords::new_code(&data).map_err(crate::ops::Failure::new)
            })
            .await,
        ),
        Operation::RefreshSchema { data } => Answer::SchemaRefreshed(
            blocking(move || {
                crate::ops::schema::refresh_schema(&data)
                    .map(Box::new)
                    .map_err(crate::ops::Failure::new)
            })
            .await,
        ),
        Operation::ExportInstalled { data, path } => Answer::WriteSettings(
            blocking(move || {
                super::installed_choices::export_installed(&data, &path)
                    .map_err(crate::ops::Failure::new)
            })
            .await,
        ),
        Operation::ApplyCustomized {
            data,
            settings,
            plan,
        } => Answer::TaskChanged(apply_customized(data, *settings, *plan).await),
        Operation::RunCycle { data } => Answer::TaskCycle(
            blocking(move || {
                use crate::ops::installed::{Cycle, run_cycle};
                match run_cycle(&data, false).map_err(crate::ops::Failure::new)? {
                    Cycle::Queued => Ok(String::new()),
                    Cycle::Ran(records) => Ok(super::apply::summarize(&records)),
                }
            })
            .await,
        ),
        Operation::CreateConnector {
            server,
            admin,
            password,
        } => Answer::ConnectorCreated(
            blocking(move || {
                crate::ops::discover::create_connector(&server, &admin, &password)
                    .map(Box::new)
                    .map_err(crate::ops::Failure::new)
            })
            .await,
        ),
        Operation::WriteSettings { path, file } => Answer::WriteSettings(
            blocking(move || {
                file.save(&path).map_err(crate::ops::Failure::new)?;
                Ok(path.display().to_string())
            })
            .await,
        ),
    }
}

/// Applies customized settings: new directory extensions are registered on the engine's
/// application first (with the administrator's session), then the connector passwords are
/// kept and the settings applied through the change API. A failure before the change leaves
/// the settings in use as they were.
async fn apply_customized(
    data: std::path::PathBuf,
    settings: crate::engine::install::Installation,
    plan: super::plan::InstallPlan,
) -> Result<crate::engine::config::Applied, crate::ops::Failure> {
    let installed = {
        let data = data.clone();
        blocking(move || {
            crate::engine::install::Installation::load(&data).map_err(crate::ops::Failure::new)
        })
        .await?
    };
    let new: Vec<crate::engine::extensions::Extension> = settings
        .sync
        .extensions
        .iter()
        .filter(|e| {
            !installed
                .sync
                .extensions
                .iter()
                .any(|old| old.attribute == e.attribute)
        })
        .cloned()
        .collect();
    if !new.is_empty() {
        let graph = plan.admin.graph().ok_or(
            "the administrator's sign-in is no longer at hand: go back to Connect to the tenant and sign in again",
        )?;
        let app_id = settings.tenant.client_id.clone();
        let app = graph
            .application_of(&app_id)
            .await
            .map_err(|e| format!("cannot find the engine's application {app_id}: {e}"))?
            .ok_or_else(|| format!("the tenant has no application {app_id}"))?;
        let object_id = app["id"].as_str().unwrap_or_default().to_string();
        super::apply::register_extension_properties(graph, &app_id, &object_id, &new)
            .await
            .map_err(crate::ops::Failure::new)?;
    }
    blocking(move || {
        // Single sign-on turned on: each chosen forest's account, before the settings say so.
        if settings.single_sign_on && !installed.single_sign_on && !plan.sso.is_empty() {
            super::apply::single_sign_on(&plan).map_err(crate::ops::Failure::new)?;
        }
        for d in &plan.directories {
            settings
                .store_directory_password(&d.connector, &d.password)
                .map_err(|e| format!("cannot keep {}'s password: {e}", d.connector))?;
        }
        let choices = &plan.choices;
        let applied =
            crate::service::change_settings(&data, &settings).map_err(crate::ops::Failure::new)?;
        // The features and choices the engine's settings do not hold, for the next time.
        if let Some(choices) = &choices {
            super::installed_choices::keep_choices(&data, choices, &settings.keychain_service)
                .map_err(crate::ops::Failure::new)?;
        }
        Ok(applied)
    })
    .await
}
