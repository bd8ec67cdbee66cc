//! Demo roadmap: the concept's "Planung bis 2022" (2020 H2 – 2022 H2). The concept's chart lost
//! its bars in the text version; the half-years follow what the text says (needs surveys in
//! spring 2021, the steering group "soon", case conferences "in the medium term", the build-up
//! phase ending with 2022). Statuses are as a coordination would record them years later: most
//! done, two still open past their end, module 3 marked delayed (still under negotiation).

use kim_domain::roadmap::{Bound, RoadmapStatus as S, Workstream as W};
use kim_store::organisations;
use kim_store::roadmap::{self, RoadmapItemData};
use kim_store::{DbConn, StoreError};

/// (workstream, title, start, end, status, depends on (same workstream unless given), description).
type Item = (
    W,
    &'static str,
    &'static str,
    &'static str,
    S,
    &'static [(W, &'static str)],
    &'static str,
);

const SURVEY_MUNICIPALITIES: &str = "Bedarfsabfrage Kommunen";
const AGREEMENTS: &str = "Abschluss von Kooperationsvereinbarungen";
const RECRUITMENT: &str = "Personalakquise";
const ONBOARDING: &str = "Einarbeitung";
const QUALIFICATION: &str = "Qualifizierung";
const IMPLEMENTATION: &str = "Umsetzung";
const CM_CONCEPT: &str = "Entwicklung eines kreisweiten CM-Konzepts";
const MODULE_3: &str = "Modul 3: Ausländer- und Einbürgerungsbehörden";
const SURVEY_WELFARE: &str = "Bedarfsabfrage Freie Wohlfahrt";

/// In dependency order: an item comes after the items it depends on.
const ITEMS: &[Item] = &[
    (W::CrossModule, SURVEY_MUNICIPALITIES, "2021-H1", "2021-H1", S::Done, &[],
     "Standardisierter Fragebogen mit jeder kreisangehörigen Kommune: Angebote und Bedarfe vor Ort (needs survey of the municipalities)."),
    (W::CrossModule, SURVEY_WELFARE, "2021-H1", "2021-H1", S::Done, &[],
     "Befragung der Freien Wohlfahrt zu Bedarfen und Angeboten vor Ort (needs survey of the welfare organisations)."),
    (W::CrossModule, "Entwicklung eines kreisweiten KIM-Konzepts", "2020-H2", "2021-H2", S::Done,
     &[(W::CrossModule, SURVEY_MUNICIPALITIES), (W::CrossModule, SURVEY_WELFARE)],
     "Handlungskonzept, fortgeschrieben mit den Ergebnissen der Bedarfsabfragen (county-wide KIM concept)."),
    (W::CrossModule, "Lenkungsgruppe", "2021-H1", "2022-H2", S::Done, &[],
     "Einrichtung und Sitzungen der Lenkungsgruppe auf Leitungsebene (steering group)."),
    (W::CrossModule, "Projektgruppen nach Bedarf", "2021-H2", "2022-H2", S::Done,
     &[(W::CrossModule, SURVEY_MUNICIPALITIES), (W::CrossModule, "Lenkungsgruppe")],
     "Themenbezogene Projektgruppen in den Kommunen, zunächst zwei bis drei (project groups as needed)."),
    (W::CrossModule, "Fallkonferenzen nach Bedarf", "2022-H1", "2022-H2", S::Done, &[],
     "Fallkonferenzen bzw. -besprechungen, die strukturelle Bedarfe erkennen (case conferences as needed)."),
    (W::CrossModule, "Politische Gremienarbeit", "2020-H2", "2022-H2", S::Done, &[],
     "Berichte in den politischen Gremien des Kreises (political bodies)."),
    (W::CrossModule, "Öffentlichkeitsarbeit", "2020-H2", "2022-H2", S::Done, &[],
     "Öffentlichkeitsarbeit und Transparenz über Lösungsansätze (public relations)."),
    (W::CrossModule, "Monitoring und Evaluation", "2021-H2", "2022-H2", S::InProgress, &[],
     "Controlling und Evaluation der Umsetzung (monitoring and evaluation); noch nicht abgeschlossen."),
    (W::Module1, AGREEMENTS, "2021-H1", "2021-H2", S::Done,
     &[(W::CrossModule, SURVEY_MUNICIPALITIES)],
     "Kooperationsvereinbarungen mit den Kommunen, u. a. der Stadt Troisdorf (cooperation agreements)."),
    (W::Module1, RECRUITMENT, "2021-H1", "2021-H2", S::Done, &[(W::Module1, AGREEMENTS)],
     "3,5 VZÄ strategische Koordinierung und 0,5 VZÄ Verwaltungsassistenz (recruitment)."),
    (W::Module1, ONBOARDING, "2021-H2", "2022-H1", S::Done, &[(W::Module1, RECRUITMENT)],
     "Einarbeitung der Koordinierungsstellen (onboarding)."),
    (W::Module1, QUALIFICATION, "2021-H2", "2022-H2", S::Done, &[(W::Module1, ONBOARDING)],
     "Qualifizierung der Koordinierungsstellen (qualification)."),
    (W::Module1, IMPLEMENTATION, "2022-H1", "2022-H2", S::Done, &[(W::Module1, ONBOARDING)],
     "Strategische Steuerung links- und rechtsrheinisch (implementation)."),
    (W::Module2, CM_CONCEPT, "2021-H1", "2021-H2", S::Done,
     &[(W::CrossModule, SURVEY_MUNICIPALITIES), (W::CrossModule, SURVEY_WELFARE)],
     "Kreisweites Case-Management-Konzept auf Basis der Bedarfsabfragen (county-wide CM concept)."),
    (W::Module2, AGREEMENTS, "2021-H2", "2022-H1", S::Done, &[(W::Module2, CM_CONCEPT)],
     "Kooperationsvereinbarungen mit Kommunen und Trägern der CM-Stellen (cooperation agreements)."),
    (W::Module2, RECRUITMENT, "2021-H2", "2022-H1", S::Done, &[(W::Module2, AGREEMENTS)],
     "11 CM-Stellen, davon 3 im KI (recruitment)."),
    (W::Module2, ONBOARDING, "2022-H1", "2022-H2", S::Done, &[(W::Module2, RECRUITMENT)],
     "Einarbeitung der Case Managerinnen und Case Manager (onboarding)."),
    (W::Module2, QUALIFICATION, "2022-H1", "2022-H2", S::InProgress, &[(W::Module2, ONBOARDING)],
     "Qualifizierung im Case Management; noch nicht alle Stellen qualifiziert (qualification)."),
    (W::Module2, IMPLEMENTATION, "2022-H2", "2022-H2", S::Done, &[(W::Module2, ONBOARDING)],
     "Case Management vor Ort in den Kommunen (implementation)."),
    (W::Module3, MODULE_3, "2021-H1", "2022-H2", S::Delayed, &[],
     "Befindet sich in Abstimmung (under negotiation)."),
];

/// Loads the demo roadmap items; returns how many were created. An item already present
/// (same workstream and title) is left alone.
pub fn demo(conn: &mut DbConn) -> Result<usize, StoreError> {
    let ki = organisations::find_by_name(conn, super::KI)?.map(|o| o.id);
    let mut created = 0;
    for (workstream, title, start, end, status, depends, description) in ITEMS {
        if roadmap::find_by_title(conn, *workstream, title)?.is_some() {
            continue;
        }
        let mut depends_on = Vec::new();
        for (other_workstream, other_title) in *depends {
            if let Some(other) = roadmap::find_by_title(conn, *other_workstream, other_title)? {
                depends_on.push(other.id);
            }
        }
        let planned_start =
            kim_domain::roadmap::parse_planned(start, Bound::Start).map_err(StoreError::Corrupt)?;
        let planned_end =
            kim_domain::roadmap::parse_planned(end, Bound::End).map_err(StoreError::Corrupt)?;
        roadmap::insert(
            conn,
            &RoadmapItemData {
                workstream: *workstream,
                title: (*title).into(),
                description: Some((*description).into()),
                planned_start,
                planned_end,
                status: *status,
                depends_on,
                responsible_organisation_id: ki,
                responsible_user_id: None,
            },
        )?;
        created += 1;
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kim_domain::roadmap::check_period;

    #[test]
    fn demo_items_are_consistent() {
        for (index, (workstream, title, start, end, _, depends, _)) in ITEMS.iter().enumerate() {
            let start = kim_domain::roadmap::parse_planned(start, Bound::Start);
            let end = kim_domain::roadmap::parse_planned(end, Bound::End);
            let (Ok(start), Ok(end)) = (start, end) else {
                panic!("{title}: half-years parse");
            };
            assert!(check_period(start, end).is_ok(), "{title}");
            for dependency in *depends {
                assert!(
                    ITEMS[..index]
                        .iter()
                        .any(|(w, t, ..)| (*w, *t) == *dependency),
                    "{workstream}/{title}: {dependency:?} comes first"
                );
            }
            assert_eq!(
                ITEMS
                    .iter()
                    .filter(|(w, t, ..)| (w, t) == (workstream, title))
                    .count(),
                1,
                "{title} is unique in {workstream}"
            );
        }
    }
}
