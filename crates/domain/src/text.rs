//! Rules for free-text identifiers shared by several resources.

/// Whitespace as the API document's patterns mean it (`\S`: ECMAScript's white space and line
/// terminators), so that a text the document calls not blank is never refused as blank: Rust's
/// `char::is_whitespace` also counts U+0085 and does not count U+FEFF.
pub fn is_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

/// `value` without the white space ([`is_space`]) around it.
pub fn trim(value: &str) -> &str {
    value.trim_matches(is_space)
}

/// A free-text value as it is stored or filtered by: without the white space around it
/// (`str::trim`), and none at all when nothing is left, so that a blank value means "not
/// given". One function for the API's request fields and the store's query filters.
pub fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Nothing but white space ([`is_space`]), or empty.
pub fn is_blank(value: &str) -> bool {
    trim(value).is_empty()
}

/// A username: 3 to 64 characters of lowercase ASCII letters, digits, `.`, `_` and `-`,
/// starting with a letter. Lowercase only, so that `Anna` and `anna` cannot both exist.
pub fn check_username(value: &str) -> Result<(), &'static str> {
    let len = value.chars().count();
    if !(3..=64).contains(&len) {
        return Err("must be 3 to 64 characters long");
    }
    if !value.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("must start with a lowercase letter");
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
    {
        return Err("may contain only lowercase letters, digits, '.', '_' and '-'");
    }
    Ok(())
}

/// The least a password must be. Length is what counts (NIST SP 800-63B); no composition rules.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Argon2 takes any length; the cap keeps a request from hashing megabytes.
pub const MAX_PASSWORD_CHARS: usize = 256;

pub fn check_password(value: &str) -> Result<(), String> {
    let len = value.chars().count();
    if len < MIN_PASSWORD_CHARS {
        return Err(format!(
            "must be at least {MIN_PASSWORD_CHARS} characters long"
        ));
    }
    if len > MAX_PASSWORD_CHARS {
        return Err(format!(
            "must be at most {MAX_PASSWORD_CHARS} characters long"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimmed_drops_surrounding_white_space_and_blank_values() {
        assert_eq!(trimmed(Some("  Sankt  ".into())), Some("Sankt".into()));
        assert_eq!(trimmed(Some("a b".into())), Some("a b".into()));
        assert_eq!(trimmed(Some(" \t\n ".into())), None);
        assert_eq!(trimmed(Some(String::new())), None);
        assert_eq!(trimmed(None), None);
    }

    #[test]
    fn blank_as_the_document_means_it() {
        assert!(is_blank("") && is_blank(" \t\n\u{a0}\u{3000}\u{feff}"));
        assert!(!is_blank("\u{85}") && !is_blank(" x "));
        assert_eq!(trim("\u{feff} x\u{2028}"), "x");
    }

    #[test]
    fn usernames() {
        assert!(check_username("anna.schmidt").is_ok());
        assert!(check_username("cm-01_b").is_ok());
        assert!(check_username("ab").is_err());
        assert!(check_username("Anna").is_err());
        assert!(check_username("1anna").is_err());
        assert!(check_username("anna schmidt").is_err());
        assert!(check_username(&"a".repeat(65)).is_err());
    }

    #[test]
    fn passwords() {
        assert!(check_password("correct horse battery").is_ok());
        assert!(check_password("short").is_err());
        assert!(check_password(&"x".repeat(257)).is_err());
        assert!(check_password(&"ä".repeat(12)).is_ok());
    }
}
