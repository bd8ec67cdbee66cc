//! Optimistic concurrency: a GET returns the version as a strong `ETag` (`"3"`); a change must
//! send it back as `If-Match`, so two editors never silently overwrite each other.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder};

use crate::ApiError;

/// The version the client edited, from `If-Match`. Extraction never fails, so that the
/// handler can check permissions first (403 before 428); [`IfMatch::version`] gives the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfMatch(Option<Option<i32>>);

impl IfMatch {
    pub fn version(&self) -> Result<i32, ApiError> {
        match self.0 {
            None => Err(ApiError::PreconditionRequired),
            Some(Some(version)) => Ok(version),
            Some(None) => Err(ApiError::BadRequest(
                "If-Match must be an ETag from this API, e.g. \"3\"".into(),
            )),
        }
    }
}

fn parse(value: &str) -> Option<i32> {
    let value = value.trim();
    let value = value.strip_prefix("W/").unwrap_or(value);
    value.strip_prefix('"')?.strip_suffix('"')?.parse().ok()
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<IfMatch, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let header = req.headers().get(header::IF_MATCH);
        ready(Ok(IfMatch(
            header.map(|value| value.to_str().ok().and_then(parse)),
        )))
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
    use super::parse;

    #[test]
    fn parses_strong_and_weak_etags() {
        assert_eq!(parse("\"3\""), Some(3));
        assert_eq!(parse("W/\"12\""), Some(12));
        assert_eq!(parse("3"), None);
        assert_eq!(parse("\"x\""), None);
        assert_eq!(parse("*"), None);
    }
}
