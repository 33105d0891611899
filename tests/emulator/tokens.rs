//! The identity platform: the device code flow (the token-device-code rules fixture), token
//! errors and the MFA account (the token-errors rules fixture), token lifetimes and refresh
//! tokens, password resets, application tokens, and the authorization code flow with PKCE.

use std::time::Duration;

use serde_json::json;

use crate::fixtures::rules;
use crate::harness::{ADMIN_PASSWORD, CLIENT_SECRET, Env, USER_PASSWORD, code};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_code_rules_pending_declined_bad_and_expired() {
    let env = Env::new(|_| {}).await;
    let r = rules("token-device-code-rules");
    let (status, flow) = env.devicecode("user.read openid profile").await;
    assert_eq!(status, 200);
    for field in r["device_authorization_response_fields"]
        .as_object()
        .unwrap()
        .keys()
    {
        assert!(
            flow.get(field).is_some(),
            "devicecode answer lacks {field}: {flow}"
        );
    }
    assert_eq!(flow["expires_in"], 900);
    let (status, body) = env.poll(flow["device_code"].as_str().unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("authorization_pending"))
    );
    assert!(
        body["error_codes"].is_array()
            && body["trace_id"].is_string()
            && body["correlation_id"].is_string()
    );
    let (_, body) = env.poll("not-a-code").await;
    assert_eq!(body["error"], "bad_verification_code");
    // Declined.
    let decline = env
        .raw(
            "POST",
            "/_emulator/device/decline",
            &[("Content-Type", "application/json")],
            Some(
                json!({"user_code": flow["user_code"]})
                    .to_string()
                    .into_bytes(),
            ),
            None,
        )
        .await;
    assert_eq!(decline.status, 204);
    let (_, body) = env.poll(flow["device_code"].as_str().unwrap()).await;
    assert_eq!(body["error"], "authorization_declined");
    // Expired (the clock moves past expires_in).
    let (_, flow) = env.devicecode("user.read openid profile").await;
    env.clock.advance(Duration::from_secs(901));
    let (_, body) = env.poll(flow["device_code"].as_str().unwrap()).await;
    assert_eq!(body["error"], "expired_token");
    // Approval of an unknown user or code is refused.
    let (_, flow) = env.devicecode("user.read openid profile").await;
    let bad = env
        .raw(
            "POST",
            "/_emulator/device/approve",
            &[("Content-Type", "application/json")],
            Some(
                json!({"user_code": flow["user_code"], "upn": "nobody@x"})
                    .to_string()
                    .into_bytes(),
            ),
            None,
        )
        .await;
    assert_eq!(bad.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_error_rules_and_the_mfa_account() {
    let env = Env::new(|_| {}).await;
    let r = rules("token-errors-rules");
    let fields: Vec<String> = r["error_body_fields"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let scope = "https://graph.microsoft.com/.default offline_access";
    let (status, wrong) = env.ropc(&env.admin(), "wrong-password", scope).await;
    assert_eq!(
        (status, wrong["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    for f in &fields {
        assert!(wrong.get(f).is_some(), "{f} missing: {wrong}");
    }
    assert!(
        wrong["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS50126:")
    );
    // The MFA account: refused by the password grant, pointing at the device code flow.
    let mfa = format!("mfa-admin@{}", env.domain());
    let (status, refused) = env.ropc(&mfa, ADMIN_PASSWORD, scope).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_grant")),
        "{refused}"
    );
    assert_eq!(refused["error_codes"], json!([50076]));
    let description = refused["error_description"].as_str().unwrap();
    assert!(
        description.starts_with("AADSTS50076:") && description.contains("device code"),
        "{description}"
    );
    // ...and signed in by the device code flow.
    let (_, flow) = env
        .form(
            &format!("/{}/oauth2/v2.0/devicecode", env.tenant),
            &[("client_id", &env.client_id), ("scope", scope)],
        )
        .await;
    env.raw(
        "POST",
        "/_emulator/device/approve",
        &[("Content-Type", "application/json")],
        Some(
            json!({"user_code": flow["user_code"], "upn": mfa})
                .to_string()
                .into_bytes(),
        ),
        None,
    )
    .await;
    let (status, tokens) = env
        .form(
            &format!("/{}/oauth2/v2.0/token", env.tenant),
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", &env.client_id),
                ("device_code", flow["device_code"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    let me = env
        .raw(
            "GET",
            "/v1.0/me",
            &[],
            None,
            tokens["access_token"].as_str(),
        )
        .await;
    assert_eq!(me.body["userPrincipalName"], mfa.as_str());
    // Other refusals.
    let path = format!("/{}/oauth2/v2.0/token", env.tenant);
    let (_, body) = env
        .form(
            &path,
            &[("grant_type", "magic"), ("client_id", &env.client_id)],
        )
        .await;
    assert_eq!(body["error"], "unsupported_grant_type");
    let (_, body) = env
        .form(
            "/common/oauth2/v2.0/token",
            &[
                ("grant_type", "password"),
                ("client_id", &env.client_id),
                ("username", &env.admin()),
                ("password", ADMIN_PASSWORD),
                ("scope", scope),
            ],
        )
        .await;
    assert_eq!(body["error"], "invalid_request");
    let (status, body) = env.client_credentials(&env.client_id, "wrong").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (_, body) = env
        .form(
            &path,
            &[
                ("grant_type", "password"),
                ("client_id", "11111111-1111-1111-1111-111111111111"),
                ("username", &env.admin()),
                ("password", ADMIN_PASSWORD),
                ("scope", scope),
            ],
        )
        .await;
    assert_eq!(body["error"], "unauthorized_client");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_expire_and_refresh_tokens_renew_them() {
    let mut env = Env::new(|c| c.token_lifetime = Duration::from_secs(60)).await;
    let (_, tokens) = env
        .ropc(
            &env.admin(),
            ADMIN_PASSWORD,
            "https://graph.microsoft.com/.default offline_access",
        )
        .await;
    assert_eq!(tokens["expires_in"], 60);
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        env.raw("GET", "/v1.0/me", &[], None, Some(&access))
            .await
            .status,
        200
    );
    env.clock.advance(Duration::from_secs(61));
    let expired = env.raw("GET", "/v1.0/me", &[], None, Some(&access)).await;
    assert_eq!(
        (expired.status, code(&expired)),
        (401, "InvalidAuthenticationToken")
    );
    let path = format!("/{}/oauth2/v2.0/token", env.tenant);
    let (status, renewed) = env
        .form(
            &path,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &env.client_id),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(status, 200, "{renewed}");
    assert!(renewed["refresh_token"].is_string());
    assert_eq!(
        env.raw(
            "GET",
            "/v1.0/me",
            &[],
            None,
            renewed["access_token"].as_str()
        )
        .await
        .status,
        200
    );
    // The test's own token expired with the clock: use the renewed one from here on.
    env.token = renewed["access_token"].as_str().unwrap().to_owned();
    let (_, bad) = env
        .form(
            &path,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &env.client_id),
                ("refresh_token", "nope"),
            ],
        )
        .await;
    assert_eq!(bad["error"], "invalid_grant");
    // A password reset through Graph changes what the password grant accepts.
    let user = env.create_user("reset", "Reset Me").await;
    let upn = format!("reset@{}", env.domain());
    let new_password = "N3w-Passw0rd-After-Reset";
    let r = env.graph("PATCH", &format!("/v1.0/users/{user}"), Some(json!({"passwordProfile": {"forceChangePasswordNextSignIn": false, "password": new_password}}))).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        env.ropc(&upn, USER_PASSWORD, "User.Read").await.1["error"],
        "invalid_grant"
    );
    assert_eq!(env.ropc(&upn, new_password, "User.Read").await.0, 200);
    // Application tokens: /me is refused, the directory is readable.
    let (_, app) = env.client_credentials(&env.client_id, CLIENT_SECRET).await;
    assert!(app.get("refresh_token").is_none());
    let app_token = app["access_token"].as_str().unwrap();
    assert_eq!(
        env.raw("GET", "/v1.0/me", &[], None, Some(app_token))
            .await
            .status,
        400
    );
    assert_eq!(
        env.raw("GET", "/v1.0/users", &[], None, Some(app_token))
            .await
            .status,
        200
    );
    // A registered application's own secret works for client credentials.
    let (created, secret) = env
        .register_app(
            "Daemon",
            Some(json!({"passwordCredential": {"displayName": "s"}})),
        )
        .await;
    assert_eq!(secret.status, 200);
    let (status, _) = env
        .client_credentials(
            created.body["appId"].as_str().unwrap(),
            secret.body["secretText"].as_str().unwrap(),
        )
        .await;
    assert_eq!(status, 200);
    let listed = env
        .graph(
            "GET",
            &format!(
                "/v1.0/applications/{}",
                created.body["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert!(
        listed.body["passwordCredentials"][0]["secretText"].is_null(),
        "the secret is shown once only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_code_with_pkce_signs_in_the_hinted_user() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let env = Env::new(|_| {}).await;
    let verifier = "a-verifier-of-enough-length-0123456789-abcdefghijklmnop";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let redirect = "http://127.0.0.1:53682/callback";
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("client_id", env.client_id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", redirect),
            (
                "scope",
                "openid offline_access https://graph.microsoft.com/.default",
            ),
            ("state", "xyz"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("login_hint", &env.admin()),
        ])
        .finish();
    let resp = env.authorize(&query).await;
    assert_eq!(resp.status, 302);
    let location = url::Url::parse(resp.headers["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(redirect));
    let pairs: std::collections::HashMap<String, String> =
        location.query_pairs().into_owned().collect();
    assert_eq!(pairs["state"], "xyz");
    let code = pairs["code"].clone();
    let path = format!("/{}/oauth2/v2.0/token", env.tenant);
    let exchange = |verifier: &'static str, code: String| {
        let env = &env;
        let path = path.clone();
        async move {
            env.form(
                &path,
                &[
                    ("grant_type", "authorization_code"),
                    ("client_id", &env.client_id),
                    ("code", &code),
                    ("redirect_uri", redirect),
                    ("code_verifier", verifier),
                ],
            )
            .await
        }
    };
    let (status, bad) = exchange("wrong-verifier", code.clone()).await;
    assert_eq!(
        (status, bad["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // A code is single-use, even after a failed attempt: start again.
    let resp = env.authorize(&query).await;
    let location = url::Url::parse(resp.headers["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let (status, tokens) = exchange(verifier, code.clone()).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["id_token"].is_string() && tokens["refresh_token"].is_string());
    assert_eq!(
        env.raw(
            "GET",
            "/v1.0/me",
            &[],
            None,
            tokens["access_token"].as_str()
        )
        .await
        .body["userPrincipalName"],
        env.admin().as_str()
    );
    let (_, reused) = exchange(verifier, code).await;
    assert_eq!(reused["error"], "invalid_grant");
    // Unknown hint: an error redirect; a non-loopback redirect_uri: no redirect at all.
    let unknown = query.replace("login_hint=admin", "login_hint=ghost");
    let resp = env.authorize(&unknown).await;
    assert!(
        resp.headers["location"]
            .to_str()
            .unwrap()
            .contains("error=interaction_required")
    );
    let evil = query.replace("127.0.0.1", "evil.example");
    let resp = env.authorize(&evil).await;
    assert_eq!(resp.status, 400);
    assert!(resp.headers.get("location").is_none());
}
