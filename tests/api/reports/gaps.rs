//! `GET /reports/gaps` against gaps taken through the process by the demo users
//! (`KIM_REPORT_MIN_CELL=3`), their steps moved into a past period: gaps per stage now, entered
//! and left in the period, median days per stage, outcomes and feedback ratings.

use kim_tests::{backend_tests_with, TestApp};
use serde_json::{json, Value};

use super::fixtures::{at, backdate_step, days_ago, sql, GapProcess};
use super::get_ok;

backend_tests_with!(&[("KIM_REPORT_MIN_CELL", "3")];
    gaps_report_counts_stages_visits_outcomes_and_ratings,
);

fn stage<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["stages"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["stage"] == name))
        .unwrap_or_else(|| panic!("no stage {name} in {report}"))
}

/// Six gaps, their steps placed in the period (the last 60 to 10 days; days ago in brackets):
///
/// - A: reported (50), a further report (46), escalated (45), forwarded (40), mandated (30),
///   solutions (25), decided (20), communicated (18), acknowledged (17), feedback (13), closed
///   (12).
/// - B: reported (48), escalated (44), forwarded (38), mandated (28), solutions (26), decided
///   (22), communicated (21), acknowledged (15), feedback (14): in application.
/// - C: reported (47), escalated (40), forwarded (39): with the steering group.
/// - D: reported (46), escalated (43), forwarded (36), rejected (33).
/// - E: reported (42), merged into C (41).
/// - F: reported 90 days ago, before the period: still reported.
///
/// The demo county's four gaps (seed/gaps.rs) moved today, after the period: one reported, one
/// with the steering group, one mandated, one closed as not systematic.
async fn gaps_report_counts_stages_visits_outcomes_and_ratings(app: TestApp) {
    let p = GapProcess::new(&app).await;
    let full = [
        "escalate",
        "forward",
        "mandate",
        "solutions",
        "decide",
        "communicate",
        "acknowledge",
    ];
    let a = p.report(&app, "A").await;
    let a = p.add_report(&app, &a).await;
    let a = p.steps(&app, a, &full).await;
    let mut a = a;
    for rating in ["effective", "effective", "not_effective"] {
        a = p.feedback(&app, &a, rating).await;
    }
    let a = p.step(&app, &a, "close").await;
    assert_eq!(a["stage"], "closed");
    let b = p.report(&app, "B").await;
    let mut b = p.steps(&app, b, &full).await;
    for rating in [
        "effective",
        "effective",
        "partly_effective",
        "not_effective",
        "not_effective",
    ] {
        b = p.feedback(&app, &b, rating).await;
    }
    assert_eq!(b["stage"], "in_application");
    let c = p.report(&app, "C").await;
    let c = p.steps(&app, c, &["escalate", "forward"]).await;
    let d = p.report(&app, "D").await;
    let d = p.steps(&app, d, &["escalate", "forward", "reject"]).await;
    assert_eq!(d["stage"], "rejected");
    let e = p.report(&app, "E").await;
    let e = p.merge(&app, &e, &c).await;
    assert_eq!(e["stage"], "merged");
    let f = p.report(&app, "F").await;

    let schedule: [(&Value, &[(&str, i64)]); 6] = [
        (
            &a,
            &[
                ("report", 50),
                ("report+", 46),
                ("escalate", 45),
                ("forward", 40),
                ("mandate", 30),
                ("propose", 25),
                ("decide", 20),
                ("communicate", 18),
                ("acknowledge", 17),
                ("feedback", 13),
                ("close", 12),
            ],
        ),
        (
            &b,
            &[
                ("report", 48),
                ("escalate", 44),
                ("forward", 38),
                ("mandate", 28),
                ("propose", 26),
                ("decide", 22),
                ("communicate", 21),
                ("acknowledge", 15),
                ("feedback", 14),
            ],
        ),
        (&c, &[("report", 47), ("escalate", 40), ("forward", 39)]),
        (
            &d,
            &[
                ("report", 46),
                ("escalate", 43),
                ("forward", 36),
                ("reject", 33),
            ],
        ),
        (&e, &[("report", 42), ("merge", 41)]),
        (&f, &[("report", 90)]),
    ];
    for (gap, steps) in schedule {
        for (step, days) in steps {
            backdate_step(&app, gap, step, *days);
        }
    }
    // All feedback (only these gaps have any) in the period.
    sql(
        &app,
        &format!("UPDATE gap_feedback SET created_at = {}", at(14)),
    );

    let analyst = app.token("analyst").await;
    let period = format!("from={}&to={}", days_ago(60), days_ago(10));
    let report = get_ok(&app, &analyst, &format!("/api/v1/reports/gaps?{period}")).await;
    assert_eq!(report["min_cell"], 3);
    // (stage, now, entered, left, median days of the visits that ended in the period)
    //
    // reported: now the demo's and F; entered by A–E (A's further report is no new entry);
    // visits A 50→45 = 5, B 4, C 7, D 3, E 1: median of 1 3 4 5 7 = 4.
    // escalated: visits A 5, B 6, C 1, D 7: median (5 + 6) / 2 = 5.5.
    // with_steering_group: now the demo's and C; visits A 10, B 10, D 3: median 10.
    // mandated … communicated: A and B only, two visits each: withheld.
    // in_application: entered by A and B (acknowledgements and feedback keep the stage);
    // A's one visit 17→12 (not 13→12, its feedback): withheld.
    let expected = [
        ("reported", 2, 5, 5, json!(4.0)),
        ("escalated", 0, 4, 4, json!(5.5)),
        ("with_steering_group", 2, 4, 3, json!(10.0)),
        ("mandated", 1, 2, 2, Value::Null),
        ("rejected", 1, 1, 0, Value::Null),
        ("solutions_proposed", 0, 2, 2, Value::Null),
        ("solutions_decided", 0, 2, 2, Value::Null),
        ("communicated", 0, 2, 2, Value::Null),
        ("in_application", 1, 2, 1, Value::Null),
        ("closed", 1, 1, 0, Value::Null),
        ("not_systematic", 1, 0, 0, Value::Null),
        ("merged", 1, 1, 0, Value::Null),
    ];
    assert_eq!(
        report["stages"].as_array().map(Vec::len),
        Some(expected.len())
    );
    for (name, now, entered, left, median) in expected {
        assert_eq!(
            stage(&report, name),
            &json!({"stage": name, "now": now, "entered": entered, "left": left, "median_days": median}),
        );
    }
    assert_eq!(
        report["outcomes"],
        json!({"solved": 1, "rejected": 1, "not_systematic": 1, "merged": 1})
    );
    // Ratings: effective 4, partly effective 1 (small), not effective 3 (the next smallest,
    // withheld with it: the total of 8 would give the 1 away).
    assert_eq!(
        report["ratings"],
        json!([
            {"rating": "effective", "count": 4},
            {"rating": "not_effective", "count": null},
            {"rating": "partly_effective", "count": null},
        ])
    );
    // Two ratings and five medians over one or two visits.
    assert_eq!(report["suppressed_cells"], 7);

    // Today's steps (the demo county's) are outside this period; a period of today holds them:
    // its four gaps entered `reported`, three left it after 0 days (median 0 over 3 visits).
    let today = get_ok(
        &app,
        &analyst,
        &format!(
            "/api/v1/reports/gaps?from={}&to={}",
            days_ago(1),
            days_ago(-1)
        ),
    )
    .await;
    assert_eq!(
        stage(&today, "reported"),
        &json!({"stage": "reported", "now": 2, "entered": 4, "left": 3, "median_days": 0.0})
    );
    assert_eq!(today["ratings"], json!([]));
}
