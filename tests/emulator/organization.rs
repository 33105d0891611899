//! The organization (verified domains, the sync flag: the organization rules fixture) and its
//! contacts, which Graph cannot create or change (the orgcontacts rules fixture).

use std::collections::BTreeSet;

use serde_json::json;

use crate::fixtures::{rules, shape};
use crate::harness::Env;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orgcontacts_cannot_be_created_or_changed() {
    let env = Env::new(|_| {}).await;
    let r = rules("orgcontacts-rules");
    assert_eq!(r["create_supported_v1"], false);
    let resp = env
        .graph(
            "POST",
            "/v1.0/contacts",
            Some(json!({"displayName": "Nope"})),
        )
        .await;
    assert!(resp.status >= 400 && resp.status < 500, "{}", resp.status);
    assert!(resp.body["error"]["code"].is_string());
    let seeded = env
        .raw(
            "POST",
            "/_emulator/contacts",
            &[("Content-Type", "application/json")],
            Some(
                json!({"displayName": "Seeded", "mail": "s@example.com"})
                    .to_string()
                    .into_bytes(),
            ),
            None,
        )
        .await;
    let id = seeded.body["id"].as_str().unwrap();
    assert!(
        env.graph(
            "PATCH",
            &format!("/v1.0/contacts/{id}"),
            Some(json!({"displayName": "x"}))
        )
        .await
        .status
            >= 400
    );
    assert!(
        env.graph("DELETE", &format!("/v1.0/contacts/{id}"), None)
            .await
            .status
            >= 400
    );
    assert_eq!(
        env.graph("GET", &format!("/v1.0/contacts/{id}"), None)
            .await
            .body["displayName"],
        "Seeded"
    );
    let list = env.graph("GET", "/v1.0/contacts", None).await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organization_rules_verified_domains_and_sync_flag() {
    let env = Env::new(|c| c.domains = vec!["fabrikam.com".to_owned()]).await;
    let r = rules("organization-rules");
    let org = env.graph("GET", "/v1.0/organization", None).await;
    let value = org.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 1);
    let org = &value[0];
    assert_eq!(org["id"], env.tenant.as_str());
    assert!(org.get("onPremisesSyncEnabled").unwrap().is_null());
    let mut errs = Vec::new();
    shape(
        &json!([r["verifiedDomains"]["item_json_representation"]]),
        &org["verifiedDomains"],
        "verifiedDomains",
        &mut errs,
    );
    assert!(errs.is_empty(), "{errs:?}");
    let names: BTreeSet<&str> = org["verifiedDomains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["contoso.onmicrosoft.com", "fabrikam.com"])
    );
    let initial = org["verifiedDomains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["isInitial"] == true)
        .unwrap();
    assert_eq!(
        (initial["type"].as_str(), initial["isDefault"].as_bool()),
        (Some("Managed"), Some(true))
    );
    let path = format!("/v1.0/organization/{}", env.tenant);
    assert_eq!(
        env.graph("PATCH", &path, Some(json!({"onPremisesSyncEnabled": true})))
            .await
            .status,
        204
    );
    assert_eq!(
        env.graph("GET", &path, None).await.body["onPremisesSyncEnabled"],
        true
    );
    assert_eq!(
        env.graph("PATCH", &path, Some(json!({"displayName": "Renamed"})))
            .await
            .status,
        400
    );
    assert_eq!(
        env.graph(
            "PATCH",
            "/v1.0/organization/00000000-0000-0000-0000-000000000000",
            Some(json!({"technicalNotificationMails": []}))
        )
        .await
        .status,
        404
    );
}
