//! Coverage analysis (Angebotsabdeckung) through HTTP: a hand-made landscape built through the
//! API on a database cleared of the demo offers, its matrix cell by cell, gaps, overlaps and
//! CSV exactly; the demo landscape's gaps and overlaps; bad parameters; who may read.

use std::collections::BTreeMap;

use kim_tests::{assert_problem, backend_tests, error_fields, Method, StatusCode, TestApp};
use serde_json::{json, Value};

backend_tests!(
    target_group_matrix_equals_the_hand_computed_one,
    topic_matrix_as_csv_is_exact,
    gaps_and_overlaps_of_the_hand_made_landscape,
    the_date_decides_which_offers_count,
    the_demo_landscape_has_real_gaps_and_overlaps,
    bad_parameters_are_422_naming_each,
    every_caller_reads_coverage_and_anonymous_is_401,
);

const TARGET_GROUPS: [&str; 11] = [
    "new_arrivals",
    "refugees",
    "eu_citizens",
    "families",
    "children",
    "multilingual_children_with_language_disorders",
    "youth",
    "women",
    "seniors",
    "job_seekers",
    "other",
];

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.expect("json")
}

async fn get_ok(app: &TestApp, token: &str, path: &str) -> Value {
    let response = app.get(path, token).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    json_of(response).await
}

/// The hand-made landscape: three new municipalities, the demo offers deleted, six offers of
/// three demo organisations (the same landscape as the unit tests of `kim_domain::coverage`).
struct Landscape {
    north: i64,
    south: i64,
    east: i64,
    jobcenter: i64,
    caritas: i64,
    diakonie: i64,
    /// Offer ids by their number 1 to 6.
    offers: BTreeMap<u8, i64>,
}

impl Landscape {
    fn rows(&self) -> String {
        format!("{},{},{}", self.north, self.south, self.east)
    }

    fn offers(&self, numbers: &[u8]) -> Vec<i64> {
        let mut ids: Vec<i64> = numbers.iter().map(|n| self.offers[n]).collect();
        ids.sort();
        ids
    }
}

/// Deletes every offer through the API, so that the demo's county-wide offers do not count in
/// the hand-made municipalities.
async fn clear_offers(app: &TestApp, token: &str) {
    let all = get_ok(app, token, "/api/v1/offers?limit=200").await;
    for offer in all["items"].as_array().expect("items") {
        let path = format!("/api/v1/offers/{}", offer["id"]);
        let version = offer["version"].as_i64().expect("version");
        assert_eq!(
            app.delete(&path, token, Some(version)).await.status(),
            StatusCode::NO_CONTENT
        );
    }
    assert_eq!(get_ok(app, token, "/api/v1/offers").await["total"], 0);
}

async fn landscape(app: &TestApp) -> Landscape {
    let token = app.token("coordinator").await;
    clear_offers(app, &token).await;
    let mut places = Vec::new();
    for name in ["Nordheim", "Südheim", "Ostheim"] {
        let response = app
            .post(
                "/api/v1/municipalities",
                &token,
                &json!({"name": name, "kind": "municipality", "rhine_side": "right"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "{name}");
        places.push(json_of(response).await["id"].as_i64().expect("id"));
    }
    let (north, south, east) = (places[0], places[1], places[2]);
    let jobcenter = app
        .id_of("organisations", "Jobcenter Rhein-Sieg", &token)
        .await;
    let caritas = app
        .id_of("organisations", "Caritasverband Rhein-Sieg", &token)
        .await;
    let diakonie = app
        .id_of(
            "organisations",
            "Diakonisches Werk an Sieg und Rhein",
            &token,
        )
        .await;
    let definitions = [
        (
            1,
            jobcenter,
            vec![],
            json!(["job_seekers"]),
            json!(["work"]),
            None,
            None,
        ),
        (
            2,
            caritas,
            vec![north, south],
            json!(["refugees", "families"]),
            json!(["counselling", "housing"]),
            None,
            None,
        ),
        (
            3,
            caritas,
            vec![north],
            json!(["refugees"]),
            json!(["language"]),
            None,
            None,
        ),
        (
            4,
            diakonie,
            vec![north],
            json!(["refugees", "women"]),
            json!(["counselling"]),
            None,
            None,
        ),
        (
            5,
            diakonie,
            vec![],
            json!(["youth"]),
            json!(["education"]),
            Some("2021-01-01"),
            Some("2021-12-31"),
        ),
        (
            6,
            jobcenter,
            vec![east],
            json!(["refugees"]),
            json!(["work"]),
            None,
            Some("2019-12-31"),
        ),
    ];
    let mut offers = BTreeMap::new();
    for (number, organisation, municipalities, groups, topics, from, until) in definitions {
        let body = json!({
            "organisation_id": organisation, "title": format!("Angebot {number}"),
            "topics": topics, "target_groups": groups,
            "county_wide": municipalities.is_empty(), "municipality_ids": municipalities,
            "access": "walk_in", "active_from": from, "active_until": until
        });
        let response = app.post("/api/v1/offers", &token, &body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{body}");
        offers.insert(number, json_of(response).await["id"].as_i64().expect("id"));
    }
    Landscape {
        north,
        south,
        east,
        jobcenter,
        caritas,
        diakonie,
        offers,
    }
}

fn totals(offers: usize, organisations: usize, gaps: usize, overlaps: usize) -> Value {
    json!({"offers": offers, "organisations": organisations, "gaps": gaps, "overlaps": overlaps})
}

/// A row: every column empty except `filled` (value, offer numbers, organisation ids).
fn row(
    land: &Landscape,
    id: i64,
    name: &str,
    columns: &[&str],
    filled: &[(&str, &[u8], &[i64])],
    row_totals: Value,
) -> Value {
    let cells: Vec<Value> = columns
        .iter()
        .map(|column| {
            let (offers, mut organisations) = filled
                .iter()
                .find(|(value, _, _)| value == column)
                .map(|(_, offers, organisations)| (land.offers(offers), organisations.to_vec()))
                .unwrap_or_default();
            organisations.sort();
            let flag = match organisations.len() {
                0 => "none",
                1 => "single",
                _ => "overlap",
            };
            json!({"value": column, "offers": offers.len(), "organisations": organisations.len(),
                "flag": flag, "offer_ids": offers, "organisation_ids": organisations})
        })
        .collect();
    json!({"municipality_id": id, "municipality": name, "cells": cells, "totals": row_totals})
}

async fn target_group_matrix_equals_the_hand_computed_one(app: TestApp) {
    let land = landscape(&app).await;
    let token = app.token("analyst").await;
    let matrix = get_ok(
        &app,
        &token,
        &format!(
            "/api/v1/coverage?dimension=target_group&municipality={}&active_on=2021-06-01",
            land.rows()
        ),
    )
    .await;
    let (jc, ca, di) = (land.jobcenter, land.caritas, land.diakonie);
    let expected_rows = vec![
        row(
            &land,
            land.north,
            "Nordheim",
            &TARGET_GROUPS,
            &[
                ("refugees", &[2, 3, 4], &[ca, di]),
                ("families", &[2], &[ca]),
                ("youth", &[5], &[di]),
                ("women", &[4], &[di]),
                ("job_seekers", &[1], &[jc]),
            ],
            totals(5, 3, 6, 1),
        ),
        row(
            &land,
            land.south,
            "Südheim",
            &TARGET_GROUPS,
            &[
                ("refugees", &[2], &[ca]),
                ("families", &[2], &[ca]),
                ("youth", &[5], &[di]),
                ("job_seekers", &[1], &[jc]),
            ],
            totals(3, 3, 7, 0),
        ),
        row(
            &land,
            land.east,
            "Ostheim",
            &TARGET_GROUPS,
            &[("youth", &[5], &[di]), ("job_seekers", &[1], &[jc])],
            totals(2, 2, 9, 0),
        ),
    ];
    let column_totals: Vec<Value> = TARGET_GROUPS
        .iter()
        .map(|value| {
            let t = match *value {
                "refugees" => totals(3, 2, 1, 1),
                "families" => totals(1, 1, 1, 0),
                "youth" | "job_seekers" => totals(1, 1, 0, 0),
                "women" => totals(1, 1, 2, 0),
                _ => totals(0, 0, 3, 0),
            };
            json!({"value": value, "totals": t})
        })
        .collect();
    assert_eq!(
        matrix,
        json!({
            "dimension": "target_group", "active_on": "2021-06-01", "columns": TARGET_GROUPS,
            "rows": expected_rows, "column_totals": column_totals, "totals": totals(5, 3, 22, 1)
        })
    );
    // The rows follow the order asked for.
    let reversed = get_ok(
        &app,
        &token,
        &format!(
            "/api/v1/coverage?municipality={},{}&active_on=2021-06-01",
            land.east, land.north
        ),
    )
    .await;
    let names: Vec<&str> = reversed["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["municipality"].as_str())
        .collect();
    assert_eq!(names, ["Ostheim", "Nordheim"]);
    assert_eq!(
        reversed["dimension"], "target_group",
        "the default dimension"
    );
    // Without `municipality`, every municipality is a row, by name.
    let everywhere = get_ok(&app, &token, "/api/v1/coverage?active_on=2021-06-01").await;
    let names: Vec<String> = everywhere["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["municipality"].as_str().map(String::from))
        .collect();
    // The order of the municipality list (by name, in the database's collation).
    let listed = get_ok(&app, &token, "/api/v1/municipalities?limit=200").await;
    let by_name: Vec<String> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|m| m["name"].as_str().map(String::from))
        .collect();
    assert_eq!(names.len(), 22);
    assert_eq!(names, by_name);
    // A demo municipality sees only the two county-wide offers.
    let much = everywhere["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["municipality"] == "Much")
        .expect("Much");
    assert_eq!(much["totals"], totals(2, 2, 9, 0));
    assert_eq!(everywhere["totals"]["offers"], 5);
}

async fn topic_matrix_as_csv_is_exact(app: TestApp) {
    let land = landscape(&app).await;
    let token = app.token("steering_member").await;
    let response = app
        .get(
            &format!(
                "/api/v1/coverage?dimension=topic&municipality={}&active_on=2021-06-01&format=csv",
                land.rows()
            ),
            &token,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"coverage-topic-2021-06-01.csv\""
    );
    let csv = response.text().await.expect("text");
    let header = "municipality_id,municipality,counselling_offers,counselling_organisations,\
language_offers,language_organisations,work_offers,work_organisations,education_offers,\
education_organisations,childcare_offers,childcare_organisations,housing_offers,\
housing_organisations,health_offers,health_organisations,residence_offers,\
residence_organisations,naturalisation_offers,naturalisation_organisations,leisure_offers,\
leisure_organisations,volunteering_offers,volunteering_organisations,other_offers,\
other_organisations,total_offers,total_organisations";
    let expected = format!(
        "{header}\r\n\
         {},Nordheim,2,2,1,1,1,1,1,1,0,0,1,1,0,0,0,0,0,0,0,0,0,0,0,0,5,3\r\n\
         {},Südheim,1,1,0,0,1,1,1,1,0,0,1,1,0,0,0,0,0,0,0,0,0,0,0,0,3,3\r\n\
         {},Ostheim,0,0,0,0,1,1,1,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,2\r\n\
         ,total,2,2,1,1,1,1,1,1,0,0,1,1,0,0,0,0,0,0,0,0,0,0,0,0,5,3\r\n",
        land.north, land.south, land.east
    );
    assert_eq!(csv, expected);
    // `Accept: text/csv` selects CSV too; `format=json` wins over it.
    let by_accept = app
        .request(
            Method::GET,
            &format!(
                "/api/v1/coverage?dimension=topic&municipality={}&active_on=2021-06-01",
                land.rows()
            ),
            Some(&token),
        )
        .header("Accept", "text/csv")
        .send()
        .await
        .expect("send");
    assert_eq!(by_accept.text().await.expect("text"), expected);
    let json = get_ok(
        &app,
        &token,
        &format!(
            "/api/v1/coverage?dimension=topic&municipality={}&active_on=2021-06-01&format=json",
            land.rows()
        ),
    )
    .await;
    assert_eq!(json["totals"], totals(5, 3, 25, 1));
    assert_eq!(json["columns"][0], "counselling");
    assert_eq!(json["column_totals"][0]["totals"], totals(2, 2, 1, 1));
}

async fn gaps_and_overlaps_of_the_hand_made_landscape(app: TestApp) {
    let land = landscape(&app).await;
    let token = app.token("case_manager").await;
    let query = format!("municipality={}&active_on=2021-06-01", land.rows());
    let overlaps = get_ok(&app, &token, &format!("/api/v1/coverage/overlaps?{query}")).await;
    let mut organisations = vec![
        json!({"id": land.caritas, "name": "Caritasverband Rhein-Sieg"}),
        json!({"id": land.diakonie, "name": "Diakonisches Werk an Sieg und Rhein"}),
    ];
    organisations.sort_by_key(|o| o["id"].as_i64());
    assert_eq!(
        overlaps,
        json!({
            "items": [{"municipality_id": land.north, "municipality": "Nordheim", "value": "refugees",
                "offers": 3, "offer_ids": land.offers(&[2, 3, 4]), "organisations": organisations}],
            "total": 1, "limit": 50, "offset": 0, "next": null
        })
    );
    let by_topic = get_ok(
        &app,
        &token,
        &format!("/api/v1/coverage/overlaps?dimension=topic&{query}"),
    )
    .await;
    assert_eq!(by_topic["total"], 1);
    assert_eq!(by_topic["items"][0]["value"], "counselling");
    assert_eq!(
        by_topic["items"][0]["offer_ids"],
        json!(land.offers(&[2, 4]))
    );

    let gaps = get_ok(
        &app,
        &token,
        &format!("/api/v1/coverage/gaps?{query}&limit=200"),
    )
    .await;
    assert_eq!(gaps["total"], 22);
    let listed: Vec<(i64, String)> = gaps["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|g| {
            (
                g["municipality_id"].as_i64().expect("id"),
                g["value"].as_str().expect("value").to_owned(),
            )
        })
        .collect();
    let filled: &[(i64, &[&str])] = &[
        (
            land.north,
            &["refugees", "families", "youth", "women", "job_seekers"],
        ),
        (
            land.south,
            &["refugees", "families", "youth", "job_seekers"],
        ),
        (land.east, &["youth", "job_seekers"]),
    ];
    let expected: Vec<(i64, String)> = filled
        .iter()
        .flat_map(|(id, covered)| {
            TARGET_GROUPS
                .iter()
                .filter(|g| !covered.contains(g))
                .map(|g| (*id, (*g).to_owned()))
        })
        .collect();
    assert_eq!(listed, expected);
    assert_eq!(gaps["items"][0]["municipality"], "Nordheim");
    // Paged like every list.
    let page = get_ok(
        &app,
        &token,
        &format!("/api/v1/coverage/gaps?{query}&limit=5&offset=20"),
    )
    .await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["next"], Value::Null);
    let first = get_ok(
        &app,
        &token,
        &format!("/api/v1/coverage/gaps?{query}&limit=5"),
    )
    .await;
    assert_eq!(first["next"], 5);
    assert_eq!(first["total"], 22);
}

async fn the_date_decides_which_offers_count(app: TestApp) {
    let land = landscape(&app).await;
    let token = app.token("coordinator").await;
    let at = |date: &str| {
        format!(
            "/api/v1/coverage?municipality={}&active_on={date}",
            land.rows()
        )
    };
    let later = get_ok(&app, &token, &at("2022-01-01")).await;
    assert_eq!(later["totals"], totals(4, 3, 25, 1));
    let youth = TARGET_GROUPS
        .iter()
        .position(|g| *g == "youth")
        .expect("youth");
    assert_eq!(later["column_totals"][youth]["totals"], totals(0, 0, 3, 0));
    let earlier = get_ok(&app, &token, &at("2019-12-31")).await;
    let east_refugees = &earlier["rows"][2]["cells"][1];
    assert_eq!(east_refugees["value"], "refugees");
    assert_eq!(east_refugees["offer_ids"], json!(land.offers(&[6])));
    assert_eq!(east_refugees["flag"], "single");
    assert_eq!(earlier["rows"][2]["cells"][youth]["flag"], "none");
    // Without `active_on` it is today: offer 5 (2021 only) and 6 (until 2019) do not count.
    let today = get_ok(
        &app,
        &token,
        &format!("/api/v1/coverage?municipality={}", land.rows()),
    )
    .await;
    assert_eq!(today["totals"], totals(4, 3, 25, 1));
    assert_eq!(
        today["active_on"],
        chrono::Utc::now().date_naive().to_string()
    );
}

async fn the_demo_landscape_has_real_gaps_and_overlaps(app: TestApp) {
    let token = app.token("coordinator").await;
    let matrix = get_ok(&app, &token, "/api/v1/coverage?dimension=target_group").await;
    assert_eq!(matrix["rows"].as_array().map(Vec::len), Some(19));
    let cell = |municipality: &str, value: &str| -> Value {
        matrix["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|r| r["municipality"] == municipality)
            .and_then(|r| {
                r["cells"]
                    .as_array()
                    .expect("cells")
                    .iter()
                    .find(|c| c["value"] == value)
                    .cloned()
            })
            .unwrap_or_else(|| panic!("no cell {municipality} / {value}"))
    };
    // Refugees: several organisations in the towns on the Sieg, none in the rural east.
    assert_eq!(cell("Siegburg", "refugees")["flag"], "overlap");
    assert_eq!(cell("Troisdorf", "refugees")["flag"], "overlap");
    assert_eq!(cell("Ruppichteroth", "refugees")["flag"], "none");
    assert_eq!(cell("Windeck", "refugees")["flag"], "single");
    assert_eq!(cell("Windeck", "new_arrivals")["flag"], "none");
    assert_eq!(cell("Troisdorf", "women")["flag"], "overlap");
    // The only offer for seniors ended in 2020.
    let seniors = TARGET_GROUPS
        .iter()
        .position(|g| *g == "seniors")
        .expect("seniors");
    assert_eq!(
        matrix["column_totals"][seniors]["totals"],
        totals(0, 0, 19, 0)
    );
    let overlaps = get_ok(&app, &token, "/api/v1/coverage/overlaps?limit=200").await;
    let siegburg = overlaps["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|o| o["municipality"] == "Siegburg" && o["value"] == "refugees")
        .expect("Siegburg refugees overlap");
    let names: Vec<&str> = siegburg["organisations"]
        .as_array()
        .expect("organisations")
        .iter()
        .filter_map(|o| o["name"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "Caritasverband Rhein-Sieg",
            "Diakonisches Werk an Sieg und Rhein"
        ]
    );
    let gaps = get_ok(
        &app,
        &token,
        "/api/v1/coverage/gaps?dimension=topic&limit=200",
    )
    .await;
    assert!(
        gaps["total"].as_i64().is_some_and(|n| n > 19),
        "{}",
        gaps["total"]
    );
}

async fn bad_parameters_are_422_naming_each(app: TestApp) {
    let token = app.token("analyst").await;
    for path in [
        "/api/v1/coverage",
        "/api/v1/coverage/gaps",
        "/api/v1/coverage/overlaps",
    ] {
        for (query, fields) in [
            ("dimension=region", vec!["dimension"]),
            ("active_on=2021-02-30", vec!["active_on"]),
            ("active_on=today", vec!["active_on"]),
            ("municipality=abc", vec!["municipality"]),
            ("municipality=1,,2", vec!["municipality"]),
            ("municipality=999999", vec!["municipality"]),
            (
                "dimension=x&active_on=y&municipality=z",
                vec!["active_on", "dimension", "municipality"],
            ),
        ] {
            let problem = assert_problem(
                app.get(&format!("{path}?{query}"), &token).await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
            assert_eq!(error_fields(&problem), fields, "{path}?{query}");
        }
    }
    let problem = assert_problem(
        app.get("/api/v1/coverage?format=xlsx&dimension=x", &token)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), ["dimension", "format"]);
    let problem = assert_problem(
        app.get("/api/v1/coverage/gaps?limit=0", &token).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&problem), ["limit"]);
}

async fn every_caller_reads_coverage_and_anonymous_is_401(app: TestApp) {
    let paths = [
        "/api/v1/coverage",
        "/api/v1/coverage?format=csv",
        "/api/v1/coverage/gaps",
        "/api/v1/coverage/overlaps",
    ];
    for role in [
        "admin",
        "ki_lead",
        "coordinator",
        "cm_coordinator",
        "case_manager",
        "steering_member",
        "project_group_member",
        "analyst",
        "immigration_officer",
        "data_protection_officer",
    ] {
        let token = app.token(role).await;
        for path in paths {
            assert_eq!(
                app.get(path, &token).await.status(),
                StatusCode::OK,
                "{role} {path}"
            );
        }
    }
    let admin = app.token("admin").await;
    let jobcenter = app
        .id_of("organisations", "Jobcenter Rhein-Sieg", &admin)
        .await;
    let issued = app
        .post(
            "/api/v1/partner-tokens",
            &admin,
            &json!({"name": "Berichte", "organisation_id": jobcenter, "scopes": ["reports:read"], "expires_in_days": 30}),
        )
        .await;
    assert_eq!(issued.status(), StatusCode::CREATED);
    let partner = json_of(issued).await["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    for path in paths {
        assert_eq!(
            app.get(path, &partner).await.status(),
            StatusCode::OK,
            "partner {path}"
        );
    }
    for path in paths {
        for token in [None, Some("not-a-token")] {
            let response = app
                .request(Method::GET, path, token)
                .send()
                .await
                .expect("send");
            assert_problem(response, StatusCode::UNAUTHORIZED).await;
        }
    }
}
