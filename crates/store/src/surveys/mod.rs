//! The needs survey (Bedarfsabfrage): questionnaires with versions, sections and questions;
//! campaigns with respondent slots; one response per slot with its history; the weights of the
//! need score. The tables live here, next to their only queries.

pub mod campaigns;
pub mod questionnaires;
pub mod responses;

/// The tables, in a module of their own because `questionnaires` names both a table and a
/// module.
mod tables {
    diesel::table! {
        questionnaires (id) {
            id -> BigInt,
            title -> Text,
            description -> Nullable<Text>,
            version -> Integer,
            created_at -> Timestamp,
            updated_at -> Timestamp,
        }
    }

    diesel::table! {
        questionnaire_versions (id) {
            id -> BigInt,
            questionnaire_id -> BigInt,
            number -> Integer,
            version -> Integer,
            created_at -> Timestamp,
            updated_at -> Timestamp,
        }
    }

    diesel::table! {
        questionnaire_sections (id) {
            id -> BigInt,
            questionnaire_version_id -> BigInt,
            position -> Integer,
            title -> Text,
            description -> Nullable<Text>,
        }
    }

    diesel::table! {
        questionnaire_questions (id) {
            id -> BigInt,
            section_id -> BigInt,
            questionnaire_version_id -> BigInt,
            position -> Integer,
            question_key -> Text,
            kind -> Text,
            text -> Text,
            help_text -> Nullable<Text>,
            required -> Bool,
            options -> Text,
            min_value -> Nullable<Double>,
            max_value -> Nullable<Double>,
        }
    }

    diesel::table! {
        survey_campaigns (id) {
            id -> BigInt,
            questionnaire_version_id -> BigInt,
            title -> Text,
            description -> Nullable<Text>,
            opens_on -> Date,
            closes_on -> Date,
            status -> Text,
            version -> Integer,
            created_at -> Timestamp,
            updated_at -> Timestamp,
        }
    }

    diesel::table! {
        survey_respondents (id) {
            id -> BigInt,
            campaign_id -> BigInt,
            kind -> Text,
            municipality_id -> Nullable<BigInt>,
            organisation_id -> Nullable<BigInt>,
            respondent_user_id -> Nullable<BigInt>,
            created_at -> Timestamp,
        }
    }

    diesel::table! {
        survey_responses (id) {
            id -> BigInt,
            respondent_id -> BigInt,
            status -> Text,
            answers -> Text,
            version -> Integer,
            submitted_at -> Nullable<Timestamp>,
            created_at -> Timestamp,
            updated_at -> Timestamp,
        }
    }

    diesel::table! {
        survey_response_events (id) {
            id -> BigInt,
            response_id -> BigInt,
            action -> Text,
            actor_kind -> Text,
            actor_id -> Nullable<BigInt>,
            reason -> Nullable<Text>,
            at -> Timestamp,
        }
    }

    diesel::table! {
        survey_need_weights (campaign_id, question_key) {
            campaign_id -> BigInt,
            question_key -> Text,
            weight -> Double,
            position -> Integer,
        }
    }

    diesel::joinable!(survey_responses -> survey_respondents (respondent_id));
    diesel::allow_tables_to_appear_in_same_query!(survey_respondents, survey_responses);
}
