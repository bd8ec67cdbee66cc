//! Survey campaigns (Befragungen): a frozen questionnaire version put to respondent slots for a
//! period, each slot with its one response, and the weights of the campaign's need score.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::paging::PageRequest;
use kim_domain::reference::RhineSide;
use kim_domain::survey::{
    check_campaign_transition, check_deletable, check_questionnaire_change,
    check_respondent_removable, check_respondent_role, check_takes_respondents, CampaignStatus,
    RespondentKind, RespondentSlot, ResponseStatus,
};
use kim_domain::survey_results::NeedWeight;
use kim_domain::Role;
use serde::Deserialize;
use utoipa::IntoParams;

use super::tables::{
    questionnaire_versions as versions, survey_campaigns as campaigns,
    survey_need_weights as weights, survey_respondents as respondents,
    survey_responses as responses,
};
use crate::error::{expect_version, StoreResult};
use crate::schema::{municipalities, organisations, users};
use crate::versioned::{delete_versioned, insert_versioned, update_versioned};
use crate::{clock, DbConn, Listed, StoreError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = campaigns, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct CampaignRow {
    id: i64,
    questionnaire_version_id: i64,
    title: String,
    description: Option<String>,
    opens_on: NaiveDate,
    closes_on: NaiveDate,
    status: String,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// What a client sets on a campaign. The caller checked the period (closes not before opens).
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignData {
    pub questionnaire_version_id: i64,
    pub title: String,
    pub description: Option<String>,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub status: CampaignStatus,
}

/// How many respondents are at which stage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusCounts {
    pub not_started: i64,
    pub draft: i64,
    pub submitted: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    pub id: i64,
    pub data: CampaignData,
    pub questionnaire_id: i64,
    pub questionnaire_version_number: i32,
    pub counts: StatusCounts,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A respondent slot with what a status list shows: the name, the side of the Rhine (for
/// municipalities), the named person, and the state of its response.
#[derive(Debug, Clone, PartialEq)]
pub struct Respondent {
    pub id: i64,
    pub campaign_id: i64,
    pub slot: RespondentSlot,
    pub name: String,
    pub rhine_side: Option<RhineSide>,
    pub respondent_user_name: Option<String>,
    pub response_id: i64,
    pub status: ResponseStatus,
    pub submitted_at: Option<DateTime<Utc>>,
    pub response_updated_at: DateTime<Utc>,
}

/// Filters of the list; all optional, combined with AND.
/// The API reads them from the query string as they are, so their documentation is the
/// parameters'.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CampaignFilter {
    /// Only campaigns with this status.
    pub status: Option<CampaignStatus>,
}

fn from_row(conn: &mut DbConn, row: CampaignRow) -> StoreResult<Campaign> {
    let (questionnaire_id, number): (i64, i32) = versions::table
        .find(row.questionnaire_version_id)
        .select((versions::questionnaire_id, versions::number))
        .first(conn)?;
    let mut counts = StatusCounts::default();
    for status in responses::table
        .inner_join(respondents::table)
        .filter(respondents::campaign_id.eq(row.id))
        .select(responses::status)
        .load::<String>(conn)?
    {
        match ResponseStatus::parse(&status)? {
            ResponseStatus::NotStarted => counts.not_started += 1,
            ResponseStatus::Draft => counts.draft += 1,
            ResponseStatus::Submitted => counts.submitted += 1,
        }
    }
    Ok(Campaign {
        id: row.id,
        data: CampaignData {
            questionnaire_version_id: row.questionnaire_version_id,
            title: row.title,
            description: row.description,
            opens_on: row.opens_on,
            closes_on: row.closes_on,
            status: CampaignStatus::parse(&row.status)?,
        },
        questionnaire_id,
        questionnaire_version_number: number,
        counts,
        version: row.version,
        created_at: clock::to_utc(row.created_at),
        updated_at: clock::to_utc(row.updated_at),
    })
}

/// A page of campaigns, the latest opening first.
pub fn list(
    conn: &mut DbConn,
    filter: CampaignFilter,
    page: PageRequest,
) -> StoreResult<Listed<Campaign>> {
    let mut count = campaigns::table.into_boxed();
    let mut query = campaigns::table.into_boxed();
    if let Some(status) = filter.status {
        count = count.filter(campaigns::status.eq(status.as_str()));
        query = query.filter(campaigns::status.eq(status.as_str()));
    }
    let total: i64 = count.count().get_result(conn)?;
    let rows: Vec<CampaignRow> = query
        .order((campaigns::opens_on.desc(), campaigns::id.desc()))
        .limit(page.limit)
        .offset(page.offset)
        .select(CampaignRow::as_select())
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|row| from_row(conn, row))
        .collect::<StoreResult<_>>()?;
    Ok(Listed { items, total })
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Campaign> {
    let row = campaigns::table
        .find(id)
        .select(CampaignRow::as_select())
        .first(conn)?;
    from_row(conn, row)
}

pub fn find_by_title(conn: &mut DbConn, title: &str) -> StoreResult<Option<Campaign>> {
    let id: Option<i64> = campaigns::table
        .filter(campaigns::title.eq(title))
        .select(campaigns::id)
        .first(conn)
        .optional()?;
    id.map(|id| find(conn, id)).transpose()
}

fn check_version_exists(conn: &mut DbConn, version_id: i64) -> StoreResult<()> {
    let found: i64 = versions::table
        .filter(versions::id.eq(version_id))
        .count()
        .get_result(conn)?;
    if found == 0 {
        return Err(StoreError::unknown(
            "questionnaire_version_id",
            format!("no questionnaire version with id {version_id}"),
        ));
    }
    Ok(())
}

/// Creates a campaign with its respondent slots; using the version freezes it.
pub fn insert(
    conn: &mut DbConn,
    data: &CampaignData,
    slots: &[RespondentSlot],
) -> StoreResult<Campaign> {
    check_version_exists(conn, data.questionnaire_version_id)?;
    let now = clock::now();
    let id: i64 = insert_versioned!(
        conn,
        campaigns,
        (
            campaigns::questionnaire_version_id.eq(data.questionnaire_version_id),
            campaigns::title.eq(&data.title),
            campaigns::description.eq(data.description.as_deref()),
            campaigns::opens_on.eq(data.opens_on),
            campaigns::closes_on.eq(data.closes_on),
            campaigns::status.eq(data.status.as_str())
        ),
        now
    )
    .map_err(|e| e.on_field("title"))?;
    for slot in slots {
        insert_respondent(conn, id, slot)?;
    }
    find(conn, id)
}

/// Changes a campaign. The questionnaire version changes only while the campaign is a draft;
/// a status change must be a move the campaign lifecycle allows (409 otherwise).
pub fn update(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    data: &CampaignData,
) -> StoreResult<Campaign> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    if data.status != current.data.status {
        check_campaign_transition(current.data.status, data.status)?;
    }
    if data.questionnaire_version_id != current.data.questionnaire_version_id {
        check_questionnaire_change(current.data.status)?;
        check_version_exists(conn, data.questionnaire_version_id)?;
    }
    update_versioned!(
        conn,
        campaigns,
        id,
        expected_version,
        (
            campaigns::questionnaire_version_id.eq(data.questionnaire_version_id),
            campaigns::title.eq(&data.title),
            campaigns::description.eq(data.description.as_deref()),
            campaigns::opens_on.eq(data.opens_on),
            campaigns::closes_on.eq(data.closes_on),
            campaigns::status.eq(data.status.as_str()),
        )
    )
    .map_err(|e| e.on_field("title"))?;
    find(conn, id)
}

fn check_slot_references(conn: &mut DbConn, slot: &RespondentSlot) -> StoreResult<()> {
    if let Some(id) = slot.municipality_id {
        let found: i64 = municipalities::table
            .filter(municipalities::id.eq(id))
            .count()
            .get_result(conn)?;
        if found == 0 {
            return Err(StoreError::unknown(
                "municipality_id",
                format!("no municipality with id {id}"),
            ));
        }
    }
    if let Some(id) = slot.organisation_id {
        if !crate::organisations::exists(conn, id)? {
            return Err(StoreError::unknown(
                "organisation_id",
                format!("no organisation with id {id}"),
            ));
        }
    }
    if let Some(id) = slot.respondent_user_id {
        let role: Option<String> = users::table
            .filter(users::id.eq(id))
            .select(users::role)
            .first(conn)
            .optional()?;
        let Some(role) = role else {
            return Err(StoreError::unknown(
                "respondent_user_id",
                format!("no user with id {id}"),
            ));
        };
        check_respondent_role(id, Role::parse(&role)?).map_err(|refused| StoreError::Invalid {
            field: "respondent_user_id",
            message: refused.message,
        })?;
    }
    Ok(())
}

fn insert_respondent(
    conn: &mut DbConn,
    campaign_id: i64,
    slot: &RespondentSlot,
) -> StoreResult<i64> {
    check_slot_references(conn, slot)?;
    let now = clock::now();
    let id: i64 = diesel::insert_into(respondents::table)
        .values((
            respondents::campaign_id.eq(campaign_id),
            respondents::kind.eq(slot.kind.as_str()),
            respondents::municipality_id.eq(slot.municipality_id),
            respondents::organisation_id.eq(slot.organisation_id),
            respondents::respondent_user_id.eq(slot.respondent_user_id),
            respondents::created_at.eq(now),
        ))
        .returning(respondents::id)
        .get_result(conn)
        .map_err(|e| match StoreError::from(e) {
            StoreError::Duplicate { .. } => StoreError::Conflict(
                "this municipality or organisation is already a respondent of the campaign".into(),
            ),
            other => other,
        })?;
    diesel::insert_into(responses::table)
        .values((
            responses::respondent_id.eq(id),
            responses::status.eq(ResponseStatus::NotStarted.as_str()),
            responses::answers.eq("{}"),
            responses::version.eq(1),
            responses::created_at.eq(now),
            responses::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

/// Deletes a campaign that was never opened, with its respondent slots (409 otherwise: the
/// answers of an opened campaign are kept; close it instead).
pub fn delete(conn: &mut DbConn, id: i64, expected_version: i32) -> StoreResult<()> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    check_deletable(current.data.status)?;
    delete_versioned!(conn, campaigns, id, expected_version)?;
    Ok(())
}

/// Adds a respondent slot to a campaign that is not closed.
pub fn add_respondent(
    conn: &mut DbConn,
    campaign_id: i64,
    slot: &RespondentSlot,
) -> StoreResult<Respondent> {
    let campaign = find(conn, campaign_id)?;
    check_takes_respondents(campaign.data.status)?;
    let id = insert_respondent(conn, campaign_id, slot)?;
    find_respondent(conn, campaign_id, id)
}

/// Removes a slot whose response was not started (409 otherwise: answers are not thrown away).
pub fn remove_respondent(
    conn: &mut DbConn,
    campaign_id: i64,
    respondent_id: i64,
) -> StoreResult<()> {
    let respondent = find_respondent(conn, campaign_id, respondent_id)?;
    check_respondent_removable(respondent.status)?;
    diesel::delete(respondents::table.find(respondent_id)).execute(conn)?;
    Ok(())
}

type RespondentTuple = (
    i64,
    i64,
    String,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    i64,
    String,
    Option<NaiveDateTime>,
    NaiveDateTime,
);

fn load_respondents(
    conn: &mut DbConn,
    campaign_id: Option<i64>,
    respondent_id: Option<i64>,
) -> StoreResult<Vec<Respondent>> {
    let mut query = respondents::table
        .inner_join(responses::table)
        .select((
            respondents::id,
            respondents::campaign_id,
            respondents::kind,
            respondents::municipality_id,
            respondents::organisation_id,
            respondents::respondent_user_id,
            responses::id,
            responses::status,
            responses::submitted_at,
            responses::updated_at,
        ))
        .into_boxed();
    if let Some(id) = campaign_id {
        query = query.filter(respondents::campaign_id.eq(id));
    }
    if let Some(id) = respondent_id {
        query = query.filter(respondents::id.eq(id));
    }
    let rows: Vec<RespondentTuple> = query.order(respondents::id.asc()).load(conn)?;
    let municipality_ids: Vec<i64> = rows.iter().filter_map(|r| r.3).collect();
    let organisation_ids: Vec<i64> = rows.iter().filter_map(|r| r.4).collect();
    let user_ids: Vec<i64> = rows.iter().filter_map(|r| r.5).collect();
    let places: HashMap<i64, (String, String)> = municipalities::table
        .filter(municipalities::id.eq_any(&municipality_ids))
        .select((
            municipalities::id,
            municipalities::name,
            municipalities::rhine_side,
        ))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, name, side)| (id, (name, side)))
        .collect();
    let bodies: HashMap<i64, String> = organisations::table
        .filter(organisations::id.eq_any(&organisation_ids))
        .select((organisations::id, organisations::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let people: HashMap<i64, String> = users::table
        .filter(users::id.eq_any(&user_ids))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    rows.into_iter()
        .map(|r| {
            let (name, rhine_side) =
                match (r.3, r.4) {
                    (Some(m), _) => {
                        let (name, side) = places.get(&m).cloned().ok_or_else(|| {
                            StoreError::Corrupt(format!("municipality {m} missing"))
                        })?;
                        (name, Some(RhineSide::parse(&side)?))
                    }
                    (None, Some(o)) => (
                        bodies.get(&o).cloned().ok_or_else(|| {
                            StoreError::Corrupt(format!("organisation {o} missing"))
                        })?,
                        None,
                    ),
                    (None, None) => {
                        return Err(StoreError::Corrupt("respondent without subject".into()))
                    }
                };
            Ok(Respondent {
                id: r.0,
                campaign_id: r.1,
                slot: RespondentSlot {
                    kind: RespondentKind::parse(&r.2)?,
                    municipality_id: r.3,
                    organisation_id: r.4,
                    respondent_user_id: r.5,
                },
                name,
                rhine_side,
                respondent_user_name: r.5.and_then(|u| people.get(&u).cloned()),
                response_id: r.6,
                status: ResponseStatus::parse(&r.7)?,
                submitted_at: r.8.map(clock::to_utc),
                response_updated_at: clock::to_utc(r.9),
            })
        })
        .collect()
}

/// Every respondent of a campaign, ordered by name (municipalities and organisations mixed).
pub fn respondents(conn: &mut DbConn, campaign_id: i64) -> StoreResult<Vec<Respondent>> {
    let mut all = load_respondents(conn, Some(campaign_id), None)?;
    all.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(all)
}

/// One respondent of one campaign (404 when it belongs to another campaign).
pub fn find_respondent(
    conn: &mut DbConn,
    campaign_id: i64,
    respondent_id: i64,
) -> StoreResult<Respondent> {
    load_respondents(conn, Some(campaign_id), Some(respondent_id))?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// The slots a person is named for, or a partner organisation holds, in campaigns that are not
/// drafts; latest campaign first.
pub fn slots_of(
    conn: &mut DbConn,
    user_id: Option<i64>,
    organisation_id: Option<i64>,
) -> StoreResult<Vec<(Campaign, Respondent)>> {
    let mut ids = respondents::table.select(respondents::id).into_boxed();
    ids = match (user_id, organisation_id) {
        (Some(user), _) => ids.filter(respondents::respondent_user_id.eq(user)),
        (None, Some(org)) => ids
            .filter(respondents::organisation_id.eq(org))
            .filter(respondents::kind.eq(RespondentKind::Organisation.as_str())),
        (None, None) => return Ok(Vec::new()),
    };
    let ids: Vec<i64> = ids.load(conn)?;
    let mut found = Vec::new();
    for id in ids {
        let respondent = load_respondents(conn, None, Some(id))?
            .pop()
            .ok_or(StoreError::NotFound)?;
        let campaign = find(conn, respondent.campaign_id)?;
        if campaign.data.status != CampaignStatus::Draft {
            found.push((campaign, respondent));
        }
    }
    found.sort_by(|a, b| {
        b.0.data
            .opens_on
            .cmp(&a.0.data.opens_on)
            .then(b.0.id.cmp(&a.0.id))
    });
    Ok(found)
}

/// The need-score weights of a campaign, in the order they were given.
pub fn need_weights(conn: &mut DbConn, campaign_id: i64) -> StoreResult<Vec<NeedWeight>> {
    Ok(weights::table
        .filter(weights::campaign_id.eq(campaign_id))
        .order(weights::position.asc())
        .select((weights::question_key, weights::weight))
        .load::<(String, f64)>(conn)?
        .into_iter()
        .map(|(question_key, weight)| NeedWeight {
            question_key,
            weight,
        })
        .collect())
}

/// Replaces the need-score weights (validated by the caller); counts as a change of the campaign.
pub fn set_need_weights(
    conn: &mut DbConn,
    campaign_id: i64,
    expected_version: i32,
    chosen: &[NeedWeight],
) -> StoreResult<Campaign> {
    let current = find(conn, campaign_id)?;
    expect_version(current.version, expected_version)?;
    diesel::delete(weights::table.filter(weights::campaign_id.eq(campaign_id))).execute(conn)?;
    for (position, w) in chosen.iter().enumerate() {
        diesel::insert_into(weights::table)
            .values((
                weights::campaign_id.eq(campaign_id),
                weights::question_key.eq(&w.question_key),
                weights::weight.eq(w.weight),
                weights::position.eq(position as i32),
            ))
            .execute(conn)?;
    }
    update_versioned!(conn, campaigns, campaign_id, expected_version)?;
    find(conn, campaign_id)
}

/// The campaign whose need score the distribution report uses: the latest opened (not draft)
/// campaign with need-score weights, by opening day, then id.
pub fn latest_with_need_score(conn: &mut DbConn) -> StoreResult<Option<Campaign>> {
    let weighted: Vec<i64> = weights::table
        .select(weights::campaign_id)
        .distinct()
        .load(conn)?;
    let id: Option<i64> = campaigns::table
        .filter(campaigns::id.eq_any(&weighted))
        .filter(campaigns::status.ne(CampaignStatus::Draft.as_str()))
        .order((campaigns::opens_on.desc(), campaigns::id.desc()))
        .select(campaigns::id)
        .first(conn)
        .optional()?;
    id.map(|id| find(conn, id)).transpose()
}
