//! What a report request may ask: the period, the dimensions to group by, the answer format.
//! Each check names the query parameter it refuses, for the 422 answer.

use chrono::{Datelike, NaiveDate};

use crate::field::FieldError;

/// The longest period a report covers: ten years.
pub const MAX_PERIOD_DAYS: i64 = 3653;
/// At most this many `group_by` dimensions.
pub const MAX_DIMENSIONS: usize = 2;

/// The years a yearly report or a yearly filter may name: the programme's past and a planning
/// horizon, so that a typo (`year=20226`) is a 422, not an empty answer.
pub const YEARS: std::ops::RangeInclusive<i32> = 1990..=2100;

/// A yearly report's `year` as sent: a whole number in [`YEARS`].
pub fn parse_year(text: &str) -> Result<i32, FieldError> {
    text.parse::<i32>()
        .ok()
        .filter(|year| YEARS.contains(year))
        .ok_or_else(|| FieldError::new("year", "must be a year between 1990 and 2100"))
}

/// A reporting period, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The whole calendar year.
    pub fn year(year: i32) -> Option<Period> {
        Some(Period {
            from: NaiveDate::from_ymd_opt(year, 1, 1)?,
            to: NaiveDate::from_ymd_opt(year, 12, 31)?,
        })
    }

    /// `from` and `to` as given; a missing `from` is 1 January of `to`'s year (or this year), a
    /// missing `to` is 31 December of `from`'s year (or this year).
    pub fn parse(
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Result<Period, FieldError> {
        let anchor = |d: Option<NaiveDate>| d.map_or(today.year(), |d| d.year());
        let bad_year = || FieldError::new("from", "is outside the supported calendar");
        let from = match from {
            Some(f) => f,
            None => NaiveDate::from_ymd_opt(anchor(to), 1, 1).ok_or_else(bad_year)?,
        };
        let to = match to {
            Some(t) => t,
            None => NaiveDate::from_ymd_opt(anchor(Some(from)), 12, 31).ok_or_else(bad_year)?,
        };
        if from > to {
            return Err(FieldError::rule(
                "from",
                format!("must not be after `to` ({to})"),
            ));
        }
        if (to - from).num_days() >= MAX_PERIOD_DAYS {
            return Err(FieldError::rule(
                "to",
                "the period may span at most 10 years",
            ));
        }
        Ok(Period { from, to })
    }
}

/// Parses a `group_by` comma list against the dimensions a report offers: no unknown value, no
/// repetition, at most [`MAX_DIMENSIONS`].
pub fn parse_dimensions<D: Copy + PartialEq>(
    value: Option<&str>,
    parse: impl Fn(&str) -> Result<D, crate::UnknownValue>,
) -> Result<Vec<D>, FieldError> {
    // Exactly the document's array of distinct names (comma-separated, no spaces, at least
    // one: `group_by=` is refused, since on the wire it cannot be told from `[""]`).
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let mut dims = Vec::new();
    for part in value.split(',') {
        let dim = parse(part).map_err(|e| FieldError::new("group_by", e.to_string()))?;
        if dims.contains(&dim) {
            return Err(FieldError::new(
                "group_by",
                format!("'{part}' is given twice"),
            ));
        }
        dims.push(dim);
    }
    if dims.len() > MAX_DIMENSIONS {
        return Err(FieldError::new(
            "group_by",
            format!("at most {MAX_DIMENSIONS} dimensions may be combined"),
        ));
    }
    Ok(dims)
}

crate::vocabulary! {
    /// How a report answers.
    pub enum ReportFormat {
        /// JSON (the default)
        Json => "json",
        /// CSV (RFC 4180, UTF-8; withheld cells are empty)
        Csv => "csv",
        /// An SVG chart (bar, stacked bar, or line over months and quarters)
        Svg => "svg",
    }
}

impl ReportFormat {
    /// The `format` parameter wins; without it `Accept: text/csv` or `image/svg+xml` choose.
    pub fn choose(format: Option<&str>, accept: Option<&str>) -> Result<ReportFormat, FieldError> {
        if let Some(f) = format {
            return ReportFormat::parse(f).map_err(|e| FieldError::new("format", e.to_string()));
        }
        let accept = accept.unwrap_or_default();
        Ok(if accept.contains("text/csv") {
            ReportFormat::Csv
        } else if accept.contains("image/svg+xml") {
            ReportFormat::Svg
        } else {
            ReportFormat::Json
        })
    }
}

crate::vocabulary! {
    /// A dimension of the cases report.
    pub enum CaseDimension {
        /// Kommune (municipality): rows carry `municipality_id` and `municipality`
        Municipality => "municipality",
        /// Sozialraum (social area) covering the case's municipality whole: rows carry
        /// `social_area_id` and `social_area`, both null for cases in a municipality no area
        /// covers whole
        SocialArea => "social_area",
        /// Rheinseite (side of the Rhine)
        RhineSide => "rhine_side",
        /// Zielgruppe (target group)
        TargetGroup => "target_group",
        /// Rechtskreis (legal domain); multi-valued: a case counts once per value
        LegalDomain => "legal_domain",
        /// Thema (topic); multi-valued: a case counts once per value
        Topic => "topic",
        /// Zugangsweg (intake channel)
        IntakeChannel => "intake_channel",
        /// Whether the case met the intake criteria (true) or was an exception (false)
        Eligible => "eligible",
        /// Abschlussgrund (close reason); empty for cases not closed
        CloseReason => "close_reason",
        /// Calendar month of the event counted (YYYY-MM)
        Month => "month",
        /// Calendar quarter of the event counted (YYYY-Qn)
        Quarter => "quarter",
        /// Calendar year of the event counted
        Year => "year",
    }
}

impl CaseDimension {
    /// Time dimensions place each count at the date of its event (opening for `new`, closing
    /// for `closed`, the end of the period for `open`).
    pub fn is_time(self) -> bool {
        matches!(
            self,
            CaseDimension::Month | CaseDimension::Quarter | CaseDimension::Year
        )
    }
}

crate::vocabulary! {
    /// A dimension of the people report.
    pub enum PeopleDimension {
        /// Altersgruppe in the year the case was opened
        AgeBand => "age_band",
        /// Geschlecht (gender) as recorded when the person joined the case
        Gender => "gender",
        /// Herkunftsland (country of origin) as recorded when the person joined the case
        CountryOfOrigin => "country_of_origin",
        /// Aufenthaltsstatus (residence status) as recorded when the person joined the case
        ResidenceStatus => "residence_status",
        /// Kommune of the case
        Municipality => "municipality",
        /// Sozialraum covering the case's municipality whole (null outside every area)
        SocialArea => "social_area",
        /// Zielgruppe of the case
        TargetGroup => "target_group",
    }
}

crate::vocabulary! {
    /// How the referrals report groups recipients.
    pub enum ReferralDimension {
        /// Each recipient organisation
        Organisation => "organisation",
        /// The kind of recipient organisation (Jobcenter, welfare organisation, …)
        OrganisationKind => "organisation_kind",
    }
}

crate::vocabulary! {
    /// How the goals report groups goals.
    pub enum GoalDimension {
        /// Thema (topic) of the goal
        Topic => "topic",
    }
}

crate::vocabulary! {
    /// The caseload report has no choice of grouping: municipality and side of the Rhine.
    pub enum CaseloadDimension {
        /// Kommune
        Municipality => "municipality",
    }
}

/// The month label `YYYY-MM` and quarter label `YYYY-Qn` of a date.
pub fn month_label(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

pub fn quarter_label(date: NaiveDate) -> String {
    format!("{:04}-Q{}", date.year(), (date.month() - 1) / 3 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn default_period_is_the_current_calendar_year() {
        let p = Period::parse(None, None, d(2026, 11, 29)).unwrap_or(Period {
            from: d(1, 1, 1),
            to: d(1, 1, 1),
        });
        assert_eq!((p.from, p.to), (d(2026, 1, 1), d(2026, 12, 31)));
    }

    #[test]
    fn a_missing_end_follows_the_given_one() {
        let today = d(2026, 11, 29);
        assert_eq!(
            Period::parse(Some(d(2024, 3, 1)), None, today).map(|p| p.to),
            Ok(d(2024, 12, 31))
        );
        assert_eq!(
            Period::parse(None, Some(d(2023, 6, 30)), today).map(|p| p.from),
            Ok(d(2023, 1, 1))
        );
    }

    #[test]
    fn from_after_to_names_from() {
        let e = Period::parse(Some(d(2026, 2, 1)), Some(d(2026, 1, 1)), d(2026, 1, 1));
        assert_eq!(e.map_err(|e| e.field), Err("from"));
    }

    #[test]
    fn ten_years_at_most() {
        let today = d(2026, 1, 1);
        assert!(Period::parse(Some(d(2016, 1, 1)), Some(d(2025, 12, 31)), today).is_ok());
        let e = Period::parse(Some(d(2016, 1, 1)), Some(d(2026, 1, 1)), today);
        assert_eq!(e.map_err(|e| e.field), Err("to"));
    }

    #[test]
    fn group_by_is_checked() {
        let parse = |v| parse_dimensions(Some(v), CaseDimension::parse);
        assert_eq!(
            parse("municipality,month"),
            Ok(vec![CaseDimension::Municipality, CaseDimension::Month])
        );
        assert_eq!(parse_dimensions(None, CaseDimension::parse), Ok(vec![]));
        // As the document states it: distinct names, comma-separated, nothing else.
        for bad in [
            "",
            "colour",
            "month,month",
            "month,year,topic",
            "month,",
            "municipality, month",
            " month",
        ] {
            assert_eq!(parse(bad).map_err(|e| e.field), Err("group_by"), "{bad}");
        }
    }

    #[test]
    fn format_parameter_wins_over_accept() {
        assert_eq!(ReportFormat::choose(None, None), Ok(ReportFormat::Json));
        assert_eq!(
            ReportFormat::choose(None, Some("text/csv")),
            Ok(ReportFormat::Csv)
        );
        assert_eq!(
            ReportFormat::choose(Some("svg"), Some("text/csv")),
            Ok(ReportFormat::Svg)
        );
        for bad in ["pdf", "", " csv"] {
            assert_eq!(
                ReportFormat::choose(Some(bad), None).map_err(|e| e.field),
                Err("format"),
                "{bad}"
            );
        }
    }

    #[test]
    fn labels() {
        assert_eq!(month_label(d(2026, 3, 9)), "2026-03");
        assert_eq!(quarter_label(d(2026, 3, 9)), "2026-Q1");
        assert_eq!(quarter_label(d(2026, 12, 31)), "2026-Q4");
    }

    #[test]
    fn a_report_year_is_a_whole_number_from_1990_to_2100() {
        assert_eq!(parse_year("1990"), Ok(1990));
        assert_eq!(parse_year("2100"), Ok(2100));
        for bad in ["1989", "2101", "", "twenty", "2021.5", "-2021"] {
            let refused = parse_year(bad).unwrap_err();
            assert_eq!(refused.field, "year", "{bad}");
            assert_eq!(refused.message, "must be a year between 1990 and 2100");
        }
    }
}
