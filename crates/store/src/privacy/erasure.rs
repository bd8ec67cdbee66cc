//! Erasure by anonymisation, for a data subject's request (Art. 17) and for the closed-cases
//! retention rule. What is overwritten and what stays is `kim_domain::erasure`; this module
//! writes it, inside the caller's transaction, so an erasure lands whole or not at all.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use kim_domain::erasure::{
    check_erasure, coarsened_birth_year, opaque_reference, ErasureRefusal, ERASED_TEXT,
};

use crate::audit::Actor;
use crate::clients::{self, Client};
use crate::conferences::{conference_tasks, conferences};
use crate::consents::consents;
use crate::contacts::contacts;
use crate::error::expect_version;
use crate::goals::{goal_notes, goals};
use crate::referrals::{referral_events, referrals};
use crate::residence_requests::residence_requests;
use crate::schema::{
    case_clients, case_events, cases, client_links, clients as client_table, erasures,
};
use crate::versioned::update_versioned;
use crate::{audit, clock, DbConn, StoreError};

use super::holds;

/// Erases a client on request: refused when already erased or when a case of theirs is held
/// (the inner `Err`); 404 for an unknown client, 412 for a stale version.
pub fn erase(
    conn: &mut DbConn,
    actor: &Actor,
    client_id: i64,
    expected_version: i32,
    reason: &str,
    random: u64,
) -> Result<Result<Client, ErasureRefusal>, StoreError> {
    let client = clients::find(conn, client_id)?;
    let erased: Option<NaiveDateTime> = client_table::table
        .find(client_id)
        .select(client_table::erased_at)
        .first(conn)?;
    if let Err(refused) = check_erasure(erased.is_some(), &holds::on_client(conn, client_id)?) {
        return Ok(Err(refused));
    }
    expect_version(client.version, expected_version)?;
    let now = clock::now();
    let case_ids: Vec<i64> = case_clients::table
        .filter(case_clients::client_id.eq(client_id))
        .select(case_clients::case_id)
        .load(conn)?;
    for case_id in &case_ids {
        overwrite_case_texts(conn, *case_id, now)?;
    }
    anonymise_client_record(conn, client_id, Some(expected_version), now, random)?;
    record_erasure(conn, client_id, reason, actor.id, now)?;
    Ok(Ok(clients::find(conn, client_id)?))
}

/// 64 random bits for an opaque reference (v4 UUIDs come from the OS's generator).
pub fn random_u64() -> u64 {
    uuid::Uuid::new_v4().as_u64_pair().0
}

/// Whether a client was erased, and when.
pub fn erased_at(conn: &mut DbConn, client_id: i64) -> Result<Option<NaiveDateTime>, StoreError> {
    Ok(client_table::table
        .find(client_id)
        .select(client_table::erased_at)
        .first(conn)?)
}

pub(crate) fn record_erasure(
    conn: &mut DbConn,
    client_id: i64,
    reason: &str,
    erased_by: Option<i64>,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    diesel::insert_into(erasures::table)
        .values((
            erasures::client_id.eq(client_id),
            erasures::reason.eq(reason),
            erasures::erased_by.eq(erased_by),
            erasures::erased_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The age band at the client's first case (or at registration, for a client in no case).
fn band_at_first_case(
    conn: &mut DbConn,
    client_id: i64,
    birth_year: Option<i32>,
    registered: NaiveDateTime,
) -> Result<Option<&'static str>, StoreError> {
    let Some(birth_year) = birth_year else {
        return Ok(None);
    };
    let first_case: Option<NaiveDate> = cases::table
        .filter(
            cases::id.eq_any(
                case_clients::table
                    .filter(case_clients::client_id.eq(client_id))
                    .select(case_clients::case_id),
            ),
        )
        .select(diesel::dsl::min(cases::opened_on))
        .first(conn)?;
    let year = first_case.map_or(registered.year(), |day| day.year());
    Ok(Some(coarsened_birth_year(birth_year, year).as_str()))
}

/// Overwrites the personal fields of a client: names, birth year (→ age band), languages,
/// country of origin, household links, the reference (→ opaque); consents lose their document
/// reference and open ones are revoked today, which cuts every partner off at once.
/// `expected_version` guards against a concurrent edit when the caller checked a version.
pub(crate) fn anonymise_client_record(
    conn: &mut DbConn,
    client_id: i64,
    expected_version: Option<i32>,
    now: NaiveDateTime,
    random: u64,
) -> Result<(), StoreError> {
    let (birth_year, created_at, version): (Option<i32>, NaiveDateTime, i32) = client_table::table
        .find(client_id)
        .select((
            client_table::birth_year,
            client_table::created_at,
            client_table::version,
        ))
        .first(conn)?;
    let band = band_at_first_case(conn, client_id, birth_year, created_at)?;
    let expected = expected_version.unwrap_or(version);
    update_versioned!(
        conn,
        client_table,
        client_id,
        expected,
        (
            client_table::reference.eq(opaque_reference(random)),
            client_table::given_name.eq(None::<String>),
            client_table::family_name.eq(None::<String>),
            client_table::birth_year.eq(None::<i32>),
            client_table::age_band.eq(band),
            client_table::languages.eq(""),
            client_table::country_of_origin.eq(None::<String>),
            client_table::erased_at.eq(Some(now)),
        ),
        now
    )?;
    diesel::delete(
        client_links::table.filter(
            client_links::from_client_id
                .eq(client_id)
                .or(client_links::to_client_id.eq(client_id)),
        ),
    )
    .execute(conn)?;
    diesel::update(consents::table.filter(consents::client_id.eq(client_id)))
        .set(consents::document_reference.eq(None::<String>))
        .execute(conn)?;
    // Only consents still valid are revoked: an expired one keeps its end, so the ended-consents
    // rule counts its period from then (and a dry run's count stays the real run's).
    diesel::update(
        consents::table
            .filter(consents::client_id.eq(client_id))
            .filter(consents::revoked_on.is_null())
            .filter(
                consents::valid_until
                    .is_null()
                    .or(consents::valid_until.ge(now.date())),
            ),
    )
    .set((
        consents::revoked_on.eq(Some(now.date())),
        consents::version.eq(consents::version + 1),
        consents::updated_at.eq(now),
    ))
    .execute(conn)?;
    // The referrer's request carried the same person's data; once linked to the client it goes
    // with them.
    crate::intake_requests::anonymise_of_client(conn, client_id, now)?;
    // The clearing records (Kompetenzerfassung) lose their free texts and languages.
    crate::clearing::erase_of_client(conn, client_id, now)?;
    Ok(())
}

/// Overwrites every free text of a case and of what hangs off it (goals, notes, contacts,
/// conferences, referrals, residence-law requests, reasons in histories); keeps every counted
/// field. Marks the case anonymised.
pub(crate) fn overwrite_case_texts(
    conn: &mut DbConn,
    case_id: i64,
    now: NaiveDateTime,
) -> Result<(), StoreError> {
    let erased = Some(ERASED_TEXT);
    diesel::update(
        cases::table
            .find(case_id)
            .filter(cases::eligibility_justification.is_not_null()),
    )
    .set(cases::eligibility_justification.eq(erased))
    .execute(conn)?;
    diesel::update(cases::table.find(case_id))
        .set((
            cases::anonymised_at.eq(Some(now)),
            cases::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(
        case_events::table
            .filter(case_events::case_id.eq(case_id))
            .filter(case_events::reason.is_not_null()),
    )
    .set(case_events::reason.eq(erased))
    .execute(conn)?;

    let goal_ids = goals::table
        .filter(goals::case_id.eq(case_id))
        .select(goals::id);
    diesel::update(goal_notes::table.filter(goal_notes::goal_id.eq_any(goal_ids)))
        .set(goal_notes::text.eq(ERASED_TEXT))
        .execute(conn)?;
    diesel::update(goals::table.filter(goals::case_id.eq(case_id)))
        .set(goals::text.eq(ERASED_TEXT))
        .execute(conn)?;

    diesel::update(contacts::table.filter(contacts::case_id.eq(case_id)))
        .set(contacts::participants.eq("[]"))
        .execute(conn)?;
    diesel::update(
        contacts::table
            .filter(contacts::case_id.eq(case_id))
            .filter(contacts::note.is_not_null()),
    )
    .set(contacts::note.eq(erased))
    .execute(conn)?;

    let conference_ids: Vec<i64> = conferences::table
        .filter(conferences::case_id.eq(case_id))
        .select(conferences::id)
        .load(conn)?;
    diesel::update(
        conferences::table
            .filter(conferences::id.eq_any(&conference_ids))
            .filter(conferences::summary.is_not_null()),
    )
    .set(conferences::summary.eq(erased))
    .execute(conn)?;
    diesel::update(
        conferences::table
            .filter(conferences::id.eq_any(&conference_ids))
            .filter(conferences::outcome.is_not_null()),
    )
    .set(conferences::outcome.eq(erased))
    .execute(conn)?;
    diesel::update(
        conference_tasks::table.filter(conference_tasks::conference_id.eq_any(&conference_ids)),
    )
    .set(conference_tasks::description.eq(ERASED_TEXT))
    .execute(conn)?;

    let referral_ids: Vec<i64> = referrals::table
        .filter(referrals::case_id.eq(case_id))
        .select(referrals::id)
        .load(conn)?;
    diesel::update(referrals::table.filter(referrals::id.eq_any(&referral_ids)))
        .set(referrals::purpose.eq(ERASED_TEXT))
        .execute(conn)?;
    diesel::update(
        referrals::table
            .filter(referrals::id.eq_any(&referral_ids))
            .filter(referrals::message.is_not_null()),
    )
    .set(referrals::message.eq(erased))
    .execute(conn)?;
    diesel::update(
        referrals::table
            .filter(referrals::id.eq_any(&referral_ids))
            .filter(referrals::status_reason.is_not_null()),
    )
    .set(referrals::status_reason.eq(erased))
    .execute(conn)?;
    diesel::update(
        referral_events::table
            .filter(referral_events::referral_id.eq_any(&referral_ids))
            .filter(referral_events::reason.is_not_null()),
    )
    .set(referral_events::reason.eq(erased))
    .execute(conn)?;

    diesel::update(residence_requests::table.filter(residence_requests::case_id.eq(case_id)))
        .set(residence_requests::question.eq(ERASED_TEXT))
        .execute(conn)?;
    diesel::update(
        residence_requests::table
            .filter(residence_requests::case_id.eq(case_id))
            .filter(residence_requests::answer.is_not_null()),
    )
    .set(residence_requests::answer.eq(erased))
    .execute(conn)?;
    diesel::update(
        residence_requests::table
            .filter(residence_requests::case_id.eq(case_id))
            .filter(residence_requests::note.is_not_null()),
    )
    .set(residence_requests::note.eq(erased))
    .execute(conn)?;
    Ok(())
}

/// Anonymises a closed case for the retention rule, and erases each of its clients who has no
/// case left that is not anonymised. Records the events as `actor` (the retention run).
pub(crate) fn anonymise_closed_case(
    conn: &mut DbConn,
    actor: &Actor,
    case_id: i64,
    reason: &str,
    mut random: impl FnMut() -> u64,
) -> Result<(), StoreError> {
    let now = clock::now();
    overwrite_case_texts(conn, case_id, now)?;
    audit::record(conn, actor, "case.erase", "case", Some(case_id))?;
    let members: Vec<i64> = case_clients::table
        .filter(case_clients::case_id.eq(case_id))
        .select(case_clients::client_id)
        .load(conn)?;
    for client_id in members {
        let live_cases: i64 = case_clients::table
            .inner_join(cases::table)
            .filter(case_clients::client_id.eq(client_id))
            .filter(cases::anonymised_at.is_null())
            .count()
            .get_result(conn)?;
        if live_cases > 0 || erased_at(conn, client_id)?.is_some() {
            continue;
        }
        anonymise_client_record(conn, client_id, None, now, random())?;
        record_erasure(conn, client_id, reason, None, now)?;
        let reference = clients::find(conn, client_id)?.reference;
        audit::record_about(
            conn,
            actor,
            "client.erase",
            "client",
            Some(client_id),
            Some(&reference),
        )?;
    }
    Ok(())
}
