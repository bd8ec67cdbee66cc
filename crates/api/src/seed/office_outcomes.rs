//! Demo module 3 outcomes of 2021: the quarters of the county's immigration office and its
//! naturalisation office (the Chancen-Aufenthaltsrecht began only in December 2022, so 2021
//! has none of its procedures).

use kim_domain::office_outcome::OutcomeCounts;
use kim_store::office_outcomes::{self as store, OutcomeData, OutcomeFilter};
use kim_store::{organisations, DbConn, StoreError};

/// (events, attendance, counselling, naturalisations initiated, completed, residence secured)
type Quarter = [i64; 6];

const IMMIGRATION: [Quarter; 4] = [
    [1, 25, 40, 0, 0, 4],
    [1, 30, 45, 0, 0, 6],
    [2, 48, 52, 0, 0, 7],
    [1, 22, 38, 0, 0, 5],
];

const NATURALISATION: [Quarter; 4] = [
    [1, 30, 55, 28, 20, 0],
    [0, 0, 60, 31, 24, 0],
    [1, 35, 58, 35, 22, 0],
    [1, 28, 62, 30, 27, 0],
];

/// Records the four quarters of 2021 for both offices once; returns how many were created.
pub fn demo(conn: &mut DbConn) -> Result<usize, StoreError> {
    let mut created = 0;
    for (office, quarters) in [
        (super::IMMIGRATION_OFFICE, IMMIGRATION),
        ("Einbürgerungsbehörde Rhein-Sieg-Kreis", NATURALISATION),
    ] {
        let Some(organisation) = organisations::find_by_name(conn, office)? else {
            continue;
        };
        let page = kim_domain::paging::PageRequest {
            limit: 10,
            offset: 0,
        };
        let filter = OutcomeFilter {
            year: Some(2021),
            organisation_id: Some(organisation.id),
        };
        if store::list(conn, filter, page)?.total > 0 {
            continue;
        }
        for (index, q) in quarters.iter().enumerate() {
            store::insert(
                conn,
                &OutcomeData {
                    organisation_id: organisation.id,
                    year: 2021,
                    quarter: index as i32 + 1,
                    counts: OutcomeCounts {
                        information_events: q[0],
                        event_attendance: q[1],
                        counselling_sessions: q[2],
                        naturalisations_initiated: q[3],
                        naturalisations_completed: q[4],
                        residence_secured: q[5],
                        opportunity_residence_procedures: 0,
                    },
                },
            )?;
            created += 1;
        }
    }
    Ok(created)
}
