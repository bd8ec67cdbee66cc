//! Assertions on RFC 9457 problem documents.

use reqwest::StatusCode;
use serde_json::Value;

/// Asserts a problem+json response with `status`; returns the body.
pub async fn assert_problem(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status, "status of {}", response.url());
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status.as_u16());
    assert!(
        body["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("https://")),
        "type: {body}"
    );
    assert!(
        body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    body
}

/// Where every problem `type` of the API starts; the rest is the slug (`crates/api/src/error.rs`).
pub const PROBLEM_TYPE_BASE: &str = "https://kim-api.example/problems/";

/// Asserts a problem+json response with `status` and the type `PROBLEM_TYPE_BASE` + `slug`
/// (e.g. `"if-match-required"`, `"stale-version"`, `"not-found"`, `"unauthorized"`); returns
/// the body.
pub async fn expect_problem(response: reqwest::Response, status: StatusCode, slug: &str) -> Value {
    let url = response.url().to_string();
    let body = assert_problem(response, status).await;
    assert_eq!(
        body["type"].as_str(),
        Some(format!("{PROBLEM_TYPE_BASE}{slug}").as_str()),
        "problem type of {url}: {body}"
    );
    body
}

/// The fields a 422 names, sorted.
pub fn error_fields(problem: &Value) -> Vec<String> {
    let mut fields: Vec<String> = problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    fields.sort();
    fields
}
