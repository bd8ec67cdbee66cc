//! `?limit=&offset=&sort=` and the `{items, total, limit, offset, next}` envelope.

use kim_domain::paging::PageRequest;
use kim_store::Direction;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::ApiError;

/// Paging parameters of every list.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page, 1 to 200.
    #[param(minimum = 1, maximum = 200, default = 50, example = 50)]
    pub limit: Option<i64>,
    /// Items to skip; the previous page's `next`.
    #[param(minimum = 0, default = 0, example = 0)]
    pub offset: Option<i64>,
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
                $name {
                    next: page.next_offset(listed.total),
                    items: listed.items.into_iter().map(<$item>::from).collect(),
                    total: listed.total,
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
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
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

#[cfg(test)]
mod tests {
    use super::*;

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
