//! Clients (Klientinnen und Klienten) of case management: residence status (Aufenthaltsstatus),
//! the pseudonymous client reference (Klientenkennung), household links (Haushalts- und
//! Familienbeziehungen) and the plausibility of a year of birth.
//!
//! The reference is what reports, exports and conversations between offices use instead of a
//! name: it carries the year of registration and a running number, nothing about the person.

use std::fmt;

use crate::field::FieldError;

crate::vocabulary! {
    /// Aufenthaltsstatus (residence status) of a client, as far as the client discloses it.
    pub enum ResidenceStatus {
        /// Asylsuchende/r mit Aufenthaltsgestattung (asylum seeker, procedure ongoing)
        AsylumSeeker => "asylum_seeker",
        /// Anerkannte/r Schutzberechtigte/r (recognised refugee or other protection status)
        RecognisedRefugee => "recognised_refugee",
        /// Duldung (tolerated stay, deportation suspended)
        Tolerated => "tolerated",
        /// Unionsbürger/in, freizügigkeitsberechtigt (EU citizen)
        EuCitizen => "eu_citizen",
        /// Drittstaatsangehörige/r mit Aufenthaltstitel (third-country national with a residence permit)
        ThirdCountryWithPermit => "third_country_with_permit",
        /// Eingebürgert (naturalised, German citizen)
        Naturalised => "naturalised",
        /// Sonstiger oder ungeklärter Status (other or unclear)
        Other => "other",
    }
}

crate::vocabulary! {
    /// Art der Haushalts- oder Familienbeziehung (kind of household link between two clients).
    pub enum HouseholdLinkKind {
        /// Elternteil und Kind (from the parent to the child)
        ParentChild => "parent_child",
        /// Partner/innen (spouses or partners)
        Partners => "partners",
        /// Geschwister (siblings)
        Siblings => "siblings",
        /// Sonstige Haushaltszugehörigkeit (other member of the household)
        Other => "other",
    }
}

impl HouseholdLinkKind {
    /// Whether the two ends differ in meaning. Only parent → child does; the others read the same
    /// both ways and are stored one way (see [`HouseholdLink::new`]).
    pub fn is_directed(self) -> bool {
        self == HouseholdLinkKind::ParentChild
    }
}

/// A link between two clients of one household or family.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HouseholdLink {
    pub kind: HouseholdLinkKind,
    /// For `parent_child` the parent; otherwise the smaller id.
    pub from_client_id: i64,
    /// For `parent_child` the child; otherwise the larger id.
    pub to_client_id: i64,
}

impl HouseholdLink {
    /// Refuses a link of a client to themself; orders the ids of symmetric kinds so that "A and B
    /// are siblings" and "B and A are siblings" are one link and a unique index can catch the
    /// duplicate.
    pub fn new(kind: HouseholdLinkKind, from: i64, to: i64) -> Result<HouseholdLink, FieldError> {
        if from == to {
            return Err(FieldError::rule(
                "to_client_id",
                "a client cannot be linked to themself",
            ));
        }
        let (from_client_id, to_client_id) = if kind.is_directed() || from < to {
            (from, to)
        } else {
            (to, from)
        };
        Ok(HouseholdLink {
            kind,
            from_client_id,
            to_client_id,
        })
    }
}

/// The earliest plausible year of birth.
pub const EARLIEST_YEAR_OF_BIRTH: i32 = 1900;

/// A year of birth between [`EARLIEST_YEAR_OF_BIRTH`] and `current_year` (passed in, so the
/// rule stays free of the clock). Only the year is kept: it is enough for age groups in reports
/// and identifies less than a date.
pub fn check_year_of_birth(year: i32, current_year: i32) -> Result<(), FieldError> {
    if (EARLIEST_YEAR_OF_BIRTH..=current_year).contains(&year) {
        Ok(())
    } else if year < EARLIEST_YEAR_OF_BIRTH {
        // The document states the earliest year (`minimum`); the latest is this year.
        Err(FieldError::new(
            "year_of_birth",
            format!("must be between {EARLIEST_YEAR_OF_BIRTH} and {current_year}"),
        ))
    } else {
        Err(FieldError::rule(
            "year_of_birth",
            format!("must be between {EARLIEST_YEAR_OF_BIRTH} and {current_year}"),
        ))
    }
}

/// Pseudonymous client reference (Klientenkennung) `K-YYYY-NNNNNN`: the year the client was
/// registered and a running number within that year, assigned by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientReference {
    year: i32,
    sequence: u32,
}

/// The reference's prefix (K for Klient/in).
pub const CLIENT_REFERENCE_PREFIX: &str = "K";
/// Six digits: a county registers far fewer clients a year.
pub const MAX_CLIENT_SEQUENCE: u32 = 999_999;
/// Registration years a reference may carry; outside them the value is a typo.
pub const CLIENT_REFERENCE_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

impl ClientReference {
    /// The reference for the `sequence`-th client registered in `year` (both from the store).
    /// Deterministic, so a retried insert computes the same reference.
    pub fn new(year: i32, sequence: u32) -> Result<ClientReference, FieldError> {
        if !CLIENT_REFERENCE_YEARS.contains(&year) {
            return Err(FieldError::new(
                "reference",
                format!(
                    "the year must be between {} and {}",
                    CLIENT_REFERENCE_YEARS.start(),
                    CLIENT_REFERENCE_YEARS.end()
                ),
            ));
        }
        if !(1..=MAX_CLIENT_SEQUENCE).contains(&sequence) {
            return Err(FieldError::new(
                "reference",
                format!("the running number must be between 1 and {MAX_CLIENT_SEQUENCE}"),
            ));
        }
        Ok(ClientReference { year, sequence })
    }

    /// Parses exactly the form [`fmt::Display`] writes (`K-2026-000123`): one spelling, so a
    /// reference typed into a search finds the stored one or nothing.
    pub fn parse(value: &str) -> Result<ClientReference, FieldError> {
        let malformed = || {
            FieldError::new(
                "reference",
                format!("'{value}' is not a client reference like K-2026-000123"),
            )
        };
        let mut parts = value.split('-');
        let (Some(prefix), Some(year), Some(sequence), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed());
        };
        let all_digits =
            |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
        if prefix != CLIENT_REFERENCE_PREFIX || !all_digits(year, 4) || !all_digits(sequence, 6) {
            return Err(malformed());
        }
        let year = year.parse().map_err(|_| malformed())?;
        let sequence = sequence.parse().map_err(|_| malformed())?;
        ClientReference::new(year, sequence)
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn sequence(self) -> u32 {
        self.sequence
    }
}

impl fmt::Display for ClientReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{CLIENT_REFERENCE_PREFIX}-{:04}-{:06}",
            self.year, self.sequence
        )
    }
}

impl std::str::FromStr for ClientReference {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ClientReference::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_round_trip() {
        for v in ResidenceStatus::ALL {
            assert_eq!(ResidenceStatus::parse(v.as_str()), Ok(*v));
        }
        for v in HouseholdLinkKind::ALL {
            assert_eq!(HouseholdLinkKind::parse(v.as_str()), Ok(*v));
        }
        assert_eq!(ResidenceStatus::ALL.len(), 7);
        assert_eq!(HouseholdLinkKind::ALL.len(), 4);
    }

    #[test]
    fn reference_is_formatted_with_fixed_widths() {
        let reference = ClientReference::new(2026, 123).unwrap();
        assert_eq!(reference.to_string(), "K-2026-000123");
        assert_eq!(
            ClientReference::new(2026, MAX_CLIENT_SEQUENCE)
                .unwrap()
                .to_string(),
            "K-2026-999999"
        );
    }

    #[test]
    fn reference_generation_is_deterministic_and_bounded() {
        assert_eq!(ClientReference::new(2026, 7), ClientReference::new(2026, 7));
        assert!(ClientReference::new(2026, 0).is_err());
        assert!(ClientReference::new(2026, MAX_CLIENT_SEQUENCE + 1).is_err());
        assert!(ClientReference::new(1999, 1).is_err());
        assert!(ClientReference::new(2101, 1).is_err());
        assert!(ClientReference::new(2000, 1).is_ok());
        assert!(ClientReference::new(2100, 1).is_ok());
    }

    #[test]
    fn reference_parses_what_it_prints_and_nothing_else() {
        let reference = ClientReference::parse("K-2026-000123").unwrap();
        assert_eq!((reference.year(), reference.sequence()), (2026, 123));
        assert_eq!("K-2026-000123".parse::<ClientReference>(), Ok(reference));
        for bad in [
            "",
            "K-2026-123",
            "k-2026-000123",
            "K-26-000123",
            "K-2026-0001234",
            "K-2026-000000",
            "K-1999-000001",
            "X-2026-000123",
            "K-2026-000123-1",
            " K-2026-000123",
            "K-2026-+00123",
            "K-２０２６-000123",
            "K2026000123",
        ] {
            let error = ClientReference::parse(bad).unwrap_err();
            assert_eq!(error.field, "reference", "{bad}");
        }
    }

    #[test]
    fn references_order_by_year_then_number() {
        let a = ClientReference::new(2025, 999).unwrap();
        let b = ClientReference::new(2026, 1).unwrap();
        assert!(a < b);
    }

    #[test]
    fn year_of_birth_bounds() {
        assert!(check_year_of_birth(1900, 2026).is_ok());
        assert!(check_year_of_birth(2026, 2026).is_ok());
        assert!(check_year_of_birth(1899, 2026).is_err());
        assert_eq!(
            check_year_of_birth(2027, 2026).unwrap_err().message,
            "must be between 1900 and 2026"
        );
    }

    #[test]
    fn symmetric_links_are_stored_one_way_directed_ones_as_given() {
        for kind in HouseholdLinkKind::ALL {
            let forward = HouseholdLink::new(*kind, 5, 3).unwrap();
            let backward = HouseholdLink::new(*kind, 3, 5).unwrap();
            if kind.is_directed() {
                assert_ne!(forward, backward, "{kind}");
                assert_eq!((forward.from_client_id, forward.to_client_id), (5, 3));
            } else {
                assert_eq!(forward, backward, "{kind}");
                assert_eq!((forward.from_client_id, forward.to_client_id), (3, 5));
            }
            assert!(HouseholdLink::new(*kind, 4, 4).is_err());
        }
    }
}
