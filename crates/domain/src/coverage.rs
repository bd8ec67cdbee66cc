//! Coverage analysis (Angebotsabdeckung): which target groups or topics each municipality has
//! offers for, from how many organisations, and so where offers are missing (gaps) and where
//! several organisations serve the same need in parallel (overlaps, candidates for
//! "Doppelstrukturen"). A pure function over the offers; the API loads them and names things.
//!
//! The matrix has one row per municipality and one column per value of the chosen dimension
//! (every target group or every topic, in vocabulary order, so that empty columns show as gaps).
//! An offer counts in a cell when it is active on the chosen date, serves the municipality
//! (a county-wide offer serves every municipality) and names the column's value.
//!
//! Per cell: the offers, the distinct organisations behind them, and a flag from the number of
//! organisations: `none` (0), `single` (1), `overlap` (2 or more). Two offers of the same
//! organisation are one actor and no overlap: the concept's question is whether *several
//! actors* serve the same group.
//!
//! Totals count distinct things, never sums of cells, because one offer usually fills several
//! cells (several target groups, several municipalities):
//! - a row's total: the distinct offers and organisations serving the municipality in any
//!   column, and how many of its cells are gaps and overlaps;
//! - a column's total: the distinct offers and organisations serving the value in any of the
//!   rows, and in how many rows it is a gap and an overlap;
//! - the grand total: the distinct offers and organisations in the whole matrix, and the
//!   number of gap and overlap cells.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use crate::offer::{is_active_on, OfferTargetGroup, OfferTopic};

crate::vocabulary! {
    /// The columns of the coverage matrix.
    pub enum CoverageDimension {
        /// Zielgruppen: one column per offer target group
        TargetGroup => "target_group",
        /// Themen: one column per offer topic
        Topic => "topic",
    }
}

impl CoverageDimension {
    /// The column values, in vocabulary order.
    pub fn columns(self) -> Vec<&'static str> {
        match self {
            CoverageDimension::TargetGroup => {
                OfferTargetGroup::ALL.iter().map(|g| g.as_str()).collect()
            }
            CoverageDimension::Topic => OfferTopic::ALL.iter().map(|t| t.as_str()).collect(),
        }
    }
}

crate::vocabulary! {
    /// How well a cell of the coverage matrix is covered.
    pub enum CoverageFlag {
        /// Keine Angebote: no organisation offers anything here (a gap)
        None => "none",
        /// Ein Akteur: exactly one organisation offers something here
        Single => "single",
        /// Mehrere Akteure: two or more organisations (a candidate for Doppelstrukturen)
        Overlap => "overlap",
    }
}

impl CoverageFlag {
    pub fn from_organisations(count: usize) -> CoverageFlag {
        match count {
            0 => CoverageFlag::None,
            1 => CoverageFlag::Single,
            _ => CoverageFlag::Overlap,
        }
    }
}

/// What the analysis needs of an offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageOffer {
    pub offer_id: i64,
    pub organisation_id: i64,
    pub county_wide: bool,
    /// The municipalities served; ignored when `county_wide`.
    pub municipality_ids: Vec<i64>,
    pub target_groups: Vec<OfferTargetGroup>,
    pub topics: Vec<OfferTopic>,
    pub active_from: Option<NaiveDate>,
    pub active_until: Option<NaiveDate>,
}

impl CoverageOffer {
    fn serves(&self, municipality_id: i64) -> bool {
        self.county_wide || self.municipality_ids.contains(&municipality_id)
    }

    fn names(&self, dimension: CoverageDimension, column: &str) -> bool {
        match dimension {
            CoverageDimension::TargetGroup => {
                self.target_groups.iter().any(|g| g.as_str() == column)
            }
            CoverageDimension::Topic => self.topics.iter().any(|t| t.as_str() == column),
        }
    }
}

/// One cell: a municipality and a value of the dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageCell {
    pub column: &'static str,
    /// The offers counted here, ascending.
    pub offer_ids: Vec<i64>,
    /// The distinct organisations behind them, ascending.
    pub organisation_ids: Vec<i64>,
    pub flag: CoverageFlag,
}

/// Distinct offers and organisations, and how many cells are gaps and overlaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CoverageTotals {
    pub offers: usize,
    pub organisations: usize,
    pub gaps: usize,
    pub overlaps: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageRow {
    pub municipality_id: i64,
    /// One per column, in column order.
    pub cells: Vec<CoverageCell>,
    pub totals: CoverageTotals,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageMatrix {
    pub dimension: CoverageDimension,
    pub active_on: NaiveDate,
    pub columns: Vec<&'static str>,
    /// One per municipality asked for, in the order asked.
    pub rows: Vec<CoverageRow>,
    /// One per column, in column order.
    pub column_totals: Vec<CoverageTotals>,
    pub totals: CoverageTotals,
}

/// Distinct offers and organisations of a set of cells, with their gap and overlap counts.
fn totals<'a>(cells: impl Iterator<Item = &'a CoverageCell>) -> CoverageTotals {
    let mut offers = BTreeSet::new();
    let mut organisations = BTreeSet::new();
    let mut result = CoverageTotals::default();
    for cell in cells {
        offers.extend(cell.offer_ids.iter().copied());
        organisations.extend(cell.organisation_ids.iter().copied());
        match cell.flag {
            CoverageFlag::None => result.gaps += 1,
            CoverageFlag::Single => {}
            CoverageFlag::Overlap => result.overlaps += 1,
        }
    }
    result.offers = offers.len();
    result.organisations = organisations.len();
    result
}

/// The coverage matrix of `municipality_ids` (rows; a repeated id counts once) × every value of
/// `dimension`, from the `offers` active on `active_on`. See the module docs for what counts.
pub fn coverage(
    offers: &[CoverageOffer],
    municipality_ids: &[i64],
    dimension: CoverageDimension,
    active_on: NaiveDate,
) -> CoverageMatrix {
    let columns = dimension.columns();
    let active: Vec<&CoverageOffer> = offers
        .iter()
        .filter(|o| is_active_on(o.active_from, o.active_until, active_on))
        .collect();
    let mut seen = BTreeSet::new();
    let rows: Vec<CoverageRow> = municipality_ids
        .iter()
        .copied()
        .filter(|id| seen.insert(*id))
        .map(|municipality_id| {
            let cells: Vec<CoverageCell> = columns
                .iter()
                .map(|column| {
                    let here: Vec<&&CoverageOffer> = active
                        .iter()
                        .filter(|o| o.serves(municipality_id) && o.names(dimension, column))
                        .collect();
                    let offer_ids: BTreeSet<i64> = here.iter().map(|o| o.offer_id).collect();
                    let organisation_ids: BTreeSet<i64> =
                        here.iter().map(|o| o.organisation_id).collect();
                    CoverageCell {
                        column,
                        flag: CoverageFlag::from_organisations(organisation_ids.len()),
                        offer_ids: offer_ids.into_iter().collect(),
                        organisation_ids: organisation_ids.into_iter().collect(),
                    }
                })
                .collect();
            CoverageRow {
                municipality_id,
                totals: totals(cells.iter()),
                cells,
            }
        })
        .collect();
    let column_totals = (0..columns.len())
        .map(|index| totals(rows.iter().map(|row| &row.cells[index])))
        .collect();
    let grand = totals(rows.iter().flat_map(|row| row.cells.iter()));
    CoverageMatrix {
        dimension,
        active_on,
        columns,
        rows,
        column_totals,
        totals: grand,
    }
}

impl CoverageMatrix {
    /// The empty cells (flag `none`), row by row in column order.
    pub fn gaps(&self) -> Vec<(i64, &CoverageCell)> {
        self.cells_flagged(CoverageFlag::None)
    }

    /// The cells with two or more organisations, row by row in column order.
    pub fn overlaps(&self) -> Vec<(i64, &CoverageCell)> {
        self.cells_flagged(CoverageFlag::Overlap)
    }

    fn cells_flagged(&self, flag: CoverageFlag) -> Vec<(i64, &CoverageCell)> {
        self.rows
            .iter()
            .flat_map(|row| {
                row.cells
                    .iter()
                    .filter(move |cell| cell.flag == flag)
                    .map(move |cell| (row.municipality_id, cell))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OfferTargetGroup as G;
    use OfferTopic as T;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    const NORTH: i64 = 10;
    const SOUTH: i64 = 20;
    const EAST: i64 = 30;
    const JOBCENTER: i64 = 1;
    const CARITAS: i64 = 2;
    const DIAKONIE: i64 = 3;

    fn offer(
        offer_id: i64,
        organisation_id: i64,
        municipality_ids: &[i64],
        target_groups: &[G],
        topics: &[T],
    ) -> CoverageOffer {
        CoverageOffer {
            offer_id,
            organisation_id,
            county_wide: municipality_ids.is_empty(),
            municipality_ids: municipality_ids.to_vec(),
            target_groups: target_groups.to_vec(),
            topics: topics.to_vec(),
            active_from: None,
            active_until: None,
        }
    }

    /// The hand-made landscape:
    /// - 1 Jobcenter, county-wide: job seekers; work.
    /// - 2 Caritas in North and South: refugees and families; counselling and housing.
    /// - 3 Caritas in North: refugees; language (a second Caritas offer: still one actor).
    /// - 4 Diakonie in North: refugees and women; counselling.
    /// - 5 Diakonie county-wide, only in 2021: youth; education.
    /// - 6 Jobcenter in East, ended 2019: refugees; work (never counts in 2021).
    fn landscape() -> Vec<CoverageOffer> {
        let mut ended = offer(6, JOBCENTER, &[EAST], &[G::Refugees], &[T::Work]);
        ended.active_until = Some(date("2019-12-31"));
        let mut year = offer(5, DIAKONIE, &[], &[G::Youth], &[T::Education]);
        year.active_from = Some(date("2021-01-01"));
        year.active_until = Some(date("2021-12-31"));
        vec![
            offer(1, JOBCENTER, &[], &[G::JobSeekers], &[T::Work]),
            offer(
                2,
                CARITAS,
                &[NORTH, SOUTH],
                &[G::Refugees, G::Families],
                &[T::Counselling, T::Housing],
            ),
            offer(3, CARITAS, &[NORTH], &[G::Refugees], &[T::Language]),
            offer(
                4,
                DIAKONIE,
                &[NORTH],
                &[G::Refugees, G::Women],
                &[T::Counselling],
            ),
            year,
            ended,
        ]
    }

    fn matrix(dimension: CoverageDimension, on: &str) -> CoverageMatrix {
        coverage(&landscape(), &[NORTH, SOUTH, EAST], dimension, date(on))
    }

    /// A cell as (offers, organisations, flag).
    type Expected = (Vec<i64>, Vec<i64>, CoverageFlag);

    /// Every cell, row by row.
    fn cells(matrix: &CoverageMatrix) -> Vec<Vec<Expected>> {
        matrix
            .rows
            .iter()
            .map(|row| {
                row.cells
                    .iter()
                    .map(|c| (c.offer_ids.clone(), c.organisation_ids.clone(), c.flag))
                    .collect()
            })
            .collect()
    }

    fn totals(offers: usize, organisations: usize, gaps: usize, overlaps: usize) -> CoverageTotals {
        CoverageTotals {
            offers,
            organisations,
            gaps,
            overlaps,
        }
    }

    use CoverageFlag::{None as N, Overlap as O, Single as S};

    #[test]
    fn target_group_matrix_cell_by_cell() {
        let m = matrix(CoverageDimension::TargetGroup, "2021-06-01");
        assert_eq!(
            m.columns,
            vec![
                "new_arrivals",
                "refugees",
                "eu_citizens",
                "families",
                "children",
                "multilingual_children_with_language_disorders",
                "youth",
                "women",
                "seniors",
                "job_seekers",
                "other"
            ]
        );
        let none = (vec![], vec![], N);
        let north = vec![
            none.clone(),
            (vec![2, 3, 4], vec![CARITAS, DIAKONIE], O),
            none.clone(),
            (vec![2], vec![CARITAS], S),
            none.clone(),
            none.clone(),
            (vec![5], vec![DIAKONIE], S),
            (vec![4], vec![DIAKONIE], S),
            none.clone(),
            (vec![1], vec![JOBCENTER], S),
            none.clone(),
        ];
        let south = vec![
            none.clone(),
            (vec![2], vec![CARITAS], S),
            none.clone(),
            (vec![2], vec![CARITAS], S),
            none.clone(),
            none.clone(),
            (vec![5], vec![DIAKONIE], S),
            none.clone(),
            none.clone(),
            (vec![1], vec![JOBCENTER], S),
            none.clone(),
        ];
        let east = vec![
            none.clone(),
            none.clone(),
            none.clone(),
            none.clone(),
            none.clone(),
            none.clone(),
            (vec![5], vec![DIAKONIE], S),
            none.clone(),
            none.clone(),
            (vec![1], vec![JOBCENTER], S),
            none.clone(),
        ];
        assert_eq!(cells(&m), vec![north, south, east]);
        let ids: Vec<i64> = m.rows.iter().map(|r| r.municipality_id).collect();
        assert_eq!(ids, vec![NORTH, SOUTH, EAST]);
        assert_eq!(m.rows[0].totals, totals(5, 3, 6, 1));
        assert_eq!(m.rows[1].totals, totals(3, 3, 7, 0));
        assert_eq!(m.rows[2].totals, totals(2, 2, 9, 0));
        assert_eq!(
            m.column_totals,
            vec![
                totals(0, 0, 3, 0),
                totals(3, 2, 1, 1),
                totals(0, 0, 3, 0),
                totals(1, 1, 1, 0),
                totals(0, 0, 3, 0),
                totals(0, 0, 3, 0),
                totals(1, 1, 0, 0),
                totals(1, 1, 2, 0),
                totals(0, 0, 3, 0),
                totals(1, 1, 0, 0),
                totals(0, 0, 3, 0),
            ]
        );
        assert_eq!(m.totals, totals(5, 3, 22, 1));
        assert_eq!(m.dimension, CoverageDimension::TargetGroup);
        assert_eq!(m.active_on, date("2021-06-01"));
    }

    #[test]
    fn topic_matrix_cell_by_cell() {
        let m = matrix(CoverageDimension::Topic, "2021-06-01");
        assert_eq!(m.columns.len(), OfferTopic::ALL.len());
        let none = (vec![], vec![], N);
        // counselling, language, work, education, childcare, housing, health, residence,
        // naturalisation, leisure, volunteering, other
        let north = vec![
            (vec![2, 4], vec![CARITAS, DIAKONIE], O),
            (vec![3], vec![CARITAS], S),
            (vec![1], vec![JOBCENTER], S),
            (vec![5], vec![DIAKONIE], S),
            none.clone(),
            (vec![2], vec![CARITAS], S),
            none.clone(),
            none.clone(),
            none.clone(),
            none.clone(),
            none.clone(),
            none.clone(),
        ];
        let south = vec![
            (vec![2], vec![CARITAS], S),
            none.clone(),
            (vec![1], vec![JOBCENTER], S),
            (vec![5], vec![DIAKONIE], S),
            none.clone(),
            (vec![2], vec![CARITAS], S),
            none.clone(),
            none.clone(),
            none.clone(),
            none.clone(),
            none.clone(),
            none.clone(),
        ];
        let east = vec![
            none.clone(),
            none.clone(),
            (vec![1], vec![JOBCENTER], S),
            (vec![5], vec![DIAKONIE], S),
            none.clone(),
            none.clone(),
            none.clone(),
            none.clone(),
            none.clone(),
            none.clone(),
            none.clone(),
            none.clone(),
        ];
        assert_eq!(cells(&m), vec![north, south, east]);
        assert_eq!(m.rows[0].totals, totals(5, 3, 7, 1));
        assert_eq!(m.rows[1].totals, totals(3, 3, 8, 0));
        assert_eq!(m.rows[2].totals, totals(2, 2, 10, 0));
        assert_eq!(m.column_totals[0], totals(2, 2, 1, 1));
        assert_eq!(m.column_totals[2], totals(1, 1, 0, 0));
        assert_eq!(m.column_totals[4], totals(0, 0, 3, 0));
        assert_eq!(m.totals, totals(5, 3, 25, 1));
    }

    #[test]
    fn the_date_decides_which_offers_count() {
        // 2022: offer 5 (youth, 2021 only) has ended; the youth column is empty everywhere.
        let later = matrix(CoverageDimension::TargetGroup, "2022-01-01");
        let youth = later
            .columns
            .iter()
            .position(|c| *c == "youth")
            .expect("youth");
        assert_eq!(later.column_totals[youth], totals(0, 0, 3, 0));
        assert_eq!(later.totals, totals(4, 3, 25, 1));
        // 2019: offer 6 (Jobcenter in East, refugees) still ran; 5 had not started.
        let earlier = matrix(CoverageDimension::TargetGroup, "2019-12-31");
        let refugees = 1;
        assert_eq!(earlier.rows[2].cells[refugees].offer_ids, vec![6]);
        assert_eq!(earlier.rows[2].cells[refugees].flag, S);
        assert_eq!(earlier.rows[2].cells[youth].flag, N);
        // The first and last day of a period count.
        let first = matrix(CoverageDimension::TargetGroup, "2021-01-01");
        assert_eq!(first.rows[2].cells[youth].offer_ids, vec![5]);
        let last = matrix(CoverageDimension::TargetGroup, "2021-12-31");
        assert_eq!(last.rows[2].cells[youth].offer_ids, vec![5]);
    }

    #[test]
    fn county_wide_offers_count_for_every_municipality_even_unknown_ones() {
        let m = coverage(
            &landscape(),
            &[99],
            CoverageDimension::TargetGroup,
            date("2021-06-01"),
        );
        assert_eq!(m.rows.len(), 1);
        assert_eq!(m.rows[0].totals, totals(2, 2, 9, 0));
    }

    #[test]
    fn rows_follow_the_request_order_and_repeat_once() {
        let m = coverage(
            &landscape(),
            &[EAST, NORTH, EAST],
            CoverageDimension::Topic,
            date("2021-06-01"),
        );
        let ids: Vec<i64> = m.rows.iter().map(|r| r.municipality_id).collect();
        assert_eq!(ids, vec![EAST, NORTH]);
        // Offers outside the rows do not count in the totals: South's rows are not asked for.
        assert_eq!(m.totals.offers, 5);
        let only_south = coverage(
            &landscape(),
            &[SOUTH],
            CoverageDimension::Topic,
            date("2021-06-01"),
        );
        assert_eq!(only_south.totals, totals(3, 3, 8, 0));
    }

    #[test]
    fn no_offers_and_no_rows() {
        let empty = coverage(&[], &[NORTH], CoverageDimension::Topic, date("2021-06-01"));
        assert_eq!(empty.totals, totals(0, 0, OfferTopic::ALL.len(), 0));
        assert!(empty.overlaps().is_empty());
        assert_eq!(empty.gaps().len(), OfferTopic::ALL.len());
        let no_rows = coverage(
            &landscape(),
            &[],
            CoverageDimension::Topic,
            date("2021-06-01"),
        );
        assert!(no_rows.rows.is_empty());
        assert_eq!(no_rows.totals, CoverageTotals::default());
        assert_eq!(no_rows.column_totals.len(), OfferTopic::ALL.len());
    }

    #[test]
    fn gaps_and_overlaps_list_the_flagged_cells_in_matrix_order() {
        let m = matrix(CoverageDimension::TargetGroup, "2021-06-01");
        let overlaps: Vec<(i64, &str, Vec<i64>)> = m
            .overlaps()
            .into_iter()
            .map(|(id, c)| (id, c.column, c.organisation_ids.clone()))
            .collect();
        assert_eq!(overlaps, vec![(NORTH, "refugees", vec![CARITAS, DIAKONIE])]);
        let gaps: Vec<(i64, &str)> = m.gaps().into_iter().map(|(id, c)| (id, c.column)).collect();
        assert_eq!(gaps.len(), 22);
        assert_eq!(gaps[0], (NORTH, "new_arrivals"));
        assert_eq!(gaps[6], (SOUTH, "new_arrivals"));
        assert!(gaps.contains(&(SOUTH, "women")));
        assert!(gaps.contains(&(EAST, "refugees")));
        assert!(!gaps.contains(&(EAST, "job_seekers")));
        assert_eq!(gaps.last(), Some(&(EAST, "other")));
    }

    #[test]
    fn flags_follow_the_number_of_organisations() {
        assert_eq!(CoverageFlag::from_organisations(0), N);
        assert_eq!(CoverageFlag::from_organisations(1), S);
        assert_eq!(CoverageFlag::from_organisations(2), O);
        assert_eq!(CoverageFlag::from_organisations(7), O);
        for v in CoverageDimension::ALL {
            assert_eq!(CoverageDimension::parse(v.as_str()), Ok(*v));
        }
        for v in CoverageFlag::ALL {
            assert_eq!(CoverageFlag::parse(v.as_str()), Ok(*v));
        }
    }
}
