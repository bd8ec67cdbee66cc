//! Offers (Angebote) of the county's organisations: read by every authenticated caller, written
//! by the coordination (coordinator, KI lead) and by partner systems for their own organisation.

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::http::StatusCode;
use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::NaiveDate;
use kim_domain::client::ResidenceStatus;
use kim_domain::offer::{
    check_offer, check_write_access, may_write_some_offers, parse_languages, LanguageCode,
    OfferAccess, OfferTargetGroup, OfferTerms, OfferTopic,
};
use kim_domain::reference::normalise_set;
use kim_domain::{Action, Principal};
use kim_store::offers::{self as store, OfferData, OfferFilter, OfferSort};
use kim_store::referrals::RememberedResponse;
use kim_store::Direction;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::trimmed;
use crate::auth::Caller;
use crate::error::error_sets as sets;
use crate::error::FieldError;
use crate::http::idempotency::{respond, Answer, IdempotencyKey};
use crate::http::paging::{parse_sort, PageParams};
use crate::http::precondition::{ok_versioned, IfMatch};
use crate::http::query::parse_date;
use crate::server::AppState;
use crate::{page_type, ApiError};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_offers)
        .service(get_offer)
        .service(create_offer)
        .service(update_offer)
        .service(delete_offer);
}

pub use kim_store::offers::Offer;

page_type!(OfferPage, Offer);

/// An offer (Angebot) to create, or its new fields (PUT replaces every field and set).
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "organisation_id": 14, "title": "Migrationsberatung für erwachsene Zuwanderer (MBE)",
    "description": "Beratung zu Sprache, Arbeit, Wohnen und Aufenthalt; offene Sprechstunde dienstags.",
    "topics": ["counselling", "language", "work", "housing"],
    "target_groups": ["new_arrivals", "eu_citizens"],
    "county_wide": false, "municipality_ids": [9, 16, 17],
    "min_age": 27, "max_age": null,
    "residence_statuses": ["eu_citizen", "third_country_with_permit", "recognised_refugee"],
    "languages": ["de", "ar", "ru", "en"], "access": "walk_in", "capacity_per_month": 60,
    "active_from": "2021-01-01", "active_until": null
}))]
pub struct OfferInput {
    /// The organisation offering it; must exist. A partner token may name only its own.
    pub organisation_id: i64,
    /// 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// At most 2,000 characters.
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// At least one; duplicates are ignored.
    #[serde(default)]
    #[schema(required = true, min_items = 1)]
    pub topics: Vec<OfferTopic>,
    /// At least one; duplicates are ignored.
    #[serde(default)]
    #[schema(required = true, min_items = 1)]
    pub target_groups: Vec<OfferTargetGroup>,
    /// Serves every municipality; then `municipality_ids` must be empty. Default `false`.
    #[serde(default)]
    pub county_wide: bool,
    /// Municipalities served; at least one unless county-wide; at most 100; each must exist.
    #[serde(default)]
    #[validate(length(max = 100, message = "at most 100 municipalities"))]
    #[schema(max_items = 100)]
    pub municipality_ids: Vec<i64>,
    /// 0 to 120.
    #[schema(minimum = 0, maximum = 120)]
    pub min_age: Option<i32>,
    /// 0 to 120, not below `min_age`.
    #[schema(minimum = 0, maximum = 120)]
    pub max_age: Option<i32>,
    /// Residence statuses the offer is open to; empty: every status.
    #[serde(default)]
    pub residence_statuses: Vec<ResidenceStatus>,
    /// ISO 639-1 codes (`de`, `ar`, `uk`); at most 50; duplicates are ignored.
    #[serde(default)]
    #[validate(length(max = 50, message = "at most 50 languages"))]
    #[schema(value_type = Vec<LanguageCode>, max_items = 50, example = json!(["de", "ar"]))]
    pub languages: Vec<String>,
    pub access: OfferAccess,
    /// 0 to 100,000; absent: not stated.
    #[schema(minimum = 0, maximum = 100000)]
    pub capacity_per_month: Option<i32>,
    /// Runs from (inclusive).
    pub active_from: Option<NaiveDate>,
    /// Runs until (inclusive); not before `active_from`.
    pub active_until: Option<NaiveDate>,
}

impl OfferInput {
    /// Every invalid field at once: the limits, the domain rules, the language codes.
    fn into_data(self) -> Result<OfferData, ApiError> {
        self.validate()?;
        let mut errors: Vec<kim_domain::field::FieldError> = Vec::new();
        let description = trimmed(self.description);
        let terms = OfferTerms {
            title: &self.title,
            description: description.as_deref(),
            topics: &self.topics,
            target_groups: &self.target_groups,
            county_wide: self.county_wide,
            municipality_ids: &self.municipality_ids,
            min_age: self.min_age,
            max_age: self.max_age,
            capacity_per_month: self.capacity_per_month,
            active_from: self.active_from,
            active_until: self.active_until,
        };
        if let Err(violations) = check_offer(&terms) {
            errors.extend(violations);
        }
        let languages = parse_languages(&self.languages).unwrap_or_else(|error| {
            errors.push(error);
            Vec::new()
        });
        if !errors.is_empty() {
            return Err(ApiError::from(errors));
        }
        Ok(OfferData {
            organisation_id: self.organisation_id,
            title: self.title.trim().to_owned(),
            description,
            topics: normalise_set(&self.topics),
            target_groups: normalise_set(&self.target_groups),
            county_wide: self.county_wide,
            municipality_ids: normalise_set(&self.municipality_ids),
            min_age: self.min_age,
            max_age: self.max_age,
            residence_statuses: normalise_set(&self.residence_statuses),
            languages,
            access: self.access,
            capacity_per_month: self.capacity_per_month,
            active_from: self.active_from,
            active_until: self.active_until,
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OfferQuery {
    /// Case-insensitive part of the title.
    #[param(example = "beratung")]
    pub q: Option<String>,
    /// Offers of this organisation.
    pub organisation_id: Option<i64>,
    /// Offers on this topic.
    #[param(value_type = Option<OfferTopic>)]
    pub topic: Option<String>,
    /// Offers for this target group.
    #[param(value_type = Option<OfferTargetGroup>)]
    pub target_group: Option<String>,
    /// Offers serving this municipality, county-wide offers included.
    pub municipality_id: Option<i64>,
    /// Offers in this language (ISO 639-1).
    #[param(value_type = Option<LanguageCode>, example = "ar")]
    pub language: Option<String>,
    /// Offers running on this date (`YYYY-MM-DD`; period bounds inclusive).
    #[param(value_type = Option<String>, format = Date, example = "2021-06-01")]
    pub active_on: Option<String>,
    /// `title`, `active_from` or `created_at`; prefix `-` for descending. Default `title`.
    #[param(pattern = "^(-?(title|active_from|created_at))?$")]
    pub sort: Option<String>,
}

const SORT_FIELDS: &[(&str, OfferSort)] = &[
    ("title", OfferSort::Title),
    ("active_from", OfferSort::ActiveFrom),
    ("created_at", OfferSort::CreatedAt),
];

/// Keeps a parsed value, or records why it did not parse under the parameter's name.
fn collect<T, E: ToString>(
    errors: &mut Vec<FieldError>,
    field: &str,
    parsed: Option<Result<T, E>>,
) -> Option<T> {
    match parsed? {
        Ok(value) => Some(value),
        Err(error) => {
            errors.push(FieldError::new(field, error.to_string()));
            None
        }
    }
}

impl OfferQuery {
    /// Every bad parameter at once, as a 422 naming each.
    fn filter(self) -> Result<OfferFilter, ApiError> {
        let mut errors = Vec::new();
        let topic = collect(
            &mut errors,
            "topic",
            self.topic.as_deref().map(OfferTopic::parse),
        );
        let target_group = collect(
            &mut errors,
            "target_group",
            self.target_group.as_deref().map(OfferTargetGroup::parse),
        );
        let language = collect(
            &mut errors,
            "language",
            self.language.as_deref().map(LanguageCode::parse),
        );
        let active_on = collect(
            &mut errors,
            "active_on",
            self.active_on.as_deref().map(parse_date),
        );
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(OfferFilter {
            q: trimmed(self.q),
            organisation_id: self.organisation_id,
            topic,
            target_group,
            municipality_id: self.municipality_id,
            language,
            active_on,
        })
    }
}

/// 403 unless the caller may write offers of `organisation_id`.
fn require_write_access(principal: &Principal, organisation_id: i64) -> Result<(), ApiError> {
    check_write_access(principal, organisation_id)
        .map_err(|refusal| ApiError::Forbidden(refusal.to_string()))
}

/// 403 unless the caller may write some offers; checked before the body is examined.
fn require_some_write_access(principal: &Principal) -> Result<(), ApiError> {
    if may_write_some_offers(principal) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "your role or token scopes do not allow 'write_offers' or 'write_own_offers'".into(),
        ))
    }
}

/// List offers
///
/// Filtered and paged; ordered by title unless `sort` says otherwise. `municipality_id` finds
/// the offers serving a municipality, county-wide offers included; `active_on` those running on
/// a date. An unknown `topic`, `target_group`, `language` or a malformed `active_on` is 422
/// naming the parameter.
///
/// **Who may call:** every authenticated caller, partner tokens included.
#[utoipa::path(tag = "Offers", params(PageParams, OfferQuery), responses(
    (status = 200, description = "One page of offers", body = OfferPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/offers")]
pub async fn list_offers(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    query: web::Query<OfferQuery>,
) -> Result<web::Json<OfferPage>, ApiError> {
    let page = paging.page()?;
    let query = query.into_inner();
    let (sort, direction) = parse_sort(
        query.sort.as_deref(),
        (OfferSort::Title, Direction::Asc),
        SORT_FIELDS,
    )?;
    let filter = query.filter()?;
    let offers = state
        .db
        .read_as(caller, Action::ReadReferenceData, move |conn, _who| {
            store::list(conn, &filter, sort, direction, page)
        })
        .await?;
    Ok(web::Json(OfferPage::new(offers, page)))
}

/// Get an offer
///
/// **Who may call:** every authenticated caller, partner tokens included.
#[utoipa::path(tag = "Offers", params(("id" = i64, Path, description = "Offer id")), responses(
    (status = 200, description = "The offer", body = Offer, headers(("ETag" = String, description = "The version, for If-Match"))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/offers/{id}")]
pub async fn get_offer(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let offer = state
        .db
        .read_as(caller, Action::ReadReferenceData, move |conn, _who| {
            store::find(conn, id)
        })
        .await?;
    let version = offer.version;
    Ok(ok_versioned(&offer, version))
}

/// Create an offer
///
/// Checks every field at once (422 naming each): title, at least one topic and target group,
/// municipalities or `county_wide` (not both), ages 0 to 120 with `min_age` ≤ `max_age`,
/// capacity 0 to 100,000, `active_until` not before `active_from`, ISO 639-1 languages; the
/// organisation and the municipalities must exist. Honours `Idempotency-Key`: a retry with the
/// same key and body within `KIM_IDEMPOTENCY_TTL_HOURS` (default 24) answers 201 with the offer
/// created first, as it is now (header `Idempotent-Replayed: true`), and creates nothing; the
/// same key with another body is 422; an older key creates afresh.
///
/// **Who may call:** `coordinator`, `ki_lead` for any organisation; partner tokens with scope
/// `offers:write` for their own organisation only (another `organisation_id` is 403).
#[utoipa::path(tag = "Offers", request_body = OfferInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of creating again")),
    responses(
    (status = 201, description = "Created", body = Offer, headers(("ETag" = String), ("Location" = String))),
    sets::SubmitErrors,
), security(("bearer" = [])))]
#[post("/offers")]
pub async fn create_offer(
    caller: Caller,
    state: web::Data<AppState>,
    idempotency: IdempotencyKey,
    body: Json<OfferInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let fingerprint = idempotency.fingerprint(None, &input);
    let answer = state
        .db
        .write_with(caller, move |conn, who| {
            require_some_write_access(&who.principal)?;
            let data = input.into_data()?;
            require_write_access(&who.principal, data.organisation_id)?;
            if let Some(first) = idempotency.replay(conn, who, &fingerprint)? {
                // Read again: the replay shows the offer as it is now.
                let offer = store::find(conn, first.resource_id)?;
                return Ok(Answer {
                    status: StatusCode::from_u16(first.status_code).unwrap_or(StatusCode::CREATED),
                    version: offer.version,
                    body: offer,
                    replayed: true,
                });
            }
            let created = store::insert(conn, &data)?;
            let response = RememberedResponse {
                fingerprint,
                status_code: StatusCode::CREATED.as_u16(),
                resource_id: created.id,
            };
            idempotency.remember(conn, who, &response)?;
            Ok::<_, ApiError>(Answer {
                status: StatusCode::CREATED,
                version: created.version,
                body: created,
                replayed: false,
            })
        })
        .await?;
    let location = format!("/api/v1/offers/{}", answer.body.id);
    respond(&answer, Some(location))
}

/// Replace an offer
///
/// Replaces every field and set. Requires `If-Match`. The same checks as on creation.
///
/// **Who may call:** `coordinator`, `ki_lead`; partner tokens with scope `offers:write` for the
/// offers of their own organisation. Another organisation's offer is 403, not 404: offers are
/// readable by everyone, so there is nothing to hide; moving an offer to another organisation
/// is 403 too.
#[utoipa::path(tag = "Offers", request_body = OfferInput,
    params(("id" = i64, Path, description = "Offer id"), ("If-Match" = String, Header, description = "ETag of the version you edited, e.g. \"3\"")),
    responses(
    (status = 200, description = "The offer", body = Offer, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/offers/{id}")]
pub async fn update_offer(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<OfferInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    // Both the offer's current organisation and the one it is given decide; checked inside the
    // write transaction, so no one can move the offer in between.
    let updated = state
        .db
        .write_with(caller, move |conn, who| {
            require_some_write_access(&who.principal)?;
            let expected = if_match.version()?;
            let data = input.into_data()?;
            require_write_access(&who.principal, data.organisation_id)?;
            let current = store::find(conn, id)?;
            require_write_access(&who.principal, current.organisation_id)?;
            store::update(conn, id, expected, &data).map_err(ApiError::from)
        })
        .await?;
    let version = updated.version;
    Ok(ok_versioned(&updated, version))
}

/// Delete an offer
///
/// Requires `If-Match`. To record that an offer has ended, set `active_until` instead: the
/// coverage analysis of past dates then still sees it.
///
/// **Who may call:** `coordinator`, `ki_lead`; partner tokens with scope `offers:write` for the
/// offers of their own organisation (another organisation's offer is 403).
#[utoipa::path(tag = "Offers",
    params(("id" = i64, Path, description = "Offer id"), ("If-Match" = String, Header, description = "ETag of the current version")),
    responses(
    (status = 204, description = "Deleted"),
    sets::DeleteErrors,
), security(("bearer" = [])))]
#[delete("/offers/{id}")]
pub async fn delete_offer(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    state
        .db
        .write_with(caller, move |conn, who| {
            require_some_write_access(&who.principal)?;
            let expected = if_match.version()?;
            let current = store::find(conn, id)?;
            require_write_access(&who.principal, current.organisation_id)?;
            store::delete(conn, id, expected).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
