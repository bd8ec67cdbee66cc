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
    if value.trim_matches([' ', '\t']) == "*" {
        return Condition::NeverMatches(
            "If-Match: * is not accepted: send the ETag of the version you edited",
        );
    }
    let Some(tags) = entity_tags(value) else {
        return Condition::Malformed;
    };
    // Weak tags never match by strong comparison; this API's tags are decimal versions.
    let mut versions: Vec<i32> = tags
        .iter()
        .filter(|(weak, opaque)| {
            !weak && !opaque.is_empty() && opaque.bytes().all(|b| b.is_ascii_digit())
        })
        .filter_map(|(_, opaque)| opaque.parse::<i32>().ok())
        .collect();
    versions.sort_unstable();
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

/// The entity tags of a list (`1#entity-tag`, RFC 9110 §8.8.3 and §5.6.1: elements separated
/// by commas and optional whitespace, empty elements allowed), as (weak, opaque value); `None`
/// when the value is not such a list. A comma inside a quoted tag belongs to the tag.
fn entity_tags(value: &str) -> Option<Vec<(bool, &str)>> {
    let bytes = value.as_bytes();
    let mut tags = Vec::new();
    let mut at = 0;
    let skip_blanks = |mut i: usize| {
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
        i
    };
    loop {
        at = skip_blanks(at);
        if at == bytes.len() {
            break;
        }
        if bytes[at] == b',' {
            at += 1;
            continue;
        }
        let weak = value[at..].starts_with("W/");
        if weak {
            at += 2;
        }
        if bytes.get(at) != Some(&b'"') {
            return None;
        }
        let start = at + 1;
        let end = start + bytes[start..].iter().position(|b| *b == b'"')?;
        let opaque = &value[start..end];
        if !opaque.bytes().all(is_etag_char) {
            return None;
        }
        tags.push((weak, opaque));
        at = skip_blanks(end + 1);
        match bytes.get(at) {
            None => break,
            Some(b',') => at += 1,
            Some(_) => return None,
        }
    }
    (!tags.is_empty()).then_some(tags)
}

/// Whether `value` is a well-formed `If-Match` value (400 otherwise); the document's pattern
/// must agree (`openapi::contract`).
#[cfg(test)]
pub(crate) fn is_well_formed(value: &str) -> bool {
    condition(value) != Condition::Malformed
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
        // A comma inside a tag is part of it; tabs are whitespace.
        assert_eq!(
            condition(",\t W/\"a,b\" ,\t\"7\",\"x,\""),
            Condition::Version(7)
        );
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
