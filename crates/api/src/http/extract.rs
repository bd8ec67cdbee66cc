//! The framework's extractor failures (bad JSON, bad query, bad path, oversized body) answered
//! as problem+json like every other error.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{web, HttpRequest};

use crate::error::FieldError;
use crate::ApiError;

pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |error, _req: &HttpRequest| json_error(error, limit).into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _req| query_error(error).into())
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error, _req| path_error(error).into())
}

fn json_error(error: JsonPayloadError, limit: usize) -> ApiError {
    match error {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::PayloadTooLarge { limit }
        }
        JsonPayloadError::ContentType => {
            ApiError::UnsupportedMediaType("send the body as Content-Type: application/json".into())
        }
        JsonPayloadError::Deserialize(e) => deserialize_error(&e),
        other => ApiError::BadRequest(format!("cannot read the request body: {other}")),
    }
}

/// A body that is JSON but not of the operation's shape (422, naming the field serde names), or
/// not JSON at all (400).
pub fn deserialize_error(e: &serde_json::Error) -> ApiError {
    if e.is_data() {
        ApiError::Validation(vec![FieldError::new(
            field_of(&e.to_string()),
            clean(&e.to_string()),
        )])
    } else {
        ApiError::BadRequest(format!("malformed JSON: {e}"))
    }
}

fn query_error(error: QueryPayloadError) -> ApiError {
    match error {
        QueryPayloadError::Deserialize(e) => {
            ApiError::BadRequest(format!("invalid query parameter: {e}"))
        }
        other => ApiError::BadRequest(format!("invalid query: {other}")),
    }
}

fn path_error(error: PathError) -> ApiError {
    match error {
        PathError::Deserialize(e) => ApiError::BadRequest(format!("invalid path parameter: {e}")),
        other => ApiError::BadRequest(format!("invalid path: {other}")),
    }
}

/// The field a serde message talks about: "missing field `name`", "unknown variant `x`" (no
/// field named: `body`).
fn field_of(message: &str) -> String {
    for marker in ["missing field `", "unknown field `", "duplicate field `"] {
        if let Some(rest) = message.split(marker).nth(1) {
            if let Some(name) = rest.split('`').next() {
                return name.to_owned();
            }
        }
    }
    "body".into()
}

/// Drops serde's " at line 1 column 42" suffix, which means nothing to an API client.
fn clean(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(pos) => message[..pos].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_of_serde_messages() {
        assert_eq!(field_of("missing field `name` at line 1 column 2"), "name");
        assert_eq!(field_of("unknown variant `x`, expected one of `a`"), "body");
        assert_eq!(
            clean("missing field `name` at line 1 column 2"),
            "missing field `name`"
        );
    }
}
