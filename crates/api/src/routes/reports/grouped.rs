//! Reports of counts grouped by up to two dimensions (cases, people): JSON rows, CSV, charts.

use std::collections::{BTreeMap, HashMap};

use kim_domain::report::query::Period;
use kim_domain::report::table::Table;
use kim_store::error::StoreResult;
use kim_store::reports as store;
use kim_store::DbConn;
use serde_json::{json, Map, Value};

use super::answer::{count_json, text};
use crate::render::{Chart, Sheet};

/// The names of the dimensions whose keys are ids: rows grouped by `municipality` carry
/// `municipality_id` and `municipality` (its name), likewise `social_area`.
#[derive(Debug, Default)]
pub(super) struct Names {
    pub(super) municipality: HashMap<i64, String>,
    pub(super) social_area: HashMap<i64, String>,
}

impl Names {
    /// Both lists of names, for a report that may group by either.
    pub(super) fn load(conn: &mut DbConn) -> StoreResult<Names> {
        Ok(Names {
            municipality: store::places(conn)?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect(),
            social_area: store::social_area_names(conn)?,
        })
    }

    /// The id-to-name map of a dimension keyed by ids, `None` for other dimensions.
    fn of(&self, dimension: &str) -> Option<&HashMap<i64, String>> {
        match dimension {
            "municipality" => Some(&self.municipality),
            "social_area" => Some(&self.social_area),
            _ => None,
        }
    }
}

/// The id in a key and the name it has.
fn id_and_name(
    names: &HashMap<i64, String>,
    key: &Option<String>,
) -> (Option<i64>, Option<String>) {
    let id = key.as_deref().and_then(|k| k.parse::<i64>().ok());
    (id, id.and_then(|id| names.get(&id)).cloned())
}

/// Dimension values of a row as JSON fields; a dimension keyed by ids carries id and name.
fn dimension_fields(
    dims: &[&'static str],
    keys: &[Option<String>],
    names: &Names,
    out: &mut Map<String, Value>,
) {
    for (dim, key) in dims.iter().zip(keys) {
        if let Some(named) = names.of(dim) {
            let (id, name) = id_and_name(named, key);
            out.insert(format!("{dim}_id"), id.map_or(Value::Null, Value::from));
            out.insert((*dim).into(), name.map_or(Value::Null, Value::from));
        } else if *dim == "eligible" {
            out.insert(
                (*dim).into(),
                key.as_deref()
                    .map_or(Value::Null, |k| Value::from(k == "true")),
            );
        } else {
            out.insert((*dim).into(), key.clone().map_or(Value::Null, Value::from));
        }
    }
}

fn dimension_columns(dims: &[&'static str], names: &Names) -> Vec<String> {
    dims.iter()
        .flat_map(|d| {
            if names.of(d).is_some() {
                vec![format!("{d}_id"), (*d).to_owned()]
            } else {
                vec![(*d).to_owned()]
            }
        })
        .collect()
}

fn dimension_cells(
    dims: &[&'static str],
    keys: &[Option<String>],
    names: &Names,
) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for (dim, key) in dims.iter().zip(keys) {
        out.push(key.clone());
        if let Some(named) = names.of(dim) {
            out.push(id_and_name(named, key).1);
        }
    }
    out
}

fn label(dim: &str, key: &Option<String>, names: &Names) -> String {
    match (names.of(dim), key) {
        (Some(named), Some(k)) => id_and_name(named, key).1.unwrap_or_else(|| k.clone()),
        (Some(_), None) if dim == "social_area" => "outside social areas".into(),
        (_, Some(k)) => k.clone(),
        (_, None) => "not recorded".into(),
    }
}

/// A grouped table as JSON, CSV or SVG.
pub(super) struct Grouped<'a> {
    pub(super) title: String,
    pub(super) period: Period,
    pub(super) min_cell: u64,
    pub(super) dims: Vec<&'static str>,
    pub(super) time: bool,
    pub(super) measures: &'a [&'static str],
    pub(super) table: Table,
    pub(super) names: Names,
}

impl Grouped<'_> {
    pub(super) fn json(&self) -> Value {
        let rows: Vec<Value> = self
            .table
            .rows
            .iter()
            .map(|row| {
                let mut m = Map::new();
                dimension_fields(&self.dims, &row.keys, &self.names, &mut m);
                for (name, v) in self.measures.iter().zip(&row.values) {
                    m.insert((*name).into(), count_json(*v));
                }
                Value::Object(m)
            })
            .collect();
        let totals: Map<String, Value> = self
            .measures
            .iter()
            .zip(&self.table.totals)
            .map(|(n, v)| ((*n).to_owned(), count_json(*v)))
            .collect();
        json!({
            "from": self.period.from, "to": self.period.to, "group_by": self.dims,
            "min_cell": self.min_cell, "rows": rows, "totals": totals,
            "suppressed_cells": self.table.suppressed_cells,
        })
    }

    pub(super) fn sheet(&self) -> Sheet {
        let mut columns = dimension_columns(&self.dims, &self.names);
        columns.extend(self.measures.iter().map(|m| (*m).to_owned()));
        let mut rows: Vec<Vec<Option<String>>> = self
            .table
            .rows
            .iter()
            .map(|row| {
                let mut cells = dimension_cells(&self.dims, &row.keys, &self.names);
                cells.extend(row.values.iter().map(|v| text(*v)));
                cells
            })
            .collect();
        let mut total = vec![Some("total".to_owned())];
        total.resize(
            dimension_columns(&self.dims, &self.names).len().max(1),
            None,
        );
        total.extend(self.table.totals.iter().map(|v| text(*v)));
        rows.push(total);
        Sheet::single(columns, rows)
    }

    /// One dimension: bars per measure (or lines over time). Two: the first measure stacked
    /// by the second dimension.
    pub(super) fn chart(&self) -> Chart {
        let title = format!(
            "{} {} to {} (counts under {} withheld: {} cells)",
            self.title,
            self.period.from,
            self.period.to,
            self.min_cell,
            self.table.suppressed_cells
        );
        let first = |k: &[Option<String>]| {
            label(
                self.dims.first().copied().unwrap_or(""),
                k.first().unwrap_or(&None),
                &self.names,
            )
        };
        let mut categories: Vec<String> = Vec::new();
        for row in &self.table.rows {
            let c = if self.dims.is_empty() {
                "all".to_owned()
            } else {
                first(&row.keys)
            };
            if !categories.contains(&c) {
                categories.push(c);
            }
        }
        let series = if self.dims.len() == 2 {
            let mut by: BTreeMap<String, Vec<Option<u64>>> = BTreeMap::new();
            for row in &self.table.rows {
                let s = label(self.dims[1], &row.keys[1], &self.names);
                let i = categories
                    .iter()
                    .position(|c| *c == first(&row.keys))
                    .unwrap_or(0);
                by.entry(s)
                    .or_insert_with(|| vec![Some(0); categories.len()])[i] = row.values[0];
            }
            by.into_iter().collect()
        } else {
            self.measures
                .iter()
                .enumerate()
                .map(|(m, name)| {
                    (
                        (*name).to_owned(),
                        self.table.rows.iter().map(|r| r.values[m]).collect(),
                    )
                })
                .collect()
        };
        Chart {
            title,
            y_label: self.measures.first().copied().unwrap_or("count").to_owned(),
            categories,
            series,
            line: self.time,
        }
    }
}
