//! Typed operations on the tenant, on top of [`GraphClient`]: organization, domains, users,
//! groups and members, contacts, deleted items, the engine's own application, extension
//! properties.
//!
//! Bodies are JSON, as Graph's are; what the client checks before sending is what Graph would
//! refuse anyway (read-only properties, missing required ones), so the administrator gets the
//! reason without a round trip.

use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};

use super::error::TenantError;
use super::graph::{BatchItem, GraphClient};
use crate::secret::Secret;

/// User properties Graph does not let a client write (users-rules `read_only`).
pub const USER_READ_ONLY: &[&str] = &[
    "assignedPlans",
    "createdDateTime",
    "creationType",
    "id",
    "imAddresses",
    "legalAgeGroupClassification",
    "licenseAssignmentStates",
    "onPremisesDistinguishedName",
    "onPremisesDomainName",
    "onPremisesLastSyncDateTime",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "onPremisesUserPrincipalName",
    "provisionedPlans",
    "proxyAddresses",
    "refreshTokensValidFromDateTime",
    "signInSessionsValidFromDateTime",
];

/// Properties a new user must have.
pub const USER_REQUIRED: &[&str] = &[
    "accountEnabled",
    "displayName",
    "mailNickname",
    "passwordProfile",
    "userPrincipalName",
];

/// Properties a new group must have.
pub const GROUP_REQUIRED: &[&str] = &[
    "displayName",
    "mailEnabled",
    "mailNickname",
    "securityEnabled",
];

/// Members added per `members@odata.bind` request, as Graph allows.
pub const MEMBERS_PER_REQUEST: usize = 20;

/// The tenant's organization, as the wizard shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Organization {
    /// Tenant id.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Verified domains.
    pub verified_domains: Vec<VerifiedDomain>,
    /// `true` synced, `false` was synced, `None` never synced.
    pub on_premises_sync_enabled: Option<bool>,
}

/// A verified domain of the organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedDomain {
    /// The domain name.
    pub name: String,
    /// Whether it is the tenant's initial `*.onmicrosoft.com` domain.
    pub is_initial: bool,
    /// Whether it is the default domain for new users.
    pub is_default: bool,
}

/// A domain of the tenant, verified or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Domain {
    /// The domain name.
    pub id: String,
    /// Whether ownership is proven.
    pub is_verified: bool,
    /// Whether it is the default.
    pub is_default: bool,
    /// Whether it is the initial domain.
    pub is_initial: bool,
    /// `Managed` or `Federated`.
    pub authentication_type: String,
}

impl Organization {
    /// The initial `*.onmicrosoft.com` domain.
    pub fn initial_domain(&self) -> Option<&str> {
        self.verified_domains
            .iter()
            .find(|d| d.is_initial)
            .map(|d| d.name.as_str())
    }
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

/// Quotes a value for an OData `$filter` string literal.
pub fn odata_string(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Percent-encodes a path segment or query value.
pub fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

fn refuse_keys(body: &Value, forbidden: &[&str], what: &str) -> Result<(), TenantError> {
    let Some(map) = body.as_object() else {
        return Err(TenantError::Invalid(format!(
            "a {what} must be a JSON object"
        )));
    };
    let bad: Vec<&str> = forbidden
        .iter()
        .copied()
        .filter(|k| map.contains_key(*k))
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(TenantError::Invalid(format!(
            "Graph does not let a client set {} on a {what}; they are read-only",
            bad.join(", ")
        )))
    }
}

fn require_keys(body: &Value, required: &[&str], what: &str) -> Result<(), TenantError> {
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|k| body.get(*k).is_none_or(Value::is_null))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(TenantError::Invalid(format!(
            "a new {what} needs {}",
            missing.join(", ")
        )))
    }
}

/// Checks an immutable id (sourceAnchor) the way Graph does: no `$` or `_`.
pub fn check_immutable_id(value: &str) -> Result<(), TenantError> {
    if value.is_empty() {
        return Err(TenantError::Invalid("the immutable id is empty".into()));
    }
    if let Some(c) = value.chars().find(|c| matches!(c, '$' | '_')) {
        return Err(TenantError::Invalid(format!(
            "the immutable id '{value}' contains '{c}', which Graph does not accept"
        )));
    }
    Ok(())
}

impl GraphClient {
    /// The organization (GET /organization returns a collection of one).
    pub async fn organization(&self) -> Result<Organization, TenantError> {
        let page = self.get("organization").await?;
        let org = page["value"]
            .as_array()
            .and_then(|v| v.first())
            .cloned()
            .ok_or_else(|| TenantError::Protocol {
                url: "organization".into(),
                detail: "no organization in the answer".into(),
            })?;
        let verified_domains = org["verifiedDomains"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|d| VerifiedDomain {
                        name: text(d, "name"),
                        is_initial: d["isInitial"].as_bool().unwrap_or(false),
                        is_default: d["isDefault"].as_bool().unwrap_or(false),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Organization {
            id: text(&org, "id"),
            display_name: text(&org, "displayName"),
            verified_domains,
            on_premises_sync_enabled: org["onPremisesSyncEnabled"].as_bool(),
        })
    }

    /// Every domain of the tenant.
    pub async fn domains(&self) -> Result<Vec<Domain>, TenantError> {
        let mut out = Vec::new();
        self.list("domains", false, |d| {
            out.push(Domain {
                id: text(&d, "id"),
                is_verified: d["isVerified"].as_bool().unwrap_or(false),
                is_default: d["isDefault"].as_bool().unwrap_or(false),
                is_initial: d["isInitial"].as_bool().unwrap_or(false),
                authentication_type: text(&d, "authenticationType"),
            });
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// Adds a domain (unverified until [`Self::verify_domain`]).
    pub async fn create_domain(&self, name: &str) -> Result<Value, TenantError> {
        self.post("domains", &json!({ "id": name })).await
    }

    /// The DNS records that prove ownership of a domain.
    pub async fn verification_records(&self, name: &str) -> Result<Vec<Value>, TenantError> {
        self.collect(&format!("domains/{}/verificationDnsRecords", encode(name)))
            .await
    }

    /// Asks Graph to check the verification record of a domain.
    pub async fn verify_domain(&self, name: &str) -> Result<Value, TenantError> {
        self.post(&format!("domains/{}/verify", encode(name)), &json!({}))
            .await
    }

    /// One domain by name.
    pub async fn domain(&self, name: &str) -> Result<Value, TenantError> {
        self.get(&format!("domains/{}", encode(name))).await
    }

    /// The federation settings of a federated domain.
    pub async fn federation_configurations(&self, domain: &str) -> Result<Vec<Value>, TenantError> {
        self.collect(&format!(
            "domains/{}/federationConfiguration",
            encode(domain)
        ))
        .await
    }

    /// Federates a domain with an identity provider (AD FS, PingFederate).
    pub async fn create_federation_configuration(
        &self,
        domain: &str,
        configuration: &Value,
    ) -> Result<Value, TenantError> {
        self.post(
            &format!("domains/{}/federationConfiguration", encode(domain)),
            configuration,
        )
        .await
    }

    /// Removes a domain's federation configuration: the domain is managed again.
    pub async fn delete_federation_configuration(
        &self,
        domain: &str,
        id: &str,
    ) -> Result<(), TenantError> {
        self.delete(&format!(
            "domains/{}/federationConfiguration/{}",
            encode(domain),
            encode(id)
        ))
        .await
    }

    /// Directory objects by id (users, groups, …), at most 1,000 per call as Graph allows.
    pub async fn objects_by_ids(
        &self,
        ids: &[String],
        types: &[&str],
    ) -> Result<Vec<Value>, TenantError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(1000) {
            let answer = self
                .post(
                    "directoryObjects/getByIds",
                    &json!({ "ids": chunk, "types": types }),
                )
                .await?;
            out.extend(answer["value"].as_array().cloned().unwrap_or_default());
        }
        Ok(out)
    }

    /// Creates a user; refuses read-only properties and missing required ones before sending.
    pub async fn create_user(&self, user: &Value) -> Result<Value, TenantError> {
        refuse_keys(user, USER_READ_ONLY, "user")?;
        require_keys(user, USER_REQUIRED, "user")?;
        if let Some(id) = user["onPremisesImmutableId"].as_str() {
            check_immutable_id(id)?;
        }
        self.post("users", user).await
    }

    /// Reads a user by id or UPN, with the properties in `select` (empty: Graph's default set).
    pub async fn user(&self, id: &str, select: &[&str]) -> Result<Value, TenantError> {
        let mut path = format!("users/{}", encode(id));
        if !select.is_empty() {
            path.push_str(&format!("?$select={}", select.join(",")));
        }
        self.get(&path).await
    }

    /// Changes a user.
    pub async fn update_user(&self, id: &str, changes: &Value) -> Result<(), TenantError> {
        refuse_keys(changes, USER_READ_ONLY, "user")?;
        if let Some(v) = changes["onPremisesImmutableId"].as_str() {
            check_immutable_id(v)?;
        }
        self.patch(&format!("users/{}", encode(id)), changes).await
    }

    /// Deletes a user (it goes to deleted items for 30 days).
    pub async fn delete_user(&self, id: &str) -> Result<(), TenantError> {
        self.delete(&format!("users/{}", encode(id))).await
    }

    /// The user whose onPremisesImmutableId is `immutable_id`, if any.
    pub async fn user_by_immutable_id(
        &self,
        immutable_id: &str,
    ) -> Result<Option<Value>, TenantError> {
        let filter = encode(&format!(
            "onPremisesImmutableId eq {}",
            odata_string(immutable_id)
        ));
        let mut found = None;
        self.list(
            &format!("users?$filter={filter}&$select=id,userPrincipalName,onPremisesImmutableId,displayName"),
            false,
            |u| {
                found.get_or_insert(u);
                Ok(())
            },
        )
        .await?;
        Ok(found)
    }

    /// Creates a group (security or Microsoft 365).
    pub async fn create_group(&self, group: &Value) -> Result<Value, TenantError> {
        require_keys(group, GROUP_REQUIRED, "group")?;
        self.post("groups", group).await
    }

    /// Changes a group.
    pub async fn update_group(&self, id: &str, changes: &Value) -> Result<(), TenantError> {
        self.patch(&format!("groups/{}", encode(id)), changes).await
    }

    /// Deletes a group.
    pub async fn delete_group(&self, id: &str) -> Result<(), TenantError> {
        self.delete(&format!("groups/{}", encode(id))).await
    }

    /// Adds members by object id, 20 per request (`members@odata.bind`).
    pub async fn add_members(&self, group: &str, members: &[String]) -> Result<(), TenantError> {
        let root = self.base_url();
        for chunk in members.chunks(MEMBERS_PER_REQUEST) {
            let binds: Vec<String> = chunk
                .iter()
                .map(|id| format!("{root}directoryObjects/{}", encode(id)))
                .collect();
            self.update_group(group, &json!({ "members@odata.bind": binds }))
                .await?;
        }
        Ok(())
    }

    /// Removes one member.
    pub async fn remove_member(&self, group: &str, member: &str) -> Result<(), TenantError> {
        self.delete(&format!(
            "groups/{}/members/{}/$ref",
            encode(group),
            encode(member)
        ))
        .await
    }

    /// Organizational contacts (Graph can read them, not create them).
    pub async fn org_contacts(&self) -> Result<Vec<Value>, TenantError> {
        self.collect("contacts").await
    }

    /// Deleted users or groups (`kind` = `microsoft.graph.user` or `microsoft.graph.group`).
    pub async fn deleted_items(&self, kind: &str) -> Result<Vec<Value>, TenantError> {
        self.collect(&format!("directory/deletedItems/{kind}"))
            .await
    }

    /// Restores a deleted object.
    pub async fn restore(&self, id: &str) -> Result<Value, TenantError> {
        self.post(
            &format!("directory/deletedItems/{}/restore", encode(id)),
            &json!({}),
        )
        .await
    }

    /// Registers an application (the engine's own identity) and returns it.
    pub async fn create_application(&self, display_name: &str) -> Result<Value, TenantError> {
        self.post("applications", &json!({ "displayName": display_name }))
            .await
    }

    /// Creates the service principal of an application by its appId.
    pub async fn create_service_principal(&self, app_id: &str) -> Result<Value, TenantError> {
        self.post("servicePrincipals", &json!({ "appId": app_id }))
            .await
    }

    /// The service principal of an application in this tenant, by its appId (Microsoft
    /// Graph's is `00000003-0000-0000-c000-000000000000`), with its app roles.
    pub async fn service_principal_of(&self, app_id: &str) -> Result<Option<Value>, TenantError> {
        self.first_by_app_id("servicePrincipals", app_id, "id,appId,displayName,appRoles")
            .await
    }

    /// An application registered in this tenant, by its appId.
    pub async fn application_of(&self, app_id: &str) -> Result<Option<Value>, TenantError> {
        self.first_by_app_id("applications", app_id, "id,appId,displayName")
            .await
    }

    /// The first object of `collection` with this appId, with the `select`ed properties.
    async fn first_by_app_id(
        &self,
        collection: &str,
        app_id: &str,
        select: &str,
    ) -> Result<Option<Value>, TenantError> {
        let found = self
            .collect(&format!(
                "{collection}?$filter=appId eq '{}'&$select={select}",
                app_id.replace('\'', "''")
            ))
            .await?;
        Ok(found.into_iter().next())
    }

    /// The app roles (application permissions) assigned to a client service principal.
    pub async fn app_role_assignments(
        &self,
        service_principal_id: &str,
    ) -> Result<Vec<Value>, TenantError> {
        self.collect(&format!(
            "servicePrincipals/{}/appRoleAssignments",
            encode(service_principal_id)
        ))
        .await
    }

    /// Grants a client service principal an app role of a resource (an application
    /// permission, such as Microsoft Graph's `User.ReadWrite.All`).
    pub async fn grant_app_role(
        &self,
        resource_id: &str,
        principal_id: &str,
        app_role_id: &str,
    ) -> Result<Value, TenantError> {
        self.post(
            &format!(
                "servicePrincipals/{}/appRoleAssignedTo",
                encode(resource_id)
            ),
            &json!({
                "principalId": principal_id,
                "resourceId": resource_id,
                "appRoleId": app_role_id,
            }),
        )
        .await
    }

    /// The directory roles (role definition ids) assigned to a principal tenant-wide.
    pub async fn directory_roles_of(&self, principal_id: &str) -> Result<Vec<String>, TenantError> {
        let filter = format!("principalId eq '{}'", principal_id.replace('\'', "''"));
        Ok(self
            .collect(&format!(
                "roleManagement/directory/roleAssignments?$filter={}",
                encode(&filter)
            ))
            .await?
            .iter()
            .filter(|a| a["directoryScopeId"].as_str().is_none_or(|s| s == "/"))
            .filter_map(|a| a["roleDefinitionId"].as_str().map(str::to_string))
            .collect())
    }

    /// Assigns a directory role (by its role definition id) to a principal, tenant-wide.
    pub async fn assign_directory_role(
        &self,
        principal_id: &str,
        role_definition_id: &str,
    ) -> Result<Value, TenantError> {
        self.post(
            "roleManagement/directory/roleAssignments",
            &json!({
                "principalId": principal_id,
                "roleDefinitionId": role_definition_id,
                "directoryScopeId": "/",
            }),
        )
        .await
    }

    /// Adds a client secret to an application; the secret is returned once, as a [`Secret`].
    pub async fn add_password(
        &self,
        application_object_id: &str,
        display_name: &str,
    ) -> Result<(String, Secret), TenantError> {
        let answer = self
            .post(
                &format!("applications/{}/addPassword", encode(application_object_id)),
                &json!({ "passwordCredential": { "displayName": display_name } }),
            )
            .await?;
        let secret = answer["secretText"]
            .as_str()
            .ok_or_else(|| TenantError::Protocol {
                url: "addPassword".into(),
                detail: "no secretText in the answer".into(),
            })?;
        Ok((text(&answer, "keyId"), Secret::new(secret)))
    }

    /// Creates a directory extension property on an application (single-valued).
    pub async fn create_extension_property(
        &self,
        application_object_id: &str,
        name: &str,
        data_type: &str,
        target_objects: &[&str],
    ) -> Result<Value, TenantError> {
        self.create_extension_property_of(
            application_object_id,
            name,
            data_type,
            false,
            target_objects,
        )
        .await
    }

    /// Creates a directory extension property on an application, holding one value or a
    /// collection of them.
    pub async fn create_extension_property_of(
        &self,
        application_object_id: &str,
        name: &str,
        data_type: &str,
        multi_valued: bool,
        target_objects: &[&str],
    ) -> Result<Value, TenantError> {
        let mut body =
            json!({ "name": name, "dataType": data_type, "targetObjects": target_objects });
        if multi_valued {
            body["isMultiValued"] = json!(true);
        }
        self.post(
            &format!(
                "applications/{}/extensionProperties",
                encode(application_object_id)
            ),
            &body,
        )
        .await
    }

    /// The directory extension properties of an application.
    pub async fn extension_properties(
        &self,
        application_object_id: &str,
    ) -> Result<Vec<Value>, TenantError> {
        self.collect(&format!(
            "applications/{}/extensionProperties",
            encode(application_object_id)
        ))
        .await
    }

    /// Creates many users through `$batch` (20 per call); one answer per user, in order.
    pub async fn create_users_batched(
        &self,
        users: &[Value],
    ) -> Result<Vec<Result<Value, TenantError>>, TenantError> {
        for u in users {
            refuse_keys(u, USER_READ_ONLY, "user")?;
            require_keys(u, USER_REQUIRED, "user")?;
        }
        let items = users
            .iter()
            .enumerate()
            .map(|(i, u)| BatchItem {
                id: (i + 1).to_string(),
                method: Method::POST,
                url: "/users".into(),
                body: Some(u.clone()),
                depends_on: Vec::new(),
            })
            .collect();
        Ok(self
            .batch(items)
            .await?
            .into_iter()
            .map(|a| match a.error("POST", "/users") {
                Some(e) => Err(e),
                None => Ok(a.body),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_and_missing_properties_are_caught_before_sending() {
        let user = json!({"accountEnabled": true, "displayName": "A", "mailNickname": "a",
            "userPrincipalName": "a@contoso.com", "passwordProfile": {"password": "x"},
            "onPremisesSyncEnabled": true});
        let e = refuse_keys(&user, USER_READ_ONLY, "user")
            .unwrap_err()
            .to_string();
        assert!(e.contains("onPremisesSyncEnabled"), "{e}");
        let e = require_keys(&json!({"displayName": "A"}), USER_REQUIRED, "user")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("accountEnabled") && e.contains("mailNickname"),
            "{e}"
        );
    }

    #[test]
    fn odata_literals_and_path_segments_are_escaped() {
        assert_eq!(odata_string("O'Brien"), "'O''Brien'");
        assert_eq!(encode("a b/c?d"), "a%20b%2Fc%3Fd");
        assert!(check_immutable_id("abc_def").is_err());
        assert!(check_immutable_id("AbC+/=").is_ok());
    }
}
