//! What a caller sees of a referral: the fields its access releases, whether it is listed at all,
//! a page of them, and the audit events of what was shown.

use actix_web::http::StatusCode;
use chrono::{NaiveDate, Utc};
use kim_domain::access::{referral_access, ReferralAccess, ReferralScope};
use kim_domain::audit::{AuditObject, AuditVerb};
use kim_domain::consent::DataCategory;
use kim_domain::referral::recipient_view;
use kim_store::referrals::{self as store, ReferralFilter, RememberedResponse};
use kim_store::{cases, clients, consents, DbConn};

use crate::auth::Authenticated;
use crate::case_access::{audit, Trail};
use crate::http::idempotency::Answer;
use crate::ApiError;

use super::{CaseContent, Referral, ReferredClient};

pub(super) fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// A referral the caller may read, with what they may see of it, and the client (reference and
/// internal id) for the audit trail. A recipient whose consents no longer release the identity
/// gets 404.
pub(super) struct Visible {
    pub(super) referral: Referral,
    pub(super) client_reference: String,
    pub(super) client_id: i64,
    pub(super) access: ReferralAccess,
}

pub(super) fn visible(
    conn: &mut DbConn,
    who: &Authenticated,
    referral: store::Referral,
) -> Result<Visible, ApiError> {
    let facts = store::facts(conn, &referral)?;
    let access = referral_access(&who.principal, &facts);
    if !access.may_read() {
        return Err(ApiError::NotFound);
    }
    let client = clients::find(conn, referral.data.client_id)?;
    let categories = if access.limited_to_consented_categories() {
        let consents = consents::rules_of_client(conn, client.id)?;
        recipient_view(
            &referral.data.shared_categories,
            &consents,
            referral.data.recipient_organisation_id,
            today(),
        )
        .ok_or(ApiError::NotFound)?
    } else {
        DataCategory::ALL.to_vec()
    };
    let case_content = if categories.contains(&DataCategory::CaseContent) {
        let case = cases::find(conn, referral.case_id)?;
        Some(CaseContent {
            target_group: case.data.target_group,
            legal_domains: case.data.legal_domains,
            topics: case.data.topics,
        })
    } else {
        None
    };
    Ok(shown(referral, client, access, categories, case_content))
}

/// The referral `id` as the caller may see it (404 otherwise), with its `referral.read` audit
/// event naming the client: a single read, its history and an idempotent replay.
pub(super) fn read_visible(
    conn: &mut DbConn,
    who: &Authenticated,
    id: i64,
) -> Result<Visible, ApiError> {
    let referral = store::find(conn, id)?;
    let shown = visible(conn, who, referral)?;
    audit(
        conn,
        who,
        AuditObject::Referral,
        AuditVerb::Read,
        Some(id),
        Some(&shown.client_reference),
    )?;
    Ok(shown)
}

/// An item of a list page as the caller may see it, by the same rules as [`visible`], from what
/// the store loaded for the whole page; `None` if the caller may not see it (the store's scope
/// and consent filter agree with the rules, so this does not happen).
pub(super) fn listed(
    who: &Authenticated,
    item: store::ListedReferral,
    on: NaiveDate,
) -> Option<Visible> {
    let access = referral_access(&who.principal, &item.facts());
    if !access.may_read() {
        return None;
    }
    let categories = if access.limited_to_consented_categories() {
        recipient_view(
            &item.referral.data.shared_categories,
            &item.consents,
            item.referral.data.recipient_organisation_id,
            on,
        )?
    } else {
        DataCategory::ALL.to_vec()
    };
    let case_content = categories
        .contains(&DataCategory::CaseContent)
        .then_some(CaseContent {
            target_group: item.case.target_group,
            legal_domains: item.case.legal_domains,
            topics: item.case.topics,
        });
    Some(shown(
        item.referral,
        item.client,
        access,
        categories,
        case_content,
    ))
}

/// The referral shaped for the caller: the client's fields of the visible categories only,
/// the case side's fields only on the case side, the moves of the caller's side.
pub(super) fn shown(
    referral: store::Referral,
    client: clients::Client,
    access: ReferralAccess,
    categories: Vec<DataCategory>,
    case_content: Option<CaseContent>,
) -> Visible {
    let sees = |c: DataCategory| categories.contains(&c);
    let case_side = !access.limited_to_consented_categories();
    let allowed_transitions = match access.acting_side() {
        Some(side) => referral
            .status
            .allowed_next()
            .iter()
            .copied()
            .filter(|s| s.entered_by() == Some(side))
            .collect(),
        None => Vec::new(),
    };
    let client_reference = client.reference.clone();
    let client_id = client.id;
    Visible {
        referral: Referral {
            id: referral.id,
            case_id: case_side.then_some(referral.case_id),
            recipient_organisation_id: referral.data.recipient_organisation_id,
            offer: referral.data.offer,
            purpose: referral.data.purpose,
            message: referral.data.message,
            shared_categories: referral.data.shared_categories,
            client: ReferredClient {
                reference: client.reference,
                given_name: client.data.given_name,
                family_name: client.data.family_name,
                birth_year: client.data.birth_year,
                languages: sees(DataCategory::Contact).then_some(client.data.languages),
                residence_status: client
                    .data
                    .residence_status
                    .filter(|_| sees(DataCategory::ResidenceStatus)),
            },
            case_content,
            visible_categories: categories,
            due_on: referral.data.due_on,
            status: referral.status,
            status_reason: referral.status_reason,
            allowed_transitions,
            consent_ids: case_side.then_some(referral.consent_ids),
            sent_at: referral.sent_at,
            version: referral.version,
            created_at: referral.created_at,
            updated_at: referral.updated_at,
        },
        client_reference,
        client_id,
        access,
    }
}

pub(super) fn remembered(
    status: StatusCode,
    fingerprint: String,
    referral: &Referral,
) -> RememberedResponse {
    RememberedResponse {
        fingerprint,
        status_code: status.as_u16(),
        resource_id: referral.id,
    }
}

/// A replay of a referral POST: the referral read again, as the caller may see it now (404 if
/// no longer), with a `referral.read` audit event.
pub(super) fn replayed_referral(
    conn: &mut DbConn,
    who: &Authenticated,
    first: &RememberedResponse,
) -> Result<Answer<Referral>, ApiError> {
    let shown = read_visible(conn, who, first.resource_id)?;
    Ok(Answer {
        status: StatusCode::from_u16(first.status_code).unwrap_or(StatusCode::OK),
        version: shown.referral.version,
        body: shown.referral,
        replayed: true,
    })
}

/// One page of referrals as the caller sees them: one store read for the page and its exact
/// total ([`store::visible_page`]), shaped by the same rules as a single read.
pub(super) fn page_of(
    conn: &mut DbConn,
    who: &Authenticated,
    scope: ReferralScope,
    filter: &ReferralFilter,
    page: kim_domain::paging::PageRequest,
) -> Result<(Vec<Visible>, i64), ApiError> {
    let on = today();
    let page = store::visible_page(conn, scope, filter, on, page)?;
    let shown = page
        .items
        .into_iter()
        .filter_map(|item| listed(who, item, on))
        .collect();
    Ok((shown, page.total))
}

/// One `referral.list` event per client shown, in the order of their references (one without
/// a client, or naming `empty_page_client`, when the page is empty), so "who saw this
/// person's data" finds list reads too.
pub(super) fn audit_list(trail: &mut Trail, shown: &[Visible], empty_page_client: Option<i64>) {
    let mut clients: Vec<(&str, i64)> = shown
        .iter()
        .map(|v| (v.client_reference.as_str(), v.client_id))
        .collect();
    clients.sort_unstable();
    clients.dedup();
    if clients.is_empty() {
        trail.record(
            AuditObject::Referral,
            AuditVerb::List,
            None,
            empty_page_client,
        );
    }
    for (_, client_id) in clients {
        trail.record(
            AuditObject::Referral,
            AuditVerb::List,
            None,
            Some(client_id),
        );
    }
}
