//! Local intake criteria (Aufnahmekriterien, örtliche Schwerpunkte): which intake rule
//! ([`EligibilityRule`]) judges a case, chosen from rules agreed per municipality and target
//! group, with the county's default rule for every case no local rule covers.
//!
//! **Target group** is the case's [`TargetGroup`] (new arrivals, multilingual children with
//! language disorders and their parents, other), the field every case already carries and the
//! reports already count: the local priorities the concept names are agreed for such groups
//! (e.g. a town that takes the thematic case management of children without an arrival limit),
//! and a rule keyed on a field the case does not hold could not be evaluated when it is opened.
//! A target group alone (without a municipality) is not a level: a county-wide rule for a group
//! would compete with a municipality's rule and no order between them was agreed.
//!
//! The most specific matching rule wins: municipality and target group, then municipality, then
//! the default. At most one rule exists per scope (the store enforces it), so the choice is never
//! a tie.

use crate::case::TargetGroup;
use crate::eligibility::EligibilityRule;
use crate::field::FieldError;

/// Where a rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleScope {
    /// The county's default rule: every case no local rule covers. Exactly one exists; it is
    /// seeded from `KIM_INTAKE_*` and cannot be deleted.
    Default,
    /// Every case opened in the municipality.
    Municipality(i64),
    /// The cases of one target group opened in the municipality.
    MunicipalityTargetGroup(i64, TargetGroup),
}

impl RuleScope {
    /// The scope named by a rule's optional fields; a target group needs a municipality.
    pub fn from_parts(
        municipality_id: Option<i64>,
        target_group: Option<TargetGroup>,
    ) -> Result<RuleScope, FieldError> {
        match (municipality_id, target_group) {
            (None, None) => Ok(RuleScope::Default),
            (Some(m), None) => Ok(RuleScope::Municipality(m)),
            (Some(m), Some(g)) => Ok(RuleScope::MunicipalityTargetGroup(m, g)),
            (None, Some(_)) => Err(FieldError::rule(
                "target_group",
                "needs a municipality_id: rules are agreed per municipality and target group",
            )),
        }
    }

    /// Stable name of the scope's kind, as stored and shown.
    pub fn kind(self) -> &'static str {
        match self {
            RuleScope::Default => "default",
            RuleScope::Municipality(_) => "municipality",
            RuleScope::MunicipalityTargetGroup(..) => "municipality_target_group",
        }
    }

    pub fn municipality_id(self) -> Option<i64> {
        match self {
            RuleScope::Default => None,
            RuleScope::Municipality(m) | RuleScope::MunicipalityTargetGroup(m, _) => Some(m),
        }
    }

    pub fn target_group(self) -> Option<TargetGroup> {
        match self {
            RuleScope::MunicipalityTargetGroup(_, g) => Some(g),
            _ => None,
        }
    }

    /// Higher is more specific.
    fn specificity(self) -> u8 {
        match self {
            RuleScope::Default => 0,
            RuleScope::Municipality(_) => 1,
            RuleScope::MunicipalityTargetGroup(..) => 2,
        }
    }

    /// Whether a case opened in `municipality_id` for `target_group` falls under the scope.
    pub fn covers(self, municipality_id: i64, target_group: TargetGroup) -> bool {
        match self {
            RuleScope::Default => true,
            RuleScope::Municipality(m) => m == municipality_id,
            RuleScope::MunicipalityTargetGroup(m, g) => m == municipality_id && g == target_group,
        }
    }
}

/// The rule that judges a case opened in `municipality_id` for `target_group`: the most specific
/// of `rules` covering it, or `None` when none does (not even a default; the caller then uses
/// the configured rule).
pub fn applicable_rule(
    rules: &[(RuleScope, EligibilityRule)],
    municipality_id: i64,
    target_group: TargetGroup,
) -> Option<&EligibilityRule> {
    rules
        .iter()
        .filter(|(scope, _)| scope.covers(municipality_id, target_group))
        .max_by_key(|(scope, _)| scope.specificity())
        .map(|(_, rule)| rule)
}

/// The default rule stays: without it a case in a municipality with no local rule would have
/// no rule to be judged by. `Err` carries the reason for the 409.
pub fn check_deletable(scope: RuleScope) -> Result<(), &'static str> {
    match scope {
        RuleScope::Default => Err("the default intake rule cannot be deleted; change it instead"),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TargetGroup as G;

    fn rule(years: u32) -> EligibilityRule {
        EligibilityRule {
            max_years_since_arrival: years,
            exclude_other_case_management: true,
        }
    }

    fn years(found: Option<&EligibilityRule>) -> Option<u32> {
        found.map(|r| r.max_years_since_arrival)
    }

    #[test]
    fn a_scope_is_built_from_its_parts() {
        assert_eq!(RuleScope::from_parts(None, None), Ok(RuleScope::Default));
        assert_eq!(
            RuleScope::from_parts(Some(4), None),
            Ok(RuleScope::Municipality(4))
        );
        assert_eq!(
            RuleScope::from_parts(Some(4), Some(G::Other)),
            Ok(RuleScope::MunicipalityTargetGroup(4, G::Other))
        );
        let error = RuleScope::from_parts(None, Some(G::NewArrivals)).unwrap_err();
        assert_eq!(error.field, "target_group");
        for scope in [
            RuleScope::Default,
            RuleScope::Municipality(4),
            RuleScope::MunicipalityTargetGroup(4, G::Other),
        ] {
            assert_eq!(
                RuleScope::from_parts(scope.municipality_id(), scope.target_group()),
                Ok(scope)
            );
        }
        assert_eq!(RuleScope::Default.kind(), "default");
        assert_eq!(RuleScope::Municipality(1).kind(), "municipality");
        assert_eq!(
            RuleScope::MunicipalityTargetGroup(1, G::Other).kind(),
            "municipality_target_group"
        );
    }

    /// Every combination of present levels, for a case that each level covers and for cases
    /// only some cover.
    #[test]
    fn the_most_specific_covering_rule_wins() {
        let default = || (RuleScope::Default, rule(3));
        let town = || (RuleScope::Municipality(7), rule(5));
        let group = || {
            (
                RuleScope::MunicipalityTargetGroup(7, G::MultilingualChildrenWithLanguageDisorders),
                rule(10),
            )
        };
        let children = G::MultilingualChildrenWithLanguageDisorders;
        type Case = (Vec<(RuleScope, EligibilityRule)>, i64, G, Option<u32>);
        let cases: Vec<Case> = vec![
            (vec![], 7, children, None),
            (vec![default()], 7, children, Some(3)),
            (vec![town()], 7, children, Some(5)),
            (vec![group()], 7, children, Some(10)),
            (vec![default(), town()], 7, children, Some(5)),
            (vec![default(), group()], 7, children, Some(10)),
            (vec![town(), group()], 7, children, Some(10)),
            (vec![default(), town(), group()], 7, children, Some(10)),
            // Order of the rules does not matter.
            (vec![group(), town(), default()], 7, children, Some(10)),
            (vec![town(), default()], 7, children, Some(5)),
            // Another target group in the same town: the town's rule, else the default.
            (vec![default(), town(), group()], 7, G::NewArrivals, Some(5)),
            (vec![default(), group()], 7, G::NewArrivals, Some(3)),
            (vec![group()], 7, G::NewArrivals, None),
            // Another municipality: only the default.
            (vec![default(), town(), group()], 8, children, Some(3)),
            (vec![town(), group()], 8, children, None),
        ];
        for (rules, municipality, target_group, expected) in &cases {
            assert_eq!(
                years(applicable_rule(rules, *municipality, *target_group)),
                *expected,
                "{rules:?} for municipality {municipality}, {target_group:?}"
            );
        }
    }

    #[test]
    fn every_scope_covers_exactly_its_cases() {
        for municipality in [1, 2] {
            for group in G::ALL {
                assert!(RuleScope::Default.covers(municipality, *group));
                assert_eq!(
                    RuleScope::Municipality(1).covers(municipality, *group),
                    municipality == 1
                );
                assert_eq!(
                    RuleScope::MunicipalityTargetGroup(1, G::Other).covers(municipality, *group),
                    municipality == 1 && *group == G::Other
                );
            }
        }
    }

    #[test]
    fn only_local_rules_may_be_deleted() {
        assert!(check_deletable(RuleScope::Default).is_err());
        assert_eq!(check_deletable(RuleScope::Municipality(1)), Ok(()));
        assert_eq!(
            check_deletable(RuleScope::MunicipalityTargetGroup(1, G::NewArrivals)),
            Ok(())
        );
    }
}
