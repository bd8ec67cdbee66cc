//! Rules that hold for every operation alike, written into the document once here rather than
//! repeated in each handler's annotation: what `If-Match` accepts, that every operation taking
//! input may answer 400, and the links from each create operation to the object it created
//! (which clients and the stateful tests follow).

use serde_json::{json, Map, Value};

/// An `If-Match` value the server parses (crate::http::precondition): `*`, or a list of entity
/// tags (RFC 9110 §8.8.3), strong or weak, with empty list elements allowed.
pub const IF_MATCH_PATTERN: &str =
    r#"^[ \t]*(\*|(,[ \t]*)*(W/)?"[!#-~]*"([ \t]*,([ \t]*(W/)?"[!#-~]*")?)*)[ \t]*$"#;

const IF_MATCH_DESCRIPTION: &str = "The `ETag` of the version you edited, e.g. `\"3\"`. A list \
of entity tags is accepted; the change applies only when one of them names the current version \
by strong comparison. `*`, weak tags (`W/\"3\"`) and tags this API did not issue never match \
(412); a value that is not an entity tag answers 400.";

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Applies every rule to the document.
pub fn apply(document: &mut Value) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let links = create_links(paths);
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            let Some(operation) = item.get_mut(method).and_then(Value::as_object_mut) else {
                continue;
            };
            describe_headers(operation);
            document_bad_request(operation);
            document_paging_errors(operation);
            if path.contains('{') {
                document_not_found(operation);
            }
            if method == "post" {
                if let Some(links) = links.get(path) {
                    add_links(operation, links.clone());
                }
            }
        }
    }
}

/// An `Idempotency-Key` the server accepts (crate::routes::referrals): 1 to 255 visible ASCII
/// characters.
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]{1,255}$";

fn describe_headers(operation: &mut Map<String, Value>) {
    let Some(parameters) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for parameter in parameters.iter_mut().filter(|p| p["in"] == "header") {
        if parameter["name"] == "If-Match" {
            parameter["schema"] = json!({"type": "string", "pattern": IF_MATCH_PATTERN});
            parameter["description"] = json!(IF_MATCH_DESCRIPTION);
            parameter["example"] = json!("\"1\"");
        } else if parameter["name"] == "Idempotency-Key" {
            parameter["schema"] = json!({"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN});
        }
    }
}

/// An id in the path that names no object the caller may see answers 404, on every operation.
fn document_not_found(operation: &mut Map<String, Value>) {
    if let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    {
        responses
            .entry("404")
            .or_insert_with(|| json!({"$ref": "#/components/responses/NotFound"}));
    }
}

/// A list's `limit` and `offset` out of their range answer 422 naming the parameter.
fn document_paging_errors(operation: &mut Map<String, Value>) {
    let paged = operation
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|ps| {
            ps.iter()
                .any(|p| p["in"] == "query" && (p["name"] == "limit" || p["name"] == "offset"))
        });
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if paged && !responses.contains_key("422") {
        responses.insert(
            "422".into(),
            json!({"$ref": "#/components/responses/Unprocessable"}),
        );
    }
}

/// A path, query or header value that cannot be read as the type documented (an id beyond 64
/// bits, a malformed `If-Match`) or a body that is not JSON answers 400 on every operation.
fn document_bad_request(operation: &mut Map<String, Value>) {
    let takes_input = operation
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|p| !p.is_empty())
        || operation.contains_key("requestBody");
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if takes_input && !responses.contains_key("400") {
        responses.insert(
            "400".into(),
            json!({"$ref": "#/components/responses/BadRequest"}),
        );
    }
}

/// For each create operation (`POST` answering 201 with an object that has an `id`), the
/// operations on the created object: `POST /offers` → `/offers/{id}`, and for objects created
/// under their parent, `POST /cases/{id}/goals` → `/goals/{id}`.
fn create_links(paths: &Map<String, Value>) -> std::collections::HashMap<String, Value> {
    let mut links = std::collections::HashMap::new();
    for (path, item) in paths {
        let creates = item
            .get("post")
            .and_then(|post| post.get("responses"))
            .and_then(|responses| responses.get("201"))
            .is_some();
        if !creates {
            continue;
        }
        let own = format!("{path}/{{id}}");
        let by_name = path
            .rsplit('/')
            .next()
            .map(|last| format!("/api/v1/{last}/{{id}}"));
        let Some(target) = [Some(own), by_name]
            .into_iter()
            .flatten()
            .find(|candidate| candidate != path && paths.contains_key(candidate))
        else {
            continue;
        };
        let mut operation_links = Map::new();
        for method in ["get", "put", "delete"] {
            let Some(operation) = paths[&target].get(method) else {
                continue;
            };
            let Some(operation_id) = operation.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let mut parameters = Map::new();
            parameters.insert("id".into(), json!("$response.body#/id"));
            let takes_if_match = operation
                .get("parameters")
                .and_then(Value::as_array)
                .is_some_and(|ps| ps.iter().any(|p| p["name"] == "If-Match"));
            if takes_if_match {
                parameters.insert("header.If-Match".into(), json!("$response.header.ETag"));
            }
            let name = format!("{}{}", method[..1].to_uppercase(), &method[1..]) + "Created";
            operation_links.insert(
                name,
                json!({
                    "operationId": operation_id,
                    "parameters": parameters,
                    "description": format!("{} the object just created", method.to_uppercase()),
                }),
            );
        }
        if !operation_links.is_empty() {
            links.insert(path.clone(), Value::Object(operation_links));
        }
    }
    links
}

fn add_links(operation: &mut Map<String, Value>, links: Value) {
    if let Some(created) = operation
        .get_mut("responses")
        .and_then(|r| r.get_mut("201"))
        .and_then(Value::as_object_mut)
    {
        if !created.contains_key("$ref") {
            created.insert("links".into(), links);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::apply;

    #[test]
    fn create_operations_link_to_the_created_object() {
        let mut document = json!({"paths": {
            "/api/v1/cases/{id}/goals": {"post": {"operationId": "create_goal",
                "parameters": [{"name": "id", "in": "path"}],
                "responses": {"201": {"description": "Created"}}}},
            "/api/v1/goals/{id}": {
                "get": {"operationId": "get_goal", "responses": {}},
                "put": {"operationId": "update_goal", "responses": {},
                    "parameters": [{"name": "If-Match", "in": "header", "schema": {"type": "string"}}]}
            }
        }});
        apply(&mut document);
        let links =
            &document["paths"]["/api/v1/cases/{id}/goals"]["post"]["responses"]["201"]["links"];
        assert_eq!(links["GetCreated"]["operationId"], "get_goal");
        assert_eq!(
            links["GetCreated"]["parameters"]["id"],
            "$response.body#/id"
        );
        assert_eq!(
            links["PutCreated"]["parameters"]["header.If-Match"],
            "$response.header.ETag"
        );
        let put = &document["paths"]["/api/v1/goals/{id}"]["put"];
        assert!(put["parameters"][0]["schema"]["pattern"].is_string());
        assert_eq!(
            put["responses"]["400"]["$ref"],
            "#/components/responses/BadRequest"
        );
        assert!(document["paths"]["/api/v1/goals/{id}"]["get"]["responses"]
            .get("400")
            .is_none());
    }

    #[test]
    fn the_if_match_pattern_agrees_with_the_parser() {
        let pattern = regex_lite::Regex::new(super::IF_MATCH_PATTERN).expect("pattern");
        let examples = [
            "\"3\"",
            "W/\"3\"",
            "*",
            " * ",
            "\"a\", W/\"b\"",
            ", \"3\"",
            "\"3\",",
            "\"\"",
            ",\t W/\"a,b\" ,\t\"7\"",
            "",
            "3",
            "\"3",
            "*, \"3\"",
            "'3'",
            "\"a b\"",
            ",",
            "W/3",
            "\"a\"\"b\"",
            "\"a\" x",
            "w/\"3\"",
        ];
        for example in examples {
            assert_eq!(
                pattern.is_match(example),
                crate::http::precondition::is_well_formed(example),
                "{example:?}"
            );
        }
    }
}
