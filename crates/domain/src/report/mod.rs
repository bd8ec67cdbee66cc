//! Controlling and evaluation reports (Controlling, Monitoring und Evaluation): the statistical
//! attributes a report may group people by, the report dimensions and periods, and statistical
//! disclosure control ([`disclosure`]).
//!
//! Reports never read names, references, birth years or free text. What the people report groups
//! by is captured per case membership when a client joins a case ([`StatisticalAttributes`]), so
//! that a later erasure of the client record leaves past figures unchanged.

pub mod caseload;
pub mod disclosure;
pub mod query;
pub mod table;

crate::vocabulary! {
    /// Altersgruppe (age band) of a client in the year a case was opened, as the NRW KIM reports
    /// group people.
    pub enum AgeBand {
        /// 0 to 5 years
        UpTo5 => "0-5",
        /// 6 to 17 years
        From6To17 => "6-17",
        /// 18 to 26 years
        From18To26 => "18-26",
        /// 27 to 44 years
        From27To44 => "27-44",
        /// 45 to 64 years
        From45To64 => "45-64",
        /// 65 years and older
        From65 => "65+",
    }
}

impl AgeBand {
    /// The band of someone born in `birth_year` during `year` (the year the case was opened).
    /// Only the year of birth is known, so the age is `year - birth_year`; a birth year after
    /// `year` (a typo, or a child registered before birth) counts as 0.
    pub fn in_year(birth_year: i32, year: i32) -> AgeBand {
        match year.saturating_sub(birth_year) {
            ..=5 => AgeBand::UpTo5,
            6..=17 => AgeBand::From6To17,
            18..=26 => AgeBand::From18To26,
            27..=44 => AgeBand::From27To44,
            45..=64 => AgeBand::From45To64,
            _ => AgeBand::From65,
        }
    }
}

/// What the people report may know about a client of a case, frozen when the client joined the
/// case. Every field is optional because every personal field of a client is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatisticalAttributes {
    pub age_band: Option<AgeBand>,
    pub gender: Option<String>,
    pub country_of_origin: Option<String>,
    pub residence_status: Option<String>,
}

impl StatisticalAttributes {
    /// Captures the attributes of a client joining a case opened in `case_year`.
    pub fn capture(
        birth_year: Option<i32>,
        gender: Option<&str>,
        country_of_origin: Option<&str>,
        residence_status: Option<&str>,
        case_year: i32,
    ) -> StatisticalAttributes {
        StatisticalAttributes {
            age_band: birth_year.map(|b| AgeBand::in_year(b, case_year)),
            gender: gender.map(str::to_owned),
            country_of_origin: country_of_origin.map(str::to_owned),
            residence_status: residence_status.map(str::to_owned),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_bands_have_inclusive_bounds() {
        let cases = [
            (2026, AgeBand::UpTo5),
            (2021, AgeBand::UpTo5),
            (2020, AgeBand::From6To17),
            (2009, AgeBand::From6To17),
            (2008, AgeBand::From18To26),
            (2000, AgeBand::From18To26),
            (1999, AgeBand::From27To44),
            (1982, AgeBand::From27To44),
            (1981, AgeBand::From45To64),
            (1962, AgeBand::From45To64),
            (1961, AgeBand::From65),
            (1920, AgeBand::From65),
        ];
        for (born, band) in cases {
            assert_eq!(AgeBand::in_year(born, 2026), band, "born {born}");
        }
    }

    #[test]
    fn a_birth_year_after_the_case_year_counts_as_a_small_child() {
        assert_eq!(AgeBand::in_year(2027, 2026), AgeBand::UpTo5);
    }

    #[test]
    fn capture_uses_the_year_of_the_case_not_today() {
        let a = StatisticalAttributes::capture(Some(2004), Some("female"), Some("SY"), None, 2022);
        assert_eq!(a.age_band, Some(AgeBand::From18To26));
        assert_eq!(a.gender.as_deref(), Some("female"));
        assert_eq!(a.country_of_origin.as_deref(), Some("SY"));
        assert_eq!(a.residence_status, None);
        assert_eq!(
            StatisticalAttributes::capture(None, None, None, None, 2022),
            StatisticalAttributes::default()
        );
    }
}
