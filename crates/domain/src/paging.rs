//! Paging limits shared by every list endpoint.

/// Items per page when the client does not say.
pub const DEFAULT_LIMIT: i64 = 50;
/// The most items a client may ask for in one page.
pub const MAX_LIMIT: i64 = 200;
/// The deepest `offset` a client may ask for. Deeper pages are refused (422 naming `offset`):
/// nobody reads a list a million items deep page by page (filters find what is there), a
/// database would scan that far for nothing, and `offset + limit` stays far from overflowing.
pub const MAX_OFFSET: i64 = 1_000_000;

/// A validated page request: `limit` within 1..=200, `offset` within 0..=1,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: i64,
    pub offset: i64,
}

impl PageRequest {
    /// Checks the client's values; the error names the offending parameter.
    pub fn parse(limit: Option<i64>, offset: Option<i64>) -> Result<Self, (&'static str, String)> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(("limit", format!("must be between 1 and {MAX_LIMIT}")));
        }
        let offset = offset.unwrap_or(0);
        if offset < 0 {
            return Err(("offset", "must not be negative".into()));
        }
        if offset > MAX_OFFSET {
            return Err((
                "offset",
                format!("must be at most {MAX_OFFSET}; narrow the list with its filters instead"),
            ));
        }
        Ok(PageRequest { limit, offset })
    }

    /// The offset of the following page, if there is one a client may ask for: none past the
    /// end of the list, and none beyond [`MAX_OFFSET`].
    pub fn next_offset(&self, total: i64) -> Option<i64> {
        let next = self.offset.checked_add(self.limit)?;
        (next < total && next <= MAX_OFFSET).then_some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        assert_eq!(
            PageRequest::parse(None, None),
            Ok(PageRequest {
                limit: 50,
                offset: 0
            })
        );
        assert_eq!(
            PageRequest::parse(Some(200), Some(10)).map(|p| p.limit),
            Ok(200)
        );
        assert_eq!(PageRequest::parse(Some(201), None).unwrap_err().0, "limit");
        assert_eq!(PageRequest::parse(Some(0), None).unwrap_err().0, "limit");
        assert_eq!(PageRequest::parse(None, Some(-1)).unwrap_err().0, "offset");
    }

    #[test]
    fn offset_is_bounded() {
        assert_eq!(
            PageRequest::parse(None, Some(MAX_OFFSET)).map(|p| p.offset),
            Ok(1_000_000)
        );
        for too_deep in [MAX_OFFSET + 1, i64::MAX] {
            let (field, message) = PageRequest::parse(None, Some(too_deep)).unwrap_err();
            assert_eq!(field, "offset");
            assert!(message.contains("at most 1000000"), "{message}");
        }
        assert_eq!(
            PageRequest::parse(None, Some(i64::MIN)).unwrap_err().0,
            "offset"
        );
    }

    #[test]
    fn next_offset_never_overflows_nor_points_beyond_the_bound() {
        let deepest = PageRequest {
            limit: MAX_LIMIT,
            offset: MAX_OFFSET,
        };
        assert_eq!(deepest.next_offset(i64::MAX), None);
        let almost = PageRequest {
            limit: 200,
            offset: MAX_OFFSET - 200,
        };
        assert_eq!(almost.next_offset(i64::MAX), Some(MAX_OFFSET));
        let past = PageRequest {
            limit: 200,
            offset: MAX_OFFSET - 100,
        };
        assert_eq!(past.next_offset(i64::MAX), None);
        // Even a request built by hand, unchecked, does not overflow.
        let unchecked = PageRequest {
            limit: 50,
            offset: i64::MAX,
        };
        assert_eq!(unchecked.next_offset(i64::MAX), None);
    }

    #[test]
    fn next_offset_stops_at_the_end() {
        let page = PageRequest {
            limit: 10,
            offset: 0,
        };
        assert_eq!(page.next_offset(25), Some(10));
        assert_eq!(
            PageRequest {
                limit: 10,
                offset: 20
            }
            .next_offset(25),
            None
        );
        assert_eq!(
            PageRequest {
                limit: 10,
                offset: 10
            }
            .next_offset(20),
            None
        );
        assert_eq!(page.next_offset(0), None);
    }
}
