//! Questionnaires (Fragebögen) and their versions. A version's sections and questions are
//! replaced as a whole while it is a draft; once a campaign uses it, it is frozen and changes go
//! into a new version copied from the last.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::paging::PageRequest;
use kim_domain::survey::{ChoiceOption, Question, QuestionKind, Section};
use serde::Serialize;
use utoipa::ToSchema;

use super::tables::{
    questionnaire_questions as questions, questionnaire_sections as sections,
    questionnaire_versions as versions, questionnaires, survey_campaigns,
};
use crate::error::{expect_version, StoreResult};
use crate::versioned::{delete_versioned, insert_versioned, update_versioned};
use crate::{clock, DbConn, Listed, StoreError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = questionnaires, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct QuestionnaireRow {
    id: i64,
    title: String,
    description: Option<String>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = versions, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct VersionRow {
    id: i64,
    questionnaire_id: i64,
    number: i32,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = sections, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct SectionRow {
    id: i64,
    title: String,
    description: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = questions, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct QuestionRow {
    section_id: i64,
    question_key: String,
    kind: String,
    text: String,
    help_text: Option<String>,
    required: bool,
    options: String,
    min_value: Option<f64>,
    max_value: Option<f64>,
}

/// One version of a questionnaire, as listed with it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct VersionSummary {
    /// The id campaigns refer to (`questionnaire_version_id`).
    pub id: i64,
    /// 1, 2, … within the questionnaire.
    pub number: i32,
    /// A campaign uses it; it can no longer change.
    pub frozen: bool,
    pub question_count: i64,
    pub updated_at: DateTime<Utc>,
}

/// Fragebogen (questionnaire) of the needs survey.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "title": "Bedarfsabfrage KIM 2021", "description": "Standardisierter Fragebogen",
    "versions": [{"id": 1, "number": 1, "frozen": true, "question_count": 14,
        "updated_at": "2026-11-25T10:00:00Z"}],
    "version": 1, "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z"
}))]
pub struct Questionnaire {
    pub id: i64,
    pub title: String,
    pub description: Option<String>,
    /// Oldest first.
    pub versions: Vec<VersionSummary>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuestionnaireVersion {
    pub id: i64,
    pub questionnaire_id: i64,
    pub number: i32,
    pub sections: Vec<Section>,
    /// A campaign uses it: it can no longer change.
    pub frozen: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn is_frozen(conn: &mut DbConn, version_id: i64) -> StoreResult<bool> {
    let uses: i64 = survey_campaigns::table
        .filter(survey_campaigns::questionnaire_version_id.eq(version_id))
        .count()
        .get_result(conn)?;
    Ok(uses > 0)
}

fn summaries(conn: &mut DbConn, questionnaire_id: i64) -> StoreResult<Vec<VersionSummary>> {
    let rows: Vec<VersionRow> = versions::table
        .filter(versions::questionnaire_id.eq(questionnaire_id))
        .order(versions::number.asc())
        .select(VersionRow::as_select())
        .load(conn)?;
    rows.into_iter()
        .map(|row| {
            let question_count: i64 = questions::table
                .filter(questions::questionnaire_version_id.eq(row.id))
                .count()
                .get_result(conn)?;
            Ok(VersionSummary {
                id: row.id,
                number: row.number,
                frozen: is_frozen(conn, row.id)?,
                question_count,
                updated_at: clock::to_utc(row.updated_at),
            })
        })
        .collect()
}

fn with_versions(conn: &mut DbConn, row: QuestionnaireRow) -> StoreResult<Questionnaire> {
    Ok(Questionnaire {
        versions: summaries(conn, row.id)?,
        id: row.id,
        title: row.title,
        description: row.description,
        version: row.version,
        created_at: clock::to_utc(row.created_at),
        updated_at: clock::to_utc(row.updated_at),
    })
}

/// A page of questionnaires by title.
pub fn list(conn: &mut DbConn, page: PageRequest) -> StoreResult<Listed<Questionnaire>> {
    let total: i64 = questionnaires::table.count().get_result(conn)?;
    let rows: Vec<QuestionnaireRow> = questionnaires::table
        .order((questionnaires::title.asc(), questionnaires::id.asc()))
        .limit(page.limit)
        .offset(page.offset)
        .select(QuestionnaireRow::as_select())
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|row| with_versions(conn, row))
        .collect::<StoreResult<_>>()?;
    Ok(Listed { items, total })
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Questionnaire> {
    let row = questionnaires::table
        .find(id)
        .select(QuestionnaireRow::as_select())
        .first(conn)?;
    with_versions(conn, row)
}

pub fn find_by_title(conn: &mut DbConn, title: &str) -> StoreResult<Option<Questionnaire>> {
    let id: Option<i64> = questionnaires::table
        .filter(questionnaires::title.eq(title))
        .select(questionnaires::id)
        .first(conn)
        .optional()?;
    id.map(|id| find(conn, id)).transpose()
}

/// Creates a questionnaire with its first version (a draft). The caller validated `sections`.
pub fn insert(
    conn: &mut DbConn,
    title: &str,
    description: Option<&str>,
    content: &[Section],
) -> StoreResult<Questionnaire> {
    let now = clock::now();
    let id: i64 = insert_versioned!(
        conn,
        questionnaires,
        (
            questionnaires::title.eq(title),
            questionnaires::description.eq(description)
        ),
        now
    )
    .map_err(|e| e.on_field("title"))?;
    insert_version(conn, id, 1, content)?;
    find(conn, id)
}

/// Deletes a questionnaire none of whose versions a campaign uses (409 otherwise).
pub fn delete(conn: &mut DbConn, id: i64, expected_version: i32) -> StoreResult<()> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    if let Some(used) = current.versions.iter().find(|v| v.frozen) {
        return Err(StoreError::Conflict(format!(
            "version {} is used by a campaign; a questionnaire in use cannot be deleted",
            used.number
        )));
    }
    delete_versioned!(conn, questionnaires, id, expected_version)?;
    Ok(())
}

/// Changes title and description.
pub fn update(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    title: &str,
    description: Option<&str>,
) -> StoreResult<Questionnaire> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    update_versioned!(
        conn,
        questionnaires,
        id,
        expected_version,
        (
            questionnaires::title.eq(title),
            questionnaires::description.eq(description),
        )
    )
    .map_err(|e| e.on_field("title"))?;
    find(conn, id)
}

fn insert_version(
    conn: &mut DbConn,
    questionnaire_id: i64,
    number: i32,
    content: &[Section],
) -> StoreResult<i64> {
    let now = clock::now();
    let id: i64 = insert_versioned!(
        conn,
        versions,
        (
            versions::questionnaire_id.eq(questionnaire_id),
            versions::number.eq(number)
        ),
        now
    )?;
    insert_content(conn, id, content)?;
    Ok(id)
}

/// One row per statement: batch inserts do not compile through diesel's MultiBackend.
fn insert_content(conn: &mut DbConn, version_id: i64, content: &[Section]) -> StoreResult<()> {
    for (s, section) in content.iter().enumerate() {
        let section_id: i64 = diesel::insert_into(sections::table)
            .values((
                sections::questionnaire_version_id.eq(version_id),
                sections::position.eq(s as i32),
                sections::title.eq(&section.title),
                sections::description.eq(section.description.as_deref()),
            ))
            .returning(sections::id)
            .get_result(conn)?;
        for (q, question) in section.questions.iter().enumerate() {
            let options = serde_json::to_string(&question.options)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            diesel::insert_into(questions::table)
                .values((
                    questions::section_id.eq(section_id),
                    questions::questionnaire_version_id.eq(version_id),
                    questions::position.eq(q as i32),
                    questions::question_key.eq(&question.key),
                    questions::kind.eq(question.kind.as_str()),
                    questions::text.eq(&question.text),
                    questions::help_text.eq(question.help_text.as_deref()),
                    questions::required.eq(question.required),
                    questions::options.eq(options),
                    questions::min_value.eq(question.min),
                    questions::max_value.eq(question.max),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

fn content(conn: &mut DbConn, version_id: i64) -> StoreResult<Vec<Section>> {
    let section_rows: Vec<SectionRow> = sections::table
        .filter(sections::questionnaire_version_id.eq(version_id))
        .order(sections::position.asc())
        .select(SectionRow::as_select())
        .load(conn)?;
    let question_rows: Vec<QuestionRow> = questions::table
        .filter(questions::questionnaire_version_id.eq(version_id))
        .order((questions::section_id.asc(), questions::position.asc()))
        .select(QuestionRow::as_select())
        .load(conn)?;
    section_rows
        .into_iter()
        .map(|section| {
            let questions = question_rows
                .iter()
                .filter(|q| q.section_id == section.id)
                .map(|q| {
                    let options: Vec<ChoiceOption> = serde_json::from_str(&q.options)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    Ok(Question {
                        key: q.question_key.clone(),
                        text: q.text.clone(),
                        help_text: q.help_text.clone(),
                        kind: QuestionKind::parse(&q.kind)?,
                        required: q.required,
                        options,
                        min: q.min_value,
                        max: q.max_value,
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            Ok(Section {
                title: section.title,
                description: section.description,
                questions,
            })
        })
        .collect()
}

fn version_from_row(conn: &mut DbConn, row: VersionRow) -> StoreResult<QuestionnaireVersion> {
    Ok(QuestionnaireVersion {
        sections: content(conn, row.id)?,
        frozen: is_frozen(conn, row.id)?,
        id: row.id,
        questionnaire_id: row.questionnaire_id,
        number: row.number,
        version: row.version,
        created_at: clock::to_utc(row.created_at),
        updated_at: clock::to_utc(row.updated_at),
    })
}

/// Version `number` of questionnaire `questionnaire_id`.
pub fn find_version(
    conn: &mut DbConn,
    questionnaire_id: i64,
    number: i32,
) -> StoreResult<QuestionnaireVersion> {
    let row = versions::table
        .filter(versions::questionnaire_id.eq(questionnaire_id))
        .filter(versions::number.eq(number))
        .select(VersionRow::as_select())
        .first(conn)?;
    version_from_row(conn, row)
}

/// A version by its id (as campaigns refer to it).
pub fn find_version_by_id(conn: &mut DbConn, id: i64) -> StoreResult<QuestionnaireVersion> {
    let row = versions::table
        .find(id)
        .select(VersionRow::as_select())
        .first(conn)?;
    version_from_row(conn, row)
}

/// Replaces the sections and questions of a draft version; a frozen one is refused (409).
pub fn replace_version(
    conn: &mut DbConn,
    questionnaire_id: i64,
    number: i32,
    expected_version: i32,
    content: &[Section],
) -> StoreResult<QuestionnaireVersion> {
    let current = find_version(conn, questionnaire_id, number)?;
    expect_version(current.version, expected_version)?;
    if current.frozen {
        return Err(StoreError::Conflict(format!(
            "version {number} is used by a campaign and frozen; create a new version with \
             POST /api/v1/questionnaires/{questionnaire_id}/versions and edit that"
        )));
    }
    diesel::delete(sections::table.filter(sections::questionnaire_version_id.eq(current.id)))
        .execute(conn)?;
    insert_content(conn, current.id, content)?;
    update_versioned!(conn, versions, current.id, expected_version)?;
    find_version(conn, questionnaire_id, number)
}

/// A new draft version copied from the last one, which must be frozen (one draft at a time:
/// while the last is a draft, edit it instead; 409).
pub fn new_version(conn: &mut DbConn, questionnaire_id: i64) -> StoreResult<QuestionnaireVersion> {
    let questionnaire = find(conn, questionnaire_id)?;
    let last = questionnaire
        .versions
        .last()
        .ok_or_else(|| StoreError::Corrupt("questionnaire without versions".into()))?;
    if !last.frozen {
        return Err(StoreError::Conflict(format!(
            "version {} is still a draft; edit it instead of creating another",
            last.number
        )));
    }
    let copied = content(conn, last.id)?;
    let number = last.number + 1;
    insert_version(conn, questionnaire_id, number, &copied)?;
    diesel::update(questionnaires::table.find(questionnaire_id))
        .set(questionnaires::updated_at.eq(clock::now()))
        .execute(conn)?;
    find_version(conn, questionnaire_id, number)
}
