//! The Microsoft Graph v1.0 client core: one place that signs requests, paces writes, retries
//! throttled and unavailable answers, follows paging links, and splits `$batch` requests.
//!
//! - 429, 503 and 504 are retried after `Retry-After` (seconds, fractions allowed, or an HTTP
//!   date) or, without it, after a jittered exponential back-off, up to a cap.
//! - A 401 for an expired token renews the token once and repeats the request.
//! - Writes pass the client-side [`WriteLimiter`] first, so the engine stays under the tenant's
//!   write budget instead of bouncing off it.
//! - `@odata.nextLink` is followed verbatim, and only when it points at the same Graph host: a
//!   link elsewhere would receive the bearer token.
//! - `$batch` holds at most 20 requests; items answered 429 are sent again after the longest
//!   `Retry-After` among them.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use url::Url;

use super::auth::{TokenSource, check_scheme, transport};
use super::error::TenantError;
use crate::clock::Clock;

/// The public Graph v1.0 endpoint.
pub const DEFAULT_GRAPH: &str = "https://graph.microsoft.com/v1.0/";
/// Requests per `$batch`, as Graph allows.
pub const MAX_BATCH: usize = 20;

/// How hard to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// First back-off when the server gives no `Retry-After`.
    pub base_delay: Duration,
    /// The longest single wait.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 8,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(120),
        }
    }
}

/// Paces writes to a budget of `budget` writes per `window` (default: Graph's 7,000 writes per
/// five minutes per tenant and application, less nothing: the default budget is the documented
/// one and administrators may lower it).
pub struct WriteLimiter {
    budget: usize,
    window: Duration,
    clock: Arc<dyn Clock>,
    sent: Mutex<VecDeque<Duration>>,
}

impl std::fmt::Debug for WriteLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteLimiter")
            .field("budget", &self.budget)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl WriteLimiter {
    /// Graph's default write budget.
    pub const DEFAULT_BUDGET: usize = 7_000;
    /// Its window.
    pub const DEFAULT_WINDOW: Duration = Duration::from_secs(300);

    /// A limiter for `budget` writes per `window`.
    pub fn new(budget: usize, window: Duration, clock: Arc<dyn Clock>) -> WriteLimiter {
        WriteLimiter {
            budget: budget.max(1),
            window,
            clock,
            sent: Mutex::new(VecDeque::new()),
        }
    }

    /// Waits until `n` more writes fit in the window, then counts them as sent.
    pub async fn acquire(&self, n: usize) {
        let n = n.clamp(1, self.budget);
        loop {
            let wait = {
                let mut sent = self.sent.lock().await;
                let now = self.clock.now();
                while sent
                    .front()
                    .is_some_and(|t| now.saturating_sub(*t) >= self.window)
                {
                    sent.pop_front();
                }
                if sent.len() + n <= self.budget {
                    sent.extend(std::iter::repeat_n(now, n));
                    return;
                }
                // The oldest writes that must leave the window before n fit.
                let index = sent.len() + n - self.budget - 1;
                let oldest = sent.get(index).copied().unwrap_or(now);
                (oldest + self.window).saturating_sub(now)
            };
            self.clock.sleep(wait.max(Duration::from_millis(1))).await;
        }
    }
}

/// One request of a `$batch`.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchItem {
    /// Correlation id, unique within the batch.
    pub id: String,
    /// HTTP method.
    pub method: Method,
    /// URL relative to the Graph version root (`/users`).
    pub url: String,
    /// JSON body, if any.
    pub body: Option<Value>,
    /// Ids this item waits for.
    pub depends_on: Vec<String>,
}

/// One answer of a `$batch`.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchAnswer {
    /// The request's id.
    pub id: String,
    /// Its status.
    pub status: u16,
    /// Its body (JSON, or null).
    pub body: Value,
}

impl BatchAnswer {
    /// The answer as a typed error, unless it succeeded.
    pub fn error(&self, method: &str, url: &str) -> Option<TenantError> {
        if self.status < 400 {
            return None;
        }
        Some(graph_error(self.status, &self.body, method, url))
    }
}

/// The Graph client.
pub struct GraphClient {
    http: reqwest::Client,
    base: Url,
    tokens: Arc<TokenSource>,
    clock: Arc<dyn Clock>,
    policy: RetryPolicy,
    limiter: Option<Arc<WriteLimiter>>,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("base", &self.base.as_str())
            .field("policy", &self.policy)
            .field("limiter", &self.limiter)
            .finish_non_exhaustive()
    }
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A Graph error from a status and body.
pub fn graph_error(status: u16, body: &Value, method: &str, url: &str) -> TenantError {
    let error = &body["error"];
    let inner = if error["innerError"].is_object() {
        &error["innerError"]
    } else {
        &error["innererror"]
    };
    TenantError::Graph(Box::new(super::error::GraphFailure {
        status,
        code: error["code"].as_str().unwrap_or("unknownError").to_string(),
        message: error["message"].as_str().unwrap_or("").to_string(),
        method: method.to_string(),
        path: url.split('?').next().unwrap_or(url).to_string(),
        request_id: inner["request-id"]
            .as_str()
            .or_else(|| inner["requestId"].as_str())
            .map(str::to_string),
    }))
}

/// The wait a response asks for: `Retry-After` in seconds (fractions allowed) or as a date.
pub fn retry_after(
    headers: &reqwest::header::HeaderMap,
    now: std::time::SystemTime,
) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, now)
}

/// A `Retry-After` value: seconds (fractions allowed) or an HTTP date.
pub fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let when = httpdate_parse(value)?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

fn httpdate_parse(value: &str) -> Option<std::time::SystemTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let parsed = time::PrimitiveDateTime::parse(value, &format).ok()?;
    let seconds = parsed.assume_utc().unix_timestamp();
    u64::try_from(seconds)
        .ok()
        .map(|s| std::time::UNIX_EPOCH + Duration::from_secs(s))
}

impl GraphClient {
    /// A client for the Graph root `base` (`https://graph.microsoft.com/v1.0/` or the emulator's).
    pub fn new(
        http: reqwest::Client,
        base: &str,
        tokens: Arc<TokenSource>,
        clock: Arc<dyn Clock>,
    ) -> Result<GraphClient, TenantError> {
        let mut base = Url::parse(base).map_err(|e| TenantError::InvalidUrl {
            input: base.to_string(),
            reason: e.to_string(),
        })?;
        check_scheme(&base).map_err(|reason| TenantError::InvalidUrl {
            input: base.to_string(),
            reason: reason.to_string(),
        })?;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Ok(GraphClient {
            http,
            base,
            tokens,
            clock,
            policy: RetryPolicy::default(),
            limiter: None,
        })
    }

    /// Changes the retry policy.
    pub fn with_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Paces writes with `limiter`.
    pub fn with_limiter(mut self, limiter: Arc<WriteLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// The Graph root this client talks to, ending in `/`.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// The token source (for the tenant id and keeping the refresh token).
    pub fn tokens(&self) -> &TokenSource {
        &self.tokens
    }

    /// A path relative to the version root (`users?$top=5`) or an absolute URL on the same host.
    fn resolve(&self, path: &str) -> Result<Url, TenantError> {
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            Url::parse(path).map_err(|e| TenantError::InvalidUrl {
                input: path.to_string(),
                reason: e.to_string(),
            })?
        } else {
            self.base
                .join(path.trim_start_matches('/'))
                .map_err(|e| TenantError::InvalidUrl {
                    input: path.to_string(),
                    reason: e.to_string(),
                })?
        };
        if url.origin() != self.base.origin() {
            return Err(TenantError::Protocol {
                url: self.base.to_string(),
                detail: format!(
                    "a link pointed at {}, another host; Skybridge does not send its token there",
                    url.host_str().unwrap_or("?")
                ),
            });
        }
        Ok(url)
    }

    /// Sends one request with retries; returns the status and the JSON body (null when empty).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<(u16, Value), TenantError> {
        let paced = is_write(&method);
        self.send_paced(method, path, body, headers, paced).await
    }

    async fn send_paced(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
        paced: bool,
    ) -> Result<(u16, Value), TenantError> {
        let url = self.resolve(path)?;
        if paced && let Some(limiter) = &self.limiter {
            limiter.acquire(1).await;
        }
        let mut renewed = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let token = self.tokens.access_token().await?;
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(token.expose());
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let outcome = request.send().await;
            let response = match outcome {
                Ok(r) => r,
                Err(e) => {
                    // A request that never got an answer is repeated only when repeating is
                    // harmless (reads), or when nothing was sent (connecting failed).
                    let retryable = !is_write(&method) || e.is_connect();
                    if retryable && attempt < self.policy.attempts {
                        self.clock.sleep(self.backoff(attempt)).await;
                        continue;
                    }
                    return Err(transport(&url, &e));
                }
            };
            let status = response.status();
            let wait = retry_after(response.headers(), self.clock.wall());
            let bytes = response.bytes().await.map_err(|e| transport(&url, &e))?;
            let json: Value = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes).unwrap_or(Value::Null)
            };
            if status.is_success() || status == StatusCode::FOUND {
                return Ok((status.as_u16(), json));
            }
            if status == StatusCode::UNAUTHORIZED && !renewed {
                renewed = true;
                self.tokens.renew_after_rejection(&token).await?;
                continue;
            }
            if matches!(status.as_u16(), 429 | 503 | 504) {
                let delay = wait
                    .unwrap_or_else(|| self.backoff(attempt))
                    .min(self.policy.max_delay);
                if attempt < self.policy.attempts {
                    self.clock.sleep(delay).await;
                    continue;
                }
                return Err(TenantError::GaveUp {
                    status: status.as_u16(),
                    path: url.path().to_string(),
                    attempts: attempt,
                    wait: delay,
                });
            }
            return Err(graph_error(
                status.as_u16(),
                &json,
                method.as_str(),
                url.path(),
            ));
        }
    }

    /// Jittered exponential back-off for attempt `n` (1-based).
    fn backoff(&self, n: u32) -> Duration {
        let exp = self
            .policy
            .base_delay
            .saturating_mul(1u32 << n.saturating_sub(1).min(16));
        let capped = exp.min(self.policy.max_delay);
        let mut byte = [0u8; 1];
        let jitter = if getrandom::fill(&mut byte).is_ok() {
            0.5 + f64::from(byte[0]) / 255.0
        } else {
            1.0
        };
        capped.mul_f64(jitter).min(self.policy.max_delay)
    }

    /// GET returning the JSON body.
    pub async fn get(&self, path: &str) -> Result<Value, TenantError> {
        Ok(self.send(Method::GET, path, None, &[]).await?.1)
    }

    /// POST returning the JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, TenantError> {
        Ok(self.send(Method::POST, path, Some(body), &[]).await?.1)
    }

    /// PATCH.
    pub async fn patch(&self, path: &str, body: &Value) -> Result<(), TenantError> {
        self.send(Method::PATCH, path, Some(body), &[])
            .await
            .map(drop)
    }

    /// DELETE.
    pub async fn delete(&self, path: &str) -> Result<(), TenantError> {
        self.send(Method::DELETE, path, None, &[]).await.map(drop)
    }

    /// Reads every page of a collection, handing each item to `each`. With `advanced`, the
    /// `ConsistencyLevel: eventual` header goes with every page (Graph does not carry it over).
    pub async fn list(
        &self,
        path: &str,
        advanced: bool,
        mut each: impl FnMut(Value) -> Result<(), TenantError>,
    ) -> Result<Option<u64>, TenantError> {
        let headers: &[(&str, &str)] = if advanced {
            &[("ConsistencyLevel", "eventual")]
        } else {
            &[]
        };
        let mut next = Some(path.to_string());
        let mut count = None;
        while let Some(link) = next.take() {
            let (_, page) = self.send(Method::GET, &link, None, headers).await?;
            if count.is_none() {
                count = page["@odata.count"].as_u64();
            }
            let Some(items) = page["value"].as_array() else {
                return Err(TenantError::Protocol {
                    url: link,
                    detail: "a collection page without 'value'".into(),
                });
            };
            for item in items {
                each(item.clone())?;
            }
            next = page["@odata.nextLink"].as_str().map(str::to_string);
        }
        Ok(count)
    }

    /// Every item of every page of a collection.
    pub async fn collect(&self, path: &str) -> Result<Vec<Value>, TenantError> {
        let mut out = Vec::new();
        self.list(path, false, |item| {
            out.push(item);
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// One delta round: follows nextLinks until a deltaLink, handing each change to `each`;
    /// returns the deltaLink to keep for the next round.
    pub async fn delta(
        &self,
        start: &str,
        mut each: impl FnMut(Value) -> Result<(), TenantError>,
    ) -> Result<String, TenantError> {
        let mut link = start.to_string();
        loop {
            let page = self.get(&link).await?;
            if let Some(items) = page["value"].as_array() {
                for item in items {
                    each(item.clone())?;
                }
            }
            if let Some(delta) = page["@odata.deltaLink"].as_str() {
                return Ok(delta.to_string());
            }
            match page["@odata.nextLink"].as_str() {
                Some(next) => link = next.to_string(),
                None => {
                    return Err(TenantError::Protocol {
                        url: link,
                        detail: "a delta page with neither nextLink nor deltaLink".into(),
                    });
                }
            }
        }
    }

    /// Sends requests through `$batch`, at most 20 per call, retrying items throttled on their
    /// own; answers come back in the order of `items`.
    pub async fn batch(&self, items: Vec<BatchItem>) -> Result<Vec<BatchAnswer>, TenantError> {
        let has_dependencies = items.iter().any(|i| !i.depends_on.is_empty());
        if has_dependencies && items.len() > MAX_BATCH {
            return Err(TenantError::Invalid(format!(
                "{} requests with dependencies cannot be split across batches; Graph takes at most {MAX_BATCH} per batch",
                items.len()
            )));
        }
        let mut answers = Vec::with_capacity(items.len());
        for chunk in items.chunks(MAX_BATCH) {
            answers.extend(self.batch_chunk(chunk).await?);
        }
        Ok(answers)
    }

    async fn batch_chunk(&self, chunk: &[BatchItem]) -> Result<Vec<BatchAnswer>, TenantError> {
        let mut pending: Vec<BatchItem> = chunk.to_vec();
        let mut done: Vec<BatchAnswer> = Vec::new();
        let mut attempt = 0u32;
        while !pending.is_empty() {
            attempt += 1;
            let writes = pending.iter().filter(|i| is_write(&i.method)).count();
            if writes > 0
                && let Some(limiter) = &self.limiter
            {
                limiter.acquire(writes).await;
            }
            let requests: Vec<Value> = pending
                .iter()
                .map(|i| {
                    let mut r = json!({"id": i.id, "method": i.method.as_str(), "url": i.url});
                    if let Some(body) = &i.body {
                        r["body"] = body.clone();
                        r["headers"] = json!({"Content-Type": "application/json"});
                    }
                    if !i.depends_on.is_empty() {
                        r["dependsOn"] = json!(i.depends_on);
                    }
                    r
                })
                .collect();
            // The batch envelope itself is not a write; its items were counted above.
            let envelope = json!({ "requests": requests });
            let (_, body) = self
                .send_paced(Method::POST, "$batch", Some(&envelope), &[], false)
                .await?;
            let responses = body["responses"].as_array().cloned().unwrap_or_default();
            let mut throttled = Vec::new();
            let mut longest = Duration::ZERO;
            for item in pending {
                let answer = responses
                    .iter()
                    .find(|r| r["id"].as_str() == Some(&item.id));
                let Some(answer) = answer else {
                    return Err(TenantError::Protocol {
                        url: "$batch".into(),
                        detail: format!("no answer for request {}", item.id),
                    });
                };
                let status = answer["status"].as_u64().unwrap_or(0) as u16;
                if status == 429 && attempt < self.policy.attempts {
                    // Header names are case-insensitive here too.
                    let wait = answer["headers"]
                        .as_object()
                        .and_then(|h| {
                            h.iter()
                                .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
                        })
                        .and_then(|(_, v)| v.as_str())
                        .and_then(|v| parse_retry_after(v, self.clock.wall()))
                        .unwrap_or_else(|| self.backoff(attempt));
                    longest = longest.max(wait);
                    throttled.push(item);
                } else {
                    done.push(BatchAnswer {
                        id: item.id.clone(),
                        status,
                        body: answer["body"].clone(),
                    });
                }
            }
            if !throttled.is_empty() {
                self.clock.sleep(longest.min(self.policy.max_delay)).await;
            }
            pending = throttled;
        }
        let order: Vec<&str> = chunk.iter().map(|i| i.id.as_str()).collect();
        done.sort_by_key(|a| order.iter().position(|id| *id == a.id));
        Ok(done)
    }
}

/// An HTTP client with Skybridge's TLS settings (ring, verified certificates; `ca_file`
/// replaces the system's trust store when given).
pub fn http_client(
    ca_file: Option<&std::path::Path>,
    timeout: Duration,
) -> Result<reqwest::Client, TenantError> {
    let mut tls = (*crate::directory::tls::client_config(ca_file)
        .map_err(|e| TenantError::Invalid(e.to_string()))?)
    .clone();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(30)))
        .user_agent(concat!("Skybridge/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| TenantError::Invalid(format!("cannot set up HTTPS: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[tokio::test]
    async fn the_limiter_keeps_to_its_budget_and_waits_the_least_it_can() {
        let clock = Arc::new(ManualClock::default());
        let limiter = WriteLimiter::new(10, Duration::from_secs(30), clock.clone());
        for _ in 0..10 {
            limiter.acquire(1).await;
        }
        assert_eq!(
            clock.now(),
            Duration::ZERO,
            "the budget is used without waiting"
        );
        limiter.acquire(1).await;
        assert_eq!(
            clock.now(),
            Duration::from_secs(30),
            "the 11th write waits for the window"
        );
        clock.advance(Duration::from_secs(5));
        limiter.acquire(5).await;
        assert_eq!(clock.now(), Duration::from_secs(35));
    }

    #[test]
    fn retry_after_reads_seconds_fractions_and_dates() {
        let mut h = reqwest::header::HeaderMap::new();
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        h.insert("Retry-After", "2.128".parse().unwrap());
        assert_eq!(retry_after(&h, now), Some(Duration::from_millis(2128)));
        h.insert(
            "Retry-After",
            "Wed, 21 Oct 2015 07:28:10 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(10)));
        h.insert("Retry-After", "soon".parse().unwrap());
        assert_eq!(retry_after(&h, now), None);
        h.insert("Retry-After", "-3".parse().unwrap());
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    fn graph_errors_keep_code_message_and_request_id() {
        let body = json!({"error": {"code": "Request_BadRequest", "message": "Property 'x' is read-only.",
            "innerError": {"date": "2021-01-01T00:00:00", "request-id": "r-1", "client-request-id": "c-1"}}});
        let e = graph_error(400, &body, "POST", "/v1.0/users?x=1");
        assert_eq!(e.graph_code(), Some("Request_BadRequest"));
        let text = e.to_string();
        assert!(
            text.contains("read-only") && text.contains("/v1.0/users") && !text.contains("x=1"),
            "{text}"
        );
    }
}
