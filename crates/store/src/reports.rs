//! Read models of the controlling reports: grouped counts computed by the database
//! (`GROUP BY`), never rows of people loaded into Rust. The people report groups by the
//! attributes captured per case membership (`case_clients`), never by the client record, so an
//! erasure leaves the figures unchanged. No query here selects a name, reference, birth year or
//! free text.
//!
//! SQL is assembled from fixed fragments; the only values are typed dates and ids, written as
//! literals.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use kim_domain::report::query::{CaseDimension, PeopleDimension, Period, ReferralDimension};
use kim_domain::report::table::Count;

use crate::error::StoreResult;
use crate::DbConn;

/// Whose cases a report counts: all, or those a case manager is assigned to or deputises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    CaseManager(i64),
}

impl Scope {
    /// The join that brings in the case `c` an object belongs to, for the scope's condition.
    /// The whole county needs none: counting goals or referrals without it reads an index
    /// alone (issue 12: 376 ms down to 23 ms for the goals of one year on 100,000 cases).
    fn case_join(self, column: &str) -> String {
        match self {
            Scope::All => String::new(),
            Scope::CaseManager(_) => format!(" JOIN cases c ON c.id = {column}"),
        }
    }

    fn condition(self) -> String {
        match self {
            Scope::All => "1 = 1".into(),
            Scope::CaseManager(id) => {
                format!("(c.assigned_user_id = {id} OR c.deputy_user_id = {id})")
            }
        }
    }
}

#[derive(QueryableByName)]
struct Grouped {
    #[diesel(sql_type = Nullable<Text>)]
    k1: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    k2: Option<String>,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn is_postgres(conn: &DbConn) -> bool {
    matches!(conn, DbConn::Postgres(_))
}

fn lit(date: NaiveDate) -> String {
    format!("'{}'", date.format("%Y-%m-%d"))
}

fn month(pg: bool, col: &str) -> String {
    if pg {
        format!("to_char({col}, 'YYYY-MM')")
    } else {
        format!("strftime('%Y-%m', {col})")
    }
}

fn quarter(pg: bool, col: &str) -> String {
    if pg {
        format!("to_char({col}, 'YYYY-\"Q\"Q')")
    } else {
        format!(
            "(strftime('%Y', {col}) || '-Q' || ((CAST(strftime('%m', {col}) AS INTEGER) + 2) / 3))"
        )
    }
}

fn year(pg: bool, col: &str) -> String {
    if pg {
        format!("to_char({col}, 'YYYY')")
    } else {
        format!("strftime('%Y', {col})")
    }
}

/// Runs `SELECT keys…, COUNT(DISTINCT what) … GROUP BY keys` and returns the counts.
fn grouped(
    conn: &mut DbConn,
    keys: &[String],
    what: &str,
    from_where: &str,
) -> StoreResult<Vec<Count>> {
    let k1 = keys.first().cloned().unwrap_or_else(|| "NULL".into());
    let k2 = keys.get(1).cloned().unwrap_or_else(|| "NULL".into());
    let group = if keys.is_empty() {
        String::new()
    } else {
        format!(
            " GROUP BY {}",
            (1..=keys.len())
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    // `*`: every row is one object (no join repeats it), so a plain COUNT suffices.
    let counted = match what {
        "*" => "COUNT(*)".to_owned(),
        column => format!("COUNT(DISTINCT {column})"),
    };
    let sql = format!(
        "SELECT CAST({k1} AS TEXT) AS k1, CAST({k2} AS TEXT) AS k2, \
         CAST({counted} AS BIGINT) AS n {from_where}{group}"
    );
    let rows: Vec<Grouped> = diesel::sql_query(sql).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|g| Count {
            keys: [g.k1, g.k2].into_iter().take(keys.len()).collect(),
            count: u64::try_from(g.n).unwrap_or(0),
        })
        .collect())
}

fn total(conn: &mut DbConn, what: &str, from_where: &str) -> StoreResult<u64> {
    let sql = format!("SELECT CAST(COUNT(DISTINCT {what}) AS BIGINT) AS n {from_where}");
    let row: Total = diesel::sql_query(sql).get_result(conn)?;
    Ok(u64::try_from(row.n).unwrap_or(0))
}

/// The three measures of the cases report, each with its grouped counts and true total.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseCounts {
    pub new: (Vec<Count>, u64),
    pub open: (Vec<Count>, u64),
    pub closed: (Vec<Count>, u64),
}

/// The social area covering a case's municipality whole, if any: at most one row per case
/// (`social_area_parts_place` is unique on municipality and district), so no case counts twice.
const SOCIAL_AREA_JOIN: &str =
    "LEFT JOIN social_area_parts sap ON sap.municipality_id = c.municipality_id AND sap.district = ''";

/// A case dimension as SQL: the key expression and the joins it needs. `event` is the date
/// column (or literal) the time dimensions read.
fn case_key(pg: bool, d: CaseDimension, event: &str, joins: &mut Vec<&'static str>) -> String {
    match d {
        CaseDimension::Municipality => "c.municipality_id".into(),
        CaseDimension::SocialArea => {
            joins.push(SOCIAL_AREA_JOIN);
            "sap.social_area_id".into()
        }
        CaseDimension::RhineSide => {
            joins.push("JOIN municipalities m ON m.id = c.municipality_id");
            "m.rhine_side".into()
        }
        CaseDimension::TargetGroup => "c.target_group".into(),
        CaseDimension::LegalDomain => {
            joins.push("JOIN case_legal_domains ld ON ld.case_id = c.id");
            "ld.legal_domain".into()
        }
        CaseDimension::Topic => {
            joins.push("JOIN case_topics tp ON tp.case_id = c.id");
            "tp.topic".into()
        }
        CaseDimension::IntakeChannel => "c.intake_channel".into(),
        CaseDimension::Eligible => "CASE WHEN c.eligible THEN 'true' ELSE 'false' END".into(),
        CaseDimension::CloseReason => "c.close_reason".into(),
        CaseDimension::Month => month(pg, event),
        CaseDimension::Quarter => quarter(pg, event),
        CaseDimension::Year => year(pg, event),
    }
}

fn case_measure(
    conn: &mut DbConn,
    dims: &[CaseDimension],
    event: &str,
    condition: &str,
) -> StoreResult<(Vec<Count>, u64)> {
    let pg = is_postgres(conn);
    let mut joins = Vec::new();
    let keys: Vec<String> = dims
        .iter()
        .map(|d| case_key(pg, *d, event, &mut joins))
        .collect();
    let from_where = format!("FROM cases c {} WHERE {condition}", joins.join(" "));
    // Legal domains and topics count a case once per value: only then can a case be in several
    // groups, so only then do the groups need COUNT(DISTINCT) and the total its own query.
    let multi_valued = dims
        .iter()
        .any(|d| matches!(d, CaseDimension::LegalDomain | CaseDimension::Topic));
    if multi_valued {
        let counts = grouped(conn, &keys, "c.id", &from_where)?;
        let total = total(conn, "c.id", &format!("FROM cases c WHERE {condition}"))?;
        return Ok((counts, total));
    }
    let counts = grouped(conn, &keys, "*", &from_where)?;
    let total = counts.iter().map(|c| c.count).sum();
    Ok((counts, total))
}

/// New (opened in the period), open (at its last day) and closed (in the period) cases. A case
/// counts as closed on the day of its last closing (`status_since` of a closed case).
pub fn cases(
    conn: &mut DbConn,
    scope: Scope,
    period: Period,
    dims: &[CaseDimension],
) -> StoreResult<CaseCounts> {
    let (from, to) = (lit(period.from), lit(period.to));
    let scope = scope.condition();
    let new = case_measure(
        conn,
        dims,
        "c.opened_on",
        &format!("c.opened_on BETWEEN {from} AND {to} AND {scope}"),
    )?;
    // SQLite's date functions take the text itself; a CAST to DATE would make it a number.
    let at_end = if is_postgres(conn) {
        format!("CAST({to} AS DATE)")
    } else {
        to.clone()
    };
    let open = case_measure(
        conn,
        dims,
        &at_end,
        &format!(
            "c.opened_on <= {to} AND NOT (c.status = 'closed' AND c.status_since <= {to}) AND {scope}"
        ),
    )?;
    let closed = case_measure(
        conn,
        dims,
        "c.status_since",
        &format!("c.status = 'closed' AND c.status_since BETWEEN {from} AND {to} AND {scope}"),
    )?;
    Ok(CaseCounts { new, open, closed })
}

/// Cases that were open on some day of the period.
fn open_in_period(period: Period) -> String {
    format!(
        "c.opened_on <= {} AND NOT (c.status = 'closed' AND c.status_since < {})",
        lit(period.to),
        lit(period.from)
    )
}

/// People reached: distinct clients of cases open at any time in the period, grouped by the
/// attributes captured when they joined the case.
pub fn people(
    conn: &mut DbConn,
    scope: Scope,
    period: Period,
    dims: &[PeopleDimension],
) -> StoreResult<(Vec<Count>, u64)> {
    let mut join = "";
    let keys: Vec<String> = dims
        .iter()
        .map(|d| {
            match d {
                PeopleDimension::AgeBand => "cc.age_band",
                PeopleDimension::Gender => "cc.gender",
                PeopleDimension::CountryOfOrigin => "cc.country_of_origin",
                PeopleDimension::ResidenceStatus => "cc.residence_status",
                PeopleDimension::Municipality => "c.municipality_id",
                PeopleDimension::SocialArea => {
                    join = SOCIAL_AREA_JOIN;
                    "sap.social_area_id"
                }
                PeopleDimension::TargetGroup => "c.target_group",
            }
            .to_owned()
        })
        .collect();
    let from_where = format!(
        "FROM case_clients cc JOIN cases c ON c.id = cc.case_id {join} WHERE {} AND {}",
        open_in_period(period),
        scope.condition()
    );
    let total = if is_postgres(conn) {
        total(conn, "cc.client_id", &from_where)?
    } else {
        // SQLite counts distinct values in a temporary B-tree; grouping instead walks the
        // client index in order and needs none: 166 ms -> 76 ms for the people reached in one
        // year on 100,000 synthetic cases (PostgreSQL's hash of COUNT(DISTINCT) is faster than
        // its grouping, so it keeps the plain form).
        let sql = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM (SELECT cc.client_id {from_where} \
             GROUP BY cc.client_id) AS reached"
        );
        let row: Total = diesel::sql_query(sql).get_result(conn)?;
        u64::try_from(row.n).unwrap_or(0)
    };
    if keys.is_empty() {
        // The headline figure (the programme report): the one group is the total; the same
        // distinct count twice cost 80 ms on 100,000 synthetic cases.
        return Ok((
            vec![Count {
                keys: Vec::new(),
                count: total,
            }],
            total,
        ));
    }
    let counts = grouped(conn, &keys, "cc.client_id", &from_where)?;
    Ok((counts, total))
}

/// The referral outcomes, in the order the report shows them.
pub const REFERRAL_OUTCOMES: &[&str] = &["accepted", "declined", "completed", "withdrawn", "sent"];

/// Referrals sent in the period per recipient (organisation id or kind) and current status, and
/// the days from sending to the first answer (accepted or declined) of each answered one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReferralCounts {
    /// (recipient key, outcome, count)
    pub counts: Vec<(String, String, u64)>,
    /// recipient key → days to answer, one value per answered referral
    pub answer_days: HashMap<String, Vec<i64>>,
}

pub fn referrals(
    conn: &mut DbConn,
    scope: Scope,
    period: Period,
    dim: ReferralDimension,
) -> StoreResult<ReferralCounts> {
    let counts = referral_counts(conn, scope, period, dim)?;
    let from_where = referrals_sent_in(scope, period, dim);
    let key = referral_key(dim);

    #[derive(QueryableByName)]
    struct Answer {
        #[diesel(sql_type = Nullable<Text>)]
        k: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Timestamp)]
        sent_at: NaiveDateTime,
        #[diesel(sql_type = diesel::sql_types::Timestamp)]
        answered_at: NaiveDateTime,
    }
    // The inner join keeps only answered referrals; the first answer is the earliest event.
    let sql = format!(
        "SELECT CAST({key} AS TEXT) AS k, r.sent_at AS sent_at, MIN(e.occurred_at) AS answered_at \
         {from_where} GROUP BY r.id, 1, r.sent_at"
    );
    let sql = sql.replacen(
        "FROM referrals r",
        "FROM referrals r JOIN referral_events e ON e.referral_id = r.id \
         AND e.to_status IN ('accepted', 'declined')",
        1,
    );
    let answers: Vec<Answer> = diesel::sql_query(sql).load(conn)?;
    let mut answer_days: HashMap<String, Vec<i64>> = HashMap::new();
    for a in answers {
        answer_days
            .entry(a.k.unwrap_or_default())
            .or_default()
            .push((a.answered_at.date() - a.sent_at.date()).num_days());
    }
    Ok(ReferralCounts {
        counts,
        answer_days,
    })
}

fn referral_key(dim: ReferralDimension) -> &'static str {
    match dim {
        ReferralDimension::Organisation => "CAST(r.recipient_organisation_id AS TEXT)",
        ReferralDimension::OrganisationKind => "o.kind",
    }
}

/// Referrals sent at or after the period's first day and before the day after its last.
fn referrals_sent_in(scope: Scope, period: Period, dim: ReferralDimension) -> String {
    let until = period.to.succ_opt().unwrap_or(period.to);
    let organisation = match dim {
        ReferralDimension::Organisation => "",
        ReferralDimension::OrganisationKind => {
            " JOIN organisations o ON o.id = r.recipient_organisation_id"
        }
    };
    format!(
        "FROM referrals r{}{organisation} \
         WHERE r.sent_at IS NOT NULL AND r.sent_at >= {} AND r.sent_at < {} AND {}",
        scope.case_join("r.case_id"),
        lit(period.from),
        lit(until),
        scope.condition()
    )
}

/// Referrals sent in the period per recipient and current status, without the days to answer
/// (the programme report shows the counts only; the days cost it 190 ms on 100,000 cases).
pub fn referral_counts(
    conn: &mut DbConn,
    scope: Scope,
    period: Period,
    dim: ReferralDimension,
) -> StoreResult<Vec<(String, String, u64)>> {
    // `*`: the joins (its case, its organisation) are one row each, so no referral repeats.
    Ok(grouped(
        conn,
        &[referral_key(dim).to_owned(), "r.status".to_owned()],
        "*",
        &referrals_sent_in(scope, period, dim),
    )?
    .into_iter()
    .map(|c| {
        let mut keys = c.keys.into_iter();
        (
            keys.next().flatten().unwrap_or_default(),
            keys.next().flatten().unwrap_or_default(),
            c.count,
        )
    })
    .collect())
}

/// The goal statuses, in the order the report shows them.
pub const GOAL_STATUSES: &[&str] = &["achieved", "dropped", "open"];

/// Help-plan goals set in the period, per topic and current status.
pub fn goals(
    conn: &mut DbConn,
    scope: Scope,
    period: Period,
) -> StoreResult<Vec<(String, String, u64)>> {
    let until = period.to.succ_opt().unwrap_or(period.to);
    let from_where = format!(
        "FROM goals g{} WHERE g.created_at >= {} AND g.created_at < {} AND {}",
        scope.case_join("g.case_id"),
        lit(period.from),
        lit(until),
        scope.condition()
    );
    // `*`: a goal has one case, so the join repeats none.
    Ok(grouped(
        conn,
        &["g.topic".into(), "g.status".into()],
        "*",
        &from_where,
    )?
    .into_iter()
    .map(|c| {
        let mut keys = c.keys.into_iter();
        (
            keys.next().flatten().unwrap_or_default(),
            keys.next().flatten().unwrap_or_default(),
            c.count,
        )
    })
    .collect())
}

/// A municipality as reports show it.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub id: i64,
    pub name: String,
    pub rhine_side: String,
}

/// The names of the social areas, by id, for labelling rows grouped by `social_area`.
pub fn social_area_names(conn: &mut DbConn) -> StoreResult<HashMap<i64, String>> {
    Ok(crate::social_areas::all(conn)?
        .into_iter()
        .map(|a| (a.id, a.data.name))
        .collect())
}

pub fn places(conn: &mut DbConn) -> StoreResult<Vec<Place>> {
    use crate::schema::municipalities as m;
    Ok(m::table
        .order(m::name.asc())
        .select((m::id, m::name, m::rhine_side))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, name, rhine_side)| Place {
            id,
            name,
            rhine_side,
        })
        .collect())
}

/// Cases open at the end of `on`.
fn open_on(on: NaiveDate) -> String {
    let at = lit(on);
    format!("c.opened_on <= {at} AND NOT (c.status = 'closed' AND c.status_since <= {at})")
}

/// Open cases at `on` per municipality, and their true total. (The capacity they are set
/// against comes from the positions' histories, see `kim_domain::report::caseload`.)
pub fn caseload(conn: &mut DbConn, scope: Scope, on: NaiveDate) -> StoreResult<(Vec<Count>, u64)> {
    let from_where = format!(
        "FROM cases c WHERE {} AND {}",
        open_on(on),
        scope.condition()
    );
    let counts = grouped(conn, &["c.municipality_id".into()], "c.id", &from_where)?;
    let total = total(conn, "c.id", &from_where)?;
    Ok((counts, total))
}

/// Open cases at `on` per assigned case manager (user id, ascending), for the CM coordination.
pub fn caseload_by_case_manager(conn: &mut DbConn, on: NaiveDate) -> StoreResult<Vec<(i64, u64)>> {
    let from_where = format!("FROM cases c WHERE {}", open_on(on));
    let mut counts: Vec<(i64, u64)> =
        grouped(conn, &["c.assigned_user_id".into()], "c.id", &from_where)?
            .into_iter()
            .filter_map(|c| {
                let user = c.keys.into_iter().next().flatten()?.parse::<i64>().ok()?;
                Some((user, c.count))
            })
            .collect();
    counts.sort_unstable();
    Ok(counts)
}

/// Systematic gaps: how many are in each stage now, entered and left each stage in the period,
/// the days spent per finished stage visit, and feedback ratings given in the period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GapCounts {
    pub now: Vec<(String, u64)>,
    pub entered: Vec<(String, u64)>,
    pub left: Vec<(String, u64)>,
    pub days_in_stage: HashMap<String, Vec<i64>>,
    pub ratings: Vec<(String, u64)>,
}

fn pairs(counts: Vec<Count>) -> Vec<(String, u64)> {
    counts
        .into_iter()
        .map(|c| {
            (
                c.keys.into_iter().next().flatten().unwrap_or_default(),
                c.count,
            )
        })
        .collect()
}

pub fn gaps(conn: &mut DbConn, period: Period) -> StoreResult<GapCounts> {
    let until = lit(period.to.succ_opt().unwrap_or(period.to));
    let from = lit(period.from);
    let now = pairs(grouped(conn, &["g.stage".into()], "g.id", "FROM gaps g")?);
    let in_period = format!("e.occurred_at >= {from} AND e.occurred_at < {until}");
    // A step that keeps the stage (another report, an acknowledgement, feedback) neither enters
    // nor leaves it.
    let entered = pairs(grouped(
        conn,
        &["e.to_stage".into()],
        "e.id",
        &format!(
            "FROM gap_events e WHERE (e.from_stage IS NULL OR e.from_stage <> e.to_stage) \
             AND {in_period}"
        ),
    )?);
    let left = pairs(grouped(
        conn,
        &["e.from_stage".into()],
        "e.id",
        &format!("FROM gap_events e WHERE e.from_stage IS NOT NULL AND e.from_stage <> e.to_stage AND {in_period}"),
    )?);
    // Stage visits that ended in the period: each event that left a stage, paired with the
    // latest earlier event that entered it from elsewhere (a step that kept the stage does not
    // start a new visit).
    #[derive(QueryableByName)]
    struct Visit {
        #[diesel(sql_type = Text)]
        stage: String,
        #[diesel(sql_type = diesel::sql_types::Timestamp)]
        entered_at: NaiveDateTime,
        #[diesel(sql_type = diesel::sql_types::Timestamp)]
        left_at: NaiveDateTime,
    }
    let entry = "p.gap_id = e.gap_id AND p.to_stage = e.from_stage \
                 AND (p.from_stage IS NULL OR p.from_stage <> p.to_stage) \
                 AND p.occurred_at <= e.occurred_at";
    let visits: Vec<Visit> = diesel::sql_query(format!(
        "SELECT e.from_stage AS stage, e.occurred_at AS left_at, \
         (SELECT MAX(p.occurred_at) FROM gap_events p WHERE {entry}) AS entered_at \
         FROM gap_events e WHERE e.from_stage IS NOT NULL AND e.from_stage <> e.to_stage AND {in_period} \
         AND EXISTS (SELECT 1 FROM gap_events p WHERE {entry})"
    ))
    .load(conn)?;
    let mut days_in_stage: HashMap<String, Vec<i64>> = HashMap::new();
    for v in visits {
        days_in_stage
            .entry(v.stage)
            .or_default()
            .push((v.left_at.date() - v.entered_at.date()).num_days());
    }
    let ratings = pairs(grouped(
        conn,
        &["f.rating".into()],
        "f.id",
        &format!("FROM gap_feedback f WHERE f.created_at >= {from} AND f.created_at < {until}"),
    )?);
    Ok(GapCounts {
        now,
        entered,
        left,
        days_in_stage,
        ratings,
    })
}

/// The programme blocks that are neither casework nor staffing (which the funding rules
/// compute from the positions' histories): meetings held per body kind in the period, and
/// survey campaigns started in the period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProgrammeCounts {
    /// (body kind, meetings)
    pub meetings: Vec<(String, u64)>,
    pub campaigns: u64,
}

pub fn programme(conn: &mut DbConn, period: Period) -> StoreResult<ProgrammeCounts> {
    let (from, until) = (
        lit(period.from),
        lit(period.to.succ_opt().unwrap_or(period.to)),
    );
    let mut meetings = pairs(grouped(
        conn,
        &["b.kind".into()],
        "mt.id",
        &format!(
            "FROM meetings mt JOIN bodies b ON b.id = mt.body_id \
             WHERE mt.held_on >= {from} AND mt.held_on < {until}"
        ),
    )?);
    meetings.sort_unstable();
    let campaigns = total(
        conn,
        "sc.id",
        &format!("FROM survey_campaigns sc WHERE sc.opens_on >= {from} AND sc.opens_on < {until}"),
    )?;
    Ok(ProgrammeCounts {
        meetings,
        campaigns,
    })
}

/// The clearing records (Kompetenzerfassung) first made in a period: how many, their vocational
/// qualifications per recognition status, and the clients' level of German.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClearingCounts {
    pub records: u64,
    /// (recognition status, qualifications)
    pub recognition: Vec<(String, u64)>,
    /// (level, clients) for the language `de`.
    pub german_levels: Vec<(String, u64)>,
}

pub fn clearing(conn: &mut DbConn, scope: Scope, period: Period) -> StoreResult<ClearingCounts> {
    let until = period.to.succ_opt().unwrap_or(period.to);
    let records_where = format!(
        "{} WHERE r.created_at >= {} AND r.created_at < {} AND {}",
        scope.case_join("r.case_id"),
        lit(period.from),
        lit(until),
        scope.condition()
    );
    let records = total(
        conn,
        "r.id",
        &format!("FROM clearing_records r{records_where}"),
    )?;
    // `*`: each qualification row is one procedure, each German row one client (a language is
    // listed once per record).
    let recognition = pairs(grouped(
        conn,
        &["q.recognition".into()],
        "*",
        &format!(
            "FROM clearing_qualifications q JOIN clearing_records r ON r.id = q.record_id\
             {records_where}"
        ),
    )?);
    let german_levels = pairs(grouped(
        conn,
        &["l.level".into()],
        "*",
        &format!(
            "FROM clearing_languages l JOIN clearing_records r ON r.id = l.record_id\
             {records_where} AND l.language = 'de'"
        ),
    )?);
    Ok(ClearingCounts {
        records,
        recognition,
        german_levels,
    })
}
