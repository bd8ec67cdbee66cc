//! Login throttling under concurrency (issue 10 item 1): attempts are counted before the
//! password is checked, a locked username refuses the right password, one address meets a
//! limit over many usernames, and unknown usernames do not grow the failure table.

use futures_util::future::join_all;
use kim_tests::{assert_problem, backend_tests, StatusCode, TestApp, MAX_FAILURES, PASSWORD};
use serde_json::Value;

backend_tests!(
    parallel_wrong_guesses_are_judged_at_most_max_failures_times,
    guessing_unknown_usernames_keeps_the_failure_table_bounded,
);

const PARALLEL_GUESSES: usize = 24;

async fn problem_type(response: reqwest::Response, status: StatusCode) -> String {
    let body: Value = assert_problem(response, status).await;
    body["type"].as_str().unwrap_or_default().to_owned()
}

async fn parallel_wrong_guesses_are_judged_at_most_max_failures_times(app: TestApp) {
    let responses = join_all((0..PARALLEL_GUESSES).map(|i| {
        app.login(
            "analyst",
            if i % 2 == 0 {
                "wrong guess A"
            } else {
                "wrong guess B"
            },
        )
    }))
    .await;
    let mut judged = 0;
    let mut locked = 0;
    for response in responses {
        match response.status() {
            StatusCode::UNAUTHORIZED => judged += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(response.headers().contains_key("retry-after"));
                assert!(problem_type(response, StatusCode::TOO_MANY_REQUESTS)
                    .await
                    .ends_with("/login-locked"));
                locked += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(
        judged <= MAX_FAILURES as usize,
        "{judged} of {PARALLEL_GUESSES} parallel guesses were judged; at most {MAX_FAILURES} may be"
    );
    assert_eq!(judged + locked, PARALLEL_GUESSES);
    // The right password while locked: 429 login-locked, not a token.
    let right = app.login("analyst", PASSWORD).await;
    assert!(problem_type(right, StatusCode::TOO_MANY_REQUESTS)
        .await
        .ends_with("/login-locked"));
}

async fn guessing_unknown_usernames_keeps_the_failure_table_bounded(app: TestApp) {
    for i in 0..6 {
        assert_eq!(
            app.login(&format!("no-such-user-{i}"), "whatever")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let mut conn = app.pool.get().expect("connection");
    let keys = kim_store::login_failures::keys(&mut conn).expect("keys");
    assert!(!keys.is_empty());
    // Unknown names are counted under hashed buckets, never under the names themselves.
    assert!(keys.iter().all(|k| k.starts_with("#unknown-")), "{keys:?}");
    assert!(keys.len() <= 6, "{keys:?}");
}

/// A small per-address allowance, to meet the limit.
mod per_address {
    use super::*;

    kim_tests::backend_tests_with!(
        &[("KIM_LOGIN_PER_ADDRESS_PER_MINUTE", "3")];
        a_burst_over_many_usernames_from_one_address_is_rate_limited,
    );

    async fn a_burst_over_many_usernames_from_one_address_is_rate_limited(app: TestApp) {
        for name in ["nobody-a", "nobody-b", "nobody-c"] {
            assert_eq!(
                app.login(name, "guess").await.status(),
                StatusCode::UNAUTHORIZED
            );
        }
        let limited = app.login("coordinator", PASSWORD).await;
        let retry_after: u64 = limited.headers()["retry-after"]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("seconds");
        assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
        assert!(problem_type(limited, StatusCode::TOO_MANY_REQUESTS)
            .await
            .ends_with("/rate-limited"));
        // The token endpoint shares the allowance.
        let token = app
            .request(kim_tests::Method::POST, "/api/v1/auth/token", None)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=password&username=coordinator&password=x")
            .send()
            .await
            .expect("send");
        assert_eq!(token.status(), StatusCode::TOO_MANY_REQUESTS);
        // A refused attempt is not counted against the username.
        let mut conn = app.pool.get().expect("connection");
        let record = kim_store::login_failures::get(&mut conn, "coordinator").expect("record");
        assert_eq!(record.failures, 0);
    }
}
