//! Application permissions, as the tenant enforces them: the Microsoft Graph service principal
//! with its app roles, app role assignments (`appRoleAssignedTo`, `appRoleAssignments`), and
//! the check that an application token holds one of the roles a request needs (403
//! `Authorization_RequestDenied` otherwise).
//!
//! Directory roles, as far as setting another user's password needs one: Graph documents that an
//! application (app-only token) may update a user's `passwordProfile` only with
//! `User.ReadWrite.All` *and* a directory role that may reset passwords, at least User
//! Administrator (`user-update.md`, permissions of `passwordProfile`). The emulator keeps role
//! assignments made through `roleManagement/directory/roleAssignments` (v1.0) and checks them
//! for that one write; the built-in application holds them all, as a Global Administrator's would.
//!
//! Delegated (user) tokens are not checked here: the emulator's users are administrators.
//! The emulator's built-in application has every role below, as if an administrator had
//! consented; applications registered through Graph have only what is assigned to them.

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::super::errors::{GraphError, GraphResult};
use super::super::state::Caller;
use super::super::store::{Kind, Record, Store};
use super::super::util;
use super::{Listing, Reply, Req, list};

/// Microsoft Graph's application id.
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

/// Microsoft Graph's application permissions the emulator knows: (id, value).
pub const APP_ROLES: &[(&str, &str)] = &[
    ("df021288-bdef-4463-88db-98f22de89214", "User.Read.All"),
    ("741f803b-c850-494e-b5df-cde7c675a1ca", "User.ReadWrite.All"),
    ("5b567255-7703-4780-807c-7be8301ae99b", "Group.Read.All"),
    (
        "62a82d76-70ea-41e2-9197-370581804d09",
        "Group.ReadWrite.All",
    ),
    (
        "dbaae8cf-10b5-4b86-a4a1-f871c94c6695",
        "GroupMember.ReadWrite.All",
    ),
    ("7ab1d382-f21e-4acd-a863-ba3e13f7da61", "Directory.Read.All"),
    (
        "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
        "Directory.ReadWrite.All",
    ),
    ("dbb9058a-0e50-45d7-ae91-66909b5d4664", "Domain.Read.All"),
    (
        "7e05723c-0bb0-42da-be95-ae9f08a6e53c",
        "Domain.ReadWrite.All",
    ),
    (
        "498476ce-e0fe-48b0-b801-37ba7e2685c6",
        "Organization.Read.All",
    ),
    (
        "292d869f-3427-49a8-9dab-8c70152b74e9",
        "Organization.ReadWrite.All",
    ),
    (
        "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
        "Application.Read.All",
    ),
    (
        "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
        "Application.ReadWrite.All",
    ),
    (
        "06b708a9-e830-4db3-a914-8e69da51d44f",
        "AppRoleAssignment.ReadWrite.All",
    ),
    (
        "e321f0bb-e7f7-481e-bb28-e3b0b32d4bd0",
        "OrgContact.Read.All",
    ),
];

/// Makes sure the tenant has Microsoft Graph's service principal (a real tenant always does).
pub fn ensure_graph_service_principal(store: &Store) -> GraphResult<()> {
    let index = format!("spappid:{GRAPH_APP_ID}");
    if store.index_get(&index)?.is_some() {
        return Ok(());
    }
    let id = util::new_id();
    let roles: Vec<Value> = APP_ROLES
        .iter()
        .map(|(role_id, value)| {
            json!({
                "id": role_id,
                "value": value,
                "allowedMemberTypes": ["Application"],
                "displayName": value,
                "description": format!("Allows the app {value} without a signed-in user."),
                "isEnabled": true,
                "origin": "Application",
            })
        })
        .collect();
    let mut props = Map::new();
    props.insert("id".into(), json!(id));
    props.insert("appId".into(), json!(GRAPH_APP_ID));
    props.insert("displayName".into(), json!("Microsoft Graph"));
    props.insert("appDisplayName".into(), json!("Microsoft Graph"));
    props.insert("servicePrincipalType".into(), json!("Application"));
    props.insert("accountEnabled".into(), json!(true));
    props.insert("appRoleAssignmentRequired".into(), json!(false));
    props.insert("appRoles".into(), json!(roles));
    props.insert("deletedDateTime".into(), Value::Null);
    let record = Record {
        props,
        hidden: Map::new(),
    };
    store.put(Kind::ServicePrincipal, &record)?;
    store.index_set(&index, &id)?;
    Ok(())
}

/// The roles an application's new token carries: every role for the built-in application,
/// else those assigned to its service principal on Microsoft Graph.
pub fn roles_of(store: &Store, builtin_client: &str, app_id: &str) -> GraphResult<Vec<String>> {
    if app_id.eq_ignore_ascii_case(builtin_client) {
        return Ok(APP_ROLES.iter().map(|(_, v)| (*v).to_string()).collect());
    }
    let (Some(client), Some(graph)) = (
        store.index_get(&format!("spappid:{}", app_id.to_lowercase()))?,
        store.index_get(&format!("spappid:{GRAPH_APP_ID}"))?,
    ) else {
        return Ok(Vec::new());
    };
    let assignments: Vec<Value> = store.meta("appRoleAssignments")?.unwrap_or_default();
    Ok(assignments
        .iter()
        .filter(|a| a["principalId"] == json!(client) && a["resourceId"] == json!(graph))
        .filter_map(|a| {
            APP_ROLES
                .iter()
                .find(|(id, _)| a["appRoleId"].as_str() == Some(id))
                .map(|(_, v)| (*v).to_string())
        })
        .collect())
}

/// The roles any one of which lets an application make this request (`None`: no check).
fn needed(method: &Method, segs: &[&str]) -> Option<&'static [&'static str]> {
    let read = *method == Method::GET;
    Some(match (segs.first().copied()?, segs.get(2).copied(), read) {
        ("users", _, true) => &[
            "User.Read.All",
            "User.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        ("users", _, false) if *method == Method::DELETE => &["User.ReadWrite.All"],
        ("users", _, false) => &["User.ReadWrite.All", "Directory.ReadWrite.All"],
        ("groups", _, true) => &[
            "Group.Read.All",
            "Group.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        ("groups", Some("members"), false) => &[
            "GroupMember.ReadWrite.All",
            "Group.ReadWrite.All",
            "Directory.ReadWrite.All",
        ],
        ("groups", _, false) if *method == Method::DELETE => &["Group.ReadWrite.All"],
        ("groups", _, false) => &["Group.ReadWrite.All", "Directory.ReadWrite.All"],
        ("organization", _, true) => &[
            "Organization.Read.All",
            "Organization.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        ("organization", _, false) => &["Organization.ReadWrite.All"],
        ("domains", _, true) => &[
            "Domain.Read.All",
            "Domain.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        ("domains", _, false) => &["Domain.ReadWrite.All"],
        ("contacts", _, _) => &[
            "OrgContact.Read.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        ("directoryObjects", _, _) => &["Directory.Read.All", "Directory.ReadWrite.All"],
        ("directory", _, true) => &["Directory.Read.All", "Directory.ReadWrite.All"],
        // Restoring a deleted user or group.
        ("directory", _, false) => &[
            "User.ReadWrite.All",
            "Group.ReadWrite.All",
            "Directory.ReadWrite.All",
        ],
        ("servicePrincipals", Some("appRoleAssignedTo" | "appRoleAssignments"), false) => {
            &["AppRoleAssignment.ReadWrite.All"]
        }
        ("applications" | "servicePrincipals", _, true) => &[
            "Application.Read.All",
            "Application.ReadWrite.All",
            "Directory.Read.All",
        ],
        ("applications" | "servicePrincipals", _, false) => &["Application.ReadWrite.All"],
        // Only administrators assign directory roles in the emulator (no app role for it).
        ("roleManagement", _, _) => &["RoleManagement.ReadWrite.Directory"],
        _ => return None,
    })
}

/// Refuses an application token that holds none of the roles the request needs.
pub fn check(req: &Req) -> GraphResult<()> {
    let Caller::App { roles, .. } = &req.caller else {
        return Ok(());
    };
    let segs: Vec<&str> = req.segs.iter().map(String::as_str).collect();
    match needed(&req.method, &segs) {
        Some(any) if !any.iter().any(|r| roles.iter().any(|held| held == r)) => {
            Err(GraphError::new(
                axum::http::StatusCode::FORBIDDEN,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            ))
        }
        _ => Ok(()),
    }
}

/// `servicePrincipals/{id}/appRoleAssignedTo` (the resource's side) and
/// `servicePrincipals/{id}/appRoleAssignments` (the client's side).
pub fn assignments(req: &Req, sp: &Record, resource_side: bool) -> GraphResult<Reply> {
    let sp_id = sp.id().to_owned();
    let mut all: Vec<Value> = req.t.store.meta("appRoleAssignments")?.unwrap_or_default();
    let side = if resource_side {
        "resourceId"
    } else {
        "principalId"
    };
    if req.method == Method::GET {
        let mine: Vec<Map<String, Value>> = all
            .iter()
            .filter(|a| a[side] == json!(sp_id))
            .filter_map(|a| a.as_object().cloned())
            .collect();
        let context = if resource_side {
            "servicePrincipals('{id}')/appRoleAssignedTo"
        } else {
            "servicePrincipals('{id}')/appRoleAssignments"
        };
        return list(
            req,
            &Listing {
                context,
                type_name: "microsoft.graph.appRoleAssignment",
                defaults: &[],
                directory: false,
            },
            mine,
        );
    }
    if req.method != Method::POST {
        return Err(super::unknown(req));
    }
    let body = req.body_object()?;
    for key in body.keys() {
        if !["principalId", "resourceId", "appRoleId"].contains(&key.as_str()) {
            return Err(GraphError::bad_request(format!(
                "The type 'microsoft.graph.appRoleAssignment' has no settable property '{key}'."
            )));
        }
    }
    let text = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or_default();
    let (principal_id, resource_id, role_id) =
        (text("principalId"), text("resourceId"), text("appRoleId"));
    if principal_id.is_empty() || resource_id.is_empty() || role_id.is_empty() {
        return Err(GraphError::bad_request(
            "principalId, resourceId and appRoleId are all required.",
        ));
    }
    // The path names one side of the assignment; the body must agree with it.
    let expected = if resource_side {
        resource_id
    } else {
        principal_id
    };
    if !expected.eq_ignore_ascii_case(&sp_id) {
        return Err(GraphError::bad_request(format!(
            "The {} in the body must be the service principal in the path.",
            if resource_side {
                "resourceId"
            } else {
                "principalId"
            }
        )));
    }
    let Some(resource) = req.t.store.get(Kind::ServicePrincipal, resource_id)? else {
        return Err(GraphError::not_found(resource_id));
    };
    let Some(principal) = req.t.store.get(Kind::ServicePrincipal, principal_id)? else {
        return Err(GraphError::not_found(principal_id));
    };
    let defined = resource
        .props
        .get("appRoles")
        .and_then(Value::as_array)
        .is_some_and(|roles| {
            roles.iter().any(|r| {
                r["id"].as_str() == Some(role_id)
                    && r["allowedMemberTypes"]
                        .as_array()
                        .is_some_and(|t| t.iter().any(|m| m == "Application"))
            })
        });
    if !defined {
        return Err(GraphError::bad_request(
            "Permission being assigned was not found on application",
        ));
    }
    if all.iter().any(|a| {
        a["principalId"] == json!(principal_id)
            && a["resourceId"] == json!(resource_id)
            && a["appRoleId"] == json!(role_id)
    }) {
        return Err(GraphError::bad_request(
            "Permission being assigned already exists on the object",
        ));
    }
    let assignment = json!({
        "id": util::random_token(32),
        "deletedDateTime": null,
        "appRoleId": role_id,
        "createdDateTime": req.t.timestamp(),
        "principalDisplayName": principal.props.get("displayName").cloned().unwrap_or(Value::Null),
        "principalId": principal_id,
        "principalType": "ServicePrincipal",
        "resourceDisplayName": resource.props.get("displayName").cloned().unwrap_or(Value::Null),
        "resourceId": resource_id,
    });
    all.push(assignment.clone());
    req.t.store.set_meta("appRoleAssignments", &all)?;
    let mut out = assignment;
    let context = if resource_side {
        "servicePrincipals('{id}')/appRoleAssignedTo/$entity"
    } else {
        "servicePrincipals('{id}')/appRoleAssignments/$entity"
    };
    out["@odata.context"] = json!(req.context(context));
    Ok(Reply::created(out))
}

/// Directory role templates that may reset a (non-administrator) user's password: (id, name).
pub const PASSWORD_ROLES: &[(&str, &str)] = &[
    ("fe930be7-5e62-47db-91af-98c3a49a38b1", "User Administrator"),
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
    ),
    (
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        "Privileged Authentication Administrator",
    ),
];

/// `roleManagement/directory/roleAssignments`: assign a directory role to a principal (POST),
/// list assignments (GET, `$filter=principalId eq '…'`), and one by id.
pub fn role_assignments(req: &Req) -> GraphResult<Reply> {
    let mut all: Vec<Value> = req.t.store.meta("roleAssignments")?.unwrap_or_default();
    match (req.method.clone(), req.segs.get(3)) {
        (Method::GET, None) => {
            let objects: Vec<Map<String, Value>> =
                all.iter().filter_map(|a| a.as_object().cloned()).collect();
            list(
                req,
                &Listing {
                    context: "roleManagement/directory/roleAssignments",
                    type_name: "microsoft.graph.unifiedRoleAssignment",
                    defaults: &["id", "principalId", "roleDefinitionId", "directoryScopeId"],
                    directory: false,
                },
                objects,
            )
        }
        (Method::GET, Some(id)) => all
            .iter()
            .find(|a| a["id"] == json!(id))
            .cloned()
            .map(|a| Reply::json(axum::http::StatusCode::OK, a))
            .ok_or_else(|| GraphError::not_found(id)),
        (Method::POST, None) => {
            let body = req.body_object()?;
            let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
            let (Some(principal), Some(role)) = (text("principalId"), text("roleDefinitionId"))
            else {
                return Err(GraphError::bad_request(
                    "principalId and roleDefinitionId are required.",
                ));
            };
            let scope = text("directoryScopeId").unwrap_or_default();
            if scope != "/" {
                return Err(GraphError::bad_request(
                    "Only the tenant-wide scope '/' is supported as directoryScopeId.",
                ));
            }
            if !PASSWORD_ROLES.iter().any(|(id, _)| *id == role) {
                return Err(GraphError::bad_request(format!(
                    "The role definition '{role}' does not exist."
                )));
            }
            if req
                .t
                .store
                .get(Kind::ServicePrincipal, &principal)?
                .is_none()
                && req.t.store.get(Kind::User, &principal)?.is_none()
            {
                return Err(GraphError::bad_request(format!(
                    "The principal '{principal}' does not exist."
                )));
            }
            if all.iter().any(|a| {
                a["principalId"] == json!(principal) && a["roleDefinitionId"] == json!(role)
            }) {
                return Err(GraphError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "Request_BadRequest",
                    "A conflicting object with one or more of the specified property values is present in the directory.",
                ));
            }
            let made = json!({
                "id": util::new_id(),
                "principalId": principal,
                "roleDefinitionId": role,
                "directoryScopeId": "/",
            });
            all.push(made.clone());
            req.t.store.set_meta("roleAssignments", &all)?;
            let mut out = made;
            out["@odata.context"] =
                json!(req.context("roleManagement/directory/roleAssignments/$entity"));
            Ok(Reply::created(out))
        }
        _ => Err(super::unknown(req)),
    }
}

/// Whether the caller may set another user's password: a user (the emulator's users are
/// administrators), the built-in application, or an application whose service principal holds
/// a role of [`PASSWORD_ROLES`].
pub fn may_reset_passwords(req: &Req) -> GraphResult<bool> {
    let Caller::App { app_id, .. } = &req.caller else {
        return Ok(true);
    };
    if app_id.eq_ignore_ascii_case(&req.t.client_id) {
        return Ok(true);
    }
    let Some(sp) = req
        .t
        .store
        .index_get(&format!("spappid:{}", app_id.to_lowercase()))?
    else {
        return Ok(false);
    };
    let all: Vec<Value> = req.t.store.meta("roleAssignments")?.unwrap_or_default();
    Ok(all.iter().any(|a| {
        a["principalId"] == json!(sp)
            && PASSWORD_ROLES
                .iter()
                .any(|(id, _)| a["roleDefinitionId"].as_str() == Some(id))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_need_write_roles_and_deletes_the_narrow_one() {
        let users = ["users", "u1"];
        assert!(
            needed(&Method::GET, &users)
                .unwrap()
                .contains(&"Directory.Read.All")
        );
        assert!(
            !needed(&Method::PATCH, &users)
                .unwrap()
                .contains(&"Directory.Read.All")
        );
        assert_eq!(
            needed(&Method::DELETE, &users).unwrap(),
            ["User.ReadWrite.All"]
        );
        let members = ["groups", "g1", "members", "$ref"];
        assert!(
            needed(&Method::POST, &members)
                .unwrap()
                .contains(&"GroupMember.ReadWrite.All")
        );
        assert!(needed(&Method::GET, &["me"]).is_none());
    }
}
