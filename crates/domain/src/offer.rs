//! Offers (Angebote) of the county's actors: what an organisation offers, on which topics
//! (Themen), for which target groups (Zielgruppen), where, for whom it is open (age, residence
//! status), in which languages, how one gets in (Zugang), how much it can take, and when it runs.
//! The concept's actor analysis (section 3) found offers overlapping for some target groups and
//! missing for others; [`crate::coverage`] computes that picture from these offers.
//!
//! The vocabularies here are the offers' own, not the cases':
//! - [`OfferTopic`] follows the issue's list for offers. It shares most values with the case
//!   topics ([`crate::case::Topic`]); offers add `counselling` (general migration counselling,
//!   the core of MBE and JMD), `leisure` and `volunteering`, and have no `family` (family-related
//!   offers are `childcare`, `counselling` or `education` with the target group `families`).
//! - [`OfferTargetGroup`] is broader than the case target groups ([`crate::case::TargetGroup`]),
//!   which name only whom the KI's case management takes on. Every case target group has an
//!   offer target group of the same spelling ([`OfferTargetGroup::from`]), so "which offers are
//!   there for the people of this case" is a lookup; the others name the groups the concept's
//!   actor landscape serves (refugees, EU citizens, families, children, youth, women, seniors,
//!   job seekers).
//! - Eligibility by residence status reuses [`crate::client::ResidenceStatus`], so that an offer's
//!   criteria and a client's status are compared in one vocabulary.
//!
//! One file on purpose (about 350 lines of rules, the rest their tests): vocabularies and
//! eligibility rules beside the tests that pin every spelling and case.

use chrono::NaiveDate;

use crate::case::TargetGroup;
use crate::field::{optional_text, FieldError};
use crate::{Action, Principal};

crate::vocabulary! {
    /// Thema (topic) of an offer; an offer has one or more.
    pub enum OfferTopic {
        /// Allgemeine Beratung (general migration and social counselling, e.g. MBE, JMD)
        Counselling => "counselling",
        /// Sprache (language courses, language support)
        Language => "language",
        /// Arbeit (work, job placement, recognition of qualifications)
        Work => "work",
        /// Bildung (education, school, vocational training)
        Education => "education",
        /// Kinderbetreuung (childcare)
        Childcare => "childcare",
        /// Wohnen (housing)
        Housing => "housing",
        /// Gesundheit (health)
        Health => "health",
        /// Aufenthalt (residence law)
        Residence => "residence",
        /// Einbürgerung (naturalisation)
        Naturalisation => "naturalisation",
        /// Freizeit (leisure, sports, culture)
        Leisure => "leisure",
        /// Ehrenamt (volunteering, mentoring)
        Volunteering => "volunteering",
        /// Sonstiges (other)
        Other => "other",
    }
}

crate::vocabulary! {
    /// Zielgruppe (target group) of an offer; an offer has one or more.
    pub enum OfferTargetGroup {
        /// Neuzugewanderte (new arrivals; also a case target group)
        NewArrivals => "new_arrivals",
        /// Geflüchtete (refugees and asylum seekers)
        Refugees => "refugees",
        /// Unionsbürgerinnen und Unionsbürger (EU citizens)
        EuCitizens => "eu_citizens",
        /// Familien (families)
        Families => "families",
        /// Kinder (children)
        Children => "children",
        /// Mehrsprachige Kinder mit Sprachentwicklungsstörungen und ihre Eltern (multilingual children with language development disorders and their parents; also a case target group)
        MultilingualChildrenWithLanguageDisorders => "multilingual_children_with_language_disorders",
        /// Jugendliche und junge Erwachsene (youth and young adults, e.g. the JMD's 12 to 27)
        Youth => "youth",
        /// Frauen (women)
        Women => "women",
        /// Ältere Menschen (seniors)
        Seniors => "seniors",
        /// Arbeitsuchende (job seekers)
        JobSeekers => "job_seekers",
        /// Sonstige (other; also a case target group)
        Other => "other",
    }
}

impl From<TargetGroup> for OfferTargetGroup {
    /// The offer target group that serves the people of a case target group.
    fn from(group: TargetGroup) -> Self {
        match group {
            TargetGroup::NewArrivals => OfferTargetGroup::NewArrivals,
            TargetGroup::MultilingualChildrenWithLanguageDisorders => {
                OfferTargetGroup::MultilingualChildrenWithLanguageDisorders
            }
            TargetGroup::Other => OfferTargetGroup::Other,
        }
    }
}

crate::vocabulary! {
    /// Zugang (how one gets into an offer).
    pub enum OfferAccess {
        /// Offene Sprechstunde (walk-in, no appointment needed)
        WalkIn => "walk_in",
        /// Nach Terminvereinbarung (by appointment)
        Appointment => "appointment",
        /// Nur auf Zuweisung (only when referred by another service)
        ReferralOnly => "referral_only",
    }
}

/// The ISO 639-1 language codes, sorted: the languages an offer may name.
pub const ISO_639_1: &[&str] = &[
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bi",
    "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da", "de",
    "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr", "fy",
    "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz", "ia",
    "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj", "kk",
    "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln", "lo",
    "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb", "nd",
    "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi", "pl",
    "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk", "sl",
    "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti", "tk",
    "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo", "wa",
    "wo", "xh", "yi", "yo", "za", "zh", "zu",
];

/// A language as an ISO 639-1 code (`de`, `ar`, `uk`), lowercase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LanguageCode(&'static str);

/// In the document: the enumeration of [`ISO_639_1`].
impl utoipa::PartialSchema for LanguageCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(ISO_639_1.iter().copied()))
            .description(Some(
                "An ISO 639-1 language code, lower case (`de`, `ar`, `uk`)",
            ))
            .into()
    }
}

impl utoipa::ToSchema for LanguageCode {}

impl LanguageCode {
    /// Accepts a known ISO 639-1 code, lower case as the document's enumeration states it;
    /// anything else, including `AR` and three-letter ISO 639-2 codes, is refused so that one
    /// language has one spelling.
    pub fn parse(value: &str) -> Result<LanguageCode, String> {
        ISO_639_1
            .binary_search(&value)
            .map(|index| LanguageCode(ISO_639_1[index]))
            .map_err(|_| format!("'{value}' is not an ISO 639-1 language code (e.g. de, ar, uk)"))
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

/// On the wire: the code itself (`"de"`).
impl serde::Serialize for LanguageCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl std::fmt::Display for LanguageCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// Parses a list of language codes, sorted and without duplicates; the error names every code
/// that is not ISO 639-1.
pub fn parse_languages<S: AsRef<str>>(values: &[S]) -> Result<Vec<LanguageCode>, FieldError> {
    let mut codes = Vec::with_capacity(values.len());
    let mut refused = Vec::new();
    for value in values {
        match LanguageCode::parse(value.as_ref()) {
            Ok(code) => codes.push(code),
            Err(message) => refused.push(message),
        }
    }
    if !refused.is_empty() {
        return Err(FieldError::new("languages", refused.join("; ")));
    }
    Ok(crate::reference::normalise_set(&codes))
}

/// The longest title of an offer.
pub const MAX_TITLE_CHARS: usize = 200;
/// The highest age an eligibility range may name.
pub const MAX_AGE: i32 = 120;
/// The most places per month an offer may state; more is a typing error, not an offer.
pub const MAX_CAPACITY_PER_MONTH: i32 = 100_000;

/// What the rules of an offer look at; the sets are checked for being non-empty, the
/// vocabularies are already parsed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OfferTerms<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub topics: &'a [OfferTopic],
    pub target_groups: &'a [OfferTargetGroup],
    /// Kreisweit: the offer serves every municipality.
    pub county_wide: bool,
    pub municipality_ids: &'a [i64],
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub capacity_per_month: Option<i32>,
    pub active_from: Option<NaiveDate>,
    pub active_until: Option<NaiveDate>,
}

/// Checks an offer; lists every violation, in field order:
/// - `title`: not blank, at most [`MAX_TITLE_CHARS`]; `description`: at most 2,000 characters;
/// - `topics`, `target_groups`: at least one each (an offer for nothing or nobody cannot be
///   placed in the coverage matrix);
/// - `municipality_ids`: at least one unless `county_wide`, none when `county_wide` (one
///   spelling of "everywhere");
/// - `min_age`, `max_age`: 0 to [`MAX_AGE`], the minimum not above the maximum;
/// - `capacity_per_month`: 0 to [`MAX_CAPACITY_PER_MONTH`] (0 is an offer that is full);
/// - `active_until`: not before `active_from`.
pub fn check_offer(terms: &OfferTerms<'_>) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    let title = terms.title.trim();
    if title.is_empty() {
        errors.push(FieldError::new("title", "is required and may not be blank"));
    } else if title.chars().count() > MAX_TITLE_CHARS {
        errors.push(FieldError::new(
            "title",
            format!("may be at most {MAX_TITLE_CHARS} characters long"),
        ));
    }
    if let Err(error) = optional_text("description", terms.description) {
        errors.push(error);
    }
    if terms.topics.is_empty() {
        errors.push(FieldError::new("topics", "name at least one topic"));
    }
    if terms.target_groups.is_empty() {
        errors.push(FieldError::new(
            "target_groups",
            "name at least one target group",
        ));
    }
    match (terms.county_wide, terms.municipality_ids.is_empty()) {
        (true, false) => errors.push(FieldError::rule(
            "municipality_ids",
            "must be empty for a county-wide offer",
        )),
        (false, true) => errors.push(FieldError::rule(
            "municipality_ids",
            "name at least one municipality, or set county_wide",
        )),
        _ => {}
    }
    for (field, age) in [("min_age", terms.min_age), ("max_age", terms.max_age)] {
        if age.is_some_and(|a| !(0..=MAX_AGE).contains(&a)) {
            errors.push(FieldError::new(
                field,
                format!("must be between 0 and {MAX_AGE}"),
            ));
        }
    }
    if let (Some(min), Some(max)) = (terms.min_age, terms.max_age) {
        if min > max && (0..=MAX_AGE).contains(&min) && (0..=MAX_AGE).contains(&max) {
            errors.push(FieldError::rule(
                "max_age",
                format!("must not be below min_age ({min})"),
            ));
        }
    }
    if terms
        .capacity_per_month
        .is_some_and(|c| !(0..=MAX_CAPACITY_PER_MONTH).contains(&c))
    {
        errors.push(FieldError::new(
            "capacity_per_month",
            format!("must be between 0 and {MAX_CAPACITY_PER_MONTH}"),
        ));
    }
    if let (Some(from), Some(until)) = (terms.active_from, terms.active_until) {
        if until < from {
            errors.push(FieldError::rule(
                "active_until",
                format!("must not be before active_from ({from})"),
            ));
        }
    }
    errors.sort_by_key(|e| e.field);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Whether an offer running from `from` until `until` (both inclusive, open when absent) runs
/// on `date`.
pub fn is_active_on(from: Option<NaiveDate>, until: Option<NaiveDate>, date: NaiveDate) -> bool {
    from.is_none_or(|from| from <= date) && until.is_none_or(|until| date <= until)
}

/// Why a caller may not write an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfferWriteRefusal {
    /// Neither `write_offers` nor `write_own_offers`.
    NotAllowed,
    /// A partner token with `offers:write` touching another organisation's offer.
    OtherOrganisation,
}

impl std::fmt::Display for OfferWriteRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OfferWriteRefusal::NotAllowed => f.write_str(
                "your role or token scopes do not allow 'write_offers' or 'write_own_offers'",
            ),
            OfferWriteRefusal::OtherOrganisation => {
                f.write_str("a partner token may maintain only the offers of its own organisation")
            }
        }
    }
}

/// Whether `principal` may create, change or delete an offer of `organisation_id`: any offer
/// with `write_offers` (coordinator, KI lead); with `write_own_offers` (a partner token with
/// `offers:write`) only the offers of the token's organisation. Another organisation's offer is
/// refused with 403, not hidden with 404: offers are readable by everyone, so hiding would tell
/// nothing and only confuse the partner.
pub fn check_write_access(
    principal: &Principal,
    organisation_id: i64,
) -> Result<(), OfferWriteRefusal> {
    if principal.may(Action::WriteOffers) {
        return Ok(());
    }
    match principal {
        Principal::Partner {
            organisation_id: own,
            ..
        } if principal.may(Action::WriteOwnOffers) => {
            if *own == organisation_id {
                Ok(())
            } else {
                Err(OfferWriteRefusal::OtherOrganisation)
            }
        }
        _ => Err(OfferWriteRefusal::NotAllowed),
    }
}

/// Whether `principal` may write offers at all (before the organisation is known).
pub fn may_write_some_offers(principal: &Principal) -> bool {
    principal.may(Action::WriteOffers) || principal.may(Action::WriteOwnOffers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Role, Scope};

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    const TOPICS: &[OfferTopic] = &[OfferTopic::Counselling];
    const GROUPS: &[OfferTargetGroup] = &[OfferTargetGroup::Refugees];

    fn valid() -> OfferTerms<'static> {
        OfferTerms {
            title: "Migrationsberatung",
            description: Some("Offene Sprechstunde"),
            topics: TOPICS,
            target_groups: GROUPS,
            county_wide: false,
            municipality_ids: &[1, 2],
            min_age: Some(27),
            max_age: Some(99),
            capacity_per_month: Some(40),
            active_from: Some(date("2021-01-01")),
            active_until: Some(date("2021-12-31")),
        }
    }

    fn fields(terms: &OfferTerms<'_>) -> Vec<&'static str> {
        check_offer(terms)
            .err()
            .unwrap_or_default()
            .iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn a_complete_offer_and_a_minimal_one_are_valid() {
        assert_eq!(check_offer(&valid()), Ok(()));
        let minimal = OfferTerms {
            title: "Sprachcafé",
            topics: &[OfferTopic::Language],
            target_groups: &[OfferTargetGroup::Other],
            county_wide: true,
            ..OfferTerms::default()
        };
        assert_eq!(check_offer(&minimal), Ok(()));
    }

    #[test]
    fn an_empty_offer_names_every_missing_field() {
        assert_eq!(
            fields(&OfferTerms::default()),
            vec!["municipality_ids", "target_groups", "title", "topics"]
        );
    }

    #[test]
    fn title_and_description_bounds() {
        for title in ["", "   "] {
            assert_eq!(fields(&OfferTerms { title, ..valid() }), vec!["title"]);
        }
        let long = "x".repeat(MAX_TITLE_CHARS + 1);
        assert_eq!(
            fields(&OfferTerms {
                title: &long,
                ..valid()
            }),
            vec!["title"]
        );
        let longest = "ä".repeat(MAX_TITLE_CHARS);
        assert_eq!(
            fields(&OfferTerms {
                title: &longest,
                ..valid()
            }),
            Vec::<&str>::new()
        );
        let description = "x".repeat(crate::field::MAX_REASON_CHARS + 1);
        assert_eq!(
            fields(&OfferTerms {
                description: Some(&description),
                ..valid()
            }),
            vec!["description"]
        );
    }

    #[test]
    fn county_wide_and_municipalities_exclude_each_other() {
        let both = OfferTerms {
            county_wide: true,
            ..valid()
        };
        assert_eq!(fields(&both), vec!["municipality_ids"]);
        let neither = OfferTerms {
            municipality_ids: &[],
            ..valid()
        };
        assert_eq!(fields(&neither), vec!["municipality_ids"]);
        let county = OfferTerms {
            county_wide: true,
            municipality_ids: &[],
            ..valid()
        };
        assert_eq!(check_offer(&county), Ok(()));
    }

    #[test]
    fn age_range() {
        let ages = |min, max| OfferTerms {
            min_age: min,
            max_age: max,
            ..valid()
        };
        assert_eq!(fields(&ages(None, None)), Vec::<&str>::new());
        assert_eq!(fields(&ages(Some(0), Some(MAX_AGE))), Vec::<&str>::new());
        assert_eq!(fields(&ages(Some(12), Some(12))), Vec::<&str>::new());
        assert_eq!(fields(&ages(Some(12), None)), Vec::<&str>::new());
        assert_eq!(fields(&ages(None, Some(27))), Vec::<&str>::new());
        assert_eq!(fields(&ages(Some(-1), None)), vec!["min_age"]);
        assert_eq!(fields(&ages(None, Some(MAX_AGE + 1))), vec!["max_age"]);
        assert_eq!(fields(&ages(Some(28), Some(27))), vec!["max_age"]);
        // An out-of-range bound is reported once, not also as an inverted range.
        assert_eq!(fields(&ages(Some(200), Some(27))), vec!["min_age"]);
        let inverted = check_offer(&ages(Some(28), Some(27))).unwrap_err();
        assert_eq!(inverted[0].message, "must not be below min_age (28)");
    }

    #[test]
    fn capacity_is_not_negative_and_bounded() {
        let capacity = |c| OfferTerms {
            capacity_per_month: c,
            ..valid()
        };
        assert_eq!(fields(&capacity(None)), Vec::<&str>::new());
        assert_eq!(fields(&capacity(Some(0))), Vec::<&str>::new());
        assert_eq!(
            fields(&capacity(Some(MAX_CAPACITY_PER_MONTH))),
            Vec::<&str>::new()
        );
        assert_eq!(fields(&capacity(Some(-1))), vec!["capacity_per_month"]);
        assert_eq!(
            fields(&capacity(Some(MAX_CAPACITY_PER_MONTH + 1))),
            vec!["capacity_per_month"]
        );
    }

    #[test]
    fn active_period() {
        let period = |from: Option<&str>, until: Option<&str>| OfferTerms {
            active_from: from.map(date),
            active_until: until.map(date),
            ..valid()
        };
        assert_eq!(
            fields(&period(Some("2021-01-01"), Some("2021-01-01"))),
            Vec::<&str>::new()
        );
        assert_eq!(
            fields(&period(None, Some("2021-01-01"))),
            Vec::<&str>::new()
        );
        assert_eq!(
            fields(&period(Some("2021-01-01"), None)),
            Vec::<&str>::new()
        );
        assert_eq!(
            fields(&period(Some("2021-01-02"), Some("2021-01-01"))),
            vec!["active_until"]
        );
    }

    #[test]
    fn active_on_is_inclusive_and_open_ended() {
        let from = Some(date("2021-01-01"));
        let until = Some(date("2021-12-31"));
        assert!(!is_active_on(from, until, date("2020-12-31")));
        assert!(is_active_on(from, until, date("2021-01-01")));
        assert!(is_active_on(from, until, date("2021-12-31")));
        assert!(!is_active_on(from, until, date("2022-01-01")));
        assert!(is_active_on(None, until, date("1900-01-01")));
        assert!(is_active_on(from, None, date("2999-01-01")));
        assert!(is_active_on(None, None, date("2021-06-01")));
    }

    #[test]
    fn languages_are_iso_639_1_in_one_spelling() {
        assert_eq!(ISO_639_1.len(), 183);
        assert!(ISO_639_1.windows(2).all(|w| w[0] < w[1]), "sorted");
        let parsed = parse_languages(&["uk", "ar", "de", "ar", "tr"]).expect("valid");
        let codes: Vec<&str> = parsed.iter().map(|c| c.as_str()).collect();
        assert_eq!(codes, vec!["ar", "de", "tr", "uk"]);
        assert_eq!(parse_languages::<&str>(&[]), Ok(vec![]));
        let error = parse_languages(&["de", "deu", "xx", "", "AR", " tr "]).unwrap_err();
        assert!(error.message.contains("'AR'"), "{}", error.message);
        assert_eq!(error.field, "languages");
        assert!(error.message.contains("'deu'"), "{}", error.message);
        assert!(error.message.contains("'xx'"), "{}", error.message);
        assert!(!error.message.contains("'de'"), "{}", error.message);
        assert_eq!(
            LanguageCode::parse("fa").map(|c| c.to_string()),
            Ok("fa".into())
        );
    }

    #[test]
    fn every_case_target_group_has_an_offer_target_group_of_the_same_spelling() {
        for group in TargetGroup::ALL {
            assert_eq!(OfferTargetGroup::from(*group).as_str(), group.as_str());
        }
    }

    #[test]
    fn vocabularies_round_trip() {
        for v in OfferTopic::ALL {
            assert_eq!(OfferTopic::parse(v.as_str()), Ok(*v));
        }
        for v in OfferTargetGroup::ALL {
            assert_eq!(OfferTargetGroup::parse(v.as_str()), Ok(*v));
        }
        for v in OfferAccess::ALL {
            assert_eq!(OfferAccess::parse(v.as_str()), Ok(*v));
        }
        let topics: Vec<&str> = OfferTopic::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(
            topics,
            vec![
                "counselling",
                "language",
                "work",
                "education",
                "childcare",
                "housing",
                "health",
                "residence",
                "naturalisation",
                "leisure",
                "volunteering",
                "other"
            ]
        );
        let access: Vec<&str> = OfferAccess::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(access, vec!["walk_in", "appointment", "referral_only"]);
    }

    #[test]
    fn write_access_over_every_role_and_scope() {
        for role in Role::ALL {
            let person = Principal::Person {
                user_id: 1,
                role: *role,
            };
            let expected = if matches!(role, Role::Coordinator | Role::KiLead) {
                Ok(())
            } else {
                Err(OfferWriteRefusal::NotAllowed)
            };
            assert_eq!(check_write_access(&person, 7), expected, "{role}");
            assert_eq!(may_write_some_offers(&person), expected.is_ok(), "{role}");
        }
        for scope in Scope::ALL {
            let partner = Principal::Partner {
                token_id: 1,
                organisation_id: 7,
                scopes: vec![*scope],
            };
            if *scope == Scope::OffersWrite {
                assert_eq!(check_write_access(&partner, 7), Ok(()));
                assert_eq!(
                    check_write_access(&partner, 8),
                    Err(OfferWriteRefusal::OtherOrganisation)
                );
                assert!(may_write_some_offers(&partner));
            } else {
                for organisation in [7, 8] {
                    assert_eq!(
                        check_write_access(&partner, organisation),
                        Err(OfferWriteRefusal::NotAllowed),
                        "{scope}"
                    );
                }
                assert!(!may_write_some_offers(&partner), "{scope}");
            }
        }
        let several = Principal::Partner {
            token_id: 1,
            organisation_id: 7,
            scopes: vec![Scope::ReferralsRead, Scope::OffersWrite],
        };
        assert_eq!(check_write_access(&several, 7), Ok(()));
    }
}
