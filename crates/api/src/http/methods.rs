//! What a request that no route took gets: 405 with `Allow` when its path is one of the API's
//! paths under another method (RFC 9110 §15.5.6), an `OPTIONS` answer listing the methods, or
//! 404 for a path the API does not have.
//!
//! The methods of each path are read from the OpenAPI document the server serves: the route
//! walk in the black-box tests keeps that document and the routes identical, so the `Allow`
//! header can never list a method the server does not answer, nor miss one it does.

use actix_web::dev::ResourceDef;
use actix_web::http::{header, Method};
use actix_web::{HttpRequest, HttpResponse};

use crate::ApiError;

/// One documented path and the methods it takes, as an `Allow` value.
struct PathMethods {
    template: ResourceDef,
    parameters: usize,
    allow: String,
}

/// The documented paths and their methods.
pub struct MethodTable {
    paths: Vec<PathMethods>,
}

const OPERATION_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

impl MethodTable {
    /// The table of an OpenAPI document (its `paths`). A document that does not parse gives an
    /// empty table, so every unrouted request answers 404 as before rather than failing start-up
    /// over a document the tests already check.
    pub fn from_document(document: &str) -> MethodTable {
        let parsed: serde_json::Value = serde_json::from_str(document).unwrap_or_default();
        let mut paths = Vec::new();
        if let Some(items) = parsed.get("paths").and_then(|p| p.as_object()) {
            for (path, item) in items {
                let Some(item) = item.as_object() else {
                    continue;
                };
                let mut methods: Vec<String> = OPERATION_METHODS
                    .iter()
                    .filter(|m| item.contains_key(**m))
                    .map(|m| m.to_uppercase())
                    .collect();
                if methods.is_empty() {
                    continue;
                }
                methods.push("OPTIONS".into());
                paths.push(PathMethods {
                    template: ResourceDef::new(path.as_str()),
                    parameters: path.matches('{').count(),
                    allow: methods.join(", "),
                });
            }
        }
        MethodTable { paths }
    }

    /// The `Allow` value of the documented path `path` matches, if any. Where a literal path
    /// and a template both match (`/gaps/pipeline` and `/gaps/{id}`), the one with fewer
    /// parameters is the path the request names.
    pub fn allowed(&self, path: &str) -> Option<&str> {
        self.paths
            .iter()
            .filter(|p| p.template.is_match(path))
            .min_by_key(|p| p.parameters)
            .map(|p| p.allow.as_str())
    }

    /// The answer to a request no route took.
    pub fn answer(&self, request: &HttpRequest) -> Result<HttpResponse, ApiError> {
        let Some(allow) = self.allowed(request.path()) else {
            return Err(ApiError::NotFound);
        };
        if request.method() == Method::OPTIONS {
            return Ok(HttpResponse::NoContent()
                .insert_header((header::ALLOW, allow.to_owned()))
                .finish());
        }
        Err(ApiError::MethodNotAllowed {
            allow: allow.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::MethodTable;

    const DOCUMENT: &str = r#"{"paths": {
        "/api/v1/gaps": {"get": {}, "post": {}},
        "/api/v1/gaps/{id}": {"get": {}, "put": {}, "delete": {}},
        "/api/v1/gaps/pipeline": {"get": {}}
    }}"#;

    #[test]
    fn lists_the_documented_methods_of_a_path() {
        let table = MethodTable::from_document(DOCUMENT);
        assert_eq!(table.allowed("/api/v1/gaps"), Some("GET, POST, OPTIONS"));
        assert_eq!(
            table.allowed("/api/v1/gaps/17"),
            Some("GET, PUT, DELETE, OPTIONS")
        );
    }

    #[test]
    fn a_literal_path_wins_over_a_template() {
        let table = MethodTable::from_document(DOCUMENT);
        assert_eq!(table.allowed("/api/v1/gaps/pipeline"), Some("GET, OPTIONS"));
    }

    #[test]
    fn an_unknown_path_has_no_methods() {
        let table = MethodTable::from_document(DOCUMENT);
        assert_eq!(table.allowed("/api/v1/nothing"), None);
        assert_eq!(table.allowed("/api/v1/gaps/17/extra"), None);
        assert_eq!(
            MethodTable::from_document("not json").allowed("/api/v1/gaps"),
            None
        );
    }
}
