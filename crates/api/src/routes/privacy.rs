//! Data-subject rights for the data protection officer: the access export (Art. 15), erasure by
//! anonymisation (Art. 17), and legal holds that stop both erasure and retention.

use std::collections::BTreeMap;

use actix_web::{delete, get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use kim_domain::audit::{AuditObject, AuditVerb};
use kim_domain::consent::DataCategory;
use kim_domain::erasure::check_reason;
use kim_domain::referral::ReferralStatus;
use kim_domain::residence_request::ResidenceRequestStatus;
use kim_domain::Action;
use kim_store::privacy::{erasure, export, holds};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Authenticated, Caller};
use crate::case_access::audit;
use crate::error::error_sets as sets;
use crate::http::body::Json;
use crate::http::precondition::{ok_versioned, with_etag, IfMatch};
use crate::routes::RouteTable;
use crate::server::AppState;
use crate::views::case::{Case, CaseEvent};
use crate::views::client::{Client, ClientLink};
use crate::views::conference::Conference;
use crate::views::consent::Consent;
use crate::views::contact::Contact;
use crate::views::goal::Goal;
use crate::views::referral::ReferralEvent;
use crate::ApiError;

pub use kim_store::privacy::export::{
    AuditRecord as ExportedAuditEvent, ErasureRecord as ExportedErasure,
};
pub use kim_store::privacy::holds::LegalHold;

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(export_client)
        .service(erase_client)
        .service(get_legal_hold)
        .service(place_legal_hold)
        .service(lift_legal_hold);
}

/// One case of the person, with its history, help plan, contacts, conferences and holds.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedCase {
    pub case: Case,
    /// Status history (Statusverlauf), oldest first.
    pub history: Vec<CaseEvent>,
    pub goals: Vec<Goal>,
    pub contacts: Vec<Contact>,
    /// Case conferences of this case (Fallkonferenzen) in which the person is discussed.
    pub conferences: Vec<Conference>,
    pub legal_holds: Vec<LegalHold>,
    /// The person's clearing record in this case (Kompetenzerfassung), if one was made.
    pub clearing: Vec<crate::views::clearing::ClearingView>,
}

/// A referral about the person: to whom, what was shared, and when each step happened.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedReferral {
    pub id: i64,
    pub case_id: i64,
    pub recipient_organisation_id: i64,
    /// The recipient's name.
    pub recipient: Option<String>,
    pub offer: Option<String>,
    pub purpose: String,
    pub message: Option<String>,
    /// The data categories transferred.
    pub shared_categories: Vec<DataCategory>,
    /// The consents the transfer relied on.
    pub consent_ids: Vec<i64>,
    pub status: ReferralStatus,
    pub status_reason: Option<String>,
    /// When the data left the case (sending).
    pub sent_at: Option<DateTime<Utc>>,
    pub history: Vec<ReferralEvent>,
    pub created_at: DateTime<Utc>,
}

/// A residence-law request about the person.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedRequest {
    pub id: i64,
    pub case_id: i64,
    pub office_organisation_id: i64,
    /// The office's name.
    pub office: Option<String>,
    pub question: String,
    pub shared_categories: Vec<DataCategory>,
    pub status: ResidenceRequestStatus,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Auskunft nach Art. 15 DSGVO: everything the system holds about one person.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"generated_at": "2026-11-29T10:00:00Z", "client": {"id": 12, "reference": "K-2026-000012",
    "given_name": "Amina", "family_name": null, "birth_year": 1990, "gender": "female", "languages": ["ar"],
    "country_of_origin": "SY", "residence_status": "recognised_refugee", "municipality_id": 17, "organisation_id": 1,
    "links": [], "version": 1, "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z"},
    "age_band": null, "erasures": [], "household_links": [], "cases": [], "consents": [], "referrals": [],
    "residence_requests": [], "intake_requests": [], "audit_events": [], "organisations": {"10": "Jobcenter Rhein-Sieg"}}))]
pub struct ClientExport {
    pub generated_at: DateTime<Utc>,
    /// Client master data (Stammdaten).
    pub client: Client,
    /// What remains of the birth year after an erasure (the age band at the first case).
    pub age_band: Option<String>,
    pub erasures: Vec<ExportedErasure>,
    /// Household and family links (Haushaltsbeziehungen).
    pub household_links: Vec<ClientLink>,
    pub cases: Vec<ExportedCase>,
    /// Every consent, revoked and expired ones included.
    pub consents: Vec<Consent>,
    pub referrals: Vec<ExportedReferral>,
    pub residence_requests: Vec<ExportedRequest>,
    /// The intake requests (Zuweisungen) by which organisations referred the person in.
    pub intake_requests: Vec<crate::views::intake_request::IntakeRequest>,
    /// Every access to the person's data, oldest first (this export's own event excluded).
    pub audit_events: Vec<ExportedAuditEvent>,
    /// Names of the organisations mentioned, by id.
    pub organisations: BTreeMap<String, String>,
}

fn exported(data: export::ClientExport) -> ClientExport {
    let names = data.organisations;
    let name = |id: i64| names.get(&id).cloned();
    let links: Vec<ClientLink> = data
        .links
        .iter()
        .map(|l| ClientLink {
            kind: l.kind,
            from_client_id: l.from_client_id,
            to_client_id: l.to_client_id,
        })
        .collect();
    ClientExport {
        generated_at: Utc::now(),
        client: Client::new(data.client, data.links),
        age_band: data.age_band,
        erasures: data.erasures,
        household_links: links,
        cases: data
            .cases
            .into_iter()
            .map(|record| ExportedCase {
                case: Case::from(record.case),
                history: record.history,
                goals: record.goals.into_iter().map(Goal::from).collect(),
                contacts: record.contacts.into_iter().map(Contact::from).collect(),
                conferences: record
                    .conferences
                    .into_iter()
                    .map(Conference::from)
                    .collect(),
                legal_holds: record.legal_holds,
                clearing: record
                    .clearing
                    .into_iter()
                    .map(crate::views::clearing::ClearingView::from)
                    .collect(),
            })
            .collect(),
        consents: data.consents.into_iter().map(Consent::from).collect(),
        referrals: data
            .referrals
            .into_iter()
            .map(|record| {
                let r = record.referral;
                ExportedReferral {
                    id: r.id,
                    case_id: r.case_id,
                    recipient_organisation_id: r.data.recipient_organisation_id,
                    recipient: name(r.data.recipient_organisation_id),
                    offer: r.data.offer,
                    purpose: r.data.purpose,
                    message: r.data.message,
                    shared_categories: r.data.shared_categories,
                    consent_ids: r.consent_ids,
                    status: r.status,
                    status_reason: r.status_reason,
                    sent_at: r.sent_at,
                    history: record
                        .history
                        .into_iter()
                        .map(|e| ReferralEvent {
                            from_status: e.from_status,
                            to_status: e.to_status,
                            reason: e.reason,
                            actor_kind: e.actor_kind,
                            actor_id: None,
                            occurred_at: e.occurred_at,
                        })
                        .collect(),
                    created_at: r.created_at,
                }
            })
            .collect(),
        residence_requests: data
            .residence_requests
            .into_iter()
            .map(|r| ExportedRequest {
                id: r.id,
                case_id: r.case_id,
                office_organisation_id: r.office_organisation_id,
                office: name(r.office_organisation_id),
                question: r.question,
                shared_categories: r.shared_categories,
                status: r.status,
                answer: r.answer,
                answered_at: r.answered_at,
                note: r.note,
                created_at: r.created_at,
            })
            .collect(),
        intake_requests: data
            .intake_requests
            .into_iter()
            .map(|r| {
                // Staff are shown by role and organisation in the export, not by id.
                crate::views::intake_request::IntakeRequest {
                    decided_by: None,
                    ..crate::views::intake_request::IntakeRequest::shown(
                        r,
                        kim_domain::intake_request::IntakeAccess::Decider,
                    )
                }
            })
            .collect(),
        audit_events: data.audit_events,
        organisations: names
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone()))
            .collect(),
    }
}

/// Export everything held about a client (Art. 15 GDPR)
///
/// One JSON document: client master data, household links, cases with status history, help-plan
/// goals and notes, contacts, case conferences, consents (revoked and expired ones too),
/// referrals with recipients and what was shared when, residence-law requests, the intake
/// requests that referred the person in, erasures, legal holds, and every audit event about the person (staff shown by role and organisation). The
/// export itself is recorded in the audit trail (`client.export`).
///
/// **Who may call:** `data_protection_officer`. Others: 403. Unknown client: 404.
#[utoipa::path(tag = "Data protection", params(("id" = i64, Path, description = "Client id")), responses(
    (status = 200, description = "Everything held about the person", body = ClientExport),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/clients/{id}/export")]
pub async fn export_client(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<ClientExport>, ApiError> {
    let id = id.into_inner();
    let data = state
        .db
        .write_with_denied(caller, (AuditObject::Client, id), move |conn, who| {
            who.require(Action::ExportClientData)?;
            let data = export::export(conn, id)?;
            audit(
                conn,
                who,
                AuditObject::Client,
                AuditVerb::Export,
                Some(id),
                Some(&data.client.reference),
            )?;
            Ok::<_, ApiError>(data)
        })
        .await?;
    Ok(web::Json(exported(data)))
}

/// Why the data are erased.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Request of the data subject of 2026-11-20 (Art. 17(1)(a) GDPR)"}))]
pub struct ErasureReasonInput {
    /// Required, 1 to 2000 characters.
    #[schema(value_type = String, required = true, pattern = "\\S", min_length = 1, max_length = 2000)]
    pub reason: Option<String>,
}

/// The erased client as it remains.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"client_id": 12, "reference": "ANON-3f9c2a71b0d4e865", "age_band": "27-44",
    "erased_at": "2026-11-29T10:00:00Z", "version": 4}))]
pub struct ErasureResult {
    pub client_id: i64,
    /// The opaque reference that replaces the old one everywhere, the audit trail included.
    pub reference: String,
    /// The age band at the first case, all that remains of the birth year.
    pub age_band: Option<String>,
    pub erased_at: DateTime<Utc>,
    pub version: i32,
}

/// Erase a client by anonymisation (Art. 17 GDPR)
///
/// In one transaction: names, birth year (kept as the age band at the first case), languages,
/// country of origin and household links are removed; the reference is replaced by an opaque one
/// (`ANON-…`); every free text of the person's cases (goal texts and notes, contact notes,
/// justifications and reasons, conference summaries, outcomes and tasks, referral purposes and
/// messages, residence-law questions and answers) is overwritten; the intake requests linked to
/// the person lose the names, birth year, languages, residence status and reasons the referrer
/// sent; open consents are revoked
/// today, so partner organisations lose sight of the person at once. Kept: what the reports
/// count (dates, municipality, target group, legal domains, topics, statuses, close reasons,
/// referral outcomes, gender, residence status) and the audit events, which show the opaque
/// reference from now on. Requires `If-Match` with the client's version: the data protection
/// officer reads it as `client.version` in `GET /clients/{id}/export` (sent as `"<version>"`),
/// since the client record itself is case data they do not see.
///
/// Refused with 409 `legal-hold` (naming the held case) while a case of the person is under a
/// legal hold, and with 409 `already-erased` the second time.
///
/// **Who may call:** `data_protection_officer`. Others: 403.
#[utoipa::path(tag = "Data protection", request_body = ErasureReasonInput,
    params(("id" = i64, Path, description = "Client id"), ("If-Match" = String, Header, description = "The client's version in quotes, e.g. `\"1\"`: `client.version` of the access export")),
    responses((status = 200, description = "The client was erased", body = ErasureResult), sets::ReplaceErrors),
    security(("bearer" = [])))]
#[post("/clients/{id}/erasure")]
pub async fn erase_client(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<ErasureReasonInput>,
) -> Result<web::Json<ErasureResult>, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    let result = state
        .db
        .write_with(caller, move |conn, who| {
            who.require(Action::EraseClients)?;
            kim_store::clients::find(conn, id)?;
            let reason = check_reason(input.reason.as_deref())?;
            let expected = if_match.version()?;
            let client = erasure::erase(
                conn,
                &who.actor(),
                id,
                expected,
                &reason,
                erasure::random_u64(),
            )??;
            audit(
                conn,
                who,
                AuditObject::Client,
                AuditVerb::Erase,
                Some(id),
                Some(&client.reference),
            )?;
            let exported = export::export(conn, id)?;
            Ok::<_, ApiError>(ErasureResult {
                client_id: id,
                reference: client.reference,
                age_band: exported.age_band,
                erased_at: erasure::erased_at(conn, id)?
                    .map(kim_store::clock::to_utc)
                    .unwrap_or_else(Utc::now),
                version: client.version,
            })
        })
        .await?;
    Ok(web::Json(result))
}

fn audit_hold(
    conn: &mut kim_store::DbConn,
    who: &Authenticated,
    verb: AuditVerb,
    case_id: i64,
) -> Result<(), ApiError> {
    let case = kim_store::cases::find(conn, case_id)?;
    audit(
        conn,
        who,
        AuditObject::Case,
        verb,
        Some(case_id),
        Some(&case.lead_client_reference),
    )
}

/// The active legal hold of a case
///
/// The hold's id is its `ETag`; lifting it requires that as `If-Match`, so that nobody lifts a
/// hold they have not seen. 404 when the case is unknown or not held.
///
/// **Who may call:** `cm_coordinator`, `data_protection_officer`.
#[utoipa::path(tag = "Data protection", params(("id" = i64, Path, description = "Case id")), responses(
    (status = 200, description = "The active hold", body = LegalHold, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/cases/{id}/legal-hold")]
pub async fn get_legal_hold(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let hold = state
        .db
        .read_as(caller, Action::PlaceLegalHolds, move |conn, _| {
            holds::active(conn, id)?.ok_or(ApiError::NotFound)
        })
        .await?;
    let tag = i32::try_from(hold.id).unwrap_or(i32::MAX);
    Ok(ok_versioned(&hold, tag))
}

/// Place a legal hold on a case
///
/// Stops erasure (409 `legal-hold`) and every retention rule for the case, its clients and
/// their records until lifted. Recorded in the audit trail (`case.hold`). 409 `legal-hold` when
/// the case is already held.
///
/// **Who may call:** `cm_coordinator`, `data_protection_officer`. Others: 403.
#[utoipa::path(tag = "Data protection", request_body = ErasureReasonInput,
    params(("id" = i64, Path, description = "Case id")),
    responses((status = 201, description = "The hold", body = LegalHold, headers(("ETag" = String))),
        (status = 404, response = crate::error::responses::NotFound), sets::CreateErrors),
    security(("bearer" = [])))]
#[post("/cases/{id}/legal-hold")]
pub async fn place_legal_hold(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<ErasureReasonInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    let hold = state
        .db
        .write_with(caller, move |conn, who| {
            who.require(Action::PlaceLegalHolds)?;
            kim_store::cases::facts(conn, id)?;
            let reason = check_reason(input.reason.as_deref())?;
            let hold = holds::place(conn, id, &reason, who.user_id())??;
            audit_hold(conn, who, AuditVerb::Hold, id)?;
            Ok::<_, ApiError>(hold)
        })
        .await?;
    let tag = i32::try_from(hold.id).unwrap_or(i32::MAX);
    Ok(with_etag(HttpResponse::Created(), tag).json(hold))
}

/// Lift the legal hold of a case
///
/// Requires the hold's `ETag` (its id) as `If-Match`. From then on erasure and retention apply
/// to the case again. Recorded in the audit trail (`case.release`). 409 `no-legal-hold` when the
/// case is not held.
///
/// **Who may call:** `cm_coordinator`, `data_protection_officer`. Others: 403.
#[utoipa::path(tag = "Data protection",
    params(("id" = i64, Path, description = "Case id"), ("If-Match" = String, Header, description = "ETag of the active hold")),
    responses((status = 200, description = "The lifted hold", body = LegalHold), sets::DeleteErrors),
    security(("bearer" = [])))]
#[delete("/cases/{id}/legal-hold")]
pub async fn lift_legal_hold(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<web::Json<LegalHold>, ApiError> {
    let id = id.into_inner();
    let hold = state
        .db
        .write_with(caller, move |conn, who| {
            who.require(Action::PlaceLegalHolds)?;
            kim_store::cases::facts(conn, id)?;
            let expected = if_match.version()?;
            if let Some(active) = holds::active(conn, id)? {
                let current = i32::try_from(active.id).unwrap_or(i32::MAX);
                if current != expected {
                    return Err(ApiError::PreconditionFailed { current });
                }
            }
            let hold = holds::lift(conn, id, who.user_id())??;
            audit_hold(conn, who, AuditVerb::Release, id)?;
            Ok::<_, ApiError>(hold)
        })
        .await?;
    Ok(web::Json(hold))
}
