//! Qualification (Qualifizierung): courses, who took them, and what a function still owes.
//!
//! The concept puts every new post through a qualification phase (the staffing phase
//! [`StaffingPhase::Qualification`](crate::staffing::StaffingPhase)) and makes some courses
//! mandatory for some functions. A participation is recorded either for a member of staff (their
//! account) or for a position (when the course belongs to the post, whoever holds it); a holder's
//! qualification is what either records.

use crate::field::FieldError;
use crate::report::disclosure::{self, Cell};
use crate::staffing::PositionFunction;

/// Whom a participation belongs to: exactly one of an account or a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Participant {
    Account(i64),
    Position(i64),
}

impl Participant {
    /// From the two optional fields of a request: exactly one must be given (422 `rule`).
    pub fn from_fields(
        user_id: Option<i64>,
        position_id: Option<i64>,
    ) -> Result<Participant, FieldError> {
        match (user_id, position_id) {
            (Some(user), None) => Ok(Participant::Account(user)),
            (None, Some(position)) => Ok(Participant::Position(position)),
            (Some(_), Some(_)) => Err(FieldError::rule(
                "position_id",
                "give either user_id or position_id, not both",
            )),
            (None, None) => Err(FieldError::rule(
                "user_id",
                "give the member of staff (user_id) or the position (position_id)",
            )),
        }
    }

    pub fn user_id(self) -> Option<i64> {
        match self {
            Participant::Account(id) => Some(id),
            Participant::Position(_) => None,
        }
    }

    pub fn position_id(self) -> Option<i64> {
        match self {
            Participant::Position(id) => Some(id),
            Participant::Account(_) => None,
        }
    }

    /// Whether this participation counts for `position_id` held by `holder_user_id`.
    pub fn counts_for(self, position_id: i64, holder_user_id: Option<i64>) -> bool {
        match self {
            Participant::Position(id) => id == position_id,
            Participant::Account(id) => holder_user_id == Some(id),
        }
    }
}

/// A course as the qualification rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub course_id: i64,
    pub mandatory_for: Vec<PositionFunction>,
}

/// A participation as the qualification rules need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attendance {
    pub course_id: i64,
    pub participant: Participant,
    pub completed: bool,
}

/// What a position's holder has and what is still due for the position's function.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Standing {
    /// Courses completed (any course, mandatory or not), by id, ascending.
    pub completed: Vec<i64>,
    /// Courses started but not completed, by id, ascending.
    pub in_progress: Vec<i64>,
    /// Mandatory courses for the function not completed yet (in progress ones included), ascending.
    pub due: Vec<i64>,
}

/// The standing of position `position_id` (function `function`, held by `holder_user_id`): a
/// course is completed when any participation that counts for it (the position's own, or the
/// holder's account) is completed.
pub fn standing(
    position_id: i64,
    function: PositionFunction,
    holder_user_id: Option<i64>,
    courses: &[Requirement],
    attendances: &[Attendance],
) -> Standing {
    let counting: Vec<&Attendance> = attendances
        .iter()
        .filter(|a| a.participant.counts_for(position_id, holder_user_id))
        .collect();
    let mut completed: Vec<i64> = counting
        .iter()
        .filter(|a| a.completed)
        .map(|a| a.course_id)
        .collect();
    completed.sort_unstable();
    completed.dedup();
    let mut in_progress: Vec<i64> = counting
        .iter()
        .filter(|a| !a.completed && !completed.contains(&a.course_id))
        .map(|a| a.course_id)
        .collect();
    in_progress.sort_unstable();
    in_progress.dedup();
    let mut due: Vec<i64> = courses
        .iter()
        .filter(|c| c.mandatory_for.contains(&function) && !completed.contains(&c.course_id))
        .map(|c| c.course_id)
        .collect();
    due.sort_unstable();
    due.dedup();
    Standing {
        completed,
        in_progress,
        due,
    }
}

/// One line of the completion report: a mandatory course for one function, how many staffed
/// positions of the function there are and how many of them completed the course.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Completion {
    pub positions: u64,
    pub completed: u64,
}

/// A line as shown: `None` where withheld.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShownCompletion {
    pub positions: Option<u64>,
    pub completed: Option<u64>,
    pub due: Option<u64>,
}

/// Protects the completion lines: each counts people (the holders of the positions), so the
/// completed and the still-due counts are a table whose row totals are the positions, protected
/// with the reports' primary and secondary suppression ([`disclosure::protect`]). Without it, a
/// function held by two people would show which of them has not taken a mandatory course.
pub fn protect_completion(lines: &[Completion], min_cell: u64) -> Vec<ShownCompletion> {
    let cells: Vec<Cell> = lines
        .iter()
        .enumerate()
        .flat_map(|(row, line)| {
            [
                Cell {
                    row,
                    col: 0,
                    count: line.completed,
                },
                Cell {
                    row,
                    col: 1,
                    count: line.positions.saturating_sub(line.completed),
                },
            ]
        })
        .collect();
    let suppression = disclosure::protect(&cells, min_cell);
    lines
        .iter()
        .enumerate()
        .map(|(row, line)| ShownCompletion {
            positions: disclosure::shown(line.positions, suppression.rows[row]),
            completed: disclosure::shown(line.completed, suppression.cells[2 * row]),
            due: disclosure::shown(
                line.positions.saturating_sub(line.completed),
                suppression.cells[2 * row + 1],
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::FieldErrorKind;
    use PositionFunction::*;

    #[test]
    fn a_participation_belongs_to_exactly_one_account_or_position() {
        assert_eq!(
            Participant::from_fields(Some(3), None),
            Ok(Participant::Account(3))
        );
        assert_eq!(
            Participant::from_fields(None, Some(4)),
            Ok(Participant::Position(4))
        );
        let both = Participant::from_fields(Some(3), Some(4)).unwrap_err();
        assert_eq!(
            (both.field, both.kind),
            ("position_id", FieldErrorKind::Rule)
        );
        let neither = Participant::from_fields(None, None).unwrap_err();
        assert_eq!(
            (neither.field, neither.kind),
            ("user_id", FieldErrorKind::Rule)
        );
        assert_eq!(Participant::Account(3).user_id(), Some(3));
        assert_eq!(Participant::Account(3).position_id(), None);
        assert_eq!(Participant::Position(4).position_id(), Some(4));
        assert_eq!(Participant::Position(4).user_id(), None);
    }

    #[test]
    fn what_counts_for_a_position() {
        assert!(Participant::Position(7).counts_for(7, None));
        assert!(!Participant::Position(8).counts_for(7, Some(3)));
        assert!(Participant::Account(3).counts_for(7, Some(3)));
        assert!(!Participant::Account(4).counts_for(7, Some(3)));
        assert!(
            !Participant::Account(3).counts_for(7, None),
            "a vacant position inherits no one's courses"
        );
    }

    fn course(id: i64, mandatory_for: &[PositionFunction]) -> Requirement {
        Requirement {
            course_id: id,
            mandatory_for: mandatory_for.to_vec(),
        }
    }

    fn took(course_id: i64, participant: Participant, completed: bool) -> Attendance {
        Attendance {
            course_id,
            participant,
            completed,
        }
    }

    #[test]
    fn standing_of_a_holder() {
        let courses = [
            course(1, &[CaseManagement, CmCoordination]),
            course(2, &[CaseManagement]),
            course(3, &[StrategicCoordination]),
            course(4, &[]),
            course(5, &[CaseManagement]),
        ];
        let attendances = [
            // The holder's own completed course 1, twice (a refresher): listed once.
            took(1, Participant::Account(9), true),
            took(1, Participant::Account(9), true),
            // Course 2 taken for the post, not completed: still due, in progress.
            took(2, Participant::Position(7), false),
            // An optional course completed for the post.
            took(4, Participant::Position(7), true),
            // Course 5: a failed attempt and then a completed one: completed, not in progress.
            took(5, Participant::Account(9), false),
            took(5, Participant::Position(7), true),
            // Someone else's and another post's participations do not count.
            took(2, Participant::Account(10), true),
            took(2, Participant::Position(8), true),
        ];
        let standing = standing(7, CaseManagement, Some(9), &courses, &attendances);
        assert_eq!(
            standing,
            Standing {
                completed: vec![1, 4, 5],
                in_progress: vec![2],
                due: vec![2],
            }
        );
    }

    #[test]
    fn a_vacant_position_owes_every_mandatory_course_it_did_not_take_itself() {
        let courses = [
            course(1, &[ImmigrationOffice]),
            course(2, &[CaseManagement]),
        ];
        let attendances = [took(1, Participant::Account(9), true)];
        let vacant = standing(7, ImmigrationOffice, None, &courses, &attendances);
        assert_eq!(vacant.due, vec![1]);
        assert!(vacant.completed.is_empty() && vacant.in_progress.is_empty());
        let held = standing(7, ImmigrationOffice, Some(9), &courses, &attendances);
        assert_eq!((held.completed, held.due), (vec![1], vec![]));
    }

    #[test]
    fn a_function_without_mandatory_courses_owes_nothing() {
        let courses = [course(1, &[CaseManagement])];
        for function in PositionFunction::ALL {
            let owed = standing(1, *function, None, &courses, &[]).due;
            assert_eq!(owed.is_empty(), *function != CaseManagement, "{function}");
        }
    }

    fn line(positions: u64, completed: u64) -> Completion {
        Completion {
            positions,
            completed,
        }
    }

    #[test]
    fn completion_large_enough_is_shown_whole() {
        let shown = protect_completion(&[line(12, 7), line(10, 0)], 5);
        assert_eq!(
            shown,
            vec![
                ShownCompletion {
                    positions: Some(12),
                    completed: Some(7),
                    due: Some(5)
                },
                ShownCompletion {
                    positions: Some(10),
                    completed: Some(0),
                    due: Some(10)
                },
            ]
        );
    }

    #[test]
    fn a_small_count_hides_itself_and_what_would_give_it_away() {
        // 10 positions, 8 completed, 2 due: the 2 is small; the 8 would give it away from the
        // row total, so one of the two is withheld with it, and the column lines cascade.
        let shown = protect_completion(&[line(10, 8), line(20, 15)], 5);
        assert_eq!(shown[0].due, None);
        let hidden_in_row_0 = [shown[0].positions, shown[0].completed]
            .iter()
            .filter(|v| v.is_none())
            .count();
        assert!(hidden_in_row_0 >= 1, "{shown:?}");
        // Column "due" has 2 and 5: the 5 goes too, else 2 = total - 5.
        assert_eq!(shown[1].due, None, "{shown:?}");
    }

    #[test]
    fn zero_is_shown_and_every_line_has_three_values() {
        let shown = protect_completion(&[line(0, 0)], 5);
        assert_eq!(
            shown,
            vec![ShownCompletion {
                positions: Some(0),
                completed: Some(0),
                due: Some(0)
            }]
        );
        assert!(protect_completion(&[], 5).is_empty());
        let single = protect_completion(&[line(3, 1)], 5);
        assert_eq!(
            single,
            vec![ShownCompletion {
                positions: None,
                completed: None,
                due: None
            }]
        );
    }
}
