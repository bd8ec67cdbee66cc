//! `?limit=&offset=&sort=` and the `{items, total, limit, offset, next}` envelope.

use kim_domain::paging::PageRequest;
use kim_store::Direction;
use serde::de::{Deserializer, Error, Unexpected, Visitor};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::ApiError;

/// Paging parameters of every list.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 200.
    #[param(minimum = 1, maximum = 200, default = 50, example = 50)]
    #[serde(default, deserialize_with = "whole_number")]
    pub limit: Option<i64>,
    /// Items to skip; the previous page's `next`. 0 to 1,000,000: a deeper offset (however
    /// large) is 422 naming `offset`; narrow the list with its filters instead.
    #[param(minimum = 0, maximum = 1_000_000, default = 0, example = 0)]
    #[serde(default, deserialize_with = "whole_number")]
    pub offset: Option<i64>,
}

/// A whole number from the query string, for `limit` and `offset`. One too large (or small)
/// for 64 bits is taken as the largest (smallest) there is, so that the bounds of
/// [`PageRequest::parse`] answer 422 naming the parameter instead of a parse failure (400)
/// that cannot name it. Anything that is not a whole number stays 400.
pub fn whole_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    struct WholeNumber;

    impl<'de> Visitor<'de> for WholeNumber {
        type Value = Option<i64>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a whole number")
        }

        fn visit_i64<E: Error>(self, value: i64) -> Result<Self::Value, E> {
            Ok(Some(value))
        }

        fn visit_u64<E: Error>(self, value: u64) -> Result<Self::Value, E> {
            Ok(Some(i64::try_from(value).unwrap_or(i64::MAX)))
        }

        fn visit_str<E: Error>(self, value: &str) -> Result<Self::Value, E> {
            let text = value.trim();
            let (negative, digits) = match text.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, text.strip_prefix('+').unwrap_or(text)),
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(E::invalid_value(Unexpected::Str(value), &self));
            }
            Ok(Some(text.parse::<i64>().unwrap_or(if negative {
                i64::MIN
            } else {
                i64::MAX
            })))
        }

        fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
            inner.deserialize_any(self)
        }
    }

    deserializer.deserialize_any(WholeNumber)
}

impl PageParams {
    pub fn page(&self) -> Result<PageRequest, ApiError> {
        PageRequest::parse(self.limit, self.offset)
            .map_err(|(field, message)| ApiError::field(field, message))
    }
}

/// Declares the page type of a resource, e.g. `MunicipalityPage` with `items: Vec<Municipality>`.
#[macro_export]
macro_rules! page_type {
    ($name:ident, $item:ty) => {
        /// One page of a list, in the list's stable order.
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// How many objects match the filters, over all pages.
            #[schema(example = 19)]
            pub total: i64,
            #[schema(example = 50)]
            pub limit: i64,
            #[schema(example = 0)]
            pub offset: i64,
            /// The `offset` of the next page; absent on the last page.
            #[schema(example = json!(null))]
            pub next: Option<i64>,
        }

        impl $name {
            pub fn new<T>(
                listed: kim_store::Listed<T>,
                page: kim_domain::paging::PageRequest,
            ) -> Self
            where
                $item: From<T>,
            {
                let items = listed.items.into_iter().map(<$item>::from).collect();
                Self::of(items, listed.total, page)
            }

            /// The page of `items` (already shaped for the caller) out of `total`.
            pub fn of(
                items: Vec<$item>,
                total: i64,
                page: kim_domain::paging::PageRequest,
            ) -> Self {
                $name {
                    next: page.next_offset(total),
                    items,
                    total,
                    limit: page.limit,
                    offset: page.offset,
                }
            }
        }
    };
}

/// Parses `sort=field` or `sort=-field` (descending) against the fields a list offers.
pub fn parse_sort<S: Copy>(
    value: Option<&str>,
    default: (S, Direction),
    fields: &[(&str, S)],
) -> Result<(S, Direction), ApiError> {
    // Exactly as the document's pattern for `sort` states it: empty is the default, nothing
    // around the name.
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(default);
    };
    let (direction, name) = match value.strip_prefix('-') {
        Some(rest) => (Direction::Desc, rest),
        None => (Direction::Asc, value),
    };
    fields
        .iter()
        .find(|(field, _)| *field == name)
        .map(|(_, sort)| (*sort, direction))
        .ok_or_else(|| {
            let names: Vec<&str> = fields.iter().map(|(f, _)| *f).collect();
            ApiError::field(
                "sort",
                format!(
                    "unknown sort field '{name}'; use one of {} (prefix '-' for descending)",
                    names.join(", ")
                ),
            )
        })
}

/// One page of a list loaded whole (the children of one case are few).
pub fn slice<T>(all: Vec<T>, page: PageRequest) -> kim_store::Listed<T> {
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let items = all
        .into_iter()
        .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
        .take(usize::try_from(page.limit).unwrap_or(0))
        .collect();
    kim_store::Listed { items, total }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(query: &str) -> Result<PageParams, String> {
        serde_urlencoded::from_str::<PageParams>(query).map_err(|e| e.to_string())
    }

    #[test]
    fn paging_numbers_saturate_instead_of_failing_to_parse() {
        let p = parsed("limit=20&offset=40").expect("parsed");
        assert_eq!((p.limit, p.offset), (Some(20), Some(40)));
        let p = parsed("").expect("parsed");
        assert_eq!((p.limit, p.offset), (None, None));
        for (query, offset) in [
            ("offset=9223372036854775807", i64::MAX),
            ("offset=99999999999999999999999", i64::MAX),
            ("offset=-99999999999999999999999", i64::MIN),
            ("offset=+7", 7),
        ] {
            let params = parsed(query).expect(query);
            assert_eq!(params.offset, Some(offset), "{query}");
            if offset != 7 {
                let error = params.page().unwrap_err();
                assert!(
                    matches!(&error, ApiError::Validation(f) if f[0].field == "offset"),
                    "{query}: {error:?}"
                );
            }
        }
        for garbage in [
            "offset=abc",
            "offset=",
            "offset=1.5",
            "offset=-",
            "limit=ten",
        ] {
            assert!(parsed(garbage).is_err(), "{garbage}");
        }
    }

    #[test]
    fn sort_parsing() {
        let fields = [("name", 1), ("created_at", 2)];
        assert_eq!(
            parse_sort(None, (1, Direction::Asc), &fields).ok(),
            Some((1, Direction::Asc))
        );
        assert_eq!(
            parse_sort(Some("-created_at"), (1, Direction::Asc), &fields).ok(),
            Some((2, Direction::Desc))
        );
        assert!(parse_sort(Some("password"), (1, Direction::Asc), &fields).is_err());
    }
}
