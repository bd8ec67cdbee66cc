//! Demo social areas (Sozialräume) of two towns: Troisdorf in three areas of its districts,
//! Sankt Augustin in two.

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

/// Adds the areas of towns that have none yet; returns how many were created.
pub fn demo(conn: &mut DbConn) -> Result<usize, StoreError> {
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
