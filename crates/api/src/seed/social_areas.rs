//! Demo social areas (Sozialräume) of two towns: Troisdorf in three areas of its districts,
//! Sankt Augustin in two; and two clustered areas ("geclusterte Sozialräume") of whole
//! municipalities on the left bank of the Rhine, served by the case-management positions that
//! have shares there, so that reports and the distribution can group by area.

use kim_domain::social_area::AreaPart;
use kim_store::social_areas::{self as store, AreaData, AreaFilter};
use kim_store::{municipalities, DbConn, StoreError};

/// (area, its districts)
type Area = (&'static str, &'static [&'static str]);

/// (town, its areas)
const AREAS: &[(&str, &[Area])] = &[
    (
        "Troisdorf",
        &[
            ("Troisdorf-Mitte", &["Troisdorf-Mitte", "West"]),
            (
                "Troisdorf-Nord",
                &["Oberlar", "Sieglar", "Kriegsdorf", "Spich"],
            ),
            (
                "Troisdorf-Süd",
                &[
                    "Friedrich-Wilhelms-Hütte",
                    "Altenrath",
                    "Eschmar",
                    "Müllekoven",
                    "Bergheim",
                ],
            ),
        ],
    ),
    (
        "Sankt Augustin",
        &[
            ("Sankt Augustin-Nord", &["Mülldorf", "Menden", "Meindorf"]),
            (
                "Sankt Augustin-Süd",
                &["Niederpleis", "Hangelar", "Buisdorf", "Birlinghoven"],
            ),
        ],
    ),
];

/// (area, the municipalities it covers whole)
const CLUSTERS: &[(&str, &[&str])] = &[
    (
        "Voreifel",
        &["Meckenheim", "Rheinbach", "Swisttal", "Wachtberg"],
    ),
    ("Vorgebirge", &["Alfter", "Bornheim"]),
];

/// Adds the areas of towns that have none yet and the clusters not yet there; returns how many
/// were created.
pub fn demo(conn: &mut DbConn) -> Result<usize, StoreError> {
    let mut created = towns(conn)?;
    let existing: Vec<String> = store::all(conn)?.into_iter().map(|a| a.data.name).collect();
    let positions = kim_store::positions::all(conn)?;
    for (name, towns) in CLUSTERS {
        if existing.iter().any(|e| e == name) {
            continue;
        }
        let mut parts = Vec::new();
        for town in *towns {
            if let Some(municipality) = municipalities::find_by_name(conn, town)? {
                parts.push(AreaPart {
                    municipality_id: municipality.id,
                    district: None,
                });
            }
        }
        if parts.is_empty() {
            continue;
        }
        parts.sort();
        let mut serving: Vec<i64> = positions
            .iter()
            .filter(|p| {
                p.data.function.is_case_management()
                    && p.data
                        .shares
                        .iter()
                        .any(|s| parts.iter().any(|a| a.municipality_id == s.municipality_id))
            })
            .map(|p| p.id)
            .collect();
        serving.sort_unstable();
        store::insert(
            conn,
            &AreaData {
                name: (*name).into(),
                description: Some(format!("Geclusterter Sozialraum: {}", towns.join(", "))),
                parts,
                position_ids: serving,
            },
        )?;
        created += 1;
    }
    Ok(created)
}

/// The areas of the towns' districts.
fn towns(conn: &mut DbConn) -> Result<usize, StoreError> {
    let mut created = 0;
    for (town, areas) in AREAS {
        let Some(municipality) = municipalities::find_by_name(conn, town)? else {
            continue;
        };
        let page = kim_domain::paging::PageRequest {
            limit: 1,
            offset: 0,
        };
        let filter = AreaFilter {
            municipality_id: Some(municipality.id),
            position_id: None,
        };
        if store::list(conn, filter, page)?.total > 0 {
            continue;
        }
        for (name, districts) in *areas {
            let mut parts: Vec<AreaPart> = districts
                .iter()
                .map(|d| AreaPart {
                    municipality_id: municipality.id,
                    district: Some((*d).into()),
                })
                .collect();
            parts.sort();
            store::insert(
                conn,
                &AreaData {
                    name: (*name).into(),
                    description: Some(format!("Sozialraum in {town}: {}", districts.join(", "))),
                    parts,
                    position_ids: Vec::new(),
                },
            )?;
            created += 1;
        }
    }
    Ok(created)
}
