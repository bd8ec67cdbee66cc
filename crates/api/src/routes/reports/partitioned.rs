//! Reports whose measures partition a whole per row (referrals by outcome, goals by status),
//! with a rate and maybe a median per row.

use std::collections::HashMap;

use kim_domain::report::query::Period;
use kim_domain::report::table::Table;
use serde_json::{json, Map, Value};

use super::answer::{count_json, text};
use crate::render::{Chart, Sheet};

/// A partition report (referrals by outcome, goals by status) with a rate and maybe a median.
pub(super) struct Partitioned {
    pub(super) title: String,
    pub(super) period: Period,
    pub(super) min_cell: u64,
    pub(super) key: &'static str,
    pub(super) total_name: &'static str,
    pub(super) parts: Vec<&'static str>,
    pub(super) table: Table,
    pub(super) rates: Vec<(Option<f64>, Option<f64>)>,
    pub(super) rate_name: &'static str,
    pub(super) median_name: Option<&'static str>,
    pub(super) labels: HashMap<String, String>,
}

impl Partitioned {
    pub(super) fn json(&self) -> Value {
        let rows: Vec<Value> = self
            .table
            .rows
            .iter()
            .zip(&self.rates)
            .map(|(row, (rate, median))| {
                let mut m = Map::new();
                let key = row.keys.first().cloned().flatten().unwrap_or_default();
                if self.key == "organisation" {
                    m.insert(
                        "organisation_id".into(),
                        key.parse::<i64>().map_or(Value::Null, Value::from),
                    );
                    m.insert(
                        "organisation".into(),
                        self.labels
                            .get(&key)
                            .cloned()
                            .map_or(Value::Null, Value::from),
                    );
                } else {
                    m.insert(self.key.into(), Value::from(key));
                }
                m.insert(self.total_name.into(), count_json(row.values[0]));
                for (name, v) in self.parts.iter().zip(&row.values[1..]) {
                    m.insert((*name).into(), count_json(*v));
                }
                m.insert(self.rate_name.into(), rate.map_or(Value::Null, Value::from));
                if let Some(name) = self.median_name {
                    m.insert(name.into(), median.map_or(Value::Null, Value::from));
                }
                Value::Object(m)
            })
            .collect();
        let mut totals = Map::new();
        totals.insert(self.total_name.into(), count_json(self.table.totals[0]));
        for (name, v) in self.parts.iter().zip(&self.table.totals[1..]) {
            totals.insert((*name).into(), count_json(*v));
        }
        json!({"from": self.period.from, "to": self.period.to, "group_by": [self.key], "min_cell": self.min_cell,
            "rows": rows, "totals": totals, "suppressed_cells": self.table.suppressed_cells})
    }

    pub(super) fn sheet(&self) -> Sheet {
        let mut columns = vec![self.key.to_owned()];
        if self.key == "organisation" {
            columns = vec!["organisation_id".into(), "organisation".into()];
        }
        columns.push(self.total_name.into());
        columns.extend(self.parts.iter().map(|p| (*p).to_owned()));
        columns.push(self.rate_name.into());
        if let Some(m) = self.median_name {
            columns.push(m.into());
        }
        let mut rows = Vec::new();
        for (row, (rate, median)) in self.table.rows.iter().zip(&self.rates) {
            let key = row.keys.first().cloned().flatten().unwrap_or_default();
            let mut cells = vec![Some(key.clone())];
            if self.key == "organisation" {
                cells.push(self.labels.get(&key).cloned());
            }
            cells.extend(row.values.iter().map(|v| text(*v)));
            cells.push(rate.map(|r| r.to_string()));
            if self.median_name.is_some() {
                cells.push(median.map(|m| m.to_string()));
            }
            rows.push(cells);
        }
        let mut total = vec![Some("total".to_owned())];
        if self.key == "organisation" {
            total.push(None);
        }
        total.extend(self.table.totals.iter().map(|v| text(*v)));
        rows.push(total);
        Sheet::single(columns, rows)
    }

    pub(super) fn chart(&self) -> Chart {
        let categories = self
            .table
            .rows
            .iter()
            .map(|r| {
                let k = r.keys.first().cloned().flatten().unwrap_or_default();
                self.labels.get(&k).cloned().unwrap_or(k)
            })
            .collect();
        let series = self
            .parts
            .iter()
            .enumerate()
            .map(|(p, name)| {
                (
                    (*name).to_owned(),
                    self.table.rows.iter().map(|r| r.values[p + 1]).collect(),
                )
            })
            .collect();
        Chart {
            title: format!(
                "{} {} to {} (counts under {} withheld: {} cells)",
                self.title,
                self.period.from,
                self.period.to,
                self.min_cell,
                self.table.suppressed_cells
            ),
            y_label: self.total_name.into(),
            categories,
            series,
            line: false,
        }
    }
}

/// Withholds a row's rate when a count it is computed from is withheld.
pub(super) fn withhold_rates(
    rates: Vec<(Option<f64>, Option<f64>)>,
    table: &Table,
    inputs: &[usize],
) -> Vec<(Option<f64>, Option<f64>)> {
    rates
        .into_iter()
        .zip(&table.rows)
        .map(|((rate, median), row)| {
            let hidden = inputs
                .iter()
                .any(|i| row.values.get(*i).is_some_and(|v| v.is_none()));
            (if hidden { None } else { rate }, median)
        })
        .collect()
}
