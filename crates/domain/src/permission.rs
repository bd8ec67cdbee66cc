//! The permission table: which role or partner scope may take which action.
//!
//! Every handler asks [`Principal::may`] before it touches data. Keeping the whole table in one
//! place makes the separation of duties reviewable: the administrator manages accounts and
//! reference data but is granted no action on case data, and partner systems get only what
//! their scopes name.
//!
//! Case data are need-to-know: only case managers (their own cases), the CM coordination
//! (supervision), immigration officers (requests to their office) and partner systems (referrals
//! to their organisation) hold an action on them, and [`crate::access`] narrows each to the
//! objects it may see. The data protection officer reads the audit trail, not the cases; for the
//! data subject's rights they export and erase a client's data as a whole (Art. 15, 17 GDPR),
//! never browse it.

use crate::{Role, Scope};

crate::vocabulary! {
    /// Something a caller may be allowed to do.
    pub enum Action {
        /// Read the caller's own account or token (`/auth/me`).
        ReadOwnAccount => "read_own_account",
        /// Read municipalities, organisations, their offers (Angebote) and the coverage analysis.
        ReadReferenceData => "read_reference_data",
        /// Create, change and delete municipalities and organisations.
        WriteReferenceData => "write_reference_data",
        /// List, create, change, disable and delete user accounts.
        ManageUsers => "manage_users",
        /// Issue, list and revoke partner tokens.
        ManagePartnerTokens => "manage_partner_tokens",
        /// Read the steering level: positions, funding, cooperation agreements, roadmap, distribution.
        ReadSteering => "read_steering",
        /// Create and change positions, funding rates, cooperation agreements and roadmap items.
        WriteSteering => "write_steering",
        /// Read the position one holds (and only that one).
        ReadOwnPosition => "read_own_position",
        /// See who holds a position (names of staff).
        SeeHolderNames => "see_holder_names",
        /// Open cases and work on those one is assigned to or deputises (Fallbearbeitung).
        WorkCases => "work_cases",
        /// Read every case, for supervision (Fachaufsicht der CM-Koordination).
        SuperviseCases => "supervise_cases",
        /// Assign a case to another case manager or deputy.
        ReassignCases => "reassign_cases",
        /// Read residence-law requests addressed to one's own office and answer them (module 3).
        AnswerResidenceRequests => "answer_residence_requests",
        /// Enter and change the quarterly outcome counts of one's own office (module 3:
        /// information events, counselling, naturalisations, residence secured); counts only,
        /// no persons. The coordination reads them with [`Action::ReadSteering`].
        RecordOfficeOutcomes => "record_office_outcomes",
        /// Read referrals sent to the token's organisation, limited to consented data.
        ReadReferrals => "read_referrals",
        /// Read residence-law requests addressed to the token's organisation (the office's own
        /// system), limited to consented data; answering stays with the office's people.
        ReadOfficeRequests => "read_office_requests",
        /// Accept, decline and complete referrals sent to the token's organisation.
        AnswerReferrals => "answer_referrals",
        /// Read the audit trail of access to personal data (Protokoll), not the data itself.
        ReadAuditTrail => "read_audit_trail",
        /// Read bodies (Gremien), their meetings and decisions, and systematic gaps; never case
        /// data: evidence linked to cases shows to others only as a count.
        ReadGaps => "read_gaps",
        /// Report a systematic gap or add a report to an existing one (case managers).
        ReportGaps => "report_gaps",
        /// Create and change bodies and their members, meetings, agenda items, minutes and
        /// decisions. The steps of the gap process are allowed by the gap stage machine in
        /// [`crate::gap`], not by this table.
        ManageBodies => "manage_bodies",
        /// Create, change and delete offers (Angebote) of any organisation.
        WriteOffers => "write_offers",
        /// Create, change and delete the offers of the token's own organisation.
        WriteOwnOffers => "write_own_offers",
        /// Design questionnaires, run survey campaigns, reopen submitted responses, weigh the need score.
        ManageSurveys => "manage_surveys",
        /// Read the aggregated results of survey campaigns, including free-text answers.
        ReadSurveyResults => "read_survey_results",
        /// Answer a survey campaign as a named respondent, or for the token's organisation.
        AnswerSurveys => "answer_surveys",
        /// Export everything held about a client (Auskunft, GDPR Art. 15).
        ExportClientData => "export_client_data",
        /// Erase a client by anonymisation (Löschung, GDPR Art. 17).
        EraseClients => "erase_clients",
        /// Place and lift legal holds on cases (Aufbewahrungssperre), which stop erasure and retention.
        PlaceLegalHolds => "place_legal_holds",
        /// Read and change the retention rules (Löschfristen).
        ManageRetention => "manage_retention",
        /// Read the aggregated, suppressed controlling reports (cases, people, referrals, goals,
        /// caseload, gaps, the yearly programme report).
        ReadReports => "read_reports",
        /// Read the same reports restricted to one's own cases (case managers).
        ReadOwnCaseReports => "read_own_case_reports",
        /// Confirm or reject an access change another person asked for (Vier-Augen-Prinzip):
        /// an account or partner token that would reach case data works only once confirmed.
        ConfirmAccessChanges => "confirm_access_changes",
        /// Refer a person into case management (Zuweisung): submit an intake request and read
        /// the status of one's own (a partner system for its organisation, staff for the
        /// requests they entered).
        SubmitIntakeRequests => "submit_intake_requests",
        /// Read every intake request with the person's data, and accept (opening a case) or
        /// decline it (the CM coordination).
        DecideIntakeRequests => "decide_intake_requests",
        /// Read the documents of the programme (CM concept, templates, quality standards,
        /// integration concept) in all their versions.
        ReadProgrammeDocuments => "read_programme_documents",
        /// Draft and edit programme documents and their next versions, record their adoption by
        /// a decision of the steering group, read all feedback and all acknowledgements (the
        /// owners of the CM concept: KI lead and CM coordination).
        ManageProgrammeDocuments => "manage_programme_documents",
        /// Acknowledge an adopted document version as read and applied (case managers).
        AcknowledgeProgrammeDocuments => "acknowledge_programme_documents",
        /// Give feedback on a programme document in one's own name (case managers).
        GiveDocumentFeedback => "give_document_feedback",
        /// Record the feedback of a body or, anonymously, of clients on a programme document.
        RecordDocumentFeedback => "record_document_feedback",
        /// Read the systematic gaps a project group of the token's organisation is mandated
        /// with (without reports) and contribute proposed solutions and feedback (external
        /// members of project groups). No case data.
        ContributeToGaps => "contribute_to_gaps",
        /// Create, change and delete the intake rules (Aufnahmekriterien): the default rule and
        /// the local rules per municipality and target group (the CM coordination).
        ManageIntakeRules => "manage_intake_rules",
    }
}

impl Action {
    /// Whether holding this action lets its holder see or change case data (Sozialdaten), or
    /// let others do so. A role or token with such an action is granted only with a second
    /// person's confirmation ([`crate::access_change`]).
    pub fn reaches_case_data(self) -> bool {
        use Action::*;
        matches!(
            self,
            WorkCases
                | SuperviseCases
                | ReassignCases
                | AnswerResidenceRequests
                | ReadReferrals
                | ReadOfficeRequests
                | AnswerReferrals
                | ExportClientData
                | EraseClients
                | PlaceLegalHolds
                | ConfirmAccessChanges
                | DecideIntakeRequests
        )
    }
}

// `SubmitIntakeRequests` is deliberately not above: its holder sends a person's data into KIM
// and reads back only the status of its own requests (never the case, the client or the case
// manager behind one), so it sees no case data it did not itself provide. Nor is
// `ContributeToGaps`: a gap as a contributor sees it has no reports, so no case links and no
// reporters, and what it sends is text about structures, not about people.

/// Who is calling: a person logged in with a role, or a partner system with scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Person {
        user_id: i64,
        role: Role,
    },
    Partner {
        token_id: i64,
        organisation_id: i64,
        scopes: Vec<Scope>,
    },
}

impl Principal {
    /// Whether this caller may take `action`.
    pub fn may(&self, action: Action) -> bool {
        match self {
            Principal::Person { role, .. } => role_actions(*role).contains(&action),
            Principal::Partner { scopes, .. } => scopes
                .iter()
                .any(|scope| scope_actions(*scope).contains(&action)),
        }
    }
}

/// The table for people. Later capabilities add their actions here, one line per role.
pub fn role_actions(role: Role) -> &'static [Action] {
    use Action::*;
    match role {
        Role::Admin => &[
            ReadOwnAccount,
            ReadReferenceData,
            WriteReferenceData,
            ManageUsers,
            ManagePartnerTokens,
            ReadSteering,
            SeeHolderNames,
        ],
        Role::Coordinator => &[
            ReadOwnAccount,
            ReadReferenceData,
            WriteReferenceData,
            ReadSteering,
            WriteSteering,
            SeeHolderNames,
            ReadGaps,
            ManageBodies,
            WriteOffers,
            ManageSurveys,
            ReadSurveyResults,
            AnswerSurveys,
            ReadReports,
            ReadProgrammeDocuments,
            RecordDocumentFeedback,
        ],
        Role::KiLead => &[
            ReadOwnAccount,
            ReadReferenceData,
            ReadSteering,
            WriteSteering,
            SeeHolderNames,
            ReadGaps,
            ManageBodies,
            WriteOffers,
            ReadSurveyResults,
            AnswerSurveys,
            ReadReports,
            ConfirmAccessChanges,
            ReadProgrammeDocuments,
            ManageProgrammeDocuments,
            RecordDocumentFeedback,
        ],
        Role::CmCoordinator => &[
            ReadOwnAccount,
            ReadReferenceData,
            ReadSteering,
            SuperviseCases,
            ReassignCases,
            ReadGaps,
            AnswerSurveys,
            PlaceLegalHolds,
            ReadReports,
            SubmitIntakeRequests,
            DecideIntakeRequests,
            ReadProgrammeDocuments,
            ManageProgrammeDocuments,
            RecordDocumentFeedback,
            ManageIntakeRules,
        ],
        Role::SteeringMember => &[
            ReadOwnAccount,
            ReadReferenceData,
            ReadSteering,
            ReadGaps,
            AnswerSurveys,
            ReadReports,
            ReadProgrammeDocuments,
        ],
        Role::Analyst => &[
            ReadOwnAccount,
            ReadReferenceData,
            ReadSteering,
            ReadGaps,
            ReadReports,
        ],
        Role::CaseManager => &[
            ReadOwnAccount,
            ReadReferenceData,
            ReadOwnPosition,
            WorkCases,
            ReadGaps,
            ReportGaps,
            AnswerSurveys,
            ReadOwnCaseReports,
            SubmitIntakeRequests,
            ReadProgrammeDocuments,
            AcknowledgeProgrammeDocuments,
            GiveDocumentFeedback,
        ],
        Role::ImmigrationOfficer => &[
            ReadOwnAccount,
            ReadReferenceData,
            AnswerResidenceRequests,
            RecordOfficeOutcomes,
            AnswerSurveys,
        ],
        Role::DataProtectionOfficer => &[
            ReadOwnAccount,
            ReadReferenceData,
            ReadAuditTrail,
            ExportClientData,
            EraseClients,
            PlaceLegalHolds,
            ManageRetention,
            ConfirmAccessChanges,
        ],
        Role::ProjectGroupMember => &[
            ReadOwnAccount,
            ReadReferenceData,
            ReadGaps,
            AnswerSurveys,
            ReadProgrammeDocuments,
        ],
    }
}

/// The table for partner tokens: a token may do the union of its scopes' actions.
pub fn scope_actions(scope: Scope) -> &'static [Action] {
    use Action::*;
    match scope {
        // Partners need the county's reference data to address referrals and read reports.
        // Answering a referral one cannot read makes no sense, so write includes read.
        Scope::ReferralsRead => &[ReadOwnAccount, ReadReferenceData, ReadReferrals],
        Scope::ReferralsWrite => &[
            ReadOwnAccount,
            ReadReferenceData,
            ReadReferrals,
            AnswerReferrals,
        ],
        Scope::ReportsRead => &[ReadOwnAccount, ReadReferenceData, ReadReports],
        Scope::OffersWrite => &[ReadOwnAccount, ReadReferenceData, WriteOwnOffers],
        Scope::SurveysWrite => &[ReadOwnAccount, ReadReferenceData, AnswerSurveys],
        // Reference data to name the municipality; the requests it sent, not the cases opened.
        Scope::IntakeWrite => &[ReadOwnAccount, ReadReferenceData, SubmitIntakeRequests],
        Scope::ResidenceRequestsRead => &[ReadOwnAccount, ReadReferenceData, ReadOfficeRequests],
        Scope::GapsContribute => &[ReadOwnAccount, ReadReferenceData, ContributeToGaps],
    }
}

/// The roles allowed to take `action`, for documentation and error messages.
pub fn roles_allowed(action: Action) -> Vec<Role> {
    Role::ALL
        .iter()
        .copied()
        .filter(|r| role_actions(*r).contains(&action))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(role: Role) -> Principal {
        Principal::Person { user_id: 1, role }
    }

    fn partner(scopes: &[Scope]) -> Principal {
        Principal::Partner {
            token_id: 1,
            organisation_id: 1,
            scopes: scopes.to_vec(),
        }
    }

    /// The whole table, written out, so a change to it is a visible change to this test.
    #[test]
    fn table_for_people_is_exactly_as_documented() {
        use Action::*;
        for role in Role::ALL {
            for action in Action::ALL {
                let expected = matches!(
                    (role, action),
                    (_, ReadOwnAccount | ReadReferenceData)
                        | (
                            Role::Admin,
                            WriteReferenceData | ManageUsers | ManagePartnerTokens
                        )
                        | (
                            Role::Admin | Role::KiLead | Role::Coordinator,
                            ReadSteering | SeeHolderNames
                        )
                        | (
                            Role::CmCoordinator | Role::SteeringMember | Role::Analyst,
                            ReadSteering
                        )
                        | (Role::KiLead | Role::Coordinator, WriteSteering)
                        | (Role::Coordinator, WriteReferenceData)
                        | (Role::CaseManager, ReadOwnPosition | WorkCases)
                        | (Role::CmCoordinator, SuperviseCases | ReassignCases)
                        | (
                            Role::CmCoordinator | Role::CaseManager,
                            SubmitIntakeRequests
                        )
                        | (Role::CmCoordinator, DecideIntakeRequests)
                        | (Role::CmCoordinator, ManageIntakeRules)
                        | (
                            Role::ImmigrationOfficer,
                            AnswerResidenceRequests | RecordOfficeOutcomes
                        )
                        | (
                            Role::DataProtectionOfficer,
                            ReadAuditTrail | ExportClientData | EraseClients | ManageRetention
                        )
                        | (
                            Role::CmCoordinator | Role::DataProtectionOfficer,
                            PlaceLegalHolds
                        )
                        | (
                            Role::KiLead
                                | Role::Coordinator
                                | Role::CmCoordinator
                                | Role::CaseManager
                                | Role::SteeringMember
                                | Role::ProjectGroupMember
                                | Role::Analyst,
                            ReadGaps
                        )
                        | (Role::CaseManager, ReportGaps | ReadOwnCaseReports)
                        | (
                            Role::Analyst
                                | Role::KiLead
                                | Role::Coordinator
                                | Role::CmCoordinator
                                | Role::SteeringMember,
                            ReadReports
                        )
                        | (
                            Role::KiLead | Role::Coordinator,
                            ManageBodies | WriteOffers | ReadSurveyResults
                        )
                        | (Role::Coordinator, ManageSurveys)
                        | (
                            Role::KiLead | Role::DataProtectionOfficer,
                            ConfirmAccessChanges
                        )
                        | (
                            Role::KiLead
                                | Role::Coordinator
                                | Role::CmCoordinator
                                | Role::CaseManager
                                | Role::SteeringMember
                                | Role::ProjectGroupMember
                                | Role::ImmigrationOfficer,
                            AnswerSurveys
                        )
                        | (
                            Role::KiLead
                                | Role::Coordinator
                                | Role::CmCoordinator
                                | Role::CaseManager
                                | Role::SteeringMember
                                | Role::ProjectGroupMember,
                            ReadProgrammeDocuments
                        )
                        | (Role::KiLead | Role::CmCoordinator, ManageProgrammeDocuments)
                        | (
                            Role::CaseManager,
                            AcknowledgeProgrammeDocuments | GiveDocumentFeedback
                        )
                        | (
                            Role::KiLead | Role::Coordinator | Role::CmCoordinator,
                            RecordDocumentFeedback
                        )
                );
                assert_eq!(person(*role).may(*action), expected, "{role} / {action}");
            }
        }
    }

    #[test]
    fn only_admin_manages_accounts_and_tokens() {
        assert_eq!(roles_allowed(Action::ManageUsers), vec![Role::Admin]);
        assert_eq!(
            roles_allowed(Action::ManagePartnerTokens),
            vec![Role::Admin]
        );
        assert_eq!(
            roles_allowed(Action::WriteReferenceData),
            vec![Role::Admin, Role::Coordinator]
        );
    }

    #[test]
    fn partners_read_reference_data_and_nothing_administrative() {
        for scope in Scope::ALL {
            let p = partner(&[*scope]);
            assert!(p.may(Action::ReadReferenceData));
            assert!(p.may(Action::ReadOwnAccount));
            assert!(!p.may(Action::WriteReferenceData));
            assert!(!p.may(Action::ManageUsers));
            assert!(!p.may(Action::ManagePartnerTokens));
            assert!(!p.may(Action::ReadSteering));
        }
    }

    /// The whole table for tokens, written out like the one for people.
    #[test]
    fn table_for_scopes_is_exactly_as_documented() {
        use Action::*;
        for scope in Scope::ALL {
            for action in Action::ALL {
                let expected = matches!(
                    (scope, action),
                    (_, ReadOwnAccount | ReadReferenceData)
                        | (Scope::ReferralsRead | Scope::ReferralsWrite, ReadReferrals)
                        | (Scope::ReferralsWrite, AnswerReferrals)
                        | (Scope::OffersWrite, WriteOwnOffers)
                        | (Scope::SurveysWrite, AnswerSurveys)
                        | (Scope::ReportsRead, ReadReports)
                        | (Scope::IntakeWrite, SubmitIntakeRequests)
                        | (Scope::ResidenceRequestsRead, ReadOfficeRequests)
                        | (Scope::GapsContribute, ContributeToGaps)
                );
                assert_eq!(
                    partner(&[*scope]).may(*action),
                    expected,
                    "{scope} / {action}"
                );
            }
        }
    }

    #[test]
    fn case_data_actions_belong_to_case_roles_only() {
        assert_eq!(roles_allowed(Action::WorkCases), vec![Role::CaseManager]);
        assert_eq!(
            roles_allowed(Action::SuperviseCases),
            vec![Role::CmCoordinator]
        );
        assert_eq!(
            roles_allowed(Action::ReassignCases),
            vec![Role::CmCoordinator]
        );
        assert_eq!(
            roles_allowed(Action::AnswerResidenceRequests),
            vec![Role::ImmigrationOfficer]
        );
        assert_eq!(
            roles_allowed(Action::ReadAuditTrail),
            vec![Role::DataProtectionOfficer]
        );
        assert!(roles_allowed(Action::ReadReferrals).is_empty());
        assert!(roles_allowed(Action::AnswerReferrals).is_empty());
    }

    /// The roles an administrator may not grant alone: everyone who works or reads cases, and
    /// everyone who may confirm such grants (else an administrator could create a confirmer).
    #[test]
    fn roles_reaching_case_data_are_the_case_roles_and_the_confirmers() {
        let reaching: Vec<Role> = Role::ALL
            .iter()
            .copied()
            .filter(|role| role_actions(*role).iter().any(|a| a.reaches_case_data()))
            .collect();
        assert_eq!(
            reaching,
            vec![
                Role::KiLead,
                Role::CmCoordinator,
                Role::CaseManager,
                Role::ImmigrationOfficer,
                Role::DataProtectionOfficer,
            ]
        );
        assert!(!role_actions(Role::Admin)
            .iter()
            .any(|a| a.reaches_case_data()));
    }

    /// `intake:write` sends a person's data in and reads back only the status of its own
    /// requests: nothing that would make an administrator's grant need a second person.
    #[test]
    fn scopes_reaching_case_data_are_the_referral_and_office_scopes() {
        let reaching: Vec<Scope> = Scope::ALL
            .iter()
            .copied()
            .filter(|scope| scope_actions(*scope).iter().any(|a| a.reaches_case_data()))
            .collect();
        assert_eq!(
            reaching,
            vec![
                Scope::ReferralsRead,
                Scope::ReferralsWrite,
                Scope::ResidenceRequestsRead
            ]
        );
        assert!(!Action::SubmitIntakeRequests.reaches_case_data());
        assert!(Action::DecideIntakeRequests.reaches_case_data());
        assert_eq!(
            roles_allowed(Action::DecideIntakeRequests),
            vec![Role::CmCoordinator]
        );
    }

    #[test]
    fn a_partner_without_scopes_may_do_nothing() {
        for action in Action::ALL {
            assert!(!partner(&[]).may(*action));
        }
    }
}
