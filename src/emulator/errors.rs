//! Graph error bodies: `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`.
//!
//! Every refusal the Graph side of the emulator gives goes through [`GraphError`], so all of
//! them carry the directory form of the error body that `errors-rules.json` describes. Clients
//! branch on the status and `error.code`; the messages are the emulator's own words.

use axum::http::StatusCode;
use serde_json::{Value, json};

/// One entry of the optional `details` array (used for property conflicts).
#[derive(Debug, Clone)]
pub struct ErrorDetail {
    /// The property concerned.
    pub target: String,
    /// A code such as `PropertyConflict`.
    pub code: String,
    /// What is wrong.
    pub message: String,
}

/// A Graph error answer.
#[derive(Debug, Clone)]
pub struct GraphError {
    /// The HTTP status.
    pub status: StatusCode,
    /// `error.code`.
    pub code: String,
    /// `error.message`.
    pub message: String,
    /// `error.details`, when not empty.
    pub details: Vec<ErrorDetail>,
    /// The `Retry-After` header value in seconds, for 429 and 503.
    pub retry_after: Option<String>,
}

impl GraphError {
    /// An error with a status, a code and a message.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        GraphError {
            status,
            code: code.to_owned(),
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
        }
    }

    /// 400 `Request_BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
    }

    /// 400 `Request_UnsupportedQuery`.
    pub fn unsupported_query(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery", message)
    }

    /// 404 `Request_ResourceNotFound` for an object id or name.
    pub fn not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!("No object '{id}' exists, or an object it refers to is missing."),
        )
    }

    /// 404 for a path the emulator does not serve.
    pub fn no_such_path(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!("The emulated tenant has no resource for the segment path {method} {path}."),
        )
    }

    /// 405 for a method a resource does not allow.
    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Request_BadRequest",
            message,
        )
    }

    /// 400 for a property the caller may not set.
    pub fn read_only(property: &str) -> Self {
        Self::bad_request(format!(
            "Property '{property}' is read-only and cannot be set through this request."
        ))
    }

    /// 400 `Request_BadRequest` with a `PropertyConflict` detail: another object already holds
    /// the value.
    pub fn conflict(property: &str) -> Self {
        let message =
            format!("Another object with the same value for property {property} already exists.");
        GraphError {
            details: vec![ErrorDetail {
                target: property.to_owned(),
                code: "PropertyConflict".to_owned(),
                message: message.clone(),
            }],
            ..Self::bad_request(message)
        }
    }

    /// 422 `Request_UnprocessableEntity` with one `PropertyConflict` detail per property.
    pub fn unprocessable(conflicts: &[&str]) -> Self {
        GraphError {
            details: conflicts
                .iter()
                .map(|p| ErrorDetail {
                    target: (*p).to_owned(),
                    code: "PropertyConflict".to_owned(),
                    message: format!(
                        "Another object with the same value for property {p} already exists."
                    ),
                })
                .collect(),
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Request_UnprocessableEntity",
                "The values provided contain one or more validation errors.",
            )
        }
    }

    /// 401 `InvalidAuthenticationToken`.
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        )
    }

    /// 429 `TooManyRequests` with a `Retry-After` in seconds.
    pub fn throttled(retry_after: String) -> Self {
        GraphError {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "The write budget of this tenant is spent; retry after the time in Retry-After.",
            )
        }
    }

    /// The JSON body for this error.
    pub fn body(&self, date: &str, request_id: &str, client_request_id: &str) -> Value {
        let mut inner = json!({
            "date": date,
            "request-id": request_id,
            "client-request-id": client_request_id,
        });
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            // The documented throttling sample repeats the status inside innerError.
            inner["code"] = json!("429");
            inner["status"] = json!("429");
            inner["message"] = json!("Please retry after the Retry-After interval");
        }
        let mut error = json!({
            "code": self.code,
            "message": self.message,
            "innerError": inner,
        });
        if !self.details.is_empty() {
            error["details"] = Value::Array(
                self.details
                    .iter()
                    .map(|d| json!({"target": d.target, "code": d.code, "message": d.message}))
                    .collect(),
            );
        }
        json!({ "error": error })
    }
}

/// Shorthand for handler results.
pub type GraphResult<T> = Result<T, GraphError>;
