//! Social areas (Sozialräume, "(geclusterte) Sozialräume"): named areas the county plans case
//! management for, each covering whole municipalities or named parts of them (a district,
//! Stadtteil or Ortsteil of a town). A place belongs to one social area at most, so that counts
//! grouped by area add up; positions name the areas they serve.
//!
//! Cases record their municipality, not a district: a count of cases per social area can only
//! add up the municipalities an area covers whole ([`covered_whole`]).

use crate::field::FieldError;

/// What an area covers: a whole municipality (`district` `None`) or a named part of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AreaPart {
    pub municipality_id: i64,
    pub district: Option<String>,
}

impl AreaPart {
    /// Whether both name a place in common: the same part, or a whole municipality and any
    /// part of it.
    pub fn overlaps(&self, other: &AreaPart) -> bool {
        self.municipality_id == other.municipality_id
            && (self.district.is_none()
                || other.district.is_none()
                || self.district.as_deref().map(str::to_lowercase)
                    == other.district.as_deref().map(str::to_lowercase))
    }
}

impl std::fmt::Display for AreaPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.district {
            None => write!(f, "municipality {}", self.municipality_id),
            Some(d) => write!(f, "'{d}' in municipality {}", self.municipality_id),
        }
    }
}

/// An area's parts, normalised: districts trimmed (blank means the whole municipality), sorted.
/// At least one part; no place twice (a part named twice, or a municipality both whole and in
/// parts): 422 `rule` on `parts`.
pub fn check_parts(parts: Vec<AreaPart>) -> Result<Vec<AreaPart>, FieldError> {
    let mut normalised: Vec<AreaPart> = parts
        .into_iter()
        .map(|p| AreaPart {
            municipality_id: p.municipality_id,
            district: p
                .district
                .map(|d| d.trim().to_owned())
                .filter(|d| !d.is_empty()),
        })
        .collect();
    if normalised.is_empty() {
        return Err(FieldError::rule(
            "parts",
            "name at least one municipality or part",
        ));
    }
    normalised.sort();
    for (index, part) in normalised.iter().enumerate() {
        if let Some(twice) = normalised[index + 1..].iter().find(|o| part.overlaps(o)) {
            return Err(FieldError::rule(
                "parts",
                format!("{part} and {twice} cover the same place"),
            ));
        }
    }
    Ok(normalised)
}

/// The first place `parts` shares with an area's `other` parts, if any: a place belongs to one
/// social area only.
pub fn first_overlap<'a>(
    parts: &'a [AreaPart],
    other: &'a [AreaPart],
) -> Option<(&'a AreaPart, &'a AreaPart)> {
    parts
        .iter()
        .find_map(|p| other.iter().find(|o| p.overlaps(o)).map(|o| (p, o)))
}

/// The municipalities an area covers whole, and those it covers only in parts.
pub fn covered_whole(parts: &[AreaPart]) -> (Vec<i64>, Vec<i64>) {
    let mut whole: Vec<i64> = parts
        .iter()
        .filter(|p| p.district.is_none())
        .map(|p| p.municipality_id)
        .collect();
    let mut partly: Vec<i64> = parts
        .iter()
        .filter(|p| p.district.is_some())
        .map(|p| p.municipality_id)
        .filter(|m| !whole.contains(m))
        .collect();
    whole.sort_unstable();
    whole.dedup();
    partly.sort_unstable();
    partly.dedup();
    (whole, partly)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(m: i64) -> AreaPart {
        AreaPart {
            municipality_id: m,
            district: None,
        }
    }

    fn part(m: i64, d: &str) -> AreaPart {
        AreaPart {
            municipality_id: m,
            district: Some(d.into()),
        }
    }

    #[test]
    fn parts_are_trimmed_sorted_and_a_blank_district_is_the_whole_municipality() {
        assert_eq!(
            check_parts(vec![
                part(2, " Sieglar "),
                part(1, "  "),
                part(2, "Oberlar")
            ]),
            Ok(vec![whole(1), part(2, "Oberlar"), part(2, "Sieglar")])
        );
    }

    #[test]
    fn a_place_is_named_once_and_something_is_named() {
        for parts in [
            vec![whole(1), whole(1)],
            vec![whole(1), part(1, "Mitte")],
            vec![part(1, "Mitte"), part(1, "mitte ")],
        ] {
            let error = check_parts(parts.clone()).unwrap_err();
            assert_eq!(error.field, "parts", "{parts:?}");
            assert!(error.message.contains("same place"), "{error}");
        }
        assert_eq!(check_parts(vec![]).unwrap_err().field, "parts");
        assert!(check_parts(vec![part(1, "Mitte"), part(1, "Nord"), whole(2)]).is_ok());
    }

    #[test]
    fn overlaps_between_areas() {
        let troisdorf_mitte = [part(1, "Mitte")];
        assert!(first_overlap(&troisdorf_mitte, &[part(1, "Sieglar")]).is_none());
        assert!(first_overlap(&troisdorf_mitte, &[part(2, "Mitte")]).is_none());
        assert!(first_overlap(&troisdorf_mitte, &[part(1, "MITTE")]).is_some());
        assert!(first_overlap(&troisdorf_mitte, &[whole(1)]).is_some());
        assert!(first_overlap(&[whole(1)], &troisdorf_mitte).is_some());
        assert!(first_overlap(&[whole(1)], &[whole(2)]).is_none());
        assert_eq!(
            first_overlap(&[whole(3), whole(1)], &[part(1, "Mitte")]),
            Some((&whole(1), &part(1, "Mitte")))
        );
        assert_eq!(part(1, "Mitte").to_string(), "'Mitte' in municipality 1");
    }

    #[test]
    fn whole_and_partly_covered_municipalities() {
        assert_eq!(
            covered_whole(&[whole(3), part(1, "A"), part(1, "B"), whole(2)]),
            (vec![2, 3], vec![1])
        );
        assert_eq!(covered_whole(&[]), (vec![], vec![]));
    }
}
