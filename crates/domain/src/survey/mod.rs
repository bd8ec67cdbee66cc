//! The needs survey (Bedarfsabfrage): questionnaires and their validation, the answers of a
//! response (a draft saved partially, a submission checked completely), the lifecycles of
//! campaigns and responses, and who may answer which respondent slot.
//!
//! A questionnaire version holds sections of questions. Answers are kept as a map from the
//! question's `key` to a value whose shape depends on the question's kind; errors name the
//! question as `answers.<key>` so that a form can show each next to its question.
//!
//! The questionnaire rules are here (about 350 lines); answers and lifecycles are in the child
//! modules; the tests of all three stay here, since they build questionnaires the same way.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::field::FieldErrorKind;

mod campaign;
pub use campaign::{
    check_deletable, check_questionnaire_change, check_respondent_removable, check_respondent_role,
    check_takes_respondents,
};

mod answers;
mod lifecycle;

pub use answers::{check_answers, AnswerValue, Answers, Completeness};
pub use lifecycle::{
    check_answering_period, check_campaign_transition, check_initial_status, check_slot,
    response_access, response_move, RespondentSlot, ResponseAccess, ResponseMove,
};

crate::vocabulary! {
    /// Fragetyp (kind of question): decides which answer values are valid.
    pub enum QuestionKind {
        /// One of the options; the answer is the option's `value` (a string)
        SingleChoice => "single_choice",
        /// Any number of the options; the answer is a list of option values
        MultipleChoice => "multiple_choice",
        /// A rating from 1 (low) to 5 (high); the answer is an integer
        Scale => "scale",
        /// A number, optionally within `min` and `max`
        Number => "number",
        /// Free text, at most 4000 characters
        FreeText => "free_text",
        /// Ja/Nein; the answer is `true` or `false`
        YesNo => "yes_no",
    }
}

crate::vocabulary! {
    /// Status einer Befragung (campaign status).
    pub enum CampaignStatus {
        /// In preparation: respondents may be changed; nobody can answer yet
        Draft => "draft",
        /// Running: respondents answer between `opens_on` and `closes_on`
        Open => "open",
        /// Ended: answers are frozen; results stay readable; may be reopened
        Closed => "closed",
    }
}

crate::vocabulary! {
    /// Bearbeitungsstand einer Antwort (response status).
    pub enum ResponseStatus {
        /// Nothing saved yet
        NotStarted => "not_started",
        /// Saved partially (Entwurf); may be changed
        Draft => "draft",
        /// Submitted (abgeschickt); complete and final unless the coordination reopens it
        Submitted => "submitted",
    }
}

crate::vocabulary! {
    /// Who a respondent slot stands for.
    pub enum RespondentKind {
        /// A municipality (Kommune) of the county
        Municipality => "municipality",
        /// An organisation, e.g. a welfare organisation of the Freie Wohlfahrt
        Organisation => "organisation",
    }
}

/// The lowest and highest value of a scale question.
pub const SCALE_MIN: i64 = 1;
pub const SCALE_MAX: i64 = 5;
/// The longest free-text answer.
pub const MAX_FREE_TEXT_CHARS: usize = 4000;
/// Limits that keep a questionnaire a questionnaire.
pub const MAX_SECTIONS: usize = 30;
pub const MAX_QUESTIONS: usize = 200;
pub const MAX_OPTIONS: usize = 50;

/// One choice of a single- or multiple-choice question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOption {
    /// Stable value stored in answers; 1 to 60 characters of `a-z`, `0-9`, `_`.
    #[schema(example = "language", pattern = "^[a-z0-9_]{1,60}$")]
    pub value: String,
    /// What the respondent reads; 1 to 200 characters, not blank.
    #[schema(example = "Sprache", pattern = "\\S", min_length = 1, max_length = 200)]
    pub label: String,
}

/// Frage (question).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Unique within the version; 1 to 60 characters of `a-z`, `0-9`, `_`; answers are keyed by it.
    #[schema(example = "need_language", pattern = "^[a-z0-9_]{1,60}$")]
    pub key: String,
    /// 1 to 1000 characters, not blank.
    #[schema(
        example = "Wie hoch ist der Bedarf an Sprachförderung?",
        pattern = "\\S",
        min_length = 1,
        max_length = 1000
    )]
    pub text: String,
    /// Ausfüllhinweis (help text); not blank, at most 2000 characters.
    #[serde(default)]
    #[schema(pattern = "\\S", min_length = 1, max_length = 2000)]
    pub help_text: Option<String>,
    pub kind: QuestionKind,
    /// A submitted response must answer it.
    #[serde(default)]
    pub required: bool,
    /// The choices; at least two for choice questions, none for other kinds; at most 50.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub options: Vec<ChoiceOption>,
    /// Lowest allowed number (number questions only).
    #[serde(default)]
    pub min: Option<f64>,
    /// Highest allowed number (number questions only).
    #[serde(default)]
    pub max: Option<f64>,
}

/// Abschnitt (section) of a questionnaire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// 1 to 200 characters, not blank.
    #[schema(
        example = "Bedarfe nach Zielgruppen",
        pattern = "\\S",
        min_length = 1,
        max_length = 200
    )]
    pub title: String,
    /// Not blank, at most 2000 characters.
    #[serde(default)]
    #[schema(pattern = "\\S", min_length = 1, max_length = 2000)]
    pub description: Option<String>,
    /// At least one; at most 200 in the whole questionnaire.
    #[schema(min_items = 1, max_items = 200)]
    pub questions: Vec<Question>,
}

/// One field that is wrong, named the way the client sent it (`sections[0].questions[2].key`,
/// `answers.need_language`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: String,
    pub message: String,
    /// Whether the document states the rule (see [`FieldErrorKind`]).
    pub kind: FieldErrorKind,
}

impl Invalid {
    /// A value that breaks a rule the document states.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Invalid {
        Invalid {
            field: field.into(),
            message: message.into(),
            kind: FieldErrorKind::Schema,
        }
    }

    /// A rule across fields or over stored state (the questionnaire a response answers).
    pub fn rule(field: impl Into<String>, message: impl Into<String>) -> Invalid {
        Invalid {
            kind: FieldErrorKind::Rule,
            ..Invalid::new(field, message)
        }
    }

    /// A key or id that names nothing.
    pub fn reference(field: impl Into<String>, message: impl Into<String>) -> Invalid {
        Invalid {
            kind: FieldErrorKind::Reference,
            ..Invalid::new(field, message)
        }
    }
}

fn is_identifier(value: &str) -> bool {
    (1..=60).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn check_text(errors: &mut Vec<Invalid>, field: String, value: &str, max: usize) {
    if crate::text::is_blank(value) {
        errors.push(Invalid::new(field, "must not be empty"));
    } else if value.chars().count() > max {
        errors.push(Invalid::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
}

/// Checks a questionnaire's sections: at least one question, unique keys, choice questions with
/// at least two options of unique values, `min`/`max` only on number questions and in order.
/// Every problem is listed.
pub fn validate_sections(sections: &[Section]) -> Result<(), Vec<Invalid>> {
    let mut errors = Vec::new();
    if sections.is_empty() {
        errors.push(Invalid::new("sections", "at least one section is required"));
    }
    if sections.len() > MAX_SECTIONS {
        errors.push(Invalid::new(
            "sections",
            format!("at most {MAX_SECTIONS} sections"),
        ));
    }
    let total: usize = sections.iter().map(|s| s.questions.len()).sum();
    if total > MAX_QUESTIONS {
        errors.push(Invalid::rule(
            "sections",
            format!("at most {MAX_QUESTIONS} questions in all"),
        ));
    }
    let mut keys = HashSet::new();
    for (s, section) in sections.iter().enumerate() {
        let at = format!("sections[{s}]");
        check_text(&mut errors, format!("{at}.title"), &section.title, 200);
        if let Some(description) = &section.description {
            check_text(&mut errors, format!("{at}.description"), description, 2000);
        }
        if section.questions.is_empty() {
            errors.push(Invalid::new(
                format!("{at}.questions"),
                "at least one question is required",
            ));
        }
        for (q, question) in section.questions.iter().enumerate() {
            let at = format!("{at}.questions[{q}]");
            if !is_identifier(&question.key) {
                errors.push(Invalid::new(
                    format!("{at}.key"),
                    "must be 1 to 60 characters of a-z, 0-9 and _",
                ));
            } else if !keys.insert(question.key.as_str()) {
                errors.push(Invalid::rule(
                    format!("{at}.key"),
                    format!(
                        "'{}' is used by another question; keys must be unique",
                        question.key
                    ),
                ));
            }
            check_text(&mut errors, format!("{at}.text"), &question.text, 1000);
            if let Some(help) = &question.help_text {
                check_text(&mut errors, format!("{at}.help_text"), help, 2000);
            }
            check_options(&mut errors, &at, question);
            check_bounds(&mut errors, &at, question);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn check_options(errors: &mut Vec<Invalid>, at: &str, question: &Question) {
    let field = format!("{at}.options");
    let is_choice = matches!(
        question.kind,
        QuestionKind::SingleChoice | QuestionKind::MultipleChoice
    );
    if !is_choice {
        if !question.options.is_empty() {
            errors.push(Invalid::rule(field, "only choice questions have options"));
        }
        return;
    }
    if question.options.len() < 2 {
        errors.push(Invalid::rule(
            field.clone(),
            "a choice question needs at least two options",
        ));
    } else if question.options.len() > MAX_OPTIONS {
        errors.push(Invalid::new(
            field.clone(),
            format!("at most {MAX_OPTIONS} options"),
        ));
    }
    let mut values = HashSet::new();
    for (o, option) in question.options.iter().enumerate() {
        if !is_identifier(&option.value) {
            errors.push(Invalid::new(
                format!("{field}[{o}].value"),
                "must be 1 to 60 characters of a-z, 0-9 and _",
            ));
        } else if !values.insert(option.value.as_str()) {
            errors.push(Invalid::rule(
                format!("{field}[{o}].value"),
                format!("'{}' is listed twice", option.value),
            ));
        }
        check_text(errors, format!("{field}[{o}].label"), &option.label, 200);
    }
}

fn check_bounds(errors: &mut Vec<Invalid>, at: &str, question: &Question) {
    if question.kind != QuestionKind::Number {
        for (name, value) in [("min", question.min), ("max", question.max)] {
            if value.is_some() {
                errors.push(Invalid::rule(
                    format!("{at}.{name}"),
                    "only number questions have a minimum or maximum",
                ));
            }
        }
        return;
    }
    for (name, value) in [("min", question.min), ("max", question.max)] {
        if value.is_some_and(|v| !v.is_finite()) {
            errors.push(Invalid::new(
                format!("{at}.{name}"),
                "must be a finite number",
            ));
        }
    }
    if let (Some(min), Some(max)) = (question.min, question.max) {
        if min > max {
            errors.push(Invalid::rule(
                format!("{at}.max"),
                "must not be less than min",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::NaiveDate;

    use super::*;
    use crate::permission::Principal;
    use crate::{Role, Scope};

    fn option(value: &str) -> ChoiceOption {
        ChoiceOption {
            value: value.into(),
            label: value.to_uppercase(),
        }
    }

    fn question(key: &str, kind: QuestionKind, required: bool) -> Question {
        let options = match kind {
            QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
                vec![option("a"), option("b"), option("c")]
            }
            _ => vec![],
        };
        Question {
            key: key.into(),
            text: format!("Question {key}?"),
            help_text: None,
            kind,
            required,
            options,
            min: None,
            max: None,
        }
    }

    fn one_section(questions: Vec<Question>) -> Vec<Section> {
        vec![Section {
            title: "S".into(),
            description: None,
            questions,
        }]
    }

    fn every_kind() -> Vec<Section> {
        let mut number = question("staff", QuestionKind::Number, true);
        number.min = Some(0.0);
        number.max = Some(10.0);
        one_section(vec![
            question("single", QuestionKind::SingleChoice, true),
            question("multi", QuestionKind::MultipleChoice, true),
            question("scale", QuestionKind::Scale, true),
            number,
            question("text", QuestionKind::FreeText, false),
            question("yes", QuestionKind::YesNo, true),
        ])
    }

    fn fields(errors: &[Invalid]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    fn given(pairs: &[(&str, Option<AnswerValue>)]) -> BTreeMap<String, Option<AnswerValue>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn text(v: &str) -> Option<AnswerValue> {
        Some(AnswerValue::Text(v.into()))
    }
    fn texts(v: &[&str]) -> Option<AnswerValue> {
        Some(AnswerValue::Texts(
            v.iter().map(|s| s.to_string()).collect(),
        ))
    }
    fn number(n: f64) -> Option<AnswerValue> {
        Some(AnswerValue::Number(n))
    }

    #[test]
    fn a_well_formed_questionnaire_passes() {
        assert_eq!(validate_sections(&every_kind()), Ok(()));
    }

    #[test]
    fn questionnaire_errors_are_listed_by_field() {
        let mut duplicate = question("scale", QuestionKind::Scale, false);
        duplicate.text = " ".into();
        let mut one_option = question("choice", QuestionKind::SingleChoice, false);
        one_option.options.truncate(1);
        let mut twice = question("twice", QuestionKind::MultipleChoice, false);
        twice.options[1].value = "a".into();
        let mut options_on_scale = question("rating", QuestionKind::Scale, false);
        options_on_scale.options = vec![option("x"), option("y")];
        let mut bounds_on_text = question("note", QuestionKind::FreeText, false);
        bounds_on_text.min = Some(1.0);
        let mut reversed = question("count", QuestionKind::Number, false);
        reversed.min = Some(5.0);
        reversed.max = Some(1.0);
        let bad_key = question("Bad Key", QuestionKind::YesNo, false);
        let sections = vec![
            Section {
                title: "".into(),
                description: None,
                questions: vec![
                    question("scale", QuestionKind::Scale, false),
                    duplicate,
                    one_option,
                    twice,
                ],
            },
            Section {
                title: "Second".into(),
                description: None,
                questions: vec![options_on_scale, bounds_on_text, reversed, bad_key],
            },
            Section {
                title: "Empty".into(),
                description: None,
                questions: vec![],
            },
        ];
        let errors = validate_sections(&sections).unwrap_err();
        assert_eq!(
            fields(&errors),
            vec![
                "sections[0].title",
                "sections[0].questions[1].key",
                "sections[0].questions[1].text",
                "sections[0].questions[2].options",
                "sections[0].questions[3].options[1].value",
                "sections[1].questions[0].options",
                "sections[1].questions[1].min",
                "sections[1].questions[2].max",
                "sections[1].questions[3].key",
                "sections[2].questions",
            ]
        );
        assert!(errors[1].message.contains("unique"));
        assert_eq!(
            validate_sections(&[]).unwrap_err()[0].field,
            "sections".to_string()
        );
    }

    #[test]
    fn a_complete_response_passes_and_is_normalised() {
        let answers = check_answers(
            &every_kind(),
            &given(&[
                ("single", text("b")),
                ("multi", texts(&["c", "a"])),
                ("scale", number(4.0)),
                ("staff", number(2.5)),
                ("text", text("  mehr Sprachkurse  ")),
                ("yes", Some(AnswerValue::Bool(false))),
            ]),
            Completeness::Complete,
        )
        .unwrap();
        assert_eq!(
            answers["multi"],
            AnswerValue::Texts(vec!["a".into(), "c".into()])
        );
        assert_eq!(
            answers["text"],
            AnswerValue::Text("mehr Sprachkurse".into())
        );
        assert_eq!(answers.len(), 6);
    }

    #[test]
    fn each_kind_refuses_values_that_do_not_fit() {
        let sections = every_kind();
        let cases: Vec<(&str, Option<AnswerValue>)> = vec![
            ("single", text("z")),
            ("single", texts(&["a"])),
            ("multi", texts(&["a", "z"])),
            ("multi", texts(&["a", "a"])),
            ("multi", text("a")),
            ("scale", number(0.0)),
            ("scale", number(6.0)),
            ("scale", number(2.5)),
            ("scale", text("3")),
            ("staff", number(-1.0)),
            ("staff", number(10.5)),
            ("staff", Some(AnswerValue::Bool(true))),
            (
                "text",
                Some(AnswerValue::Text("x".repeat(MAX_FREE_TEXT_CHARS + 1))),
            ),
            ("text", number(1.0)),
            ("yes", text("yes")),
        ];
        for (key, value) in cases {
            let errors = check_answers(
                &sections,
                &given(&[(key, value.clone())]),
                Completeness::Draft,
            )
            .unwrap_err();
            assert_eq!(
                fields(&errors),
                vec![format!("answers.{key}").as_str()],
                "{key} {value:?}"
            );
        }
        // Bounds are inclusive.
        for n in [0.0, 10.0] {
            assert!(check_answers(
                &sections,
                &given(&[("staff", number(n))]),
                Completeness::Draft
            )
            .is_ok());
        }
        for n in [1.0, 5.0] {
            assert!(check_answers(
                &sections,
                &given(&[("scale", number(n))]),
                Completeness::Draft
            )
            .is_ok());
        }
    }

    #[test]
    fn a_draft_may_miss_required_answers_but_a_submission_may_not() {
        let sections = every_kind();
        let draft = given(&[
            ("scale", number(3.0)),
            ("text", text("  ")),
            ("multi", texts(&[])),
        ]);
        let saved = check_answers(&sections, &draft, Completeness::Draft).unwrap();
        // Blank text and an empty list count as unanswered and are not stored.
        assert_eq!(saved.keys().collect::<Vec<_>>(), vec!["scale"]);
        let errors = check_answers(&sections, &draft, Completeness::Complete).unwrap_err();
        assert_eq!(
            fields(&errors),
            vec![
                "answers.multi",
                "answers.single",
                "answers.staff",
                "answers.yes"
            ]
        );
        assert!(errors[0].message.contains("required"));
    }

    #[test]
    fn null_clears_and_unknown_keys_are_refused() {
        let sections = every_kind();
        let answers =
            check_answers(&sections, &given(&[("scale", None)]), Completeness::Draft).unwrap();
        assert!(answers.is_empty());
        let errors = check_answers(
            &sections,
            &given(&[("nope", number(1.0)), ("scale", number(9.0))]),
            Completeness::Draft,
        )
        .unwrap_err();
        assert_eq!(fields(&errors), vec!["answers.nope", "answers.scale"]);
    }

    #[test]
    fn answers_round_trip_through_json() {
        let json = r#"{"a":"x","b":["x","y"],"c":3,"d":true}"#;
        let parsed: BTreeMap<String, AnswerValue> = serde_json::from_str(json).unwrap();
        assert_eq!(parsed["a"], AnswerValue::Text("x".into()));
        assert_eq!(parsed["c"], AnswerValue::Number(3.0));
        assert_eq!(parsed["d"], AnswerValue::Bool(true));
        assert_eq!(
            serde_json::to_string(&parsed).unwrap(),
            r#"{"a":"x","b":["x","y"],"c":3.0,"d":true}"#
        );
    }

    #[test]
    fn campaign_lifecycle() {
        use CampaignStatus::*;
        for from in CampaignStatus::ALL {
            for to in CampaignStatus::ALL {
                let expected =
                    matches!((from, to), (Draft, Open) | (Open, Closed) | (Closed, Open));
                assert_eq!(
                    check_campaign_transition(*from, *to).is_ok(),
                    expected,
                    "{from} → {to}"
                );
            }
        }
    }

    #[test]
    fn campaigns_start_as_draft_or_open() {
        assert!(check_initial_status(CampaignStatus::Draft).is_ok());
        assert!(check_initial_status(CampaignStatus::Open).is_ok());
        assert_eq!(
            check_initial_status(CampaignStatus::Closed)
                .unwrap_err()
                .field,
            "status"
        );
    }

    #[test]
    fn answers_are_taken_only_while_open_and_within_the_period() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let (opens, closes) = (d("2021-03-01"), d("2021-04-30"));
        let open = CampaignStatus::Open;
        assert!(check_answering_period(open, opens, closes, d("2021-03-01")).is_ok());
        assert!(check_answering_period(open, opens, closes, d("2021-04-30")).is_ok());
        assert!(check_answering_period(open, opens, closes, d("2021-02-28"))
            .unwrap_err()
            .contains("from 2021-03-01"));
        assert!(check_answering_period(open, opens, closes, d("2021-05-01"))
            .unwrap_err()
            .contains("until 2021-04-30"));
        assert!(
            check_answering_period(CampaignStatus::Draft, opens, closes, d("2021-03-15")).is_err()
        );
        assert!(
            check_answering_period(CampaignStatus::Closed, opens, closes, d("2021-03-15")).is_err()
        );
    }

    #[test]
    fn response_lifecycle() {
        use ResponseMove::*;
        use ResponseStatus::*;
        assert_eq!(response_move(NotStarted, Save), Ok(Draft));
        assert_eq!(response_move(Draft, Save), Ok(Draft));
        assert_eq!(response_move(NotStarted, Submit), Ok(Submitted));
        assert_eq!(response_move(Draft, Submit), Ok(Submitted));
        assert_eq!(response_move(Submitted, Reopen), Ok(Draft));
        assert!(response_move(Submitted, Save).is_err());
        assert!(response_move(Submitted, Submit).is_err());
        assert!(response_move(Draft, Reopen).is_err());
        assert!(response_move(NotStarted, Reopen).is_err());
    }

    fn person(user_id: i64, role: Role) -> Principal {
        Principal::Person { user_id, role }
    }

    fn partner(organisation_id: i64, scopes: &[Scope]) -> Principal {
        Principal::Partner {
            token_id: 9,
            organisation_id,
            scopes: scopes.to_vec(),
        }
    }

    #[test]
    fn only_the_named_person_answers_a_slot() {
        let slot = RespondentSlot {
            kind: RespondentKind::Municipality,
            municipality_id: Some(3),
            organisation_id: None,
            respondent_user_id: Some(7),
        };
        assert_eq!(
            response_access(&person(7, Role::CaseManager), &slot),
            ResponseAccess::Respondent
        );
        assert_eq!(
            response_access(&person(8, Role::CaseManager), &slot),
            ResponseAccess::None
        );
        // Named, but a role that may not answer surveys.
        assert_eq!(
            response_access(&person(7, Role::Analyst), &slot),
            ResponseAccess::None
        );
        assert_eq!(
            response_access(&person(1, Role::Coordinator), &slot),
            ResponseAccess::Coordination
        );
        assert_eq!(
            response_access(&person(2, Role::KiLead), &slot),
            ResponseAccess::Reader
        );
        // A partner token never answers for a municipality.
        assert_eq!(
            response_access(&partner(3, &[Scope::SurveysWrite]), &slot),
            ResponseAccess::None
        );
        for role in Role::ALL {
            let access = response_access(&person(8, *role), &slot);
            assert_eq!(access.may_answer(), *role == Role::Coordinator, "{role}");
            assert_eq!(
                access.may_read(),
                matches!(role, Role::Coordinator | Role::KiLead),
                "{role}"
            );
        }
    }

    #[test]
    fn a_partner_answers_only_its_organisations_slot_with_the_scope() {
        let slot = RespondentSlot {
            kind: RespondentKind::Organisation,
            municipality_id: None,
            organisation_id: Some(11),
            respondent_user_id: None,
        };
        assert_eq!(
            response_access(&partner(11, &[Scope::SurveysWrite]), &slot),
            ResponseAccess::Respondent
        );
        assert_eq!(
            response_access(&partner(12, &[Scope::SurveysWrite]), &slot),
            ResponseAccess::None
        );
        assert_eq!(
            response_access(&partner(11, &[Scope::ReferralsWrite]), &slot),
            ResponseAccess::None
        );
        assert!(ResponseAccess::Respondent.may_answer());
        assert!(!ResponseAccess::Reader.may_answer());
        assert!(!ResponseAccess::None.may_read());
    }

    #[test]
    fn slots_name_exactly_one_respondent() {
        let slot = |kind, m, o| RespondentSlot {
            kind,
            municipality_id: m,
            organisation_id: o,
            respondent_user_id: None,
        };
        assert!(check_slot(&slot(RespondentKind::Municipality, Some(1), None), "x").is_ok());
        assert!(check_slot(&slot(RespondentKind::Organisation, None, Some(1)), "x").is_ok());
        assert!(check_slot(&slot(RespondentKind::Municipality, None, Some(1)), "x").is_err());
        assert!(check_slot(&slot(RespondentKind::Municipality, Some(1), Some(1)), "x").is_err());
        assert!(check_slot(&slot(RespondentKind::Organisation, None, None), "x").is_err());
    }
}
