//! The error of every state machine: a move the current state does not allow.

/// `from → to` is not allowed; `allowed` lists where `from` may go, for the 409 message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot move from '{from}' to '{to}'; allowed from '{from}': {}",
    allowed_text(allowed)
)]
pub struct IllegalTransition {
    pub from: &'static str,
    pub to: &'static str,
    pub allowed: Vec<&'static str>,
}

/// A request the object's current state refuses other than by a state machine's move: deleting
/// what is still needed, adding to what is closed (409, with words the caller can act on).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StateConflict(pub String);

fn allowed_text(allowed: &[&'static str]) -> String {
    if allowed.is_empty() {
        "nothing (final state)".into()
    } else {
        allowed.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_the_allowed_moves() {
        let e = IllegalTransition {
            from: "planned",
            to: "active",
            allowed: vec!["recruiting", "ended"],
        };
        assert_eq!(
            e.to_string(),
            "cannot move from 'planned' to 'active'; allowed from 'planned': recruiting, ended"
        );
        let f = IllegalTransition {
            from: "ended",
            to: "active",
            allowed: vec![],
        };
        assert!(f.to_string().ends_with("nothing (final state)"));
    }
}
