//! Reusable OpenAPI responses for the errors, referenced from every operation.

use utoipa::ToResponse;

use super::Problem;

#[derive(ToResponse)]
#[response(
    description = "Malformed request: invalid JSON, or a query or path value of the wrong type",
    content_type = "application/problem+json"
)]
pub struct BadRequest(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "No bearer token, or a token that is invalid, expired, revoked, or belongs to a deleted or disabled account",
    content_type = "application/problem+json"
)]
pub struct Unauthorized(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "The caller's role or token scopes do not allow this operation",
    content_type = "application/problem+json"
)]
pub struct Forbidden(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "No such object, or the caller may not see it",
    content_type = "application/problem+json"
)]
pub struct NotFound(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "Conflict: a unique value is taken, or the object is still in use",
    content_type = "application/problem+json"
)]
pub struct Conflict(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "If-Match names an outdated version: reload and apply the change again",
    content_type = "application/problem+json"
)]
pub struct PreconditionFailed(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "The request body exceeds the configured limit",
    content_type = "application/problem+json"
)]
pub struct PayloadTooLarge(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "The body is not `Content-Type: application/json`",
    content_type = "application/problem+json"
)]
pub struct UnsupportedMediaType(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "Invalid fields, each listed in `errors`",
    content_type = "application/problem+json"
)]
pub struct Unprocessable(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "If-Match is required: send the ETag of your last GET",
    content_type = "application/problem+json"
)]
pub struct PreconditionRequired(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "Too many failed logins for this username (type `login-locked`) or too many login attempts from this address (type `rate-limited`); see Retry-After",
    content_type = "application/problem+json"
)]
pub struct TooManyRequests(#[allow(dead_code)] Problem);

#[derive(ToResponse)]
#[response(
    description = "The database is unavailable, or (login only, type `overloaded`) too many passwords are waiting to be checked; retry after Retry-After",
    content_type = "application/problem+json"
)]
pub struct Unavailable(#[allow(dead_code)] Problem);
