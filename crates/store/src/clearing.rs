//! Kompetenzerfassung (clearing records): one per client of a case, with its three short lists
//! (languages, vocational qualifications, work experience) kept in the order given. A save
//! replaces the whole record; version 0 stands for "none recorded yet".

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::clearing::{
    Clearing, Language, LanguageLevel, LicenceClass, Qualification, RecognitionStatus,
    SchoolingLevel, WorkExperience,
};
use kim_domain::erasure::ERASED_TEXT;

use crate::audit::Actor;
use crate::error::{expect_version, StoreResult};
use crate::schema::case_clients;
use crate::versioned::{insert_versioned, update_versioned};
use crate::{clock, DbConn, StoreError};

diesel::table! {
    clearing_records (id) {
        id -> BigInt,
        case_id -> BigInt,
        client_id -> BigInt,
        schooling_years -> Nullable<Integer>,
        schooling_level -> Nullable<Text>,
        driving_licence -> Nullable<Bool>,
        driving_licence_classes -> Nullable<Text>,
        childcare_need -> Nullable<Bool>,
        created_by -> Nullable<BigInt>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    clearing_languages (record_id, position) {
        record_id -> BigInt,
        position -> Integer,
        language -> Text,
        level -> Text,
    }
}

diesel::table! {
    clearing_qualifications (record_id, position) {
        record_id -> BigInt,
        position -> Integer,
        title -> Text,
        recognition -> Text,
    }
}

diesel::table! {
    clearing_work_experience (record_id, position) {
        record_id -> BigInt,
        position -> Integer,
        field -> Text,
        years -> Integer,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    clearing_records,
    clearing_languages,
    clearing_qualifications,
    clearing_work_experience,
);

#[derive(Queryable, Selectable)]
#[diesel(table_name = clearing_records, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct RecordRow {
    id: i64,
    case_id: i64,
    client_id: i64,
    schooling_years: Option<i32>,
    schooling_level: Option<String>,
    driving_licence: Option<bool>,
    driving_licence_classes: Option<String>,
    childcare_need: Option<bool>,
    created_by: Option<i64>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A stored clearing record.
#[derive(Debug, Clone, PartialEq)]
pub struct ClearingRecord {
    pub id: i64,
    pub case_id: i64,
    pub client_id: i64,
    pub data: Clearing,
    pub created_by: Option<i64>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn complete(conn: &mut DbConn, row: RecordRow) -> StoreResult<ClearingRecord> {
    let languages = clearing_languages::table
        .filter(clearing_languages::record_id.eq(row.id))
        .order(clearing_languages::position.asc())
        .select((clearing_languages::language, clearing_languages::level))
        .load::<(String, String)>(conn)?
        .into_iter()
        .map(|(language, level)| {
            Ok(Language {
                language,
                level: LanguageLevel::parse(&level)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let vocational_qualifications = clearing_qualifications::table
        .filter(clearing_qualifications::record_id.eq(row.id))
        .order(clearing_qualifications::position.asc())
        .select((
            clearing_qualifications::title,
            clearing_qualifications::recognition,
        ))
        .load::<(String, String)>(conn)?
        .into_iter()
        .map(|(title, recognition)| {
            Ok(Qualification {
                title,
                recognition: RecognitionStatus::parse(&recognition)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let work_experience = clearing_work_experience::table
        .filter(clearing_work_experience::record_id.eq(row.id))
        .order(clearing_work_experience::position.asc())
        .select((
            clearing_work_experience::field,
            clearing_work_experience::years,
        ))
        .load::<(String, i32)>(conn)?
        .into_iter()
        .map(|(field, years)| WorkExperience { field, years })
        .collect();
    let driving_licence_classes = row
        .driving_licence_classes
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .map(LicenceClass::parse)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ClearingRecord {
        id: row.id,
        case_id: row.case_id,
        client_id: row.client_id,
        data: Clearing {
            languages,
            schooling_years: row.schooling_years,
            schooling_level: row
                .schooling_level
                .as_deref()
                .map(SchoolingLevel::parse)
                .transpose()?,
            vocational_qualifications,
            work_experience,
            driving_licence: row.driving_licence,
            driving_licence_classes,
            childcare_need: row.childcare_need,
        },
        created_by: row.created_by,
        version: row.version,
        created_at: clock::to_utc(row.created_at),
        updated_at: clock::to_utc(row.updated_at),
    })
}

/// Whether the client belongs to the case (a clearing record exists only for its clients).
pub fn is_client_of(conn: &mut DbConn, case_id: i64, client_id: i64) -> StoreResult<bool> {
    let n: i64 = case_clients::table
        .filter(case_clients::case_id.eq(case_id))
        .filter(case_clients::client_id.eq(client_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The record of a client in a case, if one was made.
pub fn find(
    conn: &mut DbConn,
    case_id: i64,
    client_id: i64,
) -> StoreResult<Option<ClearingRecord>> {
    let row = clearing_records::table
        .filter(clearing_records::case_id.eq(case_id))
        .filter(clearing_records::client_id.eq(client_id))
        .select(RecordRow::as_select())
        .first(conn)
        .optional()?;
    row.map(|r| complete(conn, r)).transpose()
}

/// The records of a case's clients, by client id (the access export).
pub fn of_case(conn: &mut DbConn, case_id: i64) -> StoreResult<Vec<ClearingRecord>> {
    let rows = clearing_records::table
        .filter(clearing_records::case_id.eq(case_id))
        .order(clearing_records::client_id.asc())
        .select(RecordRow::as_select())
        .load(conn)?;
    rows.into_iter().map(|r| complete(conn, r)).collect()
}

fn classes_text(data: &Clearing) -> Option<String> {
    if data.driving_licence_classes.is_empty() {
        None
    } else {
        Some(
            data.driving_licence_classes
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        )
    }
}

fn replace_lists(conn: &mut DbConn, record_id: i64, data: &Clearing) -> StoreResult<()> {
    diesel::delete(clearing_languages::table.filter(clearing_languages::record_id.eq(record_id)))
        .execute(conn)?;
    diesel::delete(
        clearing_qualifications::table.filter(clearing_qualifications::record_id.eq(record_id)),
    )
    .execute(conn)?;
    diesel::delete(
        clearing_work_experience::table.filter(clearing_work_experience::record_id.eq(record_id)),
    )
    .execute(conn)?;
    for (position, l) in (0..).zip(&data.languages) {
        diesel::insert_into(clearing_languages::table)
            .values((
                clearing_languages::record_id.eq(record_id),
                clearing_languages::position.eq(position),
                clearing_languages::language.eq(&l.language),
                clearing_languages::level.eq(l.level.as_str()),
            ))
            .execute(conn)?;
    }
    for (position, q) in (0..).zip(&data.vocational_qualifications) {
        diesel::insert_into(clearing_qualifications::table)
            .values((
                clearing_qualifications::record_id.eq(record_id),
                clearing_qualifications::position.eq(position),
                clearing_qualifications::title.eq(&q.title),
                clearing_qualifications::recognition.eq(q.recognition.as_str()),
            ))
            .execute(conn)?;
    }
    for (position, w) in (0..).zip(&data.work_experience) {
        diesel::insert_into(clearing_work_experience::table)
            .values((
                clearing_work_experience::record_id.eq(record_id),
                clearing_work_experience::position.eq(position),
                clearing_work_experience::field.eq(&w.field),
                clearing_work_experience::years.eq(w.years),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Saves the record of a client in a case: creates it when `expected_version` is 0 and none
/// exists, else replaces it when `expected_version` is its version; stale otherwise.
pub fn save(
    conn: &mut DbConn,
    actor: &Actor,
    case_id: i64,
    client_id: i64,
    expected_version: i32,
    data: &Clearing,
) -> StoreResult<ClearingRecord> {
    let now = clock::now();
    let current = find(conn, case_id, client_id)?;
    let current_version = current.as_ref().map_or(0, |r| r.version);
    expect_version(current_version, expected_version)?;
    let record_id = match current {
        None => insert_versioned!(
            conn,
            clearing_records,
            (
                clearing_records::case_id.eq(case_id),
                clearing_records::client_id.eq(client_id),
                clearing_records::schooling_years.eq(data.schooling_years),
                clearing_records::schooling_level.eq(data.schooling_level.map(|l| l.as_str())),
                clearing_records::driving_licence.eq(data.driving_licence),
                clearing_records::driving_licence_classes.eq(classes_text(data)),
                clearing_records::childcare_need.eq(data.childcare_need),
                clearing_records::created_by.eq(actor.id)
            ),
            now
        )?,
        Some(record) => {
            update_versioned!(
                conn,
                clearing_records,
                record.id,
                expected_version,
                (
                    clearing_records::schooling_years.eq(data.schooling_years),
                    clearing_records::schooling_level.eq(data.schooling_level.map(|l| l.as_str())),
                    clearing_records::driving_licence.eq(data.driving_licence),
                    clearing_records::driving_licence_classes.eq(classes_text(data)),
                    clearing_records::childcare_need.eq(data.childcare_need),
                ),
                now
            )?;
            record.id
        }
    };
    replace_lists(conn, record_id, data)?;
    find(conn, case_id, client_id)?.ok_or(StoreError::NotFound)
}

/// Erasure (Art. 17): the free texts of the client's records are overwritten and the languages
/// become `und` (undetermined), since a rare language can point to a person; levels, statuses,
/// years and the yes/no fields stay for the statistics, as the age band does.
pub fn erase_of_client(conn: &mut DbConn, client_id: i64, now: NaiveDateTime) -> StoreResult<()> {
    let ids: Vec<i64> = clearing_records::table
        .filter(clearing_records::client_id.eq(client_id))
        .select(clearing_records::id)
        .load(conn)?;
    diesel::update(clearing_languages::table.filter(clearing_languages::record_id.eq_any(&ids)))
        .set(clearing_languages::language.eq("und"))
        .execute(conn)?;
    diesel::update(
        clearing_qualifications::table.filter(clearing_qualifications::record_id.eq_any(&ids)),
    )
    .set(clearing_qualifications::title.eq(ERASED_TEXT))
    .execute(conn)?;
    diesel::update(
        clearing_work_experience::table.filter(clearing_work_experience::record_id.eq_any(&ids)),
    )
    .set(clearing_work_experience::field.eq(ERASED_TEXT))
    .execute(conn)?;
    diesel::update(clearing_records::table.filter(clearing_records::client_id.eq(client_id)))
        .set((
            clearing_records::version.eq(clearing_records::version + 1),
            clearing_records::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}
