//! `GET /reports/programme?year=`: the yearly programme report (`KIM_REPORT_MIN_CELL=3`).
//! Staffing and funding (planned, filled, due) per module come from the demo county's positions
//! and the concept's rates, as of the year; the casework blocks from a hand-made data set of
//! this year; meetings from meetings recorded for a past year.

use chrono::Datelike;
use kim_tests::{backend_tests_with, StatusCode, TestApp};
use serde_json::{json, Value};

use super::fixtures::{consent_to, recipient, referral, today, GapProcess};
use super::{close, get_ok, open_case};

backend_tests_with!(&[("KIM_REPORT_MIN_CELL", "3")];
    programme_report_of_a_past_year_shows_staffing_funding_due_and_meetings,
    programme_report_of_this_year_counts_the_casework,
);

const EUR: i64 = 100;

fn module<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["funding"]["modules"]
        .as_array()
        .and_then(|m| m.iter().find(|m| m["module"] == name))
        .unwrap_or_else(|| panic!("no {name} in {report}"))
}

/// 2022 in the demo county (seed/positions.rs): every position staffed since 2021, except
/// that case management in Sankt Augustin fell vacant on 2022-04-01 and is recruiting since
/// 2022-05-01. Funding 2022 at the concept's rates (55,000 EUR per FTE in modules 1 and 2,
/// 25,000 EUR per half FTE in module 3): Sankt Augustin earns January to March only, 13,750
/// EUR instead of 55,000.
async fn programme_report_of_a_past_year_shows_staffing_funding_due_and_meetings(app: TestApp) {
    let ki_lead = app.token("ki_lead").await;
    let steering = app
        .id_of("bodies", kim_api::seed::gaps::STEERING_GROUP, &ki_lead)
        .await;
    let kita = app
        .id_of("bodies", kim_api::seed::gaps::KITA_GROUP, &ki_lead)
        .await;
    for (body, held_on) in [
        (steering, "2022-03-10"),
        (steering, "2022-09-15"),
        (kita, "2022-05-05"),
        (kita, "2023-01-12"),
    ] {
        let response = app
            .post(
                &format!("/api/v1/bodies/{body}/meetings"),
                &ki_lead,
                &json!({"held_on": held_on, "title": format!("Sitzung {held_on}")}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let analyst = app.token("analyst").await;
    let report = get_ok(&app, &analyst, "/api/v1/reports/programme?year=2022").await;
    assert_eq!(report["year"], 2022);
    assert_eq!(report["reference_date"], "2022-12-31");
    // Module 1: two coordination positions (1.5 and 2.0 FTE), the assistance (0.5) and
    // Troisdorf's strategy position (1.0). Module 2: the CM coordination, two thematic and
    // eight local case-management positions of 1.0 FTE, one of them recruiting. Module 3:
    // immigration (1.0) and naturalisation office (0.5).
    assert_eq!(
        report["staffing"],
        json!([
            {"module": "module_1", "phase": "active", "positions": 4, "fte": 5.0},
            {"module": "module_2", "phase": "recruiting", "positions": 1, "fte": 1.0},
            {"module": "module_2", "phase": "active", "positions": 10, "fte": 10.0},
            {"module": "module_3", "phase": "active", "positions": 2, "fte": 1.5},
        ])
    );
    // (module, planned FTE, filled FTE, planned EUR, due EUR)
    let expected = [
        ("module_1", 5.0, 5.0, 275_000, 275_000),
        // 11 × 55,000 planned; 10 × 55,000 + 3/12 × 55,000 due.
        ("module_2", 11.0, 10.0, 605_000, 563_750),
        ("module_3", 1.5, 1.5, 75_000, 75_000),
    ];
    for (name, planned_fte, filled_fte, planned, due) in expected {
        let m = module(&report, name);
        assert_eq!(
            (
                &m["planned_fte"],
                &m["filled_fte"],
                &m["planned_cents"],
                &m["due_cents"],
                &m["difference_cents"]
            ),
            (
                &json!(planned_fte),
                &json!(filled_fte),
                &json!(planned * EUR),
                &json!(due * EUR),
                &json!((due - planned) * EUR)
            ),
            "{name}"
        );
    }
    let total = &report["funding"]["total"];
    assert_eq!(total["planned_cents"], 955_000 * EUR);
    assert_eq!(total["due_cents"], 913_750 * EUR);
    assert_eq!(total["vacant_fte"], 1.0);
    // Meetings held in 2022 per kind of body (the demo's are in 2026 and 2027, one of the Kita
    // group's above in 2023).
    assert_eq!(
        report["meetings"],
        json!([
            {"body_kind": "project_group_thematic", "meetings": 1},
            {"body_kind": "steering_group", "meetings": 2},
        ])
    );
    // No casework in 2022, and the demo's needs survey opened in 2021.
    assert_eq!(report["cases"], json!({"new": 0, "open": 0, "closed": 0}));
    assert_eq!(report["people"], json!({"people": 0}));
    assert_eq!(report["referrals"], json!([]));
    assert_eq!(report["goals"], json!({"set": 0, "achieved": 0}));
    assert_eq!(report["gaps"], json!({"solved": 0, "communicated": 0}));
    assert_eq!(report["survey_campaigns"], 0);
    assert_eq!(report["suppressed_cells"], 0);

    // 2021: every position staffed all year, so the funding due is the concept's plan of
    // 955,000 EUR; the needs survey campaign opened on 2021-03-01.
    let year_2021 = get_ok(&app, &analyst, "/api/v1/reports/programme?year=2021").await;
    assert_eq!(year_2021["funding"]["total"]["due_cents"], 955_000 * EUR);
    assert_eq!(year_2021["funding"]["total"]["difference_cents"], 0);
    assert_eq!(year_2021["survey_campaigns"], 1);
    // Issue 17's blocks. Qualification today (seed/qualification.rs): 45 mandatory places of
    // staffed positions (basic CM course 7+1+1, residence law 7+1+1, intercultural 2+7+1+1,
    // data protection 7+1+1+1+1, well-integrated 1+1, strategy 2+1), 13 completed (4+2+3+2+1+1),
    // 32 due; all at least 3, so shown. Activities 2021: one of each kind. Module 3 (seed/
    // office_outcomes.rs): events 5+3, attendance 125+93, counselling 175+235, naturalisations
    // initiated 0+124 and completed 0+93, residence secured 22+0, no Chancen procedures.
    assert_eq!(
        year_2021["qualification"],
        json!({"places": 45, "completed": 13, "due": 32})
    );
    assert_eq!(
        year_2021["activities"],
        json!([
            {"kind": "press_release", "activities": 1}, {"kind": "event", "activities": 1},
            {"kind": "web_article", "activities": 1}, {"kind": "committee_report", "activities": 1},
            {"kind": "mayors_conference", "activities": 1}, {"kind": "heads_of_office_meeting", "activities": 1}
        ])
    );
    assert_eq!(
        year_2021["module_3"],
        json!({"information_events": 8, "event_attendance": 218, "counselling_sessions": 410,
               "naturalisations_initiated": 124, "naturalisations_completed": 93,
               "residence_secured": 22, "opportunity_residence_procedures": 0})
    );
    let csv_2021 = app
        .get("/api/v1/reports/programme?year=2021&format=csv", &analyst)
        .await
        .text()
        .await
        .expect("csv");
    assert!(
        csv_2021.contains("# qualification\r\nplaces,completed,due\r\n45,13,32\r\n"),
        "{csv_2021}"
    );
    assert!(csv_2021.contains("# activities\r\nkind,activities\r\npress_release,1\r\n"));
    assert!(csv_2021.contains(
        "# module_3\r\ninformation_events,event_attendance,counselling_sessions,naturalisations_initiated,\
         naturalisations_completed,residence_secured,opportunity_residence_procedures\r\n8,218,410,124,93,22,0\r\n"
    ));
    assert_eq!(year_2021["staffing"][1]["phase"], "active");
    assert_eq!(year_2021["staffing"][1]["positions"], 11);

    // CSV: one section per block; the funding section has a line per module and the total.
    let csv = app
        .get("/api/v1/reports/programme?year=2022&format=csv", &analyst)
        .await
        .text()
        .await
        .expect("text");
    assert!(
        csv.contains(
            "# staffing\r\nmodule,phase,positions,fte\r\nmodule_1,active,4,5.00\r\nmodule_2,recruiting,1,1.00\r\n"
        ),
        "{csv}"
    );
    assert!(
        csv.contains(
            "# funding\r\nmodule,planned_fte,filled_fte,vacant_fte,planned_cents,due_cents\r\n\
             module_1,5.00,5.00,0.00,27500000,27500000\r\n\
             module_2,11.00,10.00,1.00,60500000,56375000\r\n\
             module_3,1.50,1.50,0.00,7500000,7500000\r\n\
             total,17.50,16.50,1.00,95500000,91375000\r\n"
        ),
        "{csv}"
    );
    assert!(
        csv.contains("# survey_campaigns\r\ncampaigns\r\n0\r\n"),
        "{csv}"
    );
}

/// This year, all by the demo case manager today: five cases in Siegburg, one closed again;
/// four goals (two achieved); referrals: three to the Jobcenter, accepted, and one to the
/// Agentur für Arbeit, open; one gap taken through the whole process.
async fn programme_report_of_this_year_counts_the_casework(app: TestApp) {
    let cm = app.token("case_manager").await;
    let siegburg = app.id_of("municipalities", "Siegburg", &cm).await;
    let today = today().to_string();
    let mut cases = Vec::new();
    for _ in 0..5 {
        cases.push(open_case(&app, &cm, siegburg, &today, "male", 1985).await);
    }
    close(&app, &cm, &cases[4], &today).await;
    for status in ["achieved", "achieved", "open", "open"] {
        let response = app
            .post(
                &format!("/api/v1/cases/{}/goals", cases[0]["id"]),
                &cm,
                &json!({"text": "Sprachkurs", "topic": "language", "status": status}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let jobcenter = recipient(&app, "Jobcenter Rhein-Sieg").await;
    let agentur = recipient(&app, "Agentur für Arbeit Bonn/Rhein-Sieg").await;
    consent_to(&app, &cm, &cases[0], &[&jobcenter, &agentur]).await;
    for _ in 0..3 {
        referral(&app, &cm, &cases[0], &jobcenter, &["accepted"]).await;
    }
    referral(&app, &cm, &cases[0], &agentur, &[]).await;
    let p = GapProcess::new(&app).await;
    let gap = p.report(&app, "Kita").await;
    let gap = p
        .steps(
            &app,
            gap,
            &[
                "escalate",
                "forward",
                "mandate",
                "solutions",
                "decide",
                "communicate",
                "acknowledge",
            ],
        )
        .await;
    let gap = p.feedback(&app, &gap, "effective").await;
    p.step(&app, &gap, "close").await;

    let analyst = app.token("analyst").await;
    let year = chrono::Utc::now().date_naive().year();
    let report = get_ok(
        &app,
        &analyst,
        &format!("/api/v1/reports/programme?year={year}"),
    )
    .await;
    // Cases: 5 new, 4 open at the year's end, 1 closed: a small count.
    assert_eq!(
        report["cases"],
        json!({"new": 5, "open": 4, "closed": null})
    );
    assert_eq!(report["people"], json!({"people": 5}));
    // Referrals by kind: the Agentur's single open referral is small, and so is its row's
    // total (1). The kinds' totals against the grand total (1 + 3 = 4) would give that 1
    // away, so the Jobcenter's total of 3 goes too, and with it its 3 accepted, which would
    // otherwise add up to it.
    assert_eq!(
        report["referrals"],
        json!([
            {"organisation_kind": "employment_agency", "sent": null, "accepted": 0, "declined": 0,
             "completed": 0, "withdrawn": 0, "open": null},
            {"organisation_kind": "jobcenter", "sent": null, "accepted": null, "declined": 0,
             "completed": 0, "withdrawn": 0, "open": 0},
        ])
    );
    // Goals: 4 set, 2 achieved (small).
    assert_eq!(report["goals"], json!({"set": 4, "achieved": null}));
    assert_eq!(report["gaps"], json!({"solved": 1, "communicated": 1}));
    // What the report shows withheld: closed, four referral figures, achieved.
    assert_eq!(report["suppressed_cells"], 6);
    assert_eq!(report["reference_date"], today);

    // The same year through the referrals report: no figure there gives the Agentur's 1 away.
    let kinds = get_ok(
        &app,
        &analyst,
        &format!("/api/v1/reports/referrals?group_by=organisation_kind&from={year}-01-01&to={year}-12-31"),
    )
    .await;
    assert_eq!(
        kinds["totals"],
        json!({"sent": 4, "accepted": null, "declined": 0, "completed": 0, "withdrawn": 0, "open": null})
    );
    assert_eq!(kinds["rows"][1]["accepted"], Value::Null);
}
