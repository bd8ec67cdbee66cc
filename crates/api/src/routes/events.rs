//! The event feed (issue 15 item 3), for partner systems that cannot receive webhooks: the same
//! thin events a webhook pushes, in order, after a cursor. [`EventMessage`] is also the body
//! the webhook worker signs and sends, so both directions show a partner one shape.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use kim_domain::event::{public_id, EventObject, EventType, FeedRequest};
use kim_domain::Principal;
use kim_store::outbox::{self, Event};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::error_sets as sets;
use crate::error::ApiError;
use crate::http::paging::whole_number;
use crate::routes::RouteTable;
use crate::server::AppState;

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_events);
}

/// An object an event concerns, and where to fetch it with the partner's token.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"object": "referral", "id": 12, "url": "/api/v1/referrals/12"}))]
pub struct EventSubject {
    pub object: EventObject,
    pub id: i64,
    /// Path of the object on this server, to `GET` with the partner token; the read decides
    /// what the token may still see. Absent for an object partners cannot read (a consent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl EventSubject {
    fn of(object: EventObject, id: i64) -> Self {
        EventSubject {
            object,
            id,
            url: object.path(id),
        }
    }
}

/// What an event is about.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"object": "consent", "id": 3,
    "related": [{"object": "referral", "id": 12, "url": "/api/v1/referrals/12"}]}))]
pub struct EventData {
    #[serde(flatten)]
    pub subject: EventSubject,
    /// Further objects concerned: for `consent.revoked`, the referrals to the organisation
    /// whose transfer relied on the consent. Empty for other types.
    pub related: Vec<EventSubject>,
}

/// One event, as the feed lists it and as a webhook delivers it (the Standard Webhooks payload:
/// `type`, `timestamp`, `data`, plus the event's `id`, which is also the `webhook-id` header).
/// Events carry no personal data.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": "evt_41", "type": "referral.sent",
    "timestamp": "2026-11-30T08:15:00Z",
    "data": {"object": "referral", "id": 12, "url": "/api/v1/referrals/12", "related": []}}))]
pub struct EventMessage {
    /// Unique and stable: a redelivery carries the same id, so a receiver drops duplicates.
    #[schema(example = "evt_41")]
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// When the change was committed.
    pub timestamp: DateTime<Utc>,
    pub data: EventData,
}

impl From<&Event> for EventMessage {
    fn from(event: &Event) -> Self {
        EventMessage {
            id: public_id(event.sequence),
            event_type: event.event_type,
            timestamp: event.occurred_at,
            data: EventData {
                subject: EventSubject::of(event.object, event.object_id),
                related: event
                    .related_ids
                    .iter()
                    .map(|id| EventSubject::of(EventObject::Referral, *id))
                    .collect(),
            },
        }
    }
}

/// One page of the feed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": "evt_41", "type": "referral.sent",
    "timestamp": "2026-11-30T08:15:00Z",
    "data": {"object": "referral", "id": 12, "url": "/api/v1/referrals/12", "related": []}}],
    "after": 41, "has_more": false}))]
pub struct EventPage {
    pub items: Vec<EventMessage>,
    /// The cursor for the next call: the last event's position, or the one asked with when
    /// the page is empty. Store it once the page is processed; it never skips an event.
    pub after: i64,
    /// Whether more events wait right now (ask again at once); otherwise poll later.
    pub has_more: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedParams {
    /// The cursor: the `after` of the previous page; 0 or absent from the beginning.
    #[param(
        minimum = 0,
        maximum = 9_007_199_254_740_991_i64,
        default = 0,
        example = 41
    )]
    #[serde(default, deserialize_with = "whole_number")]
    pub after: Option<i64>,
    /// Events per page, 1 to 200.
    #[param(minimum = 1, maximum = 200, default = 50, example = 50)]
    #[serde(default, deserialize_with = "whole_number")]
    pub limit: Option<i64>,
}

/// Read the event feed
///
/// The partner organisation's events after the cursor `after`, oldest first: the same events
/// its webhooks push (`referral.sent`, `referral.withdrawn`, `referral.updated`,
/// `consent.revoked`, `intake_request.accepted`, `intake_request.declined`,
/// `residence_request.created`, `residence_request.withdrawn`), for systems that cannot receive
/// pushes or that catch up after an outage. A token sees the types its scopes let it read the
/// object of: referral and consent events with `referrals:read` or `referrals:write`, intake
/// request events with `intake:write`, residence-law request events with
/// `residence_requests:read`; other tokens (`reports:read`, `offers:write`, `surveys:write`)
/// see an empty feed. Events are thin: fetch the object from `data.url` with the token. Poll
/// with the returned `after`; an event written later always has a greater position.
///
/// **Who may call:** partner tokens. People get 403: the feed is the partners' channel.
#[utoipa::path(tag = "Partner events", params(FeedParams), responses(
    (status = 200, description = "The next events of the token's organisation", body = EventPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/events")]
pub async fn list_events(
    caller: crate::auth::Caller,
    state: web::Data<AppState>,
    params: web::Query<FeedParams>,
) -> Result<web::Json<EventPage>, ApiError> {
    let feed = FeedRequest::parse(params.after, params.limit)
        .map_err(|(field, message)| ApiError::field(field, message))?;
    let events = state
        .db
        .read_with(caller, move |conn, who| {
            let Principal::Partner {
                organisation_id,
                scopes,
                ..
            } = &who.principal
            else {
                return Err(ApiError::Forbidden(
                    "the event feed is for partner tokens; people see changes in their lists"
                        .into(),
                ));
            };
            // One more than asked tells whether another page waits.
            let types = EventType::visible_types(scopes);
            outbox::of_organisation(conn, *organisation_id, &types, feed.after, feed.limit + 1)
                .map_err(ApiError::from)
        })
        .await?;
    let has_more = events.len() as i64 > feed.limit;
    let shown = &events[..events.len().min(feed.limit as usize)];
    let after = shown.last().map_or(feed.after, |e| e.sequence);
    let items = shown.iter().map(EventMessage::from).collect();
    Ok(web::Json(EventPage {
        items,
        after,
        has_more,
    }))
}
