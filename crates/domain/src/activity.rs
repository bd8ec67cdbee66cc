//! Public relations and reports to bodies (Öffentlichkeitsarbeit, Berichte an Gremien): what
//! kinds there are, and which results an activity may use. The gap process decides the
//! publicity of each solved gap ([`Publicity`]); an activity that names a gap or a decision
//! about it must stay within what was decided: public kinds only for `public` results, reports
//! to the administration and to political bodies for `internal` or `public` ones.

use crate::gap::Publicity;

crate::vocabulary! {
    /// Art der Aktivität (kind of activity).
    pub enum ActivityKind {
        /// Pressemitteilung.
        PressRelease => "press_release",
        /// Veranstaltung (public event).
        Event => "event",
        /// Beitrag auf der Website.
        WebArticle => "web_article",
        /// Bericht in einem Ausschuss (council committee report).
        CommitteeReport => "committee_report",
        /// Bürgermeisterkonferenz (mayors' conference).
        MayorsConference => "mayors_conference",
        /// Amtsleitungsrunde (heads-of-office meeting).
        HeadsOfOfficeMeeting => "heads_of_office_meeting",
    }
}

impl ActivityKind {
    /// Whether the activity reaches the public (rather than the administration and its bodies).
    pub fn is_public(self) -> bool {
        matches!(
            self,
            ActivityKind::PressRelease | ActivityKind::Event | ActivityKind::WebArticle
        )
    }

    /// Whether results decided with `publicity` may be used in an activity of this kind; a gap
    /// without a publicity decision (not solved yet) may not. The error says what was decided.
    pub fn may_use(self, publicity: Option<Publicity>) -> Result<(), String> {
        let allowed = match publicity {
            Some(Publicity::Public) => true,
            Some(Publicity::Internal) => !self.is_public(),
            Some(Publicity::None) | None => false,
        };
        if allowed {
            return Ok(());
        }
        let decided = publicity.map_or("no publicity decision yet", |p| match p {
            Publicity::None => "publicity 'none'",
            Publicity::Internal => "publicity 'internal'",
            Publicity::Public => "publicity 'public'",
        });
        let needed = if self.is_public() {
            "'public'"
        } else {
            "'internal' or 'public'"
        };
        Err(format!(
            "the steering group decided {decided}; a {} needs {needed}",
            self.as_str()
        ))
    }
}

/// The quarter (1 to 4) of a month (1 to 12).
pub fn quarter_of(month: u32) -> u32 {
    month.clamp(1, 12).div_ceil(3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ActivityKind::*;

    #[test]
    fn which_kinds_are_public() {
        let public: Vec<_> = ActivityKind::ALL.iter().filter(|k| k.is_public()).collect();
        assert_eq!(public, vec![&PressRelease, &Event, &WebArticle]);
    }

    /// The whole table: every kind against every publicity decision.
    #[test]
    fn what_each_kind_may_use() {
        for kind in ActivityKind::ALL {
            for publicity in [
                None,
                Some(Publicity::None),
                Some(Publicity::Internal),
                Some(Publicity::Public),
            ] {
                let expected = match publicity {
                    Some(Publicity::Public) => true,
                    Some(Publicity::Internal) => !kind.is_public(),
                    _ => false,
                };
                assert_eq!(
                    kind.may_use(publicity).is_ok(),
                    expected,
                    "{kind} / {publicity:?}"
                );
            }
        }
    }

    #[test]
    fn a_refusal_names_what_was_decided_and_what_is_needed() {
        let refused = PressRelease.may_use(Some(Publicity::Internal)).unwrap_err();
        assert!(
            refused.contains("'internal'") && refused.contains("needs 'public'"),
            "{refused}"
        );
        let unsolved = CommitteeReport.may_use(None).unwrap_err();
        assert!(
            unsolved.contains("no publicity decision")
                && unsolved.contains("'internal' or 'public'"),
            "{unsolved}"
        );
    }

    #[test]
    fn quarters() {
        let quarters: Vec<u32> = (1..=12).map(quarter_of).collect();
        assert_eq!(quarters, vec![1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
    }
}
