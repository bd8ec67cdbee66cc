//! Positions (Stellen) of the three KIM modules and their staffing phases.

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{get, post, put, web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use kim_domain::access::holder_visible;
use kim_domain::reference::RhineSide;
use kim_domain::staffing::{check_shares, Fte, Module, PositionFunction, StaffingPhase};
use kim_domain::Action;
use kim_store::positions::{self as store, PositionData, PositionFilter, PositionSort, Share};
use kim_store::Direction;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::{not_blank, trimmed};
use crate::auth::{Authenticated, Caller};
use crate::error::error_sets as sets;
use crate::error::{invalid_fields, FieldError};
use crate::http::paging::{parse_sort, PageParams};
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::position_access::{readable, readable_scope};
use crate::server::AppState;
use crate::{page_type, ApiError};

pub use kim_store::positions::PositionEvent;

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_positions)
        .service(get_position)
        .service(create_position)
        .service(update_position)
        .service(transition_position)
        .service(position_history);
}

/// A municipality served by a position and its share of the position's FTE.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MunicipalityShare {
    pub municipality_id: i64,
    /// Share in FTE, two decimals at most; all shares together at most the position's FTE.
    #[schema(example = 0.5, minimum = 0.01, maximum = 10.0, multiple_of = 0.01)]
    pub fte: f64,
}

/// Stelle (position) of module 1, 2 or 3.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 7, "title": "CM Siegburg", "module": "module_2", "function": "case_management", "fte": 1.0,
    "funded": true, "employer_organisation_id": 1, "placement_organisation_id": null,
    "rhine_side": "right", "region": null, "thematic_focus": null,
    "holder_user_id": 5, "holder_name": "Demo Case Manager",
    "municipalities": [{"municipality_id": 17, "fte": 1.0}],
    "phase": "active", "phase_since": "2021-04-01", "allowed_transitions": ["vacant", "ended"],
    "version": 3, "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z"
}))]
pub struct Position {
    pub id: i64,
    /// Unique, e.g. "Koordination linksrheinisch".
    pub title: String,
    /// Follows from the function.
    pub module: Module,
    pub function: PositionFunction,
    /// Full-time equivalents (Vollzeitäquivalente), two decimals.
    pub fte: f64,
    /// Whether the position is paid from KIM funding.
    pub funded: bool,
    /// Anstellungsträger (employer).
    pub employer_organisation_id: i64,
    /// Where the holder works, if not at the employer (a municipality's office or a provider).
    pub placement_organisation_id: Option<i64>,
    pub rhine_side: Option<RhineSide>,
    /// Region or social area (Sozialraum).
    pub region: Option<String>,
    /// Thematic focus, e.g. early-childhood language support.
    pub thematic_focus: Option<String>,
    /// The holder; shown only to admin, ki_lead and coordinator (and to the holder).
    pub holder_user_id: Option<i64>,
    pub holder_name: Option<String>,
    pub municipalities: Vec<MunicipalityShare>,
    pub phase: StaffingPhase,
    /// Since when the position is in its phase.
    pub phase_since: NaiveDate,
    /// The phases the position may move to next.
    pub allowed_transitions: Vec<StaffingPhase>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Position {
    /// The position as `who` may see it: the holder only for those allowed to see names.
    fn for_caller(p: store::Position, who: &Authenticated) -> Self {
        let holder_visible = holder_visible(&who.principal, p.data.holder_user_id);
        Position {
            id: p.id,
            module: p.module(),
            title: p.data.title,
            function: p.data.function,
            fte: p.data.fte.as_decimal(),
            funded: p.data.funded,
            employer_organisation_id: p.data.employer_organisation_id,
            placement_organisation_id: p.data.placement_organisation_id,
            rhine_side: p.data.rhine_side,
            region: p.data.region,
            thematic_focus: p.data.thematic_focus,
            holder_user_id: p.data.holder_user_id.filter(|_| holder_visible),
            holder_name: p.holder_name.filter(|_| holder_visible),
            municipalities: p
                .data
                .shares
                .iter()
                .map(|s| MunicipalityShare {
                    municipality_id: s.municipality_id,
                    fte: s.fte.as_decimal(),
                })
                .collect(),
            allowed_transitions: p.phase.allowed_next().to_vec(),
            phase: p.phase,
            phase_since: p.phase_since,
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

page_type!(PositionPage, Position);

/// A position to create, or its new state (PUT replaces every field but the phase).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "CM Siegburg", "function": "case_management", "fte": 1.0, "funded": true,
    "employer_organisation_id": 1, "rhine_side": "right",
    "municipalities": [{"municipality_id": 17, "fte": 1.0}], "planned_since": "2020-07-01"
}))]
pub struct PositionInput {
    #[validate(length(max = 200), custom(function = "not_blank"))]
    #[schema(pattern = "\\S", min_length = 1, max_length = 200)]
    pub title: String,
    pub function: PositionFunction,
    /// 0.01 to 10.00, two decimals at most.
    #[schema(minimum = 0.01, maximum = 10.0, multiple_of = 0.01, example = 1.0)]
    pub fte: f64,
    /// Default `true`.
    #[serde(default = "yes")]
    pub funded: bool,
    pub employer_organisation_id: i64,
    pub placement_organisation_id: Option<i64>,
    pub rhine_side: Option<RhineSide>,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub region: Option<String>,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub thematic_focus: Option<String>,
    pub holder_user_id: Option<i64>,
    #[serde(default)]
    #[validate(length(max = 19, message = "at most 19 municipalities"))]
    pub municipalities: Vec<MunicipalityShare>,
    /// On create only: since when the position is planned (default today). Later phases are
    /// set through transitions.
    pub planned_since: Option<NaiveDate>,
}

fn yes() -> bool {
    true
}

impl PositionInput {
    fn into_data(self) -> Result<(PositionData, Option<NaiveDate>), ApiError> {
        let mut errors: Vec<FieldError> = invalid_fields(&self);
        let fte = Fte::parse_decimal(self.fte, Fte::MAX_POSITION)
            .map_err(|m| errors.push(FieldError::new("fte", m)))
            .ok();
        let mut shares = Vec::new();
        for (index, share) in self.municipalities.iter().enumerate() {
            match Fte::parse_decimal(share.fte, Fte::MAX_POSITION) {
                Ok(f) => shares.push(Share {
                    municipality_id: share.municipality_id,
                    fte: f,
                }),
                Err(m) => errors.push(FieldError::new(format!("municipalities[{index}].fte"), m)),
            }
        }
        let mut ids: Vec<i64> = shares.iter().map(|s| s.municipality_id).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            // Distinct ids across objects of a list: JSON Schema cannot state it.
            errors.push(FieldError::rule(
                "municipalities",
                "a municipality is listed twice",
            ));
        }
        if let Some(fte) = fte {
            let share_fte: Vec<Fte> = shares.iter().map(|s| s.fte).collect();
            if let Err(m) = check_shares(fte, &share_fte) {
                errors.push(FieldError::rule("municipalities", m));
            }
        }
        if !errors.is_empty() {
            errors.sort_by(|a, b| a.field.cmp(&b.field));
            return Err(ApiError::Validation(errors));
        }
        let data = PositionData {
            title: self.title.trim().to_owned(),
            function: self.function,
            fte: fte.unwrap_or(Fte::ZERO),
            funded: self.funded,
            employer_organisation_id: self.employer_organisation_id,
            placement_organisation_id: self.placement_organisation_id,
            rhine_side: self.rhine_side,
            region: trimmed(self.region),
            thematic_focus: trimmed(self.thematic_focus),
            holder_user_id: self.holder_user_id,
            shares,
        };
        Ok((data, self.planned_since))
    }
}

/// The order of `GET /positions`; its filters are the store's [`PositionFilter`].
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PositionOrder {
    /// `title`, `module`, `phase` or `created_at`; prefix `-` for descending. Default `title`.
    #[param(pattern = "^(-?(title|module|phase|created_at))?$")]
    pub sort: Option<String>,
}

const SORT_FIELDS: &[(&str, PositionSort)] = &[
    ("title", PositionSort::Title),
    ("module", PositionSort::Module),
    ("phase", PositionSort::Phase),
    ("created_at", PositionSort::CreatedAt),
];

/// List positions
///
/// The staffing plan: positions of all modules, filtered and paged, ordered by title unless
/// `sort` says otherwise. A case manager sees only the position they hold. Holder names are
/// shown only to admin, ki_lead and coordinator.
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`,
/// `analyst`; `case_manager` (own position only).
#[utoipa::path(tag = "Positions", params(PageParams, PositionFilter, PositionOrder), responses(
    (status = 200, description = "One page of positions", body = PositionPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/positions")]
pub async fn list_positions(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    filter: web::Query<PositionFilter>,
    order: web::Query<PositionOrder>,
) -> Result<web::Json<PositionPage>, ApiError> {
    let page = paging.page()?;
    let (sort, direction) = parse_sort(
        order.sort.as_deref(),
        (PositionSort::Title, Direction::Asc),
        SORT_FIELDS,
    )?;
    let mut filter = filter.into_inner();
    state
        .db
        .read_with(caller, move |conn, who| {
            filter.holder_user_id = readable_scope(who)?;
            let listed = store::list(conn, &filter, sort, direction, page)?;
            let items = listed
                .items
                .into_iter()
                .map(|p| Position::for_caller(p, who))
                .collect();
            Ok::<_, ApiError>(PositionPage::of(items, listed.total, page))
        })
        .await
        .map(web::Json)
}

/// Get a position
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`,
/// `analyst`; `case_manager` (own position only; others answer 404).
#[utoipa::path(tag = "Positions", params(("id" = i64, Path, description = "Position id")), responses(
    (status = 200, description = "The position", body = Position, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/positions/{id}")]
pub async fn get_position(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let position = state
        .db
        .read_with(caller, move |conn, who| {
            readable(conn, who, id).map(|p| Position::for_caller(p, who))
        })
        .await?;
    let version = position.version;
    Ok(ok_versioned(&position, version))
}

/// Create a position
///
/// A new position starts in phase `planned` (since `planned_since`, default today). Titles are
/// unique (409). Municipality shares may together not exceed the position's FTE (422).
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Positions", request_body = PositionInput, responses(
    (status = 201, description = "Created", body = Position, headers(("ETag" = String), ("Location" = String))),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/positions")]
pub async fn create_position(
    caller: Caller,
    state: web::Data<AppState>,
    body: Json<PositionInput>,
) -> Result<HttpResponse, ApiError> {
    let position = state
        .db
        .write_as(caller, Action::WriteSteering, move |conn, who| {
            let (data, planned_since) = body.into_inner().into_data()?;
            let since = planned_since.unwrap_or_else(|| Utc::now().date_naive());
            let actor = who.actor();
            Ok(Position::for_caller(
                store::insert(conn, &actor, &data, since)?,
                who,
            ))
        })
        .await?;
    let (id, version) = (position.id, position.version);
    Ok(created_versioned(
        &position,
        version,
        format!("/api/v1/positions/{id}"),
    ))
}

/// Replace a position
///
/// Replaces every field but the phase (use the transitions operation for that). Requires
/// `If-Match`.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Positions", request_body = PositionInput,
    params(("id" = i64, Path, description = "Position id"), ("If-Match" = String, Header, description = "ETag of the version you edited")),
    responses(
    (status = 200, description = "The position", body = Position, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/positions/{id}")]
pub async fn update_position(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<PositionInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let position = state
        .db
        .write_as(caller, Action::WriteSteering, move |conn, who| {
            let expected = if_match.version()?;
            let (data, planned_since) = body.into_inner().into_data()?;
            if planned_since.is_some() {
                return Err(ApiError::rule(
                    "planned_since",
                    "can only be set on create; change phases through transitions",
                ));
            }
            let actor = who.actor();
            Ok(Position::for_caller(
                store::update(conn, &actor, id, expected, &data)?,
                who,
            ))
        })
        .await?;
    let version = position.version;
    Ok(ok_versioned(&position, version))
}

/// A move of a position to another staffing phase.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to": "onboarding", "effective_on": "2021-04-01", "comment": "Started 1 April"}))]
pub struct PositionTransitionInput {
    pub to: StaffingPhase,
    /// When the new phase began (default today); not before the current phase began.
    pub effective_on: Option<NaiveDate>,
    #[validate(length(max = 1000))]
    #[schema(max_length = 1000)]
    pub comment: Option<String>,
}

/// Change the staffing phase
///
/// Moves the position along its staffing path: planned → recruiting → onboarding →
/// qualification → active; active → vacant → recruiting; any phase → ended. Any other move
/// answers 409 naming the allowed ones. Requires `If-Match`. The move is recorded in the
/// history with its date and who made it, and counts for funding from that date.
///
/// **Who may call:** `ki_lead`, `coordinator`.
#[utoipa::path(tag = "Positions", request_body = PositionTransitionInput,
    params(("id" = i64, Path, description = "Position id"), ("If-Match" = String, Header, description = "ETag of the version you saw")),
    responses(
    (status = 200, description = "The position in its new phase", body = Position, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[post("/positions/{id}/transitions")]
pub async fn transition_position(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<PositionTransitionInput>,
) -> Result<HttpResponse, ApiError> {
    let caller = state.db.authenticate(caller).await?;
    caller.require(Action::WriteSteering)?;
    let expected = if_match.version()?;
    let input = body.into_inner();
    input.validate()?;
    let effective_on = input
        .effective_on
        .unwrap_or_else(|| Utc::now().date_naive());
    let comment = trimmed(input.comment);
    let (id, to, actor) = (id.into_inner(), input.to, caller.actor());
    let moved = state
        .db
        .write(move |conn| {
            store::transition(
                conn,
                &actor,
                id,
                Some(expected),
                to,
                effective_on,
                comment.as_deref(),
            )
        })
        .await?;
    let version = moved.version;
    Ok(ok_versioned(&Position::for_caller(moved, &caller), version))
}

/// Position history
///
/// Every change of the position, oldest first: creation, updates and phase moves with their
/// dates and who made them.
///
/// **Who may call:** `admin`, `ki_lead`, `coordinator`, `cm_coordinator`, `steering_member`,
/// `analyst`; `case_manager` (own position only).
#[utoipa::path(tag = "Positions", params(("id" = i64, Path, description = "Position id")), responses(
    (status = 200, description = "The history, oldest first", body = Vec<PositionEvent>),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/positions/{id}/history")]
pub async fn position_history(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<Vec<PositionEvent>>, ApiError> {
    let id = id.into_inner();
    let events = state
        .db
        .read_with(caller, move |conn, who| {
            readable(conn, who, id)?;
            Ok::<_, ApiError>(store::history(conn, id)?)
        })
        .await?;
    Ok(web::Json(events))
}
