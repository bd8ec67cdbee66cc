//! Documents of the programme (Dokumente des Programms): the county-wide CM concept, templates,
//! quality standards and the integration concept, in versions (Fassungen).
//!
//! Every version is its own record, linked to its predecessor; a document is the chain of its
//! versions. Acknowledgements ("gelesen und angewendet") and feedback belong to the exact
//! version a person read, and an adopted version never changes, so a new version is a new row
//! rather than an edit of the old one.
//!
//! | from         | allowed to   | how                                                      |
//! |--------------|--------------|----------------------------------------------------------|
//! | `draft`      | `adopted`    | by a decision (`adopted`) of a meeting of the steering group |
//! | `adopted`    | `superseded` | only when the next version of the same document is adopted, in the same transaction |
//! | `superseded` | nothing      | final                                                    |
//!
//! Only a draft can be edited. The next version is drafted from the adopted one (one draft at a
//! time per document). Case managers acknowledge adopted versions; feedback is taken on drafts
//! (consultation) and adopted versions (practice), not on superseded ones.

use chrono::NaiveDate;

use crate::body::{BodyKind, DecisionOutcome};
use crate::transition::IllegalTransition;

crate::vocabulary! {
    /// Art des Programmdokuments (kind of programme document).
    pub enum DocumentKind {
        /// Kreisweites CM-Konzept (county-wide case-management concept).
        CmConcept => "cm_concept",
        /// Einheitliche Vorlage (template, e.g. a help plan or consent form).
        Template => "template",
        /// Qualitätsstandard (quality standard).
        QualityStandard => "quality_standard",
        /// Integrationskonzept (integration concept of the county).
        IntegrationConcept => "integration_concept",
    }
}

crate::vocabulary! {
    /// Status einer Fassung (status of a document version).
    pub enum DocumentStatus {
        /// Entwurf: being written; the only status in which a version can be edited.
        Draft => "draft",
        /// Beschlossen: adopted by a decision of the steering group; in force.
        Adopted => "adopted",
        /// Abgelöst: replaced by the adoption of a later version (final).
        Superseded => "superseded",
    }
}

crate::vocabulary! {
    /// Herkunft einer Rückmeldung (source of feedback on a document).
    pub enum FeedbackSource {
        /// A case manager, in their own name.
        CaseManager => "case_manager",
        /// A body (Gremium), recorded by the coordination; names the body.
        Body => "body",
        /// The target group: feedback of clients, recorded anonymously (no client, no name).
        Client => "client",
    }
}

impl DocumentStatus {
    /// Where a version may go from this status (see the module table).
    pub fn allowed_next(self) -> &'static [DocumentStatus] {
        use DocumentStatus::*;
        match self {
            Draft => &[Adopted],
            Adopted => &[Superseded],
            Superseded => &[],
        }
    }

    pub fn transition(self, to: DocumentStatus) -> Result<DocumentStatus, IllegalTransition> {
        IllegalTransition::check(self, to, self.allowed_next(), Self::as_str)
    }

    /// Only a draft can be edited; an adopted version is what people acknowledged.
    pub fn check_editable(self) -> Result<(), String> {
        if self == DocumentStatus::Draft {
            Ok(())
        } else {
            Err(format!(
                "only a draft can be edited; this version is '{self}': draft the next version \
                 with POST /programme-documents/{{id}}/versions"
            ))
        }
    }

    /// The next version is drafted from the version in force, and only when no draft of the
    /// same document is open (`open_draft` names it).
    pub fn check_next_version(self, open_draft: Option<i64>) -> Result<(), String> {
        if self != DocumentStatus::Adopted {
            return Err(format!(
                "the next version is drafted from the adopted version; this one is '{self}'"
            ));
        }
        match open_draft {
            Some(draft) => Err(format!(
                "version {draft} of this document is already a draft: edit that one"
            )),
            None => Ok(()),
        }
    }

    /// Case managers acknowledge the version in force only.
    pub fn check_acknowledgeable(self) -> Result<(), String> {
        if self == DocumentStatus::Adopted {
            Ok(())
        } else {
            Err(format!(
                "only an adopted version can be acknowledged; this one is '{self}'"
            ))
        }
    }

    /// Feedback is taken on drafts and adopted versions, not on superseded ones.
    pub fn check_open_for_feedback(self) -> Result<(), String> {
        if self == DocumentStatus::Superseded {
            Err("this version is superseded: give feedback on the version in force".into())
        } else {
            Ok(())
        }
    }
}

/// Whether a decision may adopt a document: it must have been taken in a meeting of the
/// steering group (Lenkungsgruppe) that has been held (`held_on` not after `today`), and say
/// `adopted`. The error is for the `decision_id` field.
pub fn check_adopting_decision(
    meeting_body: BodyKind,
    outcome: DecisionOutcome,
    held_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), String> {
    if meeting_body != BodyKind::SteeringGroup {
        return Err(format!(
            "the decision was taken by a body of kind '{meeting_body}'; only a decision of the \
             steering group adopts a programme document"
        ));
    }
    if outcome != DecisionOutcome::Adopted {
        return Err(format!(
            "the decision's outcome is '{outcome}'; only an 'adopted' decision adopts a \
             programme document"
        ));
    }
    if held_on > today {
        return Err(format!(
            "the decision belongs to a meeting planned for {held_on}; a document is adopted \
             by a meeting that has been held"
        ));
    }
    Ok(())
}

/// What the caller may do about feedback: give it in their own name (case managers) and/or
/// record it for a body or for clients (the coordination).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedbackRights {
    pub own: bool,
    pub on_behalf: bool,
}

/// Whether a caller with `rights` may enter feedback from `source`, and whether `body_id` fits
/// it: a body's feedback names the body; a case manager's and clients' name none. `Err` is
/// `(field, message)`; a source the caller may not enter is `Err(("source", …))` and answered
/// 403 by the caller of this function.
pub fn check_feedback(
    rights: FeedbackRights,
    source: FeedbackSource,
    body_id: Option<i64>,
) -> Result<(), FeedbackRefusal> {
    let allowed = match source {
        FeedbackSource::CaseManager => rights.own,
        FeedbackSource::Body | FeedbackSource::Client => rights.on_behalf,
    };
    if !allowed {
        return Err(FeedbackRefusal::NotYours(match source {
            FeedbackSource::CaseManager => {
                "only a case manager gives feedback as 'case_manager', in their own name"
            }
            _ => {
                "feedback of a body or of clients is recorded by the KI lead, the coordination \
                  or the CM coordination"
            }
        }));
    }
    match (source, body_id) {
        (FeedbackSource::Body, None) => Err(FeedbackRefusal::Field(
            "body_id",
            "feedback of a body names the body",
        )),
        (FeedbackSource::CaseManager | FeedbackSource::Client, Some(_)) => Err(
            FeedbackRefusal::Field("body_id", "only feedback of a body names a body"),
        ),
        _ => Ok(()),
    }
}

/// Why feedback cannot be entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedbackRefusal {
    /// The caller may not enter feedback from this source (403).
    NotYours(&'static str),
    /// A field does not fit the source (422 `rule`).
    Field(&'static str, &'static str),
}

/// An attachment link: `https://` followed by at least one character and no white space
/// (the OpenAPI pattern `^https://\S+$`, white space as ECMAScript regular expressions read
/// `\s`, so that the document and the server agree on every character).
pub fn is_attachment_url(value: &str) -> bool {
    value
        .strip_prefix("https://")
        .is_some_and(|rest| !rest.is_empty() && !rest.chars().any(is_ecma_space))
}

/// ECMAScript's `\s`: WhiteSpace and LineTerminator (Unicode `Zs`, tab, vertical tab, form
/// feed, no-break space, BOM, line feed, carriage return, line and paragraph separators).
/// Unlike `char::is_whitespace` it does not include U+0085.
fn is_ecma_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use DocumentStatus::*;

    /// The whole machine: every pair of statuses.
    #[test]
    fn status_machine() {
        for from in DocumentStatus::ALL {
            for to in DocumentStatus::ALL {
                let expected = matches!((from, to), (Draft, Adopted) | (Adopted, Superseded));
                assert_eq!(from.transition(*to).is_ok(), expected, "{from} -> {to}");
            }
        }
        let refused = Superseded.transition(Adopted).unwrap_err();
        assert!(refused.to_string().ends_with("nothing (final state)"));
        assert_eq!(
            Draft.transition(Superseded).unwrap_err().allowed,
            vec!["adopted"]
        );
    }

    #[test]
    fn only_drafts_are_edited() {
        for status in DocumentStatus::ALL {
            assert_eq!(
                status.check_editable().is_ok(),
                *status == Draft,
                "{status}"
            );
        }
        assert!(Adopted.check_editable().unwrap_err().contains("/versions"));
    }

    #[test]
    fn next_version_from_the_adopted_one_without_an_open_draft() {
        for status in DocumentStatus::ALL {
            assert_eq!(
                status.check_next_version(None).is_ok(),
                *status == Adopted,
                "{status}"
            );
            assert!(status.check_next_version(Some(7)).is_err(), "{status}");
        }
        assert!(Adopted
            .check_next_version(Some(7))
            .unwrap_err()
            .contains("version 7"));
    }

    #[test]
    fn acknowledged_only_when_adopted_and_feedback_until_superseded() {
        for status in DocumentStatus::ALL {
            assert_eq!(
                status.check_acknowledgeable().is_ok(),
                *status == Adopted,
                "{status}"
            );
            assert_eq!(
                status.check_open_for_feedback().is_ok(),
                *status != Superseded,
                "{status}"
            );
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    /// Every body kind against every outcome and meeting date: only the steering group's
    /// `adopted` of a meeting held (today or before) adopts.
    #[test]
    fn only_an_adopted_decision_of_a_held_steering_group_meeting_adopts() {
        let today = day(15);
        for body in BodyKind::ALL {
            for outcome in DecisionOutcome::ALL {
                for held_on in [day(1), today, day(16)] {
                    let expected = *body == BodyKind::SteeringGroup
                        && *outcome == DecisionOutcome::Adopted
                        && held_on <= today;
                    assert_eq!(
                        check_adopting_decision(*body, *outcome, held_on, today).is_ok(),
                        expected,
                        "{body} / {outcome} / {held_on}"
                    );
                }
            }
        }
        let refusal = |body, outcome, held_on| {
            check_adopting_decision(body, outcome, held_on, today).unwrap_err()
        };
        assert!(
            refusal(BodyKind::WorkingGroup, DecisionOutcome::Adopted, today)
                .contains("'working_group'")
        );
        assert!(
            refusal(BodyKind::SteeringGroup, DecisionOutcome::Deferred, today)
                .contains("'deferred'")
        );
        assert!(
            refusal(BodyKind::SteeringGroup, DecisionOutcome::Adopted, day(16))
                .contains("2026-11-16")
        );
    }

    /// Every combination of rights, source and body.
    #[test]
    fn who_enters_which_feedback() {
        for own in [false, true] {
            for on_behalf in [false, true] {
                let rights = FeedbackRights { own, on_behalf };
                for source in FeedbackSource::ALL {
                    for body in [None, Some(3)] {
                        let result = check_feedback(rights, *source, body);
                        let may = match source {
                            FeedbackSource::CaseManager => own,
                            _ => on_behalf,
                        };
                        let fits = (*source == FeedbackSource::Body) == body.is_some();
                        let expected = match (may, fits) {
                            (false, _) => Err("forbidden"),
                            (true, false) => Err("body_id"),
                            (true, true) => Ok(()),
                        };
                        let got = result.map_err(|r| match r {
                            FeedbackRefusal::NotYours(_) => "forbidden",
                            FeedbackRefusal::Field(field, _) => field,
                        });
                        assert_eq!(got, expected, "{rights:?} {source} {body:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn attachment_links_are_https() {
        assert!(is_attachment_url(
            "https://www.rhein-sieg-kreis.de/kim/cm-konzept.pdf"
        ));
        // Not white space for ECMAScript, so the pattern allows it.
        assert!(is_attachment_url("https://example.org/\u{85}"));
        for bad in [
            "http://example.org/a.pdf",
            "https://",
            "https://exa mple.org",
            "https://example.org/\u{feff}",
            "https://example.org/\u{3000}",
            "ftp://x",
            "",
            " https://example.org",
        ] {
            assert!(!is_attachment_url(bad), "{bad}");
        }
    }
}
