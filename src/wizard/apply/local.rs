//! The steps on this computer and in the forests: the store, the credentials kept in the
//! keychain, the connectors signed in to, single sign-on, the settings file with the rules, the
//! first synchronization and the service.

use std::path::Path;

use super::{
    DONE_CONNECTORS, DONE_CREDENTIALS, DONE_RULES, DONE_SERVICE, DONE_SERVICE_REGISTERED,
    DONE_SSO_CREATED, DONE_SSO_RENEWED, DONE_STORE, Report, StepError, summarize, words,
};
use crate::engine::install::{self, Installation};
use crate::secret::Secret;
use crate::wizard::plan::InstallPlan;
use crate::wizard::probe::blocking;

/// Creates (or renews) the single sign-on computer account in each chosen forest's root domain,
/// signing in once with the administrator given for it; their password is not kept.
pub(crate) fn single_sign_on(plan: &InstallPlan) -> Result<String, StepError> {
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
            return Err(StepError::from(format!(
                "{}: the forest root domain is not among its domains",
                forest.connector
            )));
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

pub(super) fn create_store(
    data: &Path,
    database: Option<&crate::wizard::plan::PlannedDatabase>,
) -> Result<String, StepError> {
    if data.join("settings.json").exists() {
        return Err(StepError::from(format!(
            "{} already holds a Skybridge installation. Change it from Additional tasks, or choose another data folder.",
            data.display()
        )));
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

pub(super) fn save_credentials(
    plan: &InstallPlan,
    secret: &Secret,
    installation: &Installation,
) -> Result<String, StepError> {
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

pub(super) async fn configure_connectors(installation: Installation) -> Result<String, StepError> {
    // Everything from what was saved, as the engine will read it: the forests' sessions and the
    // application secret, in one trip off the runtime.
    let reader = installation.clone();
    let (forests, secret) = blocking(move || {
        let sessions = reader.directory_sessions().map_err(|e| e.to_string())?;
        let secret = reader.client_secret().map_err(|e| e.to_string())?;
        let forests: Vec<String> = sessions.iter().map(|(d, _)| d.connector.clone()).collect();
        Ok::<_, StepError>((forests.join(", "), secret))
    })
    .await?;
    installation
        .graph(secret)
        .await
        .map_err(|e| format!("the engine cannot sign in to the tenant: {e}"))?;
    Ok(words().field_with(DONE_CONNECTORS, &[("forests", &forests)]))
}

pub(super) fn configure_rules(
    data: &Path,
    installation: &Installation,
    choices: Option<&crate::wizard::settings::SettingsFile>,
) -> Result<String, StepError> {
    installation.save(data).map_err(|e| e.to_string())?;
    // The wizard's own choices, for customizing later (no secret in it).
    if let Some(choices) = choices {
        crate::wizard::installed_choices::keep_choices(
            data,
            choices,
            &installation.keychain_service,
        )
        .map_err(|e| e.to_string())?;
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
pub(super) fn start_service(
    data: &Path,
    choice: crate::wizard::pages::ready_to_configure::ServiceChoice,
) -> Result<String, StepError> {
    use crate::service::launch::{self, Started};
    let register = choice == crate::wizard::pages::ready_to_configure::ServiceChoice::Register;
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

pub(super) fn first_sync(data: &Path, report: &Report) -> Result<String, StepError> {
    let records = install::run_cycle_observed(data, true, &|phase, n| report(phase, n))
        .map_err(|e| e.to_string())?;
    Ok(summarize(&records))
}
