//! Reports of counts grouped by up to two dimensions (cases, people): JSON rows, CSV, charts.

use std::collections::{BTreeMap, HashMap};

use kim_domain::report::query::Period;
use kim_domain::report::table::Table;
use kim_store::reports::Place;
use serde_json::{json, Map, Value};

use super::answer::{count_json, text};
use super::render::{Chart, Section, Sheet};

/// Dimension values of a row as JSON fields; a municipality carries its id and name.
fn dimension_fields(
    names: &[&'static str],
    keys: &[Option<String>],
    places: &HashMap<i64, Place>,
    out: &mut Map<String, Value>,
) {
    for (name, key) in names.iter().zip(keys) {
        if *name == "municipality" {
            let id = key.as_deref().and_then(|k| k.parse::<i64>().ok());
            out.insert(
                "municipality_id".into(),
                id.map_or(Value::Null, Value::from),
            );
            let label = id.and_then(|id| places.get(&id)).map(|p| p.name.clone());
            out.insert(
                "municipality".into(),
                label.map_or(Value::Null, Value::from),
            );
        } else if *name == "eligible" {
            out.insert(
                (*name).into(),
                key.as_deref()
                    .map_or(Value::Null, |k| Value::from(k == "true")),
            );
        } else {
            out.insert((*name).into(), key.clone().map_or(Value::Null, Value::from));
        }
    }
}

fn dimension_columns(names: &[&'static str]) -> Vec<String> {
    names
        .iter()
        .flat_map(|n| {
            if *n == "municipality" {
                vec!["municipality_id".to_owned(), "municipality".to_owned()]
            } else {
                vec![(*n).to_owned()]
            }
        })
        .collect()
}

fn dimension_cells(
    names: &[&'static str],
    keys: &[Option<String>],
    places: &HashMap<i64, Place>,
) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for (name, key) in names.iter().zip(keys) {
        if *name == "municipality" {
            let id = key.as_deref().and_then(|k| k.parse::<i64>().ok());
            out.push(key.clone());
            out.push(id.and_then(|id| places.get(&id)).map(|p| p.name.clone()));
        } else {
            out.push(key.clone());
        }
    }
    out
}

fn label(name: &str, key: &Option<String>, places: &HashMap<i64, Place>) -> String {
    match (name, key) {
        ("municipality", Some(k)) => k
            .parse::<i64>()
            .ok()
            .and_then(|id| places.get(&id))
            .map_or_else(|| k.clone(), |p| p.name.clone()),
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
    pub(super) places: HashMap<i64, Place>,
}

impl Grouped<'_> {
    pub(super) fn json(&self) -> Value {
        let rows: Vec<Value> = self
            .table
            .rows
            .iter()
            .map(|row| {
                let mut m = Map::new();
                dimension_fields(&self.dims, &row.keys, &self.places, &mut m);
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
        let mut columns = dimension_columns(&self.dims);
        columns.extend(self.measures.iter().map(|m| (*m).to_owned()));
        let mut rows: Vec<Vec<Option<String>>> = self
            .table
            .rows
            .iter()
            .map(|row| {
                let mut cells = dimension_cells(&self.dims, &row.keys, &self.places);
                cells.extend(row.values.iter().map(|v| text(*v)));
                cells
            })
            .collect();
        let mut total = vec![Some("total".to_owned())];
        total.resize(dimension_columns(&self.dims).len().max(1), None);
        total.extend(self.table.totals.iter().map(|v| text(*v)));
        rows.push(total);
        Sheet {
            sections: vec![Section {
                title: None,
                columns,
                rows,
            }],
        }
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
                &self.places,
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
                let s = label(self.dims[1], &row.keys[1], &self.places);
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
