//! Module 3 outcomes (Ergebnisse der Ausländer- und Einbürgerungsbehörden): what the office
//! posts funded by KIM did in a quarter, as counts entered by the office's staff. No persons:
//! a count is all that is kept.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::field::FieldError;

/// The largest count one office can report for a quarter; keeps sums over years and offices far
/// from overflowing, and catches a typed-in extra digit or two.
pub const MAX_COUNT: i64 = 1_000_000;

/// The counts of one quarter; each from 0 to 1,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = Counts)]
#[serde(deny_unknown_fields)]
pub struct OutcomeCounts {
    /// Informationsveranstaltungen held. Default 0.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000, example = 2)]
    pub information_events: i64,
    /// People who attended them, together; needs at least one event (422 `rule`). Default 0.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000, example = 45)]
    pub event_attendance: i64,
    /// Beratungsgespräche. Default 0.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000, example = 60)]
    pub counselling_sessions: i64,
    /// Einbürgerungsverfahren eingeleitet. Default 0.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000, example = 30)]
    pub naturalisations_initiated: i64,
    /// Einbürgerungen abgeschlossen. Default 0.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000, example = 22)]
    pub naturalisations_completed: i64,
    /// Aufenthalt gesichert für gut Integrierte (§§ 25a, 25b AufenthG). Default 0.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000, example = 8)]
    pub residence_secured: i64,
    /// Verfahren Chancen-Aufenthaltsrecht (§ 104c AufenthG). Default 0.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000000, example = 0)]
    pub opportunity_residence_procedures: i64,
}

impl OutcomeCounts {
    /// The counts by field name, in the order the API lists them.
    pub fn named(&self) -> [(&'static str, i64); 7] {
        [
            ("information_events", self.information_events),
            ("event_attendance", self.event_attendance),
            ("counselling_sessions", self.counselling_sessions),
            ("naturalisations_initiated", self.naturalisations_initiated),
            ("naturalisations_completed", self.naturalisations_completed),
            ("residence_secured", self.residence_secured),
            (
                "opportunity_residence_procedures",
                self.opportunity_residence_procedures,
            ),
        ]
    }

    /// Every count from 0 to [`MAX_COUNT`] (the document states `minimum: 0` and the maximum, so
    /// a count outside is a `schema` error); attendance only where events were held (a `rule`
    /// across fields).
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors: Vec<FieldError> = self
            .named()
            .iter()
            .filter(|(_, n)| !(0..=MAX_COUNT).contains(n))
            .map(|(field, _)| FieldError::new(field, "must be between 0 and 1000000"))
            .collect();
        if self.information_events == 0 && self.event_attendance > 0 {
            errors.push(FieldError::rule(
                "event_attendance",
                "attendance needs at least one information event in the quarter",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Field-wise sum, for a year or for all offices.
    pub fn add(&self, other: &OutcomeCounts) -> OutcomeCounts {
        OutcomeCounts {
            information_events: self.information_events + other.information_events,
            event_attendance: self.event_attendance + other.event_attendance,
            counselling_sessions: self.counselling_sessions + other.counselling_sessions,
            naturalisations_initiated: self.naturalisations_initiated
                + other.naturalisations_initiated,
            naturalisations_completed: self.naturalisations_completed
                + other.naturalisations_completed,
            residence_secured: self.residence_secured + other.residence_secured,
            opportunity_residence_procedures: self.opportunity_residence_procedures
                + other.opportunity_residence_procedures,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::FieldErrorKind;

    fn all(n: i64) -> OutcomeCounts {
        OutcomeCounts {
            information_events: n,
            event_attendance: n,
            counselling_sessions: n,
            naturalisations_initiated: n,
            naturalisations_completed: n,
            residence_secured: n,
            opportunity_residence_procedures: n,
        }
    }

    #[test]
    fn zero_and_positive_counts_pass() {
        assert_eq!(all(0).check(), Ok(()));
        assert_eq!(all(3).check(), Ok(()));
    }

    #[test]
    fn every_negative_count_is_named_as_a_schema_error() {
        let errors = all(-1).check().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, all(0).named().map(|(f, _)| f).to_vec());
        assert!(errors.iter().all(|e| e.kind == FieldErrorKind::Schema));
        for (field, _) in all(0).named() {
            let mut one = all(1);
            match field {
                "information_events" => one.information_events = -1,
                "event_attendance" => one.event_attendance = -1,
                "counselling_sessions" => one.counselling_sessions = -1,
                "naturalisations_initiated" => one.naturalisations_initiated = -1,
                "naturalisations_completed" => one.naturalisations_completed = -1,
                "residence_secured" => one.residence_secured = -1,
                _ => one.opportunity_residence_procedures = -1,
            }
            let refused = one.check().unwrap_err();
            assert_eq!(refused.len(), 1, "{field}");
            assert_eq!(refused[0].field, field);
        }
    }

    #[test]
    fn the_maximum_is_allowed_and_one_more_is_not() {
        assert_eq!(all(MAX_COUNT).check(), Ok(()));
        let errors = all(MAX_COUNT + 1).check().unwrap_err();
        assert_eq!(errors.len(), 7);
        assert!(errors.iter().all(|e| e.kind == FieldErrorKind::Schema));
    }

    #[test]
    fn attendance_without_an_event_is_a_rule_error() {
        let counts = OutcomeCounts {
            event_attendance: 12,
            ..OutcomeCounts::default()
        };
        let errors = counts.check().unwrap_err();
        assert_eq!(
            (errors[0].field, errors[0].kind),
            ("event_attendance", FieldErrorKind::Rule)
        );
        let with_event = OutcomeCounts {
            information_events: 1,
            ..counts
        };
        assert_eq!(with_event.check(), Ok(()));
    }

    #[test]
    fn sums_add_field_by_field() {
        let a = all(1);
        let b = OutcomeCounts {
            residence_secured: 4,
            ..all(2)
        };
        let sum = a.add(&b);
        assert_eq!(sum.named().map(|(_, n)| n), [3, 3, 3, 3, 3, 5, 3]);
    }
}
