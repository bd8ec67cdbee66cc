//! How case managers take an adopted document up: their acknowledgements ("read and applied"),
//! who has not acknowledged yet, and the feedback that the next version takes up.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::programme_document::{check_feedback, FeedbackRights, FeedbackSource};
use kim_domain::Action;
use kim_store::programme_documents::{self as store, NewFeedback};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::http::body::Json;
use crate::http::paging::PageParams;
use crate::routes::not_blank;
use crate::server::AppState;
use crate::{page_type, ApiError};

use super::status_refusal;

/// "Gelesen und angewendet": a case manager's acknowledgement of an adopted version.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"document_id": 1, "user_id": 5, "display_name": "Fallmanagerin Demo",
    "acknowledged_at": "2021-06-20T08:30:00Z"}))]
pub struct Acknowledgement {
    /// The version acknowledged.
    pub document_id: i64,
    pub user_id: i64,
    pub display_name: Option<String>,
    pub acknowledged_at: DateTime<Utc>,
}

impl From<store::Acknowledgement> for Acknowledgement {
    fn from(a: store::Acknowledgement) -> Self {
        Acknowledgement {
            document_id: a.document_id,
            user_id: a.user_id,
            display_name: a.display_name,
            acknowledged_at: a.acknowledged_at,
        }
    }
}

page_type!(AcknowledgementPage, Acknowledgement);

/// Acknowledge an adopted version
///
/// The caller has read the version and applies it. Takes no body. 201 the first time, 200 with
/// the first acknowledgement when repeated. Only an adopted version (409 `document-status`).
/// Until then the version is on the caller's `GET /me/tasks` (`document_to_acknowledge`).
///
/// **Who may call:** `case_manager`.
#[utoipa::path(tag = "Programme documents", params(("id" = i64, Path, description = "Version id")), responses(
    (status = 201, description = "Acknowledged", body = Acknowledgement),
    (status = 200, description = "Acknowledged before", body = Acknowledgement),
    (status = 404, response = crate::error::responses::NotFound),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/programme-documents/{id}/acknowledgements")]
pub async fn acknowledge_document(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (acknowledgement, created) = state
        .db
        .write_with(caller, move |conn, who| {
            who.require(Action::AcknowledgeProgrammeDocuments)?;
            let me = who.user_id().ok_or(ApiError::NotFound)?;
            store::acknowledge(conn, id, me).map_err(status_refusal)
        })
        .await?;
    let body = Acknowledgement::from(acknowledgement);
    Ok(if created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}

/// List the acknowledgements of a version
///
/// Oldest first. The KI lead and the CM coordination see everyone's (to follow up the
/// standards); a case manager sees only their own.
///
/// **Who may call:** `ki_lead`, `cm_coordinator`, `case_manager` (own only).
#[utoipa::path(tag = "Programme documents", params(("id" = i64, Path, description = "Version id"), PageParams), responses(
    (status = 200, description = "One page of acknowledgements", body = AcknowledgementPage),
    (status = 404, response = crate::error::responses::NotFound),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/programme-documents/{id}/acknowledgements")]
pub async fn list_acknowledgements(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    paging: web::Query<PageParams>,
) -> Result<web::Json<AcknowledgementPage>, ApiError> {
    let page = paging.page()?;
    let id = id.into_inner();
    let listed = state
        .db
        .read_with(caller, move |conn, who| {
            let only = if who.principal.may(Action::ManageProgrammeDocuments) {
                None
            } else if who.principal.may(Action::AcknowledgeProgrammeDocuments) {
                Some(who.user_id().ok_or(ApiError::NotFound)?)
            } else {
                return Err(ApiError::Forbidden(
                    "only the KI lead, the CM coordination and case managers (their own) read \
                     acknowledgements"
                        .into(),
                ));
            };
            Ok::<_, ApiError>(store::acknowledgements(conn, id, only, page)?)
        })
        .await?;
    Ok(web::Json(AcknowledgementPage::new(listed, page)))
}

/// Rückmeldung (feedback) on a document version. Feedback of clients is anonymous: the text,
/// the date and who recorded it, nothing about the person.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": 2, "document_id": 1, "source": "client", "body_id": null,
    "text": "Die Termine sollten auch nachmittags möglich sein.", "received_on": "2021-09-02",
    "recorded_by": 4, "created_at": "2021-09-03T10:00:00Z"}))]
pub struct DocumentFeedback {
    pub id: i64,
    /// The version the feedback is about.
    pub document_id: i64,
    pub source: FeedbackSource,
    /// The body whose feedback it is (`source` `body`).
    pub body_id: Option<i64>,
    pub text: String,
    /// When it was given.
    pub received_on: NaiveDate,
    /// The case manager who gave it, or who recorded a body's or clients' feedback.
    pub recorded_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl From<store::Feedback> for DocumentFeedback {
    fn from(f: store::Feedback) -> Self {
        DocumentFeedback {
            id: f.id,
            document_id: f.document_id,
            source: f.data.source,
            body_id: f.data.body_id,
            text: f.data.text,
            received_on: f.data.received_on,
            recorded_by: f.recorded_by,
            created_at: f.created_at,
        }
    }
}

page_type!(DocumentFeedbackPage, DocumentFeedback);

/// Feedback to give or record.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"source": "body", "body_id": 3,
    "text": "Der Arbeitskreis wünscht eine Vorlage in leichter Sprache.", "received_on": "2021-10-05"}))]
pub struct DocumentFeedbackInput {
    /// `case_manager` (a case manager, in their own name), `body` (with `body_id`) or `client`
    /// (anonymous; no `body_id`). A body id with any other source, or none with `body`, is 422
    /// `rule`; a source the caller may not enter is 403.
    pub source: FeedbackSource,
    pub body_id: Option<i64>,
    #[validate(length(max = 5000), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 5000)]
    pub text: String,
    /// When it was given; today when left out; not in the future (422 `rule`).
    pub received_on: Option<NaiveDate>,
}

/// Give or record feedback on a version
///
/// A case manager gives feedback in their own name (`case_manager`); the KI lead, the
/// coordination and the CM coordination record the feedback of a body (`body`, naming it) and
/// of clients (`client`, anonymous: only the text, the date and who recorded it). Drafts and
/// adopted versions take feedback; a superseded one does not (409 `document-status`).
///
/// **Who may call:** `case_manager` (source `case_manager`); `ki_lead`, `coordinator`,
/// `cm_coordinator` (sources `body` and `client`).
#[utoipa::path(tag = "Programme documents", request_body = DocumentFeedbackInput,
    params(("id" = i64, Path, description = "Version id")),
    responses(
    (status = 201, description = "Recorded", body = DocumentFeedback),
    (status = 404, response = crate::error::responses::NotFound),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/programme-documents/{id}/feedback")]
pub async fn give_feedback(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<DocumentFeedbackInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let id = id.into_inner();
    let document_feedback = state
        .db
        .write_with(caller, move |conn, who| {
            let rights = FeedbackRights {
                own: who.principal.may(Action::GiveDocumentFeedback),
                on_behalf: who.principal.may(Action::RecordDocumentFeedback),
            };
            if !rights.own && !rights.on_behalf {
                return Err(ApiError::Forbidden(
                    "your role neither gives nor records feedback on programme documents".into(),
                ));
            }
            input.validate()?;
            check_feedback(rights, input.source, input.body_id)?;
            let today = Utc::now().date_naive();
            let received_on = input.received_on.unwrap_or(today);
            if received_on > today {
                return Err(ApiError::rule("received_on", "must not be in the future"));
            }
            let data = NewFeedback {
                source: input.source,
                body_id: input.body_id,
                text: input.text.trim().to_owned(),
                received_on,
            };
            store::insert_feedback(conn, id, &data, who.user_id()).map_err(status_refusal)
        })
        .await?;
    Ok(HttpResponse::Created().json(DocumentFeedback::from(document_feedback)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocumentFeedbackQuery {
    pub source: Option<FeedbackSource>,
}

/// List the feedback on a version
///
/// Oldest first; filter `source`. What the next version can take up (`feedback_ids`).
///
/// **Who may call:** `ki_lead`, `cm_coordinator`.
#[utoipa::path(tag = "Programme documents", params(("id" = i64, Path, description = "Version id"), PageParams, DocumentFeedbackQuery), responses(
    (status = 200, description = "One page of feedback", body = DocumentFeedbackPage),
    (status = 404, response = crate::error::responses::NotFound),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/programme-documents/{id}/feedback")]
pub async fn list_feedback(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    paging: web::Query<PageParams>,
    query: web::Query<DocumentFeedbackQuery>,
) -> Result<web::Json<DocumentFeedbackPage>, ApiError> {
    let page = paging.page()?;
    let id = id.into_inner();
    let source = query.source;
    let document_feedbacks = state
        .db
        .read_as(caller, Action::ManageProgrammeDocuments, move |conn, _| {
            store::feedback_on(conn, id, source, page)
        })
        .await?;
    Ok(web::Json(DocumentFeedbackPage::new(
        document_feedbacks,
        page,
    )))
}
