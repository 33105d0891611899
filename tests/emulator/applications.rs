//! Applications: extension properties (the extensionproperties rules fixture: names, data
//! types, values on users and groups), and application permissions granted by app role
//! assignments and enforced on application tokens.

use serde_json::{Value, json};

use crate::fixtures::{rules, strings};
use crate::harness::Env;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extension_properties_rules() {
    let env = Env::new(|_| {}).await;
    let r = rules("extensionproperties-rules");
    let app = env
        .graph(
            "POST",
            "/v1.0/applications",
            Some(json!({"displayName": "Skybridge sync"})),
        )
        .await;
    let (object, app_id) = (
        app.body["id"].as_str().unwrap().to_owned(),
        app.body["appId"].as_str().unwrap().to_owned(),
    );
    assert_ne!(object, app_id);
    let path = format!("/v1.0/applications/{object}/extensionProperties");
    let ext = env
        .graph(
            "POST",
            &path,
            Some(
                json!({"name": "employeeNumber", "dataType": "string", "targetObjects": ["user"]}),
            ),
        )
        .await;
    assert_eq!(ext.status, 201, "{}", ext.body);
    let name = format!("extension_{}_employeeNumber", app_id.replace('-', ""));
    assert_eq!(ext.body["name"], name.as_str());
    assert!(
        strings(&json!(
            r["dataType_values"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>()
        ))
        .contains(&ext.body["dataType"].as_str().unwrap().to_owned())
    );
    assert_eq!(ext.body["targetObjects"], json!(["User"]));
    for bad in [
        json!({"name": "x", "dataType": "Float", "targetObjects": ["User"]}),
        json!({"name": "x", "dataType": "String", "targetObjects": ["Printer"]}),
        json!({"name": "", "dataType": "String", "targetObjects": ["User"]}),
        json!({"name": "employeeNumber", "dataType": "String", "targetObjects": ["User"]}),
    ] {
        assert_eq!(
            env.graph("POST", &path, Some(bad.clone())).await.status,
            400,
            "{bad}"
        );
    }
    // The value is written as a top-level property and read back only with $select.
    let user = env.create_user("ext", "Ext User").await;
    assert_eq!(
        env.graph(
            "PATCH",
            &format!("/v1.0/users/{user}"),
            Some(json!({ name.clone(): "E-1001" }))
        )
        .await
        .status,
        204
    );
    assert!(
        env.graph("GET", &format!("/v1.0/users/{user}"), None)
            .await
            .body
            .get(&name)
            .is_none()
    );
    assert_eq!(
        env.graph("GET", &format!("/v1.0/users/{user}?$select={name}"), None)
            .await
            .body[&name],
        "E-1001"
    );
    assert_eq!(
        env.graph(
            "PATCH",
            &format!("/v1.0/users/{user}"),
            Some(json!({"extension_0000_unknown": "x"}))
        )
        .await
        .status,
        400
    );
    // Values must fit the documented data type: strings up to 256 characters, 32-bit integers,
    // collections for multi-valued properties; null clears. Groups take them too.
    let patch = |body: serde_json::Value| {
        let env = &env;
        let user = user.clone();
        async move {
            env.graph("PATCH", &format!("/v1.0/users/{user}"), Some(body))
                .await
                .status
        }
    };
    assert_eq!(patch(json!({ name.clone(): "x".repeat(257) })).await, 400);
    assert_eq!(patch(json!({ name.clone(): 7 })).await, 400);
    assert_eq!(patch(json!({ name.clone(): null })).await, 204);
    let declare = |body: serde_json::Value| {
        let env = &env;
        let path = path.clone();
        async move { env.graph("POST", &path, Some(body)).await }
    };
    let count =
        declare(json!({"name": "badPwdCount", "dataType": "Integer", "targetObjects": ["User"]}))
            .await;
    assert_eq!(count.status, 201, "{}", count.body);
    let count = count.body["name"].as_str().unwrap().to_owned();
    assert_eq!(patch(json!({ count.clone(): 3 })).await, 204);
    assert_eq!(patch(json!({ count.clone(): 4_294_967_296i64 })).await, 400);
    assert_eq!(patch(json!({ count.clone(): "3" })).await, 400);
    let phones = declare(json!({"name": "otherMobile", "dataType": "String", "isMultiValued": true, "targetObjects": ["User", "Group"]})).await;
    assert_eq!(phones.status, 201, "{}", phones.body);
    assert_eq!(phones.body["isMultiValued"], true);
    let phones = phones.body["name"].as_str().unwrap().to_owned();
    assert_eq!(patch(json!({ phones.clone(): ["1", "2"] })).await, 204);
    assert_eq!(patch(json!({ phones.clone(): "1" })).await, 400);
    let group = env
        .graph(
            "POST",
            "/v1.0/groups",
            Some(
                json!({"displayName": "Ext", "mailNickname": "ext", "mailEnabled": false,
                "securityEnabled": true, phones.clone(): ["3"]}),
            ),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.body);
    // A user-only property is refused on a group.
    let group_id = group.body["id"].as_str().unwrap();
    assert_eq!(
        env.graph(
            "PATCH",
            &format!("/v1.0/groups/{group_id}"),
            Some(json!({ count.clone(): 1 }))
        )
        .await
        .status,
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_permissions_are_granted_by_app_role_assignments_and_enforced() {
    let env = Env::new(|_| {}).await;
    // An application registered through Graph, with a secret and a service principal.
    let app = env
        .graph(
            "POST",
            "/v1.0/applications",
            Some(json!({"displayName": "Permissions test"})),
        )
        .await;
    let (object, app_id) = (
        app.body["id"].as_str().unwrap().to_owned(),
        app.body["appId"].as_str().unwrap().to_owned(),
    );
    let sp = env
        .graph(
            "POST",
            "/v1.0/servicePrincipals",
            Some(json!({ "appId": app_id })),
        )
        .await;
    let sp_id = sp.body["id"].as_str().unwrap().to_owned();
    let secret = env
        .graph(
            "POST",
            &format!("/v1.0/applications/{object}/addPassword"),
            Some(json!({"passwordCredential": {"displayName": "t"}})),
        )
        .await;
    let secret = secret.body["secretText"].as_str().unwrap().to_owned();
    let token = || async {
        let (status, body) = env.client_credentials(&app_id, &secret).await;
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    };
    let as_app = |method: &'static str, path: &'static str, token: String, body: Option<Value>| {
        let env = &env;
        async move {
            let mut headers = Vec::new();
            if body.is_some() {
                headers.push(("Content-Type", "application/json"));
            }
            env.raw(
                method,
                path,
                &headers,
                body.map(|b| b.to_string().into_bytes()),
                Some(&token),
            )
            .await
        }
    };
    // No permission yet: refused as the tenant refuses it.
    let before = token().await;
    let denied = as_app("GET", "/v1.0/users", before.clone(), None).await;
    assert_eq!(denied.status, 403);
    assert_eq!(denied.body["error"]["code"], "Authorization_RequestDenied");

    // Microsoft Graph's service principal is in the tenant with its application permissions.
    let graph = env
        .graph(
            "GET",
            "/v1.0/servicePrincipals?$filter=appId eq '00000003-0000-0000-c000-000000000000'",
            None,
        )
        .await;
    let graph = &graph.body["value"][0];
    let graph_id = graph["id"].as_str().unwrap().to_owned();
    let role = |value: &str| {
        graph["appRoles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["value"] == value)
            .and_then(|r| r["id"].as_str())
            .unwrap()
            .to_owned()
    };
    let read_users = role("User.Read.All");
    let path = format!("/v1.0/servicePrincipals/{graph_id}/appRoleAssignedTo");
    let grant = |role_id: String| {
        let env = &env;
        let path = path.clone();
        let body = json!({"principalId": sp_id, "resourceId": graph_id, "appRoleId": role_id});
        async move { env.graph("POST", &path, Some(body)).await }
    };
    let granted = grant(read_users.clone()).await;
    assert_eq!(granted.status, 201, "{}", granted.body);
    assert_eq!(granted.body["principalType"], "ServicePrincipal");
    assert_eq!(granted.body["resourceDisplayName"], "Microsoft Graph");
    assert_eq!(grant(read_users.clone()).await.status, 400, "granted twice");
    assert_eq!(
        grant("00000000-0000-0000-0000-000000000000".into())
            .await
            .status,
        400,
        "not a role of Microsoft Graph"
    );
    let listed = env
        .graph(
            "GET",
            &format!("/v1.0/servicePrincipals/{sp_id}/appRoleAssignments"),
            None,
        )
        .await;
    assert_eq!(listed.body["value"].as_array().unwrap().len(), 1);

    // A token holds the roles granted when it was issued: the old one is still refused; a
    // new one may read users, not change them.
    assert_eq!(as_app("GET", "/v1.0/users", before, None).await.status, 403);
    let after = token().await;
    assert_eq!(
        as_app("GET", "/v1.0/users", after.clone(), None)
            .await
            .status,
        200
    );
    let create = json!({"accountEnabled": true, "displayName": "X", "mailNickname": "x",
        "userPrincipalName": format!("x@{}", env.domain()),
        "passwordProfile": {"password": "Long-Passw0rd-2", "forceChangePasswordNextSignIn": false}});
    let refused = as_app("POST", "/v1.0/users", after, Some(create)).await;
    assert_eq!(refused.status, 403);

    // Setting another user's password needs User.ReadWrite.All and a directory role that may
    // reset passwords (at least User Administrator), as Graph documents for app-only calls.
    assert_eq!(grant(role("User.ReadWrite.All")).await.status, 201);
    let writer = token().await;
    let user = env.create_user("pwreset", "Password Reset").await;
    let path: &'static str = Box::leak(format!("/v1.0/users/{user}").into_boxed_str());
    let reset = json!({"passwordProfile": {"password": "Brand-New-Pass-42", "forceChangePasswordNextSignIn": false}});
    let denied = as_app("PATCH", path, writer.clone(), Some(reset.clone())).await;
    assert_eq!(denied.status, 403, "{}", denied.body);
    assert_eq!(denied.body["error"]["code"], "Authorization_RequestDenied");
    let assign = |role_id: &str| {
        let env = &env;
        let body =
            json!({"principalId": sp_id, "roleDefinitionId": role_id, "directoryScopeId": "/"});
        async move {
            env.graph(
                "POST",
                "/v1.0/roleManagement/directory/roleAssignments",
                Some(body),
            )
            .await
        }
    };
    let unknown = assign("00000000-0000-0000-0000-000000000000").await;
    assert_eq!(unknown.status, 400, "{}", unknown.body);
    let user_admin = assign("fe930be7-5e62-47db-91af-98c3a49a38b1").await;
    assert_eq!(user_admin.status, 201, "{}", user_admin.body);
    assert_eq!(user_admin.body["directoryScopeId"], "/");
    assert_eq!(
        assign("fe930be7-5e62-47db-91af-98c3a49a38b1").await.status,
        400,
        "assigned twice"
    );
    let listed = env
        .graph(
            "GET",
            &format!(
                "/v1.0/roleManagement/directory/roleAssignments?$filter=principalId eq '{sp_id}'"
            ),
            None,
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let allowed = as_app("PATCH", path, writer, Some(reset)).await;
    assert_eq!(allowed.status, 204, "{}", allowed.body);
}
