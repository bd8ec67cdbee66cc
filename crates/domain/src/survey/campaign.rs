//! What a campaign's state allows besides its status moves ([`super::check_campaign_transition`]):
//! deleting it, changing its questionnaire, adding and removing respondents. Each refusal is a
//! 409 whose words say what to do instead.

use super::{CampaignStatus, Invalid, ResponseStatus};
use crate::permission::{role_actions, Action};
use crate::transition::StateConflict;
use crate::Role;

/// Only a campaign that was never opened is deleted: the answers of an opened one are kept.
pub fn check_deletable(status: CampaignStatus) -> Result<(), StateConflict> {
    if status != CampaignStatus::Draft {
        return Err(StateConflict(format!(
            "the campaign is {status}; only draft campaigns can be deleted (close it instead)"
        )));
    }
    Ok(())
}

/// The questionnaire is fixed once the campaign was opened, so every answer answers one version.
pub fn check_questionnaire_change(status: CampaignStatus) -> Result<(), StateConflict> {
    if status != CampaignStatus::Draft {
        return Err(StateConflict(
            "the questionnaire version of a campaign that was opened cannot change".into(),
        ));
    }
    Ok(())
}

/// A closed campaign takes no new respondents until it is reopened.
pub fn check_takes_respondents(status: CampaignStatus) -> Result<(), StateConflict> {
    if status == CampaignStatus::Closed {
        return Err(StateConflict(
            "the campaign is closed; reopen it to add respondents".into(),
        ));
    }
    Ok(())
}

/// A respondent is removed only before their response was started: answers are not thrown away.
pub fn check_respondent_removable(response: ResponseStatus) -> Result<(), StateConflict> {
    if response != ResponseStatus::NotStarted {
        return Err(StateConflict(format!(
            "the respondent's response is {response}; only respondents who have not started can be removed"
        )));
    }
    Ok(())
}

/// A person named as respondent (`respondent_user_id`) must hold a role that answers surveys.
pub fn check_respondent_role(user_id: i64, role: Role) -> Result<(), Invalid> {
    if !role_actions(role).contains(&Action::AnswerSurveys) {
        return Err(Invalid::rule(
            "respondent_user_id",
            format!("user {user_id} has the role {role}, which may not answer surveys"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_drafts_are_deleted_or_change_their_questionnaire() {
        for &status in CampaignStatus::ALL {
            let draft = status == CampaignStatus::Draft;
            assert_eq!(check_deletable(status).is_ok(), draft, "{status}");
            assert_eq!(
                check_questionnaire_change(status).is_ok(),
                draft,
                "{status}"
            );
        }
        assert_eq!(
            check_deletable(CampaignStatus::Open).unwrap_err().0,
            "the campaign is open; only draft campaigns can be deleted (close it instead)"
        );
    }

    #[test]
    fn closed_campaigns_take_no_respondents() {
        for &status in CampaignStatus::ALL {
            assert_eq!(
                check_takes_respondents(status).is_ok(),
                status != CampaignStatus::Closed,
                "{status}"
            );
        }
    }

    #[test]
    fn only_respondents_who_have_not_started_are_removed() {
        for &response in ResponseStatus::ALL {
            assert_eq!(
                check_respondent_removable(response).is_ok(),
                response == ResponseStatus::NotStarted,
                "{response}"
            );
        }
    }

    #[test]
    fn respondents_hold_a_role_that_answers_surveys() {
        for &role in Role::ALL {
            let answers = role_actions(role).contains(&Action::AnswerSurveys);
            let checked = check_respondent_role(7, role);
            assert_eq!(checked.is_ok(), answers, "{role}");
            if let Err(refused) = checked {
                assert_eq!(refused.field, "respondent_user_id");
                assert_eq!(
                    refused.message,
                    format!("user 7 has the role {role}, which may not answer surveys")
                );
            }
        }
        assert!(Role::ALL
            .iter()
            .any(|r| role_actions(*r).contains(&Action::AnswerSurveys)));
    }
}
