//! Distribution of case-management capacity by need: how much CM capacity each municipality
//! has against its population and its foreign-national population.

use std::collections::HashMap;

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

/// A municipality's, or a social area's, capacity and size as the distribution shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Figures {
    pub cm_fte: Fte,
    pub population: Option<i64>,
    pub foreign_nationals: Option<i64>,
}

/// A social area's figures: the sums over the municipalities it covers whole (`whole`). Cases,
/// positions' shares and statistics are kept per municipality, so a municipality covered only
/// in parts adds nothing. The population (and the foreign-national estimate) is unknown when
/// one of those municipalities lacks it or the area covers none whole: a partial sum would
/// understate the need.
pub fn area_figures(whole: &[i64], places: &HashMap<i64, Figures>) -> Figures {
    let mut sum = Figures {
        cm_fte: Fte::ZERO,
        population: (!whole.is_empty()).then_some(0),
        foreign_nationals: (!whole.is_empty()).then_some(0),
    };
    for id in whole {
        let place = places.get(id).copied().unwrap_or_default();
        sum.cm_fte = sum.cm_fte + place.cm_fte;
        sum.population = sum.population.zip(place.population).map(|(a, b)| a + b);
        sum.foreign_nationals = sum
            .foreign_nationals
            .zip(place.foreign_nationals)
            .map(|(a, b)| a + b);
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(fte: i64, population: Option<i64>, foreign: Option<i64>) -> Figures {
        Figures {
            cm_fte: Fte::from_hundredths(fte),
            population,
            foreign_nationals: foreign,
        }
    }

    #[test]
    fn an_area_sums_the_municipalities_it_covers_whole() {
        let places = HashMap::from([
            (1, place(100, Some(40_000), Some(6_000))),
            (2, place(50, Some(10_000), Some(1_000))),
            (3, place(25, None, None)),
        ]);
        assert_eq!(
            area_figures(&[1, 2], &places),
            place(150, Some(50_000), Some(7_000))
        );
        // One unknown population makes the area's unknown; the FTE still adds up.
        assert_eq!(area_figures(&[1, 3], &places), place(125, None, None));
        // A municipality without figures (not listed) adds nothing and makes the sizes unknown.
        assert_eq!(area_figures(&[1, 9], &places), place(100, None, None));
        // An area covering municipalities only in parts has no figures of its own.
        assert_eq!(area_figures(&[], &places), place(0, None, None));
    }

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
