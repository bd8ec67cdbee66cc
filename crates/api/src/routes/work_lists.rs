//! What waits for me: the work list of a case manager (and of an immigration officer).

use crate::routes::RouteTable;
use actix_web::{get, web};
use chrono::{NaiveDate, Utc};
use kim_domain::access::{case_scope, request_scope, CaseScope, RequestScope};
use kim_domain::access_change::AccessChangeStatus;
use kim_domain::audit::{AuditObject, AuditVerb};
use kim_domain::gap::{GapStage, GapStep};
use kim_domain::paging::{PageRequest, MAX_LIMIT};
use kim_domain::referral::ReferralStatus;
use kim_domain::residence_request::{office_view, ResidenceRequestStatus};
use kim_domain::Action;
use kim_store::access_changes::{self, AccessChangeFilter};
use kim_store::cases;
use kim_store::{conferences, gap_steps, goals, referrals, residence_requests};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{Authenticated, Caller};
use std::collections::HashMap;

use crate::error::error_sets as sets;
use crate::http::paging::PageParams;
use crate::server::AppState;
use crate::{page_type, ApiError};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(my_tasks);
}

kim_domain::vocabulary! {
    /// Kind of work waiting (Aufgabe).
    pub enum TaskKind {
        /// A case still in intake: decide and activate or close it.
        IntakeToDecide => "intake_to_decide",
        /// An open goal past its target date.
        OverdueGoal => "overdue_goal",
        /// A follow-up task of a case conference, due within 14 days or overdue.
        FollowUp => "follow_up",
        /// A referral drafted but not sent.
        ReferralToSend => "referral_to_send",
        /// A referral the partner declined: plan what comes next.
        ReferralDeclined => "referral_declined",
        /// A residence-law request the office answered: read and close it.
        RequestAnswered => "request_answered",
        /// A residence-law request to the caller's office waiting for an answer.
        RequestToAnswer => "request_to_answer",
        /// A systematic gap waiting for a step of the caller's role (the title names the steps).
        GapStep => "gap_step",
        /// An access change another person asked for, waiting for the caller to confirm or
        /// reject it (data protection officer, KI lead).
        AccessChangeToConfirm => "access_change_to_confirm",
        /// A partner organisation's intake request (Zuweisung) waiting for the CM
        /// coordination to accept or decline it.
        IntakeRequestToDecide => "intake_request_to_decide",
        /// An adopted programme document (CM concept, template, quality standard, integration
        /// concept) the case manager has not yet acknowledged as read and applied.
        DocumentToAcknowledge => "document_to_acknowledge",
    }
}

/// One thing that waits for the caller.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"kind": "overdue_goal", "due_on": "2026-11-01", "case_id": 3,
    "object_type": "goal", "object_id": 17, "title": "B1 language course started"}))]
pub struct Task {
    pub kind: TaskKind,
    /// When it is or was due, if it has a date.
    pub due_on: Option<NaiveDate>,
    pub case_id: Option<i64>,
    /// `goal`, `conference`, `referral`, `residence_request`, `case`, `gap`, `access_change`,
    /// `intake_request` or `programme_document`.
    pub object_type: &'static str,
    pub object_id: i64,
    /// A short text: the goal, the task, the referral's purpose, the question.
    pub title: String,
}

page_type!(TaskPage, Task);

/// How far ahead follow-ups are listed.
const FOLLOW_UP_DAYS: i64 = 14;

/// What a shown task reveals about a person, by the task's `(object_type, object_id)`: the
/// audit event its showing writes. Only the tasks of the page asked for are shown.
type Revealed = HashMap<(&'static str, i64), (AuditObject, Option<i64>)>;

/// The tasks waiting for the caller that a page ending at `window` can show, oldest due
/// first, how many tasks there are in all, and what each would reveal.
///
/// The kinds that grow with a caseload (intakes, overdue goals, referrals, follow-ups) are
/// each read in the list's order and cut at `window` in the database, with a count beside:
/// any task among the first `window` of the whole list is among the first `window` of its
/// kind, so merging the cut kinds gives the same page as merging all of them.
fn collect(
    conn: &mut kim_store::DbConn,
    who: &Authenticated,
    seen: &mut Revealed,
    today: NaiveDate,
    window: i64,
) -> Result<(Vec<Task>, i64), ApiError> {
    let me = who.user_id().ok_or(ApiError::Forbidden(
        "partners find their work under /referrals".into(),
    ))?;
    let mut tasks = Vec::new();
    // Tasks counted but not loaded, because they lie beyond the window.
    let mut beyond = 0;
    let scope = case_scope(&who.principal);
    if scope != CaseScope::Nothing {
        let (intakes, total) = cases::intakes_of_assignee(conn, me, window)?;
        beyond += total - intakes.len() as i64;
        for intake in intakes {
            // The reference is shown: an event about that person.
            seen.insert(
                ("case", intake.case_id),
                (AuditObject::Case, Some(intake.lead_client_id)),
            );
            tasks.push(Task {
                kind: TaskKind::IntakeToDecide,
                due_on: Some(intake.opened_on),
                case_id: Some(intake.case_id),
                object_type: "case",
                object_id: intake.case_id,
                title: format!("Intake of {}", intake.lead_client_reference),
            });
        }
        let (overdue, total) = goals::overdue_of_assignee(conn, me, today, window)?;
        beyond += total - overdue.len() as i64;
        let goal_cases: Vec<i64> = overdue.iter().map(|g| g.case_id).collect();
        let goal_leads = cases::lead_clients(conn, &goal_cases)?;
        for goal in overdue {
            // The goal's text is shown: an event about that person.
            let lead = goal_leads.get(&goal.case_id).copied();
            seen.insert(("goal", goal.id), (AuditObject::Goal, lead));
            tasks.push(Task {
                kind: TaskKind::OverdueGoal,
                due_on: goal.data.target_on,
                case_id: Some(goal.case_id),
                object_type: "goal",
                object_id: goal.id,
                title: goal.data.text,
            });
        }
        let (waiting, total) = referrals::waiting_on_assignee(conn, me, window)?;
        beyond += total - waiting.len() as i64;
        for referral in waiting {
            let kind = match referral.status {
                ReferralStatus::Draft => TaskKind::ReferralToSend,
                _ => TaskKind::ReferralDeclined,
            };
            tasks.push(Task {
                kind,
                due_on: referral.data.due_on,
                case_id: Some(referral.case_id),
                object_type: "referral",
                object_id: referral.id,
                title: referral.data.purpose.clone(),
            });
        }
        let until = today + chrono::Duration::days(FOLLOW_UP_DAYS);
        let (due, total) = conferences::tasks_due(conn, me, until, window)?;
        beyond += total - due.len() as i64;
        let task_cases: Vec<i64> = due.iter().filter_map(|t| t.1).collect();
        let leads = cases::lead_clients(conn, &task_cases)?;
        for (conference, case_id, description, due) in due {
            // The task's text is about the case's people: an event per task shown.
            let lead = case_id.and_then(|c| leads.get(&c).copied());
            seen.insert(("conference", conference), (AuditObject::Conference, lead));
            tasks.push(Task {
                kind: TaskKind::FollowUp,
                due_on: Some(due),
                case_id,
                object_type: "conference",
                object_id: conference,
                title: description,
            });
        }
    }
    let organisation = kim_store::users::find(conn, me)?.organisation_id;
    let requests = request_scope(&who.principal, organisation);
    if requests != RequestScope::Nothing {
        let all = PageRequest {
            limit: MAX_LIMIT,
            offset: 0,
        };
        let (status, kind) = match requests {
            RequestScope::ToOffice(_) => (ResidenceRequestStatus::Open, TaskKind::RequestToAnswer),
            _ => (ResidenceRequestStatus::Answered, TaskKind::RequestAnswered),
        };
        let today = chrono::Utc::now().date_naive();
        for request in residence_requests::list(conn, requests, Some(status), all)?.items {
            // The question is shown: an event about the person it concerns.
            seen.insert(
                ("residence_request", request.id),
                (AuditObject::ResidenceRequest, Some(request.client_id)),
            );
            // The office sees the question only while the consents release it (as in
            // GET /residence-requests/{id}); the task itself stays on its list.
            let content = match requests {
                RequestScope::ToOffice(_) => {
                    let consents = residence_requests::consents_of(conn, request.client_id)?;
                    office_view(
                        &request.shared_categories,
                        &consents,
                        request.office_organisation_id,
                        today,
                    )
                    .content
                }
                _ => true,
            };
            tasks.push(Task {
                kind,
                due_on: None,
                case_id: None,
                object_type: "residence_request",
                object_id: request.id,
                title: if content {
                    request.question.chars().take(120).collect()
                } else {
                    format!(
                        "Residence-law request {} (withheld: the client's consent no longer releases it)",
                        request.id
                    )
                },
            });
        }
    }
    if kim_domain::intake_request::may_decide(&who.principal) {
        for request in kim_store::intake_requests::waiting(conn)? {
            // The title names the referrer's reference, not the person; the task is still
            // recorded as a look at the request.
            seen.insert(
                ("intake_request", request.id),
                (AuditObject::IntakeRequest, request.client_id),
            );
            tasks.push(Task {
                kind: TaskKind::IntakeRequestToDecide,
                due_on: Some(request.created_at.date_naive()),
                case_id: None,
                object_type: "intake_request",
                object_id: request.id,
                title: format!("Intake request {}", request.partner_reference),
            });
        }
    }
    let gap_work = gap_tasks(conn, who, me)?;
    let has_gap_role = gap_work.is_some();
    tasks.extend(gap_work.unwrap_or_default());
    let confirms = who.principal.may(Action::ConfirmAccessChanges);
    if confirms {
        tasks.extend(access_change_tasks(conn, me)?);
    }
    if who.principal.may(Action::AcknowledgeProgrammeDocuments) {
        tasks.extend(document_tasks(conn, me)?);
    }
    if scope == CaseScope::Nothing
        && requests == RequestScope::Nothing
        && !has_gap_role
        && !confirms
    {
        return Err(ApiError::Forbidden(
            "your role has no case work, no step in the gap process and no access changes to \
             confirm"
                .into(),
        ));
    }
    // A stable sort: tasks of one kind with the same key keep the order their query gave.
    tasks.sort_by(|a, b| a.due_on.cmp(&b.due_on).then(a.object_id.cmp(&b.object_id)));
    let total = tasks.len() as i64 + beyond;
    Ok((tasks, total))
}

/// The access changes the caller may decide: pending, asked for by someone else, not about
/// their own account. Oldest first, dated by the day they were asked for.
fn access_change_tasks(conn: &mut kim_store::DbConn, me: i64) -> Result<Vec<Task>, ApiError> {
    let filter = AccessChangeFilter {
        status: Some(AccessChangeStatus::Pending),
        decidable_by: Some(me),
        ..AccessChangeFilter::default()
    };
    let all = PageRequest {
        limit: MAX_LIMIT,
        offset: 0,
    };
    Ok(access_changes::list(conn, &filter, all)?
        .items
        .into_iter()
        .map(|change| Task {
            kind: TaskKind::AccessChangeToConfirm,
            due_on: Some(change.requested_at.date_naive()),
            case_id: None,
            object_type: "access_change",
            object_id: change.id,
            title: change.summary,
        })
        .collect())
}

/// The adopted programme documents the caller has not acknowledged yet, dated by their
/// adoption. No person is named: nothing to audit.
fn document_tasks(conn: &mut kim_store::DbConn, me: i64) -> Result<Vec<Task>, ApiError> {
    Ok(kim_store::programme_documents::unacknowledged_by(conn, me)?
        .into_iter()
        .map(|document| Task {
            kind: TaskKind::DocumentToAcknowledge,
            due_on: document.adopted_on,
            case_id: None,
            object_type: "programme_document",
            object_id: document.id,
            title: format!(
                "Read and apply: {} (version {})",
                document.title, document.document_version
            ),
        })
        .collect())
}

/// The gap steps waiting for the caller's role; `None` when the role takes no step. A project
/// group member sees the gaps mandated to their groups; a case manager the solutions still to
/// acknowledge, and feedback not yet given.
fn gap_tasks(
    conn: &mut kim_store::DbConn,
    who: &Authenticated,
    me: i64,
) -> Result<Option<Vec<Task>>, ApiError> {
    let kim_domain::Principal::Person { role, .. } = who.principal else {
        return Ok(None);
    };
    let stages: Vec<GapStage> = GapStage::ALL
        .iter()
        .copied()
        .filter(|s| !s.steps_for(role).is_empty())
        .collect();
    if stages.is_empty() {
        return Ok(None);
    }
    let my_groups = kim_store::bodies::bodies_of_user(conn, me)?;
    let gaps = kim_store::gaps::in_stages(conn, &stages)?;
    // What the caller has done and what the gaps are mandated with, read for all gaps at once.
    let ids: Vec<i64> = gaps.iter().map(|g| g.id).collect();
    let acknowledged = gap_steps::acknowledged_among(conn, me, &ids)?;
    let given_feedback = gap_steps::with_feedback_of(conn, me, &ids)?;
    let mandates = gap_steps::current_mandates(conn, &ids)?;
    let mut tasks = Vec::new();
    for gap in gaps {
        let mut steps = gap.stage.steps_for(role);
        let mut due_on = None;
        if steps.contains(&GapStep::Propose) {
            match mandates.get(&gap.id) {
                Some((due, groups)) if groups.iter().any(|g| my_groups.contains(g)) => {
                    due_on = Some(*due)
                }
                _ => continue,
            }
        }
        if acknowledged.contains(&gap.id) {
            steps.retain(|s| *s != GapStep::Acknowledge);
        }
        if given_feedback.contains(&gap.id) {
            steps.retain(|s| *s != GapStep::Feedback);
        }
        if steps.is_empty() {
            continue;
        }
        let names: Vec<&str> = steps.iter().map(|s| s.as_str()).collect();
        tasks.push(Task {
            kind: TaskKind::GapStep,
            due_on,
            case_id: None,
            object_type: "gap",
            object_id: gap.id,
            title: format!("{}: {}", names.join(" or "), gap.data.title),
        });
    }
    Ok(Some(tasks))
}

/// What waits for me
///
/// The caller's work list: intakes to decide, overdue goals of their cases, referrals to send
/// or declined, conference follow-ups due within 14 days, answered residence-law requests to
/// read and close; for an immigration officer, the open requests to their office. Oldest due
/// first, one page at a time (`limit`, `offset`, with `total`). Each task shown that names a
/// person (an intake, a goal, a follow-up, a residence-law request) is recorded in the audit
/// trail; tasks on other pages are not.
///
/// Gap steps waiting for the caller's role (`gap_step`, object `gap`): the CM coordination's
/// reported gaps, decided solutions to communicate and gaps in application; the KI head's
/// escalated gaps; the steering group's gaps to mandate or decide on; a project group member's
/// mandated gaps (due date of the mandate); a case manager's solutions to acknowledge and give
/// feedback on.
///
/// Intake requests waiting for the CM coordination's decision (`intake_request_to_decide`,
/// object `intake_request`, dated by their submission).
///
/// Access changes waiting for the caller's confirmation (`access_change_to_confirm`, object
/// `access_change`): for the data protection officer and the KI lead, those asked for by
/// someone else and not about their own account.
///
/// Adopted programme documents a case manager has not acknowledged yet
/// (`document_to_acknowledge`, object `programme_document`, dated by their adoption), until
/// `POST /programme-documents/{id}/acknowledgements`.
///
/// **Who may call:** `case_manager`, `cm_coordinator`, `immigration_officer`, `ki_lead`,
/// `steering_member`, `project_group_member`, `data_protection_officer`. Others: 403.
#[utoipa::path(tag = "Cases", params(PageParams), responses(
    (status = 200, description = "One page of the work list", body = TaskPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/me/tasks")]
pub async fn my_tasks(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
) -> Result<web::Json<TaskPage>, ApiError> {
    let page = paging.page()?;
    let today = Utc::now().date_naive();
    state
        .db
        .audited_read(caller, None, move |conn, who, trail| {
            let mut seen = Revealed::new();
            let window = page.offset.saturating_add(page.limit);
            let (tasks, total) = collect(conn, who, &mut seen, today, window)?;
            let shown: Vec<Task> = tasks
                .into_iter()
                .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
                .take(usize::try_from(page.limit).unwrap_or(0))
                .collect();
            // Only what the page shows is an event about a person.
            for task in &shown {
                if let Some((object, client)) = seen.get(&(task.object_type, task.object_id)) {
                    trail.record(*object, AuditVerb::List, Some(task.object_id), *client);
                }
            }
            Ok::<_, ApiError>(TaskPage::new(
                kim_store::Listed {
                    items: shown,
                    total,
                },
                page,
            ))
        })
        .await
        .map(web::Json)
}
