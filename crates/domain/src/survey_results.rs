//! Results of a survey campaign (Auswertung der Bedarfsabfrage) and the need score per
//! municipality (Bedarfswert) computed from chosen scale questions with the coordination's
//! weights.
//!
//! Only submitted responses count; the caller passes exactly those. Figures are rounded to two
//! decimals at the end, never in between.

use std::collections::HashSet;

use serde::Serialize;
use utoipa::ToSchema;

use crate::reference::RhineSide;
use crate::survey::{
    AnswerValue, Answers, Invalid, QuestionKind, RespondentKind, Section, SCALE_MAX, SCALE_MIN,
};

/// How often one value was given.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ValueCount {
    /// An option value, a scale point `1`…`5`, or `yes`/`no`.
    pub value: String,
    pub label: String,
    pub count: u32,
}

/// The aggregate of one question over the submitted responses.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct QuestionResult {
    pub key: String,
    pub text: String,
    pub kind: QuestionKind,
    // Responses that answered the question, and those that left it unanswered (optional
    // questions).
    pub answered: u32,
    pub unanswered: u32,
    /// Choice, scale and yes/no questions: every value with its count (zeros included); a
    /// multiple-choice response counts once per chosen option.
    pub distribution: Vec<ValueCount>,
    /// Scale and number questions, two decimals.
    pub mean: Option<f64>,
    pub median: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Free-text questions: the answers.
    pub texts: Vec<String>,
}

fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// The median of `values` (the mean of the middle two for an even count); `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    let middle = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[middle - 1] + sorted[middle]) / 2.0
    } else {
        sorted[middle]
    })
}

/// Aggregates every question of `sections` over `responses` (the submitted ones).
pub fn aggregate(sections: &[Section], responses: &[&Answers]) -> Vec<QuestionResult> {
    let total = responses.len() as u32;
    sections
        .iter()
        .flat_map(|s| s.questions.iter())
        .map(|question| {
            let given: Vec<&AnswerValue> = responses
                .iter()
                .filter_map(|answers| answers.get(&question.key))
                .collect();
            let answered = given.len() as u32;
            let mut result = QuestionResult {
                key: question.key.clone(),
                text: question.text.clone(),
                kind: question.kind,
                answered,
                unanswered: total - answered,
                distribution: Vec::new(),
                mean: None,
                median: None,
                min: None,
                max: None,
                texts: Vec::new(),
            };
            let count_of = |wanted: &dyn Fn(&AnswerValue) -> bool| {
                given.iter().filter(|v| wanted(v)).count() as u32
            };
            match question.kind {
                QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
                    result.distribution = question
                        .options
                        .iter()
                        .map(|option| ValueCount {
                            value: option.value.clone(),
                            label: option.label.clone(),
                            count: count_of(&|v| match v {
                                AnswerValue::Text(t) => *t == option.value,
                                AnswerValue::Texts(ts) => ts.contains(&option.value),
                                _ => false,
                            }),
                        })
                        .collect();
                }
                QuestionKind::YesNo => {
                    result.distribution = [(true, "yes", "Ja"), (false, "no", "Nein")]
                        .into_iter()
                        .map(|(b, value, label)| ValueCount {
                            value: value.into(),
                            label: label.into(),
                            count: count_of(&|v| *v == AnswerValue::Bool(b)),
                        })
                        .collect();
                }
                QuestionKind::Scale | QuestionKind::Number => {
                    let numbers: Vec<f64> = given
                        .iter()
                        .filter_map(|v| match v {
                            AnswerValue::Number(n) => Some(*n),
                            _ => None,
                        })
                        .collect();
                    if question.kind == QuestionKind::Scale {
                        result.distribution = (SCALE_MIN..=SCALE_MAX)
                            .map(|point| ValueCount {
                                value: point.to_string(),
                                label: point.to_string(),
                                count: numbers.iter().filter(|n| **n == point as f64).count()
                                    as u32,
                            })
                            .collect();
                    }
                    if !numbers.is_empty() {
                        let sum: f64 = numbers.iter().sum();
                        result.mean = Some(round2(sum / numbers.len() as f64));
                        result.median = median(&numbers).map(round2);
                        result.min = numbers.iter().copied().reduce(f64::min);
                        result.max = numbers.iter().copied().reduce(f64::max);
                    }
                }
                QuestionKind::FreeText => {
                    result.texts = given
                        .iter()
                        .filter_map(|v| match v {
                            AnswerValue::Text(t) => Some(t.clone()),
                            _ => None,
                        })
                        .collect();
                }
            }
            result
        })
        .collect()
}

/// Whether a respondent belongs to the filtered group: of `kind` if given; on `side` of the
/// Rhine if given, which only municipalities have (organisations work county-wide, so a side
/// filter leaves them out).
pub fn in_filter(
    kind: RespondentKind,
    side: Option<RhineSide>,
    wanted_kind: Option<RespondentKind>,
    wanted_side: Option<RhineSide>,
) -> bool {
    wanted_kind.is_none_or(|k| k == kind) && wanted_side.is_none_or(|s| side == Some(s))
}

/// One chosen question of the need score and its weight.
#[derive(Debug, Clone, PartialEq)]
pub struct NeedWeight {
    pub question_key: String,
    pub weight: f64,
}

/// The most questions a need score combines.
pub const MAX_NEED_WEIGHTS: usize = 20;
/// The largest weight; weights are relative, so this only keeps typos out.
pub const MAX_WEIGHT: f64 = 100.0;

/// Checks the chosen questions: at least one, each a scale question of the questionnaire, none
/// twice, weights above 0 and at most [`MAX_WEIGHT`]. Errors name `weights[i].question_key` or
/// `weights[i].weight`.
pub fn validate_weights(sections: &[Section], weights: &[NeedWeight]) -> Result<(), Vec<Invalid>> {
    let mut errors = Vec::new();
    // The weights name questions of the stored questionnaire: rules over stored state.
    let invalid = |field: String, message: &str| Invalid::rule(field, message);
    if weights.is_empty() {
        errors.push(invalid(
            "weights".into(),
            "choose at least one scale question",
        ));
    }
    if weights.len() > MAX_NEED_WEIGHTS {
        errors.push(invalid(
            "weights".into(),
            &format!("at most {MAX_NEED_WEIGHTS} questions"),
        ));
    }
    let mut seen = HashSet::new();
    for (i, weight) in weights.iter().enumerate() {
        let question = sections
            .iter()
            .flat_map(|s| s.questions.iter())
            .find(|q| q.key == weight.question_key);
        let key_field = format!("weights[{i}].question_key");
        match question {
            None => errors.push(Invalid::reference(
                key_field,
                "no question with this key in the campaign's questionnaire",
            )),
            Some(q) if q.kind != QuestionKind::Scale => errors.push(invalid(
                key_field,
                "only scale questions (1-5) feed the need score",
            )),
            Some(_) if !seen.insert(weight.question_key.as_str()) => {
                errors.push(invalid(key_field, "is chosen twice"))
            }
            Some(_) => {}
        }
        if !(weight.weight.is_finite() && weight.weight > 0.0 && weight.weight <= MAX_WEIGHT) {
            errors.push(invalid(
                format!("weights[{i}].weight"),
                &format!("must be greater than 0 and at most {MAX_WEIGHT}"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A municipality's need score: the weighted mean of its answers to the chosen scale questions,
/// on the scale's 1–5 range, two decimals. Unanswered questions are left out (their weight too),
/// so a skipped question neither raises nor lowers the score; `None` when none was answered.
pub fn need_score(weights: &[NeedWeight], answers: &Answers) -> Option<f64> {
    let (weighted, total_weight) = weights
        .iter()
        .filter_map(|w| match answers.get(&w.question_key) {
            Some(AnswerValue::Number(n)) => Some((n * w.weight, w.weight)),
            _ => None,
        })
        .fold((0.0, 0.0), |(sum, weight), (s, w)| (sum + s, weight + w));
    (total_weight > 0.0).then(|| round2(weighted / total_weight))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::survey::{ChoiceOption, Question};

    fn q(key: &str, kind: QuestionKind, options: &[&str]) -> Question {
        Question {
            key: key.into(),
            text: key.into(),
            help_text: None,
            kind,
            required: false,
            options: options
                .iter()
                .map(|v| ChoiceOption {
                    value: v.to_string(),
                    label: v.to_uppercase(),
                })
                .collect(),
            min: None,
            max: None,
        }
    }

    fn sections() -> Vec<Section> {
        vec![Section {
            title: "S".into(),
            description: None,
            questions: vec![
                q("topic", QuestionKind::SingleChoice, &["work", "language"]),
                q(
                    "groups",
                    QuestionKind::MultipleChoice,
                    &["youth", "women", "elderly"],
                ),
                q("need", QuestionKind::Scale, &[]),
                q("staff", QuestionKind::Number, &[]),
                q("note", QuestionKind::FreeText, &[]),
                q("coop", QuestionKind::YesNo, &[]),
                q("housing", QuestionKind::Scale, &[]),
            ],
        }]
    }

    fn answers(pairs: &[(&str, AnswerValue)]) -> Answers {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    use AnswerValue::{Bool, Number as N, Text as T, Texts};

    fn texts(v: &[&str]) -> AnswerValue {
        Texts(v.iter().map(|s| s.to_string()).collect())
    }

    /// Four responses, figures worked out by hand in the comments.
    #[test]
    fn aggregates_equal_hand_computed_figures() {
        let r1 = answers(&[
            ("topic", T("work".into())),
            ("groups", texts(&["youth", "women"])),
            ("need", N(4.0)),
            ("staff", N(1.5)),
            ("note", T("Mehr Kitaplätze".into())),
            ("coop", Bool(true)),
        ]);
        let r2 = answers(&[
            ("topic", T("language".into())),
            ("groups", texts(&["women"])),
            ("need", N(2.0)),
            ("staff", N(0.5)),
            ("coop", Bool(true)),
        ]);
        let r3 = answers(&[
            ("topic", T("work".into())),
            ("need", N(5.0)),
            ("staff", N(3.0)),
            ("note", T("Dolmetscher fehlen".into())),
            ("coop", Bool(false)),
        ]);
        let r4 = answers(&[("need", N(4.0)), ("staff", N(2.0))]);
        let results = aggregate(&sections(), &[&r1, &r2, &r3, &r4]);
        let by = |key: &str| results.iter().find(|r| r.key == key).unwrap();
        let counts = |key: &str| -> Vec<(String, u32)> {
            by(key)
                .distribution
                .iter()
                .map(|c| (c.value.clone(), c.count))
                .collect()
        };
        let pairs = |v: &[(&str, u32)]| -> Vec<(String, u32)> {
            v.iter().map(|(s, n)| (s.to_string(), *n)).collect()
        };

        assert_eq!((by("topic").answered, by("topic").unanswered), (3, 1));
        assert_eq!(counts("topic"), pairs(&[("work", 2), ("language", 1)]));
        assert_eq!(by("topic").distribution[0].label, "WORK");

        assert_eq!((by("groups").answered, by("groups").unanswered), (2, 2));
        assert_eq!(
            counts("groups"),
            pairs(&[("youth", 1), ("women", 2), ("elderly", 0)])
        );

        // need: 4, 2, 5, 4 → mean 15/4 = 3.75; sorted 2 4 4 5 → median 4.
        let need = by("need");
        assert_eq!(need.answered, 4);
        assert_eq!(
            counts("need"),
            pairs(&[("1", 0), ("2", 1), ("3", 0), ("4", 2), ("5", 1)])
        );
        assert_eq!(
            (need.mean, need.median, need.min, need.max),
            (Some(3.75), Some(4.0), Some(2.0), Some(5.0))
        );

        // staff: 1.5, 0.5, 3, 2 → mean 7/4 = 1.75; sorted 0.5 1.5 2 3 → median 1.75.
        let staff = by("staff");
        assert!(staff.distribution.is_empty());
        assert_eq!(
            (staff.mean, staff.median, staff.min, staff.max),
            (Some(1.75), Some(1.75), Some(0.5), Some(3.0))
        );

        assert_eq!(
            by("note").texts,
            vec!["Mehr Kitaplätze", "Dolmetscher fehlen"]
        );
        assert_eq!((by("note").answered, by("note").unanswered), (2, 2));
        assert_eq!(counts("coop"), pairs(&[("yes", 2), ("no", 1)]));

        // Nobody answered housing: counts are zero, no mean.
        let housing = by("housing");
        assert_eq!(
            (
                housing.answered,
                housing.unanswered,
                housing.mean,
                housing.median
            ),
            (0, 4, None, None)
        );
    }

    #[test]
    fn filters_by_kind_and_side() {
        use RespondentKind::*;
        let left = Some(RhineSide::Left);
        assert!(in_filter(Municipality, left, None, None));
        assert!(in_filter(Municipality, left, Some(Municipality), left));
        assert!(!in_filter(Municipality, left, Some(Organisation), None));
        assert!(!in_filter(Municipality, left, None, Some(RhineSide::Right)));
        assert!(in_filter(Organisation, None, Some(Organisation), None));
        assert!(!in_filter(Organisation, None, None, left));
    }

    #[test]
    fn no_responses_give_empty_figures() {
        let results = aggregate(&sections(), &[]);
        assert_eq!(results.len(), 7);
        assert!(results
            .iter()
            .all(|r| r.answered == 0 && r.unanswered == 0 && r.mean.is_none()));
    }

    #[test]
    fn medians_and_rounding() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[1.0, 2.0]), Some(1.5));
        // 1, 2, 2 → mean 5/3 = 1.666… → 1.67.
        let r: Vec<Answers> = [1.0, 2.0, 2.0]
            .iter()
            .map(|n| answers(&[("need", N(*n))]))
            .collect();
        let refs: Vec<&Answers> = r.iter().collect();
        assert_eq!(aggregate(&sections(), &refs)[2].mean, Some(1.67));
    }

    fn w(key: &str, weight: f64) -> NeedWeight {
        NeedWeight {
            question_key: key.into(),
            weight,
        }
    }

    #[test]
    fn need_score_is_the_weighted_mean_of_answered_questions() {
        let weights = [w("need", 2.0), w("housing", 1.0)];
        // (4×2 + 1×1) / 3 = 3.0
        assert_eq!(
            need_score(&weights, &answers(&[("need", N(4.0)), ("housing", N(1.0))])),
            Some(3.0)
        );
        // (5×2 + 2×1) / 3 = 4.0
        assert_eq!(
            need_score(&weights, &answers(&[("need", N(5.0)), ("housing", N(2.0))])),
            Some(4.0)
        );
        // (3×2 + 4×1) / 3 = 3.333… → 3.33
        assert_eq!(
            need_score(&weights, &answers(&[("need", N(3.0)), ("housing", N(4.0))])),
            Some(3.33)
        );
        // Housing skipped: only need counts.
        assert_eq!(
            need_score(&weights, &answers(&[("need", N(2.0))])),
            Some(2.0)
        );
        assert_eq!(need_score(&weights, &answers(&[("staff", N(2.0))])), None);
    }

    #[test]
    fn weights_must_name_scale_questions_once_with_positive_weights() {
        assert_eq!(
            validate_weights(&sections(), &[w("need", 1.0), w("housing", 0.5)]),
            Ok(())
        );
        let errors = validate_weights(
            &sections(),
            &[
                w("need", 0.0),
                w("staff", 1.0),
                w("nope", 1.0),
                w("need", 1.0),
                w("housing", 101.0),
            ],
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "weights[0].weight",
                "weights[1].question_key",
                "weights[2].question_key",
                "weights[3].question_key",
                "weights[4].weight",
            ]
        );
        assert_eq!(
            validate_weights(&sections(), &[]).unwrap_err()[0].field,
            "weights"
        );
    }
}
