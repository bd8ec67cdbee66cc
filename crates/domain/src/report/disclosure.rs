//! Statistical disclosure control (Geheimhaltung), the way official German statistics treat
//! tables of counts:
//!
//! - **Primary suppression**: a count from 1 to `min_cell - 1` is never shown. Zero is shown.
//! - **Secondary suppression**: a table is read as rows and columns with their marginal totals
//!   (a caller can ask for the one-dimensional report to learn them). Each line (a row, a
//!   column, or the marginals against the grand total) is an equation: its cells add up to its
//!   total. Where exactly one value of a line is withheld (a cell, or the total itself), it
//!   could be recomputed from the others, so the next smallest shown non-zero value of the line
//!   is withheld too. This repeats until no line gives a value away; one secondary suppression
//!   may expose another line, so it cascades.
//! - Totals are the true counts, never sums of what is shown; a total that is itself a small
//!   count is suppressed like a cell.
//! - Rates and medians over fewer than `min_cell` cases are suppressed.

/// The default of `KIM_REPORT_MIN_CELL`.
pub const DEFAULT_MIN_CELL: u64 = 5;

/// One count of a table at row `row` and column `col` (use column 0 for a one-dimensional list).
/// Combinations that are not listed count as zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    pub row: usize,
    pub col: usize,
    pub count: u64,
}

/// Which cells of a table must not be shown, in the order they were given, and whether the grand
/// total must not be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    pub cells: Vec<bool>,
    /// The marginal total of each row (by row number), as withheld.
    pub rows: Vec<bool>,
    /// The marginal total of each column (by column number), as withheld.
    pub cols: Vec<bool>,
    pub total: bool,
}

impl Suppression {
    /// How many of the given cells (and the total) are withheld.
    pub fn withheld(&self) -> usize {
        self.cells.iter().filter(|s| **s).count() + usize::from(self.total)
    }
}

/// Whether a single count must be withheld: 1 to `min_cell - 1`.
pub fn is_small(count: u64, min_cell: u64) -> bool {
    count > 0 && count < min_cell
}

/// Protects a table of counts; see the module documentation for the rules.
pub fn protect(cells: &[Cell], min_cell: u64) -> Suppression {
    let rows = cells.iter().map(|c| c.row + 1).max().unwrap_or(0);
    let cols = cells.iter().map(|c| c.col + 1).max().unwrap_or(0);
    // Every value the algorithm reasons about: the cells, then one marginal per row, one per
    // column, then the grand total. Marginals are sums of the cells, as a caller could learn them.
    let row_marginal = |r: usize| cells.len() + r;
    let col_marginal = |c: usize| cells.len() + rows + c;
    let grand = cells.len() + rows + cols;
    let mut values = vec![0u64; grand + 1];
    for (i, cell) in cells.iter().enumerate() {
        values[i] = cell.count;
        values[row_marginal(cell.row)] += cell.count;
        values[col_marginal(cell.col)] += cell.count;
        values[grand] += cell.count;
    }

    // Lines: (members, total). A withheld value is recomputable when it is the only withheld
    // one of its line, total included: a withheld marginal whose cells are all shown is no
    // more hidden than a withheld cell beside a shown total.
    let mut lines: Vec<(Vec<usize>, usize)> = Vec::new();
    for r in 0..rows {
        let members = (0..cells.len()).filter(|&i| cells[i].row == r).collect();
        lines.push((members, row_marginal(r)));
    }
    for c in 0..cols {
        let members = (0..cells.len()).filter(|&i| cells[i].col == c).collect();
        lines.push((members, col_marginal(c)));
    }
    lines.push(((0..rows).map(row_marginal).collect(), grand));
    lines.push(((0..cols).map(col_marginal).collect(), grand));

    let mut suppressed: Vec<bool> = values.iter().map(|v| is_small(*v, min_cell)).collect();
    loop {
        let mut changed = false;
        for (members, total) in &lines {
            let line = || members.iter().chain(std::iter::once(total)).copied();
            if line().filter(|&m| suppressed[m]).count() != 1 {
                continue;
            }
            // The total is the largest value of its line, so it is taken only when no shown
            // non-zero cell is left to hide the withheld one behind.
            let next = line()
                .filter(|&m| !suppressed[m] && values[m] > 0)
                .min_by_key(|&m| (values[m], m));
            if let Some(m) = next {
                suppressed[m] = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    Suppression {
        cells: suppressed[..cells.len()].to_vec(),
        rows: (0..rows).map(|r| suppressed[row_marginal(r)]).collect(),
        cols: (0..cols).map(|c| suppressed[col_marginal(c)]).collect(),
        total: suppressed[grand],
    }
}

/// A count as shown: `None` when withheld.
pub fn shown(count: u64, withheld: bool) -> Option<u64> {
    (!withheld).then_some(count)
}

/// `numerator / denominator`, rounded to three places; `None` when the denominator is under
/// `min_cell` (a rate over a handful of cases identifies them) or zero.
pub fn rate(numerator: u64, denominator: u64, min_cell: u64) -> Option<f64> {
    if denominator == 0 || denominator < min_cell {
        return None;
    }
    Some((numerator as f64 / denominator as f64 * 1000.0).round() / 1000.0)
}

/// Whether a rate or median over `denominator` cases counts as a withheld cell (an empty group
/// has no rate, but nothing is withheld).
pub fn withholds_statistic(denominator: u64, min_cell: u64) -> bool {
    is_small(denominator, min_cell)
}

/// The median of `values` (the mean of the two middle values for an even count), `None` when
/// there are fewer than `min_cell` values.
pub fn median(values: &mut [i64], min_cell: u64) -> Option<f64> {
    if values.is_empty() || (values.len() as u64) < min_cell {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) as f64 / 2.0
    } else {
        values[mid] as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(counts: &[u64]) -> Vec<Cell> {
        counts
            .iter()
            .enumerate()
            .map(|(row, &count)| Cell { row, col: 0, count })
            .collect()
    }

    fn grid(rows: &[&[u64]]) -> Vec<Cell> {
        let mut cells = Vec::new();
        for (row, counts) in rows.iter().enumerate() {
            for (col, &count) in counts.iter().enumerate() {
                cells.push(Cell { row, col, count });
            }
        }
        cells
    }

    /// The suppressed cells as a grid of 'x' (withheld) and '.' (shown), for readable asserts.
    fn pattern(cells: &[Cell], s: &Suppression) -> Vec<String> {
        let rows = cells.iter().map(|c| c.row + 1).max().unwrap_or(0);
        (0..rows)
            .map(|r| {
                cells
                    .iter()
                    .zip(&s.cells)
                    .filter(|(c, _)| c.row == r)
                    .map(|(_, &x)| if x { 'x' } else { '.' })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn nothing_small_nothing_suppressed() {
        let s = protect(&list(&[10, 20, 5]), 5);
        assert_eq!(s.cells, vec![false, false, false]);
        assert!(!s.total);
        assert_eq!(s.withheld(), 0);
    }

    #[test]
    fn zero_is_shown_and_never_a_secondary_cell() {
        // 3 is primary; 0 cannot hide it, so 12 (the next smallest non-zero) goes.
        let s = protect(&list(&[0, 3, 12, 40]), 5);
        assert_eq!(s.cells, vec![false, true, true, false]);
        assert!(!s.total);
    }

    #[test]
    fn one_small_cell_in_a_list_takes_the_next_smallest_with_it() {
        let s = protect(&list(&[4, 30, 9, 17]), 5);
        assert_eq!(s.cells, vec![true, false, true, false]);
        assert_eq!(s.withheld(), 2);
    }

    #[test]
    fn two_small_cells_protect_each_other() {
        let s = protect(&list(&[4, 2, 30]), 5);
        assert_eq!(s.cells, vec![true, true, false]);
    }

    #[test]
    fn the_boundary_is_min_cell() {
        assert!(is_small(1, 5) && is_small(4, 5));
        assert!(!is_small(0, 5) && !is_small(5, 5));
        let s = protect(&list(&[5, 6]), 5);
        assert_eq!(s.cells, vec![false, false]);
        // min_cell 1 disables suppression.
        let s = protect(&list(&[1, 2]), 1);
        assert_eq!(s.cells, vec![false, false]);
    }

    #[test]
    fn a_small_total_is_withheld_with_its_only_cell() {
        let s = protect(&list(&[3, 0]), 5);
        assert_eq!(s.cells, vec![true, false]);
        assert!(s.total);
    }

    #[test]
    fn an_empty_table_withholds_nothing() {
        let s = protect(&[], 5);
        assert!(s.cells.is_empty());
        assert!(!s.total);
    }

    #[test]
    fn a_single_small_cell_in_a_grid_needs_a_rectangle() {
        // 2 is primary. Its row needs a partner (8), its column needs one (9); the
        // partners then need partners in the crossing line (20), which closes the rectangle.
        let cells = grid(&[&[2, 8, 30], &[9, 20, 40], &[50, 60, 70]]);
        let s = protect(&cells, 5);
        assert_eq!(pattern(&cells, &s), vec!["xx.", "xx.", "..."]);
        assert_eq!(s.withheld(), 4);
    }

    #[test]
    fn secondary_suppression_cascades_through_the_table() {
        // Primary: the 3 at (0,0). Row 0 hides 7 at (0,2); column 0 hides 6 at (2,0).
        // Column 2 now has 7 hidden alone → its smallest shown cell, 8 at (1,2), goes;
        // row 2 has 6 hidden alone → 11 at (2,1) goes; row 1 has 8 alone → 10 at (1,1); column 1
        // then holds 10 and 11 hidden: protected. Each secondary cell forced the next.
        let cells = grid(&[&[3, 40, 7], &[25, 10, 8], &[6, 11, 50]]);
        let s = protect(&cells, 5);
        assert_eq!(pattern(&cells, &s), vec!["x.x", ".xx", "xx."]);
        assert_eq!(s.withheld(), 6);
        // No line is left with exactly one hidden cell.
        for r in 0..3 {
            let hidden = cells
                .iter()
                .zip(&s.cells)
                .filter(|(c, x)| c.row == r && **x)
                .count();
            assert_ne!(hidden, 1, "row {r}");
        }
        for c in 0..3 {
            let hidden = cells
                .iter()
                .zip(&s.cells)
                .filter(|(k, x)| k.col == c && **x)
                .count();
            assert_ne!(hidden, 1, "column {c}");
        }
    }

    #[test]
    fn a_small_marginal_is_protected_among_the_marginals() {
        // Row 1 sums to 4 (its cells 1 and 3 are primary; the row marginal is small too), so the
        // marginals line (4, 60, 45) against the grand total needs a second hidden marginal;
        // the next smallest row then loses a cell.
        let cells = grid(&[&[20, 40], &[1, 3], &[25, 20]]);
        let s = protect(&cells, 5);
        assert!(s.cells[2] && s.cells[3]);
        assert!(!s.total);
        assert!(s.withheld() >= 4, "{:?}", pattern(&cells, &s));
    }

    #[test]
    fn a_withheld_marginal_takes_one_of_its_cells_along() {
        // Referrals by organisation kind and outcome (min_cell 3): one kind with 1 open referral,
        // one with 3 accepted. The 1, its row (1) and its column (1) are primary. The row
        // marginals against the grand total (1, 3 | 4) then hold the 1 alone, so the 3 of the
        // second row goes; but that row's cells (3, 0, 0, 0, 0) would still add up to it, so its
        // 3 accepted goes as well, and with it the column total of accepted.
        let cells = grid(&[&[0, 0, 0, 0, 1], &[3, 0, 0, 0, 0]]);
        let s = protect(&cells, 3);
        assert_eq!(pattern(&cells, &s), vec!["....x", "x...."]);
        assert_eq!(s.rows, vec![true, true]);
        assert_eq!(s.cols, vec![true, false, false, false, true]);
        assert!(!s.total);
    }

    #[test]
    fn missing_combinations_count_as_zero() {
        // A sparse grid: only three cells exist.
        let cells = vec![
            Cell {
                row: 0,
                col: 0,
                count: 2,
            },
            Cell {
                row: 0,
                col: 1,
                count: 9,
            },
            Cell {
                row: 1,
                col: 1,
                count: 30,
            },
        ];
        let s = protect(&cells, 5);
        // Row 0: 2 hides 9. Column 0 holds only the 2 → its marginal (2) is small: withheld.
        // Column 1: 9 hidden alone → 30 goes too; row 1 then has 30 alone with marginal 30 → the
        // marginal (not shown in the answer) would give it away, so it counts as withheld.
        assert_eq!(s.cells, vec![true, true, true]);
    }

    #[test]
    fn rates_need_min_cell_cases() {
        assert_eq!(rate(3, 4, 5), None);
        assert_eq!(rate(0, 0, 5), None);
        assert_eq!(rate(2, 5, 5), Some(0.4));
        assert_eq!(rate(1, 3, 1), Some(0.333));
        assert!(withholds_statistic(4, 5));
        assert!(!withholds_statistic(0, 5));
        assert!(!withholds_statistic(5, 5));
    }

    #[test]
    fn medians_need_min_cell_values() {
        assert_eq!(median(&mut [4, 1, 3, 2], 5), None);
        assert_eq!(median(&mut [], 1), None);
        assert_eq!(median(&mut [9, 1, 5, 3, 7], 5), Some(5.0));
        assert_eq!(median(&mut [9, 1, 5, 3, 7, 11], 5), Some(6.0));
    }

    #[test]
    fn shown_hides_withheld_counts() {
        assert_eq!(shown(7, false), Some(7));
        assert_eq!(shown(7, true), None);
    }
}
