//! `$batch`: the batch rules fixture (the request limit, `dependsOn` and 424, malformed and
//! nested batches, absolute URLs).

use serde_json::json;

use crate::fixtures::rules;
use crate::harness::Env;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_rules_are_enforced() {
    let env = Env::new(|_| {}).await;
    let r = rules("batch-rules");
    let max = r["max_requests_per_batch"].as_u64().unwrap() as usize;
    let requests = |n: usize| json!({"requests": (1..=n).map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/organization"})).collect::<Vec<_>>()});
    let resp = env
        .graph("POST", "/v1.0/$batch", Some(requests(max + 1)))
        .await;
    assert_eq!(resp.status, 400, "{}", resp.body);
    assert!(resp.body["error"]["code"].is_string());
    let resp = env.graph("POST", "/v1.0/$batch", Some(requests(max))).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body["responses"].as_array().unwrap().len(), max);

    // dependsOn: a failed request fails its dependents with 424; the outer status stays 200.
    let body = json!({"requests": [
        {"id": "1", "method": "GET", "url": "/users/00000000-0000-0000-0000-000000000000"},
        {"id": "2", "dependsOn": ["1"], "method": "GET", "url": "/organization"},
        {"id": "3", "method": "POST", "url": "/groups", "headers": {"Content-Type": "application/json"},
         "body": {"displayName": "B", "mailEnabled": false, "mailNickname": "batchgroup", "securityEnabled": true}},
        {"id": "4", "dependsOn": ["3"], "method": "GET", "url": "groups?$filter=mailNickname eq 'batchgroup'"},
    ]});
    let resp = env.graph("POST", "/v1.0/$batch", Some(body)).await;
    assert_eq!(resp.status, 200);
    let status = |id: &str| {
        resp.body["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()["status"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        (status("1"), status("2"), status("3"), status("4")),
        (404, 424, 201, 200)
    );
    let four = resp.body["responses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "4")
        .unwrap()
        .clone();
    assert_eq!(four["body"]["value"].as_array().unwrap().len(), 1);

    // Malformed batches: duplicate ids, unknown dependency, body without Content-Type, nesting.
    for bad in [
        json!({"requests": [{"id": "1", "method": "GET", "url": "/me"}, {"id": "1", "method": "GET", "url": "/me"}]}),
        json!({"requests": [{"id": "1", "method": "GET", "url": "/me", "dependsOn": ["9"]}]}),
        json!({"requests": [{"id": "1", "method": "PATCH", "url": "/me", "body": {"city": "x"}}]}),
        json!({"requests": []}),
        json!({"nope": 1}),
    ] {
        assert_eq!(
            env.graph("POST", "/v1.0/$batch", Some(bad.clone()))
                .await
                .status,
            400,
            "{bad}"
        );
    }
    let nested = env
        .graph(
            "POST",
            "/v1.0/$batch",
            Some(json!({"requests": [{"id": "1", "method": "POST", "url": "/$batch"}]})),
        )
        .await;
    assert_eq!(nested.body["responses"][0]["status"], 400);
    let absolute = env.graph("POST", "/v1.0/$batch", Some(json!({"requests": [{"id": "1", "method": "GET", "url": "https://graph.microsoft.com/v1.0/me"}]}))).await;
    assert_eq!(absolute.body["responses"][0]["status"], 400);
}
