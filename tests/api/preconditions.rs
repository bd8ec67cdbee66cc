//! The precondition contract, once for every versioned resource: a change without `If-Match`
//! is 428, with a stale version 412, to an unknown id 404, to an object the caller may not see
//! 404 (where objects have per-object visibility), without a token 401; and a refused change
//! changes nothing (the object keeps its version).
//!
//! Not yet in the table (their own files check If-Match): clearing records (version 0 before
//! the first save), survey responses (an open campaign with its respondent), legal holds and
//! erasure (the version read back is the client's, inside the export), course participations,
//! funding rates and retention rules (no single GET to read the version back), the gap steps
//! other than `escalate`, accepting an intake request, adopting a programme document (a
//! steering-group decision first), and deleting a webhook (a receiver that answers first).

mod targets;

use kim_tests::builders::version;
use kim_tests::{backend_tests, expect_problem, StatusCode, TestApp};

use targets::{target, Resource};

backend_tests!(
    case_work_answers_the_precondition_contract,
    gaps_and_offers_answer_the_precondition_contract,
    reference_data_answers_the_precondition_contract,
    planning_answers_the_precondition_contract,
);

/// A second case manager, who may not see the demo case manager's cases.
const OUTSIDER: &str = "cm.outside";
const UNKNOWN_ID: i64 = 987_654_321;

async fn case_work_answers_the_precondition_contract(app: TestApp) {
    app.add_user(OUTSIDER, kim_domain::Role::CaseManager);
    for resource in [
        Resource::CaseUpdate,
        Resource::CaseTransition,
        Resource::CaseReassignment,
        Resource::ClientUpdate,
        Resource::ReferralUpdate,
        Resource::ReferralTransition,
        Resource::ReferralDeletion,
        Resource::GoalUpdate,
        Resource::ContactUpdate,
        Resource::ConferenceUpdate,
        Resource::ResidenceRequestTransition,
        Resource::IntakeRequestDecline,
    ] {
        check(&app, resource).await;
    }
}

async fn gaps_and_offers_answer_the_precondition_contract(app: TestApp) {
    app.add_user(OUTSIDER, kim_domain::Role::CaseManager);
    for resource in [
        Resource::GapStep,
        Resource::OfferUpdate,
        Resource::OfferDeletion,
    ] {
        check(&app, resource).await;
    }
}

async fn reference_data_answers_the_precondition_contract(app: TestApp) {
    for resource in [
        Resource::OrganisationUpdate,
        Resource::MunicipalityUpdate,
        Resource::MunicipalityDeletion,
        Resource::SocialAreaUpdate,
        Resource::ActivityUpdate,
        Resource::ActivityDeletion,
        Resource::RoadmapItemUpdate,
        Resource::RoadmapItemDeletion,
        Resource::IntakeRuleUpdate,
        Resource::BodyUpdate,
        Resource::BodyDeletion,
        Resource::MeetingUpdate,
        Resource::MeetingDeletion,
        Resource::SocialAreaDeletion,
        Resource::IntakeRuleDeletion,
        Resource::OrganisationDeletion,
    ] {
        check(&app, resource).await;
    }
}

async fn planning_answers_the_precondition_contract(app: TestApp) {
    for resource in [
        Resource::AgreementUpdate,
        Resource::AgreementTransition,
        Resource::PositionUpdate,
        Resource::PositionTransition,
        Resource::ProgrammeDocumentUpdate,
        Resource::UserUpdate,
        Resource::CourseUpdate,
        Resource::QuestionnaireUpdate,
        Resource::QuestionnaireDeletion,
        Resource::CampaignUpdate,
        Resource::CampaignDeletion,
        Resource::OfficeOutcomeUpdate,
        Resource::QuestionnaireVersionReplace,
        Resource::NeedScoreUpdate,
    ] {
        check(&app, resource).await;
    }
}

/// The five refusals of one resource, each leaving the object as it was.
async fn check(app: &TestApp, resource: Resource) {
    let target = target(app, resource).await;
    let read = target.read.replace("{id}", &target.id.to_string());
    let before = version(&app.get_json(&read, &target.token).await);
    let send = |token: Option<String>, id: i64, version: Option<i64>| {
        let path = target.operation.replace("{id}", &id.to_string());
        let target = &target;
        async move {
            app.send(
                target.method.clone(),
                &path,
                token.as_deref(),
                version,
                target.body.as_ref(),
            )
            .await
        }
    };
    let owner = || Some(target.token.clone());
    let refusals = [
        (
            "no If-Match",
            send(owner(), target.id, None).await,
            StatusCode::PRECONDITION_REQUIRED,
            "if-match-required",
        ),
        (
            "a stale version",
            send(owner(), target.id, Some(before - 1)).await,
            StatusCode::PRECONDITION_FAILED,
            "stale-version",
        ),
        (
            "an unknown id",
            send(owner(), UNKNOWN_ID, Some(before)).await,
            StatusCode::NOT_FOUND,
            "not-found",
        ),
        (
            "no token",
            send(None, target.id, Some(before)).await,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
    ];
    for (what, response, status, slug) in refusals {
        let problem = expect_problem(response, status, slug).await;
        let after = version(&app.get_json(&read, &target.token).await);
        assert_eq!(
            after, before,
            "{resource:?} with {what} changed it: {problem}"
        );
    }
    let stale = send(owner(), target.id, Some(before - 1)).await;
    let stale = expect_problem(stale, StatusCode::PRECONDITION_FAILED, "stale-version").await;
    assert!(
        stale["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&format!("version is {before}"))),
        "{resource:?}: {stale}"
    );
    if let Some(outsider) = &target.outsider {
        let hidden = send(Some(outsider.clone()), target.id, Some(before)).await;
        expect_problem(hidden, StatusCode::NOT_FOUND, "not-found").await;
        let after = version(&app.get_json(&read, &target.token).await);
        assert_eq!(after, before, "{resource:?} by an outsider changed it");
    }
}
