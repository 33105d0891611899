//! Answers the browser's redirect on the loopback port that the authorization code sign-in
//! (`IdentityClient::authorization_code`) listens on.

use url::Url;

use super::super::error::TenantError;
use crate::secret::Secret;

/// Answers the browser's redirect and returns the code, refusing a wrong `state`.
pub(super) async fn receive_redirect(
    listener: &tokio::net::TcpListener,
    expected_state: &str,
) -> Result<Secret, TenantError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    loop {
        let (mut stream, _) = listener
            .accept()
            .await
            .map_err(|e| TenantError::Invalid(e.to_string()))?;
        let mut buf = vec![0u8; 8192];
        let n = stream.read(&mut buf).await.unwrap_or(0);
        let head = String::from_utf8_lossy(&buf[..n]).into_owned();
        let target = head
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("/");
        let parsed = Url::parse(&format!("http://127.0.0.1{target}")).ok();
        let pairs: Vec<(String, String)> = parsed
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let (status, page, outcome) = match (get("code"), get("state"), get("error")) {
            (Some(code), Some(state), _) if state == expected_state => (
                "200 OK",
                "Signed in. You can close this window and return to Skybridge.",
                Some(Ok(Secret::new(code))),
            ),
            (_, _, Some(error)) => (
                "200 OK",
                "The sign-in did not complete. Return to Skybridge for details.",
                Some(Err(TenantError::Identity {
                    code: error,
                    description: get("error_description").unwrap_or_default(),
                    error_codes: Vec::new(),
                })),
            ),
            (Some(_), _, _) => (
                "400 Bad Request",
                "This sign-in answer does not belong to the sign-in Skybridge started.",
                None,
            ),
            _ => ("404 Not Found", "Nothing here.", None),
        };
        let reply = format!(
            "HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
            page.len()
        );
        let _ = stream.write_all(reply.as_bytes()).await;
        if let Some(outcome) = outcome {
            return outcome;
        }
    }
}
