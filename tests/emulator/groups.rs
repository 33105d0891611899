//! Groups: the groups rules fixture (members bound per PATCH, all or nothing, `$ref` errors,
//! required properties and create-time limits, read-only properties).

use serde_json::json;

use crate::fixtures::{rules, strings};
use crate::harness::Env;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_rules_membership_limits_and_errors() {
    let env = Env::new(|_| {}).await;
    let r = rules("groups-rules");
    let group = env.create_group("rulesgroup", false).await;
    let mut users = Vec::new();
    for i in 0..21 {
        users.push(
            env.create_user(&format!("m{i}"), &format!("Member {i}"))
                .await,
        );
    }
    let bind = |ids: &[String]| json!({"members@odata.bind": ids.iter().map(|id| format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")).collect::<Vec<_>>()});
    let max = r["max_members_per_patch_bind"].as_u64().unwrap() as usize;
    let resp = env
        .graph(
            "PATCH",
            &format!("/v1.0/groups/{group}"),
            Some(bind(&users[..max + 1])),
        )
        .await;
    assert_eq!(resp.status, 400, "{}", resp.body);
    // All or nothing: one unknown id, nobody added.
    let mut with_bad = users[..3].to_vec();
    with_bad.push("00000000-0000-0000-0000-000000000001".to_owned());
    let resp = env
        .graph(
            "PATCH",
            &format!("/v1.0/groups/{group}"),
            Some(bind(&with_bad)),
        )
        .await;
    assert_eq!(resp.status, 404, "{}", resp.body);
    let members = env
        .graph("GET", &format!("/v1.0/groups/{group}/members"), None)
        .await;
    assert_eq!(members.body["value"], json!([]));
    let resp = env
        .graph(
            "PATCH",
            &format!("/v1.0/groups/{group}"),
            Some(bind(&users[..max])),
        )
        .await;
    assert_eq!(resp.status, 204, "{}", resp.body);
    let members = env
        .graph(
            "GET",
            &format!("/v1.0/groups/{group}/members?$top=999"),
            None,
        )
        .await;
    assert_eq!(members.body["value"].as_array().unwrap().len(), max);
    assert!(
        members.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["@odata.type"] == "#microsoft.graph.user")
    );
    // $ref: 400 when already a member, 404 when the object does not exist.
    let add = |id: &str| json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")});
    let codes = [
        (
            env.graph(
                "POST",
                &format!("/v1.0/groups/{group}/members/$ref"),
                Some(add(&users[0])),
            )
            .await
            .status,
            r["add_member_errors"]["already_member"].as_u64().unwrap() as u16,
        ),
        (
            env.graph(
                "POST",
                &format!("/v1.0/groups/{group}/members/$ref"),
                Some(add("00000000-0000-0000-0000-000000000002")),
            )
            .await
            .status,
            r["add_member_errors"]["object_not_found"].as_u64().unwrap() as u16,
        ),
        (
            env.graph(
                "DELETE",
                &format!("/v1.0/groups/{group}/members/{}/$ref", users[20]),
                None,
            )
            .await
            .status,
            404,
        ),
        (
            env.graph(
                "POST",
                &format!("/v1.0/groups/{group}/members/$ref"),
                Some(add(&users[20])),
            )
            .await
            .status,
            204,
        ),
        (
            env.graph(
                "GET",
                &format!("/v1.0/groups/{group}/members/microsoft.graph.user?$count=true"),
                None,
            )
            .await
            .status,
            400,
        ),
    ];
    for (got, want) in codes {
        assert_eq!(got, want);
    }
    // Required properties and create-time limits.
    for prop in strings(&r["required_on_create"]) {
        let mut body = json!({"displayName": "G", "mailEnabled": false, "mailNickname": "gnew", "securityEnabled": true});
        body.as_object_mut().unwrap().remove(&prop);
        assert_eq!(
            env.graph("POST", "/v1.0/groups", Some(body)).await.status,
            400,
            "without {prop}"
        );
    }
    let mut body = json!({"displayName": "G", "mailEnabled": false, "mailNickname": "gmany", "securityEnabled": true});
    body["members@odata.bind"] = bind(&users)["members@odata.bind"].clone();
    assert_eq!(
        env.graph("POST", "/v1.0/groups", Some(body)).await.status,
        400
    );
    let bad_nick = json!({"displayName": "G", "mailEnabled": false, "mailNickname": "has space", "securityEnabled": true});
    assert_eq!(
        env.graph("POST", "/v1.0/groups", Some(bad_nick))
            .await
            .status,
        400
    );
    let mail_security = json!({"displayName": "G", "mailEnabled": true, "mailNickname": "mailsec", "securityEnabled": true});
    assert_eq!(
        env.graph("POST", "/v1.0/groups", Some(mail_security))
            .await
            .status,
        400
    );
    // Read-only group properties.
    let resp = env
        .graph(
            "PATCH",
            &format!("/v1.0/groups/{group}"),
            Some(json!({"onPremisesSyncEnabled": true})),
        )
        .await;
    assert_eq!(resp.status, 400);
}
