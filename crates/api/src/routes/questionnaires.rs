//! Fragebögen (questionnaires) of the needs survey and their versions. A version is edited as a
//! whole while it is a draft; once a campaign uses it, it is frozen and changes go into a new
//! version (`POST …/versions`, a copy of the last).

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use kim_domain::survey::{validate_sections, Section};
use kim_domain::Action;
use kim_store::surveys::questionnaires as store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::{not_blank, trimmed};
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::error::{responses as err, FieldError};
use crate::http::paging::PageParams;
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::server::AppState;
use crate::ApiError;

pub use kim_store::surveys::questionnaires::{Questionnaire, VersionSummary};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_questionnaires)
        .service(get_questionnaire)
        .service(create_questionnaire)
        .service(update_questionnaire)
        .service(delete_questionnaire)
        .service(create_version)
        .service(get_version)
        .service(replace_version);
}

crate::page_type!(QuestionnairePage, Questionnaire);

/// Fragebogenversion: the sections and questions of one version.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "questionnaire_id": 1, "number": 1, "frozen": false,
    "sections": [{"title": "Bedarfe", "description": null, "questions": [
        {"key": "need_language", "text": "Wie hoch ist der Bedarf an Sprachförderung?",
         "help_text": "1 = kein Bedarf, 5 = sehr hoher Bedarf", "kind": "scale", "required": true,
         "options": [], "min": null, "max": null}]}],
    "version": 1, "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z"
}))]
pub struct QuestionnaireVersion {
    /// The id campaigns refer to (`questionnaire_version_id`).
    pub id: i64,
    pub questionnaire_id: i64,
    pub number: i32,
    /// A campaign uses it; edits answer 409.
    pub frozen: bool,
    pub sections: Vec<Section>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<store::QuestionnaireVersion> for QuestionnaireVersion {
    fn from(v: store::QuestionnaireVersion) -> Self {
        QuestionnaireVersion {
            id: v.id,
            questionnaire_id: v.questionnaire_id,
            number: v.number,
            frozen: v.frozen,
            sections: v.sections,
            version: v.version,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

/// A new questionnaire with the content of its first version.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Bedarfsabfrage KIM 2021",
    "description": "Standardisierter Fragebogen an die Kommunen und die Freie Wohlfahrt",
    "sections": [{"title": "Bedarfe", "questions": [
        {"key": "need_language", "text": "Wie hoch ist der Bedarf an Sprachförderung?",
         "kind": "scale", "required": true},
        {"key": "target_groups", "text": "Welche Zielgruppen sind unterversorgt?",
         "kind": "multiple_choice", "options": [
            {"value": "youth", "label": "Junge Menschen"}, {"value": "women", "label": "Frauen"}]}]}]
}))]
pub struct QuestionnaireInput {
    /// Unique; 1 to 200 characters.
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub title: String,
    /// At most 2000 characters.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// At least one section with at least one question; question keys unique; choice questions
    /// with at least two options; at most 30 sections and 200 questions.
    #[schema(min_items = 1, max_items = 30)]
    pub sections: Vec<Section>,
}

/// Title and description of a questionnaire (its versions change through their own endpoints).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Bedarfsabfrage KIM 2021", "description": "Frühjahr 2021"}))]
pub struct QuestionnaireUpdate {
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub title: String,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
}

/// The new content of a draft version (replaces every section and question).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"sections": [{"title": "Bedarfe", "questions": [
    {"key": "need_language", "text": "Wie hoch ist der Bedarf an Sprachförderung?", "kind": "scale",
     "required": true}]}]}))]
pub struct VersionInput {
    /// As in `QuestionnaireInput`.
    #[schema(min_items = 1, max_items = 30)]
    pub sections: Vec<Section>,
}

/// Validator errors and the sections' own errors, together.
fn check(
    validated: Result<(), validator::ValidationErrors>,
    sections: &[Section],
) -> Result<(), ApiError> {
    let mut fields = match validated {
        Ok(()) => Vec::new(),
        Err(e) => match ApiError::from(e) {
            ApiError::Validation(fields) => fields,
            other => return Err(other),
        },
    };
    if let Err(errors) = validate_sections(sections) {
        fields.extend(errors.into_iter().map(FieldError::from));
    }
    if fields.is_empty() {
        Ok(())
    } else {
        fields.sort_by(|a, b| a.field.cmp(&b.field));
        Err(ApiError::Validation(fields))
    }
}

/// List questionnaires
///
/// By title, with their versions.
///
/// **Who may call:** `coordinator`, `ki_lead`.
#[utoipa::path(tag = "Needs survey", params(PageParams), responses(
    (status = 200, description = "One page of questionnaires", body = QuestionnairePage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/questionnaires")]
pub async fn list_questionnaires(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
) -> Result<web::Json<QuestionnairePage>, ApiError> {
    let page = paging.page()?;
    let questionnaires = state
        .db
        .read_as(caller, Action::ReadSurveyResults, move |conn, _| {
            store::list(conn, page)
        })
        .await?;
    Ok(web::Json(QuestionnairePage::new(questionnaires, page)))
}

/// Get a questionnaire
///
/// **Who may call:** `coordinator`, `ki_lead`.
#[utoipa::path(tag = "Needs survey", params(("id" = i64, Path, description = "Questionnaire id")), responses(
    (status = 200, description = "The questionnaire", body = Questionnaire, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/questionnaires/{id}")]
pub async fn get_questionnaire(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let questionnaire_id = id.into_inner();
    let questionnaire = state
        .db
        .read_as(caller, Action::ReadSurveyResults, move |conn, _| {
            store::find(conn, questionnaire_id)
        })
        .await?;
    let version = questionnaire.version;
    Ok(ok_versioned(&questionnaire, version))
}

/// Create a questionnaire
///
/// Creates the questionnaire and its version 1, a draft that can be edited until a campaign
/// uses it. Question kinds: `single_choice` and `multiple_choice` (with at least two
/// `options`), `scale` (1-5), `number` (optional `min`/`max`), `free_text`, `yes_no`. Every
/// invalid field is listed (422, e.g. `sections[0].questions[2].options`). Titles are unique (409).
///
/// **Who may call:** `coordinator`.
#[utoipa::path(tag = "Needs survey", request_body = QuestionnaireInput, responses(
    (status = 201, description = "Created", body = Questionnaire, headers(("ETag" = String), ("Location" = String))),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/questionnaires")]
pub async fn create_questionnaire(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<QuestionnaireInput>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.db.authenticate(caller).await?;
    caller.require(Action::ManageSurveys)?;
    let input = body.into_inner();
    check(input.validate(), &input.sections)?;
    let questionnaire = state
        .db
        .write(move |conn| {
            store::insert(
                conn,
                input.title.trim(),
                trimmed(input.description).as_deref(),
                &input.sections,
            )
        })
        .await?;
    let (id, version) = (questionnaire.id, questionnaire.version);
    Ok(created_versioned(
        &questionnaire,
        version,
        format!("/api/v1/questionnaires/{id}"),
    ))
}

/// Change a questionnaire's title and description
///
/// Requires `If-Match`. The questions live in the versions.
///
/// **Who may call:** `coordinator`.
#[utoipa::path(tag = "Needs survey", request_body = QuestionnaireUpdate,
    params(("id" = i64, Path, description = "Questionnaire id"), ("If-Match" = String, Header, description = "ETag of the version you edited")),
    responses(
    (status = 200, description = "The questionnaire", body = Questionnaire, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/questionnaires/{id}")]
pub async fn update_questionnaire(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<QuestionnaireUpdate>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.db.authenticate(caller).await?;
    caller.require(Action::ManageSurveys)?;
    let expected = if_match.version()?;
    let input = body.into_inner();
    input.validate().map_err(ApiError::from)?;
    let id = id.into_inner();
    let questionnaire = state
        .db
        .write(move |conn| {
            store::update(
                conn,
                id,
                expected,
                input.title.trim(),
                trimmed(input.description).as_deref(),
            )
        })
        .await?;
    let version = questionnaire.version;
    Ok(ok_versioned(&questionnaire, version))
}

/// Delete a questionnaire
///
/// With all its versions, provided no campaign uses any of them (409 otherwise). Requires
/// `If-Match`.
///
/// **Who may call:** `coordinator`.
#[utoipa::path(tag = "Needs survey",
    params(("id" = i64, Path, description = "Questionnaire id"), ("If-Match" = String, Header, description = "ETag of the current version")),
    responses(
    (status = 204, description = "Deleted"),
    sets::DeleteErrors,
), security(("bearer" = [])))]
#[delete("/questionnaires/{id}")]
pub async fn delete_questionnaire(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let questionnaire_id = id.into_inner();
    state
        .db
        .write_as(caller, Action::ManageSurveys, move |conn, _| {
            Ok(store::delete(conn, questionnaire_id, if_match.version()?)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Create a new version of a questionnaire
///
/// A new draft version, a copy of the last one, to change a questionnaire whose last version is
/// frozen (used by a campaign). While the last version is still a draft, edit that one (409).
///
/// **Who may call:** `coordinator`.
#[utoipa::path(tag = "Needs survey", params(("id" = i64, Path, description = "Questionnaire id")), responses(
    (status = 201, description = "The new draft version", body = QuestionnaireVersion, headers(("ETag" = String), ("Location" = String))),
    (status = 409, response = err::Conflict),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[post("/questionnaires/{id}/versions")]
pub async fn create_version(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let questionnaire_version = state
        .db
        .write_as(caller, Action::ManageSurveys, move |conn, _| {
            Ok(store::new_version(conn, id)?)
        })
        .await?;
    let (number, version) = (questionnaire_version.number, questionnaire_version.version);
    Ok(created_versioned(
        &QuestionnaireVersion::from(questionnaire_version),
        version,
        format!("/api/v1/questionnaires/{id}/versions/{number}"),
    ))
}

/// Get a questionnaire version
///
/// Its sections and questions in order, and whether it is frozen.
///
/// **Who may call:** `coordinator`, `ki_lead`.
#[utoipa::path(tag = "Needs survey", params(
    ("id" = i64, Path, description = "Questionnaire id"),
    ("number" = i32, Path, description = "Version number (1, 2, …)")), responses(
    (status = 200, description = "The version", body = QuestionnaireVersion, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/questionnaires/{id}/versions/{number}")]
pub async fn get_version(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i32)>,
) -> Result<HttpResponse, ApiError> {
    let (id, number) = path.into_inner();
    let questionnaire_version = state
        .db
        .read_as(caller, Action::ReadSurveyResults, move |conn, _| {
            store::find_version(conn, id, number)
        })
        .await?;
    let version = questionnaire_version.version;
    Ok(ok_versioned(
        &QuestionnaireVersion::from(questionnaire_version),
        version,
    ))
}

/// Replace the questions of a draft version
///
/// Replaces every section and question. A frozen version (used by a campaign) answers 409: create
/// a new version with `POST /questionnaires/{id}/versions` and edit that. Requires `If-Match`.
///
/// **Who may call:** `coordinator`.
#[utoipa::path(tag = "Needs survey", request_body = VersionInput, params(
    ("id" = i64, Path, description = "Questionnaire id"),
    ("number" = i32, Path, description = "Version number"),
    ("If-Match" = String, Header, description = "ETag of the version you edited")), responses(
    (status = 200, description = "The version", body = QuestionnaireVersion, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/questionnaires/{id}/versions/{number}")]
pub async fn replace_version(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i32)>,
    if_match: IfMatch,
    body: Json<VersionInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, number) = path.into_inner();
    let replaced = state
        .db
        .write_as(caller, Action::ManageSurveys, move |conn, _| {
            let expected = if_match.version()?;
            let sections = body.into_inner().sections;
            validate_sections(&sections)?;
            Ok(store::replace_version(
                conn, id, number, expected, &sections,
            )?)
        })
        .await?;
    let version = replaced.version;
    Ok(ok_versioned(&QuestionnaireVersion::from(replaced), version))
}
