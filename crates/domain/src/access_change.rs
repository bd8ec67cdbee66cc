//! Separation of duties for access to case data (Vier-Augen-Prinzip).
//!
//! An administrator manages accounts and partner tokens but reaches no case data. Without a
//! second person, that separation would be one request deep: create a case manager account,
//! log in with it. So every change that would let someone reach case data waits as an *access
//! change* until a person who may confirm (the data protection officer or the KI lead) and who
//! is neither the requester nor the account concerned confirms it. Changes that take access
//! away (deactivation, a role without case data) apply at once: removing access must not wait.
//!
//! What "reaches case data" means is read off the permission table
//! ([`Action::reaches_case_data`]), so a role that gains such an action later is covered
//! without touching this module. The confirmers themselves count as reaching case data, or an
//! administrator could create a confirmer and confirm their own requests with it.

use std::fmt;

use crate::permission::{role_actions, scope_actions};
use crate::{Action, Principal, Role, Scope};

crate::vocabulary! {
    /// What an access change does (Art der Zugriffsänderung).
    pub enum AccessChangeKind {
        /// A new account with a role that reaches case data; the account exists, disabled,
        /// until the change is confirmed.
        CreateUser => "create_user",
        /// An existing account activated, given such a role, moved to another organisation or
        /// given a new password by an administrator.
        ChangeUser => "change_user",
        /// A partner token with referral scopes; it does not work until confirmed.
        IssuePartnerToken => "issue_partner_token",
    }
}

crate::vocabulary! {
    /// Where an access change stands.
    pub enum AccessChangeStatus {
        /// Waits for a second person.
        Pending => "pending",
        /// Confirmed and applied.
        Confirmed => "confirmed",
        /// Rejected: the account keeps its old state, the token is revoked.
        Rejected => "rejected",
    }
}

/// Whether a person with `role` reaches case data (or may let others reach it).
pub fn role_reaches_case_data(role: Role) -> bool {
    role_actions(role).iter().any(|a| a.reaches_case_data())
}

/// Whether a token with `scopes` reaches case data.
pub fn scopes_reach_case_data(scopes: &[Scope]) -> bool {
    scopes
        .iter()
        .any(|scope| scope_actions(*scope).iter().any(|a| a.reaches_case_data()))
}

/// The facts of an account that decide what it reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccountAccess {
    pub role: Role,
    pub organisation_id: Option<i64>,
    pub active: bool,
}

/// Why a change to an account needs a second person, one item per reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grant {
    /// A new, active account with a role that reaches case data.
    NewAccount { role: Role },
    /// A disabled account with such a role becomes active.
    Activation { role: Role },
    /// The role changes to one that reaches case data the old one did not.
    Role { from: Role, to: Role },
    /// An account with such a role moves to another organisation (whose cases or requests it
    /// then sees).
    Organisation { from: Option<i64>, to: Option<i64> },
    /// An administrator sets the password of an account with such a role (and could log in
    /// with it).
    PasswordReset,
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let org = |o: &Option<i64>| match o {
            Some(id) => format!("organisation {id}"),
            None => "no organisation".to_owned(),
        };
        match self {
            Grant::NewAccount { role } => write!(f, "new account with role {role}"),
            Grant::Activation { role } => write!(f, "activates an account with role {role}"),
            Grant::Role { from, to } => write!(f, "role {from} → {to}"),
            Grant::Organisation { from, to } => write!(f, "{} → {}", org(from), org(to)),
            Grant::PasswordReset => write!(f, "password set by an administrator"),
        }
    }
}

/// The actions of `role` that reach case data.
fn case_actions(role: Role) -> impl Iterator<Item = Action> {
    role_actions(role)
        .iter()
        .copied()
        .filter(|a| a.reaches_case_data())
}

/// What a requested account state grants beyond `before` (`None`: a new account), as the
/// reasons a second person must confirm it; empty when it can apply at once.
pub fn grants(
    before: Option<AccountAccess>,
    after: AccountAccess,
    password_reset: bool,
) -> Vec<Grant> {
    if !after.active || !role_reaches_case_data(after.role) {
        // A disabled account, or one whose role reaches no case data, reaches nothing: a later
        // activation or role change is judged when it is asked for.
        return Vec::new();
    }
    let Some(before) = before else {
        return vec![Grant::NewAccount { role: after.role }];
    };
    let mut reasons = Vec::new();
    if !before.active {
        reasons.push(Grant::Activation { role: after.role });
    }
    let before_actions: Vec<Action> = if before.active {
        case_actions(before.role).collect()
    } else {
        Vec::new()
    };
    if before.role != after.role && case_actions(after.role).any(|a| !before_actions.contains(&a)) {
        reasons.push(Grant::Role {
            from: before.role,
            to: after.role,
        });
    }
    if before.organisation_id != after.organisation_id {
        reasons.push(Grant::Organisation {
            from: before.organisation_id,
            to: after.organisation_id,
        });
    }
    if password_reset {
        reasons.push(Grant::PasswordReset);
    }
    reasons
}

/// The reasons written out for people: "role analyst → case_manager; password set by an
/// administrator".
pub fn summary(reasons: &[Grant]) -> String {
    reasons
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why a person may not decide an access change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionRefused {
    /// Their role may not confirm access changes.
    NotAConfirmer,
    /// They asked for the change themselves.
    OwnRequest,
    /// The change concerns their own account.
    OwnAccount,
    /// The change is no longer pending.
    AlreadyDecided(AccessChangeStatus),
}

impl fmt::Display for DecisionRefused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecisionRefused::NotAConfirmer => write!(
                f,
                "only the data protection officer or the KI lead confirm access changes"
            ),
            DecisionRefused::OwnRequest => {
                write!(f, "a second person must decide: you asked for this change")
            }
            DecisionRefused::OwnAccount => write!(
                f,
                "a second person must decide: this change concerns your own account"
            ),
            DecisionRefused::AlreadyDecided(status) => {
                write!(f, "this access change is already {status}")
            }
        }
    }
}

/// The access change as far as the decision rule needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingChange {
    pub status: AccessChangeStatus,
    pub requested_by: Option<i64>,
    /// The account concerned (none for partner tokens).
    pub user_id: Option<i64>,
}

/// Whether `decider` may confirm or reject `change`: a confirmer, not the requester, not the
/// person concerned, and only while the change is pending.
pub fn may_decide(decider: &Principal, change: PendingChange) -> Result<(), DecisionRefused> {
    let Principal::Person { user_id, .. } = decider else {
        return Err(DecisionRefused::NotAConfirmer);
    };
    if !decider.may(Action::ConfirmAccessChanges) {
        return Err(DecisionRefused::NotAConfirmer);
    }
    if change.requested_by == Some(*user_id) {
        return Err(DecisionRefused::OwnRequest);
    }
    if change.user_id == Some(*user_id) {
        return Err(DecisionRefused::OwnAccount);
    }
    if change.status != AccessChangeStatus::Pending {
        return Err(DecisionRefused::AlreadyDecided(change.status));
    }
    Ok(())
}

/// Who may list and read access changes: the administrators who ask for them and the people
/// who decide them.
pub fn may_read(principal: &Principal) -> bool {
    principal.may(Action::ManageUsers)
        || principal.may(Action::ManagePartnerTokens)
        || principal.may(Action::ConfirmAccessChanges)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(role: Role, organisation_id: Option<i64>, active: bool) -> AccountAccess {
        AccountAccess {
            role,
            organisation_id,
            active,
        }
    }

    fn person(user_id: i64, role: Role) -> Principal {
        Principal::Person { user_id, role }
    }

    #[test]
    fn roles_reaching_case_data_follow_the_permission_table() {
        let reaching: Vec<Role> = Role::ALL
            .iter()
            .copied()
            .filter(|r| role_reaches_case_data(*r))
            .collect();
        assert_eq!(
            reaching,
            vec![
                Role::KiLead,
                Role::CmCoordinator,
                Role::CaseManager,
                Role::ImmigrationOfficer,
                Role::DataProtectionOfficer
            ]
        );
    }

    #[test]
    fn only_referral_and_residence_request_scopes_reach_case_data() {
        for scope in Scope::ALL {
            let expected = matches!(
                scope,
                Scope::ReferralsRead | Scope::ReferralsWrite | Scope::ResidenceRequestsRead
            );
            assert_eq!(scopes_reach_case_data(&[*scope]), expected, "{scope}");
        }
        assert!(!scopes_reach_case_data(&[]));
        assert!(scopes_reach_case_data(&[
            Scope::ReportsRead,
            Scope::ReferralsRead
        ]));
    }

    #[test]
    fn a_new_active_account_with_a_case_role_needs_confirmation() {
        for role in Role::ALL {
            let reasons = grants(None, account(*role, None, true), false);
            if role_reaches_case_data(*role) {
                assert_eq!(reasons, vec![Grant::NewAccount { role: *role }]);
            } else {
                assert!(reasons.is_empty(), "{role}");
            }
        }
    }

    #[test]
    fn a_new_disabled_account_needs_nothing_until_activated() {
        assert!(grants(None, account(Role::CaseManager, None, false), true).is_empty());
        let before = account(Role::CaseManager, None, false);
        assert_eq!(
            grants(Some(before), account(Role::CaseManager, None, true), false),
            vec![Grant::Activation {
                role: Role::CaseManager
            }]
        );
    }

    #[test]
    fn raising_a_role_to_case_data_needs_confirmation() {
        let before = account(Role::Analyst, Some(1), true);
        assert_eq!(
            grants(
                Some(before),
                account(Role::CaseManager, Some(1), true),
                false
            ),
            vec![Grant::Role {
                from: Role::Analyst,
                to: Role::CaseManager
            }]
        );
        // case manager → CM coordination gains supervision of every case.
        let before = account(Role::CaseManager, Some(1), true);
        assert_eq!(
            grants(
                Some(before),
                account(Role::CmCoordinator, Some(1), true),
                false
            )
            .len(),
            1
        );
    }

    #[test]
    fn taking_access_away_applies_at_once() {
        let before = account(Role::CmCoordinator, Some(1), true);
        // Deactivation, a role without case data.
        assert!(grants(
            Some(before),
            account(Role::CmCoordinator, Some(1), false),
            false
        )
        .is_empty());
        assert!(grants(Some(before), account(Role::Analyst, Some(1), true), false).is_empty());
    }

    #[test]
    fn a_role_change_is_judged_by_the_case_actions_it_adds() {
        // The data protection officer's case actions include the CM coordination's legal holds
        // but not supervision: moving between them adds actions either way.
        let dpo = account(Role::DataProtectionOfficer, None, true);
        assert_eq!(
            grants(Some(dpo), account(Role::CmCoordinator, None, true), false),
            vec![Grant::Role {
                from: Role::DataProtectionOfficer,
                to: Role::CmCoordinator
            }]
        );
        let cm = account(Role::CaseManager, None, true);
        assert_eq!(
            grants(Some(cm), account(Role::KiLead, None, true), false),
            vec![Grant::Role {
                from: Role::CaseManager,
                to: Role::KiLead
            }]
        );
    }

    #[test]
    fn unchanged_case_roles_need_nothing_unless_moved_or_reset() {
        let before = account(Role::ImmigrationOfficer, Some(3), true);
        assert!(grants(Some(before), before, false).is_empty());
        assert_eq!(
            grants(
                Some(before),
                account(Role::ImmigrationOfficer, Some(4), true),
                false
            ),
            vec![Grant::Organisation {
                from: Some(3),
                to: Some(4)
            }]
        );
        assert_eq!(
            grants(Some(before), before, true),
            vec![Grant::PasswordReset]
        );
    }

    #[test]
    fn resetting_the_password_of_an_account_without_case_data_applies_at_once() {
        let before = account(Role::Analyst, None, true);
        assert!(grants(Some(before), before, true).is_empty());
        let admin = account(Role::Admin, None, true);
        assert!(grants(Some(admin), admin, true).is_empty());
    }

    #[test]
    fn every_reason_is_named_in_the_summary() {
        let before = account(Role::Analyst, Some(1), false);
        let reasons = grants(
            Some(before),
            account(Role::CaseManager, Some(2), true),
            true,
        );
        assert_eq!(
            summary(&reasons),
            "activates an account with role case_manager; role analyst → case_manager; \
             organisation 1 → organisation 2; password set by an administrator"
        );
        assert_eq!(
            summary(&[Grant::NewAccount {
                role: Role::DataProtectionOfficer
            }]),
            "new account with role data_protection_officer"
        );
        assert_eq!(
            Grant::Organisation {
                from: None,
                to: Some(2)
            }
            .to_string(),
            "no organisation → organisation 2"
        );
    }

    fn pending(requested_by: i64, user_id: Option<i64>) -> PendingChange {
        PendingChange {
            status: AccessChangeStatus::Pending,
            requested_by: Some(requested_by),
            user_id,
        }
    }

    #[test]
    fn confirmers_decide_what_others_asked_for() {
        for role in Role::ALL {
            let outcome = may_decide(&person(9, *role), pending(1, Some(5)));
            if matches!(role, Role::DataProtectionOfficer | Role::KiLead) {
                assert_eq!(outcome, Ok(()), "{role}");
            } else {
                assert_eq!(outcome, Err(DecisionRefused::NotAConfirmer), "{role}");
            }
        }
        let partner = Principal::Partner {
            token_id: 1,
            organisation_id: 1,
            scopes: Scope::ALL.to_vec(),
        };
        assert_eq!(
            may_decide(&partner, pending(1, Some(5))),
            Err(DecisionRefused::NotAConfirmer)
        );
    }

    #[test]
    fn nobody_decides_their_own_request_or_their_own_account() {
        let dpo = person(9, Role::DataProtectionOfficer);
        assert_eq!(
            may_decide(&dpo, pending(9, Some(5))),
            Err(DecisionRefused::OwnRequest)
        );
        assert_eq!(
            may_decide(&dpo, pending(1, Some(9))),
            Err(DecisionRefused::OwnAccount)
        );
        // A partner token concerns no account.
        assert_eq!(may_decide(&dpo, pending(1, None)), Ok(()));
    }

    #[test]
    fn a_decided_change_stays_decided() {
        let dpo = person(9, Role::DataProtectionOfficer);
        for status in [AccessChangeStatus::Confirmed, AccessChangeStatus::Rejected] {
            let change = PendingChange {
                status,
                ..pending(1, Some(5))
            };
            assert_eq!(
                may_decide(&dpo, change),
                Err(DecisionRefused::AlreadyDecided(status))
            );
        }
    }

    #[test]
    fn administrators_and_confirmers_read_access_changes() {
        for role in Role::ALL {
            let expected = matches!(
                role,
                Role::Admin | Role::DataProtectionOfficer | Role::KiLead
            );
            assert_eq!(may_read(&person(1, *role)), expected, "{role}");
        }
    }
}
