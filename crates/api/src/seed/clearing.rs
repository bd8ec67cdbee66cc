//! Demo clearing records (Kompetenzerfassung) for the lead clients of the first demo cases:
//! languages, schooling, qualifications in every stage of recognition, work experience.

use kim_domain::clearing::{
    Clearing, Language, LanguageLevel as L, LicenceClass, Qualification, RecognitionStatus as R,
    SchoolingLevel as S, WorkExperience,
};
use kim_domain::Role;
use kim_store::audit::Actor;
use kim_store::cases::{self, CaseFilter, CaseSort};
use kim_store::clearing as store;
use kim_store::{users, DbConn, StoreError};

/// (languages, schooling years and level, qualifications, work experience, licence, childcare)
type Demo = (
    &'static [(&'static str, L)],
    Option<(i32, S)>,
    &'static [(&'static str, R)],
    &'static [(&'static str, i32)],
    Option<&'static [LicenceClass]>,
    Option<bool>,
);

const RECORDS: &[Demo] = &[
    (
        &[("ar", L::Native), ("de", L::A2)],
        Some((12, S::UpperSecondary)),
        &[("Pharmazeutisch-technische Assistentin", R::Started)],
        &[("Apotheke", 4)],
        None,
        Some(true),
    ),
    (
        &[("tr", L::Native), ("de", L::B1)],
        Some((8, S::LowerSecondary)),
        &[("Kfz-Mechatroniker", R::PartiallyRecognised)],
        &[("Kfz-Werkstatt", 11)],
        Some(&[LicenceClass::B, LicenceClass::C]),
        Some(false),
    ),
    (
        &[
            ("uk", L::Native),
            ("ru", L::C1),
            ("de", L::A2),
            ("en", L::B1),
        ],
        Some((16, S::Tertiary)),
        &[("Grundschullehrerin", R::Started)],
        &[("Schule", 9)],
        Some(&[LicenceClass::B]),
        Some(true),
    ),
    (
        &[("fa", L::Native), ("de", L::A1)],
        Some((6, S::Primary)),
        &[],
        &[("Landwirtschaft", 15)],
        Some(&[]),
        Some(false),
    ),
    (
        &[("ku", L::Native), ("tr", L::C1), ("de", L::A1)],
        Some((9, S::LowerSecondary)),
        &[("Schneiderin", R::NotStarted)],
        &[("Textil", 6)],
        None,
        Some(false),
    ),
    (
        &[("ti", L::Native), ("de", L::A2)],
        Some((4, S::Primary)),
        &[],
        &[],
        None,
        Some(true),
    ),
    (
        &[("pl", L::Native), ("de", L::B1)],
        Some((12, S::UpperSecondary)),
        &[("Elektroniker", R::Recognised)],
        &[("Elektroinstallation", 14)],
        Some(&[LicenceClass::B, LicenceClass::Be]),
        Some(false),
    ),
    (
        &[("ar", L::Native), ("de", L::A1)],
        Some((0, S::None)),
        &[],
        &[("Reinigung", 3)],
        None,
        Some(false),
    ),
    (
        &[("ps", L::Native), ("fa", L::C2), ("de", L::B1)],
        Some((11, S::LowerSecondary)),
        &[("Maler und Lackierer", R::NotStarted)],
        &[("Bau", 2)],
        None,
        Some(false),
    ),
    (
        &[("uk", L::Native), ("de", L::B2)],
        Some((15, S::Tertiary)),
        &[("Bauingenieurin", R::Recognised)],
        &[("Bauplanung", 12)],
        Some(&[LicenceClass::B]),
        Some(true),
    ),
    (
        &[("en", L::C1), ("tw", L::Native), ("de", L::B2)],
        Some((13, S::UpperSecondary)),
        &[("Krankenpfleger", R::Refused)],
        &[("Pflege", 7)],
        Some(&[LicenceClass::B]),
        Some(false),
    ),
    (
        &[("ku", L::Native), ("de", L::A2)],
        Some((10, S::LowerSecondary)),
        &[("Friseurin", R::Started)],
        &[("Friseursalon", 5)],
        None,
        Some(false),
    ),
];

/// Saves a clearing record for the lead client of each of the demo case manager's first cases
/// that has none; returns how many were made.
pub fn demo(conn: &mut DbConn) -> Result<usize, StoreError> {
    let Some(case_manager) = users::find_by_username(conn, "case_manager")? else {
        return Ok(0);
    };
    let page = kim_domain::paging::PageRequest {
        limit: i64::try_from(RECORDS.len()).unwrap_or(0),
        offset: 0,
    };
    let listed = cases::list(
        conn,
        kim_domain::access::CaseScope::Assigned(case_manager.id),
        &CaseFilter::default(),
        CaseSort::Id,
        false,
        page,
    )?;
    let actor = Actor::person(case_manager.id, Role::CaseManager);
    let mut created = 0;
    for (case, (languages, schooling, qualifications, work, licence, childcare)) in
        listed.items.iter().zip(RECORDS)
    {
        let client = case.data.lead_client_id;
        if store::find(conn, case.id, client)?.is_some() {
            continue;
        }
        let data = Clearing {
            languages: languages
                .iter()
                .map(|(language, level)| Language {
                    language: (*language).into(),
                    level: *level,
                })
                .collect(),
            schooling_years: schooling.map(|s| s.0),
            schooling_level: schooling.map(|s| s.1),
            vocational_qualifications: qualifications
                .iter()
                .map(|(title, recognition)| Qualification {
                    title: (*title).into(),
                    recognition: *recognition,
                })
                .collect(),
            work_experience: work
                .iter()
                .map(|(field, years)| WorkExperience {
                    field: (*field).into(),
                    years: *years,
                })
                .collect(),
            driving_licence: licence.map(|classes| !classes.is_empty()),
            driving_licence_classes: licence.map(<[_]>::to_vec).unwrap_or_default(),
            childcare_need: *childcare,
        };
        let data = data
            .check()
            .map_err(|e| StoreError::Corrupt(format!("demo clearing record: {e:?}")))?;
        store::save(conn, &actor, case.id, client, 0, &data)?;
        created += 1;
    }
    Ok(created)
}
