//! The tenant benchmark (`scripts/bench-tenant`): (a) a bare HTTP client creating 10,000 users
//! in the emulator with `$batch`, (b) Skybridge's Graph client doing the same; prints (b)/(a)
//! and the emulator's throughput. Then, against an emulator throttled to 700 writes per 30 s
//! (the documented 7,000 per 5 minutes, scaled down), Skybridge's paced client writes for three
//! windows: prints the 429s it met (target 0) and how much of the budget it used (target ≥ 95%).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use skybridge::clock::{Clock, SystemClock};
use skybridge::emulator::RunningEmulator;
use skybridge::secret::Secret;
use skybridge::tenant::SignIn;
use skybridge::tenant::graph::{GraphClient, WriteLimiter};

const USERS: usize = 10_000;

mod common;

// The allocator the skybridge binary uses (src/main.rs), so the figures are the product's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use common::{SECRET, emulator, remove_scratch};

fn user(i: usize, run: &str) -> Value {
    json!({
        "accountEnabled": true,
        "displayName": format!("Bench User {i}"),
        "mailNickname": format!("bench{run}{i}"),
        "userPrincipalName": format!("bench{run}{i}@contoso.onmicrosoft.com"),
        "onPremisesImmutableId": format!("{run}{i:08}"),
        "passwordProfile": {"password": "Bench-Pw-1234!", "forceChangePasswordNextSignIn": false}
    })
}

async fn client(e: &RunningEmulator, limiter: Option<Arc<WriteLimiter>>) -> GraphClient {
    let graph = e
        .tenant_endpoint()
        .connect(&SignIn::ClientSecret(Secret::new(SECRET)))
        .await
        .expect("sign-in");
    match limiter {
        Some(l) => graph.with_limiter(l),
        None => graph,
    }
}

async fn bare_run(e: &RunningEmulator) -> Duration {
    let http = skybridge::tenant::graph::http_client(None, Duration::from_secs(60)).expect("http");
    let token: Value = http
        .post(format!("{}/{}/oauth2/v2.0/token", e.base_url(), e.credentials.tenant_id))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "client_id={}&client_secret={SECRET}&grant_type=client_credentials&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default",
            e.credentials.client_id
        ))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token JSON");
    let bearer = token["access_token"]
        .as_str()
        .expect("access token")
        .to_string();
    let started = Instant::now();
    for chunk in (0..USERS).collect::<Vec<_>>().chunks(20) {
        let requests: Vec<Value> = chunk
            .iter()
            .map(|i| {
                json!({"id": i.to_string(), "method": "POST", "url": "/users",
                "headers": {"Content-Type": "application/json"}, "body": user(*i, "a")})
            })
            .collect();
        let answer: Value = http
            .post(format!("{}/v1.0/$batch", e.base_url()))
            .bearer_auth(&bearer)
            .json(&json!({ "requests": requests }))
            .send()
            .await
            .expect("batch")
            .json()
            .await
            .expect("batch JSON");
        let ok = answer["responses"]
            .as_array()
            .map_or(0, |r| r.iter().filter(|x| x["status"] == 201).count());
        assert_eq!(ok, chunk.len(), "bare client: {answer}");
    }
    started.elapsed()
}

async fn log_429s(e: &RunningEmulator) -> usize {
    let http = skybridge::tenant::graph::http_client(None, Duration::from_secs(60)).expect("http");
    let log: Vec<Value> = http
        .get(format!("{}/_emulator/requests", e.base_url()))
        .send()
        .await
        .expect("log")
        .json()
        .await
        .expect("log JSON");
    log.iter().filter(|x| x["status"] == 429).count()
}

#[tokio::main]
async fn main() {
    let unthrottled = 100_000_000;
    let a = emulator(unthrottled, Duration::from_secs(300)).await;
    let raw = bare_run(&a).await;
    let b = emulator(unthrottled, Duration::from_secs(300)).await;
    let graph = client(&b, None).await;
    let users: Vec<Value> = (0..USERS).map(|i| user(i, "b")).collect();
    let started = Instant::now();
    let results = graph
        .create_users_batched(&users)
        .await
        .expect("batched creates");
    let ours = started.elapsed();
    let failed = results.iter().filter(|r| r.is_err()).count();
    assert_eq!(failed, 0, "every create succeeded");
    println!("users created per run:             {USERS}");
    println!(
        "(a) bare HTTP client with $batch:  {:.2} s",
        raw.as_secs_f64()
    );
    println!(
        "(b) skybridge Graph client:        {:.2} s",
        ours.as_secs_f64()
    );
    println!(
        "    ratio (b)/(a):                 {:.2}   (target <= 1.2)",
        ours.as_secs_f64() / raw.as_secs_f64()
    );
    println!(
        "    emulator throughput:           {:.0} creates/s   (target >= 1,000)",
        USERS as f64 / raw.as_secs_f64()
    );

    // Throttled: 700 writes per 30 s; three windows' worth of writes.
    let budget = 700;
    let window = Duration::from_secs(30);
    let t = emulator(budget, window).await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::default());
    let limiter = Arc::new(WriteLimiter::new(budget as usize, window, clock));
    let graph = client(&t, Some(limiter)).await;
    let writes = 3 * budget as usize;
    let users: Vec<Value> = (0..writes).map(|i| user(i, "t")).collect();
    let started = Instant::now();
    let results = graph
        .create_users_batched(&users)
        .await
        .expect("throttled creates");
    let elapsed = started.elapsed();
    let done = results.iter().filter(|r| r.is_ok()).count();
    let windows = (elapsed.as_secs_f64() / window.as_secs_f64()).floor() + 1.0;
    let used = done as f64 / (f64::from(budget) * windows);
    println!(
        "throttled tenant (700 writes / 30 s): {done} writes in {:.1} s",
        elapsed.as_secs_f64()
    );
    println!(
        "    429 answers met:               {}   (target 0)",
        log_429s(&t).await
    );
    println!(
        "    budget used:                   {:.1} %   (target >= 95 %)",
        used * 100.0
    );
    remove_scratch();
}
