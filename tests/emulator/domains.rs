//! Domains: the domains rules fixture (add, DNS TXT verification, updates of verified domains
//! only, federation, users on the domain afterwards).

use serde_json::json;

use crate::fixtures::{fixture, rules, send, strings};
use crate::harness::{Env, USER_PASSWORD, code};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn domains_rules_verification_flow() {
    let env = Env::new(|_| {}).await;
    let r = rules("domains-rules");
    let values = strings(&r["authenticationType"]["values"]);
    let added = env
        .graph("POST", "/v1.0/domains", Some(json!({"id": "Example.ORG"})))
        .await;
    assert_eq!(
        (added.status, added.body["isVerified"].as_bool()),
        (201, Some(false))
    );
    assert!(
        values.contains(
            &added.body["authenticationType"]
                .as_str()
                .unwrap()
                .to_owned()
        )
    );
    assert_eq!(
        env.graph("POST", "/v1.0/domains", Some(json!({"id": "example.org"})))
            .await
            .status,
        400,
        "already there"
    );
    assert_eq!(
        env.graph("POST", "/v1.0/domains", Some(json!({"id": "not a domain"})))
            .await
            .status,
        400
    );
    // Only verified domains can be updated; verify fails until the TXT record is published.
    let patch = json!({"supportedServices": ["Email"]});
    assert_eq!(
        env.graph("PATCH", "/v1.0/domains/example.org", Some(patch.clone()))
            .await
            .status,
        400
    );
    let refused = env
        .graph("POST", "/v1.0/domains/example.org/verify", None)
        .await;
    assert_eq!(
        (refused.status, code(&refused)),
        (400, "Request_BadRequest")
    );
    let records = env
        .graph(
            "GET",
            "/v1.0/domains/example.org/verificationDnsRecords",
            None,
        )
        .await;
    let txt = records.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["recordType"] == "Txt")
        .unwrap()["text"]
        .as_str()
        .unwrap()
        .to_owned();
    env.raw(
        "POST",
        "/_emulator/dns",
        &[("Content-Type", "application/json")],
        Some(
            json!({"domain": "example.org", "txt": "MS=ms00000000-wrong"})
                .to_string()
                .into_bytes(),
        ),
        None,
    )
    .await;
    assert_eq!(
        env.graph("POST", "/v1.0/domains/example.org/verify", None)
            .await
            .status,
        400
    );
    env.raw(
        "POST",
        "/_emulator/dns",
        &[("Content-Type", "application/json")],
        Some(
            json!({"domain": "example.org", "txt": txt})
                .to_string()
                .into_bytes(),
        ),
        None,
    )
    .await;
    let verified = env
        .graph("POST", "/v1.0/domains/example.org/verify", None)
        .await;
    assert_eq!(
        (verified.status, verified.body["isVerified"].as_bool()),
        (200, Some(true))
    );
    assert_eq!(verified.body["availabilityStatus"], "AvailableImmediately");
    assert!(
        env.graph("GET", "/v1.0/domains/example.org", None)
            .await
            .body["availabilityStatus"]
            .is_null()
    );
    assert_eq!(
        env.graph("PATCH", "/v1.0/domains/example.org", Some(patch))
            .await
            .status,
        204
    );
    assert_eq!(
        env.graph(
            "PATCH",
            "/v1.0/domains/example.org",
            Some(json!({"isInitial": true}))
        )
        .await
        .status,
        400
    );
    // Federation: none yet -> 404; after create the domain is Federated; at most one.
    assert_eq!(
        env.graph(
            "GET",
            "/v1.0/domains/example.org/federationConfiguration",
            None
        )
        .await
        .status,
        404
    );
    let fed = fixture("domains-federationconfiguration-create");
    let created = send(&env, &fed, &[("contoso.com", "example.org")]).await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        env.graph("GET", "/v1.0/domains/example.org", None)
            .await
            .body["authenticationType"],
        "Federated"
    );
    assert_eq!(
        send(&env, &fed, &[("contoso.com", "example.org")])
            .await
            .status,
        400
    );
    let initial = env.domain();
    assert_eq!(
        send(&env, &fed, &[("contoso.com", &initial)]).await.status,
        400,
        "the initial domain cannot be federated"
    );
    // Users may now use the domain (verified), with an immutable id (federated).
    let body = json!({"accountEnabled": true, "displayName": "D", "mailNickname": "d", "userPrincipalName": "d@example.org",
        "onPremisesImmutableId": "ZGQ=", "passwordProfile": {"password": USER_PASSWORD}});
    assert_eq!(
        env.graph("POST", "/v1.0/users", Some(body)).await.status,
        201
    );
}
