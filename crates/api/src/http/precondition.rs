//! Optimistic concurrency: a GET returns the version as a strong `ETag` (`"3"`); a change must
//! send it back as `If-Match`, so two editors never silently overwrite each other.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder};

use crate::ApiError;

/// The `If-Match` condition of a change (RFC 9110 §13.1.1). Extraction never fails, so that the
/// handler can check permissions first (403 before 428); [`IfMatch::version`] gives the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfMatch(Condition);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Condition {
    /// No `If-Match`: 428.
    Missing,
    /// Not an entity-tag list at all: 400.
    Malformed,
    /// `*`, or a list of which no tag can match by strong comparison (weak tags, tags this API
    /// never issues): 412. `*` is refused too: this API never overwrites unconditionally.
    NeverMatches(&'static str),
    /// Strong tags naming one version of this API's (`"3"`); a list may name it more than once.
    Version(i32),
    /// Strong tags naming different versions: at most one of them is current.
    SeveralVersions,
}

impl IfMatch {
    /// The version the caller edited, or the error the condition answers.
    pub fn version(&self) -> Result<i32, ApiError> {
        match &self.0 {
            Condition::Missing => Err(ApiError::PreconditionRequired),
            Condition::Malformed => Err(ApiError::BadRequest(
                "If-Match must be an entity tag or a list of them, e.g. \"3\"".into(),
            )),
            Condition::NeverMatches(why) => Err(ApiError::PreconditionUnmatched((*why).into())),
            Condition::Version(version) => Ok(*version),
            Condition::SeveralVersions => Err(ApiError::PreconditionUnmatched(
                "If-Match names several versions: send the ETag of the version you edited".into(),
            )),
        }
    }
}

/// An `If-Match` field value: `*` or a comma-separated list of entity tags (RFC 9110 §8.8.3),
/// compared strongly.
fn condition(value: &str) -> Condition {
    let value = value.trim();
    if value == "*" {
        return Condition::NeverMatches(
            "If-Match: * is not accepted: send the ETag of the version you edited",
        );
    }
    let mut versions: Vec<i32> = Vec::new();
    let mut tags = 0;
    // Empty list elements are allowed by the list syntax (RFC 9110 §5.6.1).
    for element in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (weak, opaque) = match element.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, element),
        };
        let Some(inner) = opaque.strip_prefix('"').and_then(|o| o.strip_suffix('"')) else {
            return Condition::Malformed;
        };
        if !inner.bytes().all(is_etag_char) {
            return Condition::Malformed;
        }
        tags += 1;
        // Weak tags never match by strong comparison; this API's tags are decimal versions.
        if !weak && !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()) {
            if let Ok(version) = inner.parse::<i32>() {
                versions.push(version);
            }
        }
    }
    if tags == 0 {
        return Condition::Malformed;
    }
    versions.dedup();
    match versions.as_slice() {
        [] => Condition::NeverMatches(
            "If-Match names no version of this object (weak tags never match): send the ETag of \
             your last GET",
        ),
        [version] => Condition::Version(*version),
        _ => Condition::SeveralVersions,
    }
}

/// `etagc` of RFC 9110: visible ASCII except the double quote, and obs-text.
fn is_etag_char(byte: u8) -> bool {
    byte == 0x21 || (0x23..=0x7e).contains(&byte) || byte >= 0x80
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<IfMatch, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Several `If-Match` fields are one list (RFC 9110 §5.3).
        let mut fields = req.headers().get_all(header::IF_MATCH).peekable();
        let condition = if fields.peek().is_none() {
            Condition::Missing
        } else {
            let values: Option<Vec<&str>> = fields.map(|v| v.to_str().ok()).collect();
            match values {
                Some(values) => condition(&values.join(",")),
                None => Condition::Malformed,
            }
        };
        ready(Ok(IfMatch(condition)))
    }
}

pub fn etag(version: i32) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// A response builder carrying the object's `ETag`.
pub fn with_etag(mut builder: HttpResponseBuilder, version: i32) -> HttpResponseBuilder {
    builder.insert_header((header::ETAG, etag(version)));
    builder
}

/// `200 OK` with JSON body and `ETag`.
pub fn ok_versioned<T: serde::Serialize>(body: &T, version: i32) -> HttpResponse {
    with_etag(HttpResponse::Ok(), version).json(body)
}

/// `201 Created` with JSON body, `ETag` and `Location`.
pub fn created_versioned<T: serde::Serialize>(
    body: &T,
    version: i32,
    location: String,
) -> HttpResponse {
    let mut builder = with_etag(HttpResponse::Created(), version);
    builder.insert_header((header::LOCATION, location));
    builder.json(body)
}

#[cfg(test)]
mod tests {
    use super::{condition, Condition};

    #[test]
    fn a_strong_tag_names_the_version() {
        assert_eq!(condition("\"3\""), Condition::Version(3));
        assert_eq!(condition(" \"12\" "), Condition::Version(12));
        assert_eq!(condition("\"4\", \"4\""), Condition::Version(4));
        assert_eq!(condition("W/\"x\", \"5\""), Condition::Version(5));
        assert_eq!(condition("\"stale-0\", , \"6\""), Condition::Version(6));
    }

    #[test]
    fn well_formed_tags_that_cannot_match_are_412() {
        for value in [
            "*",
            "W/\"3\"",
            "\"stale-0\"",
            "W/\"x\"",
            "\"\"",
            "\"99999999999\"",
        ] {
            assert!(
                matches!(condition(value), Condition::NeverMatches(_)),
                "{value}"
            );
        }
        assert_eq!(condition("\"1\", \"2\""), Condition::SeveralVersions);
    }

    #[test]
    fn anything_else_is_malformed() {
        for value in [
            "", "3", "\"3", "'3'", "\"a\"b\"", "*, \"3\"", ",", "W/3", "\"a b\"",
        ] {
            assert_eq!(condition(value), Condition::Malformed, "{value}");
        }
    }
}
