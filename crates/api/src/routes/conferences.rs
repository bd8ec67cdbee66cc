//! Case conferences (Fallkonferenzen): with a case, visible to those who see the case; or
//! anonymised (no case, only a summary), visible to case managers and cm_coordinator. A
//! conference about a case with partners from outside the county administration needs the lead
//! client's consent for `case_conference` ([`kim_domain::conference`]).

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{get, post, put, web, HttpResponse};
use chrono::{NaiveDate, Utc};
use kim_domain::access::Access;
use kim_domain::audit::{AuditObject, AuditVerb};
use kim_domain::conference::{check_conference_consent, external_participants, may_complete_task};
use kim_domain::Action;
use kim_store::conferences::{
    self as store, ConferenceChanges, ConferenceData, FollowUp, TaskEdit,
};
use kim_store::DbConn;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::trimmed;
use crate::auth::{Authenticated, Caller};
use crate::case_access::writable_case;
use crate::case_access::{audit, conference_access_of, list_of_case, require_access};
use crate::error::error_sets as sets;
use crate::error::{invalid_fields, FieldError};
use crate::http::paging::slice;
use crate::http::paging::PageParams;
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::server::AppState;
use crate::views::conference::{Conference, FollowUpTask};
use crate::{page_type, ApiError};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(create_conference)
        .service(get_conference)
        .service(update_conference)
        .service(complete_task)
        .service(list_case_conferences);
}

impl FollowUpTask {
    fn into_follow_up(self) -> FollowUp {
        FollowUp {
            description: self.description.trim().to_owned(),
            owner_user_id: self.owner_user_id,
            due_on: self.due_on,
            done_on: self.done_on,
        }
    }
}

page_type!(ConferencePage, Conference);

/// A conference to record.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"case_id": 12, "held_on": "2026-11-18",
    "outcome": "Jobcenter funds the B1 course", "organisation_ids": [3, 8], "user_ids": [5],
    "tasks": [{"description": "Apply for the course", "owner_user_id": 5, "due_on": "2026-12-01"}]}))]
pub struct ConferenceInput {
    /// The case discussed; leave out for an anonymised conference.
    pub case_id: Option<i64>,
    /// Not in the future.
    pub held_on: NaiveDate,
    /// Required without a case; at most 2000 characters.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub summary: Option<String>,
    /// At most 2000 characters.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub outcome: Option<String>,
    /// At most 50.
    #[serde(default)]
    #[validate(length(max = 50, message = "at most 50 organisations"))]
    #[schema(max_items = 50)]
    pub organisation_ids: Vec<i64>,
    /// At most 50.
    #[serde(default)]
    #[validate(length(max = 50, message = "at most 50 users"))]
    #[schema(max_items = 50)]
    pub user_ids: Vec<i64>,
    /// At most 50.
    #[serde(default)]
    #[validate(length(max = 50, message = "at most 50 tasks"), nested)]
    #[schema(max_items = 50)]
    pub tasks: Vec<FollowUpTask>,
}

impl ConferenceInput {
    /// Checks the input; `replacing` allows task ids (which the store checks belong to the
    /// conference), recording does not.
    fn validated(&self, today: NaiveDate, replacing: bool) -> Result<(), ApiError> {
        let mut errors: Vec<FieldError> = invalid_fields(&self);
        if self.case_id.is_none() && trimmed(self.summary.clone()).is_none() {
            errors.push(FieldError::rule(
                "summary",
                "is required for an anonymised conference (one without case_id)",
            ));
        }
        if self.held_on > today {
            errors.push(FieldError::rule("held_on", "must not be in the future"));
        }
        for (index, task) in self.tasks.iter().enumerate() {
            if task.id.is_some() && !replacing {
                errors.push(FieldError::rule(
                    format!("tasks[{index}].id"),
                    "leave out when recording: the server assigns task ids",
                ));
            }
            if task.done_on.is_some_and(|done| done > today) {
                errors.push(FieldError::rule(
                    format!("tasks[{index}].done_on"),
                    "must not be in the future",
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            errors.sort_by(|a, b| a.field.cmp(&b.field));
            Err(ApiError::Validation(errors))
        }
    }

    fn into_data(self, today: NaiveDate) -> Result<ConferenceData, ApiError> {
        self.validated(today, false)?;
        Ok(ConferenceData {
            case_id: self.case_id,
            held_on: self.held_on,
            summary: trimmed(self.summary),
            outcome: trimmed(self.outcome),
            organisation_ids: self.organisation_ids,
            user_ids: self.user_ids,
            tasks: self
                .tasks
                .into_iter()
                .map(FollowUpTask::into_follow_up)
                .collect(),
        })
    }

    /// For a replacement of a conference about `case_id`: the case cannot change.
    fn into_changes(
        self,
        today: NaiveDate,
        case_id: Option<i64>,
    ) -> Result<ConferenceChanges, ApiError> {
        self.validated(today, true)?;
        if self.case_id != case_id {
            return Err(ApiError::rule(
                "case_id",
                "cannot change: a conference stays with the case it discussed (or anonymised); record a new one instead",
            ));
        }
        Ok(ConferenceChanges {
            held_on: self.held_on,
            summary: trimmed(self.summary),
            outcome: trimmed(self.outcome),
            organisation_ids: self.organisation_ids,
            user_ids: self.user_ids,
            tasks: self
                .tasks
                .into_iter()
                .map(|t| TaskEdit {
                    id: t.id,
                    task: t.into_follow_up(),
                })
                .collect(),
        })
    }
}

/// A conference about a case shares the lead client's data with everyone present: every
/// participating organisation outside the county administration (named, or the organisation
/// of a named user) needs the client's consent for `case_conference` releasing identity and
/// case content on the day held (409 `consent-missing` otherwise, as for referrals).
fn require_conference_consent(
    conn: &mut kim_store::DbConn,
    lead_client_id: i64,
    organisation_ids: &[i64],
    user_ids: &[i64],
    held_on: NaiveDate,
) -> Result<(), ApiError> {
    let participants = store::participant_organisations(conn, organisation_ids, user_ids)?;
    let external = external_participants(&participants);
    if external.is_empty() {
        return Ok(());
    }
    let consents = kim_store::consents::rules_of_client(conn, lead_client_id)?;
    check_conference_consent(&consents, &external, held_on)
        .map(|_| ())
        .map_err(ApiError::from)
}

/// Record a case conference
///
/// With `case_id`: the caller must work the case, and every participating organisation outside
/// the county administration (named in `organisation_ids`, or the organisation of a user in
/// `user_ids`) needs a consent of the lead client for the purpose `case_conference` releasing
/// `identity` and `case_content` to it, valid on `held_on`; otherwise 409 with problem type
/// `https://kim-api.example/problems/consent-missing` and `missing_categories`. Without
/// `case_id`: an anonymised conference, which needs a `summary` (without personal data) and
/// no consent.
///
/// **Who may call:** `case_manager` (of the case, if one is given). Other roles 403; a case the
/// caller may not see 404 (on `case_id` in the body too).
#[utoipa::path(tag = "Case conferences", request_body = ConferenceInput, responses(
    (status = 201, description = "Recorded", body = Conference, headers(("ETag" = String), ("Location" = String))),
    (status = 404, response = crate::error::responses::NotFound),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/conferences")]
pub async fn create_conference(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<ConferenceInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let today = Utc::now().date_naive();
    let created = state
        .db
        .write_with(caller, move |conn, who| {
            who.require(Action::WorkCases)?;
            let case = match input.case_id {
                Some(case_id) => Some(writable_case(conn, who, case_id)?),
                None => None,
            };
            let data = input.into_data(today)?;
            if let Some(case) = &case {
                require_conference_consent(
                    conn,
                    case.data.lead_client_id,
                    &data.organisation_ids,
                    &data.user_ids,
                    data.held_on,
                )?;
            }
            let reference = case.map(|c| c.lead_client_reference);
            let conference = store::insert(conn, &who.actor(), &data)?;
            audit_conference(
                conn,
                who,
                AuditVerb::Create,
                conference.id,
                reference.as_deref(),
            )?;
            Ok::<_, ApiError>(conference)
        })
        .await?;
    let (id, version) = (created.id, created.version);
    Ok(created_versioned(
        &Conference::from(created),
        version,
        format!("/api/v1/conferences/{id}"),
    ))
}

/// Get a case conference
///
/// **Who may call:** for a conference with a case, those who see the case (its case managers,
/// `cm_coordinator`); for an anonymised one, every `case_manager` and `cm_coordinator`. Anyone
/// else 404.
#[utoipa::path(tag = "Case conferences", params(("id" = i64, Path, description = "Conference id")), responses(
    (status = 200, description = "The conference", body = Conference, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/conferences/{id}")]
pub async fn get_conference(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let conference = state
        .db
        .write_with_denied(caller, (AuditObject::Conference, id), move |conn, who| {
            let (access, reference) = conference_access_of(conn, who, id)?;
            require_access(access, Access::Read)?;
            let conference = store::find(conn, id)?;
            audit_conference(conn, who, AuditVerb::Read, id, reference.as_deref())?;
            Ok::<_, ApiError>(conference)
        })
        .await?;
    let version = conference.version;
    Ok(ok_versioned(&Conference::from(conference), version))
}

/// Replace a case conference
///
/// Corrects what was recorded: date, summary, outcome, participants and follow-up tasks. Tasks
/// listed with their `id` are kept (and changed, e.g. a new due date or `done_on`), tasks left
/// out are removed, tasks without `id` are added. The case cannot change. Requires `If-Match`.
/// The participants need the lead client's consent as when recording (409 `consent-missing`).
///
/// **Who may call:** for a conference with a case, its `case_manager`s (`cm_coordinator` 403);
/// for an anonymised one, the case manager who recorded it (other case managers and
/// `cm_coordinator` 403). Anyone else 404.
#[utoipa::path(tag = "Case conferences", request_body = ConferenceInput,
    params(("id" = i64, Path, description = "Conference id"), ("If-Match" = String, Header, description = "ETag of the version you edited")),
    responses(
    (status = 200, description = "The conference", body = Conference, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/conferences/{id}")]
pub async fn update_conference(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<ConferenceInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    let today = Utc::now().date_naive();
    let updated = state
        .db
        .write_with(caller, move |conn, who| {
            let (access, reference) = conference_access_of(conn, who, id)?;
            require_access(access, Access::ReadWrite)?;
            let expected = if_match.version()?;
            let case_id = store::find(conn, id)?.case_id;
            let changes = input.into_changes(today, case_id)?;
            if let Some(case_id) = case_id {
                let lead = kim_store::cases::find(conn, case_id)?.data.lead_client_id;
                require_conference_consent(
                    conn,
                    lead,
                    &changes.organisation_ids,
                    &changes.user_ids,
                    changes.held_on,
                )?;
            }
            let conference = store::update(conn, id, expected, &changes)?;
            audit_conference(conn, who, AuditVerb::Update, id, reference.as_deref())?;
            Ok::<_, ApiError>(conference)
        })
        .await?;
    let version = updated.version;
    Ok(ok_versioned(&Conference::from(updated), version))
}

/// When a follow-up task was done.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"done_on": "2026-11-20"}))]
pub struct TaskDoneInput {
    /// Default today; not in the future.
    pub done_on: Option<NaiveDate>,
}

/// Mark a follow-up task done
///
/// The task leaves the owner's `/me/tasks`; the conference's version moves on. A task already
/// done is 409 (reopen it by replacing the conference with `done_on` removed). Answers the task
/// only, so an owner who cannot see the case learns nothing more from it.
///
/// **Who may call:** the task's owner (whatever their role), and whoever may change the
/// conference (see `PUT /conferences/{id}`). Others who see the conference 403; anyone else 404.
#[utoipa::path(tag = "Case conferences", request_body(content = TaskDoneInput, description = "May be empty: `{}`"),
    params(("id" = i64, Path, description = "Conference id"), ("task_id" = i64, Path, description = "Task id")),
    responses(
    (status = 200, description = "The task", body = FollowUpTask),
    (status = 404, response = crate::error::responses::NotFound),
    (status = 409, response = crate::error::responses::Conflict),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/conferences/{id}/tasks/{task_id}/done")]
pub async fn complete_task(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    body: Json<TaskDoneInput>,
) -> Result<web::Json<FollowUpTask>, ApiError> {
    let (id, task_id) = path.into_inner();
    let today = Utc::now().date_naive();
    let done_on = body.into_inner().done_on.unwrap_or(today);
    let task = state
        .db
        .write_with(caller, move |conn, who| {
            let (access, reference) = conference_access_of(conn, who, id)?;
            let owner = match store::task(conn, id, task_id) {
                Ok(task) => task.task.owner_user_id,
                // A missing task of a visible conference is 404 as much as an invisible one.
                Err(kim_store::StoreError::NotFound) => return Err(ApiError::NotFound),
                Err(other) => return Err(other.into()),
            };
            if !may_complete_task(&who.principal, access, owner) {
                // Not the owner and no right to change: 404 if invisible, else 403.
                require_access(access, Access::ReadWrite)?;
            }
            if done_on > today {
                return Err(ApiError::rule("done_on", "must not be in the future"));
            }
            let task = store::complete_task(conn, id, task_id, done_on)?;
            audit_conference(conn, who, AuditVerb::Update, id, reference.as_deref())?;
            Ok::<_, ApiError>(task)
        })
        .await?;
    Ok(web::Json(FollowUpTask {
        id: Some(task.id),
        description: task.task.description,
        owner_user_id: task.task.owner_user_id,
        due_on: task.task.due_on,
        done_on: task.task.done_on,
    }))
}

/// List the conferences of a case
///
/// Newest first. Anonymised conferences are linked to no case and so never listed here.
///
/// **Who may call:** `case_manager` (cases they work), `cm_coordinator`. Other roles 403; a case
/// the caller may not see 404.
#[utoipa::path(tag = "Case conferences", params(("id" = i64, Path, description = "Case id"), PageParams), responses(
    (status = 200, description = "The conferences of the case", body = ConferencePage),
    (status = 404, response = crate::error::responses::NotFound),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/cases/{id}/conferences")]
pub async fn list_case_conferences(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    paging: web::Query<PageParams>,
) -> Result<web::Json<ConferencePage>, ApiError> {
    let page = paging.page()?;
    let case_id = id.into_inner();
    let all = state
        .db
        .write_with_denied(caller, (AuditObject::Case, case_id), move |conn, who| {
            list_of_case(conn, who, case_id, AuditObject::Conference, store::of_case)
        })
        .await?;
    Ok(web::Json(ConferencePage::new(slice(all, page), page)))
}

/// The audit event of `verb` on conference `id`, naming the lead client of its case (none for
/// an anonymised conference).
fn audit_conference(
    conn: &mut DbConn,
    who: &Authenticated,
    verb: AuditVerb,
    id: i64,
    reference: Option<&str>,
) -> Result<(), ApiError> {
    audit(
        conn,
        who,
        AuditObject::Conference,
        verb,
        Some(id),
        reference,
    )
}
