//! The partner document (issue 15 item 4): `/api-docs/partner.json`, committed as
//! `openapi/partner.json`. A partner IT team gets only what its token may call, under the
//! partner's security scheme, with the webhooks it may receive as OpenAPI 3.1 `webhooks` and an
//! integration guide as its description; it is cut from the full document, so both always agree.

use std::collections::BTreeSet;

use kim_domain::event::EventType;
use kim_domain::permission::scope_actions;
use kim_domain::{Action, Scope};
use serde_json::{json, Map, Value};

/// The operations a partner token may call, by operation id, with the action each needs (the
/// permission table, [`kim_domain::permission::scope_actions`], says which scopes grant it).
/// `tests/api/partner_document.rs` checks this list against the table and against the server:
/// every action a scope grants is here, and every operation not here refuses a token with all
/// scopes.
pub const PARTNER_OPERATIONS: &[(&str, Action)] = &[
    // Every token: who am I, and its organisation's events (filtered by its scopes).
    ("me", Action::ReadOwnAccount),
    ("list_events", Action::ReadOwnAccount),
    // The county's reference data, to address referrals and read reports.
    ("list_municipalities", Action::ReadReferenceData),
    ("get_municipality", Action::ReadReferenceData),
    ("list_organisations", Action::ReadReferenceData),
    ("get_organisation", Action::ReadReferenceData),
    ("list_offers", Action::ReadReferenceData),
    ("get_offer", Action::ReadReferenceData),
    ("coverage_matrix", Action::ReadReferenceData),
    ("coverage_gaps", Action::ReadReferenceData),
    ("coverage_overlaps", Action::ReadReferenceData),
    // referrals:read / referrals:write
    ("list_referrals", Action::ReadReferrals),
    ("get_referral", Action::ReadReferrals),
    ("referral_history", Action::ReadReferrals),
    ("transition_referral", Action::AnswerReferrals),
    // intake:write (the token's own organisation's requests, as the submitter's view)
    ("submit_intake_request", Action::SubmitIntakeRequests),
    ("list_intake_requests", Action::SubmitIntakeRequests),
    ("get_intake_request", Action::SubmitIntakeRequests),
    // residence_requests:read
    ("list_requests", Action::ReadOfficeRequests),
    ("get_request", Action::ReadOfficeRequests),
    // reports:read
    ("cases_report", Action::ReadReports),
    ("people_report", Action::ReadReports),
    ("referrals_report", Action::ReadReports),
    ("goals_report", Action::ReadReports),
    ("caseload_report", Action::ReadReports),
    ("gaps_report", Action::ReadReports),
    ("programme_report", Action::ReadReports),
    // offers:write
    ("create_offer", Action::WriteOwnOffers),
    ("update_offer", Action::WriteOwnOffers),
    ("delete_offer", Action::WriteOwnOffers),
    // surveys:write
    ("my_surveys", Action::AnswerSurveys),
    ("get_response", Action::AnswerSurveys),
    ("save_response", Action::AnswerSurveys),
    ("submit_response", Action::AnswerSurveys),
    // gaps:contribute (external members of mandated project groups)
    ("list_mandated_gaps", Action::ContributeToGaps),
    ("get_mandated_gap", Action::ContributeToGaps),
    ("contribute_to_gap", Action::ContributeToGaps),
    // Reference data: the intake criteria a referring partner's people are judged by.
    ("list_intake_rules", Action::ReadReferenceData),
    ("get_intake_rule", Action::ReadReferenceData),
    ("list_social_areas", Action::ReadReferenceData),
    ("get_social_area", Action::ReadReferenceData),
];

/// The scopes that grant `action` to a token.
pub fn scopes_granting(action: Action) -> Vec<Scope> {
    Scope::ALL
        .iter()
        .copied()
        .filter(|scope| scope_actions(*scope).contains(&action))
        .collect()
}

const GUIDE: &str = "The part of the KIM API a partner system calls: the Jobcenter, the immigration \
office, the youth office and the welfare organisations of the county. It is cut from the full \
document (`/api-docs/openapi.json`), so the two always agree.\n\n\
## Two directions\n\n\
- **Into KIM**: your system answers the referrals the county's case managers send to your \
organisation (`referrals:write`), refers people into KIM case management and reads the status \
of those requests (`intake:write`), reads the residence-law requests addressed to your office \
(`residence_requests:read`), maintains your organisation's offers (`offers:write`), answers needs \
surveys (`surveys:write`), reads the suppressed controlling reports (`reports:read`) and, for a \
member of a project group, reads the gaps the group is mandated with and sends proposed solutions \
and feedback (`gaps:contribute`).\n\
- **Out of KIM**: KIM tells your system what happened to the objects your organisation is party \
to, as thin events (type, id, time, the object's URL; never personal data). Receive them as \
signed webhooks (an administrator of the county registers your URL and gives you the secret \
once), or poll the event feed `GET /api/v1/events`. Then fetch the object with your token: the \
read decides, at that moment, what your token may still see (after a revoked consent, less or \
nothing).\n\n\
## Authentication\n\n\
Send your partner token (`kimp_…`, issued by an administrator of the county, shown once) as \
`Authorization: Bearer kimp_…`. Its scopes decide what it may call; each operation below names \
the scope it needs. A token that would reach case data works only once a second person (the data \
protection officer or the KI lead) has confirmed its issue (403 `confirmation-required` until \
then).\n\n\
## Conventions\n\n\
Errors are RFC 9457 problem details (`application/problem+json`); a 422 lists `errors` with \
`field`, `message` and `kind` (`schema`: a rule this document states; `rule`: a rule across \
fields or over stored state; `reference`: an id naming nothing you may see). An object your \
token may not see answers 404, never 403, so its existence does not leak. Lists take `limit` \
(1-200) and `offset` and answer `{items, total, limit, offset, next}`. Every mutable object has a \
`version`, returned as `ETag`; state changes require it as `If-Match` (428 without, 412 when \
stale). Send an `Idempotency-Key` header on a `POST` you may retry: a retry with the same key \
answers the first response instead of acting twice.\n\n\
## Webhooks\n\n\
Each event is `POST`ed to your URL as JSON (`EventMessage`: `id`, `type`, `timestamp`, `data` \
with `object`, `id`, `url` and `related`), with the Standard Webhooks headers `webhook-id` (the \
event id), `webhook-timestamp` (Unix seconds) and `webhook-signature` (`v1,<base64>`: \
HMAC-SHA256 with the secret's bytes — the base64 after `whsec_` — over \
`<webhook-id>.<webhook-timestamp>.<body>`; the header may hold several space-separated \
signatures: accept the message if one matches). To verify: recompute over the raw body, compare in constant \
time, and refuse timestamps more than 5 minutes from your clock (replays). Libraries for most \
languages exist under the name Standard Webhooks.\n\n\
Answer any 2xx within 10 seconds to acknowledge. Anything else (another status, a timeout, a \
closed connection) is retried with exponential backoff and jitter for about a day; then the \
delivery is marked failed, and a subscription whose deliveries keep failing is disabled. \
Delivery is at least once and in order per subscription: drop an `id` you have already \
processed. Your administrator contact sees every attempt and can redeliver.\n\n\
## The event feed\n\n\
`GET /api/v1/events?after=<cursor>&limit=<n>` lists the same events, oldest first. Start with \
`after=0`, process the page, store its `after`, and ask again (at once while `has_more` is true, \
else after a pause). An event committed later always has a greater position, so the cursor \
never skips one. Use the feed where you cannot receive pushes, and to catch up after an outage.";

/// The partner document, cut from the full `document`.
pub fn document(full: &Value) -> Value {
    let allowed: BTreeSet<&str> = PARTNER_OPERATIONS.iter().map(|(id, _)| *id).collect();
    let mut paths = Map::new();
    for (path, item) in full["paths"].as_object().into_iter().flatten() {
        let mut kept = Map::new();
        for (method, operation) in item.as_object().into_iter().flatten() {
            let id = operation["operationId"].as_str().unwrap_or_default();
            if allowed.contains(id) {
                let mut operation = operation.clone();
                operation["security"] = json!([{"partner": []}]);
                kept.insert(method.clone(), operation);
            } else if !operation.is_object() {
                // Path-level parameters and the like.
                kept.insert(method.clone(), operation.clone());
            }
        }
        if kept.values().any(Value::is_object) {
            paths.insert(path.clone(), Value::Object(kept));
        }
    }

    let mut partner = json!({
        "openapi": full["openapi"],
        "info": {
            "title": "KIM API for partner systems",
            "version": full["info"]["version"],
            "description": GUIDE,
            "license": full["info"]["license"],
            "contact": full["info"]["contact"],
        },
        "servers": full["servers"],
        "paths": paths,
        "webhooks": webhooks(),
        "components": {
            "securitySchemes": {
                "partner": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "partner token (kimp_…)",
                    "description": "A partner token issued by an administrator of the county; its scopes decide what it may call",
                }
            }
        },
    });

    // Only the tags and components the kept operations and webhooks refer to.
    let used_tags: BTreeSet<String> = operations(&partner)
        .flat_map(|op| op["tags"].as_array().cloned().unwrap_or_default())
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect();
    partner["tags"] = Value::Array(
        full["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["name"].as_str().is_some_and(|n| used_tags.contains(n)))
            .cloned()
            .collect(),
    );
    let components = reachable_components(full, &partner);
    for (section, entries) in components {
        partner["components"][section] = Value::Object(entries);
    }
    partner
}

fn operations(document: &Value) -> impl Iterator<Item = &Value> {
    ["paths", "webhooks"]
        .into_iter()
        .flat_map(|key| document[key].as_object().into_iter().flatten())
        .flat_map(|(_, item)| item.as_object().into_iter().flatten())
        .map(|(_, op)| op)
        .filter(|op| op.is_object())
}

/// The components of `full` that `partner` refers to, transitively: `(section, entries)`.
fn reachable_components(full: &Value, partner: &Value) -> Vec<(String, Map<String, Value>)> {
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut pending: Vec<(String, String)> = Vec::new();
    collect_refs(&partner["paths"], &mut pending);
    collect_refs(&partner["webhooks"], &mut pending);
    while let Some(reference) = pending.pop() {
        if !seen.insert(reference.clone()) {
            continue;
        }
        collect_refs(
            &full["components"][&reference.0][&reference.1],
            &mut pending,
        );
    }
    let mut sections: Vec<(String, Map<String, Value>)> = Vec::new();
    for (section, name) in seen {
        let entry = full["components"][&section][&name].clone();
        match sections.iter_mut().find(|(s, _)| *s == section) {
            Some((_, entries)) => {
                entries.insert(name, entry);
            }
            None => {
                let mut entries = Map::new();
                entries.insert(name, entry);
                sections.push((section, entries));
            }
        }
    }
    sections
}

fn collect_refs(value: &Value, into: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                let mut parts = reference.trim_start_matches("#/components/").splitn(2, '/');
                if let (Some(section), Some(name)) = (parts.next(), parts.next()) {
                    into.push((section.to_owned(), name.to_owned()));
                }
            }
            map.values().for_each(|v| collect_refs(v, into));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, into)),
        _ => {}
    }
}

/// One `webhooks` entry per event type: what KIM `POST`s to a subscribed URL.
fn webhooks() -> Value {
    let mut hooks = Map::new();
    for event_type in EventType::ALL {
        let object = event_type.object();
        let id = 41;
        let url = object.path(12);
        let mut data = json!({"object": object, "id": 12, "related": []});
        if let Some(url) = url {
            data["url"] = json!(url);
        } else {
            data["related"] =
                json!([{"object": "referral", "id": 12, "url": "/api/v1/referrals/12"}]);
        }
        let scopes: Vec<String> = event_type
            .visible_with()
            .iter()
            .map(|s| format!("`{s}`"))
            .collect();
        hooks.insert(
            event_type.as_str().to_owned(),
            json!({"post": {
                "tags": ["Partner events"],
                "operationId": format!("webhook_{}", event_type.as_str().replace('.', "_")),
                "summary": format!("Event {}", event_type.as_str()),
                // KIM calls the partner: no bearer token, the signature authenticates.
                "security": [],
                "description": format!(
                    "{}\n\nSent to subscriptions of tokens with {} for events of their organisation. \
                     Verify `webhook-signature` before trusting the body; fetch `data.url` with the token.",
                    describe(*event_type),
                    scopes.join(" or ")
                ),
                "parameters": [
                    {"name": "webhook-id", "in": "header", "required": true,
                     "description": "The event id; the same on every retry and redelivery",
                     "schema": {"type": "string", "example": format!("evt_{id}")}},
                    {"name": "webhook-timestamp", "in": "header", "required": true,
                     "description": "When this attempt was signed, Unix seconds; refuse one more than 5 minutes from your clock",
                     "schema": {"type": "string", "pattern": "^[0-9]+$", "example": "1796026500"}},
                    {"name": "webhook-signature", "in": "header", "required": true,
                     "description": "`v1,` and the base64 HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>` with the secret's bytes; the header may hold several, space-separated: one must match",
                     "schema": {"type": "string", "example": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="}},
                ],
                "requestBody": {"required": true, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/EventMessage"},
                    "example": {"id": format!("evt_{id}"), "type": event_type, "timestamp": "2026-11-30T08:15:00Z", "data": data},
                }}},
                "responses": {
                    "200": {"description": "Any 2xx within 10 seconds acknowledges the event"},
                    "default": {"description": "Anything else, a timeout or a closed connection: the event is retried with backoff for about a day"},
                },
            }}),
        );
    }
    Value::Object(hooks)
}

fn describe(event_type: EventType) -> &'static str {
    use EventType::*;
    match event_type {
        ReferralSent => "A case manager sent a referral to your organisation.",
        ReferralWithdrawn => "The case side withdrew a referral sent to your organisation.",
        ReferralUpdated => {
            "A referral sent to your organisation changed status on your side (accepted, declined, completed), by this or another of your systems."
        }
        ConsentRevoked => {
            "A client revoked a consent that named your organisation. `data` is the consent (which partners cannot read); `related` lists the referrals to your organisation it covered: re-read them, your token now sees less of them or nothing."
        }
        IntakeRequestAccepted => {
            "The CM coordination accepted an intake request of your organisation: a case is open."
        }
        IntakeRequestDeclined => {
            "The CM coordination declined an intake request of your organisation; the request holds the reason."
        }
        ResidenceRequestCreated => {
            "Case management asked your office a residence-law question."
        }
        ResidenceRequestWithdrawn => {
            "Case management withdrew a residence-law request to your office."
        }
    }
}
