//! Positions (Stellen) of the three KIM modules: modules, functions, FTE and the staffing phase
//! state machine.

use crate::transition::IllegalTransition;

crate::vocabulary! {
    /// KIM module (Baustein) a position or funding item belongs to.
    pub enum Module {
        /// Baustein 1: strategic coordination (strategische Steuerung)
        Module1 => "module_1",
        /// Baustein 2: case management (Case Management)
        Module2 => "module_2",
        /// Baustein 3: immigration and naturalisation offices (Ausländer- und Einbürgerungsbehörden)
        Module3 => "module_3",
    }
}

crate::vocabulary! {
    /// Function of a position (Funktion der Stelle).
    pub enum PositionFunction {
        /// Strategische Koordinierung (module 1)
        StrategicCoordination => "strategic_coordination",
        /// Verwaltungsassistenz (module 1)
        AdministrativeAssistance => "administrative_assistance",
        /// Strategiestelle einer Kommune, e.g. Troisdorf (module 1)
        MunicipalStrategyPosition => "municipal_strategy_position",
        /// Case Management (module 2)
        CaseManagement => "case_management",
        /// CM-Koordination (module 2)
        CmCoordination => "cm_coordination",
        /// Thematisches Case Management, e.g. early-childhood language support (module 2)
        ThematicCaseManagement => "thematic_case_management",
        /// Ausländerbehörde (module 3)
        ImmigrationOffice => "immigration_office",
        /// Einbürgerungsbehörde (module 3)
        NaturalisationOffice => "naturalisation_office",
    }
}

impl PositionFunction {
    /// The module a function belongs to.
    pub fn module(self) -> Module {
        use PositionFunction::*;
        match self {
            StrategicCoordination | AdministrativeAssistance | MunicipalStrategyPosition => {
                Module::Module1
            }
            CaseManagement | CmCoordination | ThematicCaseManagement => Module::Module2,
            ImmigrationOffice | NaturalisationOffice => Module::Module3,
        }
    }

    /// Whether the position does case management and so counts for the distribution by need.
    pub fn is_case_management(self) -> bool {
        self.module() == Module::Module2
    }
}

crate::vocabulary! {
    /// Staffing phase of a position (Besetzungsstand).
    pub enum StaffingPhase {
        /// Geplant
        Planned => "planned",
        /// Personalakquise (recruitment)
        Recruiting => "recruiting",
        /// Einarbeitung (onboarding)
        Onboarding => "onboarding",
        /// Qualifizierung (qualification)
        Qualification => "qualification",
        /// Besetzt und in Umsetzung (active)
        Active => "active",
        /// Vakant (the holder left)
        Vacant => "vacant",
        /// Beendet (final)
        Ended => "ended",
    }
}

impl StaffingPhase {
    /// Where a position may go from this phase: the recruitment path, the vacancy loop, and
    /// ending from anywhere but the end.
    pub fn allowed_next(self) -> &'static [StaffingPhase] {
        use StaffingPhase::*;
        match self {
            Planned => &[Recruiting, Ended],
            Recruiting => &[Onboarding, Ended],
            Onboarding => &[Qualification, Ended],
            Qualification => &[Active, Ended],
            Active => &[Vacant, Ended],
            Vacant => &[Recruiting, Ended],
            Ended => &[],
        }
    }

    pub fn transition(self, to: StaffingPhase) -> Result<StaffingPhase, IllegalTransition> {
        IllegalTransition::check(self, to, self.allowed_next(), Self::as_str)
    }

    /// Someone is employed on the position: onboarding, qualification or active. Funding is due
    /// for these months.
    pub fn is_staffed(self) -> bool {
        matches!(
            self,
            StaffingPhase::Onboarding | StaffingPhase::Qualification | StaffingPhase::Active
        )
    }
}

/// Full-time equivalents in hundredths (1.00 FTE = 100), so sums are exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fte(i64);

impl Fte {
    pub const ZERO: Fte = Fte(0);
    pub const FULL: Fte = Fte(100);
    /// The most one position may carry: the concept plans e.g. 1.5 FTE of coordination as one
    /// position left of the Rhine.
    pub const MAX_POSITION: Fte = Fte(1000);

    pub fn from_hundredths(hundredths: i64) -> Fte {
        Fte(hundredths)
    }

    pub fn hundredths(self) -> i64 {
        self.0
    }

    /// From a decimal with at most two places, greater than 0 and at most `max` (e.g. 1.00 for a
    /// position, the position's FTE for a municipality's share).
    pub fn parse_decimal(value: f64, max: Fte) -> Result<Fte, String> {
        if !value.is_finite() {
            return Err("must be a number".into());
        }
        let scaled = value * 100.0;
        let rounded = scaled.round();
        if (scaled - rounded).abs() > 1e-6 {
            return Err("may have at most two decimal places".into());
        }
        let hundredths = rounded as i64;
        if hundredths <= 0 {
            return Err("must be greater than 0".into());
        }
        if hundredths > max.0 {
            return Err(format!("must be at most {}", max.as_decimal()));
        }
        Ok(Fte(hundredths))
    }

    pub fn as_decimal(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl std::ops::Add for Fte {
    type Output = Fte;
    fn add(self, other: Fte) -> Fte {
        Fte(self.0 + other.0)
    }
}

impl std::ops::Sub for Fte {
    type Output = Fte;
    fn sub(self, other: Fte) -> Fte {
        Fte(self.0 - other.0)
    }
}

impl std::iter::Sum for Fte {
    fn sum<I: Iterator<Item = Fte>>(iter: I) -> Fte {
        Fte(iter.map(|f| f.0).sum())
    }
}

/// The shares of municipalities served may together not exceed the position's FTE.
pub fn check_shares(position: Fte, shares: &[Fte]) -> Result<(), String> {
    let total: Fte = shares.iter().copied().sum();
    if total > position {
        return Err(format!(
            "the shares add up to {:.2} FTE, more than the position's {:.2}",
            total.as_decimal(),
            position.as_decimal()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use StaffingPhase::*;

    #[test]
    fn the_whole_transition_table() {
        let allowed = [
            (Planned, Recruiting),
            (Recruiting, Onboarding),
            (Onboarding, Qualification),
            (Qualification, Active),
            (Active, Vacant),
            (Vacant, Recruiting),
        ];
        for from in StaffingPhase::ALL {
            for to in StaffingPhase::ALL {
                let expected = allowed.contains(&(*from, *to)) || (*to == Ended && *from != Ended);
                assert_eq!(from.transition(*to).is_ok(), expected, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn illegal_transition_names_the_allowed_ones() {
        let error = Planned.transition(Active).unwrap_err();
        assert_eq!(error.allowed, vec!["recruiting", "ended"]);
        assert!(Ended.transition(Active).unwrap_err().allowed.is_empty());
    }

    #[test]
    fn staffed_phases() {
        let staffed: Vec<_> = StaffingPhase::ALL
            .iter()
            .filter(|p| p.is_staffed())
            .collect();
        assert_eq!(staffed, vec![&Onboarding, &Qualification, &Active]);
    }

    #[test]
    fn functions_belong_to_their_module() {
        assert_eq!(
            PositionFunction::AdministrativeAssistance.module(),
            Module::Module1
        );
        assert_eq!(
            PositionFunction::ThematicCaseManagement.module(),
            Module::Module2
        );
        assert_eq!(
            PositionFunction::NaturalisationOffice.module(),
            Module::Module3
        );
        assert!(PositionFunction::CmCoordination.is_case_management());
        assert!(!PositionFunction::ImmigrationOffice.is_case_management());
    }

    #[test]
    fn fte_parsing() {
        assert_eq!(Fte::parse_decimal(0.5, Fte::FULL), Ok(Fte(50)));
        assert_eq!(Fte::parse_decimal(1.0, Fte::FULL), Ok(Fte(100)));
        assert_eq!(Fte::parse_decimal(0.75, Fte::FULL), Ok(Fte(75)));
        assert!(Fte::parse_decimal(0.755, Fte::FULL).is_err());
        assert!(Fte::parse_decimal(0.0, Fte::FULL).is_err());
        assert!(Fte::parse_decimal(-1.0, Fte::FULL).is_err());
        assert!(Fte::parse_decimal(1.01, Fte::FULL).is_err());
        assert!(Fte::parse_decimal(f64::NAN, Fte::FULL).is_err());
        assert_eq!(Fte(150).as_decimal(), 1.5);
    }

    #[test]
    fn shares_may_not_exceed_the_position() {
        assert!(check_shares(Fte(100), &[Fte(50), Fte(50)]).is_ok());
        assert!(check_shares(Fte(100), &[]).is_ok());
        let err = check_shares(Fte(50), &[Fte(30), Fte(30)]).unwrap_err();
        assert!(err.contains("0.60") && err.contains("0.50"), "{err}");
    }
}
