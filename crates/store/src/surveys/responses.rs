//! Responses (Antworten): one per respondent slot, saved as a draft, submitted, reopened by the
//! coordination; each submission and reopening is kept in the response's history.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::survey::{response_move, Answers, ResponseMove, ResponseStatus};

use super::tables::{
    survey_respondents as respondents, survey_response_events as events,
    survey_responses as responses,
};
use crate::audit::Actor;
use crate::error::{expect_version, StoreResult};
use crate::{clock, DbConn, StoreError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = responses, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct ResponseRow {
    id: i64,
    respondent_id: i64,
    status: String,
    answers: String,
    version: i32,
    submitted_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = events, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct EventRow {
    action: String,
    actor_kind: String,
    actor_id: Option<i64>,
    reason: Option<String>,
    at: NaiveDateTime,
}

/// One entry of a response's history.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseEvent {
    /// `submitted` or `reopened`.
    pub action: String,
    /// `user`, `partner` or `system`.
    pub actor_kind: String,
    /// The user or partner-token id.
    pub actor_id: Option<i64>,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub id: i64,
    pub respondent_id: i64,
    pub status: ResponseStatus,
    pub answers: Answers,
    pub version: i32,
    pub submitted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Oldest first.
    pub history: Vec<ResponseEvent>,
}

fn parse_answers(text: &str) -> StoreResult<Answers> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("answers: {e}")))
}

fn from_row(conn: &mut DbConn, row: ResponseRow) -> StoreResult<Response> {
    let history = events::table
        .filter(events::response_id.eq(row.id))
        .order(events::id.asc())
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|e| ResponseEvent {
            action: e.action,
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            reason: e.reason,
            at: clock::to_utc(e.at),
        })
        .collect();
    Ok(Response {
        id: row.id,
        respondent_id: row.respondent_id,
        status: ResponseStatus::parse(&row.status)?,
        answers: parse_answers(&row.answers)?,
        version: row.version,
        submitted_at: row.submitted_at.map(clock::to_utc),
        created_at: clock::to_utc(row.created_at),
        updated_at: clock::to_utc(row.updated_at),
        history,
    })
}

/// The response of a respondent slot.
pub fn find(conn: &mut DbConn, respondent_id: i64) -> StoreResult<Response> {
    let row = responses::table
        .filter(responses::respondent_id.eq(respondent_id))
        .select(ResponseRow::as_select())
        .first(conn)?;
    from_row(conn, row)
}

/// The answers of every submitted response of a campaign, by respondent id.
pub fn submitted_answers(conn: &mut DbConn, campaign_id: i64) -> StoreResult<Vec<(i64, Answers)>> {
    responses::table
        .inner_join(respondents::table)
        .filter(respondents::campaign_id.eq(campaign_id))
        .filter(responses::status.eq(ResponseStatus::Submitted.as_str()))
        .order(respondents::id.asc())
        .select((respondents::id, responses::answers))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .map(|(id, text)| Ok((id, parse_answers(&text)?)))
        .collect()
}

fn current(conn: &mut DbConn, respondent_id: i64, expected_version: i32) -> StoreResult<Response> {
    let response = find(conn, respondent_id)?;
    expect_version(response.version, expected_version)?;
    Ok(response)
}

fn record(
    conn: &mut DbConn,
    response_id: i64,
    action: &str,
    actor: &Actor,
    reason: Option<&str>,
) -> StoreResult<()> {
    diesel::insert_into(events::table)
        .values((
            events::response_id.eq(response_id),
            events::action.eq(action),
            events::actor_kind.eq(actor.kind),
            events::actor_id.eq(actor.id),
            events::reason.eq(reason),
            events::at.eq(clock::now()),
        ))
        .execute(conn)?;
    Ok(())
}

fn write(
    conn: &mut DbConn,
    response: &Response,
    status: ResponseStatus,
    answers: &Answers,
    submitted_at: Option<NaiveDateTime>,
) -> StoreResult<()> {
    let text = serde_json::to_string(answers).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    diesel::update(
        responses::table
            .filter(responses::id.eq(response.id))
            .filter(responses::version.eq(response.version)),
    )
    .set((
        responses::status.eq(status.as_str()),
        responses::answers.eq(text),
        responses::version.eq(response.version + 1),
        responses::submitted_at.eq(submitted_at),
        responses::updated_at.eq(clock::now()),
    ))
    .execute(conn)?;
    Ok(())
}

/// Saves `answers` (checked as a draft by the caller) and makes the response a draft. A
/// submitted response must be reopened first (409).
pub fn save(
    conn: &mut DbConn,
    respondent_id: i64,
    expected_version: i32,
    answers: &Answers,
) -> StoreResult<Response> {
    let response = current(conn, respondent_id, expected_version)?;
    let to = response_move(response.status, ResponseMove::Save)?;
    write(conn, &response, to, answers, None)?;
    find(conn, respondent_id)
}

/// Submits the response with `answers` (checked completely by the caller).
pub fn submit(
    conn: &mut DbConn,
    respondent_id: i64,
    expected_version: i32,
    answers: &Answers,
    actor: &Actor,
) -> StoreResult<Response> {
    let response = current(conn, respondent_id, expected_version)?;
    let to = response_move(response.status, ResponseMove::Submit)?;
    write(conn, &response, to, answers, Some(clock::now()))?;
    record(conn, response.id, "submitted", actor, None)?;
    find(conn, respondent_id)
}

/// Reopens a submitted response for changes, keeping its answers; `reason` goes to the history.
pub fn reopen(
    conn: &mut DbConn,
    respondent_id: i64,
    expected_version: i32,
    reason: &str,
    actor: &Actor,
) -> StoreResult<Response> {
    let response = current(conn, respondent_id, expected_version)?;
    let to = response_move(response.status, ResponseMove::Reopen)?;
    write(conn, &response, to, &response.answers, None)?;
    record(conn, response.id, "reopened", actor, Some(reason))?;
    find(conn, respondent_id)
}
