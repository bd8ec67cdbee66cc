//! Kompetenzerfassung (clearing record) of one client in a case: languages with level,
//! schooling, vocational qualifications and their recognition, work experience, driving
//! licence, childcare need. Case data: the case's access rules apply and every read and write
//! is audited.

use actix_web::{get, put, web, HttpResponse};
use kim_domain::access::Access;
use kim_domain::audit::{AuditObject, AuditVerb};
use kim_domain::clearing::{self as rules, LicenceClass, SchoolingLevel};
use kim_store::clearing as store;
use kim_store::DbConn;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::{Authenticated, Caller};
use crate::case_access::{audit_client, case_for};
use crate::case_access::{require_case_role, writable_case};
use crate::error::error_sets as sets;
use crate::http::body::Json;
use crate::http::precondition::{ok_versioned, IfMatch};
use crate::routes::RouteTable;
use crate::server::AppState;
use crate::views::clearing::{
    ClearingView, LanguageEntry, QualificationEntry, WorkExperienceEntry,
};
use crate::ApiError;

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(get_clearing).service(save_clearing);
}

/// The content of a clearing record. Every field is optional: record only what the planning
/// needs. A list has at most 10 entries.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "languages": [{"language": "ar", "level": "native"}, {"language": "de", "level": "b1"}],
    "schooling_years": 12, "schooling_level": "upper_secondary",
    "vocational_qualifications": [{"title": "Elektroniker/in", "recognition": "started"}],
    "work_experience": [{"field": "Elektroinstallation", "years": 6}],
    "driving_licence": true, "driving_licence_classes": ["B"], "childcare_need": false
}))]
pub struct ClearingInput {
    /// Languages with CEFR level or `native`; default none.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub languages: Vec<LanguageEntry>,
    /// Years of schooling, 0 to 30.
    #[schema(minimum = 0, maximum = 30)]
    pub schooling_years: Option<i32>,
    pub schooling_level: Option<SchoolingLevel>,
    /// Default none.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub vocational_qualifications: Vec<QualificationEntry>,
    /// Default none.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub work_experience: Vec<WorkExperienceEntry>,
    pub driving_licence: Option<bool>,
    /// Classes held; only with `driving_licence: true` (422 `rule`). Default none.
    #[serde(default)]
    #[schema(max_items = 16)]
    pub driving_licence_classes: Vec<LicenceClass>,
    /// Whether childcare is needed to take up a course or work.
    pub childcare_need: Option<bool>,
}

impl ClearingInput {
    fn checked(self) -> Result<rules::Clearing, ApiError> {
        rules::Clearing {
            languages: self
                .languages
                .into_iter()
                .map(|l| rules::Language {
                    language: l.language,
                    level: l.level,
                })
                .collect(),
            schooling_years: self.schooling_years,
            schooling_level: self.schooling_level,
            vocational_qualifications: self
                .vocational_qualifications
                .into_iter()
                .map(|q| rules::Qualification {
                    title: q.title,
                    recognition: q.recognition,
                })
                .collect(),
            work_experience: self
                .work_experience
                .into_iter()
                .map(|w| rules::WorkExperience {
                    field: w.field,
                    years: w.years,
                })
                .collect(),
            driving_licence: self.driving_licence,
            driving_licence_classes: self.driving_licence_classes,
            childcare_need: self.childcare_need,
        }
        .check()
        .map_err(|errors| ApiError::Validation(errors.into_iter().map(Into::into).collect()))
    }
}

type RecordPath = web::Path<(i64, i64)>;

/// The client must be one of the case's clients; otherwise 404, as for an invisible case.
fn require_client_of(conn: &mut DbConn, case_id: i64, client_id: i64) -> Result<(), ApiError> {
    if store::is_client_of(conn, case_id, client_id)? {
        Ok(())
    } else {
        Err(ApiError::NotFound)
    }
}

fn record_audit(
    conn: &mut DbConn,
    who: &Authenticated,
    verb: AuditVerb,
    record_id: Option<i64>,
    client_id: i64,
) -> Result<(), ApiError> {
    audit_client(
        conn,
        who,
        AuditObject::ClearingRecord,
        verb,
        record_id,
        Some(client_id),
    )
}

/// Get the clearing record of a client in a case
///
/// Kompetenzerfassung: what the client brings along. When nothing was recorded yet the answer
/// is an empty record with `version` 0 (ETag `"0"`), which a first `PUT` sends as `If-Match`.
/// Reading writes an audit event (`clearing_record.read`); a refused read is recorded as
/// `clearing_record.read_denied` naming the case id.
///
/// **Who may call:** `case_manager` (cases they are assigned to or deputise), `cm_coordinator`
/// (read). Other roles 403; a case the caller may not see, or a client not in the case, 404.
#[utoipa::path(tag = "Clearing", params(
    ("case_id" = i64, Path, description = "Case id"),
    ("client_id" = i64, Path, description = "Client id (a client of the case)")), responses(
    (status = 200, description = "The clearing record", body = ClearingView, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/cases/{case_id}/clients/{client_id}/clearing")]
pub async fn get_clearing(
    caller: Caller,
    state: web::Data<AppState>,
    path: RecordPath,
) -> Result<HttpResponse, ApiError> {
    let (case_id, client_id) = path.into_inner();
    let view = state
        .db
        .write_with_denied(
            caller,
            (AuditObject::ClearingRecord, case_id),
            move |conn, who| {
                require_case_role(who)?;
                case_for(conn, who, case_id, Access::Read)?;
                require_client_of(conn, case_id, client_id)?;
                let record = store::find(conn, case_id, client_id)?;
                record_audit(
                    conn,
                    who,
                    AuditVerb::Read,
                    record.as_ref().map(|r| r.id),
                    client_id,
                )?;
                Ok::<_, ApiError>(record.map_or_else(
                    || ClearingView::empty(case_id, client_id),
                    ClearingView::from,
                ))
            },
        )
        .await?;
    let version = view.version;
    Ok(ok_versioned(&view, version))
}

/// Save the clearing record of a client in a case
///
/// Replaces the whole record (a field left out is emptied). Requires `If-Match`: `"0"` for the
/// first save, then the ETag of the version edited (412 when stale). Besides the schema: each
/// language once, and licence classes only with `driving_licence: true` (422 `rule`). Writes an
/// audit event (`clearing_record.create` or `.update`).
///
/// **Who may call:** `case_manager` of the case (assigned or deputy). `cm_coordinator` 403;
/// other roles 403; a case the caller may not see, or a client not in the case, 404.
#[utoipa::path(tag = "Clearing", request_body = ClearingInput, params(
    ("case_id" = i64, Path, description = "Case id"),
    ("client_id" = i64, Path, description = "Client id (a client of the case)"),
    ("If-Match" = String, Header, description = "ETag of the version you edited; \"0\" for the first save")),
    responses(
    (status = 200, description = "The saved record", body = ClearingView, headers(("ETag" = String))),
    sets::ReplaceErrors,
), security(("bearer" = [])))]
#[put("/cases/{case_id}/clients/{client_id}/clearing")]
pub async fn save_clearing(
    caller: Caller,
    state: web::Data<AppState>,
    path: RecordPath,
    if_match: IfMatch,
    body: Json<ClearingInput>,
) -> Result<HttpResponse, ApiError> {
    let (case_id, client_id) = path.into_inner();
    let input = body.into_inner();
    let saved = state
        .db
        .write_with(caller, move |conn, who| {
            require_case_role(who)?;
            writable_case(conn, who, case_id)?;
            require_client_of(conn, case_id, client_id)?;
            let expected = if_match.version()?;
            let data = input.checked()?;
            let record = store::save(conn, &who.actor(), case_id, client_id, expected, &data)?;
            let verb = if record.version == 1 {
                AuditVerb::Create
            } else {
                AuditVerb::Update
            };
            record_audit(conn, who, verb, Some(record.id), client_id)?;
            Ok::<_, ApiError>(record)
        })
        .await?;
    let version = saved.version;
    Ok(ok_versioned(&ClearingView::from(saved), version))
}
