//! The OpenAPI document: generated from the handlers' `#[utoipa::path]` attributes, served at
//! `/api-docs/openapi.json`, shown by Swagger UI at `/swagger-ui/`, and written to
//! `openapi/openapi.json` by `kim openapi` (a test fails when the committed file is stale).

use actix_web::App;
use utoipa::openapi::security::{
    Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityRequirement,
    SecurityScheme,
};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::{responses, FieldError, Problem};

mod contract;
pub mod partner;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "KIM API",
        description = "Backend of Kommunales Integrationsmanagement (KIM): counties in North Rhine-Westphalia \
coordinate integration work across legal domains.\n\n\
**Authentication.** People log in with `POST /api/v1/auth/login` (JSON) or with the OAuth2 \
password grant `POST /api/v1/auth/token` (form-encoded, RFC 6749 §4.3) and send the `access_token` as \
`Authorization: Bearer <token>`. In Swagger UI, *Authorize* offers both: `oauth2` logs in with a \
username and password, `bearer` takes a token you already have. Partner systems use a partner token \
issued by an administrator, sent the same way.\n\n\
**Conventions.** Errors are RFC 9457 problem details (`application/problem+json`). Lists take \
`limit` (1-200, default 50) and `offset` (0-1,000,000) and answer `{items, total, limit, offset, next}`. Every \
mutable object has a `version`, returned as `ETag`; `PUT` and `DELETE` require it as `If-Match` \
(428 without, 412 when stale; a list of entity tags is compared strongly, so `*` and weak tags never \
match). Every response carries `X-Request-Id`. Times are RFC 3339 UTC.\n\n\
**What this document states.** Every rule a single value must follow (type, format, length, range, \
pattern, enumeration) is in the schemas; a 422 for one of them names the field with `kind: schema`. \
Rules across fields or over stored state (an end before its start, a step the object's state does \
not allow with this input) are named in the operation's description and answer 422 with \
`kind: rule`; an id that names nothing you may see answers 422 with `kind: reference`. A method a \
path does not have answers 405 with `Allow`; `OPTIONS` lists the methods. A request body may be at \
most 64 KiB (`KIM_JSON_LIMIT_BYTES`); a larger one answers 413.",
        license(name = "EUPL-1.2", identifier = "EUPL-1.2"),
        contact(name = "KIM API team")
    ),
    servers((url = "/", description = "This server")),
    tags(
        (name = "Authentication", description = "Login for people; who am I for every caller"),
        (name = "Reference data", description = "Municipalities (Kommunen) and organisations (Akteure) of the county"),
        (name = "Users", description = "User accounts (Benutzerkonten); administrators only"),
        (name = "Access changes", description = "Vier-Augen-Prinzip: an account or partner token that would reach case data (a role that works or reads cases, or confirms such grants; referral scopes) is created, activated, moved or given a new password by an administrator only once the data protection officer or the KI lead confirms it. `POST /users`, `PUT /users/{id}` and `POST /partner-tokens` answer 202 with the access change in that case; removing access (deactivation, a role without case data) applies at once"),
        (name = "Partner tokens", description = "Credentials of partner systems (Jobcenter, Ausländerbehörde, Wohlfahrtsverbände); administrators only"),
        (name = "Positions", description = "Stellen of the three KIM modules, their staffing phases and history"),
        (name = "Qualification", description = "Qualifizierung: the course catalogue, participations of staff and positions, and what each position still owes"),
        (name = "Funding", description = "Förderung: rates by year and module, funding due per module and position"),
        (name = "Cooperation agreements", description = "Kooperationsvereinbarungen with municipalities and providers"),
        (name = "Roadmap", description = "Planung: workstreams and items for a Gantt chart, delayed items"),
        (name = "Distribution", description = "Case-management capacity per municipality against need"),
        (name = "Clients", description = "Klienten: people served, pseudonymous, minimal personal data"),
        (name = "Cases", description = "Fälle: case management across legal domains, intake rule, lifecycle"),
        (name = "Audit", description = "Protokoll: who accessed which personal data; data protection officer only"),
        (name = "Data protection", description = "Betroffenenrechte und Löschkonzept: the access export (Art. 15 GDPR), erasure by anonymisation (Art. 17), legal holds on cases, and the retention rules; data protection officer (legal holds also the CM coordination)"),
        (name = "Consents", description = "Einwilligungen / Schweigepflichtentbindungen of clients: which data may go to which organisation for which purpose"),
        (name = "Referrals", description = "Verweisberatung: referrals from a case to a partner organisation, answered by the partner's system"),
        (name = "Webhooks", description = "Subscriptions of partner tokens to their organisation's events, pushed as signed Standard Webhooks with retries; every delivery attempt recorded; administrators only"),
        (name = "Intake requests", description = "Zuweisungen: partner organisations (scope intake:write) or staff refer a person into case management with the person's consent to the transfer; the CM coordination accepts (a case is opened) or declines with a reason. The referrer reads the status of its own requests only"),
        (name = "Partner events", description = "What happened to the objects a partner organisation is party to, as thin events (type, id, time, the object's URL; no personal data): pushed by signed webhooks and listed by the event feed for systems that cannot receive pushes"),
        (name = "Help plan", description = "Hilfeplan: goals of a case with progress notes"),
        (name = "Contacts", description = "Kontakte: documented contacts with the clients of a case"),
        (name = "Residence-law requests", description = "Aufenthaltsrechtliche Anfragen from case management to the immigration or naturalisation office (module 3)"),
        (name = "Module 3 outcomes", description = "Ergebnisse Baustein 3: quarterly counts of the immigration and naturalisation offices (information events and attendance, counselling, naturalisations initiated and completed, residence secured for well-integrated people, Chancen-Aufenthaltsrecht procedures), entered by the office's staff; no persons"),
        (name = "Case conferences", description = "Fallkonferenzen, linked to a case or anonymised"),
        (name = "Offers", description = "Angebote of the county's organisations: topics, target groups, municipalities served or county-wide, eligibility, languages, access, capacity, period. Readable by every caller; written by the coordination and by partner systems (scope offers:write) for their own organisation"),
        (name = "Coverage", description = "Angebotsabdeckung: which target groups or topics lack any offer in which municipality (gaps) and where several organisations serve the same need (overlaps, Doppelstrukturen); as JSON or CSV"),
        (name = "Bodies", description = "Gremien: the steering group (Lenkungsgruppe), local and thematic project groups (Projektgruppen), working groups such as the Arbeitskreis Integration; their members with their functions, meetings (agenda, attendees, minutes) and decisions (Beschlüsse). The steering group's decisions on gaps are recorded by the gap steps in the meeting they name. Each body has a work list of the gaps waiting for it."),
        (name = "Public relations", description = "Öffentlichkeitsarbeit und Berichte an Gremien: press releases, events, web articles, committee reports, the mayors' conference and heads-of-office meetings, with the gaps and decisions whose publicity decision allowed them"),
        (name = "Programme documents", description = "Dokumente des Programms: the county-wide CM concept, templates, quality standards and the integration concept as versions (Fassungen). A version is drafted (`draft`), adopted by a decision (`adopted`) of a meeting of the steering group (`POST /programme-documents/{id}/adopt`), and superseded when the next version is adopted (`superseded`, in the same transaction). Only drafts are edited; the next version is drafted from the adopted one (`POST /programme-documents/{id}/versions`) and names the feedback it takes up. Case managers acknowledge adopted versions as read and applied (listed on `GET /me/tasks` until they do) and give feedback; the coordination records the feedback of bodies and, anonymously, of clients. A step the status does not allow answers 409 of type `document-status`"),
        (name = "Systematic gaps", description = "Systematische Lücken: problems seen in single cases become structural fixes. Case managers report a gap (or add a report to an existing one); each step of the process is its own `POST /gaps/{id}/<step>`, taken by one role. A wrong role answers 403, a step the current stage does not allow 409 naming the possible steps, missing input 422. Every step is kept in the gap's `history` with actor, time, comment and payload; `next_steps` of a gap tells a screen which buttons to show.\n\n\
| stage | who acts | step (operation) | next stage |\n\
|---|---|---|---|\n\
| `reported` | cm_coordinator | `escalate` (without `reason` only from N distinct reporting positions, default 2) | `escalated` |\n\
| `reported` | cm_coordinator | `close-not-systematic` (`reason`) | `not_systematic` (final) |\n\
| `reported`, `escalated` | cm_coordinator | `merge` (`merge_into`; reports move to the survivor) | `merged` (final) |\n\
| `escalated` | ki_lead | `forward` | `with_steering_group` |\n\
| `with_steering_group` | steering_member (a member of the steering group) | `mandate` (`meeting_id`, `project_group_ids`, `mandate`, `due_on`) | `mandated` |\n\
| `with_steering_group` | steering_member (a member of the steering group) | `reject` (`meeting_id`, `reason`) | `rejected` (final) |\n\
| `mandated` | project_group_member of a mandated group | `solutions` (text, responsible actors, estimate each) | `solutions_proposed` |\n\
| `solutions_proposed` | steering_member (a member of the steering group) | `decide` (`meeting_id`, `accepted_solution_ids`, `publicity`) | `solutions_decided` |\n\
| `solutions_proposed` | steering_member (a member of the steering group) | `send-back` (`meeting_id`, `reason`) | `mandated` |\n\
| `solutions_decided` | cm_coordinator | `communicate` | `communicated` |\n\
| `communicated`, `in_application` | case_manager | `acknowledge` (once each) | `in_application` |\n\
| `in_application` | case_manager | `feedback` (`rating`, `text`) | `in_application` |\n\
| `in_application` | cm_coordinator | `close` (`outcome`) | `closed` (final) |\n\
| `in_application` | cm_coordinator | `reopen` (`reason`; after negative feedback) | `with_steering_group` |\n\n\
The steering group's steps name the steering-group meeting (`meeting_id`) in which they were taken; the decision is recorded there in the same transaction. Evidence linked to cases shows to everyone but the reporter as a count only. Work lists: `GET /me/tasks` (the steps waiting for the caller's role), `GET /bodies/{id}/worklist`, `GET /me/solutions` (case managers)."),
        (name = "Needs survey", description = "Bedarfsabfrage: standardized questionnaires to the municipalities and the Freie Wohlfahrt. \
Lifecycle: the coordination designs a questionnaire (version 1 is a draft, edited as a whole); a campaign puts a version to \
respondents (municipalities, organisations) for a period and freezes the version (changes then go into a new version, \
`POST /questionnaires/{id}/versions`). The campaign moves `draft` → `open` → `closed` (and `closed` → `open` to extend). \
While it is open and within its period, each respondent (the named person, or a partner token of the organisation with \
scope `surveys:write`; the coordination may enter answers on its behalf) saves a draft and submits; submission checks \
every answer (422 per question as `answers.<key>`). Only the coordination reopens a submission, with a reason kept in the \
history. Results, status, reminders and the need score per municipality (which feeds `GET /distribution`) are for the \
coordination and the KI lead."),
        (name = "Operations", description = "Health checks"),
        (name = "Clearing", description = "Kompetenzerfassung: per client of a case, languages with CEFR level, schooling, vocational qualifications with the state of their recognition procedure, work experience, driving licence and childcare need; every field optional. Case data: the case's case managers write it, the CM coordination reads it, every access is audited"),
        (name = "External contributors", description = "Externe Mitwirkung: organisations that are members of a project group (welfare organisations, migrant self-organisations, volunteer initiatives; `POST /bodies` takes `organisation_id` members) read, through their own systems, the gaps their group is mandated with (partner tokens with scope `gaps:contribute`; no reports, so no case links and no reporters) and send proposed solutions and feedback. A contribution does not move the gap: the group's people read them at `GET /gaps/{id}/contributions` and take the `solutions` step"),
        (name = "Intake rules", description = "Aufnahmekriterien: the county's default intake rule (seeded from `KIM_INTAKE_MAX_YEARS_SINCE_ARRIVAL` and `KIM_INTAKE_EXCLUDE_OTHER_CASE_MANAGEMENT` on the first start) and local rules agreed per municipality and per municipality and target group (örtliche Schwerpunkte), maintained by the CM coordination. A case is judged by the most specific rule covering it when it is opened"),
        (name = "Social areas", description = "Sozialräume: named areas covering whole municipalities or named parts of them (a place in one area at most), with the positions serving each. They supersede the free-text `social_area` of a municipality. Read by every caller; written by the KI lead and the coordination"),
    ),
    components(
        schemas(Problem, FieldError),
        responses(
            responses::BadRequest,
            responses::Unauthorized,
            responses::Forbidden,
            responses::NotFound,
            responses::Conflict,
            responses::PreconditionFailed,
            responses::PayloadTooLarge,
            responses::UnsupportedMediaType,
            responses::Unprocessable,
            responses::PreconditionRequired,
            responses::TooManyRequests,
            responses::Unavailable,
        )
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT or partner token")
                    .description(Some(
                        "A person's access token from POST /api/v1/auth/login, or a partner token (kimp_…)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            OAUTH2,
            SecurityScheme::OAuth2(OAuth2::with_description(
                [Flow::Password(Password::new(
                    "/api/v1/auth/token",
                    Scopes::new(),
                ))],
                "Log in with a username and password (OAuth2 password grant, POST /api/v1/auth/token); \
                 the token is sent as `Authorization: Bearer`, the same as the bearer scheme's",
            )),
        );
    }
}

/// The name of the OAuth2 password scheme in the document.
const OAUTH2: &str = "oauth2";

/// Every operation that accepts a bearer token also accepts the token from the OAuth2 password
/// flow (it is the same token), so Swagger UI sends it once an analyst has logged in there.
fn offer_oauth2_beside_bearer(api: &mut utoipa::openapi::OpenApi) {
    let bearer = SecurityRequirement::new("bearer", Vec::<String>::new());
    let oauth2 = SecurityRequirement::new(OAUTH2, Vec::<String>::new());
    for item in api.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            if let Some(security) = operation.security.as_mut() {
                if security.contains(&bearer) && !security.contains(&oauth2) {
                    security.push(oauth2.clone());
                }
            }
        }
    }
}

/// The whole document, as the server serves it.
pub fn document() -> serde_json::Value {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::server::routes)
        .split_for_parts();
    let mut api = api;
    offer_oauth2_beside_bearer(&mut api);
    // The typed document serialises infallibly (maps with string keys only).
    let mut document = serde_json::to_value(&api).unwrap_or_default();
    contract::apply(&mut document);
    crate::routes::reports::document_dimensions(&mut document);
    document
}

/// The document as committed in `openapi/openapi.json`.
pub fn document_json() -> Result<String, serde_json::Error> {
    pretty(&document())
}

/// The partner document as committed in `openapi/partner.json`.
pub fn partner_document_json() -> Result<String, serde_json::Error> {
    pretty(&partner::document(&document()))
}

fn pretty(document: &serde_json::Value) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(document).map(|mut s| {
        s.push('\n');
        s
    })
}
