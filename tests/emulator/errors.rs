//! Errors: every error body has the documented shape and code (the errors rules fixture), and
//! bad input of every kind gets a Graph error, never a crash.

use serde_json::json;

use crate::fixtures::{rules, shape};
use crate::harness::{Env, code};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_bodies_have_the_documented_shape() {
    let env = Env::new(|_| {}).await;
    let r = rules("errors-rules");
    let mut answers = vec![
        env.graph("GET", "/v1.0/users/$count", None).await,
        env.graph("GET", "/v1.0/users/no-such-user", None).await,
        env.graph("POST", "/v1.0/users", Some(json!({"displayName": 5})))
            .await,
        env.raw(
            "POST",
            "/v1.0/users",
            &[("Content-Type", "application/json")],
            Some(b"{not json".to_vec()),
            Some(&env.token),
        )
        .await,
        env.raw("GET", "/v1.0/users", &[], None, None).await,
        env.raw("GET", "/v1.0/users", &[], None, Some("made-up"))
            .await,
        env.graph(
            "GET",
            "/v1.0/users?$filter=endsWith(mail,'@outlook.com')",
            None,
        )
        .await,
        env.graph("GET", "/v1.0/users?$search=\"displayName:adm\"", None)
            .await,
        env.graph("GET", "/v1.0/nothing/here", None).await,
    ];
    answers.push(
        env.raw(
            "POST",
            "/v1.0/users",
            &[("Content-Type", "application/json")],
            Some(vec![b'x'; 5 * 1024 * 1024]),
            Some(&env.token),
        )
        .await,
    );
    let expected = [400, 404, 400, 400, 401, 401, 400, 400, 400, 413];
    for (answer, status) in answers.iter().zip(expected) {
        assert_eq!(answer.status, status, "{}", answer.body);
        let mut errs = Vec::new();
        shape(&r["shape"], &answer.body, "error", &mut errs);
        assert!(errs.is_empty(), "{errs:?}: {}", answer.body);
        assert!(
            answer.body.as_object().unwrap().len() == 1,
            "a single 'error' property: {}",
            answer.body
        );
    }
    assert_eq!(code(&answers[0]), "Request_BadRequest");
    assert_eq!(code(&answers[1]), "Request_ResourceNotFound");
    assert_eq!(code(&answers[4]), "InvalidAuthenticationToken");
    assert_eq!(code(&answers[5]), "InvalidAuthenticationToken");
    assert_eq!(code(&answers[6]), "Request_UnsupportedQuery");
    assert_eq!(code(&answers[7]), "Request_UnsupportedQuery");
    // With the advanced query headers the same queries work.
    let ok = env
        .graph_h(
            "GET",
            "/v1.0/users?$filter=endsWith(userPrincipalName,'onmicrosoft.com')&$count=true",
            &[("ConsistencyLevel", "eventual")],
            None,
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["@odata.count"], 2);
    let ok = env
        .graph_h(
            "GET",
            "/v1.0/users/$count",
            &[("ConsistencyLevel", "eventual")],
            None,
        )
        .await;
    assert_eq!((ok.status, ok.body.clone()), (200, json!(2)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_graph_errors_never_a_crash() {
    let env = Env::new(|_| {}).await;
    let cases: Vec<(&str, &str, Option<&[u8]>)> = vec![
        ("POST", "/v1.0/users", Some(b"[1,2,3]")),
        ("POST", "/v1.0/users", Some(b"")),
        ("PATCH", "/v1.0/users/%ZZ", Some(b"{}")),
        ("GET", "/v1.0/users?$filter=((((((((", None),
        (
            "GET",
            "/v1.0/users?$filter=displayName%20eq%20'unterminated",
            None,
        ),
        ("GET", "/v1.0/users?$select=", None),
        ("POST", "/v1.0/$batch", Some(b"{\"requests\": \"no\"}")),
        (
            "POST",
            "/v1.0/groups/00000000-0000-0000-0000-000000000000/members/$ref",
            Some(b"{}"),
        ),
        (
            "POST",
            "/v1.0/directoryObjects/getByIds",
            Some(b"{\"ids\": [1]}"),
        ),
        (
            "GET",
            "/v1.0/directory/deletedItems/microsoft.graph.printer",
            None,
        ),
        ("DELETE", "/v1.0/domains/contoso.onmicrosoft.com", None),
        ("GET", "/v1.0/users/delta?$skiptoken=%00%01", None),
    ];
    for (method, path, body) in cases {
        let mut headers = vec![];
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        let r = env
            .raw(
                method,
                path,
                &headers,
                body.map(<[u8]>::to_vec),
                Some(&env.token),
            )
            .await;
        assert!(
            (400..500).contains(&r.status) || r.status == 200,
            "{method} {path}: {} {}",
            r.status,
            r.body
        );
        if r.status != 200 {
            assert!(
                r.body["error"]["code"].is_string(),
                "{method} {path}: {}",
                r.body
            );
        }
    }
    assert_eq!(
        env.graph("GET", "/v1.0/organization", None).await.status,
        200,
        "still serving"
    );
}
