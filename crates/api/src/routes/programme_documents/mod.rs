//! Documents of the programme (Dokumente des Programms): the CM concept, templates, quality
//! standards and the integration concept in versions, adopted by the steering group,
//! acknowledged by case managers and improved from feedback.

use actix_web::{get, post, put, web, HttpResponse};
use chrono::Utc;
use kim_domain::programme_document::{is_attachment_url, DocumentKind, DocumentStatus};
use kim_domain::Action;
use kim_store::programme_documents::{self as store, DocumentFilter, DraftContent, NextVersion};
use kim_store::StoreError;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{not_blank, trimmed};
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::http::body::Json;
use crate::http::paging::PageParams;
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::routes::RouteTable;
use crate::server::AppState;
use crate::{page_type, ApiError};

pub use kim_store::programme_documents::Document as ProgrammeDocument;

mod reception;

pub use reception::{
    acknowledge_document, give_feedback, list_acknowledgements, list_feedback, Acknowledgement,
    DocumentFeedback, DocumentFeedbackInput, DocumentFeedbackQuery,
};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_documents)
        .service(get_document)
        .service(create_document)
        .service(update_document)
        .service(adopt_document)
        .service(draft_next_version)
        .service(acknowledge_document)
        .service(list_acknowledgements)
        .service(give_feedback)
        .service(list_feedback);
}

/// A step the version's status does not allow: 409 with its own problem type, so that a client
/// can tell it from a duplicate.
fn status_refusal(error: StoreError) -> ApiError {
    let detail = match error {
        StoreError::IllegalTransition(refused) => refused.to_string(),
        StoreError::Conflict(why) => why,
        other => return other.into(),
    };
    ApiError::Refused {
        slug: "document-status",
        title: "Not allowed in the document version's status",
        detail,
    }
}

page_type!(ProgrammeDocumentPage, ProgrammeDocument);

fn attachment(value: &str) -> Result<(), validator::ValidationError> {
    if is_attachment_url(value) {
        return Ok(());
    }
    let mut error = validator::ValidationError::new("https");
    error.message = Some("must be an https:// link without spaces".into());
    Err(error)
}

fn distinct(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// A new document (its first version, a draft).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "kind": "template", "title": "Vorlage Hilfeplan",
    "attachment_url": "https://intranet.rhein-sieg-kreis.de/kim/vorlage-hilfeplan.docx"
}))]
pub struct DocumentInput {
    pub kind: DocumentKind,
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub title: String,
    /// The text; this or `attachment_url` is required (422 `rule`).
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub text: Option<String>,
    /// A link to the document held elsewhere.
    #[validate(length(max = 2000), custom(function = "attachment"))]
    #[schema(pattern = "^https://\\S+$", max_length = 2000)]
    pub attachment_url: Option<String>,
}

/// The new content of a draft.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Qualitätsstandards im Case Management", "text": "1. Erstgespräch binnen 14 Tagen …",
    "feedback_ids": [3]
}))]
pub struct DraftInput {
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub title: String,
    /// The text; this or `attachment_url` is required (422 `rule`).
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub text: Option<String>,
    #[validate(length(max = 2000), custom(function = "attachment"))]
    #[schema(pattern = "^https://\\S+$", max_length = 2000)]
    pub attachment_url: Option<String>,
    /// Feedback on this document (any version) the draft takes up; replaces the list.
    #[serde(default)]
    #[validate(length(max = 100, message = "at most 100 feedback entries"))]
    #[schema(max_items = 100)]
    pub feedback_ids: Vec<i64>,
}

/// Text or link: one is required, after trimming.
fn content(
    title: String,
    text: Option<String>,
    attachment_url: Option<String>,
    feedback_ids: Vec<i64>,
) -> Result<DraftContent, ApiError> {
    let text = trimmed(text);
    let attachment_url = trimmed(attachment_url);
    if text.is_none() && attachment_url.is_none() {
        return Err(ApiError::rule(
            "text",
            "give the text or an attachment_url (or both)",
        ));
    }
    Ok(DraftContent {
        title: title.trim().to_owned(),
        text,
        attachment_url,
        feedback_ids: distinct(feedback_ids),
    })
}

/// The next version: what changes; fields left out are copied from the adopted version.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "2. Fassung: Erstgespräch binnen 10 Tagen …", "feedback_ids": [1, 2]}))]
pub struct NextVersionInput {
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub text: Option<String>,
    #[validate(length(max = 2000), custom(function = "attachment"))]
    #[schema(pattern = "^https://\\S+$", max_length = 2000)]
    pub attachment_url: Option<String>,
    /// Feedback on this document (any version) the new draft takes up.
    #[serde(default)]
    #[validate(length(max = 100, message = "at most 100 feedback entries"))]
    #[schema(max_items = 100)]
    pub feedback_ids: Vec<i64>,
}

/// The decision that adopts a draft.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision_id": 4}))]
pub struct AdoptInput {
    /// A decision (`adopted`) of a meeting of the steering group.
    pub decision_id: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DocumentQuery {
    pub kind: Option<DocumentKind>,
    pub status: Option<DocumentStatus>,
    /// The versions of one document (the id of its first version).
    pub document_id: Option<i64>,
}

#[cfg(test)]
const WHO_READS: &str = "`ki_lead`, `coordinator`, `cm_coordinator`, `case_manager`, \
                         `steering_member`, `project_group_member`";

/// List programme documents
///
/// Every version of every document, by document and version number. Filters: `kind`,
/// `status`, `document_id` (the versions of one document).
///
/// **Who may call:** `ki_lead`, `coordinator`, `cm_coordinator`, `case_manager`,
/// `steering_member`, `project_group_member`.
#[utoipa::path(tag = "Programme documents", params(PageParams, DocumentQuery), responses(
    (status = 200, description = "One page of document versions", body = ProgrammeDocumentPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/programme-documents")]
pub async fn list_documents(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    query: web::Query<DocumentQuery>,
) -> Result<web::Json<ProgrammeDocumentPage>, ApiError> {
    let page = paging.page()?;
    let filter = DocumentFilter {
        kind: query.kind,
        status: query.status,
        series_id: query.document_id,
    };
    let programme_documents = state
        .db
        .read_as(caller, Action::ReadProgrammeDocuments, move |conn, _| {
            store::list(conn, &filter, page)
        })
        .await?;
    Ok(web::Json(ProgrammeDocumentPage::new(
        programme_documents,
        page,
    )))
}

/// Get a programme document version
///
/// **Who may call:** `ki_lead`, `coordinator`, `cm_coordinator`, `case_manager`,
/// `steering_member`, `project_group_member`.
#[utoipa::path(tag = "Programme documents", params(("id" = i64, Path, description = "Version id")), responses(
    (status = 200, description = "The version", body = ProgrammeDocument, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/programme-documents/{id}")]
pub async fn get_document(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let programme_document_id = id.into_inner();
    let programme_document = state
        .db
        .read_as(caller, Action::ReadProgrammeDocuments, move |conn, _| {
            store::find(conn, programme_document_id)
        })
        .await?;
    let version = programme_document.version;
    Ok(ok_versioned(&programme_document, version))
}

/// Draft a programme document
///
/// A new document: its first version, a draft (`document_version` 1). The text or an https
/// `attachment_url` is required (422 `rule` on `text` when neither is given).
///
/// **Who may call:** `ki_lead`, `cm_coordinator`.
#[utoipa::path(tag = "Programme documents", request_body = DocumentInput, responses(
    (status = 201, description = "Drafted", body = ProgrammeDocument, headers(("ETag" = String), ("Location" = String))),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/programme-documents")]
pub async fn create_document(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<DocumentInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let programme_document = state
        .db
        .write_with(caller, move |conn, who| {
            who.require(Action::ManageProgrammeDocuments)?;
            input.validate()?;
            let data = content(input.title, input.text, input.attachment_url, Vec::new())?;
            Ok::<_, ApiError>(store::insert(conn, input.kind, &data, who.user_id())?)
        })
        .await?;
    let (id, version) = (programme_document.id, programme_document.version);
    Ok(created_versioned(
        &programme_document,
        version,
        format!("/api/v1/programme-documents/{id}"),
    ))
}

/// Edit a draft
///
/// Replaces title, text, link and the feedback taken up. Only a draft can be edited (409
/// `document-status` otherwise: draft the next version instead). `feedback_ids` must be
/// feedback on a version of the same document (422 `reference`). Requires `If-Match`.
///
/// **Who may call:** `ki_lead`, `cm_coordinator`.
#[utoipa::path(tag = "Programme documents", request_body = DraftInput,
    params(("id" = i64, Path, description = "Version id"), ("If-Match" = String, Header, description = "ETag of the version you edited")),
    responses(
    (status = 200, description = "The draft", body = ProgrammeDocument, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/programme-documents/{id}")]
pub async fn update_document(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<DraftInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let id = id.into_inner();
    let programme_document = state
        .db
        .write_with(caller, move |conn, who| {
            who.require(Action::ManageProgrammeDocuments)?;
            let expected = if_match.version()?;
            input.validate()?;
            let data = content(
                input.title,
                input.text,
                input.attachment_url,
                input.feedback_ids,
            )?;
            store::update(conn, id, expected, &data).map_err(status_refusal)
        })
        .await?;
    let version = programme_document.version;
    Ok(ok_versioned(&programme_document, version))
}

/// Adopt a draft by a decision of the steering group
///
/// `decision_id` must be a decision (422 `reference`) with the outcome `adopted` taken in a
/// meeting of the steering group that has been held (422 `rule` for any other body or
/// outcome, or a meeting still planned). The version
/// adopted before it, if any, becomes `superseded` in the same transaction. Only a draft can be
/// adopted (409 `document-status`). Requires `If-Match`.
///
/// **Who may call:** `ki_lead`, `cm_coordinator`.
#[utoipa::path(tag = "Programme documents", request_body = AdoptInput,
    params(("id" = i64, Path, description = "Version id"), ("If-Match" = String, Header, description = "ETag of the draft")),
    responses(
    (status = 200, description = "The adopted version", body = ProgrammeDocument, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[post("/programme-documents/{id}/adopt")]
pub async fn adopt_document(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<AdoptInput>,
) -> Result<HttpResponse, ApiError> {
    let decision = body.into_inner().decision_id;
    let id = id.into_inner();
    let adopted = state
        .db
        .write_with(caller, move |conn, who| {
            who.require(Action::ManageProgrammeDocuments)?;
            let expected = if_match.version()?;
            let today = Utc::now().date_naive();
            store::adopt(conn, id, expected, decision, today).map_err(status_refusal)
        })
        .await?;
    let version = adopted.version;
    Ok(ok_versioned(&adopted, version))
}

/// Draft the next version
///
/// From the adopted version of a document: a new draft with the next `document_version`, the
/// same kind, and the adopted content where the body leaves a field out. `feedback_ids` names
/// the feedback it takes up (on any version of the document; 422 `reference` otherwise). 409
/// `document-status` when this version is not the adopted one or a draft is already open.
///
/// **Who may call:** `ki_lead`, `cm_coordinator`.
#[utoipa::path(tag = "Programme documents", request_body = NextVersionInput,
    params(("id" = i64, Path, description = "Id of the adopted version")),
    responses(
    (status = 201, description = "The new draft", body = ProgrammeDocument, headers(("ETag" = String), ("Location" = String))),
    (status = 404, response = crate::error::responses::NotFound),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/programme-documents/{id}/versions")]
pub async fn draft_next_version(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<NextVersionInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let id = id.into_inner();
    let programme_document = state
        .db
        .write_with(caller, move |conn, who| {
            who.require(Action::ManageProgrammeDocuments)?;
            input.validate()?;
            let next = NextVersion {
                title: input.title.map(|t| t.trim().to_owned()),
                text: trimmed(input.text),
                attachment_url: trimmed(input.attachment_url),
                feedback_ids: distinct(input.feedback_ids),
            };
            store::next_version(conn, id, &next, who.user_id()).map_err(status_refusal)
        })
        .await?;
    let (new_id, version) = (programme_document.id, programme_document.version);
    Ok(created_versioned(
        &programme_document,
        version,
        format!("/api/v1/programme-documents/{new_id}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::WHO_READS;
    use kim_domain::permission::roles_allowed;
    use kim_domain::Action;

    /// The "who may call" lines say what the permission table says.
    #[test]
    fn readers_are_the_table_s() {
        let listed: Vec<String> = roles_allowed(Action::ReadProgrammeDocuments)
            .iter()
            .map(|r| format!("`{r}`"))
            .collect();
        let mut documented: Vec<String> = WHO_READS.split(", ").map(str::to_owned).collect();
        documented.sort();
        let mut listed_sorted = listed.clone();
        listed_sorted.sort();
        assert_eq!(documented, listed_sorted);
    }
}
