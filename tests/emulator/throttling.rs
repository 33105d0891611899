//! What a client's retries face: the write budget answered with 429 and Retry-After (on its own
//! and inside a batch, until the clock passes the window), and injected faults (503, 504, a
//! dropped connection) at the configured share, the same for the same seed.

use std::time::Duration;

use serde_json::json;

use crate::fixtures::rules;
use crate::harness::{Env, code};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_rules_spend_the_write_budget_then_answer_429_with_retry_after() {
    let env = Env::new(|c| {
        c.write_budget = 3;
        c.budget_window = Duration::from_secs(10);
    })
    .await;
    let r = rules("throttling-rules");
    assert!(
        r["status_and_header"]
            .as_str()
            .unwrap()
            .contains("Retry-After")
    );
    for i in 0..3 {
        env.create_user(&format!("w{i}"), "Writer").await;
    }
    let resp = env
        .graph(
            "PATCH",
            &format!("/v1.0/users/{}", env.admin()),
            Some(json!({"city": "Bergen"})),
        )
        .await;
    assert_eq!(
        (resp.status, code(&resp)),
        (429, "TooManyRequests"),
        "{}",
        resp.body
    );
    let retry: f64 = resp.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        resp.headers["x-ms-throttle-information"],
        "WriteLimitExceeded"
    );
    assert!(retry > 0.0 && retry <= 10.0, "{retry}");
    // Reads are not writes.
    assert_eq!(env.graph("GET", "/v1.0/users", None).await.status, 200);
    // Inside a batch each item is throttled on its own, and the batch itself answers 200.
    let batch = json!({"requests": [
        {"id": "a", "method": "GET", "url": "/organization"},
        {"id": "b", "method": "PATCH", "url": "/me", "headers": {"Content-Type": "application/json"}, "body": {"city": "Oslo"}},
    ]});
    let resp = env.graph("POST", "/v1.0/$batch", Some(batch.clone())).await;
    assert_eq!(resp.status, 200);
    let items = resp.body["responses"].as_array().unwrap();
    let b = items.iter().find(|i| i["id"] == "b").unwrap();
    assert_eq!(b["status"], 429);
    assert!(b["headers"]["Retry-After"].is_string(), "{b}");
    assert_eq!(
        items.iter().find(|i| i["id"] == "a").unwrap()["status"],
        200
    );
    // When the window has passed (no sleeping: the clock is moved), writes work again.
    env.clock.advance(Duration::from_secs(10));
    let resp = env.graph("POST", "/v1.0/$batch", Some(batch)).await;
    assert_eq!(
        resp.body["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == "b")
            .unwrap()["status"],
        204
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_injection_fails_about_the_configured_share_reproducibly() {
    let run = |seed: u64| async move {
        let env = Env::new(|c| {
            c.fault_rate = 0.3;
            c.seed = seed;
        })
        .await;
        let mut outcomes = Vec::new();
        for _ in 0..300 {
            let sent = env
                .http
                .get(format!("{}/v1.0/organization", env.base))
                .bearer_auth(&env.token)
                .send()
                .await;
            let outcome = match sent {
                Err(_) => 0,
                Ok(r) => {
                    let status = r.status().as_u16();
                    match r.bytes().await {
                        Ok(_) => status,
                        Err(_) => 0,
                    }
                }
            };
            outcomes.push(outcome);
        }
        outcomes
    };
    let first = run(42).await;
    let failed = first.iter().filter(|s| **s != 200).count();
    assert!((50..=130).contains(&failed), "{failed} of 300 failed");
    for kind in [503, 504, 0] {
        assert!(first.contains(&kind), "no {kind} among {first:?}");
    }
    assert!(first.iter().all(|s| [200, 503, 504, 0].contains(s)));
    assert_eq!(first, run(42).await, "the same seed gives the same faults");
}
