//! Help plan (Hilfeplan) and contact documentation: the small vocabularies of goals and
//! contacts, and the bounds of a contact's duration.
//!
//! Decision where the issue was silent: a goal's status is set freely among open, achieved and
//! dropped (a goal marked achieved by mistake can be reopened); the progress notes keep the
//! history, so no state machine is imposed.

crate::vocabulary! {
    /// Stand eines Ziels im Hilfeplan (status of a help-plan goal).
    pub enum GoalStatus {
        /// Offen (being worked on)
        Open => "open",
        /// Erreicht (achieved)
        Achieved => "achieved",
        /// Verworfen (dropped)
        Dropped => "dropped",
    }
}

crate::vocabulary! {
    /// Art des Kontakts (kind of a documented contact).
    pub enum ContactKind {
        /// Persönlich (in person, at the office)
        InPerson => "in_person",
        /// Telefonisch (phone)
        Phone => "phone",
        /// Video
        Video => "video",
        /// Hausbesuch (home visit)
        HomeVisit => "home_visit",
        /// Begleitung (accompanying the client, e.g. to an authority)
        Accompaniment => "accompaniment",
        /// Mit einer Organisation (with an organisation, about the client)
        WithOrganisation => "with_organisation",
    }
}

/// The longest contact: one day.
pub const MAX_CONTACT_MINUTES: i32 = 1440;

/// A contact lasts 1 to 1440 minutes.
pub fn check_duration(minutes: i32) -> Result<(), String> {
    if (1..=MAX_CONTACT_MINUTES).contains(&minutes) {
        Ok(())
    } else {
        Err(format!("must be 1 to {MAX_CONTACT_MINUTES} minutes"))
    }
}

/// An open goal whose target date has passed: it belongs on the case manager's work list.
pub fn is_overdue(
    status: GoalStatus,
    target_on: Option<chrono::NaiveDate>,
    today: chrono::NaiveDate,
) -> bool {
    status == GoalStatus::Open && target_on.is_some_and(|target| target < today)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_bounded_to_a_day() {
        for ok in [1, 45, 1440] {
            assert!(check_duration(ok).is_ok(), "{ok}");
        }
        for bad in [-5, 0, 1441] {
            assert!(check_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn vocabularies_round_trip() {
        for status in GoalStatus::ALL {
            assert_eq!(GoalStatus::parse(status.as_str()), Ok(*status));
        }
        for kind in ContactKind::ALL {
            assert_eq!(ContactKind::parse(kind.as_str()), Ok(*kind));
        }
    }

    #[test]
    fn only_open_goals_past_their_target_are_overdue() {
        let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 5, d).unwrap();
        for status in GoalStatus::ALL {
            assert_eq!(
                is_overdue(*status, Some(day(1)), day(2)),
                *status == GoalStatus::Open,
                "{status}"
            );
            assert!(
                !is_overdue(*status, Some(day(2)), day(2)),
                "not on the target day itself"
            );
            assert!(
                !is_overdue(*status, None, day(2)),
                "no target, never overdue"
            );
        }
    }
}
