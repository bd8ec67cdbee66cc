//! Documents of the programme (CM concept, templates, quality standards, integration concept),
//! one row per version, with case managers' acknowledgements and feedback. The status machine,
//! the adopting decision and who may enter which feedback are `kim_domain::programme_document`'s
//! rules; here they are applied to what is stored, each write in the caller's transaction.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Date, Text};
use kim_domain::body::{BodyKind, DecisionOutcome};
use kim_domain::paging::PageRequest;
use kim_domain::programme_document::{check_adopting_decision, DocumentKind, DocumentStatus};
use serde::Serialize;
use utoipa::ToSchema;

use crate::connection::MultiBackend;
use crate::error::StoreResult;
use crate::link_sets::{insert_links, load_links};
use crate::versioned::{insert_versioned, update_versioned};
use crate::{clock, DbConn, Listed, StoreError};

use self::schema::{
    programme_document_feedback as feedback, programme_document_feedback_taken as taken,
    programme_documents as documents,
};

mod acknowledgement;
mod feedback_log;

pub use acknowledgement::{
    acknowledge, acknowledgements, unacknowledged_by, Acknowledgement, Unacknowledged,
};
pub use feedback_log::{feedback_on, insert_feedback, Feedback, NewFeedback};

/// The tables of this module, written by hand to match `migrations/*/…_programme_documents`.
mod schema {
    diesel::table! {
        programme_documents (id) {
            id -> BigInt,
            series_id -> BigInt,
            predecessor_id -> Nullable<BigInt>,
            kind -> Text,
            title -> Text,
            document_version -> Integer,
            body_text -> Nullable<Text>,
            attachment_url -> Nullable<Text>,
            status -> Text,
            decision_id -> Nullable<BigInt>,
            adopted_at -> Nullable<Timestamp>,
            superseded_at -> Nullable<Timestamp>,
            created_by -> Nullable<BigInt>,
            version -> Integer,
            created_at -> Timestamp,
            updated_at -> Timestamp,
        }
    }

    diesel::table! {
        programme_document_acknowledgements (document_id, user_id) {
            document_id -> BigInt,
            user_id -> BigInt,
            acknowledged_at -> Timestamp,
        }
    }

    diesel::table! {
        programme_document_feedback (id) {
            id -> BigInt,
            document_id -> BigInt,
            source -> Text,
            body_id -> Nullable<BigInt>,
            text -> Text,
            received_on -> Date,
            recorded_by -> Nullable<BigInt>,
            created_at -> Timestamp,
        }
    }

    diesel::table! {
        programme_document_feedback_taken (document_id, feedback_id) {
            document_id -> BigInt,
            feedback_id -> BigInt,
        }
    }

    diesel::allow_tables_to_appear_in_same_query!(
        programme_documents,
        programme_document_acknowledgements,
        programme_document_feedback,
        programme_document_feedback_taken
    );
}

/// The content of a draft a client sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftContent {
    pub title: String,
    pub text: Option<String>,
    pub attachment_url: Option<String>,
    /// Feedback (on any version of the same document) the draft takes up; distinct, ascending.
    pub feedback_ids: Vec<i64>,
}

/// What a next version changes; absent fields are copied from the adopted version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NextVersion {
    pub title: Option<String>,
    pub text: Option<String>,
    pub attachment_url: Option<String>,
    pub feedback_ids: Vec<i64>,
}

/// Fassung eines Programmdokuments (version of a programme document): the CM concept, a
/// template, a quality standard or the integration concept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ProgrammeDocument)]
#[schema(example = json!({
    "id": 1, "document_id": 1, "predecessor_id": null, "kind": "cm_concept",
    "title": "Kreisweites CM-Konzept KIM Rhein-Sieg", "document_version": 1,
    "text": "1. Ziele des Case Managements …", "attachment_url": null, "status": "adopted",
    "decision_id": 4, "adopted_at": "2021-06-10T12:00:00Z", "superseded_at": null,
    "feedback_ids": [], "created_by": 2, "version": 2,
    "created_at": "2021-05-01T09:00:00Z", "updated_at": "2021-06-10T12:00:00Z"
}))]
pub struct Document {
    /// The id of this version.
    pub id: i64,
    /// The document this is a version of: the id of its first version.
    #[serde(rename = "document_id")]
    pub series_id: i64,
    /// The version this one was drafted from.
    pub predecessor_id: Option<i64>,
    pub kind: DocumentKind,
    pub title: String,
    /// Fassung: 1 for the first version, then one more than the highest before.
    pub document_version: i32,
    /// The text, when it is held here.
    pub text: Option<String>,
    /// A link to the document (https), when it is held elsewhere.
    pub attachment_url: Option<String>,
    pub status: DocumentStatus,
    /// The steering group's decision that adopted this version.
    pub decision_id: Option<i64>,
    pub adopted_at: Option<DateTime<Utc>>,
    pub superseded_at: Option<DateTime<Utc>>,
    /// Feedback entries this version took up.
    pub feedback_ids: Vec<i64>,
    pub created_by: Option<i64>,
    /// Row version for `If-Match` (not the document's version number).
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = documents, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct DocumentRow {
    id: i64,
    series_id: i64,
    predecessor_id: Option<i64>,
    kind: String,
    title: String,
    document_version: i32,
    body_text: Option<String>,
    attachment_url: Option<String>,
    status: String,
    decision_id: Option<i64>,
    adopted_at: Option<NaiveDateTime>,
    superseded_at: Option<NaiveDateTime>,
    created_by: Option<i64>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Default)]
pub struct DocumentFilter {
    pub kind: Option<DocumentKind>,
    pub status: Option<DocumentStatus>,
    /// The versions of one document (the id of its first version).
    pub series_id: Option<i64>,
}

fn complete(conn: &mut DbConn, rows: Vec<DocumentRow>) -> StoreResult<Vec<Document>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut taken_up = load_links!(conn, taken, document_id = &ids, feedback_id: i64);
    rows.into_iter()
        .map(|row| {
            Ok(Document {
                id: row.id,
                series_id: row.series_id,
                predecessor_id: row.predecessor_id,
                kind: DocumentKind::parse(&row.kind)?,
                title: row.title,
                document_version: row.document_version,
                text: row.body_text,
                attachment_url: row.attachment_url,
                status: DocumentStatus::parse(&row.status)?,
                decision_id: row.decision_id,
                adopted_at: row.adopted_at.map(clock::to_utc),
                superseded_at: row.superseded_at.map(clock::to_utc),
                feedback_ids: taken_up.remove(&row.id).unwrap_or_default(),
                created_by: row.created_by,
                version: row.version,
                created_at: clock::to_utc(row.created_at),
                updated_at: clock::to_utc(row.updated_at),
            })
        })
        .collect()
}

fn filtered(filter: &DocumentFilter) -> documents::BoxedQuery<'static, MultiBackend> {
    let mut query = documents::table.into_boxed::<MultiBackend>();
    if let Some(kind) = filter.kind {
        query = query.filter(documents::kind.eq(kind.as_str()));
    }
    if let Some(status) = filter.status {
        query = query.filter(documents::status.eq(status.as_str()));
    }
    if let Some(series) = filter.series_id {
        query = query.filter(documents::series_id.eq(series));
    }
    query
}

/// Versions by document (its first version's id), then by version number.
pub fn list(
    conn: &mut DbConn,
    filter: &DocumentFilter,
    page: PageRequest,
) -> StoreResult<Listed<Document>> {
    let total: i64 = filtered(filter).count().get_result(conn)?;
    let rows: Vec<DocumentRow> = filtered(filter)
        .order((
            documents::series_id.asc(),
            documents::document_version.asc(),
        ))
        .limit(page.limit)
        .offset(page.offset)
        .select(DocumentRow::as_select())
        .load(conn)?;
    Ok(Listed {
        items: complete(conn, rows)?,
        total,
    })
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Document> {
    let row: DocumentRow = documents::table
        .find(id)
        .select(DocumentRow::as_select())
        .first(conn)?;
    complete(conn, vec![row])?.pop().ok_or(StoreError::NotFound)
}

pub fn find_by_title(conn: &mut DbConn, title: &str) -> StoreResult<Option<Document>> {
    let id: Option<i64> = documents::table
        .filter(documents::title.eq(title))
        .order(documents::id.desc())
        .select(documents::id)
        .first(conn)
        .optional()?;
    id.map(|id| find(conn, id)).transpose()
}

/// The feedback taken up must exist and be about a version of the same document.
fn check_feedback_ids(conn: &mut DbConn, series_id: i64, ids: &[i64]) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let found: Vec<i64> = feedback::table
        .inner_join(documents::table.on(documents::id.eq(feedback::document_id)))
        .filter(feedback::id.eq_any(ids))
        .filter(documents::series_id.eq(series_id))
        .select(feedback::id)
        .load(conn)?;
    match ids.iter().find(|id| !found.contains(id)) {
        Some(missing) => Err(StoreError::unknown(
            "feedback_ids",
            format!("no feedback with id {missing} on this document"),
        )),
        None => Ok(()),
    }
}

fn replace_taken(conn: &mut DbConn, id: i64, ids: &[i64]) -> StoreResult<()> {
    diesel::delete(taken::table.filter(taken::document_id.eq(id))).execute(conn)?;
    insert_links!(conn, taken, document_id = id, feedback_id = ids);
    Ok(())
}

/// A new document: its first version, a draft.
pub fn insert(
    conn: &mut DbConn,
    kind: DocumentKind,
    content: &DraftContent,
    created_by: Option<i64>,
) -> StoreResult<Document> {
    if !content.feedback_ids.is_empty() {
        // A new document has no feedback yet.
        check_feedback_ids(conn, -1, &content.feedback_ids)?;
    }
    let now = clock::now();
    let id: i64 = insert_versioned!(
        conn,
        documents,
        (
            documents::series_id.eq(0),
            documents::kind.eq(kind.as_str()),
            documents::title.eq(&content.title),
            documents::document_version.eq(1),
            documents::body_text.eq(content.text.as_deref()),
            documents::attachment_url.eq(content.attachment_url.as_deref()),
            documents::status.eq(DocumentStatus::Draft.as_str()),
            documents::created_by.eq(created_by)
        ),
        now
    )?;
    // The first version names itself as the document (see the migration).
    diesel::update(documents::table.filter(documents::id.eq(id)))
        .set(documents::series_id.eq(id))
        .execute(conn)?;
    find(conn, id)
}

/// Replaces a draft's content; any other status is refused (`Conflict`).
pub fn update(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    content: &DraftContent,
) -> StoreResult<Document> {
    let current = find(conn, id)?;
    current
        .status
        .check_editable()
        .map_err(StoreError::Conflict)?;
    check_feedback_ids(conn, current.series_id, &content.feedback_ids)?;
    // Every status change moves the version on, so the version still read means still a draft.
    update_versioned!(
        conn,
        documents,
        id,
        expected_version,
        (
            documents::title.eq(&content.title),
            documents::body_text.eq(content.text.as_deref()),
            documents::attachment_url.eq(content.attachment_url.as_deref()),
        )
    )?;
    replace_taken(conn, id, &content.feedback_ids)?;
    find(conn, id)
}

#[derive(QueryableByName)]
struct DecidedBy {
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = Text)]
    body_kind: String,
    #[diesel(sql_type = Date)]
    held_on: NaiveDate,
}

/// The adopting decision must exist (422 `reference`) and be an `adopted` decision of a
/// meeting of the steering group held by `today` (422 `rule`).
fn check_decision(conn: &mut DbConn, decision_id: i64, today: NaiveDate) -> StoreResult<()> {
    // An integer formatted into the statement: nothing from the client's text.
    let found: Vec<DecidedBy> = diesel::sql_query(format!(
        "SELECT d.outcome AS outcome, b.kind AS body_kind, m.held_on AS held_on FROM decisions d \
         JOIN meetings m ON m.id = d.meeting_id JOIN bodies b ON b.id = m.body_id \
         WHERE d.id = {decision_id}"
    ))
    .load(conn)?;
    let Some(decided) = found.into_iter().next() else {
        return Err(StoreError::unknown(
            "decision_id",
            format!("no decision with id {decision_id}"),
        ));
    };
    check_adopting_decision(
        BodyKind::parse(&decided.body_kind)?,
        DecisionOutcome::parse(&decided.outcome)?,
        decided.held_on,
        today,
    )
    .map_err(|message| StoreError::Invalid {
        field: "decision_id",
        message,
    })
}

/// Adopts a draft by `decision_id` and, in the same transaction, supersedes the version of the
/// same document adopted before (if any). A version not in `draft` is refused
/// (`IllegalTransition`).
pub fn adopt(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    decision_id: i64,
    today: NaiveDate,
) -> StoreResult<Document> {
    let current = find(conn, id)?;
    current.status.transition(DocumentStatus::Adopted)?;
    check_decision(conn, decision_id, today)?;
    let now = clock::now();
    // Every status change moves the version on, so the version still read means still a draft.
    update_versioned!(
        conn,
        documents,
        id,
        expected_version,
        (
            documents::status.eq(DocumentStatus::Adopted.as_str()),
            documents::decision_id.eq(decision_id),
            documents::adopted_at.eq(now),
        ),
        now
    )?;
    let previous: Vec<(i64, String)> = documents::table
        .filter(documents::series_id.eq(current.series_id))
        .filter(documents::id.ne(id))
        .filter(documents::status.eq(DocumentStatus::Adopted.as_str()))
        .select((documents::id, documents::status))
        .load(conn)?;
    for (previous_id, status) in previous {
        let superseded = DocumentStatus::parse(&status)?.transition(DocumentStatus::Superseded)?;
        diesel::update(documents::table.filter(documents::id.eq(previous_id)))
            .set((
                documents::status.eq(superseded.as_str()),
                documents::superseded_at.eq(now),
                documents::version.eq(documents::version + 1),
                documents::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    find(conn, id)
}

/// Drafts the next version of an adopted one: same document and kind, the next number, the
/// adopted content where `next` leaves a field out. Refused (`Conflict`) when the version is
/// not the adopted one or a draft of the document is already open.
pub fn next_version(
    conn: &mut DbConn,
    id: i64,
    next: &NextVersion,
    created_by: Option<i64>,
) -> StoreResult<Document> {
    let source = find(conn, id)?;
    let open_draft: Option<i64> = documents::table
        .filter(documents::series_id.eq(source.series_id))
        .filter(documents::status.eq(DocumentStatus::Draft.as_str()))
        .select(documents::id)
        .first(conn)
        .optional()?;
    source
        .status
        .check_next_version(open_draft)
        .map_err(StoreError::Conflict)?;
    check_feedback_ids(conn, source.series_id, &next.feedback_ids)?;
    let highest: Option<i32> = documents::table
        .filter(documents::series_id.eq(source.series_id))
        .select(diesel::dsl::max(documents::document_version))
        .first(conn)?;
    let now = clock::now();
    let new_id: i64 = insert_versioned!(
        conn,
        documents,
        (
            documents::series_id.eq(source.series_id),
            documents::predecessor_id.eq(source.id),
            documents::kind.eq(source.kind.as_str()),
            documents::title.eq(next.title.as_ref().unwrap_or(&source.title)),
            documents::document_version.eq(highest.unwrap_or(source.document_version) + 1),
            documents::body_text.eq(next.text.as_ref().or(source.text.as_ref())),
            documents::attachment_url.eq(next
                .attachment_url
                .as_ref()
                .or(source.attachment_url.as_ref())),
            documents::status.eq(DocumentStatus::Draft.as_str()),
            documents::created_by.eq(created_by)
        ),
        now
    )
    .map_err(|e| match e {
        // Another request drafted the same next version meanwhile.
        StoreError::Duplicate { .. } => {
            StoreError::Conflict("a draft of this document is already open".into())
        }
        other => other,
    })?;
    replace_taken(conn, new_id, &next.feedback_ids)?;
    find(conn, new_id)
}
