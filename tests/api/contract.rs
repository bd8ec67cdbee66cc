//! HTTP semantics the document promises (issue 14 item 2): 405 with `Allow` for a method a path
//! does not have, `OPTIONS`, `If-Match` as RFC 9110 defines it, integers written with a zero
//! fraction, and 422s that say whether the document states the rule they break.

use kim_tests::{assert_problem, backend_tests, Method, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    an_undeclared_method_is_405_with_allow,
    options_lists_the_methods_of_a_path,
    if_match_takes_entity_tag_lists_and_compares_strongly,
    integers_with_a_zero_fraction_are_integers,
    invalid_fields_say_whether_the_document_states_the_rule,
    schema_and_server_agree_on_every_request_body,
);

fn municipality(name: &str) -> Value {
    json!({
        "name": name, "kind": "town", "rhine_side": "right",
        "has_immigration_office": false, "has_youth_office": true, "has_integration_council": false,
        "population": 12000, "foreign_nationals_percent": 9.5
    })
}

async fn an_undeclared_method_is_405_with_allow(app: TestApp) {
    let token = app.token("coordinator").await;
    let trace = app
        .request(Method::TRACE, "/api/v1/municipalities", Some(&token))
        .send()
        .await
        .expect("send");
    assert_eq!(trace.headers()["allow"], "GET, POST, OPTIONS");
    let problem = assert_problem(trace, StatusCode::METHOD_NOT_ALLOWED).await;
    assert_eq!(
        problem["type"],
        "https://kim-api.example/problems/method-not-allowed"
    );
    // A path with a parameter, whatever the id, and without a token: the method decides first.
    let patch = app
        .request(Method::PATCH, "/api/v1/municipalities/999999", None)
        .send()
        .await
        .expect("send");
    assert_eq!(patch.headers()["allow"], "GET, PUT, DELETE, OPTIONS");
    assert_problem(patch, StatusCode::METHOD_NOT_ALLOWED).await;
    // A literal path beside a template (`/gaps/pipeline` beside `/gaps/{id}`) has its own methods.
    let post = app
        .request(Method::POST, "/health/live", None)
        .send()
        .await
        .expect("send");
    assert_eq!(post.headers()["allow"], "GET, OPTIONS");
    assert_problem(post, StatusCode::METHOD_NOT_ALLOWED).await;
    // A path the API does not have stays 404, and nothing was created.
    assert_problem(
        app.request(Method::TRACE, "/api/v1/nothing-here", None)
            .send()
            .await
            .expect("send"),
        StatusCode::NOT_FOUND,
    )
    .await;
    let page: Value = app
        .get("/api/v1/municipalities?limit=200", &token)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(page["total"], 19);
}

async fn options_lists_the_methods_of_a_path(app: TestApp) {
    let options = app
        .request(Method::OPTIONS, "/api/v1/municipalities/3", None)
        .send()
        .await
        .expect("send");
    assert_eq!(options.status(), StatusCode::NO_CONTENT);
    assert_eq!(options.headers()["allow"], "GET, PUT, DELETE, OPTIONS");
}

async fn if_match_takes_entity_tag_lists_and_compares_strongly(app: TestApp) {
    let token = app.token("coordinator").await;
    let created: Value = app
        .post("/api/v1/municipalities", &token, &municipality("Neuburg"))
        .await
        .json()
        .await
        .expect("json");
    let path = format!("/api/v1/municipalities/{}", created["id"]);
    let put = |if_match: &'static str| {
        app.request(Method::PUT, &path, Some(&token))
            .header("If-Match", if_match)
            .json(&municipality("Neuburg am See"))
            .send()
    };
    // Well-formed tags that cannot match by strong comparison: 412, and nothing changes.
    for never in ["*", "W/\"1\"", "\"stale-0\"", "\"1\", \"2\""] {
        let refused = assert_problem(
            put(never).await.expect("send"),
            StatusCode::PRECONDITION_FAILED,
        )
        .await;
        assert!(
            refused["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{never}"
        );
    }
    // Not an entity tag at all: 400.
    for malformed in ["1", "\"1", "'1'"] {
        assert_problem(put(malformed).await.expect("send"), StatusCode::BAD_REQUEST).await;
    }
    let unchanged: Value = app.get(&path, &token).await.json().await.expect("json");
    assert_eq!(
        (unchanged["name"].as_str(), unchanged["version"].as_i64()),
        (Some("Neuburg"), Some(1))
    );
    // A list in which one strong tag names the current version applies the change.
    let changed = put("W/\"x\", \"stale-0\", \"1\"").await.expect("send");
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(changed.headers()["etag"], "\"2\"");
    // The old version now fails as stale, naming the current one.
    let stale = assert_problem(
        put("\"1\"").await.expect("send"),
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert!(stale["detail"]
        .as_str()
        .is_some_and(|d| d.contains("version is 2")));
}

async fn integers_with_a_zero_fraction_are_integers(app: TestApp) {
    let token = app.token("coordinator").await;
    let mut body = municipality("Zehnhausen");
    body["population"] = json!(12000.0);
    let created = app.post("/api/v1/municipalities", &token, &body).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.expect("json");
    assert_eq!(created["population"], 12000);
    // A real fraction is still not an integer.
    body["name"] = json!("Elfhausen");
    body["population"] = json!(12000.5);
    let problem = assert_problem(
        app.post("/api/v1/municipalities", &token, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["errors"][0]["kind"], "schema");
}

async fn invalid_fields_say_whether_the_document_states_the_rule(app: TestApp) {
    let token = app.token("coordinator").await;
    // A rule the document states (a length): kind `schema`.
    let body = municipality("");
    let problem = assert_problem(
        app.post("/api/v1/municipalities", &token, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "name");
    assert_eq!(problem["errors"][0]["kind"], "schema");
    // A rule across fields: kind `rule`.
    let report = app
        .get(
            "/api/v1/reports/cases?from=2026-12-31&to=2026-01-01",
            &token,
        )
        .await;
    let problem = assert_problem(report, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(problem["errors"][0]["kind"], "rule");
    // An id that names nothing: kind `reference`.
    let case_manager = app.token("case_manager").await;
    let problem = assert_problem(
        app.post(
            "/api/v1/gaps",
            &case_manager,
            &json!({"title": "t", "description": "d", "topic": "x",
                "municipality_ids": [999999], "report": {"text": "r"}}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "municipality_ids");
    assert_eq!(problem["errors"][0]["kind"], "reference");
}

/// The document and the server agree on every create operation's body (issue 14 item 1): the
/// documented example is not refused for a rule the document states, and a value that breaks
/// one of the document's rules for a field (a length, a range, a pattern, an enumeration) is
/// refused with 422 naming that field as `schema`.
async fn schema_and_server_agree_on_every_request_body(app: TestApp) {
    let document = kim_api::openapi::document();
    let roles = [
        "coordinator",
        "admin",
        "case_manager",
        "cm_coordinator",
        "ki_lead",
    ];
    let mut tokens = Vec::new();
    for role in roles {
        tokens.push((role, app.token(role).await));
    }
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        let Some(operation) = item.get("post") else {
            continue;
        };
        if path.contains('{') || path == "/api/v1/auth/password" {
            continue;
        }
        let Some(body) = operation["requestBody"]["content"].get("application/json") else {
            continue;
        };
        let name = body["schema"]["$ref"]
            .as_str()
            .and_then(|r| r.rsplit('/').next())
            .expect("a named input type");
        let schema = &document["components"]["schemas"][name];
        let example = body.get("example").unwrap_or(&schema["example"]).clone();
        assert!(example.is_object(), "{name} has an example");
        // The first caller the operation lets in.
        let mut caller = None;
        for (_, token) in &tokens {
            let answer = app.post(path, token, &example).await;
            let status = answer.status();
            if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                continue;
            }
            if status == StatusCode::UNPROCESSABLE_ENTITY {
                let problem: Value = answer.json().await.expect("json");
                let stated: Vec<&Value> = problem["errors"]
                    .as_array()
                    .expect("errors")
                    .iter()
                    .filter(|e| e["kind"] == "schema")
                    .collect();
                assert!(
                    stated.is_empty(),
                    "{name}: its example is refused: {stated:?}"
                );
            }
            // An example naming an object the demo county lacks is looked up before its
            // fields are judged; nothing to learn from it here.
            if status != StatusCode::NOT_FOUND {
                caller = Some(token.clone());
            }
            break;
        }
        let Some(token) = caller else {
            continue;
        };
        for (field, property) in schema["properties"].as_object().expect("properties") {
            let Some(broken) = breaking_value(property) else {
                continue;
            };
            let mut body = example.clone();
            body[field] = broken.clone();
            let problem = assert_problem(
                app.post(path, &token, &body).await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
            assert!(
                problem["errors"]
                    .as_array()
                    .expect("errors")
                    .iter()
                    .any(|e| e["field"] == field.as_str() && e["kind"] == "schema"),
                "{name}.{field} = {broken}: {problem}"
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} documented rules were tried");
}

/// A value the document's schema for one property refuses, if it states a rule a single value
/// can break.
fn breaking_value(property: &Value) -> Option<Value> {
    if let Some(values) = property["enum"].as_array() {
        assert!(!values.contains(&json!("no-such-value")));
        return Some(json!("no-such-value"));
    }
    if let Some(max) = property["maxLength"].as_u64() {
        return Some(json!("x".repeat(max as usize + 1)));
    }
    if property["pattern"].is_string() {
        return Some(json!("   "));
    }
    if let Some(max) = property["maximum"].as_f64() {
        return Some(json!(max + 1.0));
    }
    if let Some(min) = property["minimum"].as_f64() {
        return Some(json!(min - 1.0));
    }
    None
}
