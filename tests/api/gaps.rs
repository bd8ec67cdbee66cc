//! Systematic gaps: the eight-step path by the demo users of each role, every wrong turn (403,
//! 409, 422, 428, 412), the escalation threshold, merging, the send-back and reopen loops, and
//! that case links in the evidence never reach anyone but their reporter.

use kim_tests::builders::{add_report, gap_path, new_gap, take_step, try_step};
use kim_tests::{
    assert_problem, backend_tests, error_fields, GapBuilder, Method, StatusCode, TestApp,
};
use serde_json::{json, Value};

use crate::goals::{audit_actions, fixture, COLLEAGUE};

backend_tests!(
    the_eight_steps_end_closed_with_a_history_of_every_step,
    every_step_by_a_wrong_role_is_403,
    every_step_from_a_wrong_stage_is_409_naming_the_possible_steps,
    missing_input_is_422_and_versions_are_checked,
    escalating_below_the_threshold_needs_a_justification,
    merging_moves_the_reports_and_keeps_both_histories,
    send_back_and_reopen_loops,
    only_members_of_a_mandated_group_propose,
    only_members_of_the_steering_group_take_its_decisions,
    case_links_show_only_as_a_count_to_everyone_but_the_reporter,
    lists_filter_and_the_pipeline_counts,
    gaps_need_a_token_and_a_reading_role,
    reporter_names_show_only_to_who_may_see_staff_names,
);

/// Every step operation with the role that takes it.
const STEPS: &[(&str, &str)] = &[
    ("escalate", "cm_coordinator"),
    ("close-not-systematic", "cm_coordinator"),
    ("merge", "cm_coordinator"),
    ("forward", "ki_lead"),
    ("mandate", "steering_member"),
    ("reject", "steering_member"),
    ("solutions", "project_group_member"),
    ("decide", "steering_member"),
    ("send-back", "steering_member"),
    ("communicate", "cm_coordinator"),
    ("acknowledge", "case_manager"),
    ("feedback", "case_manager"),
    ("close", "cm_coordinator"),
    ("reopen", "cm_coordinator"),
];

/// The steering group, its past meeting and the thematic project group of the demo.
struct Bodies {
    meeting: i64,
    kita_group: i64,
    troisdorf_group: i64,
}

async fn bodies(app: &TestApp) -> Bodies {
    let token = app.token("ki_lead").await;
    let steering = app
        .id_of("bodies", kim_api::seed::gaps::STEERING_GROUP, &token)
        .await;
    let meetings: Value = app
        .get_json(&format!("/api/v1/bodies/{steering}/meetings"), &token)
        .await;
    let meeting = meetings["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|m| m["title"] == kim_api::seed::gaps::PAST_MEETING)
        .and_then(|m| m["id"].as_i64())
        .expect("meeting");
    Bodies {
        meeting,
        kita_group: app
            .id_of("bodies", kim_api::seed::gaps::KITA_GROUP, &token)
            .await,
        troisdorf_group: app.id_of("bodies", "Projektgruppe Troisdorf", &token).await,
    }
}

fn history_steps(gap: &Value) -> Vec<String> {
    gap["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["step"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn tasks_about(app: &TestApp, role: &str, gap: i64) -> Vec<String> {
    let token = app.token_of(role).await;
    let tasks: Value = app.get_json("/api/v1/me/tasks", &token).await;
    tasks["items"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter(|t| t["object_type"] == "gap" && t["object_id"] == gap)
        .map(|t| t["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A fresh gap "Kita places" reported by the demo case manager and the colleague of the
/// fixture (two positions), escalated and forwarded to the steering group.
fn forwarded_gap(app: &TestApp) -> GapBuilder<'_> {
    GapBuilder::new(app)
        .also_reported_by(COLLEAGUE)
        .step("escalate", "cm_coordinator", json!({}))
        .step("forward", "ki_lead", json!({}))
}

/// A [`forwarded_gap`] brought to `mandated` for the Kita group.
async fn mandated_gap(app: &TestApp, b: &Bodies) -> Value {
    forwarded_gap(app)
        .step(
            "mandate",
            "steering_member",
            json!({"meeting_id": b.meeting, "project_group_ids": [b.kita_group],
                "mandate": "Propose a fast track", "due_on": "2099-03-31"}),
        )
        .create()
        .await
}

fn solutions() -> Value {
    json!({"solutions": [
        {"text": "Two reserved places per district", "responsible_actors": "Jugendamt", "estimate": "No extra cost"},
        {"text": "A daycare pilot in Troisdorf", "responsible_actors": "Stadt Troisdorf", "estimate": "40,000 EUR per year"}]})
}

async fn the_eight_steps_end_closed_with_a_history_of_every_step(app: TestApp) {
    let f = fixture(&app).await;
    let b = bodies(&app).await;
    let gap = GapBuilder::new(&app)
        .with_body(new_gap("No daycare places", &[f.case_id]))
        .create()
        .await;
    let id = gap["id"].as_i64().expect("id");
    assert_eq!(gap["stage"], "reported");
    assert_eq!(
        gap["next_steps"][0],
        json!({"step": "escalate", "role": "cm_coordinator"})
    );
    assert!(tasks_about(&app, "cm_coordinator", id).await[0]
        .starts_with("escalate or close_not_systematic or merge"));
    let gap = add_report(&app, &f.colleague, &gap).await;
    assert_eq!(gap["reporting_positions"], 2);
    // 1. → 2. The CM coordination escalates: two positions, no justification needed.
    let gap = take_step(&app, "cm_coordinator", &gap, "escalate", &json!({})).await;
    assert_eq!(gap["stage"], "escalated");
    assert_eq!(tasks_about(&app, "ki_lead", id).await.len(), 1);
    // 3. The KI head forwards it.
    let gap = take_step(
        &app,
        "ki_lead",
        &gap,
        "forward",
        &json!({"comment": "For the next meeting"}),
    )
    .await;
    assert_eq!(gap["stage"], "with_steering_group");
    let steering = app.token("steering_member").await;
    let worklist: Value = app
        .get_json(
            &format!(
                "/api/v1/bodies/{}/worklist",
                app.id_of("bodies", kim_api::seed::gaps::STEERING_GROUP, &steering)
                    .await
            ),
            &steering,
        )
        .await;
    assert!(worklist["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|i| i["gap_id"] == id));
    // 4. The steering group mandates the Kita project group, as a decision of its meeting.
    let gap = take_step(
        &app,
        "steering_member",
        &gap,
        "mandate",
        &json!({"meeting_id": b.meeting, "project_group_ids": [b.kita_group],
            "mandate": "Propose a fast track with the youth office", "due_on": "2099-03-31"}),
    )
    .await;
    assert_eq!(gap["stage"], "mandated");
    assert_eq!(
        gap["mandates"][0]["project_group_ids"],
        json!([b.kita_group])
    );
    assert_eq!(gap["decisions"][0]["outcome"], "mandated");
    assert_eq!(gap["decisions"][0]["meeting_id"], b.meeting);
    assert_eq!(tasks_about(&app, "project_group_member", id).await.len(), 1);
    // 5. The project group proposes two solutions.
    let gap = take_step(
        &app,
        "project_group_member",
        &gap,
        "solutions",
        &solutions(),
    )
    .await;
    assert_eq!(gap["stage"], "solutions_proposed");
    assert_eq!(gap["solutions"][0]["body_id"], b.kita_group);
    let first = gap["solutions"][0]["id"].as_i64().expect("id");
    // 6. The steering group accepts the first and decides on publicity.
    let gap = take_step(
        &app,
        "steering_member",
        &gap,
        "decide",
        &json!({"meeting_id": b.meeting, "accepted_solution_ids": [first],
            "publicity": "internal", "publicity_text": "Newsletter to all CM staff"}),
    )
    .await;
    assert_eq!(gap["stage"], "solutions_decided");
    assert_eq!(gap["solutions"][0]["accepted"], true);
    assert_eq!(gap["solutions"][1]["accepted"], false);
    assert_eq!(gap["publicity"], "internal");
    // 7. The CM coordination communicates them; case managers see them in their feed.
    let gap = take_step(
        &app,
        "cm_coordinator",
        &gap,
        "communicate",
        &json!({"comment": "Team meeting"}),
    )
    .await;
    assert_eq!(gap["stage"], "communicated");
    let feed: Value = app.get_json("/api/v1/me/solutions", &f.manager).await;
    let notice = feed["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|n| n["gap_id"] == id)
        .cloned()
        .expect("in the feed");
    assert_eq!(notice["solutions"].as_array().map(Vec::len), Some(1));
    assert_eq!(notice["acknowledged"], false);
    assert_eq!(
        tasks_about(&app, "case_manager", id).await,
        vec!["acknowledge: No daycare places"]
    );
    // 8. Case managers acknowledge and give feedback; the CM coordination closes.
    let gap = take_step(&app, "case_manager", &gap, "acknowledge", &json!({})).await;
    assert_eq!(gap["stage"], "in_application");
    let gap = take_step(
        &app,
        "case_manager",
        &gap,
        "feedback",
        &json!({"rating": "effective", "text": "Places found for all three families"}),
    )
    .await;
    assert_eq!(gap["feedback"][0]["rating"], "effective");
    assert!(tasks_about(&app, "case_manager", id).await.is_empty());
    let gap = take_step(
        &app,
        "cm_coordinator",
        &gap,
        "close",
        &json!({"outcome": "Fast track works county-wide"}),
    )
    .await;
    assert_eq!(gap["stage"], "closed");
    assert_eq!(gap["outcome"], "Fast track works county-wide");
    assert_eq!(gap["next_steps"], json!([]));
    assert_eq!(
        history_steps(&gap),
        vec![
            "report",
            "report",
            "escalate",
            "forward",
            "mandate",
            "propose",
            "decide",
            "communicate",
            "acknowledge",
            "feedback",
            "close"
        ]
    );
    for entry in gap["history"].as_array().expect("history") {
        assert!(
            entry["actor_id"].is_i64() && entry["occurred_at"].is_string(),
            "{entry}"
        );
    }
    // What each step's history entry carries (clients read these keys).
    let payload_keys: Vec<Vec<&str>> = gap["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| {
            let mut keys: Vec<&str> = e["payload"]
                .as_object()
                .expect("payload")
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort_unstable();
            keys
        })
        .collect();
    assert_eq!(
        payload_keys,
        vec![
            vec!["linked_cases", "report_id"],
            vec!["linked_cases", "report_id"],
            vec!["reporting_positions", "threshold"],
            vec![],
            vec![
                "decision_id",
                "due_on",
                "mandate_id",
                "meeting_id",
                "project_group_ids"
            ],
            vec!["project_group_id", "solution_ids"],
            vec![
                "accepted_solution_ids",
                "decision_id",
                "meeting_id",
                "publicity"
            ],
            vec![],
            vec![],
            vec!["feedback_id", "rating"],
            vec![],
        ]
    );
    let mandated = &gap["history"][4];
    assert_eq!(mandated["payload"]["mandate_id"], gap["mandates"][0]["id"]);
    assert_eq!(
        mandated["payload"]["decision_id"],
        gap["mandates"][0]["decision_id"]
    );
    assert_eq!(
        mandated["payload"]["decision_id"],
        gap["decisions"][0]["id"]
    );
    assert_eq!(mandated["payload"]["due_on"], "2099-03-31");
    assert_eq!(
        mandated["comment"],
        "Propose a fast track with the youth office"
    );
    assert_eq!(
        gap["history"][6]["payload"]["decision_id"],
        gap["decisions"][1]["id"]
    );
    let roles: Vec<&str> = gap["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|e| e["actor_role"].as_str())
        .collect();
    assert_eq!(
        roles,
        vec![
            "case_manager",
            "case_manager",
            "cm_coordinator",
            "ki_lead",
            "steering_member",
            "project_group_member",
            "steering_member",
            "cm_coordinator",
            "case_manager",
            "case_manager",
            "cm_coordinator"
        ]
    );
    // The meeting carries both decisions.
    let meeting: Value = app
        .get_json(&format!("/api/v1/meetings/{}", b.meeting), &steering)
        .await;
    let outcomes: Vec<&str> = meeting["decisions"]
        .as_array()
        .expect("decisions")
        .iter()
        .filter(|d| d["gap_id"] == id)
        .filter_map(|d| d["outcome"].as_str())
        .collect();
    assert_eq!(outcomes, vec!["mandated", "solutions_accepted"]);
    // A closed gap takes no more steps.
    let refused = assert_problem(
        try_step(
            &app,
            "cm_coordinator",
            &gap,
            "reopen",
            &json!({"reason": "x"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(
        refused["detail"]
            .as_str()
            .unwrap_or_default()
            .ends_with("nothing (final stage)"),
        "{refused}"
    );
}

async fn every_step_by_a_wrong_role_is_403(app: TestApp) {
    let manager = app.token("case_manager").await;
    let gap = GapBuilder::new(&app)
        .with_body(new_gap("Wrong roles", &[]))
        .create()
        .await;
    for (name, role) in STEPS {
        for wrong in [
            "case_manager",
            "cm_coordinator",
            "ki_lead",
            "steering_member",
            "project_group_member",
            "analyst",
            "coordinator",
            "admin",
        ] {
            if wrong == *role {
                continue;
            }
            let refused = assert_problem(
                try_step(&app, wrong, &gap, name, &json!({})).await,
                StatusCode::FORBIDDEN,
            )
            .await;
            // Roles that do not read gaps at all are refused by the permission table first.
            if wrong != "admin" {
                assert!(
                    refused["detail"]
                        .as_str()
                        .unwrap_or_default()
                        .starts_with(&format!("only {role} may")),
                    "{name} by {wrong}: {refused}"
                );
            }
        }
    }
    assert_eq!(
        app.get_json(&gap_path(&gap), &manager).await["history"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

async fn every_step_from_a_wrong_stage_is_409_naming_the_possible_steps(app: TestApp) {
    let manager = app.token("case_manager").await;
    let gap = GapBuilder::new(&app)
        .with_body(new_gap("Wrong stage", &[]))
        .create()
        .await;
    for (name, role) in STEPS {
        if ["escalate", "close-not-systematic", "merge"].contains(name) {
            continue;
        }
        let refused = assert_problem(
            try_step(&app, role, &gap, name, &json!({})).await,
            StatusCode::CONFLICT,
        )
        .await;
        let detail = refused["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains("while the gap is 'reported'"),
            "{name}: {detail}"
        );
        assert!(
            detail.ends_with("possible now: escalate, close_not_systematic, merge"),
            "{name}: {detail}"
        );
    }
    // Further along, the earlier steps are refused too.
    let closed = take_step(
        &app,
        "cm_coordinator",
        &gap,
        "close-not-systematic",
        &json!({"reason": "Single case"}),
    )
    .await;
    assert_eq!(closed["stage"], "not_systematic");
    assert_problem(
        try_step(
            &app,
            "cm_coordinator",
            &closed,
            "escalate",
            &json!({"reason": "x"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_problem(
        app.post(
            &format!("/api/v1/gaps/{}/reports", closed["id"]),
            &manager,
            &json!({"text": "more"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
}

async fn missing_input_is_422_and_versions_are_checked(app: TestApp) {
    let manager = app.token("case_manager").await;
    let b = bodies(&app).await;
    let invalid = assert_problem(
        app.post(
            "/api/v1/gaps",
            &manager,
            &json!({"title": " ", "description": "", "topic": "x",
        "municipality_ids": [999999], "report": {"text": "", "reported_on": "2999-01-01"}}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        error_fields(&invalid),
        vec!["description", "report.reported_on", "report.text", "title"]
    );
    let unknown = assert_problem(
        app.post(
            "/api/v1/gaps",
            &manager,
            &json!({"title": "t", "description": "d", "topic": "x",
        "municipality_ids": [999999], "report": {"text": "r"}}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&unknown), vec!["municipality_ids"]);
    let gap = GapBuilder::new(&app)
        .with_body(new_gap("Inputs", &[]))
        .create()
        .await;
    for (name, body, fields) in [
        ("close-not-systematic", json!({}), vec!["reason"]),
        ("merge", json!({}), vec!["merge_into"]),
        (
            "merge",
            json!({"merge_into": gap["id"]}),
            vec!["merge_into"],
        ),
        ("merge", json!({"merge_into": 999999}), vec!["merge_into"]),
    ] {
        let refused = assert_problem(
            try_step(&app, "cm_coordinator", &gap, name, &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&refused), fields, "{name}");
    }
    for (into, message, kind) in [
        (
            gap["id"].clone(),
            "a gap cannot be merged into itself".to_owned(),
            "schema",
        ),
        (
            json!(999999),
            "no gap with id 999999".to_owned(),
            "reference",
        ),
    ] {
        let refused = assert_problem(
            try_step(
                &app,
                "cm_coordinator",
                &gap,
                "merge",
                &json!({"merge_into": into}),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(
            refused["errors"],
            json!([{"field": "merge_into", "message": message, "kind": kind}])
        );
    }
    let gap = take_step(
        &app,
        "cm_coordinator",
        &gap,
        "escalate",
        &json!({"reason": "Urgent"}),
    )
    .await;
    let long = assert_problem(
        try_step(
            &app,
            "ki_lead",
            &gap,
            "forward",
            &json!({"comment": "x".repeat(2001)}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&long), vec!["comment"]);
    let gap = take_step(&app, "ki_lead", &gap, "forward", &json!({})).await;
    let missing = assert_problem(
        try_step(
            &app,
            "steering_member",
            &gap,
            "mandate",
            &json!({"due_on": "2000-01-01"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        error_fields(&missing),
        vec!["due_on", "mandate", "meeting_id", "project_group_ids"]
    );
    // The meeting must be the steering group's; the groups must be project groups.
    let steering = app.token("ki_lead").await;
    let arbeitskreis = app
        .id_of("bodies", "Arbeitskreis Integration", &steering)
        .await;
    let other_meeting: Value = app
        .post(
            &format!("/api/v1/bodies/{arbeitskreis}/meetings"),
            &steering,
            &json!({"held_on": "2026-11-01", "title": "AK Integration"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let wrong_meeting = assert_problem(
        try_step(
            &app,
            "steering_member",
            &gap,
            "mandate",
            &json!({"meeting_id": other_meeting["id"],
        "project_group_ids": [b.kita_group], "mandate": "m", "due_on": "2099-01-01"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&wrong_meeting), vec!["meeting_id"]);
    assert_eq!(
        wrong_meeting["errors"],
        json!([{"field": "meeting_id", "kind": "schema", "message": format!(
            "meeting {} is a meeting of a working_group, not of the steering group",
            other_meeting["id"]
        )}])
    );
    let unknown_meeting = assert_problem(
        try_step(
            &app,
            "steering_member",
            &gap,
            "mandate",
            &json!({"meeting_id": 999999,
        "project_group_ids": [999999], "mandate": "m", "due_on": "2099-01-01"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        unknown_meeting["errors"],
        json!([{"field": "meeting_id", "kind": "reference",
            "message": "no meeting with id 999999"}])
    );
    let unknown_group = assert_problem(
        try_step(
            &app,
            "steering_member",
            &gap,
            "mandate",
            &json!({"meeting_id": b.meeting,
        "project_group_ids": [b.kita_group, 999999], "mandate": "m", "due_on": "2099-01-01"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        unknown_group["errors"],
        json!([{"field": "project_group_ids", "kind": "reference",
            "message": "no body with id 999999"}])
    );
    let wrong_group = assert_problem(
        try_step(
            &app,
            "steering_member",
            &gap,
            "mandate",
            &json!({"meeting_id": b.meeting,
        "project_group_ids": [arbeitskreis], "mandate": "m", "due_on": "2099-01-01"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&wrong_group), vec!["project_group_ids"]);
    assert_eq!(
        wrong_group["errors"],
        json!([{"field": "project_group_ids", "kind": "schema", "message": format!(
            "body {arbeitskreis} is a working_group, not a project group"
        )}])
    );
    let reject = assert_problem(
        try_step(
            &app,
            "steering_member",
            &gap,
            "reject",
            &json!({"meeting_id": b.meeting}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&reject), vec!["reason"]);
    // If-Match: required (428) and current (412); nothing was recorded by the refusals.
    let token = app.token("steering_member").await;
    let path = format!("/api/v1/gaps/{}/reject", gap["id"]);
    let body = json!({"meeting_id": b.meeting, "reason": "Not a county matter"});
    assert_problem(
        app.post_if_match(&path, &token, None, &body).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.post_if_match(&path, &token, Some(1), &body).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let rejected = take_step(&app, "steering_member", &gap, "reject", &body).await;
    assert_eq!(rejected["stage"], "rejected");
    assert_eq!(rejected["decisions"].as_array().map(Vec::len), Some(1));
    assert_eq!(rejected["decisions"][0]["outcome"], "rejected");
}

async fn escalating_below_the_threshold_needs_a_justification(app: TestApp) {
    let manager = app.token("case_manager").await;
    let gap = GapBuilder::new(&app)
        .with_body(new_gap("One position", &[]))
        .create()
        .await;
    // A second report from the same position does not count twice.
    let gap = add_report(&app, &manager, &gap).await;
    assert_eq!(gap["report_count"], 2);
    assert_eq!(gap["reporting_positions"], 1);
    let refused = assert_problem(
        try_step(&app, "cm_coordinator", &gap, "escalate", &json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&refused), vec!["reason"]);
    assert!(refused["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("1 position(s), fewer than 2"));
    let escalated = take_step(
        &app,
        "cm_coordinator",
        &gap,
        "escalate",
        &json!({"reason": "Every family with a Duldung is affected"}),
    )
    .await;
    assert_eq!(escalated["stage"], "escalated");
    let entry = escalated["history"]
        .as_array()
        .and_then(|h| h.last())
        .cloned()
        .expect("entry");
    assert_eq!(entry["comment"], "Every family with a Duldung is affected");
    assert_eq!(entry["payload"]["reporting_positions"], 1);
    assert_eq!(entry["payload"]["threshold"], 2);
}

async fn merging_moves_the_reports_and_keeps_both_histories(app: TestApp) {
    let f = fixture(&app).await;
    let survivor = GapBuilder::new(&app)
        .with_body(new_gap("Survivor", &[]))
        .create()
        .await;
    let duplicate = GapBuilder::new(&app)
        .reported_by(COLLEAGUE)
        .with_body(new_gap("Duplicate", &[]))
        .create()
        .await;
    let merged = take_step(
        &app,
        "cm_coordinator",
        &duplicate,
        "merge",
        &json!({"merge_into": survivor["id"], "comment": "Same problem"}),
    )
    .await;
    assert_eq!(merged["stage"], "merged");
    assert_eq!(merged["merged_into_id"], survivor["id"]);
    assert_eq!(merged["report_count"], 0);
    assert_eq!(history_steps(&merged), vec!["report", "merge"]);
    let survivor = app.get_json(&gap_path(&survivor), &f.manager).await;
    assert_eq!(survivor["report_count"], 2);
    assert_eq!(survivor["reporting_positions"], 2);
    assert_eq!(history_steps(&survivor), vec!["report", "merge_in"]);
    assert_eq!(
        survivor["history"][1]["payload"]["merged_gap_id"],
        merged["id"]
    );
    // The merged gap takes no reports and no steps; it points to the survivor.
    let refused = assert_problem(
        app.post(
            &format!("/api/v1/gaps/{}/reports", merged["id"]),
            &f.manager,
            &json!({"text": "x"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(refused["detail"]
        .as_str()
        .unwrap_or_default()
        .contains(&format!("merged into gap {}", survivor["id"])));
    assert_problem(
        try_step(
            &app,
            "cm_coordinator",
            &merged,
            "escalate",
            &json!({"reason": "x"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    // Nothing merges into a final gap.
    let third = GapBuilder::new(&app)
        .with_body(new_gap("Third", &[]))
        .create()
        .await;
    let refused = assert_problem(
        try_step(
            &app,
            "cm_coordinator",
            &third,
            "merge",
            &json!({"merge_into": merged["id"]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&refused), vec!["merge_into"]);
    assert_eq!(
        refused["errors"][0]["message"],
        format!("gap {} is 'merged'; merge into an open gap", merged["id"])
    );
}

async fn send_back_and_reopen_loops(app: TestApp) {
    let f = fixture(&app).await;
    let b = bodies(&app).await;
    let gap = mandated_gap(&app, &b).await;
    let gap = take_step(
        &app,
        "project_group_member",
        &gap,
        "solutions",
        &solutions(),
    )
    .await;
    let sent_back = take_step(
        &app,
        "steering_member",
        &gap,
        "send-back",
        &json!({"meeting_id": b.meeting, "reason": "Too expensive"}),
    )
    .await;
    assert_eq!(sent_back["stage"], "mandated");
    assert!(sent_back["solutions"]
        .as_array()
        .expect("solutions")
        .iter()
        .all(|s| s["accepted"] == false));
    // Declined solutions cannot be accepted later.
    let gap = take_step(&app, "project_group_member", &sent_back, "solutions", &json!({"solutions": [{"text": "Cheaper", "responsible_actors": "Jugendamt", "estimate": "None"}]})).await;
    let old = sent_back["solutions"][0]["id"].clone();
    let refused = assert_problem(
        try_step(
            &app,
            "steering_member",
            &gap,
            "decide",
            &json!({"meeting_id": b.meeting, "accepted_solution_ids": [old], "publicity": "none"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&refused), vec!["accepted_solution_ids"]);
    assert_eq!(
        refused["errors"],
        json!([{"field": "accepted_solution_ids", "kind": "rule",
            "message": format!("{old} is not a proposed, undecided solution of this gap")}])
    );
    let new = gap["solutions"][2]["id"].clone();
    let gap = take_step(
        &app,
        "steering_member",
        &gap,
        "decide",
        &json!({"meeting_id": b.meeting, "accepted_solution_ids": [new], "publicity": "none"}),
    )
    .await;
    let gap = take_step(&app, "cm_coordinator", &gap, "communicate", &json!({})).await;
    let gap = take_step(&app, "case_manager", &gap, "acknowledge", &json!({})).await;
    let again = assert_problem(
        try_step(&app, "case_manager", &gap, "acknowledge", &json!({})).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(
        again["detail"],
        "you have already acknowledged these solutions"
    );
    assert!(
        again["type"]
            .as_str()
            .unwrap_or_default()
            .ends_with("/conflict"),
        "{again}"
    );
    // Reopening needs negative feedback.
    let refused = assert_problem(
        try_step(
            &app,
            "cm_coordinator",
            &gap,
            "reopen",
            &json!({"reason": "Does not work"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(refused["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("partly_effective or not_effective"));
    let feedback = app
        .post(
            &format!("/api/v1/gaps/{}/feedback", gap["id"]),
            &f.colleague,
            &json!({"rating": "not_effective", "text": "No places in Windeck"}),
        )
        .await;
    assert_eq!(feedback.status(), StatusCode::OK);
    let gap = app.get_json(&gap_path(&gap), &f.manager).await;
    let reopened = take_step(
        &app,
        "cm_coordinator",
        &gap,
        "reopen",
        &json!({"reason": "Does not work in rural areas"}),
    )
    .await;
    assert_eq!(reopened["stage"], "with_steering_group");
    assert_eq!(
        history_steps(&reopened),
        vec![
            "report",
            "report",
            "escalate",
            "forward",
            "mandate",
            "propose",
            "send_back",
            "propose",
            "decide",
            "communicate",
            "acknowledge",
            "feedback",
            "reopen"
        ]
    );
    let decisions: Vec<&str> = reopened["decisions"]
        .as_array()
        .expect("decisions")
        .iter()
        .filter_map(|d| d["outcome"].as_str())
        .collect();
    assert_eq!(
        decisions,
        vec!["mandated", "sent_back", "solutions_accepted"]
    );
    // Back with the steering group, which can mandate again.
    let again = take_step(&app, "steering_member", &reopened, "mandate", &json!({"meeting_id": b.meeting,
        "project_group_ids": [b.troisdorf_group], "mandate": "Rural variant", "due_on": "2099-06-30"})).await;
    assert_eq!(again["mandates"].as_array().map(Vec::len), Some(2));
}

async fn only_members_of_a_mandated_group_propose(app: TestApp) {
    // The fixture adds the colleague (`COLLEAGUE`) who reports the gap a second time.
    fixture(&app).await;
    let b = bodies(&app).await;
    let gap = forwarded_gap(&app)
        .with_body(new_gap("Troisdorf only", &[]))
        .step("mandate", "steering_member", json!({"meeting_id": b.meeting,
            "project_group_ids": [b.troisdorf_group], "mandate": "Local answer", "due_on": "2099-01-31"}))
        .create()
        .await;
    // The demo project group member belongs to the Kita group, not to the Troisdorf group.
    let refused = assert_problem(
        try_step(
            &app,
            "project_group_member",
            &gap,
            "solutions",
            &solutions(),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert!(refused["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("mandated"));
    assert!(tasks_about(
        &app,
        "project_group_member",
        gap["id"].as_i64().expect("id")
    )
    .await
    .is_empty());
    let missing = mandated_gap(&app, &b).await;
    let refused = assert_problem(
        try_step(
            &app,
            "project_group_member",
            &missing,
            "solutions",
            &json!({"solutions": []}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&refused), vec!["solutions"]);
    let blank = assert_problem(
        try_step(
            &app,
            "project_group_member",
            &missing,
            "solutions",
            &json!({"solutions": [{"text": " ", "responsible_actors": "x", "estimate": "y"}]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&blank), vec!["solutions[0].text"]);
}

async fn only_members_of_the_steering_group_take_its_decisions(app: TestApp) {
    // The fixture adds the colleague (`COLLEAGUE`) who reports the gap a second time.
    fixture(&app).await;
    let b = bodies(&app).await;
    let manager = app.token("case_manager").await;
    let gap = forwarded_gap(&app)
        .with_body(new_gap("Decided by members", &[]))
        .create()
        .await;
    // A steering member who is not a member of the steering group body: the role alone does
    // not make the decision theirs.
    app.add_user("steering_member_2", kim_domain::Role::SteeringMember);
    let mandate = json!({"meeting_id": b.meeting, "project_group_ids": [b.kita_group],
        "mandate": "Fast track for daycare places", "due_on": "2099-01-31"});
    let reject = json!({"meeting_id": b.meeting, "reason": "Not ours"});
    for (name, body) in [("mandate", &mandate), ("reject", &reject)] {
        let refused = assert_problem(
            try_step(&app, "steering_member_2", &gap, name, body).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert!(
            refused["detail"]
                .as_str()
                .unwrap_or_default()
                .contains("steering group"),
            "{refused}"
        );
    }
    assert_eq!(
        app.get_json(&gap_path(&gap), &manager).await["stage"],
        "with_steering_group"
    );
    let gap = take_step(&app, "steering_member", &gap, "mandate", &mandate).await;
    assert_eq!(gap["stage"], "mandated");
}

async fn case_links_show_only_as_a_count_to_everyone_but_the_reporter(app: TestApp) {
    let f = fixture(&app).await;
    // Another case manager's case cannot be linked; nor a case that does not exist.
    for case in [f.other_case_id, 999999] {
        let refused = assert_problem(
            app.post("/api/v1/gaps", &f.manager, &new_gap("Leak?", &[case]))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(error_fields(&refused), vec!["report.case_ids"]);
    }
    let gap = GapBuilder::new(&app)
        .with_body(new_gap("Linked", &[f.case_id]))
        .create()
        .await;
    assert_eq!(gap["reports"][0]["case_ids"], json!([f.case_id]));
    assert_eq!(gap["reports"][0]["linked_case_count"], 1);
    assert!(audit_actions(&app, &f.reference).contains(&"gap_report.create".to_owned()));
    let id = gap["id"].as_i64().expect("id");
    let refused = assert_problem(
        app.post(
            &format!("/api/v1/gaps/{id}/reports"),
            &f.colleague,
            &json!({"text": "Mine too", "case_ids": [f.case_id]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(error_fields(&refused), vec!["case_ids"]);
    for role in [
        "cm_coordinator",
        "ki_lead",
        "coordinator",
        "steering_member",
        "project_group_member",
        "analyst",
    ] {
        let token = app.token(role).await;
        for path in [
            format!("/api/v1/gaps/{id}"),
            "/api/v1/gaps?limit=200".into(),
        ] {
            let text = app.get(&path, &token).await.text().await.expect("text");
            assert!(!text.contains("case_ids"), "{role} {path}");
            assert!(!text.contains(&f.reference), "{role} {path}");
        }
        assert_eq!(
            app.get_json(&format!("/api/v1/gaps/{id}"), &token).await["reports"][0]
                ["linked_case_count"],
            1
        );
    }
    let seen_by_colleague = app
        .get_json(&format!("/api/v1/gaps/{id}"), &f.colleague)
        .await;
    assert!(seen_by_colleague["reports"][0].get("case_ids").is_none());
}

async fn lists_filter_and_the_pipeline_counts(app: TestApp) {
    // The fixture adds the colleague (`COLLEAGUE`) who reports the gap a second time.
    fixture(&app).await;
    let b = bodies(&app).await;
    let gap = mandated_gap(&app, &b).await;
    let token = app.token("analyst").await;
    let list = |query: &str| format!("/api/v1/gaps?{query}");
    let ids = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|g| g["id"].as_i64())
            .collect()
    };
    let mandated: Value = app.get_json(&list("stage=mandated"), &token).await;
    assert!(ids(&mandated).contains(&gap["id"].as_i64().expect("id")));
    assert!(mandated["items"]
        .as_array()
        .expect("items")
        .iter()
        .all(|g| g["stage"] == "mandated"));
    let by_group: Value = app
        .get_json(&list(&format!("project_group_id={}", b.kita_group)), &token)
        .await;
    assert!(ids(&by_group).contains(&gap["id"].as_i64().expect("id")));
    let by_other: Value = app
        .get_json(
            &list(&format!("project_group_id={}", b.troisdorf_group)),
            &token,
        )
        .await;
    assert!(!ids(&by_other).contains(&gap["id"].as_i64().expect("id")));
    let topic: Value = app.get_json(&list("topic=housing"), &token).await;
    assert_eq!(topic["total"], 0);
    let future: Value = app
        .get_json(&list("reported_from=2099-01-01"), &token)
        .await;
    assert_eq!(future["total"], 0);
    let several: Value = app
        .get_json(&list("stage=reported,mandated&limit=1"), &token)
        .await;
    assert_eq!(several["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(several["next"], 1);
    for bad in [
        "stage=nowhere",
        "limit=0",
        "reported_from=2026-02-01&reported_to=2026-01-01",
    ] {
        assert_problem(
            app.get(&list(bad), &token).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let pipeline: Value = app.get_json("/api/v1/gaps/pipeline", &token).await;
    let stages = pipeline["stages"].as_array().expect("stages");
    assert_eq!(stages.len(), 12);
    let all: Value = app.get_json(&list("limit=200"), &token).await;
    let counted: i64 = stages.iter().filter_map(|s| s["count"].as_i64()).sum();
    assert_eq!(counted, all["total"].as_i64().expect("total"));
    let stage = |name: &str| {
        stages
            .iter()
            .find(|s| s["stage"] == name)
            .cloned()
            .expect("stage")
    };
    let mandated_now = mandated["total"].as_i64().expect("total");
    assert_eq!(stage("mandated")["count"], mandated_now);
    assert!(stage("reported")["median_days"].is_number());
    assert!(stage("escalated")["stays"].as_u64().unwrap_or_default() >= 1);
    assert!(stage("closed")["median_days"].is_null());
}

async fn gaps_need_a_token_and_a_reading_role(app: TestApp) {
    let manager = app.token("case_manager").await;
    let gap = GapBuilder::new(&app)
        .with_body(new_gap("Access", &[]))
        .create()
        .await;
    let id = gap["id"].as_i64().expect("id");
    for path in [
        format!("/api/v1/gaps/{id}"),
        "/api/v1/gaps".into(),
        "/api/v1/gaps/pipeline".into(),
    ] {
        assert_problem(
            app.request(Method::GET, &path, None)
                .send()
                .await
                .expect("send"),
            StatusCode::UNAUTHORIZED,
        )
        .await;
        for role in ["admin", "immigration_officer", "data_protection_officer"] {
            let token = app.token(role).await;
            assert_problem(app.get(&path, &token).await, StatusCode::FORBIDDEN).await;
        }
    }
    assert_problem(
        app.get("/api/v1/gaps/999999", &manager).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        try_step(
            &app,
            "cm_coordinator",
            &json!({"id": 999999, "version": 1}),
            "escalate",
            &json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    for role in ["cm_coordinator", "steering_member", "analyst"] {
        let token = app.token(role).await;
        assert_problem(
            app.post("/api/v1/gaps", &token, &new_gap("Not mine to report", &[]))
                .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.post(
                &format!("/api/v1/gaps/{id}/reports"),
                &token,
                &json!({"text": "x"}),
            )
            .await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_problem(
            app.get("/api/v1/me/solutions", &token).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let partner = app
        .request(Method::GET, "/api/v1/gaps", Some("kimp_not_a_real_token"))
        .send()
        .await
        .expect("send");
    assert_problem(partner, StatusCode::UNAUTHORIZED).await;
}

/// `KIM_GAP_ESCALATION_THRESHOLD` raises the number of distinct positions needed.
mod configured_threshold {
    use kim_store::Backend;

    use super::*;

    async fn three_positions_are_needed(app: TestApp) {
        let f = fixture(&app).await;
        let gap = GapBuilder::new(&app)
            .with_body(new_gap("Two positions", &[]))
            .create()
            .await;
        let gap = add_report(&app, &f.colleague, &gap).await;
        assert_eq!(gap["reporting_positions"], 2);
        let refused = assert_problem(
            try_step(&app, "cm_coordinator", &gap, "escalate", &json!({})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        let message = refused["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("2 position(s), fewer than 3"), "{message}");
    }

    const THREE: &[(&str, &str)] = &[("KIM_GAP_ESCALATION_THRESHOLD", "3")];

    #[actix_web::test]
    async fn sqlite() {
        let app = TestApp::spawn_with(Backend::Sqlite, THREE)
            .await
            .expect("SQLite is always available");
        three_positions_are_needed(app).await;
    }

    #[actix_web::test]
    async fn postgres() {
        let Some(app) = TestApp::spawn_with(Backend::Postgres, THREE).await else {
            eprintln!("skipped: KIM_TEST_POSTGRES_URL is not set");
            return;
        };
        three_positions_are_needed(app).await;
    }
}

/// Issue 10 item 8: a reporter's name follows the rule for a position holder's name: shown to
/// admin, ki_lead and coordinator (see_holder_names) and to the reporter, to nobody else —
/// in the gap, in a step's answer and in the answer to another report.
async fn reporter_names_show_only_to_who_may_see_staff_names(app: TestApp) {
    let f = fixture(&app).await;
    let gap = GapBuilder::new(&app)
        .with_body(new_gap("Names", &[]))
        .create()
        .await;
    let id = gap["id"].as_i64().expect("id");
    assert_eq!(gap["reports"][0]["reporter_name"], "Demo Case Manager");
    let with_second = add_report(&app, &f.colleague, &gap).await;
    let names = |gap: &Value| -> Vec<Value> {
        gap["reports"]
            .as_array()
            .expect("reports")
            .iter()
            .map(|r| r["reporter_name"].clone())
            .collect()
    };
    // The colleague sees their own name, not the first reporter's.
    assert_eq!(
        names(&with_second),
        vec![Value::Null, json!("Test user case_manager_2")]
    );
    assert_eq!(
        names(
            &app.get_json(&format!("/api/v1/gaps/{id}"), &f.manager)
                .await
        ),
        vec![json!("Demo Case Manager"), Value::Null]
    );
    for role in ["ki_lead", "coordinator"] {
        let token = app.token(role).await;
        assert_eq!(
            names(&app.get_json(&format!("/api/v1/gaps/{id}"), &token).await),
            vec![
                json!("Demo Case Manager"),
                json!("Test user case_manager_2")
            ],
            "{role}"
        );
    }
    for role in [
        "cm_coordinator",
        "steering_member",
        "project_group_member",
        "analyst",
    ] {
        let token = app.token(role).await;
        let read = app.get_json(&format!("/api/v1/gaps/{id}"), &token).await;
        assert_eq!(names(&read), vec![Value::Null, Value::Null], "{role}");
        // The work stays visible: who reported (by id), from which position, what.
        assert!(read["reports"][0]["reported_by"].is_i64(), "{role}");
        assert_eq!(read["reports"][1]["text"], "Same here");
        let text = app
            .get(&format!("/api/v1/gaps/{id}"), &token)
            .await
            .text()
            .await
            .expect("text");
        assert!(
            !text.contains("Demo Case Manager") && !text.contains("Test user"),
            "{role}: {text}"
        );
    }
    // A step's answer follows the same rule.
    let current = app
        .get_json(&format!("/api/v1/gaps/{id}"), &f.manager)
        .await;
    let escalated = take_step(
        &app,
        "cm_coordinator",
        &current,
        "escalate",
        &json!({"reason": "Same gap in two offices"}),
    )
    .await;
    assert_eq!(names(&escalated), vec![Value::Null, Value::Null]);
}
