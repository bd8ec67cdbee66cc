//! Paging limits shared by every list endpoint.

/// Items per page when the client does not say.
pub const DEFAULT_LIMIT: i64 = 50;
/// The most items a client may ask for in one page.
pub const MAX_LIMIT: i64 = 200;

/// A validated page request: `limit` within 1..=200, `offset` not negative.
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
        Ok(PageRequest { limit, offset })
    }

    /// The offset of the following page, if there is one.
    pub fn next_offset(&self, total: i64) -> Option<i64> {
        let next = self.offset + self.limit;
        (next < total).then_some(next)
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
