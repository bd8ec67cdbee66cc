//! Report answers for spreadsheets and slides: CSV through the `csv` crate and SVG charts
//! through `plotters`' SVG backend. Both take the same flat [`Sheet`].

use plotters::prelude::*;

/// A report as a flat table: column names, then rows of optional cells (`None`: withheld or
/// not applicable, written as an empty field).
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    /// Titled sections (the programme report has several); most reports have one, untitled.
    pub sections: Vec<Section>,
}

impl Sheet {
    /// The sheet of most reports: one untitled section.
    pub fn single(columns: Vec<String>, rows: Vec<Vec<Option<String>>>) -> Self {
        Sheet {
            sections: vec![Section {
                title: None,
                columns,
                rows,
            }],
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Section {
    pub title: Option<String>,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// A cell that a spreadsheet would run as a formula is prefixed with `'`.
fn defuse(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// RFC 4180 CSV with CRLF line ends; sections are separated by an empty line and start with a
/// `# title` line.
pub fn csv(sheet: &Sheet) -> Result<String, String> {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for (i, section) in sheet.sections.iter().enumerate() {
        if i > 0 {
            writer.write_record([""]).map_err(|e| e.to_string())?;
        }
        if let Some(title) = &section.title {
            writer
                .write_record([format!("# {title}")])
                .map_err(|e| e.to_string())?;
        }
        writer
            .write_record(section.columns.iter().map(|c| defuse(c)))
            .map_err(|e| e.to_string())?;
        for row in &section.rows {
            writer
                .write_record(row.iter().map(|c| defuse(c.as_deref().unwrap_or(""))))
                .map_err(|e| e.to_string())?;
        }
    }
    let bytes = writer.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// What a chart shows: categories along the x axis, one or more series (stacked), as bars or
/// as lines (months, quarters).
#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    pub y_label: String,
    pub categories: Vec<String>,
    /// (series name, one value per category; `None` withheld, drawn as nothing)
    pub series: Vec<(String, Vec<Option<u64>>)>,
    pub line: bool,
}

const COLOURS: &[RGBColor] = &[
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

pub fn svg(chart: &Chart) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (960, 540)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let n = chart.categories.len().max(1);
        let stacked_max = (0..n)
            .map(|i| {
                chart
                    .series
                    .iter()
                    .map(|(_, v)| v.get(i).copied().flatten().unwrap_or(0))
                    .fold(0u64, |acc, v| if chart.line { acc.max(v) } else { acc + v })
            })
            .max()
            .unwrap_or(0)
            .max(1);
        let labels = chart.categories.clone();
        let mut builder = ChartBuilder::on(&root);
        builder
            .caption(&chart.title, ("sans-serif", 18))
            .margin(16)
            .x_label_area_size(60)
            .y_label_area_size(60);
        let mut ctx = builder
            .build_cartesian_2d(0f64..n as f64, 0f64..(stacked_max as f64 * 1.1))
            .map_err(|e| e.to_string())?;
        ctx.configure_mesh()
            .disable_x_mesh()
            .x_labels(n.min(24))
            .x_label_formatter(&|x| {
                let i = x.floor() as usize;
                labels.get(i).cloned().unwrap_or_default()
            })
            .y_desc(chart.y_label.as_str())
            .draw()
            .map_err(|e| e.to_string())?;
        let mut base = vec![0u64; n];
        for (s, (name, values)) in chart.series.iter().enumerate() {
            let colour = COLOURS[s % COLOURS.len()];
            if chart.line {
                let points: Vec<(f64, f64)> = values
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| v.map(|v| (i as f64 + 0.5, v as f64)))
                    .collect();
                ctx.draw_series(LineSeries::new(points, colour.stroke_width(2)))
                    .map_err(|e| e.to_string())?
                    .label(name.as_str())
                    .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], colour));
            } else {
                let bars: Vec<Rectangle<(f64, f64)>> = values
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| {
                        let v = (*v)?;
                        let bottom = base[i];
                        base[i] += v;
                        Some(Rectangle::new(
                            [
                                (i as f64 + 0.1, bottom as f64),
                                (i as f64 + 0.9, (bottom + v) as f64),
                            ],
                            colour.filled(),
                        ))
                    })
                    .collect();
                ctx.draw_series(bars)
                    .map_err(|e| e.to_string())?
                    .label(name.as_str())
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled())
                    });
            }
        }
        if chart.series.len() > 1 || chart.line {
            ctx.configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let sheet = Sheet {
            sections: vec![Section {
                title: None,
                columns: vec!["municipality".into(), "new".into()],
                rows: vec![
                    vec![Some("Hennef (Sieg), Stadt".into()), Some("12".into())],
                    vec![Some("=HYPERLINK(\"x\")".into()), None],
                    vec![Some("-1".into()), Some("0".into())],
                ],
            }],
        };
        let text = csv(&sheet).unwrap_or_default();
        assert_eq!(
            text,
            "municipality,new\r\n\"Hennef (Sieg), Stadt\",12\r\n\"'=HYPERLINK(\"\"x\"\")\",\r\n'-1,0\r\n"
        );
    }

    #[test]
    fn svg_draws_bars_and_lines() {
        let mut chart = Chart {
            title: "Cases 2026 (cells under 5 withheld)".into(),
            y_label: "cases".into(),
            categories: vec!["Alfter".into(), "Bornheim".into()],
            series: vec![("new".into(), vec![Some(10), None])],
            line: false,
        };
        let out = svg(&chart).unwrap_or_default();
        assert!(out.starts_with("<svg"), "{out}");
        assert!(out.contains("Cases 2026"));
        assert!(out.contains("<rect"));
        chart.line = true;
        let out = svg(&chart).unwrap_or_default();
        assert!(out.contains("<polyline") || out.contains("<path"), "{out}");
    }
}
