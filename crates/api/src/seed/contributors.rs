//! The demo's external contributor: the Caritasverband Rhein-Sieg is a member of the demo's
//! Kita project group, which the steering group mandated with the gap "Keine Kita-Plätze für
//! Kinder mit Duldung"; its system gets a partner token with scope `gaps:contribute`.

use kim_domain::Scope;
use kim_store::audit::Actor;
use kim_store::{organisations, DbConn, StoreError};

use crate::routes::partner_tokens::{issue_in, IssuedPartnerToken, Issuer};

/// The organisation of the demo contributor token.
pub const DEMO_CONTRIBUTOR: &str = "Caritasverband Rhein-Sieg";
const DEMO_CONTRIBUTOR_TOKEN: &str = "Demo: Caritas Projektgruppe Kita";

/// Issues the demo contributor token unless an active one exists; the secret is returned
/// once, for printing. The scope reaches no case data, so no second person confirms it.
pub fn demo_contributor_token(conn: &mut DbConn) -> Result<Option<IssuedPartnerToken>, StoreError> {
    let Some(caritas) = organisations::find_by_name(conn, DEMO_CONTRIBUTOR)? else {
        return Ok(None);
    };
    let filter = kim_store::partner_tokens::TokenFilter {
        organisation_id: Some(caritas.id),
        include_inactive: false,
    };
    let page = kim_domain::paging::PageRequest {
        limit: kim_domain::paging::MAX_LIMIT,
        offset: 0,
    };
    let existing = kim_store::partner_tokens::list(conn, &filter, page)?;
    if existing
        .items
        .iter()
        .any(|t| t.name == DEMO_CONTRIBUTOR_TOKEN)
    {
        return Ok(None);
    }
    issue_in(
        conn,
        &Actor::system(),
        DEMO_CONTRIBUTOR_TOKEN.into(),
        caritas.id,
        vec![Scope::GapsContribute],
        90,
        Issuer::Operator,
    )
    .map(Some)
}
