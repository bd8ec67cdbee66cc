//! Scopes of partner tokens: what a partner system (Jobcenter, immigration office, welfare
//! organisation) may do on behalf of its organisation.

crate::vocabulary! {
    /// Scope of a partner token.
    pub enum Scope {
        /// Read referrals sent to the token's organisation.
        ReferralsRead => "referrals:read",
        /// Answer or create referrals on behalf of the token's organisation.
        ReferralsWrite => "referrals:write",
        /// Read aggregated, suppressed reports.
        ReportsRead => "reports:read",
        /// Maintain the offers (Angebote) of the token's organisation.
        OffersWrite => "offers:write",
        /// Answer survey campaigns (Bedarfsabfragen) on behalf of the token's organisation.
        SurveysWrite => "surveys:write",
        /// Refer people into KIM case management (intake requests) and read their status.
        IntakeWrite => "intake:write",
        /// Read residence-law requests addressed to the token's organisation (the immigration
        /// or naturalisation office's own system), limited to consented data.
        ResidenceRequestsRead => "residence_requests:read",
        /// Contribute to the systematic gaps a project group of the token's organisation is
        /// mandated with: read them (without reports: no case links, no reporters) and send
        /// proposed solutions and feedback. Reaches no case data.
        GapsContribute => "gaps:contribute",
    }
}

impl Scope {
    /// Parses a list of scopes, rejecting an empty list, unknown values and duplicates.
    pub fn parse_list<S: AsRef<str>>(values: &[S]) -> Result<Vec<Scope>, String> {
        if values.is_empty() {
            return Err("at least one scope is required".into());
        }
        let mut scopes = Vec::with_capacity(values.len());
        for value in values {
            let scope = Scope::parse(value.as_ref()).map_err(|e| e.to_string())?;
            if scopes.contains(&scope) {
                return Err(format!("scope '{scope}' is listed twice"));
            }
            scopes.push(scope);
        }
        scopes.sort();
        Ok(scopes)
    }

    /// Space-separated form, as in OAuth 2.0 `scope` values; used for storage.
    pub fn join(scopes: &[Scope]) -> String {
        scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Inverse of [`Scope::join`]; unknown words (from a newer version) are skipped, never granted.
    pub fn split(stored: &str) -> Vec<Scope> {
        stored
            .split_whitespace()
            .filter_map(|w| Scope::parse(w).ok())
            .collect()
    }
}

/// Where a partner token stands, as its list and `kim token list` show it: a revoked
/// token is `revoked` whatever else holds, then an expired one `expired`; one issued with
/// scopes that reach case data is `awaiting_confirmation` until a second person confirms it.
pub fn token_status(
    revoked: bool,
    expires_at: chrono::DateTime<chrono::Utc>,
    awaiting_confirmation: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> &'static str {
    if revoked {
        "revoked"
    } else if expires_at <= now {
        "expired"
    } else if awaiting_confirmation {
        "awaiting_confirmation"
    } else {
        "active"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_status_revoked_then_expired_then_awaiting_then_active() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .to_utc();
        let later = now + chrono::Duration::days(1);
        for awaiting in [false, true] {
            assert_eq!(token_status(true, later, awaiting, now), "revoked");
            assert_eq!(token_status(true, now, awaiting, now), "revoked");
            assert_eq!(token_status(false, now, awaiting, now), "expired");
        }
        assert_eq!(
            token_status(false, later, true, now),
            "awaiting_confirmation"
        );
        assert_eq!(token_status(false, later, false, now), "active");
    }

    #[test]
    fn parse_list_sorts_and_rejects_duplicates_unknown_and_empty() {
        assert_eq!(
            Scope::parse_list(&["reports:read", "referrals:read"]),
            Ok(vec![Scope::ReferralsRead, Scope::ReportsRead])
        );
        assert!(Scope::parse_list::<&str>(&[]).is_err());
        assert!(Scope::parse_list(&["referrals:read", "referrals:read"]).is_err());
        let err = Scope::parse_list(&["cases:read"]).unwrap_err();
        assert!(err.contains("referrals:write"), "{err}");
    }

    #[test]
    fn join_and_split_round_trip_and_ignore_unknown_words() {
        let all = Scope::ALL.to_vec();
        assert_eq!(Scope::split(&Scope::join(&all)), all);
        assert_eq!(
            Scope::split("reports:read admin:all"),
            vec![Scope::ReportsRead]
        );
    }
}
