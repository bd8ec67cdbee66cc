//! The partner document (issue 15 item 4) holds exactly what a partner token may call: its
//! list agrees with the permission table, and every operation it leaves out refuses a token
//! holding every scope.

use std::collections::BTreeSet;

use kim_api::openapi::partner::{scopes_granting, PARTNER_OPERATIONS};
use kim_domain::event::EventType;
use kim_domain::permission::scope_actions;
use kim_domain::Scope;
use kim_tests::{backend_tests, Method, StatusCode, TestApp};
use serde_json::{json, Value};

use crate::referrals::{partner, JOBCENTER};

backend_tests!(operations_left_out_refuse_a_token_with_every_scope);

fn partner_document() -> Value {
    kim_api::openapi::partner::document(&kim_api::openapi::document())
}

/// (method, path, operation id) of every operation of `document`.
fn operations(document: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            if let Some(id) = op["operationId"].as_str() {
                out.push((method.clone(), path.clone(), id.to_owned()));
            }
        }
    }
    out
}

/// Fails when `openapi/partner.json` differs from what the code generates: run `make openapi`.
#[test]
fn committed_partner_document_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/partner.json");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    let generated = kim_api::openapi::partner_document_json().expect("render");
    assert!(
        committed == generated,
        "openapi/partner.json is stale: run `make openapi` and commit it"
    );
}

#[test]
fn the_partner_operations_are_what_the_permission_table_grants_tokens() {
    let document = partner_document();
    let listed: BTreeSet<&str> = PARTNER_OPERATIONS.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        listed.len(),
        PARTNER_OPERATIONS.len(),
        "an operation listed twice"
    );
    let documented: BTreeSet<String> = operations(&document)
        .into_iter()
        .map(|(_, _, id)| id)
        .collect();
    let listed_owned: BTreeSet<String> = listed.iter().map(|s| (*s).to_owned()).collect();
    // Every listed operation exists in the full document, and nothing else is in the partner's.
    assert_eq!(documented, listed_owned);

    // Each operation needs an action some scope grants ...
    for (id, action) in PARTNER_OPERATIONS {
        assert!(
            !scopes_granting(*action).is_empty(),
            "{id}: no scope grants {action}"
        );
    }
    // ... and every action a scope grants has an operation to use it.
    let used: BTreeSet<_> = PARTNER_OPERATIONS.iter().map(|(_, a)| *a).collect();
    for scope in Scope::ALL {
        for action in scope_actions(*scope) {
            assert!(
                used.contains(action),
                "{scope} grants {action}, which no operation uses"
            );
        }
    }
}

#[test]
fn the_partner_document_offers_only_the_partner_scheme_and_every_webhook() {
    let document = partner_document();
    assert_eq!(
        document["components"]["securitySchemes"]
            .as_object()
            .expect("schemes")
            .keys()
            .collect::<Vec<_>>(),
        ["partner"]
    );
    for (method, path, _) in operations(&document) {
        assert_eq!(
            document["paths"][&path][&method]["security"],
            json!([{"partner": []}]),
            "{method} {path}"
        );
    }
    let webhooks = document["webhooks"].as_object().expect("webhooks");
    let names: BTreeSet<&str> = webhooks.keys().map(String::as_str).collect();
    let types: BTreeSet<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
    assert_eq!(names, types);
    for (name, hook) in webhooks {
        let post = &hook["post"];
        assert_eq!(
            post["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/EventMessage",
            "{name}"
        );
        let headers: Vec<&str> = post["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(
            headers,
            ["webhook-id", "webhook-timestamp", "webhook-signature"]
        );
    }
    // Every reference resolves within the document.
    let text = document.to_string();
    for (start, _) in text.match_indices("\"$ref\":\"#/components/") {
        let rest = &text[start + "\"$ref\":\"#/components/".len()..];
        let reference = &rest[..rest.find('"').expect("end")];
        let (section, name) = reference.split_once('/').expect("section/name");
        assert!(
            document["components"][section].get(name).is_some(),
            "unresolved #/components/{reference}"
        );
    }
    // The guide explains the signature and the feed.
    let guide = document["info"]["description"].as_str().expect("guide");
    for needed in [
        "webhook-signature",
        "HMAC-SHA256",
        "Idempotency-Key",
        "/api/v1/events",
    ] {
        assert!(guide.contains(needed), "guide names {needed}");
    }
}

/// A path with every `{param}` replaced by 1, an existing id in the demo data where there is one.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').expect("closing brace") + open;
        out.push('1');
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

async fn operations_left_out_refuse_a_token_with_every_scope(app: TestApp) {
    let every_scope: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
    let token = partner(&app, JOBCENTER, json!(every_scope)).await;
    let full = kim_api::openapi::document();
    let kept: BTreeSet<String> = PARTNER_OPERATIONS
        .iter()
        .map(|(id, _)| (*id).to_owned())
        .collect();
    let mut checked = 0;
    for (method, path, id) in operations(&full) {
        let op = &full["paths"][&path][&method];
        let public = op["security"].as_array().is_some_and(|s| {
            s.iter()
                .all(|r| r.as_object().is_some_and(|o| o.is_empty()))
        });
        if public {
            continue; // login, the token endpoint and health take no token at all
        }
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let mut request = app.request(method.clone(), &concrete(&path), Some(&token));
        if method != Method::GET && method != Method::DELETE {
            request = request.json(&json!({}));
        }
        let status = request
            .header("If-Match", "\"1\"")
            .send()
            .await
            .expect("send")
            .status();
        if kept.contains(&id) {
            assert!(
                status != StatusCode::UNAUTHORIZED
                    && (method != Method::GET || status != StatusCode::FORBIDDEN),
                "{id}: a partner operation refused the token ({status})"
            );
        } else {
            // Left out: never done for the token. A read answers 403 or, for an object it
            // may not see, 404.
            assert!(
                !status.is_success(),
                "{id} ({method} {path}) answered {status} to a partner token"
            );
            if method == Method::GET {
                assert!(
                    status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
                    "{id} ({path}) answered {status} to a partner token"
                );
            }
        }
        checked += 1;
    }
    assert!(checked > 100, "checked {checked} operations");
}

/// Every type the OpenAPI document names has its own name: utoipa keys schemas by the Rust
/// type's name, so two `ToSchema` types called alike in different modules silently replace each
/// other in the document (a merged `programme_documents::FeedbackInput` once replaced the gap
/// feedback's, and the document described a body the server refused).
#[test]
fn no_two_schema_types_share_a_name() {
    fn sources(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("source directory").flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../crates");
    let mut files = Vec::new();
    sources(std::path::Path::new(root), &mut files);
    let mut names: std::collections::HashMap<String, Vec<String>> = Default::default();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("source");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if !(line.contains("#[derive(") && line.contains("ToSchema")) {
                continue;
            }
            // The item follows its attributes; `#[schema(as = …)]` gives it another name.
            let mut renamed = false;
            for next in lines.iter().skip(i + 1).take(12) {
                let next = next.trim();
                if next.starts_with("#[schema(") && next.contains(" as = ") {
                    renamed = true;
                }
                let item = next
                    .strip_prefix("pub struct ")
                    .or_else(|| next.strip_prefix("pub enum "))
                    .or_else(|| next.strip_prefix("struct "))
                    .or_else(|| next.strip_prefix("enum "));
                if let Some(item) = item {
                    let name: String = item
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !renamed {
                        names
                            .entry(name)
                            .or_default()
                            .push(file.display().to_string());
                    }
                    break;
                }
            }
        }
    }
    let twice: Vec<String> = names
        .iter()
        .filter(|(_, files)| files.len() > 1)
        .map(|(name, files)| format!("{name}: {files:?}"))
        .collect();
    assert!(names.len() > 100, "schema types found: {}", names.len());
    assert!(twice.is_empty(), "schema types named alike: {twice:#?}");
}
