//! Distribution of case-management capacity by need: how much CM capacity each municipality
//! has against its population and its foreign-national population.

use crate::staffing::{Fte, StaffingPhase};

/// CM FTE per 10,000 inhabitants, two decimals; unknown without a population.
pub fn fte_per_10000(cm_fte: Fte, population: Option<i64>) -> Option<f64> {
    let population = population.filter(|p| *p > 0)?;
    let per = cm_fte.hundredths() as f64 / 100.0 * 10_000.0 / population as f64;
    Some((per * 100.0).round() / 100.0)
}

/// The need indicator until a needs survey exists: the estimated number of foreign nationals
/// (population × share), rounded; unknown when either figure is.
pub fn foreign_nationals(population: Option<i64>, percent: Option<f64>) -> Option<i64> {
    Some((population? as f64 * percent? / 100.0).round() as i64)
}

/// A municipality's share of a position counts as assigned capacity unless the position ended.
pub fn counts_as_assigned(phase: StaffingPhase) -> bool {
    phase != StaffingPhase::Ended
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_10000_inhabitants() {
        assert_eq!(
            fte_per_10000(Fte::from_hundredths(150), Some(75_000)),
            Some(0.2)
        );
        assert_eq!(
            fte_per_10000(Fte::from_hundredths(100), Some(30_000)),
            Some(0.33)
        );
        assert_eq!(fte_per_10000(Fte::ZERO, Some(30_000)), Some(0.0));
        assert_eq!(fte_per_10000(Fte::FULL, None), None);
        assert_eq!(fte_per_10000(Fte::FULL, Some(0)), None);
    }

    #[test]
    fn foreign_national_estimate() {
        assert_eq!(foreign_nationals(Some(75_000), Some(14.5)), Some(10_875));
        assert_eq!(foreign_nationals(None, Some(14.5)), None);
        assert_eq!(foreign_nationals(Some(75_000), None), None);
    }

    #[test]
    fn ended_positions_do_not_count() {
        for phase in StaffingPhase::ALL {
            assert_eq!(counts_as_assigned(*phase), *phase != StaffingPhase::Ended);
        }
    }
}
