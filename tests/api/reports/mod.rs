//! Controlling reports through HTTP, against a small hand-made county built through the API
//! (17 cases in three municipalities, goals in two topics) whose figures are computed by hand
//! in the comments: counts, primary and secondary suppression, zeros, totals, the case
//! manager's own scope, captured attributes surviving an erasure, formats, bad parameters,
//! who may read, and that no personal field reaches any caller.

use kim_tests::{assert_problem, backend_tests_with, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

mod caseload;
mod fixtures;
mod gaps;
mod programme;
mod referrals;

// The hand-made county opens cases back in 2024 and 2025 through the API: these servers allow
// backdating that far, and an intake rule wide enough that the cases stay regular whenever the
// tests run (the rule is judged on the day a case is really opened).
backend_tests_with!(
    &[
        ("KIM_CASE_BACKDATE_MAX_DAYS", "36500"),
        ("KIM_INTAKE_MAX_YEARS_SINCE_ARRIVAL", "50"),
    ];
    cases_report_suppresses_small_counts_and_their_neighbours,
    cases_and_people_group_by_social_area,
    people_report_counts_captured_attributes_that_survive_erasure,
    goals_report_cascades_secondary_suppression_and_withholds_rates,
    case_managers_read_only_their_own_cases,
    every_report_answers_an_empty_period_with_zeros,
    csv_and_svg_answers,
    no_personal_field_reaches_any_report,
    bad_parameters_are_422_naming_the_parameter,
    who_may_read_reports,
);

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.expect("json")
}

async fn get_ok(app: &TestApp, token: &str, path: &str) -> Value {
    let response = app.get(path, token).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    json_of(response).await
}

/// A distinctive birth year and name that must never appear in a report.
const SECRET_YEAR: i64 = 1957;
const SECRET_NAME: &str = "Zyxwanda";

/// Opens a one-person case; returns the case.
async fn open_case(
    app: &TestApp,
    token: &str,
    municipality: i64,
    opened_on: &str,
    gender: &str,
    birth_year: i64,
) -> Value {
    let body = json!({
        "clients": [{"given_name": SECRET_NAME, "family_name": "Testperson", "birth_year": birth_year,
            "gender": gender, "country_of_origin": "SY", "residence_status": "recognised_refugee",
            "municipality_id": municipality}],
        "municipality_id": municipality, "target_group": "new_arrivals",
        "legal_domains": ["sgb_ii"], "topics": ["language"], "intake_channel": "self_referral",
        "arrived_on": "2024-06-01", "other_case_management": ["none"], "opened_on": opened_on
    });
    let response = app.post("/api/v1/cases", token, &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    json_of(response).await
}

async fn close(app: &TestApp, token: &str, case: &Value, on: &str) {
    let response = app
        .request(
            Method::POST,
            &format!("/api/v1/cases/{}/transitions", case["id"]),
            Some(token),
        )
        .header("If-Match", format!("\"{}\"", case["version"]))
        .json(&json!({"to": "closed", "close_reason": "goals_achieved", "effective_on": on}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK, "close");
}

struct County {
    siegburg: i64,
    alfter: i64,
    much: i64,
    /// The first case of Siegburg (goals hang on it).
    first: Value,
}

/// The hand-made county, all cases of the demo case manager:
///
/// | municipality | opened 2025 | closed 2025 | open on 2025-12-31 |
/// |--------------|-------------|-------------|--------------------|
/// | Siegburg     | 7 (4 f, 3 m)| 2           | 5                  |
/// | Alfter       | 3 (3 f)     | 0           | 3                  |
/// | Much         | 6 (2 f, 4 m)| 0           | 7 (+1 opened 2024, m) |
async fn county(app: &TestApp, token: &str) -> County {
    let siegburg = app.id_of("municipalities", "Siegburg", token).await;
    let alfter = app.id_of("municipalities", "Alfter", token).await;
    let much = app.id_of("municipalities", "Much", token).await;
    let mut siegburg_cases = Vec::new();
    for (i, gender) in [
        "female", "female", "female", "female", "male", "male", "male",
    ]
    .iter()
    .enumerate()
    {
        let opened = format!("2025-03-{:02}", i + 1);
        siegburg_cases.push(open_case(app, token, siegburg, &opened, gender, 1990).await);
    }
    close(app, token, &siegburg_cases[5], "2025-09-01").await;
    close(app, token, &siegburg_cases[6], "2025-10-01").await;
    for _ in 0..3 {
        open_case(app, token, alfter, "2025-04-01", "female", SECRET_YEAR).await;
    }
    for gender in ["female", "female", "male", "male", "male", "male"] {
        open_case(app, token, much, "2025-05-01", gender, 2001).await;
    }
    open_case(app, token, much, "2024-06-01", "male", 1980).await;
    County {
        siegburg,
        alfter,
        much,
        first: siegburg_cases.swap_remove(0),
    }
}

fn row<'a>(report: &'a Value, key: &str, value: &Value) -> &'a Value {
    report["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| &r[key] == value))
        .unwrap_or_else(|| panic!("no row {key}={value} in {report}"))
}

const YEAR_2025: &str = "from=2025-01-01&to=2025-12-31";

async fn cases_report_suppresses_small_counts_and_their_neighbours(app: TestApp) {
    let cm = app.token("case_manager").await;
    let c = county(&app, &cm).await;
    let analyst = app.token("analyst").await;
    let report = get_ok(
        &app,
        &analyst,
        &format!("/api/v1/reports/cases?group_by=municipality&{YEAR_2025}"),
    )
    .await;
    assert_eq!(report["min_cell"], 5);
    assert_eq!(report["group_by"], json!(["municipality"]));
    // new: 7, 3, 6 → 3 is primary, 6 (next smallest) secondary.
    // open: 5, 3, 7 → 3 primary, 5 secondary. closed: Siegburg 2 primary; its total 2 is small.
    let s = row(&report, "municipality_id", &json!(c.siegburg));
    assert_eq!(s["municipality"], "Siegburg");
    assert_eq!(
        (s["new"].clone(), s["open"].clone(), s["closed"].clone()),
        (json!(7), Value::Null, Value::Null)
    );
    let a = row(&report, "municipality_id", &json!(c.alfter));
    assert_eq!(
        (a["new"].clone(), a["open"].clone(), a["closed"].clone()),
        (Value::Null, Value::Null, json!(0))
    );
    let m = row(&report, "municipality_id", &json!(c.much));
    assert_eq!(
        (m["new"].clone(), m["open"].clone(), m["closed"].clone()),
        (Value::Null, json!(7), json!(0))
    );
    // Totals are the true counts; the closed total (2) is itself small.
    assert_eq!(
        report["totals"],
        json!({"new": 16, "open": 15, "closed": null})
    );
    assert_eq!(report["suppressed_cells"], 6);
    assert_eq!(report["rows"].as_array().map(Vec::len), Some(3));

    // Grouped by month: new cases in the opening months, closings in theirs.
    let by_month = get_ok(
        &app,
        &analyst,
        &format!("/api/v1/reports/cases?group_by=month&{YEAR_2025}"),
    )
    .await;
    // new by month: March 7, April 3 (primary), May 6 (secondary); open all at December.
    assert_eq!(row(&by_month, "month", &json!("2025-03"))["new"], 7);
    assert_eq!(
        row(&by_month, "month", &json!("2025-04"))["new"],
        Value::Null
    );
    assert_eq!(
        row(&by_month, "month", &json!("2025-05"))["new"],
        Value::Null
    );
    assert_eq!(row(&by_month, "month", &json!("2025-12"))["open"], 15);
    assert_eq!(
        row(&by_month, "month", &json!("2025-09"))["closed"],
        Value::Null
    );
    assert_eq!(by_month["totals"]["new"], 16);
}

/// Creates a social area covering `municipalities` whole; returns its id.
async fn social_area(app: &TestApp, name: &str, municipalities: &[i64]) -> i64 {
    let coordinator = app.token("coordinator").await;
    let parts: Vec<Value> = municipalities
        .iter()
        .map(|m| json!({"municipality_id": m}))
        .collect();
    let response = app
        .post(
            "/api/v1/social-areas",
            &coordinator,
            &json!({"name": name, "parts": parts}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    json_of(response).await["id"].as_i64().expect("id")
}

async fn cases_and_people_group_by_social_area(app: TestApp) {
    let cm = app.token("case_manager").await;
    let c = county(&app, &cm).await;
    // Siegburg and Much each an area of their own; Alfter is in the demo's "Vorgebirge".
    // Troisdorf is covered only in parts (by district): its case has no area.
    let siegburg = social_area(&app, "Kreisstadt", &[c.siegburg]).await;
    let much = social_area(&app, "Bergisches Land", &[c.much]).await;
    let troisdorf = app.id_of("municipalities", "Troisdorf", &cm).await;
    open_case(&app, &cm, troisdorf, "2025-06-01", "female", 1990).await;
    let analyst = app.token("analyst").await;
    let report = get_ok(
        &app,
        &analyst,
        &format!("/api/v1/reports/cases?group_by=social_area&{YEAR_2025}"),
    )
    .await;
    assert_eq!(report["group_by"], json!(["social_area"]));
    // new: 7, 6, 3 and 1 outside the areas; open: 5, 7, 3, 1. The 3 and the 1 are withheld;
    // with two cells withheld in a column neither can be recomputed, so the rest is shown.
    let s = row(&report, "social_area_id", &json!(siegburg));
    assert_eq!(s["social_area"], "Kreisstadt");
    assert_eq!((s["new"].clone(), s["open"].clone()), (json!(7), json!(5)));
    let m = row(&report, "social_area_id", &json!(much));
    assert_eq!((m["new"].clone(), m["open"].clone()), (json!(6), json!(7)));
    let v = row(&report, "social_area", &json!("Vorgebirge"));
    assert_eq!(
        (v["new"].clone(), v["open"].clone()),
        (Value::Null, Value::Null)
    );
    let outside = row(&report, "social_area_id", &Value::Null);
    assert_eq!(outside["social_area"], Value::Null);
    assert_eq!(
        (outside["new"].clone(), outside["open"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(report["rows"].as_array().map(Vec::len), Some(4));
    assert_eq!(report["totals"]["new"], 17);

    // Two dimensions: social area and month; CSV carries the id and the name.
    let csv = app
        .get(
            &format!("/api/v1/reports/cases?group_by=social_area,month&format=csv&{YEAR_2025}"),
            &analyst,
        )
        .await;
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.expect("text");
    assert!(
        text.starts_with("social_area_id,social_area,month,new,open,closed\r\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!("{siegburg},Kreisstadt,2025-03,7,")),
        "{text}"
    );

    // People reached by area: Siegburg 7, Much 7, Alfter 3, Troisdorf 1.
    let people = get_ok(
        &app,
        &analyst,
        &format!("/api/v1/reports/people?group_by=social_area&{YEAR_2025}"),
    )
    .await;
    assert_eq!(people["totals"]["people"], 18);
    assert_eq!(
        row(&people, "social_area_id", &json!(siegburg))["social_area"],
        "Kreisstadt"
    );
    assert_eq!(
        row(&people, "social_area", &json!("Vorgebirge"))["people"],
        Value::Null
    );
}

async fn people_report_counts_captured_attributes_that_survive_erasure(app: TestApp) {
    let cm = app.token("case_manager").await;
    county(&app, &cm).await;
    let analyst = app.token("analyst").await;
    let path = format!("/api/v1/reports/people?group_by=gender&{YEAR_2025}");
    let before = get_ok(&app, &analyst, &path).await;
    // 17 people in cases open during 2025: female 4 + 3 + 2 = 9, male 3 + 4 + 1 = 8.
    assert_eq!(row(&before, "gender", &json!("female"))["people"], 9);
    assert_eq!(row(&before, "gender", &json!("male"))["people"], 8);
    assert_eq!(before["totals"]["people"], 17);
    assert_eq!(before["suppressed_cells"], 0);
    // Age bands in the year of the case: 1990 → 35 (27-44), 1957 → 68 (65+: 3 people, withheld),
    // 2001 → 24 (18-26), 1980 in 2024 → 44 (27-44).
    let ages = get_ok(
        &app,
        &analyst,
        &format!("/api/v1/reports/people?group_by=age_band&{YEAR_2025}"),
    )
    .await;
    assert_eq!(row(&ages, "age_band", &json!("65+"))["people"], Value::Null);
    // 27-44: 7 + 1 = 8; 18-26: 6 (the next smallest, withheld with the 3).
    assert_eq!(row(&ages, "age_band", &json!("27-44"))["people"], 8);
    assert_eq!(
        row(&ages, "age_band", &json!("18-26"))["people"],
        Value::Null
    );

    // An erasure removes the personal fields from the client records; the report reads what
    // was captured when each person joined the case, so nothing changes.
    {
        use diesel::RunQueryDsl;
        let mut conn = app.pool.get().expect("connection");
        diesel::sql_query(
            "UPDATE clients SET given_name = NULL, family_name = NULL, birth_year = NULL, \
             gender = NULL, country_of_origin = NULL, residence_status = NULL",
        )
        .execute(&mut conn)
        .expect("erase");
    }
    assert_eq!(get_ok(&app, &analyst, &path).await, before);
    let ages_after = get_ok(
        &app,
        &analyst,
        &format!("/api/v1/reports/people?group_by=age_band&{YEAR_2025}"),
    )
    .await;
    assert_eq!(ages_after, ages);
}

async fn goals_report_cascades_secondary_suppression_and_withholds_rates(app: TestApp) {
    let cm = app.token("case_manager").await;
    let c = county(&app, &cm).await;
    // language: 5 achieved, 1 dropped, 2 open; work: 6 achieved, 0 dropped, 6 open.
    let goals: [(&str, &str, usize); 5] = [
        ("language", "achieved", 5),
        ("language", "dropped", 1),
        ("language", "open", 2),
        ("work", "achieved", 6),
        ("work", "open", 6),
    ];
    for (topic, status, n) in goals {
        for _ in 0..n {
            let response = app
                .post(
                    &format!("/api/v1/cases/{}/goals", c.first["id"]),
                    &cm,
                    &json!({"text": "Deutschkurs B1 abschließen", "topic": topic, "status": status}),
                )
                .await;
            assert_eq!(response.status(), StatusCode::CREATED);
        }
    }
    let analyst = app.token("analyst").await;
    let report = get_ok(&app, &analyst, "/api/v1/reports/goals").await;
    // Primary: 1 and 2 (language). Column `open` holds 2 alone → work's 6 goes; row `work` then
    // holds that 6 alone → its 6 achieved goes; column `achieved` holds it alone → language's 5
    // goes. The `dropped` column total (1) is small; so the `open` total goes with it.
    let language = row(&report, "topic", &json!("language"));
    assert_eq!(
        language,
        &json!({"topic": "language", "set": 8, "achieved": null, "dropped": null, "open": null, "achievement_rate": null})
    );
    let work = row(&report, "topic", &json!("work"));
    assert_eq!(
        work,
        &json!({"topic": "work", "set": 12, "achieved": null, "dropped": 0, "open": null, "achievement_rate": null})
    );
    assert_eq!(
        report["totals"],
        json!({"set": 20, "achieved": 11, "dropped": null, "open": null})
    );
    assert_eq!(report["suppressed_cells"], 7);
}

async fn case_managers_read_only_their_own_cases(app: TestApp) {
    let cm = app.token("case_manager").await;
    county(&app, &cm).await;
    let own = get_ok(&app, &cm, &format!("/api/v1/reports/cases?{YEAR_2025}")).await;
    assert_eq!(
        own["totals"],
        json!({"new": 16, "open": 15, "closed": null})
    );
    app.add_user("cm_other", kim_domain::Role::CaseManager);
    let other = app.token_of("cm_other").await;
    for report in ["cases", "people", "referrals", "goals", "caseload"] {
        let body = get_ok(
            &app,
            &other,
            &format!("/api/v1/reports/{report}?{YEAR_2025}"),
        )
        .await;
        assert!(
            body["rows"]
                .as_array()
                .is_none_or(|rows| rows.iter().all(|r| r.as_object().is_some_and(|o| o
                    .iter()
                    .all(|(k, v)| {
                        ![
                            "new",
                            "open",
                            "closed",
                            "people",
                            "sent",
                            "set",
                            "open_cases",
                        ]
                        .contains(&k.as_str())
                            || v == &json!(0)
                    })))),
            "{report}: {body}"
        );
    }
    let none = get_ok(&app, &other, &format!("/api/v1/reports/cases?{YEAR_2025}")).await;
    assert_eq!(none["totals"], json!({"new": 0, "open": 0, "closed": 0}));
}

async fn every_report_answers_an_empty_period_with_zeros(app: TestApp) {
    let analyst = app.token("analyst").await;
    let period = "from=1995-01-01&to=1995-12-31";
    let cases = get_ok(
        &app,
        &analyst,
        &format!("/api/v1/reports/cases?group_by=municipality,month&{period}"),
    )
    .await;
    assert_eq!(cases["rows"], json!([]));
    assert_eq!(cases["totals"], json!({"new": 0, "open": 0, "closed": 0}));
    assert_eq!(cases["suppressed_cells"], 0);
    let people = get_ok(
        &app,
        &analyst,
        &format!("/api/v1/reports/people?group_by=gender&{period}"),
    )
    .await;
    assert_eq!(people["totals"], json!({"people": 0}));
    let referrals = get_ok(
        &app,
        &analyst,
        &format!("/api/v1/reports/referrals?{period}"),
    )
    .await;
    assert_eq!(referrals["rows"], json!([]));
    assert_eq!(referrals["totals"]["sent"], 0);
    let goals = get_ok(&app, &analyst, &format!("/api/v1/reports/goals?{period}")).await;
    assert_eq!(goals["totals"]["set"], 0);
    for path in [
        format!("/api/v1/reports/caseload?{period}"),
        format!("/api/v1/reports/gaps?{period}"),
        "/api/v1/reports/programme?year=1995".to_owned(),
    ] {
        get_ok(&app, &analyst, &path).await;
    }
    let programme = get_ok(&app, &analyst, "/api/v1/reports/programme?year=1995").await;
    assert_eq!(
        programme["cases"],
        json!({"new": 0, "open": 0, "closed": 0})
    );
}

async fn csv_and_svg_answers(app: TestApp) {
    let cm = app.token("case_manager").await;
    county(&app, &cm).await;
    let analyst = app.token("analyst").await;
    let response = app
        .get(
            &format!("/api/v1/reports/cases?group_by=municipality&format=csv&{YEAR_2025}"),
            &analyst,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .starts_with("text/csv"));
    let text = response.text().await.expect("text");
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "municipality_id,municipality,new,open,closed");
    assert!(lines.contains(&"total,,16,15,"), "{text}");
    assert!(text.contains(",Siegburg,7,,"), "{text}");
    assert!(text.contains(",Alfter,,,0"), "{text}");
    assert!(text.contains(",Much,,7,0"), "{text}");
    // Accept: text/csv selects CSV as well.
    let by_accept = app
        .request(
            Method::GET,
            &format!("/api/v1/reports/people?{YEAR_2025}"),
            Some(&analyst),
        )
        .header("Accept", "text/csv")
        .send()
        .await
        .expect("send");
    assert_eq!(
        by_accept.text().await.expect("text"),
        "people\r\n17\r\ntotal,17\r\n"
    );
    let svg = app
        .get(
            &format!("/api/v1/reports/cases?group_by=month&format=svg&{YEAR_2025}"),
            &analyst,
        )
        .await;
    assert_eq!(svg.status(), StatusCode::OK);
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    let body = svg.text().await.expect("text");
    assert!(body.starts_with("<svg"));
    assert!(
        body.contains("2025-01-01 to 2025-12-31"),
        "title carries the period"
    );
    assert!(
        body.contains("under 5 withheld"),
        "title carries the suppression note"
    );
    let stacked = app
        .get(
            &format!("/api/v1/reports/cases?group_by=municipality,topic&format=svg&{YEAR_2025}"),
            &analyst,
        )
        .await;
    assert_eq!(stacked.status(), StatusCode::OK);
    let programme = app
        .get("/api/v1/reports/programme?year=2025&format=csv", &analyst)
        .await;
    let text = programme.text().await.expect("text");
    for section in [
        "# staffing",
        "# cases",
        "# people",
        "# referrals",
        "# goals",
        "# gaps",
        "# meetings",
        "# survey_campaigns",
    ] {
        assert!(text.contains(section), "{section} in {text}");
    }
}

async fn no_personal_field_reaches_any_report(app: TestApp) {
    let cm = app.token("case_manager").await;
    county(&app, &cm).await;
    let references: Vec<String> = {
        let list = get_ok(&app, &cm, "/api/v1/clients?limit=200").await;
        list["items"].as_array().map_or_else(Vec::new, |items| {
            items
                .iter()
                .filter_map(|c| c["reference"].as_str().map(str::to_owned))
                .collect()
        })
    };
    assert!(!references.is_empty());
    let mut paths = Vec::new();
    for (report, dims) in [
        (
            "cases",
            vec![
                "",
                "municipality",
                "rhine_side",
                "target_group",
                "legal_domain",
                "topic",
                "intake_channel",
                "eligible",
                "close_reason",
                "month",
                "quarter",
                "year",
                "municipality,month",
            ],
        ),
        (
            "people",
            vec![
                "",
                "age_band",
                "gender",
                "country_of_origin",
                "residence_status",
                "municipality",
                "target_group",
            ],
        ),
        ("referrals", vec!["", "organisation_kind"]),
        ("goals", vec![""]),
        ("caseload", vec![""]),
        ("gaps", vec![""]),
    ] {
        for d in dims {
            // No dimension: the parameter left out (an empty `group_by=` is refused).
            let group_by = if d.is_empty() {
                String::new()
            } else {
                format!("group_by={d}&")
            };
            for format in ["json", "csv"] {
                paths.push(format!(
                    "/api/v1/reports/{report}?{group_by}format={format}&{YEAR_2025}"
                ));
            }
        }
    }
    paths.push("/api/v1/reports/programme?year=2025".into());
    paths.push("/api/v1/reports/programme?year=2025&format=csv".into());
    let mut callers = vec![app.token("analyst").await, cm.clone()];
    let admin = app.token("admin").await;
    let jobcenter = app
        .id_of("organisations", "Jobcenter Rhein-Sieg", &admin)
        .await;
    let issued = json_of(
        app.post(
            "/api/v1/partner-tokens",
            &admin,
            &json!({"name": "Berichte", "organisation_id": jobcenter, "scopes": ["reports:read"], "expires_in_days": 30}),
        )
        .await,
    )
    .await;
    callers.push(issued["secret"].as_str().expect("secret").to_owned());
    for token in &callers {
        for path in &paths {
            let response = app.get(path, token).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let body = response.text().await.expect("text");
            assert!(!body.contains(SECRET_NAME), "name in {path}");
            assert!(!body.contains("Testperson"), "name in {path}");
            assert!(
                !body.contains(&SECRET_YEAR.to_string()),
                "birth year in {path}"
            );
            assert!(!body.contains("Deutschkurs"), "free text in {path}");
            for reference in &references {
                assert!(!body.contains(reference.as_str()), "reference in {path}");
            }
        }
    }
}

async fn bad_parameters_are_422_naming_the_parameter(app: TestApp) {
    let analyst = app.token("analyst").await;
    for (query, field) in [
        ("/api/v1/reports/cases?group_by=colour", "group_by"),
        (
            "/api/v1/reports/cases?group_by=month,year,topic",
            "group_by",
        ),
        ("/api/v1/reports/cases?group_by=month,month", "group_by"),
        ("/api/v1/reports/people?group_by=month", "group_by"),
        (
            "/api/v1/reports/cases?from=2026-02-01&to=2026-01-01",
            "from",
        ),
        ("/api/v1/reports/cases?from=2010-01-01&to=2025-01-01", "to"),
        ("/api/v1/reports/cases?from=yesterday", "from"),
        ("/api/v1/reports/cases?format=pdf", "format"),
        (
            "/api/v1/reports/referrals?group_by=organisation,organisation_kind",
            "group_by",
        ),
        ("/api/v1/reports/goals?group_by=status", "group_by"),
        ("/api/v1/reports/programme?year=20x6", "year"),
        ("/api/v1/reports/programme?format=svg", "format"),
    ] {
        let problem = assert_problem(
            app.get(query, &analyst).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&problem), vec![field.to_owned()], "{query}");
    }
}

async fn who_may_read_reports(app: TestApp) {
    for role in [
        "analyst",
        "ki_lead",
        "coordinator",
        "cm_coordinator",
        "steering_member",
        "case_manager",
    ] {
        let token = app.token(role).await;
        for report in [
            "cases",
            "people",
            "referrals",
            "goals",
            "caseload",
            "gaps",
            "programme",
        ] {
            let response = app.get(&format!("/api/v1/reports/{report}"), &token).await;
            assert_eq!(response.status(), StatusCode::OK, "{role} {report}");
        }
    }
    for role in [
        "admin",
        "immigration_officer",
        "data_protection_officer",
        "project_group_member",
    ] {
        let token = app.token(role).await;
        for report in ["cases", "programme"] {
            assert_problem(
                app.get(&format!("/api/v1/reports/{report}"), &token).await,
                StatusCode::FORBIDDEN,
            )
            .await;
        }
    }
    let anonymous = app
        .request(Method::GET, "/api/v1/reports/cases", None)
        .send()
        .await
        .expect("send");
    assert_problem(anonymous, StatusCode::UNAUTHORIZED).await;
    // A partner token without reports:read may not; with it, may.
    let admin = app.token("admin").await;
    let jobcenter = app
        .id_of("organisations", "Jobcenter Rhein-Sieg", &admin)
        .await;
    for (scopes, status) in [
        (json!(["referrals:read"]), StatusCode::FORBIDDEN),
        (json!(["reports:read"]), StatusCode::OK),
    ] {
        let issued = app
            .issue_partner_token(&json!({"name": format!("t {scopes}"), "organisation_id": jobcenter, "scopes": scopes, "expires_in_days": 30}))
            .await;
        let secret = issued["secret"].as_str().expect("secret");
        assert_eq!(
            app.get("/api/v1/reports/people", secret).await.status(),
            status
        );
    }
}
