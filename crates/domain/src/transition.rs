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

impl IllegalTransition {
    /// The one check of every state machine's `transition`: `to` when `from`'s table
    /// (`allowed`) lists it, else the refusal naming the moves there are. `name` gives a
    /// state's wire name.
    pub fn check<S: Copy + PartialEq>(
        from: S,
        to: S,
        allowed: &[S],
        name: fn(S) -> &'static str,
    ) -> Result<S, IllegalTransition> {
        if allowed.contains(&to) {
            Ok(to)
        } else {
            Err(IllegalTransition {
                from: name(from),
                to: name(to),
                allowed: allowed.iter().map(|s| name(*s)).collect(),
            })
        }
    }
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

    #[test]
    fn check_allows_what_the_table_lists_and_names_the_rest() {
        let name = |n: u8| ["zero", "one", "two"][n as usize];
        assert_eq!(IllegalTransition::check(0, 2, &[1, 2], name), Ok(2));
        assert_eq!(
            IllegalTransition::check(0, 0, &[1, 2], name),
            Err(IllegalTransition {
                from: "zero",
                to: "zero",
                allowed: vec!["one", "two"],
            })
        );
        assert_eq!(
            IllegalTransition::check(2, 1, &[], name)
                .unwrap_err()
                .allowed,
            Vec::<&str>::new()
        );
    }
}
