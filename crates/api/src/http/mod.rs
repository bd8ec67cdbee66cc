//! HTTP conventions shared by every resource: paging and sorting, `ETag`/`If-Match`,
//! `Idempotency-Key`, and problem+json for the framework's own extractor errors.

pub mod body;
pub mod extract;
pub mod idempotency;
pub mod methods;
pub mod paging;
pub mod precondition;
pub mod query;
