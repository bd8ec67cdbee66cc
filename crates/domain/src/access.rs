//! Object-level access to case data (Zugriffsrechte auf Fallebene), one table for all of it.
//!
//! [`crate::permission`] says which roles and scopes hold an action on case data at all; this
//! module narrows that to single objects, from small facts the store loads:
//!
//! | caller | cases (and their clients) | referrals | residence-law requests |
//! |---|---|---|---|
//! | case manager | read/write the cases assigned to them or that they deputise | read/write, case side, on those cases | read/write, case side, on those cases |
//! | CM coordination | read all (supervision); may reassign | read all | read all |
//! | immigration officer | none | none | read/write, office side, when addressed to their office; consented categories only |
//! | partner token | none | read (`referrals:read`) or read/write, recipient side (`referrals:write`), when sent to its organisation and not a draft; consented categories only | read (`residence_requests:read`), office side, when addressed to its organisation; consented categories only |
//! | everyone else (admin, analyst, steering, project group, coordinator, KI lead, DPO) | none | none | none |
//!
//! The answers distinguish none, read and write because an object the caller may not see is
//! 404 at the API (not 403): its existence must not leak. For the same reason every list has a
//! scope ([`CaseScope`], [`ReferralScope`], [`RequestScope`]) that the store turns into a filter;
//! it agrees with the single-object rule (tested), so totals count only visible objects.
//!
//! One file on purpose (under 500 lines of rules, the rest their tests): the single-object rules
//! and the list scopes must agree, and the tests check them against each other
//! (`list_scopes_agree_with_object_access`).

use crate::field::FieldError;
use crate::permission::{role_actions, roles_allowed, Action, Principal};
use crate::referral::{ReferralSide, ReferralStatus};
use crate::residence_request::RequestSide;
use crate::Role;

/// How far a caller may go with one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    /// Invisible: 404.
    None,
    Read,
    ReadWrite,
}

impl Access {
    pub fn may_read(self) -> bool {
        self != Access::None
    }

    pub fn may_write(self) -> bool {
        self == Access::ReadWrite
    }
}

/// The facts of a case that decide access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    /// The responsible case manager's user id.
    pub assigned_to: i64,
    /// The deputy's user id (Vertretung), who works the case as its owner does.
    pub deputy: Option<i64>,
}

impl CaseFacts {
    fn is_worked_by(&self, user_id: i64) -> bool {
        self.assigned_to == user_id || self.deputy == Some(user_id)
    }
}

/// What `principal` may do with a case.
pub fn case_access(principal: &Principal, case: &CaseFacts) -> Access {
    match principal {
        Principal::Person { user_id, .. } => {
            if principal.may(Action::WorkCases) && case.is_worked_by(*user_id) {
                Access::ReadWrite
            } else if principal.may(Action::SuperviseCases) {
                Access::Read
            } else {
                Access::None
            }
        }
        // Partners see referrals, never cases.
        Principal::Partner { .. } => Access::None,
    }
}

/// A client is personal data of every case about them: the caller gets the most any of those
/// cases gives. A client with no case is visible to nobody but the supervision, so the API
/// should create a client together with their first case.
pub fn client_access(principal: &Principal, cases: &[CaseFacts]) -> Access {
    let supervision = if principal.may(Action::SuperviseCases) {
        Access::Read
    } else {
        Access::None
    };
    cases
        .iter()
        .map(|case| case_access(principal, case))
        .fold(supervision, Access::max)
}

/// A client in no case yet (created a moment before the case that will hold them): the case
/// manager who created the record works it, so that they can open the case with it; otherwise
/// as [`client_access`] with no case.
pub fn uncased_client_access(principal: &Principal, created_by: Option<i64>) -> Access {
    match principal {
        Principal::Person { user_id, .. }
            if created_by == Some(*user_id) && principal.may(Action::WorkCases) =>
        {
            Access::ReadWrite
        }
        _ => client_access(principal, &[]),
    }
}

/// Which positions a caller may read: all of them with the steering view, only the one they
/// hold as a case manager, none otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PositionScope {
    All,
    HeldBy(i64),
    Nothing,
}

pub fn position_scope(principal: &Principal) -> PositionScope {
    match principal {
        _ if principal.may(Action::ReadSteering) => PositionScope::All,
        Principal::Person { user_id, .. } if principal.may(Action::ReadOwnPosition) => {
            PositionScope::HeldBy(*user_id)
        }
        _ => PositionScope::Nothing,
    }
}

/// Whether a position's holder is shown: to those who may see staff names, and to the holder.
pub fn holder_visible(principal: &Principal, holder_user_id: Option<i64>) -> bool {
    staff_name_visible(principal, holder_user_id)
}

/// Whether the name of a member of staff (a position's holder, a gap's reporter) is shown:
/// to those who may see staff names ([`Action::SeeHolderNames`]), and to the person named.
/// Everyone else sees the work (a position, a report), not who did it.
pub fn staff_name_visible(principal: &Principal, named_user_id: Option<i64>) -> bool {
    principal.may(Action::SeeHolderNames)
        || matches!(principal, Principal::Person { user_id, .. } if named_user_id == Some(*user_id))
}

/// Whether `principal` may assign a case to another case manager or deputy (the CM coordination).
/// Case managers hand cases over through the coordination, so that no case leaves supervision
/// unseen.
pub fn may_reassign_cases(principal: &Principal) -> bool {
    principal.may(Action::ReassignCases)
}

/// Whether `principal` may open a new case (assigned to themself).
pub fn may_open_cases(principal: &Principal) -> bool {
    principal.may(Action::WorkCases)
}

/// Whether a person holding `role` works cases, read from the permission table
/// ([`Action::WorkCases`]): only they can be a case's case manager or deputy. A case given to
/// anyone else would sit with someone who may not even open it.
pub fn role_works_cases(role: Role) -> bool {
    role_actions(role).contains(&Action::WorkCases)
}

/// An assignee (`field` `assigned_user_id`) or deputy (`deputy_user_id`) must hold a role that
/// works cases.
pub fn check_case_worker(field: &'static str, user_id: i64, role: Role) -> Result<(), FieldError> {
    if role_works_cases(role) {
        return Ok(());
    }
    let roles: Vec<&str> = roles_allowed(Action::WorkCases)
        .iter()
        .map(|r| r.as_str())
        .collect();
    // The user's role is stored state: a rule the document cannot state.
    Err(FieldError::rule(
        field,
        format!(
            "user {user_id} has the role {role}, which does not work cases; choose a user with the role {}",
            roles.join(" or ")
        ),
    ))
}

/// Who works a case that `principal` (user `me`) opens: the caller, unless the CM coordination
/// (whoever may reassign cases) names another case manager. Only the CM coordination names a
/// deputy, as only it reassigns: otherwise a case manager could hand a case to a colleague
/// past supervision. A deputy is someone other than the case manager. The roles of the named
/// users are checked with [`check_case_worker`].
pub fn opening_assignment(
    principal: &Principal,
    me: i64,
    assigned: Option<i64>,
    deputy: Option<i64>,
) -> Result<(i64, Option<i64>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let assigns = may_reassign_cases(principal);
    if assigned.is_some_and(|user| user != me) && !assigns {
        errors.push(FieldError::new(
            "assigned_user_id",
            "only the CM coordination assigns cases to others",
        ));
    }
    if deputy.is_some() && !assigns {
        errors.push(FieldError::new(
            "deputy_user_id",
            "only the CM coordination names a deputy (POST /cases/{id}/reassign)",
        ));
    }
    let assigned = assigned.unwrap_or(me);
    if errors.is_empty() {
        check_deputy(assigned, deputy).map_err(|e| vec![e])?;
        Ok((assigned, deputy))
    } else {
        Err(errors)
    }
}

/// A deputy (Vertretung) stands in for the case manager, so it is someone else.
pub fn check_deputy(assigned: i64, deputy: Option<i64>) -> Result<(), FieldError> {
    if deputy == Some(assigned) {
        // Across two fields (the assignee may be the stored one).
        return Err(FieldError::rule(
            "deputy_user_id",
            "must be someone other than the case manager (assigned_user_id)",
        ));
    }
    Ok(())
}

/// Which cases a list shows, as a filter for the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseScope {
    /// Cases assigned to or deputised by this user.
    Assigned(i64),
    All,
    Nothing,
}

impl CaseScope {
    pub fn includes(self, case: &CaseFacts) -> bool {
        match self {
            CaseScope::Assigned(user_id) => case.is_worked_by(user_id),
            CaseScope::All => true,
            CaseScope::Nothing => false,
        }
    }
}

pub fn case_scope(principal: &Principal) -> CaseScope {
    match principal {
        Principal::Person { user_id, .. } => {
            if principal.may(Action::SuperviseCases) {
                CaseScope::All
            } else if principal.may(Action::WorkCases) {
                CaseScope::Assigned(*user_id)
            } else {
                CaseScope::Nothing
            }
        }
        Principal::Partner { .. } => CaseScope::Nothing,
    }
}

/// The facts of a referral that decide access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralFacts {
    pub case: CaseFacts,
    pub recipient_organisation_id: i64,
    pub status: ReferralStatus,
}

/// Access to a referral and the side the caller stands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferralAccess {
    None,
    /// Through the case: everything the referral holds.
    Case(Access),
    /// As the recipient organisation: only the categories its consents release
    /// ([`crate::referral::recipient_visible_categories`]).
    Recipient(Access),
}

impl ReferralAccess {
    pub fn may_read(self) -> bool {
        self != ReferralAccess::None
    }

    /// The side the caller may move the referral for; `None` when they may only read.
    pub fn acting_side(self) -> Option<ReferralSide> {
        match self {
            ReferralAccess::Case(Access::ReadWrite) => Some(ReferralSide::Case),
            ReferralAccess::Recipient(Access::ReadWrite) => Some(ReferralSide::Recipient),
            _ => None,
        }
    }

    pub fn limited_to_consented_categories(self) -> bool {
        matches!(self, ReferralAccess::Recipient(_))
    }
}

pub fn referral_access(principal: &Principal, referral: &ReferralFacts) -> ReferralAccess {
    match principal {
        Principal::Person { .. } => match case_access(principal, &referral.case) {
            Access::None => ReferralAccess::None,
            access => ReferralAccess::Case(access),
        },
        Principal::Partner {
            organisation_id, ..
        } => {
            let addressed = *organisation_id == referral.recipient_organisation_id
                && referral.status.is_visible_to_recipient();
            if !addressed || !principal.may(Action::ReadReferrals) {
                ReferralAccess::None
            } else if principal.may(Action::AnswerReferrals) {
                ReferralAccess::Recipient(Access::ReadWrite)
            } else {
                ReferralAccess::Recipient(Access::Read)
            }
        }
    }
}

/// Which referrals a list shows, as a filter for the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferralScope {
    /// Referrals of the cases in this scope (never [`CaseScope::Nothing`]).
    OfCases(CaseScope),
    /// Referrals to this organisation, drafts excluded.
    SentTo(i64),
    Nothing,
}

impl ReferralScope {
    /// The case filter a list may apply: partner systems know no cases, so their case filter
    /// is ignored (it would let them probe which case ids exist).
    pub fn case_filter(self, requested: Option<i64>) -> Option<i64> {
        requested.filter(|_| !matches!(self, ReferralScope::SentTo(_)))
    }

    pub fn includes(self, referral: &ReferralFacts) -> bool {
        match self {
            ReferralScope::OfCases(cases) => cases.includes(&referral.case),
            ReferralScope::SentTo(organisation_id) => {
                referral.recipient_organisation_id == organisation_id
                    && referral.status.is_visible_to_recipient()
            }
            ReferralScope::Nothing => false,
        }
    }
}

pub fn referral_scope(principal: &Principal) -> ReferralScope {
    match principal {
        Principal::Person { .. } => match case_scope(principal) {
            CaseScope::Nothing => ReferralScope::Nothing,
            cases => ReferralScope::OfCases(cases),
        },
        Principal::Partner {
            organisation_id, ..
        } => {
            if principal.may(Action::ReadReferrals) {
                ReferralScope::SentTo(*organisation_id)
            } else {
                ReferralScope::Nothing
            }
        }
    }
}

/// The facts of a residence-law request that decide access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFacts {
    pub case: CaseFacts,
    /// The immigration or naturalisation office addressed.
    pub office_organisation_id: i64,
}

/// Access to a residence-law request and the side the caller stands on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestAccess {
    None,
    /// Through the case: everything the request holds.
    Case(Access),
    /// As the addressed office: only the categories the client's consents release for
    /// residence-law requests to it.
    Office(Access),
}

impl RequestAccess {
    pub fn may_read(self) -> bool {
        self != RequestAccess::None
    }

    pub fn acting_side(self) -> Option<RequestSide> {
        match self {
            RequestAccess::Case(Access::ReadWrite) => Some(RequestSide::Case),
            RequestAccess::Office(Access::ReadWrite) => Some(RequestSide::Office),
            _ => None,
        }
    }

    pub fn limited_to_consented_categories(self) -> bool {
        matches!(self, RequestAccess::Office(_))
    }
}

/// `caller_organisation_id` is the organisation a person belongs to (a [`Principal::Person`]
/// does not carry it); immigration officers see requests to that office only.
pub fn request_access(
    principal: &Principal,
    caller_organisation_id: Option<i64>,
    request: &RequestFacts,
) -> RequestAccess {
    match principal {
        Principal::Person { .. } => match case_access(principal, &request.case) {
            Access::None
                if principal.may(Action::AnswerResidenceRequests)
                    && caller_organisation_id == Some(request.office_organisation_id) =>
            {
                RequestAccess::Office(Access::ReadWrite)
            }
            Access::None => RequestAccess::None,
            access => RequestAccess::Case(access),
        },
        // The office's own system reads what its officers read, and answers nothing.
        Principal::Partner {
            organisation_id, ..
        } if principal.may(Action::ReadOfficeRequests)
            && *organisation_id == request.office_organisation_id =>
        {
            RequestAccess::Office(Access::Read)
        }
        Principal::Partner { .. } => RequestAccess::None,
    }
}

/// Which requests a list shows, as a filter for the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestScope {
    /// Requests of the cases in this scope (never [`CaseScope::Nothing`]).
    OfCases(CaseScope),
    /// Requests addressed to this office.
    ToOffice(i64),
    Nothing,
}

impl RequestScope {
    pub fn includes(self, request: &RequestFacts) -> bool {
        match self {
            RequestScope::OfCases(cases) => cases.includes(&request.case),
            RequestScope::ToOffice(office) => request.office_organisation_id == office,
            RequestScope::Nothing => false,
        }
    }
}

pub fn request_scope(principal: &Principal, caller_organisation_id: Option<i64>) -> RequestScope {
    if let Principal::Partner {
        organisation_id, ..
    } = principal
    {
        return if principal.may(Action::ReadOfficeRequests) {
            RequestScope::ToOffice(*organisation_id)
        } else {
            RequestScope::Nothing
        };
    }
    match case_scope(principal) {
        CaseScope::Nothing => match caller_organisation_id {
            Some(office) if principal.may(Action::AnswerResidenceRequests) => {
                RequestScope::ToOffice(office)
            }
            _ => RequestScope::Nothing,
        },
        cases => RequestScope::OfCases(cases),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Role, Scope};

    const ME: i64 = 7;
    const COLLEAGUE: i64 = 8;
    const MY_ORG: i64 = 100;
    const OTHER_ORG: i64 = 200;

    fn person(role: Role) -> Principal {
        Principal::Person { user_id: ME, role }
    }

    /// Partner tokens of MY_ORG with every combination of scopes.
    fn partners() -> Vec<Principal> {
        let mut out = Vec::new();
        for mask in 0..(1u32 << Scope::ALL.len()) {
            let scopes = Scope::ALL
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, s)| *s)
                .collect();
            out.push(Principal::Partner {
                token_id: 1,
                organisation_id: MY_ORG,
                scopes,
            });
        }
        out
    }

    fn all_principals() -> Vec<Principal> {
        Role::ALL
            .iter()
            .map(|r| person(*r))
            .chain(partners())
            .collect()
    }

    /// Mine, deputised by me, someone else's, and one whose deputy is someone else.
    fn cases() -> Vec<CaseFacts> {
        vec![
            CaseFacts {
                assigned_to: ME,
                deputy: None,
            },
            CaseFacts {
                assigned_to: COLLEAGUE,
                deputy: Some(ME),
            },
            CaseFacts {
                assigned_to: COLLEAGUE,
                deputy: None,
            },
            CaseFacts {
                assigned_to: COLLEAGUE,
                deputy: Some(COLLEAGUE + 1),
            },
            CaseFacts {
                assigned_to: ME,
                deputy: Some(COLLEAGUE),
            },
        ]
    }

    fn mine(case: &CaseFacts) -> bool {
        case.assigned_to == ME || case.deputy == Some(ME)
    }

    fn referrals() -> Vec<ReferralFacts> {
        let mut out = Vec::new();
        for case in cases() {
            for recipient in [MY_ORG, OTHER_ORG] {
                for status in ReferralStatus::ALL {
                    out.push(ReferralFacts {
                        case: case.clone(),
                        recipient_organisation_id: recipient,
                        status: *status,
                    });
                }
            }
        }
        out
    }

    fn requests() -> Vec<RequestFacts> {
        cases()
            .into_iter()
            .flat_map(|case| {
                [MY_ORG, OTHER_ORG].map(|office| RequestFacts {
                    case: case.clone(),
                    office_organisation_id: office,
                })
            })
            .collect()
    }

    fn has(principal: &Principal, scope: Scope) -> bool {
        matches!(principal, Principal::Partner { scopes, .. } if scopes.contains(&scope))
    }

    /// The table in the module doc, written out over every role and token.
    #[test]
    fn case_access_over_every_role_and_token() {
        for principal in all_principals() {
            for case in cases() {
                let expected = match &principal {
                    Principal::Person {
                        role: Role::CaseManager,
                        ..
                    } if mine(&case) => Access::ReadWrite,
                    Principal::Person {
                        role: Role::CmCoordinator,
                        ..
                    } => Access::Read,
                    _ => Access::None,
                };
                assert_eq!(
                    case_access(&principal, &case),
                    expected,
                    "{principal:?} {case:?}"
                );
                assert_eq!(
                    client_access(&principal, std::slice::from_ref(&case)),
                    expected,
                    "{principal:?} {case:?}"
                );
            }
        }
    }

    #[test]
    fn referral_access_over_every_role_and_token() {
        for principal in all_principals() {
            for referral in referrals() {
                let expected = match &principal {
                    Principal::Person {
                        role: Role::CaseManager,
                        ..
                    } if mine(&referral.case) => ReferralAccess::Case(Access::ReadWrite),
                    Principal::Person {
                        role: Role::CmCoordinator,
                        ..
                    } => ReferralAccess::Case(Access::Read),
                    Principal::Partner { .. }
                        if referral.recipient_organisation_id == MY_ORG
                            && referral.status != ReferralStatus::Draft =>
                    {
                        if has(&principal, Scope::ReferralsWrite) {
                            ReferralAccess::Recipient(Access::ReadWrite)
                        } else if has(&principal, Scope::ReferralsRead) {
                            ReferralAccess::Recipient(Access::Read)
                        } else {
                            ReferralAccess::None
                        }
                    }
                    _ => ReferralAccess::None,
                };
                assert_eq!(
                    referral_access(&principal, &referral),
                    expected,
                    "{principal:?} {referral:?}"
                );
            }
        }
    }

    #[test]
    fn request_access_over_every_role_and_token() {
        for principal in all_principals() {
            for caller_org in [Some(MY_ORG), Some(OTHER_ORG + 1), None] {
                for request in requests() {
                    let expected = match &principal {
                        Principal::Person {
                            role: Role::CaseManager,
                            ..
                        } if mine(&request.case) => RequestAccess::Case(Access::ReadWrite),
                        Principal::Person {
                            role: Role::CmCoordinator,
                            ..
                        } => RequestAccess::Case(Access::Read),
                        Principal::Person {
                            role: Role::ImmigrationOfficer,
                            ..
                        } if caller_org == Some(request.office_organisation_id) => {
                            RequestAccess::Office(Access::ReadWrite)
                        }
                        // A token's organisation is its own; the caller_org argument is for
                        // people, who do not carry theirs.
                        Principal::Partner {
                            organisation_id,
                            scopes,
                            ..
                        } if scopes.contains(&Scope::ResidenceRequestsRead)
                            && *organisation_id == request.office_organisation_id =>
                        {
                            RequestAccess::Office(Access::Read)
                        }
                        _ => RequestAccess::None,
                    };
                    assert_eq!(
                        request_access(&principal, caller_org, &request),
                        expected,
                        "{principal:?} {caller_org:?} {request:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn roles_without_case_work_see_no_case_data_at_all() {
        let blind = [
            Role::Admin,
            Role::Analyst,
            Role::SteeringMember,
            Role::ProjectGroupMember,
            Role::Coordinator,
            Role::KiLead,
            Role::DataProtectionOfficer,
        ];
        for role in blind {
            let p = person(role);
            assert_eq!(case_scope(&p), CaseScope::Nothing, "{role}");
            assert_eq!(referral_scope(&p), ReferralScope::Nothing, "{role}");
            assert_eq!(
                request_scope(&p, Some(MY_ORG)),
                RequestScope::Nothing,
                "{role}"
            );
            assert!(!may_open_cases(&p) && !may_reassign_cases(&p), "{role}");
        }
        assert!(person(Role::DataProtectionOfficer).may(Action::ReadAuditTrail));
    }

    /// "No counts leak": a list shows exactly the objects the single-object rule lets one see.
    #[test]
    fn list_scopes_agree_with_object_access() {
        for principal in all_principals() {
            let scope = case_scope(&principal);
            for case in cases() {
                assert_eq!(
                    scope.includes(&case),
                    case_access(&principal, &case).may_read(),
                    "{principal:?} {case:?}"
                );
            }
            let scope = referral_scope(&principal);
            for referral in referrals() {
                assert_eq!(
                    scope.includes(&referral),
                    referral_access(&principal, &referral).may_read(),
                    "{principal:?} {referral:?}"
                );
            }
            for caller_org in [Some(MY_ORG), None] {
                let scope = request_scope(&principal, caller_org);
                for request in requests() {
                    assert_eq!(
                        scope.includes(&request),
                        request_access(&principal, caller_org, &request).may_read(),
                        "{principal:?} {request:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn scopes_for_each_kind_of_caller() {
        assert_eq!(
            case_scope(&person(Role::CaseManager)),
            CaseScope::Assigned(ME)
        );
        assert_eq!(case_scope(&person(Role::CmCoordinator)), CaseScope::All);
        assert_eq!(
            referral_scope(&person(Role::CaseManager)),
            ReferralScope::OfCases(CaseScope::Assigned(ME))
        );
        assert_eq!(
            request_scope(&person(Role::ImmigrationOfficer), Some(MY_ORG)),
            RequestScope::ToOffice(MY_ORG)
        );
        assert_eq!(
            request_scope(&person(Role::ImmigrationOfficer), None),
            RequestScope::Nothing
        );
        let reader = Principal::Partner {
            token_id: 1,
            organisation_id: MY_ORG,
            scopes: vec![Scope::ReferralsRead],
        };
        assert_eq!(referral_scope(&reader), ReferralScope::SentTo(MY_ORG));
        assert_eq!(case_scope(&reader), CaseScope::Nothing);
    }

    #[test]
    fn sides_and_consent_limits_follow_from_access() {
        assert_eq!(
            ReferralAccess::Case(Access::ReadWrite).acting_side(),
            Some(ReferralSide::Case)
        );
        assert_eq!(
            ReferralAccess::Recipient(Access::ReadWrite).acting_side(),
            Some(ReferralSide::Recipient)
        );
        assert_eq!(ReferralAccess::Case(Access::Read).acting_side(), None);
        assert_eq!(ReferralAccess::Recipient(Access::Read).acting_side(), None);
        assert_eq!(ReferralAccess::None.acting_side(), None);
        assert!(ReferralAccess::Recipient(Access::Read).limited_to_consented_categories());
        assert!(!ReferralAccess::Case(Access::Read).limited_to_consented_categories());

        assert_eq!(
            RequestAccess::Case(Access::ReadWrite).acting_side(),
            Some(RequestSide::Case)
        );
        assert_eq!(
            RequestAccess::Office(Access::ReadWrite).acting_side(),
            Some(RequestSide::Office)
        );
        assert_eq!(RequestAccess::Case(Access::Read).acting_side(), None);
        assert!(RequestAccess::Office(Access::ReadWrite).limited_to_consented_categories());
        assert!(!RequestAccess::Case(Access::ReadWrite).limited_to_consented_categories());
        assert!(!RequestAccess::None.may_read());
    }

    #[test]
    fn a_client_is_as_visible_as_their_most_visible_case() {
        let cm = person(Role::CaseManager);
        let theirs = CaseFacts {
            assigned_to: COLLEAGUE,
            deputy: None,
        };
        let mine = CaseFacts {
            assigned_to: ME,
            deputy: None,
        };
        assert_eq!(
            client_access(&cm, &[theirs.clone(), mine]),
            Access::ReadWrite
        );
        assert_eq!(client_access(&cm, &[theirs]), Access::None);
        assert_eq!(client_access(&cm, &[]), Access::None);
        assert_eq!(
            client_access(&person(Role::CmCoordinator), &[]),
            Access::Read
        );
    }

    #[test]
    fn only_the_cm_coordination_reassigns_and_only_case_managers_open() {
        for role in Role::ALL {
            assert_eq!(
                may_reassign_cases(&person(*role)),
                *role == Role::CmCoordinator
            );
            assert_eq!(may_open_cases(&person(*role)), *role == Role::CaseManager);
        }
        for partner in partners() {
            assert!(!may_reassign_cases(&partner) && !may_open_cases(&partner));
        }
    }

    #[test]
    fn only_roles_that_work_cases_may_be_assigned_or_deputise() {
        for role in Role::ALL {
            let works = *role == Role::CaseManager;
            assert_eq!(role_works_cases(*role), works, "{role}");
            for field in ["assigned_user_id", "deputy_user_id"] {
                match check_case_worker(field, 42, *role) {
                    Ok(()) => assert!(works, "{role}"),
                    Err(e) => {
                        assert!(!works, "{role}");
                        assert_eq!(e.field, field);
                        assert!(
                            e.message.contains("user 42")
                                && e.message.contains(role.as_str())
                                && e.message.contains("case_manager"),
                            "{e}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn only_the_cm_coordination_names_others_or_a_deputy_when_opening() {
        let fields = |r: Result<(i64, Option<i64>), Vec<FieldError>>| -> Vec<&'static str> {
            r.err()
                .unwrap_or_default()
                .iter()
                .map(|e| e.field)
                .collect()
        };
        for principal in all_principals() {
            let assigns = may_reassign_cases(&principal);
            assert_eq!(
                opening_assignment(&principal, ME, None, None),
                Ok((ME, None))
            );
            assert_eq!(
                opening_assignment(&principal, ME, Some(ME), None),
                Ok((ME, None))
            );
            let other = opening_assignment(&principal, ME, Some(COLLEAGUE), None);
            let with_deputy = opening_assignment(&principal, ME, None, Some(COLLEAGUE));
            let both = opening_assignment(&principal, ME, Some(COLLEAGUE), Some(ME));
            if assigns {
                assert_eq!(other, Ok((COLLEAGUE, None)));
                assert_eq!(with_deputy, Ok((ME, Some(COLLEAGUE))));
                assert_eq!(both, Ok((COLLEAGUE, Some(ME))));
            } else {
                assert_eq!(fields(other), vec!["assigned_user_id"], "{principal:?}");
                assert_eq!(fields(with_deputy), vec!["deputy_user_id"], "{principal:?}");
                assert_eq!(
                    fields(both),
                    vec!["assigned_user_id", "deputy_user_id"],
                    "{principal:?}"
                );
            }
        }
        // Even the CM coordination names someone else as deputy.
        let coordination = person(Role::CmCoordinator);
        assert_eq!(
            fields(opening_assignment(
                &coordination,
                ME,
                Some(COLLEAGUE),
                Some(COLLEAGUE)
            )),
            vec!["deputy_user_id"]
        );
        assert_eq!(check_deputy(ME, None), Ok(()));
        assert_eq!(check_deputy(ME, Some(COLLEAGUE)), Ok(()));
        assert_eq!(
            check_deputy(ME, Some(ME)).unwrap_err().field,
            "deputy_user_id"
        );
    }

    #[test]
    fn staff_names_show_to_who_may_see_them_and_to_the_person_named() {
        for role in Role::ALL {
            let sees = matches!(role, Role::Admin | Role::KiLead | Role::Coordinator);
            let me = person(*role);
            assert_eq!(staff_name_visible(&me, Some(COLLEAGUE)), sees, "{role}");
            assert_eq!(staff_name_visible(&me, None), sees, "{role}");
            assert!(staff_name_visible(&me, Some(ME)), "{role}: own name");
            assert_eq!(
                holder_visible(&me, Some(COLLEAGUE)),
                staff_name_visible(&me, Some(COLLEAGUE))
            );
        }
        for partner in partners() {
            assert!(!staff_name_visible(&partner, Some(ME)));
        }
    }

    #[test]
    fn access_levels_order_and_answer() {
        assert!(Access::None < Access::Read && Access::Read < Access::ReadWrite);
        assert!(!Access::None.may_read());
        assert!(Access::Read.may_read() && !Access::Read.may_write());
        assert!(Access::ReadWrite.may_write());
    }

    #[test]
    fn an_uncased_client_is_worked_by_its_creator_only() {
        for role in crate::Role::ALL {
            let creator = Principal::Person {
                user_id: 7,
                role: *role,
            };
            let other = Principal::Person {
                user_id: 8,
                role: *role,
            };
            let expected = if *role == crate::Role::CaseManager {
                Access::ReadWrite
            } else {
                client_access(&creator, &[])
            };
            assert_eq!(uncased_client_access(&creator, Some(7)), expected, "{role}");
            assert_eq!(
                uncased_client_access(&other, Some(7)),
                client_access(&other, &[]),
                "{role}"
            );
            assert_eq!(
                uncased_client_access(&creator, None),
                client_access(&creator, &[]),
                "{role}"
            );
        }
    }

    #[test]
    fn position_scope_and_holder_visibility_for_every_role() {
        for role in crate::Role::ALL {
            let p = Principal::Person {
                user_id: 7,
                role: *role,
            };
            let expected_scope = if p.may(Action::ReadSteering) {
                PositionScope::All
            } else if *role == crate::Role::CaseManager {
                PositionScope::HeldBy(7)
            } else {
                PositionScope::Nothing
            };
            assert_eq!(position_scope(&p), expected_scope, "{role}");
            let names = matches!(
                role,
                crate::Role::Admin | crate::Role::KiLead | crate::Role::Coordinator
            );
            assert_eq!(holder_visible(&p, Some(9)), names, "{role}");
            assert!(
                holder_visible(&p, Some(7)),
                "{role} sees themself as holder"
            );
            assert_eq!(holder_visible(&p, None), names, "{role}");
        }
        let partner = Principal::Partner {
            token_id: 1,
            organisation_id: 1,
            scopes: crate::Scope::ALL.to_vec(),
        };
        assert_eq!(position_scope(&partner), PositionScope::Nothing);
        assert!(!holder_visible(&partner, Some(1)));
    }

    #[test]
    fn partners_cannot_filter_referrals_by_case() {
        assert_eq!(ReferralScope::SentTo(9).case_filter(Some(12)), None);
        assert_eq!(ReferralScope::SentTo(9).case_filter(None), None);
        for scope in [
            ReferralScope::OfCases(CaseScope::All),
            ReferralScope::OfCases(CaseScope::Assigned(5)),
            ReferralScope::Nothing,
        ] {
            assert_eq!(scope.case_filter(Some(12)), Some(12));
            assert_eq!(scope.case_filter(None), None);
        }
    }
}
