//! Every refusal of a domain rule (`kim_domain`), as the answer the client gets: one `From`
//! each, so a handler writes `?` and the same refusal always reads the same.

use super::{ApiError, FieldError};

impl From<kim_domain::access_change::DecisionRefused> for ApiError {
    fn from(refused: kim_domain::access_change::DecisionRefused) -> Self {
        use kim_domain::access_change::DecisionRefused as Why;
        match refused {
            Why::NotAConfirmer => ApiError::Forbidden(refused.to_string()),
            Why::OwnRequest | Why::OwnAccount => {
                ApiError::ConfirmationRequired(refused.to_string())
            }
            Why::AlreadyDecided(_) => ApiError::Refused {
                slug: "already-decided",
                title: "Already decided",
                detail: refused.to_string(),
            },
        }
    }
}

impl From<kim_domain::field::FieldError> for ApiError {
    fn from(error: kim_domain::field::FieldError) -> Self {
        ApiError::Validation(vec![error.into()])
    }
}

impl From<Vec<kim_domain::field::FieldError>> for ApiError {
    fn from(errors: Vec<kim_domain::field::FieldError>) -> Self {
        let mut fields: Vec<FieldError> = errors.into_iter().map(FieldError::from).collect();
        fields.sort_by(|a, b| a.field.cmp(&b.field));
        ApiError::Validation(fields)
    }
}

impl From<Vec<kim_domain::agreement::RuleViolation>> for ApiError {
    /// An agreement's rule violations (across fields and over its state): a 422 naming each
    /// field.
    fn from(violations: Vec<kim_domain::agreement::RuleViolation>) -> Self {
        ApiError::Validation(
            violations
                .into_iter()
                .map(|v| FieldError::rule(v.field, v.message))
                .collect(),
        )
    }
}

impl From<Vec<kim_domain::survey::Invalid>> for ApiError {
    /// The 422 of a survey rule: each invalid field, named as the client sent it.
    fn from(errors: Vec<kim_domain::survey::Invalid>) -> Self {
        let mut fields: Vec<FieldError> = errors.into_iter().map(FieldError::from).collect();
        fields.sort_by(|a, b| a.field.cmp(&b.field));
        ApiError::Validation(fields)
    }
}

// The domain's refusals: who may not (403), the object's state (409), the input (422). Each
// refusal type is mapped here once, so every operation that meets it answers alike.

/// 409 `consent-missing`: the refusal's text and the data categories no consent covers.
fn consent_missing(detail: String, missing: &[kim_domain::consent::DataCategory]) -> ApiError {
    ApiError::ConsentMissing {
        detail,
        missing_categories: missing.iter().map(|c| c.as_str().to_owned()).collect(),
    }
}

impl From<kim_domain::consent::ConsentMissing> for ApiError {
    fn from(missing: kim_domain::consent::ConsentMissing) -> Self {
        consent_missing(missing.to_string(), &missing.missing)
    }
}

impl From<kim_domain::conference::ConferenceConsentMissing> for ApiError {
    fn from(missing: kim_domain::conference::ConferenceConsentMissing) -> Self {
        consent_missing(missing.to_string(), &missing.missing)
    }
}

impl From<kim_domain::case::CaseTransitionError> for ApiError {
    fn from(error: kim_domain::case::CaseTransitionError) -> Self {
        use kim_domain::case::CaseTransitionError as Why;
        match error {
            Why::Illegal(refused) => ApiError::Conflict(refused.to_string()),
            Why::Invalid(fields) => ApiError::from(fields),
        }
    }
}

impl From<kim_domain::referral::ReferralTransitionError> for ApiError {
    fn from(error: kim_domain::referral::ReferralTransitionError) -> Self {
        use kim_domain::referral::ReferralTransitionError as Why;
        match error {
            Why::WrongSide { .. } => ApiError::Forbidden(error.to_string()),
            Why::Illegal(refused) => ApiError::Conflict(refused.to_string()),
            Why::Invalid(errors) => ApiError::fields_in_order(errors),
            Why::ConsentMissing(missing) => missing.into(),
        }
    }
}

impl From<kim_domain::residence_request::RequestTransitionError> for ApiError {
    fn from(error: kim_domain::residence_request::RequestTransitionError) -> Self {
        use kim_domain::residence_request::RequestTransitionError as Why;
        match error {
            Why::WrongSide { .. } => ApiError::Forbidden(error.to_string()),
            Why::Illegal(illegal) => ApiError::Conflict(illegal.to_string()),
            Why::Invalid(field) => {
                // The domain names the answer and the note apart; the request body has one
                // `text` for both.
                let name = if field.field == "answer" || field.field == "note" {
                    "text"
                } else {
                    field.field
                };
                ApiError::field(name, field.message)
            }
        }
    }
}

impl From<kim_domain::intake_request::IntakeDecisionError> for ApiError {
    fn from(error: kim_domain::intake_request::IntakeDecisionError) -> Self {
        use kim_domain::intake_request::IntakeDecisionError as Why;
        match error {
            Why::AlreadyDecided { .. } => ApiError::Conflict(error.to_string()),
            Why::Invalid(field) => field.into(),
        }
    }
}

impl From<kim_domain::gap::GapStepError> for ApiError {
    fn from(error: kim_domain::gap::GapStepError) -> Self {
        use kim_domain::gap::GapStepError as Why;
        match error {
            Why::WrongRole { .. } | Why::NotInMandatedGroup | Why::NotInSteeringGroup => {
                ApiError::Forbidden(error.to_string())
            }
            Why::NotNow { .. } | Why::Conflict(_) | Why::AlreadyAcknowledged => {
                ApiError::Conflict(error.to_string())
            }
            Why::Invalid(errors) => errors.into(),
            Why::UnknownMeeting { .. } => ApiError::reference("meeting_id", error.to_string()),
            Why::NotASteeringMeeting { .. } => ApiError::field("meeting_id", error.to_string()),
            Why::UnknownProjectGroup { .. } => {
                ApiError::reference("project_group_ids", error.to_string())
            }
            Why::NotAProjectGroup { .. } => ApiError::field("project_group_ids", error.to_string()),
            Why::UnknownMergeTarget { .. } => ApiError::reference("merge_into", error.to_string()),
            Why::NotAnUndecidedSolution { .. } => {
                ApiError::rule("accepted_solution_ids", error.to_string())
            }
        }
    }
}

impl From<kim_domain::gap_contribution::ContributionRefusal> for ApiError {
    fn from(refusal: kim_domain::gap_contribution::ContributionRefusal) -> Self {
        use kim_domain::gap_contribution::ContributionRefusal as Why;
        match refusal {
            Why::Invalid(errors) => ApiError::fields_in_order(errors),
            other @ Why::NotNow { .. } => ApiError::Conflict(other.to_string()),
        }
    }
}

impl From<kim_domain::programme_document::FeedbackRefusal> for ApiError {
    fn from(refusal: kim_domain::programme_document::FeedbackRefusal) -> Self {
        use kim_domain::programme_document::FeedbackRefusal as Why;
        match refusal {
            Why::NotYours(why) => ApiError::Forbidden(why.into()),
            Why::Field(field, message) => ApiError::rule(field, message),
        }
    }
}

impl From<kim_domain::erasure::ErasureRefusal> for ApiError {
    fn from(refusal: kim_domain::erasure::ErasureRefusal) -> Self {
        use kim_domain::erasure::ErasureRefusal as Why;
        match refusal {
            Why::AlreadyErased => ApiError::Refused {
                slug: "already-erased",
                title: "Already erased",
                detail: refusal.to_string(),
            },
            Why::LegalHold { .. } => ApiError::Refused {
                slug: "legal-hold",
                title: "Under legal hold",
                detail: refusal.to_string(),
            },
        }
    }
}

impl From<kim_domain::erasure::HoldRefusal> for ApiError {
    fn from(refusal: kim_domain::erasure::HoldRefusal) -> Self {
        use kim_domain::erasure::HoldRefusal as Why;
        let slug = match refusal {
            Why::AlreadyHeld => "legal-hold",
            Why::NotHeld => "no-legal-hold",
        };
        ApiError::Refused {
            slug,
            title: "Legal hold",
            detail: refusal.to_string(),
        }
    }
}
