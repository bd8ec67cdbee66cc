//! Cooperation agreements (Kooperationsvereinbarungen) with the modules and positions they cover
//! and a dated history of every creation, update and status change.
//!
//! The rules (the status machine, what each status requires) are `kim_domain::agreement`'s; the
//! functions here load what the rules look at, apply them and write the outcome. A broken rule
//! is not a store failure: writes answer `Ok(Err(violations))` and write nothing, so that the
//! caller can name every offending field at once.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::agreement::{
    check_editable, check_terms, AgreementEventKind, AgreementStatus, AgreementTerms, RuleViolation,
};
use kim_domain::reference::normalise_set;
use kim_domain::staffing::Module;

use crate::audit::Actor;
use crate::error::{expect_version, StoreResult};
use crate::link_sets::{insert_links, load_links};
use crate::versioned::{insert_versioned, update_versioned};
use crate::StoreError;
use crate::{clock, municipalities, organisations, positions, DbConn};

use self::schema::{agreement_events, agreement_modules, agreement_positions, agreements};

mod history;
mod list;

pub use history::{history, AgreementEvent};
pub use list::{list, AgreementFilter, AgreementSort};

/// The tables of this module, written by hand to match `migrations/*/…_agreements`.
mod schema {
    diesel::table! {
        agreements (id) {
            id -> BigInt,
            title -> Text,
            status -> Text,
            organisation_id -> Nullable<BigInt>,
            municipality_id -> Nullable<BigInt>,
            service_supervision -> Text,
            technical_supervision -> Text,
            subject -> Nullable<Text>,
            obligations -> Nullable<Text>,
            signed_on -> Nullable<Date>,
            starts_on -> Nullable<Date>,
            ends_on -> Nullable<Date>,
            document_name -> Nullable<Text>,
            document_url -> Nullable<Text>,
            document_file_id -> Nullable<Text>,
            version -> Integer,
            created_at -> Timestamp,
            updated_at -> Timestamp,
        }
    }

    diesel::table! {
        agreement_modules (agreement_id, module) {
            agreement_id -> BigInt,
            module -> Text,
        }
    }

    diesel::table! {
        agreement_positions (agreement_id, position_id) {
            agreement_id -> BigInt,
            position_id -> BigInt,
        }
    }

    diesel::table! {
        agreement_events (id) {
            id -> BigInt,
            agreement_id -> BigInt,
            kind -> Text,
            from_status -> Nullable<Text>,
            to_status -> Nullable<Text>,
            changed_fields -> Text,
            comment -> Nullable<Text>,
            actor_id -> Nullable<BigInt>,
            occurred_at -> Timestamp,
        }
    }

    diesel::joinable!(agreement_modules -> agreements (agreement_id));
    diesel::joinable!(agreement_positions -> agreements (agreement_id));
    diesel::joinable!(agreement_events -> agreements (agreement_id));

    diesel::allow_tables_to_appear_in_same_query!(
        agreements,
        agreement_modules,
        agreement_positions,
        agreement_events,
    );
}

/// The outcome of a write whose input may break a domain rule.
pub type Checked<T> = Result<T, Vec<RuleViolation>>;

#[derive(Queryable, Selectable)]
#[diesel(table_name = agreements, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct AgreementRow {
    id: i64,
    title: String,
    status: String,
    organisation_id: Option<i64>,
    municipality_id: Option<i64>,
    service_supervision: String,
    technical_supervision: String,
    subject: Option<String>,
    obligations: Option<String>,
    signed_on: Option<NaiveDate>,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    document_name: Option<String>,
    document_url: Option<String>,
    document_file_id: Option<String>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// A stored agreement.
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    pub id: i64,
    pub status: AgreementStatus,
    pub data: AgreementData,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The fields a client sets on create and replaces on update; the status is changed only by a
/// transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementData {
    pub title: String,
    pub organisation_id: Option<i64>,
    pub municipality_id: Option<i64>,
    pub modules: Vec<Module>,
    pub position_ids: Vec<i64>,
    /// Dienstaufsicht.
    pub service_supervision: String,
    /// Fachaufsicht.
    pub technical_supervision: String,
    pub subject: Option<String>,
    pub obligations: Option<String>,
    pub signed_on: Option<NaiveDate>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub document_name: Option<String>,
    pub document_url: Option<String>,
    pub document_file_id: Option<String>,
}

impl AgreementData {
    /// What the status rules look at.
    pub fn terms(&self) -> AgreementTerms {
        AgreementTerms {
            has_partner: self.organisation_id.is_some() || self.municipality_id.is_some(),
            signed_on: self.signed_on,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
        }
    }

    /// The sets sorted and without duplicates, as they are stored and returned.
    fn normalised(&self) -> AgreementData {
        AgreementData {
            modules: normalise_set(&self.modules),
            position_ids: normalise_set(&self.position_ids),
            ..self.clone()
        }
    }

    /// The names of the fields that differ from `other`, in declaration order.
    fn changed_from(&self, other: &AgreementData) -> Vec<&'static str> {
        let mut changed = Vec::new();
        macro_rules! compare {
            ($($field:ident),+) => {
                $(if self.$field != other.$field {
                    changed.push(stringify!($field));
                })+
            };
        }
        compare!(
            title,
            organisation_id,
            municipality_id,
            modules,
            position_ids,
            service_supervision,
            technical_supervision,
            subject,
            obligations,
            signed_on,
            starts_on,
            ends_on,
            document_name,
            document_url,
            document_file_id
        );
        changed
    }
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = agreements, treat_none_as_null = true)]
struct AgreementColumns<'a> {
    title: &'a str,
    organisation_id: Option<i64>,
    municipality_id: Option<i64>,
    service_supervision: &'a str,
    technical_supervision: &'a str,
    subject: Option<&'a str>,
    obligations: Option<&'a str>,
    signed_on: Option<NaiveDate>,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    document_name: Option<&'a str>,
    document_url: Option<&'a str>,
    document_file_id: Option<&'a str>,
}

impl<'a> From<&'a AgreementData> for AgreementColumns<'a> {
    fn from(d: &'a AgreementData) -> Self {
        AgreementColumns {
            title: &d.title,
            organisation_id: d.organisation_id,
            municipality_id: d.municipality_id,
            service_supervision: &d.service_supervision,
            technical_supervision: &d.technical_supervision,
            subject: d.subject.as_deref(),
            obligations: d.obligations.as_deref(),
            signed_on: d.signed_on,
            starts_on: d.starts_on,
            ends_on: d.ends_on,
            document_name: d.document_name.as_deref(),
            document_url: d.document_url.as_deref(),
            document_file_id: d.document_file_id.as_deref(),
        }
    }
}

/// A requested status change, with the dates the target status may need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionRequest {
    pub to: AgreementStatus,
    /// Set on the agreement when given; absent leaves the stored date.
    pub signed_on: Option<NaiveDate>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub comment: Option<String>,
}

/// Loads the modules and positions of a page of agreements in two queries.
fn with_sets(conn: &mut DbConn, rows: Vec<AgreementRow>) -> StoreResult<Vec<Agreement>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut modules =
        load_links!(conn, agreement_modules, agreement_id = &ids, module: String => Module::parse);
    let mut positions =
        load_links!(conn, agreement_positions, agreement_id = &ids, position_id: i64);
    rows.into_iter()
        .map(|row| {
            Ok(Agreement {
                id: row.id,
                status: AgreementStatus::parse(&row.status)?,
                data: AgreementData {
                    title: row.title,
                    organisation_id: row.organisation_id,
                    municipality_id: row.municipality_id,
                    modules: normalise_set(&modules.remove(&row.id).unwrap_or_default()),
                    position_ids: normalise_set(&positions.remove(&row.id).unwrap_or_default()),
                    service_supervision: row.service_supervision,
                    technical_supervision: row.technical_supervision,
                    subject: row.subject,
                    obligations: row.obligations,
                    signed_on: row.signed_on,
                    starts_on: row.starts_on,
                    ends_on: row.ends_on,
                    document_name: row.document_name,
                    document_url: row.document_url,
                    document_file_id: row.document_file_id,
                },
                version: row.version,
                created_at: clock::to_utc(row.created_at),
                updated_at: clock::to_utc(row.updated_at),
            })
        })
        .collect()
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Agreement> {
    let row = agreements::table
        .find(id)
        .select(AgreementRow::as_select())
        .first(conn)?;
    with_sets(conn, vec![row])?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// The first agreement with exactly this title, if any (for seeding).
pub fn find_by_title(conn: &mut DbConn, title: &str) -> StoreResult<Option<Agreement>> {
    let id: Option<i64> = agreements::table
        .filter(agreements::title.eq(title))
        .order(agreements::id.asc())
        .select(agreements::id)
        .first(conn)
        .optional()?;
    id.map(|id| find(conn, id)).transpose()
}

/// The referenced partner, municipality and positions exist (422 on the field otherwise).
fn check_references(conn: &mut DbConn, data: &AgreementData) -> StoreResult<()> {
    if let Some(id) = data.organisation_id {
        if !organisations::exists(conn, id)? {
            return Err(StoreError::unknown(
                "organisation_id",
                format!("no organisation with id {id}"),
            ));
        }
    }
    if let Some(id) = data.municipality_id {
        if municipalities::first_unknown(conn, &[id])?.is_some() {
            return Err(StoreError::unknown(
                "municipality_id",
                format!("no municipality with id {id}"),
            ));
        }
    }
    if let Some(id) = positions::first_unknown(conn, &data.position_ids)? {
        return Err(StoreError::unknown(
            "position_ids",
            format!("no position with id {id}"),
        ));
    }
    Ok(())
}

fn replace_sets(conn: &mut DbConn, id: i64, data: &AgreementData) -> StoreResult<()> {
    diesel::delete(agreement_modules::table.filter(agreement_modules::agreement_id.eq(id)))
        .execute(conn)?;
    diesel::delete(agreement_positions::table.filter(agreement_positions::agreement_id.eq(id)))
        .execute(conn)?;
    insert_links!(conn, agreement_modules, agreement_id = id, module = &data.modules => as_str);
    insert_links!(
        conn,
        agreement_positions,
        agreement_id = id,
        position_id = &data.position_ids
    );
    Ok(())
}

/// Appends one history entry.
fn record(
    conn: &mut DbConn,
    actor: &Actor,
    agreement_id: i64,
    kind: AgreementEventKind,
    (from, to): (Option<AgreementStatus>, Option<AgreementStatus>),
    changed_fields: &[&str],
    comment: Option<&str>,
) -> StoreResult<()> {
    // Only people write agreements; the command line (seed) has no id to record.
    let actor_id = if actor.kind == "user" { actor.id } else { None };
    diesel::insert_into(agreement_events::table)
        .values((
            agreement_events::agreement_id.eq(agreement_id),
            agreement_events::kind.eq(kind.as_str()),
            agreement_events::from_status.eq(from.map(AgreementStatus::as_str)),
            agreement_events::to_status.eq(to.map(AgreementStatus::as_str)),
            agreement_events::changed_fields.eq(changed_fields.join(",")),
            agreement_events::comment.eq(comment),
            agreement_events::actor_id.eq(actor_id),
            agreement_events::occurred_at.eq(clock::now()),
        ))
        .execute(conn)?;
    Ok(())
}

fn today() -> NaiveDate {
    clock::now().date()
}

fn current_version(conn: &mut DbConn, id: i64, expected_version: i32) -> StoreResult<Agreement> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    Ok(current)
}

/// Creates an agreement in `draft`.
pub fn insert(
    conn: &mut DbConn,
    actor: &Actor,
    data: &AgreementData,
) -> StoreResult<Checked<Agreement>> {
    let data = data.normalised();
    check_references(conn, &data)?;
    let status = AgreementStatus::Draft;
    if let Err(violations) = check_terms(status, &data.terms(), today()) {
        return Ok(Err(violations));
    }
    let now = clock::now();
    let id: i64 = insert_versioned!(
        conn,
        agreements,
        (
            AgreementColumns::from(&data),
            agreements::status.eq(status.as_str())
        ),
        now
    )?;
    replace_sets(conn, id, &data)?;
    record(
        conn,
        actor,
        id,
        AgreementEventKind::Created,
        (None, Some(status)),
        &[],
        None,
    )?;
    find(conn, id).map(Ok)
}

/// Replaces the fields (not the status) if `expected_version` is current. The agreement must
/// still be editable and its status's requirements must hold for the new fields. A replacement
/// that changes nothing leaves version and history alone.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    data: &AgreementData,
) -> StoreResult<Checked<Agreement>> {
    let current = current_version(conn, id, expected_version)?;
    check_editable(current.status).map_err(StoreError::Conflict)?;
    let data = data.normalised();
    let changed = data.changed_from(&current.data);
    if changed.is_empty() {
        return Ok(Ok(current));
    }
    check_references(conn, &data)?;
    if let Err(violations) = check_terms(current.status, &data.terms(), today()) {
        return Ok(Err(violations));
    }
    update_versioned!(
        conn,
        agreements,
        id,
        expected_version,
        AgreementColumns::from(&data)
    )?;
    replace_sets(conn, id, &data)?;
    record(
        conn,
        actor,
        id,
        AgreementEventKind::Updated,
        (None, None),
        &changed,
        None,
    )?;
    find(conn, id).map(Ok)
}

/// Moves the agreement to `request.to` if `expected_version` is current, the status machine
/// allows the move (409 naming the allowed targets otherwise) and the agreement, with the
/// request's dates applied, meets what the target status requires.
pub fn transition(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    expected_version: i32,
    request: &TransitionRequest,
) -> StoreResult<Checked<Agreement>> {
    let current = current_version(conn, id, expected_version)?;
    let to = current.status.transition(request.to)?;
    let data = AgreementData {
        signed_on: request.signed_on.or(current.data.signed_on),
        starts_on: request.starts_on.or(current.data.starts_on),
        ends_on: request.ends_on.or(current.data.ends_on),
        ..current.data.clone()
    };
    if let Err(violations) = check_terms(to, &data.terms(), today()) {
        return Ok(Err(violations));
    }
    update_versioned!(
        conn,
        agreements,
        id,
        expected_version,
        (
            agreements::status.eq(to.as_str()),
            agreements::signed_on.eq(data.signed_on),
            agreements::starts_on.eq(data.starts_on),
            agreements::ends_on.eq(data.ends_on)
        )
    )?;
    record(
        conn,
        actor,
        id,
        AgreementEventKind::StatusChanged,
        (Some(current.status), Some(to)),
        &data.changed_from(&current.data),
        request.comment.as_deref(),
    )?;
    find(conn, id).map(Ok)
}

/// Positions placed with `organisation_id` or serving `municipality_id`, sorted: what an
/// agreement with this partner would typically cover (used for demo data).
pub fn positions_of_partner(
    conn: &mut DbConn,
    organisation_id: Option<i64>,
    municipality_id: Option<i64>,
) -> StoreResult<Vec<i64>> {
    use crate::schema::{position_municipalities, positions};
    let mut ids: Vec<i64> = Vec::new();
    if let Some(organisation) = organisation_id {
        ids.extend(
            positions::table
                .filter(positions::placement_organisation_id.eq(organisation))
                .select(positions::id)
                .load::<i64>(conn)?,
        );
    }
    if let Some(municipality) = municipality_id {
        ids.extend(
            position_municipalities::table
                .filter(position_municipalities::municipality_id.eq(municipality))
                .select(position_municipalities::position_id)
                .load::<i64>(conn)?,
        );
    }
    Ok(normalise_set(&ids))
}
