//! The answers of a response: each value's shape against its question's kind, options and range;
//! a draft may leave required questions out, a submission may not.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{Invalid, Question, QuestionKind, Section, MAX_FREE_TEXT_CHARS, SCALE_MAX, SCALE_MIN};

/// An answer as sent: its JSON shape (`"x"`, `["x","y"]`, `3`, `true`) is checked against the
/// question's kind by [`check_answers`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum AnswerValue {
    /// yes/no
    Bool(bool),
    /// scale or number
    Number(f64),
    /// single choice or free text
    Text(String),
    /// multiple choice
    Texts(Vec<String>),
}

/// The answers of a response, by question key, as stored: only answered questions, texts trimmed.
pub type Answers = BTreeMap<String, AnswerValue>;

/// How complete the answers must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completeness {
    /// A draft: every given value must fit its question; required questions may be missing.
    Draft,
    /// A submission: additionally every required question is answered.
    Complete,
}

fn questions(sections: &[Section]) -> impl Iterator<Item = &Question> {
    sections.iter().flat_map(|s| s.questions.iter())
}

/// Checks `given` against the questions and returns the answers to store. A `null` value (or a
/// blank text, an empty list) clears the answer. Errors are listed per question as
/// `answers.<key>`, sorted by key.
pub fn check_answers(
    sections: &[Section],
    given: &BTreeMap<String, Option<AnswerValue>>,
    completeness: Completeness,
) -> Result<Answers, Vec<Invalid>> {
    let mut errors = Vec::new();
    let mut answers = Answers::new();
    let known: HashSet<&str> = questions(sections).map(|q| q.key.as_str()).collect();
    for key in given.keys().filter(|k| !known.contains(k.as_str())) {
        errors.push(Invalid::reference(
            format!("answers.{key}"),
            "there is no question with this key in the questionnaire",
        ));
    }
    for question in questions(sections) {
        let field = format!("answers.{}", question.key);
        let mut refused = false;
        if let Some(value) = given.get(&question.key).cloned().flatten() {
            match normalise(question, value) {
                Ok(Some(value)) => {
                    answers.insert(question.key.clone(), value);
                }
                Ok(None) => {}
                Err(message) => {
                    refused = true;
                    errors.push(Invalid::rule(field.clone(), message));
                }
            }
        }
        if completeness == Completeness::Complete
            && question.required
            && !refused
            && !answers.contains_key(&question.key)
        {
            errors.push(Invalid::rule(
                field,
                "is required; answer it before submitting",
            ));
        }
    }
    if errors.is_empty() {
        Ok(answers)
    } else {
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        Err(errors)
    }
}

/// The value to store for one answer, `None` when it counts as unanswered, or why it does not fit.
fn normalise(question: &Question, value: AnswerValue) -> Result<Option<AnswerValue>, String> {
    let option_values = || {
        question
            .options
            .iter()
            .map(|o| o.value.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let is_option = |v: &str| question.options.iter().any(|o| o.value == v);
    match (question.kind, value) {
        (QuestionKind::SingleChoice, AnswerValue::Text(v)) => {
            if is_option(&v) {
                Ok(Some(AnswerValue::Text(v)))
            } else {
                Err(format!(
                    "'{v}' is not an option; expected one of: {}",
                    option_values()
                ))
            }
        }
        (QuestionKind::MultipleChoice, AnswerValue::Texts(values)) => {
            let mut seen = HashSet::new();
            for v in &values {
                if !is_option(v) {
                    return Err(format!(
                        "'{v}' is not an option; expected any of: {}",
                        option_values()
                    ));
                }
                if !seen.insert(v.as_str()) {
                    return Err(format!("'{v}' is chosen twice"));
                }
            }
            // Stored in the questionnaire's option order, so equal choices compare equal.
            let ordered: Vec<String> = question
                .options
                .iter()
                .filter(|o| seen.contains(o.value.as_str()))
                .map(|o| o.value.clone())
                .collect();
            Ok((!ordered.is_empty()).then_some(AnswerValue::Texts(ordered)))
        }
        (QuestionKind::Scale, AnswerValue::Number(n)) => {
            if n.fract() == 0.0 && (SCALE_MIN as f64..=SCALE_MAX as f64).contains(&n) {
                Ok(Some(AnswerValue::Number(n)))
            } else {
                Err(format!(
                    "must be a whole number from {SCALE_MIN} to {SCALE_MAX}"
                ))
            }
        }
        (QuestionKind::Number, AnswerValue::Number(n)) => {
            if !n.is_finite() {
                return Err("must be a finite number".into());
            }
            if let Some(min) = question.min.filter(|min| n < *min) {
                return Err(format!("must be at least {min}"));
            }
            if let Some(max) = question.max.filter(|max| n > *max) {
                return Err(format!("must be at most {max}"));
            }
            Ok(Some(AnswerValue::Number(n)))
        }
        (QuestionKind::FreeText, AnswerValue::Text(text)) => {
            let trimmed = text.trim();
            if trimmed.chars().count() > MAX_FREE_TEXT_CHARS {
                Err(format!("must be at most {MAX_FREE_TEXT_CHARS} characters"))
            } else {
                Ok((!trimmed.is_empty()).then(|| AnswerValue::Text(trimmed.to_owned())))
            }
        }
        (QuestionKind::YesNo, AnswerValue::Bool(b)) => Ok(Some(AnswerValue::Bool(b))),
        (kind, _) => Err(expected_shape(kind).to_owned()),
    }
}

fn expected_shape(kind: QuestionKind) -> &'static str {
    match kind {
        QuestionKind::SingleChoice => "must be one option value (a string)",
        QuestionKind::MultipleChoice => "must be a list of option values",
        QuestionKind::Scale => "must be a whole number from 1 to 5",
        QuestionKind::Number => "must be a number",
        QuestionKind::FreeText => "must be a text",
        QuestionKind::YesNo => "must be true or false",
    }
}
