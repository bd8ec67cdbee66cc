//! Field-level validation shared by the case-management rules: the error that names a field
//! (422 at the API, one entry of `errors: [{field, message}]`) and the rule for the free texts
//! that some moves require (a reason to reopen, to decline, a justification for an exception).

/// One invalid or missing field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
    pub kind: FieldErrorKind,
}

/// Whether a client could have known beforehand: the API document states every
/// [`FieldErrorKind::Schema`] rule (type, format, length, range, enumeration); the other two
/// depend on other fields or on stored data, and the operation's description names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldErrorKind {
    /// The value alone breaks a rule the document states.
    Schema,
    /// A rule across fields or over stored state (an end before its start, a period too long,
    /// a step the object's state does not allow with this input).
    Rule,
    /// The value names an object that does not exist or that the caller may not see.
    Reference,
}

impl FieldError {
    /// A value that breaks a rule the document states.
    pub fn new(field: &'static str, message: impl Into<String>) -> FieldError {
        FieldError {
            field,
            message: message.into(),
            kind: FieldErrorKind::Schema,
        }
    }

    /// A rule across fields or over stored state, named in the operation's description.
    pub fn rule(field: &'static str, message: impl Into<String>) -> FieldError {
        FieldError {
            kind: FieldErrorKind::Rule,
            ..FieldError::new(field, message)
        }
    }

    /// A reference to an object that does not exist or that the caller may not see.
    pub fn reference(field: &'static str, message: impl Into<String>) -> FieldError {
        FieldError {
            kind: FieldErrorKind::Reference,
            ..FieldError::new(field, message)
        }
    }
}

/// The longest reason, note or justification. Long enough for a paragraph; short enough that
/// nobody pastes a case file into a status change.
pub const MAX_REASON_CHARS: usize = 2000;

/// A required free text: present, not blank, at most [`MAX_REASON_CHARS`]. Returns it trimmed,
/// so that stored reasons carry no stray whitespace.
pub fn required_text(field: &'static str, value: Option<&str>) -> Result<String, FieldError> {
    let trimmed = value.map(crate::text::trim).unwrap_or_default();
    if trimmed.is_empty() {
        return Err(FieldError::new(field, "is required and may not be blank"));
    }
    optional_text(field, Some(trimmed)).map(|text| text.unwrap_or_default())
}

/// An optional free text: blank counts as absent; at most [`MAX_REASON_CHARS`]. Returns it trimmed.
pub fn optional_text(
    field: &'static str,
    value: Option<&str>,
) -> Result<Option<String>, FieldError> {
    let Some(trimmed) = value.map(crate::text::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if trimmed.chars().count() > MAX_REASON_CHARS {
        return Err(FieldError::new(
            field,
            format!("may be at most {MAX_REASON_CHARS} characters long"),
        ));
    }
    Ok(Some(trimmed.to_owned()))
}

/// A field that the move does not take: refused rather than silently dropped, so the caller
/// learns that what they sent was not stored.
pub fn forbidden(field: &'static str, why: &str) -> FieldError {
    // Always a rule across fields or over the object's state.
    FieldError::rule(field, format!("must not be given {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_text_is_trimmed_non_blank_and_bounded() {
        assert_eq!(
            required_text("reason", Some("  moved  ")),
            Ok("moved".into())
        );
        for blank in [None, Some(""), Some("   \n\t")] {
            let error = required_text("reason", blank).unwrap_err();
            assert_eq!(error.field, "reason");
        }
        assert!(required_text("reason", Some(&"x".repeat(MAX_REASON_CHARS))).is_ok());
        assert!(required_text("reason", Some(&"x".repeat(MAX_REASON_CHARS + 1))).is_err());
        assert!(required_text("reason", Some(&"ä".repeat(MAX_REASON_CHARS))).is_ok());
    }

    #[test]
    fn optional_text_treats_blank_as_absent() {
        assert_eq!(optional_text("note", None), Ok(None));
        assert_eq!(optional_text("note", Some("  ")), Ok(None));
        assert_eq!(optional_text("note", Some(" a ")), Ok(Some("a".into())));
        assert!(optional_text("note", Some(&"x".repeat(MAX_REASON_CHARS + 1))).is_err());
    }

    #[test]
    fn errors_name_their_field() {
        assert_eq!(
            forbidden("close_reason", "unless the case is closed").to_string(),
            "close_reason: must not be given unless the case is closed"
        );
    }
}
