//! Documented contacts with the clients of a case: date, kind, duration, participants, note.

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{get, post, put, web, HttpResponse};
use chrono::{NaiveDate, Utc};
use kim_domain::access::Access;
use kim_domain::audit::{AuditObject, AuditVerb};
use kim_domain::help_plan::{check_duration, ContactKind};
use kim_store::contacts::{self as store, ContactData};
use kim_store::DbConn;
use serde::Deserialize;
use utoipa::ToSchema;
use validator::Validate;

use super::trimmed;
use crate::auth::{Authenticated, Caller};
use crate::case_access::{audit_client, case_ref_for, list_of_case};
use crate::case_access::{require_case_role, writable_case_ref};
use crate::error::error_sets as sets;
use crate::error::{invalid_fields, FieldError};
use crate::http::paging::slice;
use crate::http::paging::PageParams;
use crate::http::precondition::{created_versioned, ok_versioned, IfMatch};
use crate::server::AppState;
use crate::views::contact::Contact;
use crate::{page_type, ApiError};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_contacts)
        .service(create_contact)
        .service(get_contact)
        .service(update_contact);
}

page_type!(ContactPage, Contact);

/// A contact to document, or its corrected state (PUT replaces every field).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"occurred_on": "2026-11-20", "kind": "home_visit", "duration_minutes": 60,
    "participants": ["client", "interpreter"], "note": "Discussed the language course"}))]
pub struct ContactInput {
    /// The day of the contact; not in the future.
    pub occurred_on: NaiveDate,
    pub kind: ContactKind,
    /// 1 to 1440.
    #[schema(minimum = 1, maximum = 1440, example = 45)]
    pub duration_minutes: i32,
    /// Who took part besides the case manager (roles or names), at most 20 of at most 200
    /// characters each.
    #[serde(default)]
    #[validate(length(max = 20, message = "at most 20 participants"))]
    #[schema(max_items = 20, value_type = Vec<ParticipantName>)]
    pub participants: Vec<String>,
    /// A short note, at most 2000 characters.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

impl ContactInput {
    fn into_data(self, today: NaiveDate) -> Result<ContactData, ApiError> {
        let mut errors: Vec<FieldError> = invalid_fields(&self);
        if let Err(message) = check_duration(self.duration_minutes) {
            errors.push(FieldError::new("duration_minutes", message));
        }
        if self.occurred_on > today {
            errors.push(FieldError::rule("occurred_on", "must not be in the future"));
        }
        let mut participants = Vec::new();
        for (index, p) in self.participants.iter().enumerate() {
            let too_long = p.chars().count() > 200;
            let p = kim_domain::text::trim(p);
            if p.is_empty() || too_long {
                errors.push(FieldError::new(
                    format!("participants[{index}]"),
                    "must be 1 to 200 characters",
                ));
            } else {
                participants.push(p.to_owned());
            }
        }
        if !errors.is_empty() {
            errors.sort_by(|a, b| a.field.cmp(&b.field));
            return Err(ApiError::Validation(errors));
        }
        Ok(ContactData {
            occurred_on: self.occurred_on,
            kind: self.kind,
            duration_minutes: self.duration_minutes,
            participants,
            note: trimmed(self.note),
        })
    }
}

const CASE_ID: &str = "Case id";

/// List the contacts of a case
///
/// Newest first. Reading writes an audit event.
///
/// **Who may call:** `case_manager` (cases they are assigned to or deputise), `cm_coordinator`
/// (read). Other roles 403; a case the caller may not see 404.
#[utoipa::path(tag = "Contacts", params(("id" = i64, Path, description = CASE_ID), PageParams), responses(
    (status = 200, description = "The contacts of the case", body = ContactPage),
    (status = 404, response = crate::error::responses::NotFound),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/cases/{id}/contacts")]
pub async fn list_contacts(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    paging: web::Query<PageParams>,
) -> Result<web::Json<ContactPage>, ApiError> {
    let page = paging.page()?;
    let case_id = id.into_inner();
    let all = state
        .db
        .write_with_denied(caller, (AuditObject::Case, case_id), move |conn, who| {
            list_of_case(conn, who, case_id, AuditObject::Contact, store::of_case)
        })
        .await?;
    Ok(web::Json(ContactPage::new(slice(all, page), page)))
}

/// Document a contact
///
/// **Who may call:** `case_manager` of the case (assigned or deputy). `cm_coordinator` and other
/// roles 403; a case the caller may not see 404.
#[utoipa::path(tag = "Contacts", params(("id" = i64, Path, description = CASE_ID)), request_body = ContactInput, responses(
    (status = 201, description = "Created", body = Contact, headers(("ETag" = String), ("Location" = String))),
    (status = 404, response = crate::error::responses::NotFound),
    sets::CreateErrors,
), security(("bearer" = [])))]
#[post("/cases/{id}/contacts")]
pub async fn create_contact(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<ContactInput>,
) -> Result<HttpResponse, ApiError> {
    let case_id = id.into_inner();
    let input = body.into_inner();
    let today = Utc::now().date_naive();
    let created = state
        .db
        .write_with(caller, move |conn, who| {
            require_case_role(who)?;
            let case = writable_case_ref(conn, who, case_id)?;
            let data = input.into_data(today)?;
            let contact = store::insert(conn, &who.actor(), case_id, &data)?;
            audit_contact(
                conn,
                who,
                AuditVerb::Create,
                contact.id,
                case.lead_client_id,
            )?;
            Ok::<_, ApiError>(contact)
        })
        .await?;
    let (id, version) = (created.id, created.version);
    Ok(created_versioned(
        &Contact::from(created),
        version,
        format!("/api/v1/contacts/{id}"),
    ))
}

/// The lead client of the contact's case, if the caller may read (or write) the contact.
fn contact_case_lead(
    conn: &mut DbConn,
    who: &Authenticated,
    id: i64,
    write: bool,
) -> Result<i64, ApiError> {
    let case_id = store::case_of(conn, id)?;
    let case = if write {
        writable_case_ref(conn, who, case_id)?
    } else {
        case_ref_for(conn, who, case_id, Access::Read)?
    };
    Ok(case.lead_client_id)
}

/// Get a contact
///
/// **Who may call:** `case_manager` of the contact's case, `cm_coordinator`. Anyone else 404.
#[utoipa::path(tag = "Contacts", params(("id" = i64, Path, description = "Contact id")), responses(
    (status = 200, description = "The contact", body = Contact, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/contacts/{id}")]
pub async fn get_contact(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let contact = state
        .db
        .write_with_denied(caller, (AuditObject::Contact, id), move |conn, who| {
            let lead = contact_case_lead(conn, who, id, false)?;
            let contact = store::find(conn, id)?;
            audit_contact(conn, who, AuditVerb::Read, id, lead)?;
            Ok::<_, ApiError>(contact)
        })
        .await?;
    let version = contact.version;
    Ok(ok_versioned(&Contact::from(contact), version))
}

/// Correct a contact
///
/// Replaces every field. Requires `If-Match`.
///
/// **Who may call:** `case_manager` of the contact's case. `cm_coordinator` 403; anyone else 404.
#[utoipa::path(tag = "Contacts", request_body = ContactInput,
    params(("id" = i64, Path, description = "Contact id"), ("If-Match" = String, Header, description = "ETag of the version you edited")),
    responses(
    (status = 200, description = "The contact", body = Contact, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/contacts/{id}")]
pub async fn update_contact(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<ContactInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    let today = Utc::now().date_naive();
    let updated = state
        .db
        .write_with(caller, move |conn, who| {
            let lead = contact_case_lead(conn, who, id, true)?;
            let expected = if_match.version()?;
            let data = input.into_data(today)?;
            let contact = store::update(conn, id, expected, &data)?;
            audit_contact(conn, who, AuditVerb::Update, id, lead)?;
            Ok::<_, ApiError>(contact)
        })
        .await?;
    let version = updated.version;
    Ok(ok_versioned(&Contact::from(updated), version))
}

/// A participant of a contact as the document states it: 1 to 200 characters, not blank.
pub struct ParticipantName;

impl utoipa::PartialSchema for ParticipantName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(1))
            .max_length(Some(200))
            .pattern(Some("\\S"))
            .description(Some(
                "A participant (a role or a name), 1 to 200 characters",
            ))
            .into()
    }
}

impl utoipa::ToSchema for ParticipantName {}

/// The trail event of what `who` did with a contact: contacts are about their case's lead client.
fn audit_contact(
    conn: &mut DbConn,
    who: &Authenticated,
    verb: AuditVerb,
    contact_id: i64,
    lead_client_id: i64,
) -> Result<(), ApiError> {
    audit_client(
        conn,
        who,
        AuditObject::Contact,
        verb,
        Some(contact_id),
        Some(lead_client_id),
    )
}
