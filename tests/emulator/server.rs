//! The emulator as a server: its state survives a restart on the same folder, its request log
//! holds no secret, and it serves plain HTTP on loopback only (TLS elsewhere).

use std::sync::Arc;

use serde_json::{Value, json};
use skybridge::clock::ManualClock;
use skybridge::emulator::start;

use crate::harness::{ADMIN_PASSWORD, CLIENT_SECRET, Env, USER_PASSWORD, config, temp_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_survives_a_restart() {
    let dir = temp_dir("restart");
    let mut env = Env::in_dir(dir.clone(), |c| c.domains = vec!["fabrikam.com".to_owned()]).await;
    let tenant = env.tenant.clone();
    let user = env.create_user("persist", "Persistent User").await;
    let group = env.create_group("persisted", false).await;
    let r = env.graph("POST", &format!("/v1.0/groups/{group}/members/$ref"), Some(json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{user}")}))).await;
    assert_eq!(r.status, 204);
    let pages = env.round("/v1.0/users/delta").await;
    let delta_link = env.local(pages.last().unwrap()["@odata.deltaLink"].as_str().unwrap());
    let (_, before) = env
        .ropc(
            &env.admin(),
            ADMIN_PASSWORD,
            "https://graph.microsoft.com/.default offline_access",
        )
        .await;
    let refresh = before["refresh_token"].as_str().unwrap().to_owned();
    env.stop().await;

    // Same directory, no secrets given: the stored ones still work.
    let clock = Arc::new(ManualClock::default());
    let mut cfg = config(&dir, &clock);
    cfg.admin_password = None;
    cfg.client_secret = None;
    let emu = start(cfg).await.unwrap();
    assert_eq!(emu.credentials.tenant_id, tenant);
    assert!(emu.credentials.admin_password.is_none() && !emu.credentials.admin_password_generated);
    let mut env2 = env;
    env2.restarted(emu);
    let (status, tokens) = env2
        .ropc(
            &env2.admin(),
            ADMIN_PASSWORD,
            "https://graph.microsoft.com/.default",
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
    env2.token = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        env2.graph("GET", &format!("/v1.0/users/{user}"), None)
            .await
            .body["displayName"],
        "Persistent User"
    );
    let members = env2
        .graph("GET", &format!("/v1.0/groups/{group}/members"), None)
        .await;
    assert_eq!(members.body["value"][0]["id"], user.as_str());
    assert_eq!(
        env2.graph("GET", "/v1.0/domains/fabrikam.com", None)
            .await
            .body["isVerified"],
        true
    );
    // Access tokens died with the process; refresh tokens did not.
    let old_access = before["access_token"].as_str().unwrap();
    assert_eq!(
        env2.raw("GET", "/v1.0/me", &[], None, Some(old_access))
            .await
            .status,
        401
    );
    let path = format!("/{}/oauth2/v2.0/token", env2.tenant);
    let (status, renewed) = env2
        .form(
            &path,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &env2.client_id),
                ("refresh_token", &refresh),
            ],
        )
        .await;
    assert_eq!(status, 200, "{renewed}");
    // The delta link of the first run still works (empty: nothing changed).
    let base = env2.base.clone();
    let link = delta_link.replace(&base, "");
    assert_eq!(
        env2.graph("GET", &link, None).await.body["value"],
        json!([])
    );
    // Unique values are still enforced after the restart.
    let dup = env2.graph("POST", "/v1.0/users", Some(json!({"accountEnabled": true, "displayName": "Dup", "mailNickname": "persist",
        "userPrincipalName": format!("PERSIST@{}", env2.domain()), "passwordProfile": {"password": USER_PASSWORD}}))).await;
    assert_eq!(dup.status, 400);
    env2.stop().await;
    let _ = std::fs::remove_dir_all(&env2.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_log_records_requests_but_no_secrets() {
    let env = Env::new(|_| {}).await;
    let (_, ropc) = env
        .ropc(
            &env.admin(),
            ADMIN_PASSWORD,
            "https://graph.microsoft.com/.default offline_access",
        )
        .await;
    let user = env.create_user("logged", "Logged User").await;
    let (_, secret) = env.register_app("Logged", None).await;
    let secret_text = secret.body["secretText"].as_str().unwrap().to_owned();
    let (_, cc) = env.client_credentials(&env.client_id, CLIENT_SECRET).await;
    let before = env.raw("GET", "/_emulator/requests", &[], None, None).await;
    let reads_only_since = before.body.as_array().unwrap().last().unwrap()["seq"]
        .as_u64()
        .unwrap();
    assert_eq!(
        env.graph("GET", &format!("/v1.0/users/{user}"), None)
            .await
            .status,
        200
    );

    let file = std::fs::read_to_string(env.dir.join("requests.jsonl")).unwrap();
    let served = env
        .raw("GET", "/_emulator/requests", &[], None, None)
        .await
        .body
        .to_string();
    for text in [&file, &served] {
        for secret in [
            ADMIN_PASSWORD,
            USER_PASSWORD,
            CLIENT_SECRET,
            &secret_text,
            &env.token,
            ropc["access_token"].as_str().unwrap(),
            ropc["refresh_token"].as_str().unwrap(),
            cc["access_token"].as_str().unwrap(),
        ] {
            assert!(!text.contains(secret), "the log holds a secret");
        }
        assert!(!text.to_lowercase().contains("bearer") && !text.contains("authorization"));
    }
    let entries: Vec<Value> = file
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let create = entries
        .iter()
        .find(|e| e["method"] == "POST" && e["path"] == "/v1.0/users")
        .unwrap();
    assert_eq!(
        (create["status"].as_u64(), create["write"].as_bool()),
        (Some(201), Some(true))
    );
    assert!(create["time"].as_str().unwrap().ends_with('Z'));
    // A caller can prove that nothing was written after a point.
    let since = env
        .raw(
            "GET",
            &format!("/_emulator/requests?since={reads_only_since}"),
            &[],
            None,
            None,
        )
        .await;
    let later = since.body.as_array().unwrap();
    assert_eq!(later.len(), 1);
    assert!(later.iter().all(|e| e["write"] == false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_only_on_loopback_and_tls_elsewhere() {
    let dir = temp_dir("tls");
    let clock = Arc::new(ManualClock::default());
    let mut cfg = config(&dir, &clock);
    cfg.listen = "0.0.0.0:0".parse().unwrap();
    let refused = start(cfg.clone()).await.unwrap_err();
    assert!(refused.to_string().contains("--tls-cert"), "{refused}");
    // With a certificate (made by openssl when the machine has it) the same address serves TLS.
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    if !made.is_ok_and(|o| o.status.success()) {
        eprintln!("openssl is not available: the TLS half of this test is skipped");
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }
    cfg.tls = Some(skybridge::emulator::TlsFiles {
        cert: cert.clone(),
        key,
    });
    let emu = start(cfg).await.unwrap();
    assert!(emu.base_url().starts_with("https://"));
    let mut roots = rustls::RootCertStore::empty();
    let pem = std::fs::read(&cert).unwrap();
    use rustls::pki_types::pem::PemObject as _;
    for c in rustls::pki_types::CertificateDer::pem_slice_iter(&pem) {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .build()
        .unwrap();
    let url = format!(
        "https://127.0.0.1:{}/{}/oauth2/v2.0/token",
        emu.addr.port(),
        emu.credentials.tenant_id
    );
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "client_credentials"),
            ("client_id", emu.credentials.client_id.as_str()),
            ("client_secret", CLIENT_SECRET),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .finish();
    let r = client
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    emu.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
