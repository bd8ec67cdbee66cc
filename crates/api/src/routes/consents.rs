//! Consents (Einwilligung / Schweigepflichtentbindung) of a client: recorded from the signed
//! form, listed with their state, revoked. Every call is audited with the client's reference.

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{get, post, web, HttpResponse};
use chrono::{NaiveDate, Utc};
use kim_domain::access::Access;
use kim_domain::audit::{AuditObject, AuditVerb};
use kim_domain::consent::{
    check_new_consent, check_revocation, ConsentPurpose, DataCategory, NewConsent,
};
use kim_store::consents as store;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::trimmed;
use crate::auth::Caller;
use crate::case_access::{audit, client_for};
use crate::error::error_sets as sets;
use crate::http::precondition::{created_versioned, ok_versioned};
use crate::server::AppState;
use crate::views::consent::Consent;
use crate::ApiError;

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_consents)
        .service(create_consent)
        .service(revoke_consent);
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// A consent as given on the signed form.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "recipient_organisation_ids": [9], "purposes": ["referral"],
    "categories": ["identity", "residence_status"], "given_on": "2026-11-02",
    "valid_until": "2027-11-01", "document_reference": "Akte 2026/117, Bl. 4"
}))]
pub struct ConsentInput {
    /// At least one organisation (a blanket consent without named recipients is invalid); at
    /// most 50.
    #[validate(length(max = 50, message = "at most 50 recipient organisations"))]
    #[schema(min_items = 1, max_items = 50)]
    pub recipient_organisation_ids: Vec<i64>,
    /// At least one purpose.
    #[schema(min_items = 1)]
    pub purposes: Vec<ConsentPurpose>,
    /// At least one category.
    #[schema(min_items = 1)]
    pub categories: Vec<DataCategory>,
    /// Not in the future.
    pub given_on: NaiveDate,
    /// Not before `given_on`; omit for a consent valid until revoked.
    pub valid_until: Option<NaiveDate>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub document_reference: Option<String>,
}

/// List a client's consents
///
/// Every consent of the client, oldest first, revoked and expired ones included, each with its
/// state today. Leaves a `consent.list` audit event naming the client.
///
/// **Who may call:** `case_manager` of one of the client's cases (or deputy), `cm_coordinator`.
/// Anyone else gets 404.
#[utoipa::path(tag = "Consents", params(("id" = i64, Path, description = "Client id")), responses(
    (status = 200, description = "The client's consents", body = Vec<Consent>),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/clients/{id}/consents")]
pub async fn list_consents(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<Consent>>, ApiError> {
    let id = id.into_inner();
    let consents = state
        .db
        .write_with_denied(caller, (AuditObject::Client, id), move |conn, who| {
            let client = client_for(conn, who, id, Access::Read)?;
            let consents = store::of_client(conn, id)?;
            audit(
                conn,
                who,
                AuditObject::Consent,
                AuditVerb::List,
                None,
                Some(&client.reference),
            )?;
            Ok::<_, ApiError>(consents)
        })
        .await?;
    Ok(web::Json(consents.into_iter().map(Consent::from).collect()))
}

/// Record a consent
///
/// Records a consent from the signed form. It must name at least one recipient organisation,
/// purpose and data category (422 otherwise), be given no later than today, and end no earlier
/// than it begins. Referrals check the client's consents when they are sent and whenever the
/// recipient reads them. Leaves a `consent.create` audit event.
///
/// **Who may call:** `case_manager` of one of the client's cases (or deputy). Others who can see
/// the client (`cm_coordinator`) get 403; anyone else 404.
#[utoipa::path(tag = "Consents", request_body = ConsentInput,
    params(("id" = i64, Path, description = "Client id")), responses(
    (status = 201, description = "Recorded", body = Consent, headers(("ETag" = String), ("Location" = String))),
    (status = 404, response = crate::error::responses::NotFound),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/clients/{id}/consents")]
pub async fn create_consent(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<ConsentInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    let created = state
        .db
        .write_with(caller, move |conn, who| {
            writable_client(conn, who, id)?;
            input.validate()?;
            let checked = check_new_consent(
                &NewConsent {
                    recipient_organisation_ids: input.recipient_organisation_ids,
                    purposes: input.purposes,
                    categories: input.categories,
                    given_on: input.given_on,
                    valid_until: input.valid_until,
                },
                today(),
            )
            .map_err(ApiError::fields_in_order)?;
            let client = client_for(conn, who, id, Access::ReadWrite)?;
            let document = trimmed(input.document_reference);
            let created = store::insert(conn, id, &checked, document.as_deref(), who.user_id())?;
            audit(
                conn,
                who,
                AuditObject::Consent,
                AuditVerb::Create,
                Some(created.consent.id),
                Some(&client.reference),
            )?;
            Ok::<_, ApiError>(created)
        })
        .await?;
    let (consent_id, version) = (created.consent.id, created.version);
    Ok(created_versioned(
        &Consent::from(created),
        version,
        format!("/api/v1/clients/{id}/consents/{consent_id}"),
    ))
}

/// 404 when the caller cannot see the client, 403 when they may only read it.
fn writable_client(
    conn: &mut kim_store::DbConn,
    who: &crate::auth::Authenticated,
    id: i64,
) -> Result<(), ApiError> {
    client_for(conn, who, id, Access::Read)?;
    if client_for(conn, who, id, Access::ReadWrite).is_err() {
        return Err(ApiError::Forbidden(
            "only the client's case managers record and revoke consents".into(),
        ));
    }
    Ok(())
}

/// A revocation (Widerruf) of a consent.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"revoked_on": "2026-11-25"}))]
pub struct RevocationInput {
    /// The day the revocation takes effect (default today): not before the consent was given,
    /// not in the future. The consent is not valid from that day on.
    pub revoked_on: Option<NaiveDate>,
}

/// Revoke a consent
///
/// Records the client's revocation (Widerruf). It takes effect on `revoked_on` itself and at
/// once: partners lose access to referrals that relied on it with their next read, and
/// referrals can no longer be sent on it. A consent is revoked once (409 the second time); no
/// `If-Match` is needed, because a revocation must never wait for a reload. Leaves a
/// `consent.revoke` audit event.
///
/// **Who may call:** `case_manager` of one of the client's cases (or deputy). Others who can see
/// the client (`cm_coordinator`) get 403; anyone else 404.
#[utoipa::path(tag = "Consents", request_body = RevocationInput,
    params(("id" = i64, Path, description = "Client id"), ("consent_id" = i64, Path, description = "Consent id")),
    responses(
    (status = 200, description = "The revoked consent", body = Consent, headers(("ETag" = String))),
    (status = 404, response = crate::error::responses::NotFound),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/clients/{id}/consents/{consent_id}/revocation")]
pub async fn revoke_consent(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    body: Json<RevocationInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, consent_id) = path.into_inner();
    let input = body.into_inner();
    let revoked = state
        .db
        .write_with(caller, move |conn, who| {
            writable_client(conn, who, id)?;
            let client = client_for(conn, who, id, Access::ReadWrite)?;
            let current = store::find(conn, id, consent_id)?;
            if current.consent.revoked_on.is_some() {
                return Err(ApiError::Conflict("the consent is already revoked".into()));
            }
            let revoked_on = input.revoked_on.unwrap_or_else(today);
            check_revocation(&current.consent, revoked_on, today())?;
            let revoked = store::revoke(conn, id, consent_id, revoked_on)?;
            audit(
                conn,
                who,
                AuditObject::Consent,
                AuditVerb::Revoke,
                Some(consent_id),
                Some(&client.reference),
            )?;
            Ok(revoked)
        })
        .await?;
    let version = revoked.version;
    Ok(ok_versioned(&Consent::from(revoked), version))
}
