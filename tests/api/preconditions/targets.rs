//! For each versioned operation of the table, a fresh object and the change sent to it.

mod case_work;
mod reference;

use kim_tests::{Method, TestApp};
use serde_json::Value;

use super::OUTSIDER;

/// A versioned operation: `{id}` in `operation` and `read` stands for the object's id.
#[derive(Clone, Copy, Debug)]
pub enum Resource {
    CaseUpdate,
    CaseTransition,
    CaseReassignment,
    ClientUpdate,
    ReferralUpdate,
    ReferralTransition,
    ReferralDeletion,
    GoalUpdate,
    ContactUpdate,
    GapStep,
    OfferUpdate,
    OfferDeletion,
    OrganisationUpdate,
    MunicipalityUpdate,
    MunicipalityDeletion,
    SocialAreaUpdate,
    ActivityUpdate,
    ActivityDeletion,
    RoadmapItemUpdate,
    RoadmapItemDeletion,
    IntakeRuleUpdate,
    BodyUpdate,
    BodyDeletion,
    MeetingUpdate,
    MeetingDeletion,
    AgreementUpdate,
    AgreementTransition,
    PositionUpdate,
    PositionTransition,
    ProgrammeDocumentUpdate,
    UserUpdate,
    ConferenceUpdate,
    CourseUpdate,
    SocialAreaDeletion,
    IntakeRuleDeletion,
    OrganisationDeletion,
    QuestionnaireUpdate,
    QuestionnaireDeletion,
    CampaignUpdate,
    CampaignDeletion,
    ResidenceRequestTransition,
    OfficeOutcomeUpdate,
    IntakeRequestDecline,
    QuestionnaireVersionReplace,
    NeedScoreUpdate,
}

/// A fresh object and the change that the table sends to it.
pub struct Target {
    pub method: Method,
    /// The path of the change, with `{id}` for the object's id.
    pub operation: String,
    /// The path that shows the object's `version`, with `{id}`.
    pub read: String,
    pub id: i64,
    /// A caller who may make the change (and read the object).
    pub token: String,
    pub body: Option<Value>,
    /// A caller who may not see this object, where objects have per-object visibility.
    pub outsider: Option<String>,
}

/// What every object maker needs: the app, tokens of the admin and the coordinator, and the
/// outsider of the resource (if any).
pub struct Context<'a> {
    pub app: &'a TestApp,
    pub admin: String,
    pub coordinator: String,
    outsider: Option<String>,
}

impl Context<'_> {
    pub async fn organisation(&self, name: &str) -> i64 {
        self.app.id_of("organisations", name, &self.admin).await
    }

    pub async fn municipality(&self, name: &str) -> i64 {
        self.app.id_of("municipalities", name, &self.admin).await
    }

    /// The change (`put`: PUT `body`) or the deletion of the object at `path`, read back at the
    /// same path, by `token`.
    pub fn put_or_delete(
        &self,
        put: bool,
        path: &'static str,
        id: i64,
        token: &str,
        body: Value,
    ) -> Target {
        if put {
            self.target(Method::PUT, path, path, id, token, Some(body))
        } else {
            self.target(Method::DELETE, path, path, id, token, None)
        }
    }

    pub fn target(
        &self,
        method: Method,
        operation: impl Into<String>,
        read: impl Into<String>,
        id: i64,
        token: &str,
        body: Option<Value>,
    ) -> Target {
        Target {
            method,
            operation: operation.into(),
            read: read.into(),
            id,
            token: token.into(),
            body,
            outsider: self.outsider.clone(),
        }
    }
}

/// Makes a fresh object for `resource`.
pub async fn target(app: &TestApp, resource: Resource) -> Target {
    use Resource::*;
    let outsider = match resource {
        CaseUpdate
        | CaseTransition
        | ClientUpdate
        | ReferralUpdate
        | ReferralTransition
        | ReferralDeletion
        | GoalUpdate
        | ContactUpdate
        | ConferenceUpdate
        | ResidenceRequestTransition => Some(app.token_of(OUTSIDER).await),
        _ => None,
    };
    let ctx = Context {
        app,
        admin: app.token("admin").await,
        coordinator: app.token("coordinator").await,
        outsider,
    };
    match resource {
        CaseUpdate
        | CaseTransition
        | CaseReassignment
        | ClientUpdate
        | ReferralUpdate
        | ReferralTransition
        | ReferralDeletion
        | GoalUpdate
        | ContactUpdate
        | ConferenceUpdate
        | GapStep
        | OfferUpdate
        | OfferDeletion
        | ResidenceRequestTransition
        | IntakeRequestDecline => case_work::target(&ctx, resource).await,
        _ => reference::target(&ctx, resource).await,
    }
}
