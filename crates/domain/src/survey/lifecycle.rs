//! The lifecycles of campaigns and responses, the answering period, and who may answer or read
//! which respondent slot.

use chrono::NaiveDate;

use crate::permission::{Action, Principal};
use crate::transition::IllegalTransition;

use super::{CampaignStatus, Invalid, RespondentKind, ResponseStatus};

/// Where a campaign may go: draft → open → closed, and closed → open to extend it.
pub fn check_campaign_transition(
    from: CampaignStatus,
    to: CampaignStatus,
) -> Result<(), IllegalTransition> {
    use CampaignStatus::*;
    let allowed: &[CampaignStatus] = match from {
        Draft => &[Open],
        Open => &[Closed],
        Closed => &[Open],
    };
    if allowed.contains(&to) {
        Ok(())
    } else {
        Err(IllegalTransition {
            from: from.as_str(),
            to: to.as_str(),
            allowed: allowed.iter().map(|s| s.as_str()).collect(),
        })
    }
}

/// A campaign starts as a draft (prepared, then opened) or opened at once; never closed.
pub fn check_initial_status(status: CampaignStatus) -> Result<(), Invalid> {
    if status == CampaignStatus::Closed {
        return Err(Invalid::rule(
            "status",
            "a new campaign is draft or open; close it later",
        ));
    }
    Ok(())
}

/// Why a response cannot be changed now (409), or `Ok` when the campaign takes answers on `today`:
/// it must be open and `today` within its period, both days included.
pub fn check_answering_period(
    status: CampaignStatus,
    opens_on: NaiveDate,
    closes_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), String> {
    match status {
        CampaignStatus::Draft => Err("the campaign has not been opened yet".into()),
        CampaignStatus::Closed => Err("the campaign is closed".into()),
        CampaignStatus::Open if today < opens_on => {
            Err(format!("the campaign takes answers from {opens_on}"))
        }
        CampaignStatus::Open if today > closes_on => {
            Err(format!("the campaign took answers until {closes_on}"))
        }
        CampaignStatus::Open => Ok(()),
    }
}

/// What is done to a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMove {
    /// Save answers (partially).
    Save,
    /// Submit the saved answers.
    Submit,
    /// Reopen a submission for changes (coordination only).
    Reopen,
}

/// The status after `action`, or the refusal (409): a submitted response is changed only after
/// being reopened; only a submitted response can be reopened.
pub fn response_move(
    from: ResponseStatus,
    action: ResponseMove,
) -> Result<ResponseStatus, IllegalTransition> {
    use ResponseStatus::*;
    let to = match action {
        ResponseMove::Save | ResponseMove::Reopen => Draft,
        ResponseMove::Submit => Submitted,
    };
    let ok = match action {
        ResponseMove::Save | ResponseMove::Submit => from != Submitted,
        ResponseMove::Reopen => from == Submitted,
    };
    if ok {
        Ok(to)
    } else {
        let allowed: Vec<&'static str> = match from {
            NotStarted | Draft => vec!["draft", "submitted"],
            Submitted => vec!["draft (reopen, coordination only)"],
        };
        Err(IllegalTransition {
            from: from.as_str(),
            to: to.as_str(),
            allowed,
        })
    }
}

/// A respondent slot of a campaign: one municipality or organisation, answered by a named user
/// or by a partner token of that organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RespondentSlot {
    pub kind: RespondentKind,
    pub municipality_id: Option<i64>,
    pub organisation_id: Option<i64>,
    /// The person named to answer, if any.
    pub respondent_user_id: Option<i64>,
}

/// How a caller relates to a respondent slot's response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseAccess {
    /// The named person, or a partner token of the slot's organisation: reads and answers.
    Respondent,
    /// The survey coordination: reads, answers on the respondent's behalf (a questionnaire
    /// returned on paper or by e-mail), reopens.
    Coordination,
    /// Results readers (KI lead): reads only.
    Reader,
    /// Nothing; the response answers 404 to this caller.
    None,
}

/// Decides a caller's access to one slot's response. Only the slot's own respondent answers:
/// another respondent of the same campaign sees nothing of it.
pub fn response_access(principal: &Principal, slot: &RespondentSlot) -> ResponseAccess {
    let answers = principal.may(Action::AnswerSurveys);
    let is_respondent = match principal {
        Principal::Person { user_id, .. } => answers && slot.respondent_user_id == Some(*user_id),
        Principal::Partner {
            organisation_id, ..
        } => {
            answers
                && slot.kind == RespondentKind::Organisation
                && slot.organisation_id == Some(*organisation_id)
        }
    };
    if is_respondent {
        ResponseAccess::Respondent
    } else if principal.may(Action::ManageSurveys) {
        ResponseAccess::Coordination
    } else if principal.may(Action::ReadSurveyResults) {
        ResponseAccess::Reader
    } else {
        ResponseAccess::None
    }
}

impl ResponseAccess {
    pub fn may_read(self) -> bool {
        self != ResponseAccess::None
    }

    pub fn may_answer(self) -> bool {
        matches!(
            self,
            ResponseAccess::Respondent | ResponseAccess::Coordination
        )
    }
}

/// Checks a respondent slot: a municipality slot names a municipality, an organisation slot an
/// organisation, never both.
pub fn check_slot(slot: &RespondentSlot, at: &str) -> Result<(), Invalid> {
    match (slot.kind, slot.municipality_id, slot.organisation_id) {
        (RespondentKind::Municipality, Some(_), None)
        | (RespondentKind::Organisation, None, Some(_)) => Ok(()),
        (RespondentKind::Municipality, _, _) => Err(Invalid::rule(
            at,
            "a municipality respondent names municipality_id and no organisation_id",
        )),
        (RespondentKind::Organisation, _, _) => Err(Invalid::rule(
            at,
            "an organisation respondent names organisation_id and no municipality_id",
        )),
    }
}
