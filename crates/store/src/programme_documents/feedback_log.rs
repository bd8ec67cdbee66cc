//! Feedback on a programme document, from case managers and from the steering group's
//! decisions, as the next version takes it up.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::paging::PageRequest;
use kim_domain::programme_document::FeedbackSource;

use crate::connection::MultiBackend;
use crate::error::StoreResult;
use crate::{bodies, clock, DbConn, Listed, StoreError};

use super::schema::programme_document_feedback as feedback;

use super::find;

/// Feedback to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFeedback {
    pub source: FeedbackSource,
    pub body_id: Option<i64>,
    pub text: String,
    pub received_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    pub id: i64,
    pub document_id: i64,
    pub data: NewFeedback,
    /// The case manager who gave it, or who recorded a body's or clients' feedback.
    pub recorded_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = feedback, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct FeedbackRow {
    id: i64,
    document_id: i64,
    source: String,
    body_id: Option<i64>,
    text: String,
    received_on: NaiveDate,
    recorded_by: Option<i64>,
    created_at: NaiveDateTime,
}

impl TryFrom<FeedbackRow> for Feedback {
    type Error = StoreError;
    fn try_from(row: FeedbackRow) -> StoreResult<Self> {
        Ok(Feedback {
            id: row.id,
            document_id: row.document_id,
            data: NewFeedback {
                source: FeedbackSource::parse(&row.source)?,
                body_id: row.body_id,
                text: row.text,
                received_on: row.received_on,
            },
            recorded_by: row.recorded_by,
            created_at: clock::to_utc(row.created_at),
        })
    }
}

/// Records feedback on version `id`; a superseded version takes none (`Conflict`), a body must
/// exist (422 `reference`).
pub fn insert_feedback(
    conn: &mut DbConn,
    id: i64,
    data: &NewFeedback,
    recorded_by: Option<i64>,
) -> StoreResult<Feedback> {
    let document = find(conn, id)?;
    document
        .status
        .check_open_for_feedback()
        .map_err(StoreError::Conflict)?;
    if let Some(body) = data.body_id {
        if bodies::kinds(conn, &[body])?.is_empty() {
            return Err(StoreError::unknown(
                "body_id",
                format!("no body with id {body}"),
            ));
        }
    }
    let entry: i64 = diesel::insert_into(feedback::table)
        .values((
            feedback::document_id.eq(id),
            feedback::source.eq(data.source.as_str()),
            feedback::body_id.eq(data.body_id),
            feedback::text.eq(&data.text),
            feedback::received_on.eq(data.received_on),
            feedback::recorded_by.eq(recorded_by),
            feedback::created_at.eq(clock::now()),
        ))
        .returning(feedback::id)
        .get_result(conn)?;
    feedback::table
        .find(entry)
        .select(FeedbackRow::as_select())
        .first(conn)?
        .try_into()
}

/// The feedback on version `id`, oldest first; `source` narrows it.
pub fn feedback_on(
    conn: &mut DbConn,
    id: i64,
    source: Option<FeedbackSource>,
    page: PageRequest,
) -> StoreResult<Listed<Feedback>> {
    find(conn, id)?;
    let query = || {
        let mut q = feedback::table
            .filter(feedback::document_id.eq(id))
            .into_boxed::<MultiBackend>();
        if let Some(source) = source {
            q = q.filter(feedback::source.eq(source.as_str()));
        }
        q
    };
    let total: i64 = query().count().get_result(conn)?;
    let items = query()
        .order(feedback::id.asc())
        .limit(page.limit)
        .offset(page.offset)
        .select(FeedbackRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Feedback::try_from)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Listed { items, total })
}
