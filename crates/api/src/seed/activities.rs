//! Demo public relations of 2021 and the council committee the KI reports to (body kind
//! `political_committee`).

use chrono::NaiveDate;
use kim_domain::activity::ActivityKind as K;
use kim_domain::body::BodyKind;
use kim_store::activities::{self as store, ActivityData};
use kim_store::bodies::{self, BodyData};
use kim_store::{DbConn, StoreError};

pub const SOCIAL_COMMITTEE: &str = "Ausschuss für Soziales, Integration und Gleichstellung";

/// (kind, title, (year, month, day), audience, committee by name, reported to the committee)
type DemoActivity = (
    K,
    &'static str,
    (i32, u32, u32),
    Option<&'static str>,
    Option<&'static str>,
    bool,
);

const ACTIVITIES: &[DemoActivity] = &[
    (
        K::PressRelease,
        "Start des Kommunalen Integrationsmanagements im Rhein-Sieg-Kreis",
        (2021, 2, 15),
        Some("Presse"),
        None,
        false,
    ),
    (
        K::HeadsOfOfficeMeeting,
        "Vorstellung von KIM in der Amtsleitungsrunde",
        (2021, 3, 10),
        Some("Amtsleitungen der Kreisverwaltung"),
        Some("Amtsleitungsrunde der Kreisverwaltung"),
        false,
    ),
    (
        K::MayorsConference,
        "Sachstand KIM in der Bürgermeisterkonferenz",
        (2021, 5, 20),
        Some("Bürgermeisterinnen und Bürgermeister der 19 Kommunen"),
        Some("Bürgermeisterkonferenz Rhein-Sieg"),
        false,
    ),
    (
        K::WebArticle,
        "Case Management jetzt in allen Kommunen erreichbar",
        (2021, 7, 1),
        Some("Öffentlichkeit"),
        None,
        false,
    ),
    (
        K::Event,
        "Fachtag Integration 2021",
        (2021, 9, 23),
        Some("Fachöffentlichkeit, Träger, Migrantenselbstorganisationen"),
        None,
        false,
    ),
    (
        K::CommitteeReport,
        "KIM-Jahresbericht 2021 im Sozialausschuss",
        (2021, 11, 18),
        Some("Kreistagsmitglieder"),
        None,
        true,
    ),
];

/// Adds the committee and the activities once; returns how many activities were created.
pub fn demo(conn: &mut DbConn) -> Result<usize, StoreError> {
    let committee = match bodies::find_by_name(conn, SOCIAL_COMMITTEE)? {
        Some(body) => body.id,
        None => {
            bodies::insert(
                conn,
                &BodyData {
                    kind: BodyKind::PoliticalCommittee,
                    name: SOCIAL_COMMITTEE.into(),
                    purpose: Some(
                        "Fachausschuss des Kreistags; nimmt die Berichte des Kommunalen Integrationszentrums entgegen."
                            .into(),
                    ),
                    topic: None,
                    active_from: None,
                    active_until: None,
                    municipality_ids: Vec::new(),
                    members: Vec::new(),
                },
            )?
            .id
        }
    };
    let mut created = 0;
    for (kind, title, (y, m, d), audience, named, to_committee) in ACTIVITIES {
        if store::find_by_title(conn, title)?.is_some() {
            continue;
        }
        let Some(held_on) = NaiveDate::from_ymd_opt(*y, *m, *d) else {
            continue;
        };
        store::insert(
            conn,
            &ActivityData {
                kind: *kind,
                title: (*title).into(),
                held_on,
                audience: audience.map(String::from),
                body_id: to_committee.then_some(committee),
                committee: named.map(String::from),
                gap_ids: Vec::new(),
                decision_ids: Vec::new(),
            },
        )?;
        created += 1;
    }
    Ok(created)
}
