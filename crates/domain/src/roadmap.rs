//! The roadmap (Planung bis 2022): workstreams, item statuses, half-years, the delay rule, date
//! consistency and dependency cycles.
//!
//! The concept plans by half-year (2020 H2 – 2022 H2). Items are stored with dates so that a
//! finer plan fits too; a half-year given as a start means its first day, as an end its last day.

use std::collections::{HashMap, HashSet};
use std::fmt;

use chrono::{Datelike, NaiveDate};

use crate::transition::StateConflict;

crate::vocabulary! {
    /// Arbeitsstrang der Planung (roadmap workstream). Declared in Gantt order.
    pub enum Workstream {
        /// Modulübergreifend (cross-module): needs surveys, concept, steering and project groups, public relations, monitoring
        CrossModule => "cross_module",
        /// Baustein 1: strategic coordination (strategische Steuerung)
        Module1 => "module_1",
        /// Baustein 2: case management (Case Management)
        Module2 => "module_2",
        /// Baustein 3: immigration and naturalisation offices (Ausländer- und Einbürgerungsbehörden)
        Module3 => "module_3",
    }
}

crate::vocabulary! {
    /// Stand einer Maßnahme (status of a roadmap item) as recorded by the coordination.
    pub enum RoadmapStatus {
        /// Geplant (not started)
        Planned => "planned",
        /// In Umsetzung (in progress)
        InProgress => "in_progress",
        /// Abgeschlossen (done)
        Done => "done",
        /// Verzögert (marked delayed by the coordination)
        Delayed => "delayed",
    }
}

/// The earliest and latest years a plan may name; outside them a value is a typo.
pub const MIN_YEAR: i32 = 2000;
pub const MAX_YEAR: i32 = 2100;

/// The most items a roadmap holds. `GET /roadmap` answers every item at once (a Gantt chart
/// needs them all), so the roadmap is capped instead of paged.
pub const MAX_ITEMS: i64 = 1000;

/// The most dependencies one item may have.
pub const MAX_DEPENDENCIES: usize = 50;

/// A half-year (Halbjahr): `2021-H1` is January to June 2021, `2021-H2` July to December.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HalfYear {
    year: i32,
    /// 1 or 2.
    half: u8,
}

impl HalfYear {
    /// `half` must be 1 or 2 and `year` within [`MIN_YEAR`]..=[`MAX_YEAR`].
    pub fn new(year: i32, half: u8) -> Result<HalfYear, String> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(format!(
                "the year must be between {MIN_YEAR} and {MAX_YEAR}"
            ));
        }
        if !(1..=2).contains(&half) {
            return Err("the half-year must be H1 or H2".into());
        }
        Ok(HalfYear { year, half })
    }

    /// Parses `YYYY-H1` or `YYYY-H2` (the `H` may be lowercase).
    pub fn parse(value: &str) -> Result<HalfYear, String> {
        let malformed = || format!("'{value}' is not a half-year like 2021-H1 or 2021-H2");
        let (year, half) = value.split_once('-').ok_or_else(malformed)?;
        let half = half
            .strip_prefix('H')
            .or_else(|| half.strip_prefix('h'))
            .ok_or_else(malformed)?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        let year: i32 = year.parse().map_err(|_| malformed())?;
        let half: u8 = match half {
            "1" => 1,
            "2" => 2,
            _ if half.len() == 1 && half.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(format!("'{value}': a year has only H1 and H2"))
            }
            _ => return Err(malformed()),
        };
        HalfYear::new(year, half)
    }

    /// The half-year a date falls in.
    pub fn containing(date: NaiveDate) -> HalfYear {
        HalfYear {
            year: date.year(),
            half: if date.month() <= 6 { 1 } else { 2 },
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn half(self) -> u8 {
        self.half
    }

    /// 1 January or 1 July.
    pub fn first_day(self) -> NaiveDate {
        let month = if self.half == 1 { 1 } else { 7 };
        NaiveDate::from_ymd_opt(self.year, month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// 30 June or 31 December.
    pub fn last_day(self) -> NaiveDate {
        let (month, day) = if self.half == 1 { (6, 30) } else { (12, 31) };
        NaiveDate::from_ymd_opt(self.year, month, day).unwrap_or(NaiveDate::MAX)
    }

    /// `2021-H1`.
    pub fn label(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for HalfYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-H{}", self.year, self.half)
    }
}

/// Which end of a planned period a value gives: a half-year means its first day as a start and
/// its last day as an end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Start,
    End,
}

/// Parses a planned start or end: a half-year (`2021-H1`) or a date (`2021-03-01`).
pub fn parse_planned(value: &str, bound: Bound) -> Result<NaiveDate, String> {
    let value = value.trim();
    if value.contains(['H', 'h']) {
        let half_year = HalfYear::parse(value)?;
        return Ok(match bound {
            Bound::Start => half_year.first_day(),
            Bound::End => half_year.last_day(),
        });
    }
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .filter(|_| value.len() == 10)
        .ok_or_else(|| {
            format!("'{value}' is neither a half-year (2021-H1) nor a date (2021-03-01)")
        })?;
    if !(MIN_YEAR..=MAX_YEAR).contains(&date.year()) {
        return Err(format!(
            "the year must be between {MIN_YEAR} and {MAX_YEAR}"
        ));
    }
    Ok(date)
}

/// A planned period must not end before it starts (a single day is fine).
pub fn check_period(start: NaiveDate, end: NaiveDate) -> Result<(), String> {
    if end < start {
        return Err(format!(
            "the planned end ({end}) must not be before the planned start ({start})"
        ));
    }
    Ok(())
}

/// An item is delayed (verzögert) when the coordination marked it so, or when its planned end
/// has passed (`planned_end` is before `today`) and it is not done.
pub fn is_delayed(status: RoadmapStatus, planned_end: NaiveDate, today: NaiveDate) -> bool {
    match status {
        RoadmapStatus::Delayed => true,
        RoadmapStatus::Done => false,
        RoadmapStatus::Planned | RoadmapStatus::InProgress => planned_end < today,
    }
}

/// Why a set of dependencies is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DependencyError {
    #[error("an item cannot depend on itself")]
    OnItself,
    /// The path closes a cycle: `path[0]` depends on `path[1]` ... depends on `path[0]`.
    #[error("depending on item {} would close a cycle: {}", path.get(1).copied().unwrap_or_default(), cycle_text(path))]
    Cycle { path: Vec<i64> },
}

fn cycle_text(path: &[i64]) -> String {
    let mut parts: Vec<String> = path.iter().map(|id| id.to_string()).collect();
    if let Some(first) = path.first() {
        parts.push(first.to_string());
    }
    parts.join(" → ")
}

/// Checks that `item` may depend on `depends_on`, given the other items' dependencies in
/// `graph` (item → items it depends on; the entry of `item` itself is ignored, since
/// `depends_on` replaces it). The error names one cycle the new set would close.
pub fn check_dependencies(
    item: i64,
    depends_on: &[i64],
    graph: &HashMap<i64, Vec<i64>>,
) -> Result<(), DependencyError> {
    if depends_on.contains(&item) {
        return Err(DependencyError::OnItself);
    }
    for &first in depends_on {
        if let Some(mut path) = path_to(first, item, graph) {
            path.insert(0, item);
            path.pop();
            return Err(DependencyError::Cycle { path });
        }
    }
    Ok(())
}

/// A path `from → … → to` along dependencies of `graph`, not passing through the edges of
/// `to` (they are being replaced). Iterative, so a long chain cannot overflow the stack.
fn path_to(from: i64, to: i64, graph: &HashMap<i64, Vec<i64>>) -> Option<Vec<i64>> {
    let mut parent: HashMap<i64, i64> = HashMap::new();
    let mut seen: HashSet<i64> = HashSet::from([from]);
    let mut stack = vec![from];
    while let Some(node) = stack.pop() {
        if node == to {
            let mut path = vec![node];
            let mut current = node;
            while let Some(&previous) = parent.get(&current) {
                path.push(previous);
                current = previous;
            }
            path.reverse();
            return Some(path);
        }
        for &next in graph.get(&node).map(Vec::as_slice).unwrap_or_default() {
            if seen.insert(next) {
                parent.insert(next, node);
                stack.push(next);
            }
        }
    }
    None
}

/// A new item needs room: the roadmap holds at most [`MAX_ITEMS`] (`count` is how many it
/// holds now).
pub fn check_room(count: i64) -> Result<(), StateConflict> {
    if count >= MAX_ITEMS {
        return Err(StateConflict(format!(
            "the roadmap holds at most {MAX_ITEMS} items; delete finished ones first"
        )));
    }
    Ok(())
}

/// An item can be deleted only when no other item depends on it (`dependents`, in order).
pub fn check_deletable(dependents: &[i64]) -> Result<(), StateConflict> {
    if dependents.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = dependents.iter().map(|d| d.to_string()).collect();
    Err(StateConflict(format!(
        "roadmap item(s) {} depend on this item; remove those dependencies first",
        ids.join(", ")
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn workstream_text_order_is_gantt_order() {
        // The store orders by the stored text; it must agree with the declared order.
        let mut texts: Vec<&str> = Workstream::ALL.iter().map(|w| w.as_str()).collect();
        texts.sort_unstable();
        let declared: Vec<&str> = Workstream::ALL.iter().map(|w| w.as_str()).collect();
        assert_eq!(texts, declared);
        assert_eq!(
            Workstream::parse("module_2").ok(),
            Some(Workstream::Module2)
        );
        assert!(Workstream::parse("module_4").is_err());
    }

    #[test]
    fn statuses_parse_and_print() {
        for status in RoadmapStatus::ALL {
            assert_eq!(RoadmapStatus::parse(status.as_str()).ok(), Some(*status));
        }
        assert_eq!(RoadmapStatus::InProgress.as_str(), "in_progress");
        assert!(RoadmapStatus::parse("finished").is_err());
    }

    #[test]
    fn half_years_parse() {
        let h1 = HalfYear::parse("2021-H1").expect("valid");
        assert_eq!((h1.year(), h1.half()), (2021, 1));
        assert_eq!(HalfYear::parse("2020-h2").map(|h| h.half()), Ok(2));
        for bad in [
            "2021-H3", "2021-H0", "2021-H", "2021H1", "21-H1", "2021-H12", "x-H1", "", "2021-Q1",
        ] {
            assert!(HalfYear::parse(bad).is_err(), "{bad}");
        }
        assert!(HalfYear::parse("2021-H3")
            .unwrap_err()
            .contains("only H1 and H2"));
        assert!(HalfYear::parse("1999-H2").unwrap_err().contains("between"));
        assert!(HalfYear::parse("2101-H1").is_err());
        assert!(HalfYear::parse("2100-H2").is_ok());
    }

    #[test]
    fn half_years_span_january_to_june_and_july_to_december() {
        let h1 = HalfYear::parse("2021-H1").expect("valid");
        let h2 = HalfYear::parse("2021-H2").expect("valid");
        assert_eq!(h1.first_day(), date(2021, 1, 1));
        assert_eq!(h1.last_day(), date(2021, 6, 30));
        assert_eq!(h2.first_day(), date(2021, 7, 1));
        assert_eq!(h2.last_day(), date(2021, 12, 31));
        assert!(h1 < h2);
        assert!(h2 < HalfYear::parse("2022-H1").expect("valid"));
    }

    #[test]
    fn half_year_labels_round_trip() {
        assert_eq!(HalfYear::containing(date(2021, 6, 30)).label(), "2021-H1");
        assert_eq!(HalfYear::containing(date(2021, 7, 1)).label(), "2021-H2");
        assert_eq!(HalfYear::containing(date(2020, 12, 31)).label(), "2020-H2");
        assert_eq!(HalfYear::containing(date(2022, 1, 1)).label(), "2022-H1");
        for text in ["2020-H2", "2021-H1", "2021-H2", "2022-H1", "2022-H2"] {
            let half_year = HalfYear::parse(text).expect("valid");
            assert_eq!(half_year.label(), text);
            assert_eq!(HalfYear::containing(half_year.first_day()), half_year);
            assert_eq!(HalfYear::containing(half_year.last_day()), half_year);
        }
        assert!(HalfYear::new(2021, 3).is_err());
    }

    #[test]
    fn planned_values_are_half_years_or_dates() {
        assert_eq!(parse_planned("2021-H1", Bound::Start), Ok(date(2021, 1, 1)));
        assert_eq!(parse_planned("2021-H1", Bound::End), Ok(date(2021, 6, 30)));
        assert_eq!(parse_planned("2021-H2", Bound::Start), Ok(date(2021, 7, 1)));
        assert_eq!(parse_planned("2021-H2", Bound::End), Ok(date(2021, 12, 31)));
        assert_eq!(
            parse_planned(" 2021-03-01 ", Bound::Start),
            Ok(date(2021, 3, 1))
        );
        assert_eq!(
            parse_planned("2021-03-01", Bound::End),
            Ok(date(2021, 3, 1))
        );
        for bad in [
            "2021-H3",
            "2021-02-30",
            "2021-3-1",
            "01.03.2021",
            "2021-03-01T00:00:00Z",
            "",
            "soon",
            "1999-12-31",
            "2101-01-01",
        ] {
            assert!(parse_planned(bad, Bound::Start).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_period_may_not_end_before_it_starts() {
        assert!(check_period(date(2021, 1, 1), date(2021, 6, 30)).is_ok());
        assert!(check_period(date(2021, 3, 1), date(2021, 3, 1)).is_ok());
        let refused = check_period(date(2021, 7, 1), date(2021, 6, 30)).unwrap_err();
        assert!(refused.contains("2021-06-30") && refused.contains("2021-07-01"));
        // The same half-year as start and end spans the whole half-year.
        let start = parse_planned("2021-H2", Bound::Start).expect("valid");
        let end = parse_planned("2021-H2", Bound::End).expect("valid");
        assert!(check_period(start, end).is_ok());
        let end = parse_planned("2021-H1", Bound::End).expect("valid");
        assert!(check_period(start, end).is_err());
    }

    #[test]
    fn delay_rule() {
        let end = date(2022, 12, 31);
        let before = date(2022, 12, 30);
        let after = date(2023, 1, 1);
        // On the last planned day an item is not yet late.
        for today in [before, end] {
            assert!(!is_delayed(RoadmapStatus::Planned, end, today));
            assert!(!is_delayed(RoadmapStatus::InProgress, end, today));
            assert!(!is_delayed(RoadmapStatus::Done, end, today));
            assert!(is_delayed(RoadmapStatus::Delayed, end, today));
        }
        assert!(is_delayed(RoadmapStatus::Planned, end, after));
        assert!(is_delayed(RoadmapStatus::InProgress, end, after));
        assert!(!is_delayed(RoadmapStatus::Done, end, after));
        assert!(is_delayed(RoadmapStatus::Delayed, end, after));
    }

    fn graph(edges: &[(i64, &[i64])]) -> HashMap<i64, Vec<i64>> {
        edges.iter().map(|(k, v)| (*k, v.to_vec())).collect()
    }

    #[test]
    fn self_dependency_is_refused() {
        assert_eq!(
            check_dependencies(3, &[1, 3], &HashMap::new()),
            Err(DependencyError::OnItself)
        );
    }

    #[test]
    fn acyclic_dependencies_pass() {
        // 4 → 3 → 2 → 1, and 5 → 1: a diamond and chains are fine.
        let g = graph(&[(2, &[1]), (3, &[2]), (4, &[3, 1]), (5, &[1])]);
        assert_eq!(check_dependencies(6, &[4, 5], &g), Ok(()));
        assert_eq!(check_dependencies(1, &[], &g), Ok(()));
        assert_eq!(check_dependencies(5, &[2, 4], &g), Ok(()));
        assert_eq!(check_dependencies(7, &[], &HashMap::new()), Ok(()));
    }

    #[test]
    fn a_direct_cycle_is_refused() {
        let g = graph(&[(2, &[1])]);
        assert_eq!(
            check_dependencies(1, &[2], &g),
            Err(DependencyError::Cycle { path: vec![1, 2] })
        );
    }

    #[test]
    fn a_long_cycle_is_refused_and_named() {
        let g = graph(&[(2, &[1]), (3, &[2]), (4, &[3])]);
        let refused = check_dependencies(1, &[4], &g).unwrap_err();
        assert_eq!(
            refused,
            DependencyError::Cycle {
                path: vec![1, 4, 3, 2]
            }
        );
        assert_eq!(
            refused.to_string(),
            "depending on item 4 would close a cycle: 1 → 4 → 3 → 2 → 1"
        );
    }

    #[test]
    fn the_items_own_old_dependencies_are_replaced() {
        // 1 depended on 2; now 1 depends on nothing, so 2 may depend on 1.
        let g = graph(&[(1, &[2])]);
        assert_eq!(check_dependencies(1, &[], &g), Ok(()));
        // And 1 may keep depending on 2 when the rest of the graph allows it.
        assert_eq!(check_dependencies(1, &[2], &g), Ok(()));
        // A cycle elsewhere in the graph, not through the item, does not concern it.
        let g = graph(&[(8, &[9]), (9, &[8])]);
        assert_eq!(check_dependencies(1, &[8], &g), Ok(()));
    }

    #[test]
    fn a_long_chain_does_not_overflow() {
        let g: HashMap<i64, Vec<i64>> = (2..100_000).map(|i| (i, vec![i - 1])).collect();
        assert!(matches!(
            check_dependencies(1, &[99_999], &g),
            Err(DependencyError::Cycle { .. })
        ));
        assert_eq!(check_dependencies(100_000, &[99_999], &g), Ok(()));
    }

    #[test]
    fn the_roadmap_has_room_for_max_items() {
        assert!(check_room(0).is_ok());
        assert!(check_room(MAX_ITEMS - 1).is_ok());
        let full = check_room(MAX_ITEMS).unwrap_err();
        assert_eq!(
            full.0,
            "the roadmap holds at most 1000 items; delete finished ones first"
        );
        assert!(check_room(MAX_ITEMS + 1).is_err());
    }

    #[test]
    fn an_item_others_depend_on_is_not_deleted() {
        assert!(check_deletable(&[]).is_ok());
        assert_eq!(
            check_deletable(&[3, 7]).unwrap_err().0,
            "roadmap item(s) 3, 7 depend on this item; remove those dependencies first"
        );
    }
}
