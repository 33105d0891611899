//! Users: the users rules fixture (read-only, required and default properties, immutable ids,
//! verified UPN domains), and users of a federated domain (an immutable id required, no password
//! sign-in, unique immutable ids and UPNs, weak passwords refused).

use std::collections::BTreeSet;

use serde_json::json;

use crate::fixtures::{fixture, rules, send, strings};
use crate::harness::{Env, Resp, USER_PASSWORD, code};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_rules_are_enforced() {
    let env = Env::new(|c| c.domains = vec!["fabrikam.com".to_owned()]).await;
    let r = rules("users-rules");
    let user = env.create_user("rita", "Rita Rules").await;

    // Read-only properties are refused on update and on create.
    for prop in strings(&r["read_only"]) {
        let value = if prop.ends_with("Enabled") {
            json!(true)
        } else if prop.ends_with('s') {
            json!([])
        } else {
            json!("x")
        };
        let resp = env
            .graph(
                "PATCH",
                &format!("/v1.0/users/{user}"),
                Some(json!({ prop.clone(): value })),
            )
            .await;
        assert_eq!(
            (resp.status, code(&resp)),
            (400, "Request_BadRequest"),
            "PATCH {prop}: {}",
            resp.body
        );
    }
    let resp = env
        .graph("POST", "/v1.0/users", Some(json!({"accountEnabled": true, "displayName": "X", "mailNickname": "x", "userPrincipalName": format!("x@{}", env.domain()),
            "passwordProfile": {"password": USER_PASSWORD}, "onPremisesSyncEnabled": true})))
        .await;
    assert_eq!(resp.status, 400, "{}", resp.body);

    // Every required property is required.
    let full = json!({"accountEnabled": true, "displayName": "Req", "mailNickname": "req", "userPrincipalName": format!("req@{}", env.domain()),
        "passwordProfile": {"forceChangePasswordNextSignIn": true, "password": USER_PASSWORD}});
    for prop in strings(&r["required_on_create"]) {
        let mut body = full.clone();
        body.as_object_mut().unwrap().remove(&prop);
        let resp = env.graph("POST", "/v1.0/users", Some(body)).await;
        assert_eq!(
            (resp.status, code(&resp)),
            (400, "Request_BadRequest"),
            "without {prop}: {}",
            resp.body
        );
    }

    // Every writable property is accepted by PATCH (a sample of types).
    let resp = env.graph("PATCH", &format!("/v1.0/users/{user}"), Some(json!({"jobTitle": "Tester", "city": "Oslo", "otherMails": ["r@example.com"], "usageLocation": "NO"}))).await;
    assert_eq!(resp.status, 204, "{}", resp.body);

    // Without $select the default set; onPremisesImmutableId only on $select.
    let resp = env.graph("GET", &format!("/v1.0/users/{user}"), None).await;
    let keys: BTreeSet<String> = resp
        .body
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !k.starts_with('@'))
        .cloned()
        .collect();
    let defaults: BTreeSet<String> = strings(&r["default_properties_returned"])
        .into_iter()
        .collect();
    assert_eq!(keys, defaults);
    let resp = env
        .graph(
            "GET",
            &format!("/v1.0/users/{user}?$select=onPremisesImmutableId,onPremisesSyncEnabled"),
            None,
        )
        .await;
    assert!(
        resp.body.get("onPremisesImmutableId").is_some()
            && resp.body.get("onPremisesSyncEnabled").is_some(),
        "{}",
        resp.body
    );
    assert!(resp.body.get("displayName").is_none());
    let resp = env
        .graph(
            "GET",
            &format!("/v1.0/users/{user}?$select=noSuchProperty"),
            None,
        )
        .await;
    assert_eq!(resp.status, 400);

    // onPremisesImmutableId: no '$' or '_', unique, findable with $filter, updatable.
    for bad in ["abc$", "a_b"] {
        let resp = env
            .graph(
                "PATCH",
                &format!("/v1.0/users/{user}"),
                Some(json!({"onPremisesImmutableId": bad})),
            )
            .await;
        assert_eq!(resp.status, 400, "{bad}: {}", resp.body);
    }
    let resp = env
        .graph(
            "PATCH",
            &format!("/v1.0/users/{user}"),
            Some(json!({"onPremisesImmutableId": "QUJD+ZGVm/Zw=="})),
        )
        .await;
    assert_eq!(resp.status, 204, "{}", resp.body);
    let resp = env
        .graph(
            "GET",
            "/v1.0/users?$filter=onPremisesImmutableId%20eq%20'QUJD%2BZGVm%2FZw%3D%3D'",
            None,
        )
        .await;
    assert_eq!(
        resp.body["value"].as_array().map(Vec::len),
        Some(1),
        "{}",
        resp.body
    );
    assert_eq!(resp.body["value"][0]["id"], user.as_str());

    // The UPN's domain must be a verified domain of the tenant.
    let mut body = full.clone();
    body["userPrincipalName"] = json!("someone@fabrikam.com");
    body["mailNickname"] = json!("someone");
    assert_eq!(
        env.graph("POST", "/v1.0/users", Some(body.clone()))
            .await
            .status,
        201
    );
    let added = env
        .graph(
            "POST",
            "/v1.0/domains",
            Some(json!({"id": "unverified.example"})),
        )
        .await;
    assert_eq!(added.status, 201);
    for upn in ["x@unverified.example", "x@not-in-tenant.example"] {
        body["userPrincipalName"] = json!(upn);
        let resp = env.graph("POST", "/v1.0/users", Some(body.clone())).await;
        assert_eq!(
            (resp.status, code(&resp)),
            (400, "Request_BadRequest"),
            "{upn}: {}",
            resp.body
        );
        assert!(
            resp.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("verified")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn federated_domains_need_an_immutable_id_and_duplicates_are_refused() {
    let env = Env::new(|c| c.domains = vec!["contoso.com".to_owned()]).await;
    let fed = fixture("domains-federationconfiguration-create");
    let r = send(&env, &fed, &[]).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let domain = env.graph("GET", "/v1.0/domains/contoso.com", None).await;
    assert_eq!(domain.body["authenticationType"], "Federated");
    let user = |upn: &str, immutable: Option<&str>| {
        let mut body = json!({"accountEnabled": true, "displayName": "Fed", "mailNickname": upn.split('@').next().unwrap(), "userPrincipalName": upn,
            "passwordProfile": {"password": USER_PASSWORD}});
        if let Some(i) = immutable {
            body["onPremisesImmutableId"] = json!(i);
        }
        body
    };
    let r = env
        .graph("POST", "/v1.0/users", Some(user("fed@contoso.com", None)))
        .await;
    assert_bad_request(&r);
    let r = env
        .graph(
            "POST",
            "/v1.0/users",
            Some(user("fed@contoso.com", Some("AAAAAAAAAAAAAAAAAAAAAA=="))),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let fed_user = r.body["id"].as_str().unwrap().to_owned();
    // The password grant cannot sign a federated user in (their identity provider checks the
    // password), whatever the password.
    let (status, body) = env
        .ropc(
            "fed@contoso.com",
            USER_PASSWORD,
            "https://graph.microsoft.com/.default",
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .contains("federated"),
        "{body}"
    );
    // A federated user's password cannot be set through Graph.
    let r = env
        .graph(
            "PATCH",
            &format!("/v1.0/users/{fed_user}"),
            Some(json!({"passwordProfile": {"password": USER_PASSWORD}})),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    // The same immutable id on another user: a property conflict.
    let r = env
        .graph(
            "POST",
            "/v1.0/users",
            Some(user("fed2@contoso.com", Some("AAAAAAAAAAAAAAAAAAAAAA=="))),
        )
        .await;
    assert_bad_request(&r);
    assert_eq!(r.body["error"]["details"][0]["code"], "PropertyConflict");
    assert_eq!(
        r.body["error"]["details"][0]["target"],
        "onPremisesImmutableId"
    );
    // The same UPN (in any case): a property conflict.
    let r = env
        .graph(
            "POST",
            "/v1.0/users",
            Some(user("FED@contoso.com", Some("BBBBBBBBBBBBBBBBBBBBBB=="))),
        )
        .await;
    assert_bad_request(&r);
    assert_eq!(r.body["error"]["details"][0]["target"], "userPrincipalName");
    // Weak passwords are refused.
    let mut weak = user(&format!("weak@{}", env.domain()), None);
    weak["passwordProfile"]["password"] = json!("password");
    assert_eq!(
        env.graph("POST", "/v1.0/users", Some(weak)).await.status,
        400
    );
}

/// The answer is Graph's 400 `Request_BadRequest` (the body shown when it is not).
#[track_caller]
fn assert_bad_request(r: &Resp) {
    assert_eq!(
        (r.status, code(r)),
        (400, "Request_BadRequest"),
        "{}",
        r.body
    );
}
