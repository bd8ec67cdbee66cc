//! Every error the API answers with, as RFC 9457 problem details (`application/problem+json`).
//!
//! Which error goes where:
//! - `BadRequest` (400): the request cannot be parsed: malformed JSON, a query or path value of
//!   the wrong type.
//! - `Unauthorized` (401): no credentials, or credentials that do not check out. The detail never
//!   says which part failed.
//! - `Forbidden` (403): authenticated, but the permission table does not grant the action.
//! - `NotFound` (404): the object does not exist or the caller may not see it.
//! - `Conflict` (409): a duplicate, or an object still in use.
//! - `ConsentMissing` (409, type `consent-missing`): data would leave the case without a valid
//!   consent covering them; `missing_categories` names what is not covered.
//! - `Refused` (409, with its own `type`, e.g. `legal-hold`, `already-erased`): the object's state
//!   forbids the request for a reason the client can act on, named in `detail`.
//! - `MethodNotAllowed` (405): the path exists but not with this method; `Allow` lists the
//!   methods it has.
//! - `PreconditionFailed` (412): `If-Match` names an old version.
//! - `PreconditionUnmatched` (412): `If-Match` is well formed but can match no version (`*`,
//!   weak tags, tags this API never issued).
//! - `PayloadTooLarge` (413), `UnsupportedMediaType` (415).
//! - `Validation` (422): well-formed but invalid fields, each listed.
//! - `PreconditionRequired` (428): a change without `If-Match`.
//! - `LoginLocked` (429, type `login-locked`): too many failed logins for this username; carries
//!   `Retry-After`. Even the right password is refused until then.
//! - `RateLimited` (429, type `rate-limited`): too many login attempts from this client address;
//!   carries `Retry-After`.
//! - `PasswordChangeRequired` (403, type `password-change-required`): an administrator reset the
//!   password; the account must set its own before anything else.
//! - `ConfirmationRequired` (403, type `confirmation-required`): a second person must act first:
//!   a partner token whose access change is not confirmed yet, or a person deciding an access
//!   change they asked for or that concerns their own account.
//! - `Overloaded` (503, type `overloaded`): the password-hashing queue is full; `Retry-After`.
//! - `Unavailable` (503): the database cannot be reached.
//! - `Internal` (500): a bug; logged with the request id, never shown to the client.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use kim_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::telemetry::RequestContext;

mod domain;
pub mod error_sets;
pub mod responses;

/// One invalid field.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field, as named in the request (`name`, `municipality_ids`, `limit`).
    #[schema(example = "name")]
    pub field: String,
    /// What is wrong and what is accepted.
    #[schema(example = "must not be empty")]
    pub message: String,
    pub kind: FieldErrorKind,
}

/// Could the client have known beforehand? `schema`: the value breaks a rule this document
/// states (type, format, length, range, enumeration, pattern); a client that validates against
/// the document never sees it. `rule`: a rule across fields or over stored state, named in the
/// operation's description (an end before its start; a move the object's state does not allow
/// with this input). `reference`: the value names an object that does not exist or that the
/// caller may not see.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FieldErrorKind {
    Schema,
    Rule,
    Reference,
}

impl From<kim_domain::field::FieldErrorKind> for FieldErrorKind {
    fn from(kind: kim_domain::field::FieldErrorKind) -> Self {
        use kim_domain::field::FieldErrorKind as Domain;
        match kind {
            Domain::Schema => FieldErrorKind::Schema,
            Domain::Rule => FieldErrorKind::Rule,
            Domain::Reference => FieldErrorKind::Reference,
        }
    }
}

impl FieldError {
    /// A value that breaks a rule the document states.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError::of_kind(FieldErrorKind::Schema, field, message)
    }

    /// A rule across fields or over stored state.
    pub fn rule(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError::of_kind(FieldErrorKind::Rule, field, message)
    }

    /// An unknown (or invisible) object named by the field.
    pub fn reference(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError::of_kind(FieldErrorKind::Reference, field, message)
    }

    fn of_kind(kind: FieldErrorKind, field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
            kind,
        }
    }
}

impl From<kim_domain::survey::Invalid> for FieldError {
    fn from(error: kim_domain::survey::Invalid) -> Self {
        FieldError::of_kind(error.kind.into(), error.field, error.message)
    }
}

impl From<kim_domain::field::FieldError> for FieldError {
    fn from(error: kim_domain::field::FieldError) -> Self {
        FieldError::of_kind(error.kind.into(), error.field, error.message)
    }
}

/// Problem details (RFC 9457). Every error response of this API has this shape.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://kim-api.example/problems/validation",
    "title": "Invalid fields",
    "status": 422,
    "detail": "2 fields are invalid",
    "instance": "/api/v1/municipalities",
    "request_id": "9b2f6c1e-2a8f-4a51-9d0e-0a6a5f3b8c11",
    "errors": [{"field": "name", "message": "must not be empty", "kind": "schema"}]
}))]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this occurrence.
    pub detail: String,
    /// The request path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The request id, also in the `X-Request-Id` header and the server log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The invalid fields (422 only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The data categories no valid consent releases (`consent-missing` only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(example = json!(["residence_status"]))]
    pub missing_categories: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("{detail}")]
    ConsentMissing {
        detail: String,
        missing_categories: Vec<String>,
    },
    #[error("{detail}")]
    Refused {
        slug: &'static str,
        title: &'static str,
        detail: String,
    },
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    #[error("stale version")]
    PreconditionFailed { current: i32 },
    #[error("{0}")]
    PreconditionUnmatched(String),
    #[error("If-Match required")]
    PreconditionRequired,
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("invalid fields")]
    Validation(Vec<FieldError>),
    #[error("login locked")]
    LoginLocked { retry_after_seconds: u64 },
    #[error("rate limited")]
    RateLimited { retry_after_seconds: u64 },
    #[error("password change required")]
    PasswordChangeRequired,
    #[error("{0}")]
    ConfirmationRequired(String),
    #[error("overloaded")]
    Overloaded { retry_after_seconds: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// 422: one field breaks a rule the document states.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    /// 422: one field breaks a rule across fields or over stored state.
    pub fn rule(field: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::rule(field, message)])
    }

    /// 422: one field names an object that does not exist or that the caller may not see.
    pub fn reference(field: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::reference(field, message)])
    }

    /// 422 with the fields in the order the rule reported them (the `From` conversion of a
    /// list sorts them by name).
    pub fn fields_in_order(errors: Vec<kim_domain::field::FieldError>) -> Self {
        ApiError::Validation(errors.into_iter().map(FieldError::from).collect())
    }

    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::BadRequest(_) => ("bad-request", "Malformed request"),
            ApiError::Unauthorized(_) => ("unauthorized", "Authentication required"),
            ApiError::Forbidden(_) => ("forbidden", "Not allowed"),
            ApiError::NotFound => ("not-found", "Not found"),
            ApiError::Conflict(_) => ("conflict", "Conflict"),
            ApiError::ConsentMissing { .. } => ("consent-missing", "Consent missing"),
            ApiError::Refused { slug, title, .. } => (slug, title),
            ApiError::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            ApiError::PreconditionFailed { .. } => ("stale-version", "Version has changed"),
            ApiError::PreconditionUnmatched(_) => ("precondition-failed", "Precondition failed"),
            ApiError::PreconditionRequired => ("if-match-required", "If-Match required"),
            ApiError::PayloadTooLarge { .. } => ("payload-too-large", "Request body too large"),
            ApiError::UnsupportedMediaType(_) => {
                ("unsupported-media-type", "Unsupported media type")
            }
            ApiError::Validation(_) => ("validation", "Invalid fields"),
            ApiError::LoginLocked { .. } => ("login-locked", "Login locked"),
            ApiError::RateLimited { .. } => ("rate-limited", "Too many requests"),
            ApiError::PasswordChangeRequired => {
                ("password-change-required", "Password change required")
            }
            ApiError::ConfirmationRequired(_) => (
                "confirmation-required",
                "Confirmation by a second person required",
            ),
            ApiError::Overloaded { .. } => ("overloaded", "Server busy"),
            ApiError::Unavailable(_) => ("unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("internal", "Internal server error"),
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::BadRequest(d)
            | ApiError::Unauthorized(d)
            | ApiError::Forbidden(d)
            | ApiError::Conflict(d)
            | ApiError::ConfirmationRequired(d)
            | ApiError::PreconditionUnmatched(d)
            | ApiError::UnsupportedMediaType(d)
            | ApiError::ConsentMissing { detail: d, .. }
            | ApiError::Refused { detail: d, .. } => d.clone(),
            ApiError::NotFound => "no such object, or you may not see it".into(),
            ApiError::MethodNotAllowed { allow } => {
                format!("this path does not take that method; it takes {allow}")
            }
            ApiError::PreconditionFailed { current } => format!(
                "the object was changed by someone else; its current version is {current}: \
                 reload it and apply your change again"
            ),
            ApiError::PreconditionRequired => {
                "send the version you edited as If-Match (the ETag of your last GET)".into()
            }
            ApiError::PayloadTooLarge { limit } => {
                format!("the request body exceeds the limit of {limit} bytes")
            }
            ApiError::Validation(errors) => match errors.len() {
                1 => "1 field is invalid".into(),
                n => format!("{n} fields are invalid"),
            },
            ApiError::LoginLocked {
                retry_after_seconds,
            } => format!(
                "too many failed logins for this username; try again in {retry_after_seconds} seconds"
            ),
            ApiError::RateLimited {
                retry_after_seconds,
            } => format!(
                "too many login attempts from your address; try again in {retry_after_seconds} seconds"
            ),
            ApiError::PasswordChangeRequired => "your password was reset: set your own with \
                 POST /api/v1/auth/password before doing anything else"
                .into(),
            ApiError::Overloaded {
                retry_after_seconds,
            } => format!(
                "too many logins are being checked; try again in {retry_after_seconds} seconds"
            ),
            ApiError::Unavailable(_) => "the database is unavailable; try again shortly".into(),
            ApiError::Internal(_) => {
                "an unexpected error occurred; it has been logged with the request id".into()
            }
        }
    }

    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_and_title();
        let context = RequestContext::current();
        Problem {
            problem_type: format!("https://kim-api.example/problems/{slug}"),
            title: title.into(),
            status: self.status_code().as_u16(),
            detail: self.detail(),
            instance: context.as_ref().map(|c| c.path.clone()),
            request_id: context.map(|c| c.shown_id().to_owned()),
            errors: match self {
                ApiError::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
            missing_categories: match self {
                ApiError::ConsentMissing {
                    missing_categories, ..
                } => missing_categories.clone(),
                _ => Vec::new(),
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) | ApiError::ConsentMissing { .. } | ApiError::Refused { .. } => {
                StatusCode::CONFLICT
            }
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PreconditionFailed { .. } | ApiError::PreconditionUnmatched(_) => {
                StatusCode::PRECONDITION_FAILED
            }
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::LoginLocked { .. } | ApiError::RateLimited { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::PasswordChangeRequired | ApiError::ConfirmationRequired(_) => {
                StatusCode::FORBIDDEN
            }
            ApiError::Overloaded { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => tracing::error!(%cause, "internal error"),
            ApiError::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        match self {
            ApiError::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"kim\""));
            }
            ApiError::LoginLocked {
                retry_after_seconds,
            }
            | ApiError::RateLimited {
                retry_after_seconds,
            }
            | ApiError::Overloaded {
                retry_after_seconds,
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after_seconds.to_string()));
            }
            ApiError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
            }
            ApiError::MethodNotAllowed { allow } => {
                if let Ok(value) = HeaderValue::from_str(allow) {
                    response.insert_header((header::ALLOW, value));
                }
            }
            _ => {}
        }
        response.json(self.problem())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::StaleVersion { current } => ApiError::PreconditionFailed { current },
            StoreError::Duplicate { field: Some(field) } => {
                ApiError::Conflict(format!("an object with this {field} already exists"))
            }
            StoreError::Duplicate { field: None } => ApiError::Conflict("already exists".into()),
            StoreError::InUse(why) => ApiError::Conflict(format!("still in use: {why}")),
            StoreError::UnknownReference { field, message } => ApiError::reference(field, message),
            StoreError::IllegalTransition(refused) => ApiError::Conflict(refused.to_string()),
            StoreError::Conflict(why) => ApiError::Conflict(why),
            // The store checks these against stored data: never visible in the document.
            StoreError::Invalid { field, message } => ApiError::rule(field, message),
            StoreError::Unavailable(cause) => ApiError::Unavailable(cause),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        ApiError::Validation(sorted_fields(&errors))
    }
}

fn sorted_fields(errors: &validator::ValidationErrors) -> Vec<FieldError> {
    let mut fields: Vec<FieldError> = Vec::new();
    collect_validation_errors("", errors, &mut fields);
    fields.sort_by(|a, b| a.field.cmp(&b.field));
    fields
}

/// Every field the `validator` derive refuses, sorted by name, for a handler that adds its own
/// checks and answers all of them in one 422.
pub fn invalid_fields(input: &impl validator::Validate) -> Vec<FieldError> {
    match input.validate() {
        Ok(()) => Vec::new(),
        Err(errors) => sorted_fields(&errors),
    }
}

fn collect_validation_errors(
    prefix: &str,
    errors: &validator::ValidationErrors,
    out: &mut Vec<FieldError>,
) {
    use validator::ValidationErrorsKind;
    for (field, kind) in errors.errors() {
        let name = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    out.push(FieldError::new(name.clone(), validation_message(e)));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect_validation_errors(&name, inner, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect_validation_errors(&format!("{name}[{index}]"), inner, out);
                }
            }
        }
    }
}

/// The message a client reads for one refused field. A text's upper bound is written once, as
/// `#[validate(length(max = N))]`, and worded here, so the ninety-odd text fields all say it
/// alike; every other check (and a list's `length`) carries its own message.
fn validation_message(error: &validator::ValidationError) -> String {
    if let Some(message) = &error.message {
        return message.to_string();
    }
    match (error.code.as_ref(), error.params.get("max")) {
        ("length", Some(max)) if !error.params.contains_key("min") => {
            format!("must be at most {max} characters")
        }
        _ => format!("is invalid ({})", error.code),
    }
}

/// An id in the request body (not the path) that names nothing the caller may see: 422
/// `reference` on that field, where the lookup itself answers 404. For the results of store
/// lookups (`StoreError::NotFound`) and of access checks that hide what the caller may not
/// see (`ApiError::NotFound`); every other error passes through. Inside a store transaction
/// that answers `StoreError`, [`StoreError::on_reference`] does the same.
pub trait OrUnknown<T> {
    fn or_unknown(self, field: &'static str, message: impl Into<String>) -> Result<T, ApiError>;
}

impl<T> OrUnknown<T> for Result<T, StoreError> {
    fn or_unknown(self, field: &'static str, message: impl Into<String>) -> Result<T, ApiError> {
        self.map_err(|e| e.on_reference(field, message).into())
    }
}

impl<T> OrUnknown<T> for Result<T, ApiError> {
    fn or_unknown(self, field: &'static str, message: impl Into<String>) -> Result<T, ApiError> {
        self.map_err(|e| match e {
            ApiError::NotFound => ApiError::reference(field, message),
            other => other,
        })
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        ApiError::Internal("blocking task was cancelled".into())
    }
}

#[cfg(test)]
mod tests {
    use actix_web::ResponseError;
    use kim_domain::gap::{GapStage, GapStep, GapStepError};

    use super::*;

    #[test]
    fn gap_step_refusals_map_to_their_statuses() {
        let status = |e: GapStepError| ApiError::from(e).status_code().as_u16();
        assert_eq!(
            status(GapStepError::WrongRole {
                step: GapStep::Close
            }),
            403
        );
        assert_eq!(status(GapStepError::NotInMandatedGroup), 403);
        assert_eq!(
            status(GapStepError::NotNow {
                step: GapStep::Close,
                stage: GapStage::Reported,
                allowed: vec![]
            }),
            409
        );
        assert_eq!(status(GapStepError::Conflict("x".into())), 409);
        assert_eq!(status(GapStepError::Invalid(vec![])), 422);
    }

    #[test]
    fn an_unknown_reference_is_422_on_its_field_and_other_errors_pass() {
        let unknown: Result<(), StoreError> = Err(StoreError::NotFound);
        match unknown.or_unknown("gap_id", "no gap with id 7") {
            Err(ApiError::Validation(fields)) => {
                assert_eq!(
                    fields,
                    vec![FieldError::reference("gap_id", "no gap with id 7")]
                )
            }
            other => panic!("expected 422, got {other:?}"),
        }
        let hidden: Result<(), ApiError> = Err(ApiError::Forbidden("no".into()));
        assert!(matches!(
            hidden.or_unknown("gap_id", "no gap"),
            Err(ApiError::Forbidden(_))
        ));
    }

    #[test]
    fn a_text_bound_is_worded_once_and_other_checks_keep_their_message() {
        use validator::Validate;
        #[derive(Validate)]
        struct Input {
            #[validate(length(max = 3))]
            text: String,
            #[validate(length(max = 1, message = "at most 1 item"))]
            items: Vec<i64>,
            #[validate(length(min = 2, max = 3))]
            code: String,
        }
        let input = Input {
            text: "abcd".into(),
            items: vec![1, 2],
            code: "a".into(),
        };
        let ApiError::Validation(fields) = ApiError::from(input.validate().unwrap_err()) else {
            panic!("a validation error");
        };
        let said: Vec<(&str, &str)> = fields
            .iter()
            .map(|f| (f.field.as_str(), f.message.as_str()))
            .collect();
        assert_eq!(
            said,
            [
                ("code", "is invalid (length)"),
                ("items", "at most 1 item"),
                ("text", "must be at most 3 characters"),
            ]
        );
    }
}
