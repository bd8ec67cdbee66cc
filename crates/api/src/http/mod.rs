//! HTTP conventions shared by every resource: paging and sorting, `ETag`/`If-Match`, and
//! problem+json for the framework's own extractor errors.

pub mod extract;
pub mod paging;
pub mod precondition;
