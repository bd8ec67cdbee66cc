//! Demo positions of the concept (module 1: coordination and assistance, Troisdorf's strategy
//! position; module 2: eleven case-management positions; module 3: immigration and
//! naturalisation office) in varied staffing phases, and the funding rates.
//!
//! Every position is staffed throughout 2021, so the 2021 funding equals the concept's plan
//! (955,000 EUR); the changes since then (a vacancy, a new recruitment) show in later years.

use chrono::NaiveDate;
use kim_domain::funding::concept_rates;
use kim_domain::reference::RhineSide;
use kim_domain::staffing::{Fte, PositionFunction as F, StaffingPhase as P};
use kim_store::audit::Actor;
use kim_store::positions::{self, PositionData, Share};
use kim_store::{funding_rates, municipalities, organisations, users, DbConn, StoreError};

const LANGUAGE_SUPPORT: &str =
    "Frühkindliche Sprachförderung: mehrsprachige Kita-Kinder mit Sprachentwicklungsstörungen und ihre Eltern";

struct Demo {
    title: &'static str,
    function: F,
    fte: i64,
    employer: &'static str,
    side: Option<RhineSide>,
    /// (municipality, FTE hundredths)
    serves: &'static [(&'static str, i64)],
    focus: Option<&'static str>,
    holder: Option<&'static str>,
    /// Phase changes after `planned`, with their dates.
    path: &'static [(P, (i32, u32, u32))],
}

/// The usual path: planned mid-2020, staffed from December 2020, active from June 2021.
const STAFFED_2021: &[(P, (i32, u32, u32))] = &[
    (P::Recruiting, (2020, 8, 1)),
    (P::Onboarding, (2020, 12, 1)),
    (P::Qualification, (2021, 3, 1)),
    (P::Active, (2021, 6, 1)),
];

const KI: &str = super::KI;

const POSITIONS: &[Demo] = &[
    Demo {
        title: "Koordination linksrheinisch",
        function: F::StrategicCoordination,
        fte: 150,
        employer: KI,
        side: Some(RhineSide::Left),
        serves: &[],
        focus: None,
        holder: None,
        path: STAFFED_2021,
    },
    Demo {
        title: "Koordination rechtsrheinisch",
        function: F::StrategicCoordination,
        fte: 200,
        employer: KI,
        side: Some(RhineSide::Right),
        serves: &[],
        focus: None,
        holder: Some("coordinator"),
        path: STAFFED_2021,
    },
    Demo {
        title: "Verwaltungsassistenz KIM",
        function: F::AdministrativeAssistance,
        fte: 50,
        employer: KI,
        side: None,
        serves: &[],
        focus: None,
        holder: None,
        path: STAFFED_2021,
    },
    Demo {
        title: "Strategiestelle Troisdorf",
        function: F::MunicipalStrategyPosition,
        fte: 100,
        employer: "Stadt Troisdorf",
        side: Some(RhineSide::Right),
        serves: &[("Troisdorf", 100)],
        focus: None,
        holder: None,
        path: STAFFED_2021,
    },
    Demo {
        title: "CM-Koordination KI",
        function: F::CmCoordination,
        fte: 100,
        employer: KI,
        side: None,
        serves: &[],
        focus: None,
        holder: Some("cm_coordinator"),
        path: STAFFED_2021,
    },
    Demo {
        title: "Thematisches CM Sprachförderung 1",
        function: F::ThematicCaseManagement,
        fte: 100,
        employer: KI,
        side: None,
        serves: &[],
        focus: Some(LANGUAGE_SUPPORT),
        holder: None,
        path: STAFFED_2021,
    },
    Demo {
        title: "Thematisches CM Sprachförderung 2",
        function: F::ThematicCaseManagement,
        fte: 100,
        employer: KI,
        side: None,
        serves: &[],
        focus: Some(LANGUAGE_SUPPORT),
        holder: None,
        path: &[
            (P::Recruiting, (2020, 8, 1)),
            (P::Onboarding, (2020, 12, 1)),
            (P::Qualification, (2021, 3, 1)),
            (P::Active, (2021, 6, 1)),
            (P::Vacant, (2023, 9, 1)),
        ],
    },
    Demo {
        title: "CM Bornheim/Alfter",
        function: F::CaseManagement,
        fte: 100,
        employer: KI,
        side: Some(RhineSide::Left),
        serves: &[("Bornheim", 60), ("Alfter", 40)],
        focus: None,
        holder: None,
        path: STAFFED_2021,
    },
    Demo {
        title: "CM Meckenheim/Rheinbach",
        function: F::CaseManagement,
        fte: 100,
        employer: KI,
        side: Some(RhineSide::Left),
        serves: &[("Meckenheim", 50), ("Rheinbach", 50)],
        focus: None,
        holder: None,
        path: STAFFED_2021,
    },
    Demo {
        title: "CM Swisttal/Wachtberg",
        function: F::CaseManagement,
        fte: 100,
        employer: KI,
        side: Some(RhineSide::Left),
        serves: &[("Swisttal", 50), ("Wachtberg", 50)],
        focus: None,
        holder: None,
        path: STAFFED_2021,
    },
    Demo {
        title: "CM Siegburg",
        function: F::CaseManagement,
        fte: 100,
        employer: KI,
        side: Some(RhineSide::Right),
        serves: &[("Siegburg", 100)],
        focus: None,
        holder: Some("case_manager"),
        path: STAFFED_2021,
    },
    Demo {
        title: "CM Sankt Augustin",
        function: F::CaseManagement,
        fte: 100,
        employer: KI,
        side: Some(RhineSide::Right),
        serves: &[("Sankt Augustin", 100)],
        focus: None,
        holder: None,
        path: &[
            (P::Recruiting, (2020, 8, 1)),
            (P::Onboarding, (2020, 12, 1)),
            (P::Qualification, (2021, 3, 1)),
            (P::Active, (2021, 6, 1)),
            (P::Vacant, (2022, 4, 1)),
            (P::Recruiting, (2022, 5, 1)),
        ],
    },
    Demo {
        title: "CM Hennef/Eitorf/Windeck",
        function: F::CaseManagement,
        fte: 100,
        employer: KI,
        side: Some(RhineSide::Right),
        serves: &[("Hennef (Sieg)", 50), ("Eitorf", 25), ("Windeck", 25)],
        focus: None,
        holder: None,
        path: &[
            (P::Recruiting, (2020, 8, 1)),
            (P::Onboarding, (2020, 12, 1)),
            (P::Qualification, (2021, 3, 1)),
            (P::Active, (2021, 6, 1)),
            (P::Vacant, (2025, 12, 1)),
            (P::Recruiting, (2026, 1, 15)),
            (P::Onboarding, (2026, 10, 1)),
        ],
    },
    Demo {
        title: "CM Königswinter/Bad Honnef",
        function: F::CaseManagement,
        fte: 100,
        employer: KI,
        side: Some(RhineSide::Right),
        serves: &[("Königswinter", 50), ("Bad Honnef", 50)],
        focus: None,
        holder: None,
        path: STAFFED_2021,
    },
    Demo {
        title: "CM Troisdorf",
        function: F::CaseManagement,
        fte: 100,
        employer: "Stadt Troisdorf",
        side: Some(RhineSide::Right),
        serves: &[("Troisdorf", 100)],
        focus: None,
        holder: None,
        path: STAFFED_2021,
    },
    Demo {
        title: "Ausländerbehörde: Bleibeperspektiven",
        function: F::ImmigrationOffice,
        fte: 100,
        employer: "Ausländerbehörde Rhein-Sieg-Kreis",
        side: None,
        serves: &[],
        focus: None,
        holder: Some("immigration_officer"),
        path: STAFFED_2021,
    },
    Demo {
        title: "Einbürgerungsbehörde: Einbürgerung",
        function: F::NaturalisationOffice,
        fte: 50,
        employer: "Einbürgerungsbehörde Rhein-Sieg-Kreis",
        side: None,
        serves: &[],
        focus: None,
        holder: None,
        path: STAFFED_2021,
    },
];

fn date((y, m, d): (i32, u32, u32)) -> Result<NaiveDate, StoreError> {
    NaiveDate::from_ymd_opt(y, m, d)
        .ok_or_else(|| StoreError::Corrupt(format!("bad demo date {y}-{m}-{d}")))
}

/// Loads the rates and positions that are missing; returns how many objects were created.
pub fn demo(conn: &mut DbConn) -> Result<usize, StoreError> {
    let mut created = 0;
    for rate in concept_rates() {
        if !funding_rates::exists(conn, rate.year, rate.module, rate.item)? {
            funding_rates::insert(conn, &rate, Some("Handlungskonzept / Landesförderung"))?;
            created += 1;
        }
    }
    let actor = Actor::system();
    for demo in POSITIONS {
        if positions::find_by_title(conn, demo.title)?.is_some() {
            continue;
        }
        let employer = organisations::find_by_name(conn, demo.employer)?.ok_or_else(|| {
            StoreError::Corrupt(format!("demo organisation {} missing", demo.employer))
        })?;
        let mut shares = Vec::new();
        for (name, fte) in demo.serves {
            if let Some(m) = municipalities::find_by_name(conn, name)? {
                shares.push(Share {
                    municipality_id: m.id,
                    fte: Fte::from_hundredths(*fte),
                });
            }
        }
        let holder = match demo.holder {
            Some(username) => users::find_by_username(conn, username)?.map(|u| u.id),
            None => None,
        };
        let data = PositionData {
            title: demo.title.into(),
            function: demo.function,
            fte: Fte::from_hundredths(demo.fte),
            funded: true,
            employer_organisation_id: employer.id,
            placement_organisation_id: None,
            rhine_side: demo.side,
            region: None,
            thematic_focus: demo.focus.map(String::from),
            holder_user_id: holder,
            shares,
        };
        let position = positions::insert(conn, &actor, &data, date((2020, 7, 1))?)?;
        for (phase, on) in demo.path {
            positions::transition(conn, &actor, position.id, None, *phase, date(*on)?, None)?;
        }
        created += 1;
    }
    Ok(created)
}
