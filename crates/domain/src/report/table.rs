//! Report tables: grouped counts from the database become rows with their dimension values,
//! protected by [`super::disclosure`].

use std::collections::BTreeMap;

use super::disclosure::{protect, shown, Cell};

/// One grouped count as the database answers it: the values of up to two dimensions (`None`
/// for "not recorded") and the count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub keys: Vec<Option<String>>,
    pub count: u64,
}

/// A row of a report: its dimension values and one shown count per measure (`None`: withheld).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub keys: Vec<Option<String>>,
    pub values: Vec<Option<u64>>,
}

/// A protected report table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub rows: Vec<Row>,
    /// The true total of each measure, or `None` when it is itself too small to show.
    pub totals: Vec<Option<u64>>,
    /// How many counts (cells and totals) were withheld.
    pub suppressed_cells: usize,
}

type Key = Vec<Option<String>>;

/// Numbers the distinct values of dimension `d` among all counts.
fn axis(all: &[&Count], d: usize) -> BTreeMap<Option<String>, usize> {
    let mut values: BTreeMap<Option<String>, usize> = BTreeMap::new();
    for c in all {
        values.entry(c.keys.get(d).cloned().flatten()).or_insert(0);
    }
    for (i, v) in values.values_mut().enumerate() {
        *v = i;
    }
    values
}

/// Builds a table from independent measures (e.g. new, open and closed cases), each with its
/// grouped counts and its true total. Each measure is protected on its own, as a table over the
/// (one or two) dimensions with their marginals. Rows are sorted by their dimension values.
pub fn measures(measures: &[(Vec<Count>, u64)], min_cell: u64) -> Table {
    let all: Vec<&Count> = measures.iter().flat_map(|(c, _)| c.iter()).collect();
    let row_axis = axis(&all, 0);
    let col_axis = axis(&all, 1);
    let mut rows: BTreeMap<Key, Vec<Option<u64>>> = BTreeMap::new();
    for c in &all {
        rows.entry(c.keys.clone())
            .or_insert_with(|| vec![Some(0); measures.len()]);
    }
    let mut totals = Vec::with_capacity(measures.len());
    let mut suppressed_cells = 0;
    for (m, (counts, total)) in measures.iter().enumerate() {
        // In key order, not the database's: secondary suppression breaks ties between equal
        // counts by position, and the same figures must be withheld on every call.
        let mut counts: Vec<&Count> = counts.iter().collect();
        counts.sort_by(|a, b| a.keys.cmp(&b.keys));
        let cells: Vec<Cell> = counts
            .iter()
            .map(|c| Cell {
                row: row_axis[&c.keys.first().cloned().flatten()],
                col: col_axis[&c.keys.get(1).cloned().flatten()],
                count: c.count,
            })
            .collect();
        let protection = protect(&cells, min_cell);
        for (c, withheld) in counts.iter().zip(&protection.cells) {
            if let Some(values) = rows.get_mut(&c.keys) {
                values[m] = shown(c.count, *withheld);
            }
        }
        // The grand total is the true count (distinct cases), which for multi-valued
        // dimensions is less than the sum of the cells; it is withheld when small or when the
        // protection of the cells needs it.
        let total_withheld = protection.total || super::disclosure::is_small(*total, min_cell);
        totals.push(shown(*total, total_withheld));
        suppressed_cells +=
            protection.cells.iter().filter(|w| **w).count() + usize::from(total_withheld);
    }
    Table {
        rows: rows
            .into_iter()
            .map(|(keys, values)| Row { keys, values })
            .collect(),
        totals,
        suppressed_cells,
    }
}

/// Builds a table whose measures partition a whole: each row's `parts` (e.g. a referral's
/// outcome: accepted, declined, …) add up to the row's total, which is shown as the first value.
/// The parts are protected as a grid (rows × parts) whose row marginals are the row totals.
/// Values per row: `[total, part 0, part 1, …]`; totals likewise.
pub fn partition(rows: &[(Key, Vec<u64>)], min_cell: u64) -> Table {
    let mut cells = Vec::new();
    for (r, (_, parts)) in rows.iter().enumerate() {
        for (p, count) in parts.iter().enumerate() {
            cells.push(Cell {
                row: r,
                col: p,
                count: *count,
            });
        }
    }
    let protection = protect(&cells, min_cell);
    let width = rows.first().map_or(0, |(_, p)| p.len());
    let mut out = Vec::with_capacity(rows.len());
    let mut i = 0;
    let mut part_totals = vec![0u64; width];
    let mut grand = 0;
    for (r, (keys, parts)) in rows.iter().enumerate() {
        let row_total: u64 = parts.iter().sum();
        grand += row_total;
        let mut values = vec![shown(
            row_total,
            protection.rows.get(r).copied().unwrap_or(false),
        )];
        for (p, count) in parts.iter().enumerate() {
            values.push(shown(*count, protection.cells[i]));
            part_totals[p] += count;
            i += 1;
        }
        out.push(Row {
            keys: keys.clone(),
            values,
        });
    }
    let mut totals = vec![shown(grand, protection.total)];
    for (p, count) in part_totals.iter().enumerate() {
        totals.push(shown(
            *count,
            protection.cols.get(p).copied().unwrap_or(false),
        ));
    }
    let suppressed_cells = out
        .iter()
        .flat_map(|r| r.values.iter())
        .chain(totals.iter())
        .filter(|v| v.is_none())
        .count();
    Table {
        rows: out,
        totals,
        suppressed_cells,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(keys: &[&str], count: u64) -> Count {
        Count {
            keys: keys.iter().map(|k| Some((*k).to_owned())).collect(),
            count,
        }
    }

    #[test]
    fn measures_are_merged_by_key_and_protected_separately() {
        let new = vec![count(&["a"], 10), count(&["b"], 3), count(&["c"], 7)];
        let closed = vec![count(&["a"], 6), count(&["c"], 9)];
        let t = measures(&[(new, 20), (closed, 15)], 5);
        let keys: Vec<_> = t
            .rows
            .iter()
            .map(|r| r.keys[0].clone().unwrap_or_default())
            .collect();
        assert_eq!(keys, vec!["a", "b", "c"]);
        // new: 3 is primary, 7 secondary; closed: nothing small, b is a true zero.
        assert_eq!(t.rows[0].values, vec![Some(10), Some(6)]);
        assert_eq!(t.rows[1].values, vec![None, Some(0)]);
        assert_eq!(t.rows[2].values, vec![None, Some(9)]);
        assert_eq!(t.totals, vec![Some(20), Some(15)]);
        assert_eq!(t.suppressed_cells, 2);
    }

    #[test]
    fn the_order_of_the_counts_does_not_change_what_is_withheld() {
        // 2 is primary; the two 6s tie for the secondary suppression: the first by key goes.
        let counts = vec![count(&["c"], 6), count(&["a"], 2), count(&["b"], 6)];
        let mut reversed = counts.clone();
        reversed.reverse();
        let t = measures(&[(counts, 14)], 5);
        assert_eq!(measures(&[(reversed, 14)], 5), t);
        let values: Vec<_> = t.rows.iter().map(|r| r.values[0]).collect();
        assert_eq!(values, vec![None, None, Some(6)]);
    }

    #[test]
    fn a_small_true_total_is_withheld() {
        let t = measures(&[(vec![count(&["a"], 3)], 3)], 5);
        assert_eq!(t.totals, vec![None]);
        assert_eq!(t.rows[0].values, vec![None]);
        assert_eq!(t.suppressed_cells, 2);
    }

    #[test]
    fn an_empty_period_gives_no_rows_and_zero_totals() {
        let t = measures(&[(vec![], 0), (vec![], 0)], 5);
        assert!(t.rows.is_empty());
        assert_eq!(t.totals, vec![Some(0), Some(0)]);
        assert_eq!(t.suppressed_cells, 0);
    }

    #[test]
    fn partitions_show_row_totals_and_protect_parts() {
        let rows = vec![
            (vec![Some("jobcenter".to_owned())], vec![12, 2, 6]),
            (vec![Some("school".to_owned())], vec![8, 9, 10]),
        ];
        let t = partition(&rows, 5);
        // The 2 is primary; its row takes 6 along; column 1 (2, 9) and column 2 (6, 10) then
        // each hold one hidden cell, so 9 and 10 go too.
        assert_eq!(t.rows[0].values, vec![Some(20), Some(12), None, None]);
        assert_eq!(t.rows[1].values, vec![Some(27), Some(8), None, None]);
        assert_eq!(t.totals, vec![Some(47), Some(20), Some(11), Some(16)]);
        assert_eq!(t.suppressed_cells, 4);
    }
}
