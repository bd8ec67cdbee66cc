//! Keeps docs/PRIVACY.md (the record of processing, Art. 30 GDPR) true: the roles its "Who may
//! see it" lines name for each category of personal data must be exactly the roles the access
//! table ([`crate::access`]) and the permission table let see that category.

use std::collections::BTreeSet;

use crate::access::{
    case_access, referral_access, request_access, CaseFacts, ReferralFacts, RequestFacts,
};
use crate::intake_request::{intake_access, IntakeAccess, IntakeFacts};
use crate::referral::ReferralStatus;
use crate::{Action, Principal, Role};

const RECORD: &str = include_str!("../../../docs/PRIVACY.md");

fn person(role: Role) -> Principal {
    Principal::Person { user_id: 1, role }
}

/// A case the caller works (if their role works cases at all).
const OWN_CASE: CaseFacts = CaseFacts {
    assigned_to: 1,
    deputy: None,
};
/// A case of someone else.
const OTHER_CASE: CaseFacts = CaseFacts {
    assigned_to: 99,
    deputy: None,
};
const OFFICE: i64 = 7;

fn sees_cases(p: &Principal) -> bool {
    case_access(p, &OWN_CASE).may_read()
}

fn exports(p: &Principal) -> bool {
    p.may(Action::ExportClientData)
}

fn office_sees_requests(p: &Principal) -> bool {
    let request = RequestFacts {
        case: OTHER_CASE,
        office_organisation_id: OFFICE,
    };
    request_access(p, Some(OFFICE), &request).may_read()
}

/// The roles that may see each category, derived from the rules.
fn derived(category: &str) -> BTreeSet<Role> {
    Role::ALL
        .iter()
        .copied()
        .filter(|role| {
            let p = person(*role);
            match category {
                "Client master data" => sees_cases(&p) || office_sees_requests(&p) || exports(&p),
                "Case data" | "Consents" => sees_cases(&p) || exports(&p),
                "Referrals" => {
                    let referral = ReferralFacts {
                        case: OWN_CASE,
                        recipient_organisation_id: 5,
                        status: ReferralStatus::Sent,
                    };
                    referral_access(&p, &referral).may_read() || exports(&p)
                }
                "Residence-law requests" => {
                    let own = RequestFacts {
                        case: OWN_CASE,
                        office_organisation_id: OFFICE,
                    };
                    request_access(&p, None, &own).may_read()
                        || office_sees_requests(&p)
                        || exports(&p)
                }
                "Intake requests" => {
                    // The person's data in a request: the CM coordination, and the export. The
                    // referrer (a case manager who entered it) reads back only its status.
                    let entered_by_caller = IntakeFacts {
                        referring_organisation_id: 5,
                        submitted_by_user: Some(1),
                    };
                    intake_access(&p, &entered_by_caller) == IntakeAccess::Decider || exports(&p)
                }
                "Audit events" => p.may(Action::ReadAuditTrail),
                "Staff accounts" => p.may(Action::ManageUsers),
                other => panic!("docs/PRIVACY.md has a category the test does not know: {other}"),
            }
        })
        .collect()
}

/// The roles the document names in a category's "Who may see it" item.
fn documented(section: &str) -> BTreeSet<Role> {
    let Some(start) = section.find("**Who may see it:**") else {
        return BTreeSet::new();
    };
    let rest = &section[start..];
    let end = rest[1..].find("\n- **").map_or(rest.len(), |i| i + 1);
    rest[..end]
        .split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|word| Role::parse(word).ok())
        .collect()
}

fn categories() -> Vec<(&'static str, &'static str)> {
    let Some(start) = RECORD.find("## Categories of personal data") else {
        return Vec::new();
    };
    let body = &RECORD[start..];
    let end = body[3..].find("\n## ").map_or(body.len(), |i| i + 3);
    body[..end]
        .split("\n### ")
        .skip(1)
        .map(|section| {
            let title = section.lines().next().unwrap_or_default().trim();
            (title, section)
        })
        .collect()
}

#[test]
fn every_category_of_the_record_names_exactly_the_roles_that_may_see_it() {
    let categories = categories();
    let titles: Vec<&str> = categories.iter().map(|(t, _)| *t).collect();
    assert_eq!(
        titles,
        vec![
            "Client master data",
            "Case data",
            "Consents",
            "Referrals",
            "Intake requests",
            "Residence-law requests",
            "Audit events",
            "Staff accounts",
        ]
    );
    for (title, section) in categories {
        let expected = derived(title);
        assert!(!expected.is_empty(), "{title}: nobody may see it?");
        assert_eq!(documented(section), expected, "docs/PRIVACY.md, {title}");
        for item in [
            "**Purpose:**",
            "**Legal basis:**",
            "**Recipients:**",
            "**Retention:**",
            "**Stored in:**",
        ] {
            assert!(section.contains(item), "{title} lacks {item}");
        }
    }
}

#[test]
fn the_parser_reads_roles_only_from_the_who_may_see_it_item() {
    let section = "X\n\n- **Purpose:** `admin`\n- **Who may see it:** `case_manager` (own),\n  `cm_coordinator`, `not_a_role`\n- **Recipients:** `analyst`\n";
    assert_eq!(
        documented(section),
        BTreeSet::from([Role::CaseManager, Role::CmCoordinator])
    );
}
