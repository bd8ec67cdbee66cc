//! Demo course catalogue of the concept's qualification phase (Qualifizierung: every new post
//! passes it between onboarding and active work, March to June 2021 for the first posts) and the
//! participations of that phase, for members of staff and for posts.

use chrono::NaiveDate;
use kim_domain::qualification::Participant;
use kim_domain::staffing::PositionFunction as F;
use kim_store::qualification::{self as store, CourseData, ParticipationData};
use kim_store::{positions, users, DbConn, StoreError};

struct Demo {
    title: &'static str,
    provider: &'static str,
    topic: &'static str,
    hours: i32,
    mandatory_for: &'static [F],
}

pub const CASE_MANAGEMENT_BASICS: &str = "Grundkurs Case Management";
pub const RESIDENCE_LAW: &str = "Aufenthalts- und Sozialrecht für die Beratung";
pub const INTERCULTURAL: &str = "Interkulturelle Kompetenz und Diversität";
pub const DATA_PROTECTION: &str = "Datenschutz in der Fallarbeit";
pub const WELL_INTEGRATED: &str = "Bleiberecht für gut Integrierte";
pub const STRATEGY: &str = "Strategisches Integrationsmanagement";
pub const MOTIVATIONAL: &str = "Motivierende Gesprächsführung";

const CASE_WORK: &[F] = &[
    F::CaseManagement,
    F::ThematicCaseManagement,
    F::CmCoordination,
];

const COURSES: &[Demo] = &[
    Demo {
        title: CASE_MANAGEMENT_BASICS,
        provider: "Deutsche Gesellschaft für Care und Case Management",
        topic: "Case Management",
        hours: 80,
        mandatory_for: CASE_WORK,
    },
    Demo {
        title: RESIDENCE_LAW,
        provider: "GGUA Flüchtlingshilfe",
        topic: "Aufenthaltsrecht",
        hours: 16,
        mandatory_for: CASE_WORK,
    },
    Demo {
        title: INTERCULTURAL,
        provider: "Kommunales Integrationszentrum Rhein-Sieg-Kreis",
        topic: "Interkulturelle Öffnung",
        hours: 16,
        mandatory_for: &[
            F::StrategicCoordination,
            F::CaseManagement,
            F::ThematicCaseManagement,
            F::CmCoordination,
        ],
    },
    Demo {
        title: DATA_PROTECTION,
        provider: "Datenschutzbeauftragte des Rhein-Sieg-Kreises",
        topic: "Datenschutz",
        hours: 4,
        mandatory_for: &[
            F::CaseManagement,
            F::ThematicCaseManagement,
            F::CmCoordination,
            F::ImmigrationOffice,
            F::NaturalisationOffice,
        ],
    },
    Demo {
        title: WELL_INTEGRATED,
        provider:
            "Ministerium für Kinder, Jugend, Familie, Gleichstellung, Flucht und Integration NRW",
        topic: "Aufenthaltssicherung (§§ 25a, 25b, 104c AufenthG)",
        hours: 8,
        mandatory_for: &[F::ImmigrationOffice, F::NaturalisationOffice],
    },
    Demo {
        title: STRATEGY,
        provider: "Landesweite Koordinierungsstelle Kommunale Integrationszentren",
        topic: "Steuerung",
        hours: 24,
        mandatory_for: &[F::StrategicCoordination, F::MunicipalStrategyPosition],
    },
    Demo {
        title: MOTIVATIONAL,
        provider: "Fortbildungsakademie Rhein-Sieg",
        topic: "Gesprächsführung",
        hours: 16,
        mandatory_for: &[],
    },
];

/// Who took which course in the qualification phase: (course, account or position title,
/// date, completed, certificate).
enum Who {
    Account(&'static str),
    Post(&'static str),
}

/// (course, participant, (year, month, day), completed, certificate)
type DemoParticipation = (&'static str, Who, (i32, u32, u32), bool, bool);

const PARTICIPATIONS: &[DemoParticipation] = &[
    (
        CASE_MANAGEMENT_BASICS,
        Who::Account("case_manager"),
        (2021, 3, 8),
        true,
        true,
    ),
    (
        RESIDENCE_LAW,
        Who::Account("case_manager"),
        (2021, 4, 12),
        true,
        true,
    ),
    (
        INTERCULTURAL,
        Who::Account("case_manager"),
        (2021, 5, 3),
        true,
        false,
    ),
    (
        CASE_MANAGEMENT_BASICS,
        Who::Account("cm_coordinator"),
        (2021, 3, 8),
        true,
        true,
    ),
    (
        RESIDENCE_LAW,
        Who::Account("cm_coordinator"),
        (2021, 4, 12),
        true,
        true,
    ),
    (
        DATA_PROTECTION,
        Who::Account("cm_coordinator"),
        (2021, 3, 22),
        true,
        true,
    ),
    (
        INTERCULTURAL,
        Who::Account("coordinator"),
        (2021, 5, 3),
        true,
        true,
    ),
    (
        STRATEGY,
        Who::Account("coordinator"),
        (2021, 4, 19),
        true,
        true,
    ),
    (
        WELL_INTEGRATED,
        Who::Account("immigration_officer"),
        (2021, 4, 26),
        true,
        true,
    ),
    (
        DATA_PROTECTION,
        Who::Account("immigration_officer"),
        (2021, 3, 22),
        true,
        false,
    ),
    (
        CASE_MANAGEMENT_BASICS,
        Who::Post("CM Troisdorf"),
        (2021, 3, 8),
        true,
        true,
    ),
    (
        INTERCULTURAL,
        Who::Post("CM Troisdorf"),
        (2021, 5, 3),
        true,
        true,
    ),
    (
        CASE_MANAGEMENT_BASICS,
        Who::Post("CM Bornheim/Alfter"),
        (2021, 3, 8),
        true,
        true,
    ),
    (
        RESIDENCE_LAW,
        Who::Post("CM Bornheim/Alfter"),
        (2021, 4, 12),
        false,
        false,
    ),
    (
        MOTIVATIONAL,
        Who::Post("CM Bornheim/Alfter"),
        (2021, 6, 14),
        true,
        true,
    ),
];

/// Adds the catalogue and its participations once; returns how many courses were created.
pub fn demo(conn: &mut DbConn) -> Result<usize, StoreError> {
    let mut created = 0;
    for demo in COURSES {
        if store::find_course_by_title(conn, demo.title)?.is_some() {
            continue;
        }
        store::insert_course(
            conn,
            &CourseData {
                title: demo.title.into(),
                provider: demo.provider.into(),
                topic: demo.topic.into(),
                hours: demo.hours,
                mandatory_for: demo.mandatory_for.to_vec(),
            },
        )?;
        created += 1;
    }
    if created == 0 {
        return Ok(0);
    }
    for (title, who, (y, m, d), completed, certificate) in PARTICIPATIONS {
        let Some(course) = store::find_course_by_title(conn, title)? else {
            continue;
        };
        let participant = match who {
            Who::Account(name) => {
                users::find_by_username(conn, name)?.map(|u| Participant::Account(u.id))
            }
            Who::Post(title) => {
                positions::find_by_title(conn, title)?.map(|p| Participant::Position(p.id))
            }
        };
        let (Some(participant), Some(attended_on)) =
            (participant, NaiveDate::from_ymd_opt(*y, *m, *d))
        else {
            continue;
        };
        store::insert_participation(
            conn,
            course.id,
            &ParticipationData {
                participant,
                attended_on,
                completed: *completed,
                certificate: *certificate,
            },
        )?;
    }
    Ok(created)
}
