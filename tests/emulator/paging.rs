//! Paging and delta: absolute, opaque nextLinks (the paging rules fixture), filtered delta
//! rounds, and delta rounds, tokens and removals (the delta rules fixture).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::fixtures::{rules, strings};
use crate::harness::Env;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_rules_give_absolute_opaque_next_links() {
    let env = Env::new(|_| {}).await;
    let r = rules("paging-rules");
    assert!(
        r["nextLink_absolute"]
            .as_str()
            .unwrap()
            .contains("absolute")
    );
    for i in 0..5 {
        env.create_user(&format!("p{i}"), &format!("Pager {i}"))
            .await;
    }
    let first = env
        .graph_h(
            "GET",
            "/v1.0/users?$top=2&$count=true&$select=id,displayName",
            &[("ConsistencyLevel", "eventual")],
            None,
        )
        .await;
    assert_eq!(first.body["@odata.count"], 7);
    let next = first.body["@odata.nextLink"].as_str().unwrap().to_owned();
    assert!(
        next.starts_with(&format!("{}/v1.0/users?", env.base)),
        "{next}"
    );
    assert!(next.contains("$skiptoken="), "{next}");
    let mut ids: BTreeSet<String> = first.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    let mut link = Some(next);
    let mut pages = 1;
    while let Some(l) = link {
        // ConsistencyLevel is not carried by the link: the client sends it again.
        let page = env
            .graph_h(
                "GET",
                &env.local(&l),
                &[("ConsistencyLevel", "eventual")],
                None,
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.get("@odata.count").is_none(),
            "count only on the first page"
        );
        assert!(page.body["value"].as_array().unwrap().len() <= 2);
        ids.extend(
            page.body["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["id"].as_str().unwrap().to_owned()),
        );
        link = page.body["@odata.nextLink"].as_str().map(str::to_owned);
        pages += 1;
    }
    assert_eq!((ids.len(), pages), (7, 4));
    for top in ["0", "1000", "x"] {
        assert_eq!(
            env.graph("GET", &format!("/v1.0/users?$top={top}"), None)
                .await
                .status,
            400,
            "$top={top}"
        );
    }
    assert_eq!(
        env.graph("GET", "/v1.0/users?$skip=2", None).await.status,
        400
    );
    assert_eq!(
        env.graph("GET", "/v1.0/users?$skiptoken=garbage", None)
            .await
            .status,
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filtered_delta_round_keeps_its_filter_on_every_page() {
    let env = Env::new(|c| c.delta_page_size = 2).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            env.create_user(&format!("f{i}"), &format!("Filtered {i}"))
                .await,
        );
    }
    let wanted = &ids[..3];
    let filter = wanted
        .iter()
        .map(|id| format!("id eq '{id}'"))
        .collect::<Vec<_>>()
        .join(" or ");
    let pages = env
        .round(&format!(
            "/v1.0/users/delta?$select=displayName&$filter={filter}"
        ))
        .await;
    assert!(pages.len() >= 2, "the round spans pages");
    let mut seen: Vec<String> = pages
        .iter()
        .flat_map(|p| p["value"].as_array().unwrap().clone())
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    seen.sort();
    let mut expected = wanted.to_vec();
    expected.sort();
    assert_eq!(seen, expected, "later pages keep the filter");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delta_rules_rounds_tokens_and_removals() {
    let env = Env::new(|c| c.delta_page_size = 2).await;
    let r = rules("delta-rules");
    assert_eq!(
        strings(&r["removed_annotation"]["@removed"]["reason"]),
        ["changed", "deleted"]
    );
    let keep = env.create_user("keep", "Keep Me").await;
    let soft = env.create_user("soft", "Soft Delete").await;
    // Initial round: nextLink pages, then a deltaLink and no nextLink.
    let pages = env.round("/v1.0/users/delta?$select=displayName").await;
    assert!(pages.len() >= 2);
    assert!(
        pages[..pages.len() - 1]
            .iter()
            .all(|p| p.get("@odata.nextLink").is_some() && p.get("@odata.deltaLink").is_none())
    );
    let last = pages.last().unwrap();
    let delta_link = env.local(last["@odata.deltaLink"].as_str().unwrap());
    assert!(delta_link.contains("$deltatoken="));
    let count: usize = pages
        .iter()
        .map(|p| p["value"].as_array().unwrap().len())
        .sum();
    assert_eq!(count, 4);
    // Nothing changed: an empty page with a new deltaLink.
    let same = env.graph("GET", &delta_link, None).await;
    assert_eq!(same.body["value"], json!([]));
    assert!(same.body["@odata.deltaLink"].is_string());
    // Unselected property changes do not surface the object; selected ones do; deletions do.
    assert_eq!(
        env.graph(
            "PATCH",
            &format!("/v1.0/users/{keep}"),
            Some(json!({"city": "Oslo"}))
        )
        .await
        .status,
        204
    );
    let quiet = env.graph("GET", &delta_link, None).await;
    assert_eq!(quiet.body["value"], json!([]), "{}", quiet.body);
    assert_eq!(
        env.graph(
            "PATCH",
            &format!("/v1.0/users/{keep}"),
            Some(json!({"displayName": "Kept"}))
        )
        .await
        .status,
        204
    );
    assert_eq!(
        env.graph("DELETE", &format!("/v1.0/users/{soft}"), None)
            .await
            .status,
        204
    );
    let changes = env.round(&delta_link).await;
    let items: Vec<Value> = changes
        .iter()
        .flat_map(|p| p["value"].as_array().cloned().unwrap())
        .collect();
    assert!(
        items
            .iter()
            .any(|i| i["id"] == keep.as_str() && i["displayName"] == "Kept")
    );
    let removed = items.iter().find(|i| i["id"] == soft.as_str()).unwrap();
    assert_eq!(
        removed,
        &json!({"id": soft, "@removed": {"reason": "changed"}})
    );
    // Deleted for good (a security group): reason deleted.
    let group = env.create_group("harddelete", false).await;
    let groups = env
        .round("/v1.0/groups/delta?$select=displayName,members")
        .await;
    let group_link = env.local(groups.last().unwrap()["@odata.deltaLink"].as_str().unwrap());
    assert_eq!(
        env.graph("DELETE", &format!("/v1.0/groups/{group}"), None)
            .await
            .status,
        204
    );
    let gone = env.graph("GET", &group_link, None).await;
    assert_eq!(
        gone.body["value"],
        json!([{"id": group, "@removed": {"reason": "deleted"}}]),
        "{}",
        gone.body
    );
    // $deltaToken=latest: only a deltaLink; $top and $orderby are not supported.
    let latest = env
        .graph("GET", "/v1.0/users/delta?$deltaToken=latest", None)
        .await;
    assert_eq!(latest.body["value"], json!([]));
    assert!(
        latest.body["@odata.deltaLink"].is_string() && latest.body.get("@odata.nextLink").is_none()
    );
    for bad in [
        "$top=5",
        "$orderby=displayName",
        "$expand=manager",
        "$deltatoken=bogus",
    ] {
        assert_eq!(
            env.graph("GET", &format!("/v1.0/users/delta?{bad}"), None)
                .await
                .status,
            400,
            "{bad}"
        );
    }
}
