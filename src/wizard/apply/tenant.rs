//! Preparing the tenant ([`Step::PrepareTenant`](super::Step::PrepareTenant)): the engine's
//! own application registered with a secret, its Microsoft Graph permissions granted, and the
//! plan's directory extensions registered on it.

use std::time::Duration;

use super::{Carried, DONE_EXTENSIONS, DONE_TENANT, StepError, installation, words};
use crate::engine::extensions;
use crate::secret::Secret;
use crate::tenant::SignIn;
use crate::wizard::plan::InstallPlan;

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

/// The tenant's own authority: the administrator may have signed in through a shared one
/// (`…/organizations`), but an application signs in to its tenant.
pub fn tenant_authority(authority: &str, tenant_id: &str) -> String {
    let trimmed = authority.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some((root, _)) if root.contains("://") => format!("{root}/{tenant_id}"),
        _ => format!("{trimmed}/{tenant_id}"),
    }
}

/// The name the engine's application gets in the tenant.
fn app_name() -> String {
    let host = crate::host::name().unwrap_or_else(|| "this computer".into());
    format!("Skybridge sync on {host}")
}

pub(super) async fn prepare_tenant(
    plan: &InstallPlan,
    carried: &mut Carried,
) -> Result<String, StepError> {
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
    Err(StepError::from(format!(
        "the application {} was registered, but cannot sign in with its secret: {last}",
        installation.tenant.client_id
    )))
}

/// The Microsoft Graph application permissions the engine's application needs: creating,
/// changing and deleting users and groups (and their members), and reading the directory
/// (the tenant's domains and organization, objects by id, deleted items).
pub const ENGINE_PERMISSIONS: &[&str] = &[
    "User.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
];

/// The directory role the engine's application needs to set synchronized users' passwords
/// (Graph documents `User.ReadWrite.All` plus at least User Administrator for an app-only
/// `passwordProfile` update): User Administrator's role template id.
pub const USER_ADMINISTRATOR_ROLE: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";

/// Microsoft Graph's application id.
const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// The engine's application, once registered, and the administrator's session that changes it.
fn app_and_admin<'a>(
    plan: &'a InstallPlan,
    carried: &'a Carried,
) -> Result<(&'a EngineApp, &'a crate::tenant::graph::GraphClient), StepError> {
    let app = carried
        .app
        .as_ref()
        .ok_or("the engine's application is not registered yet")?;
    Ok((app, admin_session(plan)?))
}

/// The administrator's session, while the wizard still holds it.
pub(super) fn admin_session(
    plan: &InstallPlan,
) -> Result<&crate::tenant::graph::GraphClient, StepError> {
    plan.admin.graph().ok_or_else(|| {
        StepError::from("the administrator's sign-in is no longer at hand: go back to Connect to the tenant and sign in again")
    })
}

/// Grants the engine's application [`ENGINE_PERMISSIONS`] on Microsoft Graph (the
/// administrator's consent), each once: a retry finds the ones granted before.
async fn grant_permissions(
    plan: &InstallPlan,
    carried: &Carried,
) -> Result<Vec<&'static str>, StepError> {
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
            return Err(StepError::from(format!(
                "Microsoft Graph offers no application permission {permission} in this tenant"
            )));
        };
        if held.iter().any(|h| h == role_id) {
            continue;
        }
        admin
            .grant_app_role(&graph_id, &app.service_principal_id, role_id)
            .await
            .map_err(|e| format!("cannot grant the application {permission}: {e}"))?;
    }
    let mut granted = ENGINE_PERMISSIONS.to_vec();
    // Password synchronization sets users' passwords: that also needs a directory role.
    if plan.sign_in == crate::wizard::SignInMethod::PasswordHashSync {
        let held = admin
            .directory_roles_of(&app.service_principal_id)
            .await
            .map_err(|e| format!("cannot list the application's directory roles: {e}"))?;
        if !held.iter().any(|r| r == USER_ADMINISTRATOR_ROLE) {
            admin
                .assign_directory_role(&app.service_principal_id, USER_ADMINISTRATOR_ROLE)
                .await
                .map_err(|e| {
                    format!(
                        "cannot give the application the User Administrator role, which setting synchronized users' passwords needs: {e}"
                    )
                })?;
        }
        granted.push("the User Administrator role (to set synchronized users' passwords)");
    }
    Ok(granted)
}

/// Registers the plan's directory extensions on the engine's application, each once: a retry
/// finds the ones an earlier try registered. Returns how many the application has.
async fn register_extensions(plan: &InstallPlan, carried: &Carried) -> Result<usize, StepError> {
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
) -> Result<usize, StepError> {
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
