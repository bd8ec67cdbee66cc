//! A clearing (Clearing) as the API shows it.

use chrono::{DateTime, Utc};
use kim_domain::clearing::{
    self as rules, LanguageLevel, LicenceClass, RecognitionStatus, SchoolingLevel,
};
use kim_store::clearing::ClearingRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Kompetenzerfassung (clearing record) of one client in a case. `version` 0 (and no times)
/// means nothing was recorded yet.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "case_id": 12, "client_id": 40,
    "languages": [{"language": "ar", "level": "native"}, {"language": "de", "level": "b1"}],
    "schooling_years": 12, "schooling_level": "upper_secondary",
    "vocational_qualifications": [{"title": "Elektroniker/in", "recognition": "started"}],
    "work_experience": [{"field": "Elektroinstallation", "years": 6}],
    "driving_licence": true, "driving_licence_classes": ["B"], "childcare_need": false,
    "version": 2, "created_at": "2026-11-02T09:00:00Z", "updated_at": "2026-11-20T09:00:00Z"
}))]
pub struct ClearingView {
    pub case_id: i64,
    pub client_id: i64,
    pub languages: Vec<LanguageEntry>,
    pub schooling_years: Option<i32>,
    pub schooling_level: Option<SchoolingLevel>,
    pub vocational_qualifications: Vec<QualificationEntry>,
    pub work_experience: Vec<WorkExperienceEntry>,
    pub driving_licence: Option<bool>,
    pub driving_licence_classes: Vec<LicenceClass>,
    pub childcare_need: Option<bool>,
    /// 0 until the first save.
    pub version: i32,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl ClearingView {
    pub(crate) fn empty(case_id: i64, client_id: i64) -> ClearingView {
        ClearingView::of(case_id, client_id, rules::Clearing::default(), 0, None)
    }

    fn of(
        case_id: i64,
        client_id: i64,
        data: rules::Clearing,
        version: i32,
        times: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> ClearingView {
        ClearingView {
            case_id,
            client_id,
            languages: data
                .languages
                .into_iter()
                .map(|l| LanguageEntry {
                    language: l.language,
                    level: l.level,
                })
                .collect(),
            schooling_years: data.schooling_years,
            schooling_level: data.schooling_level,
            vocational_qualifications: data
                .vocational_qualifications
                .into_iter()
                .map(|q| QualificationEntry {
                    title: q.title,
                    recognition: q.recognition,
                })
                .collect(),
            work_experience: data
                .work_experience
                .into_iter()
                .map(|w| WorkExperienceEntry {
                    field: w.field,
                    years: w.years,
                })
                .collect(),
            driving_licence: data.driving_licence,
            driving_licence_classes: data.driving_licence_classes,
            childcare_need: data.childcare_need,
            version,
            created_at: times.map(|t| t.0),
            updated_at: times.map(|t| t.1),
        }
    }
}

impl From<ClearingRecord> for ClearingView {
    fn from(r: ClearingRecord) -> Self {
        ClearingView::of(
            r.case_id,
            r.client_id,
            r.data,
            r.version,
            Some((r.created_at, r.updated_at)),
        )
    }
}

/// A language the client speaks.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LanguageEntry {
    /// ISO 639-1 or 639-3 code, lower case (`de`, `ar`, `prs`); each language once (422 `rule`).
    /// `und` after an erasure.
    #[schema(
        pattern = "^[a-z]{2,3}$",
        min_length = 2,
        max_length = 3,
        example = "de"
    )]
    pub language: String,
    pub level: LanguageLevel,
}

/// A vocational qualification (Berufsabschluss) and its recognition procedure
/// (Anerkennungsverfahren).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QualificationEntry {
    /// The occupation, 1 to 200 characters, not blank.
    #[schema(
        pattern = "\\S",
        min_length = 1,
        max_length = 200,
        example = "Elektroniker/in"
    )]
    pub title: String,
    pub recognition: RecognitionStatus,
}

/// Work experience (Berufserfahrung) in one field.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkExperienceEntry {
    /// The field of work, 1 to 200 characters, not blank.
    #[schema(
        pattern = "\\S",
        min_length = 1,
        max_length = 200,
        example = "Elektroinstallation"
    )]
    pub field: String,
    /// 0 to 60.
    #[schema(minimum = 0, maximum = 60, example = 6)]
    pub years: i32,
}
