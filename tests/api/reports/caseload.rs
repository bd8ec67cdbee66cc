//! `GET /reports/caseload` against hand-made open cases (`KIM_REPORT_MIN_CELL=3`) and the demo
//! county's case-management positions: open cases against FTE per municipality and per side
//! of the Rhine, the FTE of the day asked for, and per-person figures for the CM coordination
//! only.

use kim_tests::{backend_tests_with, StatusCode, TestApp};
use serde_json::{json, Value};

use super::fixtures::{today, user_id};
use super::{close, get_ok, open_case};

backend_tests_with!(&[("KIM_REPORT_MIN_CELL", "3")];
    caseload_sets_open_cases_against_the_fte_of_the_day,
);

fn municipality<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["municipality"] == name))
        .unwrap_or_else(|| panic!("no {name} in {report}"))
}

fn side<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["sides"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["rhine_side"] == name))
        .unwrap_or_else(|| panic!("no side {name} in {report}"))
}

/// Cases opened today: the demo case manager 7 in Siegburg (and an eighth, closed today), 2 in
/// Alfter, 4 in Bornheim; a second case manager 3 in Much.
///
/// Case-management FTE of the demo positions staffed today (seed/positions.rs): left of the
/// Rhine Bornheim 0.6, Alfter 0.4, Meckenheim, Rheinbach, Swisttal, Wachtberg 0.5 each = 3.0;
/// right of it Siegburg 1.0, Troisdorf 1.0, Königswinter and Bad Honnef 0.5 each, Hennef 0.5,
/// Eitorf and Windeck 0.25 each (that position is onboarding again since 2026-10-01) = 4.0;
/// Sankt Augustin's position is still recruiting, the CM coordination carries no cases.
async fn caseload_sets_open_cases_against_the_fte_of_the_day(app: TestApp) {
    let cm = app.token("case_manager").await;
    app.add_user("cm_much", kim_domain::Role::CaseManager);
    let other = app.token_of("cm_much").await;
    let id = |name: &'static str| {
        let app = &app;
        let cm = cm.clone();
        async move { app.id_of("municipalities", name, &cm).await }
    };
    let today = today().to_string();
    for (token, place, n) in [
        (&cm, "Siegburg", 8),
        (&cm, "Alfter", 2),
        (&cm, "Bornheim", 4),
        (&other, "Much", 3),
    ] {
        let place = id(place).await;
        for i in 0..n {
            let case = open_case(&app, token, place, &today, "female", 1990).await;
            if i == 7 {
                close(&app, token, &case, &today).await;
            }
        }
    }

    let analyst = app.token("analyst").await;
    let period = format!("from={today}&to={today}");
    let report = get_ok(
        &app,
        &analyst,
        &format!("/api/v1/reports/caseload?{period}"),
    )
    .await;
    // Every municipality is a row, with 0 where no case is open.
    assert_eq!(report["rows"].as_array().map(Vec::len), Some(19));
    // Left: Alfter 2 is small; its side's other open cases are Bornheim's 4 alone, which go
    // too (the side's sum 6 is shown). Right: Much 3 and Siegburg 7 are shown.
    let expect = [
        ("Alfter", "left", Value::Null, 0.4, Value::Null),
        ("Bornheim", "left", Value::Null, 0.6, Value::Null),
        ("Meckenheim", "left", json!(0), 0.5, json!(0.0)),
        ("Siegburg", "right", json!(7), 1.0, json!(7.0)),
        // No case-management FTE: no ratio.
        ("Much", "right", json!(3), 0.0, Value::Null),
        ("Troisdorf", "right", json!(0), 1.0, json!(0.0)),
        ("Eitorf", "right", json!(0), 0.25, json!(0.0)),
        ("Sankt Augustin", "right", json!(0), 0.0, Value::Null),
    ];
    for (name, rhine_side, open, fte, per_fte) in expect {
        let row = municipality(&report, name);
        assert_eq!(
            (
                &row["rhine_side"],
                &row["open_cases"],
                &row["cm_fte"],
                &row["cases_per_fte"]
            ),
            (&json!(rhine_side), &open, &json!(fte), &per_fte),
            "{name}"
        );
    }
    // Sides: 6 open against 3.0 FTE = 2.0 per FTE; 10 against 4.0 = 2.5.
    assert_eq!(
        side(&report, "left"),
        &json!({"rhine_side": "left", "open_cases": 6, "cm_fte": 3.0, "cases_per_fte": 2.0})
    );
    assert_eq!(
        side(&report, "right"),
        &json!({"rhine_side": "right", "open_cases": 10, "cm_fte": 4.0, "cases_per_fte": 2.5})
    );
    assert_eq!(report["totals"], json!({"open_cases": 16}));
    assert_eq!(report["suppressed_cells"], 2);
    // Never per person for an analyst.
    assert!(report.get("case_managers").is_none(), "{report}");

    // The FTE of the day asked for: on 2025-12-31 the Hennef/Eitorf/Windeck position was
    // vacant (since 2025-12-01), so the right side had 3.0 FTE; no case was open yet.
    let past = get_ok(
        &app,
        &analyst,
        "/api/v1/reports/caseload?from=2025-01-01&to=2025-12-31",
    )
    .await;
    assert_eq!(
        side(&past, "right"),
        &json!({"rhine_side": "right", "open_cases": 0, "cm_fte": 3.0, "cases_per_fte": 0.0})
    );
    assert_eq!(municipality(&past, "Eitorf")["cm_fte"], 0.0);
    assert_eq!(municipality(&past, "Siegburg")["cm_fte"], 1.0);
    assert_eq!(past["totals"], json!({"open_cases": 0}));

    // The CM coordination sees the open cases per case manager as well, unsuppressed.
    let coordination = app.token("cm_coordinator").await;
    let supervised = get_ok(
        &app,
        &coordination,
        &format!("/api/v1/reports/caseload?{period}"),
    )
    .await;
    let mut people = vec![
        json!({"user_id": user_id(&app, &cm).await, "open_cases": 13}),
        json!({"user_id": user_id(&app, &other).await, "open_cases": 3}),
    ];
    people.sort_by_key(|p| p["user_id"].as_i64());
    assert_eq!(supervised["case_managers"], json!(people));
    assert_eq!(supervised["rows"], report["rows"]);
    let csv = app
        .get(
            &format!("/api/v1/reports/caseload?format=csv&{period}"),
            &coordination,
        )
        .await
        .text()
        .await
        .expect("text");
    assert!(
        csv.contains("# case managers\r\nuser_id,open_cases\r\n"),
        "{csv}"
    );
    assert!(csv.contains(",Siegburg,right,7,1.00,7\r\n"), "{csv}");
    assert!(csv.contains(",Alfter,left,,0.40,\r\n"), "{csv}");
    assert!(csv.contains("right,10,4.00,2.5\r\n"), "{csv}");

    // Nobody else gets figures per person: steering roles, partners, case managers.
    let admin = app.token("admin").await;
    let jobcenter = app
        .id_of("organisations", "Jobcenter Rhein-Sieg", &admin)
        .await;
    let partner = app
        .issue_partner_token(&json!({"name": "Berichte", "organisation_id": jobcenter,
            "scopes": ["reports:read"], "expires_in_days": 30}))
        .await;
    let mut callers = vec![
        app.token("ki_lead").await,
        app.token("coordinator").await,
        app.token("steering_member").await,
        partner["secret"].as_str().expect("secret").to_owned(),
        cm.clone(),
    ];
    callers.push(other.clone());
    for token in &callers {
        for format in ["json", "csv"] {
            let response = app
                .get(
                    &format!("/api/v1/reports/caseload?format={format}&{period}"),
                    token,
                )
                .await;
            assert_eq!(response.status(), StatusCode::OK);
            let body = response.text().await.expect("text");
            assert!(
                !body.contains("case_managers") && !body.contains("case managers"),
                "{body}"
            );
        }
    }
    // The second case manager's own caseload: Much's 3, nothing else.
    let own = get_ok(&app, &other, &format!("/api/v1/reports/caseload?{period}")).await;
    assert_eq!(municipality(&own, "Much")["open_cases"], 3);
    assert_eq!(municipality(&own, "Siegburg")["open_cases"], 0);
    assert_eq!(own["totals"], json!({"open_cases": 3}));
}
