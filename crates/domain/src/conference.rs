//! Case conferences (Fallkonferenzen) after they were recorded: who may change the record and
//! who may tick off its follow-up tasks.
//!
//! | conference | read | change | complete a task |
//! |---|---|---|---|
//! | with a case | as the case (its case managers, the CM coordination) | the case's case managers | they, and the task's owner |
//! | anonymised | every case manager and the CM coordination | its author | its author, and the task's owner |
//!
//! A task's owner may be someone who cannot see the case (a colleague from another office who
//! took on a follow-up): they may mark their own task done, and learn nothing else from it.

use crate::access::Access;
use crate::permission::{Action, Principal};

/// Where a conference belongs, as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConferenceFacts {
    /// Linked to a case; carries the caller's access to that case.
    OfCase(Access),
    /// No case; only a summary without personal data.
    Anonymised { created_by: Option<i64> },
}

/// What `principal` may do with a conference.
pub fn conference_access(principal: &Principal, facts: ConferenceFacts) -> Access {
    match facts {
        ConferenceFacts::OfCase(case) => case,
        ConferenceFacts::Anonymised { created_by } => match principal {
            Principal::Person { user_id, .. } if principal.may(Action::WorkCases) => {
                if created_by == Some(*user_id) {
                    Access::ReadWrite
                } else {
                    Access::Read
                }
            }
            _ if principal.may(Action::SuperviseCases) => Access::Read,
            _ => Access::None,
        },
    }
}

/// Whether `principal` may mark a task owned by `owner_user_id` done.
pub fn may_complete_task(principal: &Principal, conference: Access, owner_user_id: i64) -> bool {
    conference.may_write()
        || matches!(principal, Principal::Person { user_id, .. } if *user_id == owner_user_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Role, Scope};

    const ME: i64 = 7;

    fn person(role: Role) -> Principal {
        Principal::Person { user_id: ME, role }
    }

    #[test]
    fn a_case_conference_follows_the_case() {
        for role in Role::ALL {
            for case in [Access::None, Access::Read, Access::ReadWrite] {
                assert_eq!(
                    conference_access(&person(*role), ConferenceFacts::OfCase(case)),
                    case
                );
            }
        }
    }

    #[test]
    fn an_anonymised_conference_is_changed_by_its_author_and_read_by_case_management() {
        for role in Role::ALL {
            for created_by in [Some(ME), Some(ME + 1), None] {
                let expected = match role {
                    Role::CaseManager if created_by == Some(ME) => Access::ReadWrite,
                    Role::CaseManager | Role::CmCoordinator => Access::Read,
                    _ => Access::None,
                };
                assert_eq!(
                    conference_access(&person(*role), ConferenceFacts::Anonymised { created_by }),
                    expected,
                    "{role} / {created_by:?}"
                );
            }
        }
    }

    #[test]
    fn partners_see_no_conference() {
        let partner = Principal::Partner {
            token_id: 1,
            organisation_id: 1,
            scopes: Scope::ALL.to_vec(),
        };
        let facts = ConferenceFacts::Anonymised { created_by: None };
        assert_eq!(conference_access(&partner, facts), Access::None);
        assert!(!may_complete_task(&partner, Access::None, ME));
    }

    #[test]
    fn tasks_are_completed_by_their_owner_or_whoever_may_change_the_conference() {
        for role in Role::ALL {
            for access in [Access::None, Access::Read, Access::ReadWrite] {
                for owner in [ME, ME + 1] {
                    let expected = access == Access::ReadWrite || owner == ME;
                    assert_eq!(
                        may_complete_task(&person(*role), access, owner),
                        expected,
                        "{role} / {access:?} / owner {owner}"
                    );
                }
            }
        }
    }
}
