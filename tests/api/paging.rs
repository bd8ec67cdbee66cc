//! Paging bounds on every list (issue 10 item 8): an offset beyond 1,000,000 — however large,
//! also beyond 64 bits — is 422 naming `offset`, never a 500 or an overflow; the deepest
//! allowed offset answers an empty page.

use kim_domain::{Role, Scope};
use kim_tests::{assert_problem, backend_tests, error_fields, StatusCode, TestApp};
use serde_json::{json, Value};

use crate::referrals::{partner, JOBCENTER};

backend_tests!(
    huge_offsets_are_422_naming_offset_on_every_list,
    the_deepest_allowed_offset_answers_an_empty_page,
);

const HUGE: [&str; 3] = [
    "9223372036854775807",
    "9223372036854775808",
    "99999999999999999999999999",
];

/// Every documented GET operation that takes `offset`, path parameters filled with 1.
async fn lists_with_offset(app: &TestApp) -> Vec<String> {
    let document: Value = app
        .client
        .get(app.url("/api-docs/openapi.json"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let mut paths = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        let takes_offset = item["get"]["parameters"].as_array().is_some_and(|ps| {
            ps.iter()
                .any(|p| p["name"] == "offset" && p["in"] == "query")
        });
        if takes_offset {
            let filled: Vec<String> = path
                .split('/')
                .map(|part| {
                    if part.starts_with('{') {
                        "1".to_owned()
                    } else {
                        part.to_owned()
                    }
                })
                .collect();
            paths.push(filled.join("/"));
        }
    }
    paths
}

async fn tokens(app: &TestApp) -> Vec<(String, String)> {
    let mut tokens = Vec::new();
    for role in Role::ALL {
        tokens.push((role.as_str().to_owned(), app.token(role.as_str()).await));
    }
    let scopes: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
    tokens.push((
        "partner".into(),
        partner(app, JOBCENTER, json!(scopes)).await,
    ));
    tokens
}

async fn huge_offsets_are_422_naming_offset_on_every_list(app: TestApp) {
    let lists = lists_with_offset(&app).await;
    assert!(lists.len() >= 20, "found only {lists:?}");
    let tokens = tokens(&app).await;
    let mut refused = std::collections::BTreeSet::new();
    for path in &lists {
        for (who, token) in &tokens {
            for offset in HUGE {
                let url = format!("{path}?offset={offset}");
                let response = app.get(&url, token).await;
                let status = response.status();
                match status {
                    StatusCode::UNPROCESSABLE_ENTITY => {
                        let problem = assert_problem(response, status).await;
                        assert_eq!(error_fields(&problem), vec!["offset"], "{who} {url}");
                        refused.insert(path.clone());
                    }
                    // Refused before the paging is looked at: the caller may not list this.
                    StatusCode::FORBIDDEN | StatusCode::NOT_FOUND => {}
                    other => panic!("{who} GET {url}: {other}"),
                }
            }
        }
    }
    // Every list with no id in its path refuses the offset for someone who may read it.
    for path in lists.iter().filter(|p| !p.contains("/1")) {
        assert!(refused.contains(path), "nobody got 422 from {path}");
    }
    // Negative ones too, however large.
    let manager = app.token("case_manager").await;
    for offset in ["-1", "-99999999999999999999999999"] {
        let problem = assert_problem(
            app.get(&format!("/api/v1/cases?offset={offset}"), &manager)
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), vec!["offset"]);
    }
    // What is not a number at all stays a malformed request.
    assert_problem(
        app.get("/api/v1/cases?offset=many", &manager).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

async fn the_deepest_allowed_offset_answers_an_empty_page(app: TestApp) {
    for (role, path) in [
        ("case_manager", "/api/v1/cases"),
        ("case_manager", "/api/v1/bodies"),
        ("case_manager", "/api/v1/gaps"),
        ("admin", "/api/v1/municipalities"),
        ("data_protection_officer", "/api/v1/audit-events"),
        ("immigration_officer", "/api/v1/residence-requests"),
    ] {
        let token = app.token(role).await;
        let response = app
            .get(&format!("{path}?offset=1000000&limit=200"), &token)
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let page: Value = response.json().await.expect("json");
        assert_eq!(page["items"], json!([]), "{path}");
        assert_eq!(page["offset"], 1_000_000, "{path}");
        assert!(
            page.get("next").is_none_or(Value::is_null),
            "{path}: {page}"
        );
        let problem = assert_problem(
            app.get(&format!("{path}?offset=1000001"), &token).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), vec!["offset"], "{path}");
        assert!(
            problem["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("1000000")),
            "{problem}"
        );
    }
}
