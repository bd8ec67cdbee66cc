//! What list filters that the API reads from the query string share.

use serde::{Deserialize, Deserializer};

/// For `#[serde(default, deserialize_with = "crate::filter::trimmed")]` on a text filter:
/// [`kim_domain::text::trimmed`], so that `?q=%20` filters by nothing rather than by a blank.
pub fn trimmed<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(kim_domain::text::trimmed(Option::<String>::deserialize(
        deserializer,
    )?))
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Filter {
        #[serde(default, deserialize_with = "super::trimmed")]
        q: Option<String>,
    }

    fn q(query: &str) -> Option<String> {
        serde_json::from_str::<Filter>(query).unwrap().q
    }

    #[test]
    fn trims_and_drops_what_is_blank() {
        assert_eq!(q(r#"{"q": "  Sankt  "}"#), Some("Sankt".into()));
        assert_eq!(q(r#"{"q": "   "}"#), None);
        assert_eq!(q(r#"{"q": null}"#), None);
        assert_eq!(q("{}"), None);
    }
}
