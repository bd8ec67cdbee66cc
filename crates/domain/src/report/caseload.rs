//! The caseload report's capacity: which positions count as case-management FTE of a
//! municipality on a given day.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::funding::{phase_on, PhaseHistory};
use crate::staffing::{Fte, PositionFunction};

/// A position as the caseload report sees it: its function, phase history and the FTE shares
/// it serves municipalities with (`(municipality id, FTE)`).
#[derive(Debug, Clone, Copy)]
pub struct CaseManagementPosition<'a> {
    pub function: PositionFunction,
    pub history: &'a PhaseHistory,
    pub shares: &'a [(i64, Fte)],
}

/// Whether a position of `function` carries cases: case management and thematic case
/// management (the CM coordination supervises, it carries none).
pub fn carries_cases(function: PositionFunction) -> bool {
    matches!(
        function,
        PositionFunction::CaseManagement | PositionFunction::ThematicCaseManagement
    )
}

/// Case-management FTE per municipality on `day`: the shares of positions that carry cases and
/// were staffed that day (onboarding, qualification, active). Municipalities without any are
/// absent.
pub fn case_management_fte_on(
    positions: &[CaseManagementPosition<'_>],
    day: NaiveDate,
) -> HashMap<i64, Fte> {
    let mut fte: HashMap<i64, Fte> = HashMap::new();
    for p in positions {
        let staffed = phase_on(p.history, day).is_some_and(|phase| phase.is_staffed());
        if !(carries_cases(p.function) && staffed) {
            continue;
        }
        for (municipality, share) in p.shares {
            let entry = fte.entry(*municipality).or_insert(Fte::ZERO);
            *entry = *entry + *share;
        }
    }
    fte
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staffing::StaffingPhase::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    fn fte(h: i64) -> Fte {
        Fte::from_hundredths(h)
    }

    #[test]
    fn staffed_case_management_shares_count_on_the_day() {
        let hennef = [
            (d(2021, 6, 1), Active),
            (d(2025, 12, 1), Vacant),
            (d(2026, 1, 15), Recruiting),
            (d(2026, 10, 1), Onboarding),
        ];
        let siegburg = [(d(2020, 12, 1), Onboarding), (d(2021, 6, 1), Active)];
        let coordination = [(d(2021, 6, 1), Active)];
        let shares_hennef = [(1, fte(50)), (2, fte(25)), (3, fte(25))];
        let shares_siegburg = [(4, fte(100))];
        let shares_coordination = [(4, fte(100))];
        let positions = [
            CaseManagementPosition {
                function: PositionFunction::CaseManagement,
                history: &hennef,
                shares: &shares_hennef,
            },
            CaseManagementPosition {
                function: PositionFunction::ThematicCaseManagement,
                history: &siegburg,
                shares: &shares_siegburg,
            },
            // The CM coordination carries no cases, whatever it serves.
            CaseManagementPosition {
                function: PositionFunction::CmCoordination,
                history: &coordination,
                shares: &shares_coordination,
            },
        ];
        let on = |day| {
            let mut v: Vec<(i64, i64)> = case_management_fte_on(&positions, day)
                .into_iter()
                .map(|(m, f)| (m, f.hundredths()))
                .collect();
            v.sort_unstable();
            v
        };
        // Vacant at the end of 2025: only Siegburg's position counts.
        assert_eq!(on(d(2025, 12, 31)), vec![(4, 100)]);
        // Recruiting is not staffed either; onboarding is.
        assert_eq!(on(d(2026, 5, 1)), vec![(4, 100)]);
        assert_eq!(
            on(d(2026, 11, 30)),
            vec![(1, 50), (2, 25), (3, 25), (4, 100)]
        );
        // Before any position existed.
        assert!(on(d(2019, 1, 1)).is_empty());
    }
}
