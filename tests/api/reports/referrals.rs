//! `GET /reports/referrals` against hand-made referrals (`KIM_REPORT_MIN_CELL=3`): counts per
//! recipient organisation and per organisation kind, acceptance rates, median days from
//! sending to the answer, the period's bounds, and rates and medians withheld under min_cell.

use kim_tests::{backend_tests_with, TestApp};
use serde_json::{json, Value};

use super::fixtures::{backdate_referral, consent_to, days_ago, draft, recipient, referral, today};
use super::{get_ok, open_case};

backend_tests_with!(&[("KIM_REPORT_MIN_CELL", "3")];
    referrals_per_organisation_and_kind_with_rates_and_medians,
);

fn row<'a>(report: &'a Value, key: &str, value: &Value) -> &'a Value {
    report["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| &r[key] == value))
        .unwrap_or_else(|| panic!("no row {key}={value} in {report}"))
}

/// The data set, all from one case of the demo case manager (min_cell 3):
///
/// | recipient (kind)              | sent | accepted | declined | completed | withdrawn | open |
/// |-------------------------------|------|----------|----------|-----------|-----------|------|
/// | Jobcenter (jobcenter)         | 10   | 4        | 3        | 3         | 0         | 0    |
/// | Agentur für Arbeit (employment_agency) | 3 | 0 | 0       | 0         | 3         | 0    |
/// | Caritas (welfare_organisation)| 3    | 0        | 2        | 0         | 0         | 1    |
/// | Diakonie (welfare_organisation)| 3   | 0        | 1        | 0         | 0         | 2    |
///
/// Days from sending to the answer: Jobcenter accepted 1, 3, 5, 8; declined 2, 2, 14;
/// accepted and then completed 4, 6, 30. Caritas declined 5, 9; Diakonie declined 12.
/// Not counted: a Jobcenter referral sent 90 days ago (before the period) and a draft.
async fn referrals_per_organisation_and_kind_with_rates_and_medians(app: TestApp) {
    let cm = app.token("case_manager").await;
    let siegburg = app.id_of("municipalities", "Siegburg", &cm).await;
    let case = open_case(&app, &cm, siegburg, &today().to_string(), "female", 1990).await;
    let jobcenter = recipient(&app, "Jobcenter Rhein-Sieg").await;
    let agentur = recipient(&app, "Agentur für Arbeit Bonn/Rhein-Sieg").await;
    let caritas = recipient(&app, "Caritasverband Rhein-Sieg").await;
    let diakonie = recipient(&app, "Diakonisches Werk an Sieg und Rhein").await;
    consent_to(
        &app,
        &cm,
        &case,
        &[&jobcenter, &agentur, &caritas, &diakonie],
    )
    .await;

    // Answered referrals: (recipient, path, days from sending to the answer). Each was sent
    // that many days before yesterday and answered yesterday.
    let answered: [(&_, &[&str], i64); 13] = [
        (&jobcenter, &["accepted"], 1),
        (&jobcenter, &["accepted"], 3),
        (&jobcenter, &["accepted"], 5),
        (&jobcenter, &["accepted"], 8),
        (&jobcenter, &["declined"], 2),
        (&jobcenter, &["declined"], 2),
        (&jobcenter, &["declined"], 14),
        (&jobcenter, &["accepted", "completed"], 4),
        (&jobcenter, &["accepted", "completed"], 6),
        (&jobcenter, &["accepted", "completed"], 30),
        (&caritas, &["declined"], 5),
        (&caritas, &["declined"], 9),
        (&diakonie, &["declined"], 12),
    ];
    for (to, path, days) in answered {
        let id = referral(&app, &cm, &case, to, path).await;
        backdate_referral(&app, id, 1 + days, 1);
    }
    for _ in 0..3 {
        referral(&app, &cm, &case, &agentur, &["withdrawn"]).await;
    }
    referral(&app, &cm, &case, &caritas, &[]).await;
    for _ in 0..2 {
        referral(&app, &cm, &case, &diakonie, &[]).await;
    }
    let before = referral(&app, &cm, &case, &jobcenter, &["accepted"]).await;
    backdate_referral(&app, before, 90, 88);
    draft(&app, &cm, &case, &jobcenter).await;

    let analyst = app.token("analyst").await;
    // The period: the last 60 days up to tomorrow (robust against a test run at midnight).
    let period = format!("from={}&to={}", days_ago(60), days_ago(-1));
    let report = get_ok(
        &app,
        &analyst,
        &format!("/api/v1/reports/referrals?{period}"),
    )
    .await;
    assert_eq!(report["group_by"], json!(["organisation"]));
    assert_eq!(report["min_cell"], 3);
    assert_eq!(report["rows"].as_array().map(Vec::len), Some(4));
    // Jobcenter: nothing small. Acceptance rate = (accepted 4 + completed 3) / answered 10 = 0.7;
    // the ten answer days sorted: 1 2 2 3 4 | 5 6 8 14 30, median (4 + 5) / 2 = 4.5.
    assert_eq!(
        row(&report, "organisation_id", &json!(jobcenter.id)),
        &json!({"organisation_id": jobcenter.id, "organisation": "Jobcenter Rhein-Sieg",
            "sent": 10, "accepted": 4, "declined": 3, "completed": 3, "withdrawn": 0, "open": 0,
            "acceptance_rate": 0.7, "median_days_to_answer": 4.5})
    );
    // Agentur: three withdrawn, none answered: no rate, no median, nothing withheld.
    assert_eq!(
        row(&report, "organisation_id", &json!(agentur.id)),
        &json!({"organisation_id": agentur.id, "organisation": "Agentur für Arbeit Bonn/Rhein-Sieg",
            "sent": 3, "accepted": 0, "declined": 0, "completed": 0, "withdrawn": 3, "open": 0,
            "acceptance_rate": null, "median_days_to_answer": null})
    );
    // Caritas (2 declined, 1 open) and Diakonie (1 declined, 2 open): all four counts are
    // small; each row and the declined and open columns hold two of them, so no secondary
    // suppression is needed (declined: 3 + ? + ? = 6, open: 0 + 0 + ? + ? = 3 stay open). Their
    // rates and medians rest on 2 and 1 answers: withheld.
    for (r, name) in [
        (&caritas, "Caritasverband Rhein-Sieg"),
        (&diakonie, "Diakonisches Werk an Sieg und Rhein"),
    ] {
        assert_eq!(
            row(&report, "organisation_id", &json!(r.id)),
            &json!({"organisation_id": r.id, "organisation": name,
                "sent": 3, "accepted": 0, "declined": null, "completed": 0, "withdrawn": 0,
                "open": null, "acceptance_rate": null, "median_days_to_answer": null}),
        );
    }
    assert_eq!(
        report["totals"],
        json!({"sent": 19, "accepted": 4, "declined": 6, "completed": 3, "withdrawn": 3, "open": 3})
    );
    // 4 small counts, and 2 rates and 2 medians over fewer than 3 answers.
    assert_eq!(report["suppressed_cells"], 8);

    // By kind the two welfare organisations add up: declined 3, open 3, nothing small. Their
    // rate is 0 / 3 answered = 0; their answer days 5, 9, 12 have the median 9.
    let kinds = get_ok(
        &app,
        &analyst,
        &format!("/api/v1/reports/referrals?group_by=organisation_kind&{period}"),
    )
    .await;
    assert_eq!(
        kinds["rows"],
        json!([
            {"organisation_kind": "employment_agency", "sent": 3, "accepted": 0, "declined": 0,
             "completed": 0, "withdrawn": 3, "open": 0, "acceptance_rate": null, "median_days_to_answer": null},
            {"organisation_kind": "jobcenter", "sent": 10, "accepted": 4, "declined": 3,
             "completed": 3, "withdrawn": 0, "open": 0, "acceptance_rate": 0.7, "median_days_to_answer": 4.5},
            {"organisation_kind": "welfare_organisation", "sent": 6, "accepted": 0, "declined": 3,
             "completed": 0, "withdrawn": 0, "open": 3, "acceptance_rate": 0.0, "median_days_to_answer": 9.0},
        ])
    );
    assert_eq!(kinds["totals"], report["totals"]);
    assert_eq!(kinds["suppressed_cells"], 0);

    // The same as CSV: withheld cells are empty, the total line last.
    let csv = app
        .get(
            &format!("/api/v1/reports/referrals?format=csv&{period}"),
            &analyst,
        )
        .await
        .text()
        .await
        .expect("text");
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "organisation_id,organisation,sent,accepted,declined,completed,withdrawn,open,acceptance_rate,median_days_to_answer"
    );
    assert!(
        lines.contains(
            &format!("{},Jobcenter Rhein-Sieg,10,4,3,3,0,0,0.7,4.5", jobcenter.id).as_str()
        ),
        "{csv}"
    );
    assert!(
        lines.contains(&format!("{},Caritasverband Rhein-Sieg,3,0,,0,0,,,", caritas.id).as_str()),
        "{csv}"
    );
    assert!(lines.contains(&"total,,19,4,6,3,3,3"), "{csv}");

    // A period that ends before today holds only the referral sent 90 days ago (accepted two
    // days later): one referral is a small count, and so is its total.
    let old = get_ok(
        &app,
        &analyst,
        &format!(
            "/api/v1/reports/referrals?group_by=organisation_kind&from={}&to={}",
            days_ago(120),
            days_ago(61)
        ),
    )
    .await;
    assert_eq!(
        old["rows"],
        json!([{"organisation_kind": "jobcenter", "sent": null, "accepted": null, "declined": 0,
            "completed": 0, "withdrawn": 0, "open": 0, "acceptance_rate": null, "median_days_to_answer": null}])
    );
    // sent, accepted, their two totals, and the rate and median over one answer.
    assert_eq!(old["suppressed_cells"], 6);
}
