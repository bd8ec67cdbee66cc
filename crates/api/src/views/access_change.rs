//! A change of access rights waiting for a second person, as the API shows it.

use actix_web::HttpResponse;
use kim_store::access_changes as store;

pub use kim_store::access_changes::AccessChange;

/// The answer of a request that waits for a second person: 202 with the change.
pub fn accepted(change: store::AccessChange) -> HttpResponse {
    let location = format!("/api/v1/access-changes/{}", change.id);
    HttpResponse::Accepted()
        .insert_header(("Location", location))
        .json(change)
}
