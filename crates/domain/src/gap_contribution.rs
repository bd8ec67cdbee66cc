//! Externe Mitwirkung: organisations that are members of a project group (welfare
//! organisations, migrant self-organisations, volunteer initiatives) contribute to the gaps
//! their group is mandated with, through their own systems (partner tokens with scope
//! `gaps:contribute`). They see such a gap without its reports (no case links, no reporters'
//! names) and may send a proposed solution while the group works on the mandate, and feedback
//! once solutions are on the table. A contribution never moves the gap: the group's people take
//! the `solutions` step, using what the members sent.

use crate::field::{required_text, FieldError};
use crate::gap::{FeedbackRating, GapStage};

crate::vocabulary! {
    /// Art des Beitrags (kind of contribution).
    pub enum ContributionKind {
        /// Lösungsvorschlag: while the group works on the mandate (`mandated`).
        Solution => "solution",
        /// Rückmeldung: on proposed, decided or applied solutions.
        Feedback => "feedback",
    }
}

/// The stages in which a kind of contribution is taken.
pub fn open_stages(kind: ContributionKind) -> &'static [GapStage] {
    match kind {
        ContributionKind::Solution => &[GapStage::Mandated],
        ContributionKind::Feedback => &[
            GapStage::SolutionsProposed,
            GapStage::SolutionsDecided,
            GapStage::Communicated,
            GapStage::InApplication,
        ],
    }
}

/// Whether an organisation sees a gap: one of the project groups it is a member of is named by
/// one of the gap's mandates (a group keeps seeing the gap it worked on).
pub fn organisation_sees_gap(member_of: &[i64], mandated_groups: &[i64]) -> bool {
    member_of.iter().any(|g| mandated_groups.contains(g))
}

/// A contribution as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContribution {
    pub kind: ContributionKind,
    pub text: String,
    /// Feedback only.
    pub rating: Option<FeedbackRating>,
}

/// Why a contribution is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContributionRefusal {
    /// The gap is not in a stage for this kind (409).
    NotNow {
        kind: ContributionKind,
        stage: GapStage,
    },
    /// The input is invalid (422).
    Invalid(Vec<FieldError>),
}

impl std::fmt::Display for ContributionRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ContributionRefusal::NotNow { kind, stage } => {
                let open: Vec<&str> = open_stages(*kind).iter().map(|s| s.as_str()).collect();
                write!(
                    f,
                    "a {kind} cannot be sent while the gap is {stage}; it can in: {}",
                    open.join(", ")
                )
            }
            ContributionRefusal::Invalid(errors) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
                write!(f, "invalid fields: {}", fields.join(", "))
            }
        }
    }
}

/// Checks a contribution: the text (1 to 2000 characters, not blank, trimmed), a rating only on
/// feedback (422 `rule`), and then the gap's stage (409).
pub fn check_contribution(
    stage: GapStage,
    kind: ContributionKind,
    text: Option<&str>,
    rating: Option<FeedbackRating>,
) -> Result<NewContribution, ContributionRefusal> {
    let mut errors = Vec::new();
    let text = required_text("text", text).map_err(|e| errors.push(e)).ok();
    if rating.is_some() && kind != ContributionKind::Feedback {
        errors.push(FieldError::rule("rating", "only feedback carries a rating"));
    }
    if !errors.is_empty() {
        return Err(ContributionRefusal::Invalid(errors));
    }
    if !open_stages(kind).contains(&stage) {
        return Err(ContributionRefusal::NotNow { kind, stage });
    }
    Ok(NewContribution {
        kind,
        text: text.unwrap_or_default(),
        rating,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solutions_only_while_mandated_feedback_once_solutions_exist() {
        for stage in GapStage::ALL {
            let solution = check_contribution(*stage, ContributionKind::Solution, Some("x"), None);
            assert_eq!(solution.is_ok(), *stage == GapStage::Mandated, "{stage}");
            let feedback = check_contribution(
                *stage,
                ContributionKind::Feedback,
                Some("x"),
                Some(FeedbackRating::PartlyEffective),
            );
            assert_eq!(
                feedback.is_ok(),
                matches!(
                    stage,
                    GapStage::SolutionsProposed
                        | GapStage::SolutionsDecided
                        | GapStage::Communicated
                        | GapStage::InApplication
                ),
                "{stage}"
            );
        }
    }

    #[test]
    fn text_is_required_and_trimmed() {
        let ok = check_contribution(
            GapStage::Mandated,
            ContributionKind::Solution,
            Some("  Kita-Lotsen  "),
            None,
        )
        .unwrap();
        assert_eq!(ok.text, "Kita-Lotsen");
        for bad in [None, Some(""), Some("   ")] {
            let refused =
                check_contribution(GapStage::Mandated, ContributionKind::Solution, bad, None);
            let Err(ContributionRefusal::Invalid(errors)) = refused else {
                panic!("{bad:?} accepted");
            };
            assert_eq!(errors[0].field, "text");
        }
        let long = "x".repeat(2001);
        assert!(check_contribution(
            GapStage::Mandated,
            ContributionKind::Solution,
            Some(&long),
            None
        )
        .is_err());
    }

    #[test]
    fn a_rating_belongs_to_feedback_and_bad_input_is_named_before_the_stage() {
        let refused = check_contribution(
            GapStage::Reported,
            ContributionKind::Solution,
            Some("x"),
            Some(FeedbackRating::Effective),
        );
        let Err(ContributionRefusal::Invalid(errors)) = refused else {
            panic!("accepted");
        };
        assert_eq!(errors[0].field, "rating");
        assert_eq!(errors[0].kind, crate::field::FieldErrorKind::Rule);
        let refused = check_contribution(
            GapStage::Reported,
            ContributionKind::Feedback,
            Some("x"),
            None,
        );
        assert!(matches!(refused, Err(ContributionRefusal::NotNow { .. })));
        assert!(refused.unwrap_err().to_string().contains("in_application"));
    }

    #[test]
    fn an_organisation_sees_the_gaps_of_its_mandated_groups() {
        assert!(organisation_sees_gap(&[3, 7], &[7]));
        assert!(!organisation_sees_gap(&[3], &[7, 8]));
        assert!(!organisation_sees_gap(&[], &[7]));
        assert!(!organisation_sees_gap(&[3], &[]));
    }
}
