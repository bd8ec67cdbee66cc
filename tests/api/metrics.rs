//! Prometheus metrics (issue 14 item 5): served only on the `KIM_METRICS_BIND` listener, in the
//! text exposition format, labelled by route template (never by path), and not audited.

use std::collections::BTreeMap;

use kim_tests::{assert_problem, Method, StatusCode, TestApp, PASSWORD};

/// A free port for the metrics listener of each test server.
const METRICS_ON: (&str, &str) = ("KIM_METRICS_BIND", "127.0.0.1:0");

mod served {
    use super::*;
    kim_tests::backend_tests_with!(&[super::METRICS_ON];
        every_family_is_served_on_the_metrics_address,
        routes_are_labelled_by_template_never_by_path,
        the_api_port_does_not_serve_them,
    );
}

mod not_configured {
    use super::*;
    kim_tests::backend_tests!(nothing_is_served_without_an_address);
}

mod full_password_queue {
    use super::*;
    kim_tests::backend_tests_with!(&[super::METRICS_ON, ("KIM_PASSWORD_QUEUE", "1")];
        refused_logins_are_counted,
    );
}

/// One sample of the exposition: `name{label="value",…} value`.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The scraped text: the type of each family and its samples.
struct Scrape {
    types: BTreeMap<String, String>,
    samples: Vec<Sample>,
}

impl Scrape {
    fn parse(text: &str) -> Scrape {
        let mut types = BTreeMap::new();
        let mut samples = Vec::new();
        for line in text.lines() {
            if let Some(declaration) = line.strip_prefix("# TYPE ") {
                let (name, kind) = declaration.split_once(' ').expect("# TYPE name kind");
                types.insert(name.to_owned(), kind.to_owned());
            } else if !line.starts_with('#') && !line.trim().is_empty() {
                samples.push(parse_sample(line));
            }
        }
        Scrape { types, samples }
    }

    /// The value of the one sample of `name` whose labels include `labels`.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let matching: Vec<&Sample> = self
            .samples
            .iter()
            .filter(|s| {
                s.name == name
                    && labels
                        .iter()
                        .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .collect();
        assert!(matching.len() <= 1, "{name} {labels:?}: {matching:?}");
        matching.first().map(|s| s.value)
    }

    /// The values a label takes in `name`'s samples.
    fn label_values(&self, name: &str, label: &str) -> Vec<String> {
        let mut values: Vec<String> = self
            .samples
            .iter()
            .filter(|s| s.name == name)
            .filter_map(|s| s.labels.get(label).cloned())
            .collect();
        values.sort();
        values.dedup();
        values
    }
}

fn parse_sample(line: &str) -> Sample {
    let (name, rest) = match line.find(['{', ' ']) {
        Some(at) => line.split_at(at),
        None => panic!("not a sample: {line}"),
    };
    let mut labels = BTreeMap::new();
    let mut rest = rest;
    if let Some(inner) = rest.strip_prefix('{') {
        let mut chars = inner.char_indices();
        let mut key = String::new();
        let end = loop {
            let (at, c) = chars.next().expect("unterminated labels");
            match c {
                '}' => break at,
                ',' => {}
                '=' => {
                    assert_eq!(chars.next().map(|(_, c)| c), Some('"'), "{line}");
                    let mut value = String::new();
                    loop {
                        match chars.next().expect("unterminated value").1 {
                            '"' => break,
                            '\\' => match chars.next().expect("escape").1 {
                                'n' => value.push('\n'),
                                other => value.push(other),
                            },
                            c => value.push(c),
                        }
                    }
                    labels.insert(std::mem::take(&mut key), value);
                }
                c => key.push(c),
            }
        };
        rest = &inner[end + 1..];
    }
    let value = rest
        .trim()
        .parse::<f64>()
        .unwrap_or_else(|_| panic!("value of {line}"));
    Sample {
        name: name.to_owned(),
        labels,
        value,
    }
}

async fn scrape(app: &TestApp) -> Scrape {
    let base = app
        .metrics_base
        .as_deref()
        .expect("the test server has a metrics listener");
    let response = app
        .client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "Prometheus text format, got {content_type}"
    );
    Scrape::parse(&response.text().await.expect("text"))
}

fn audit_event_count(app: &TestApp) -> i64 {
    let mut conn = app.pool.get().expect("connection");
    kim_store::audit::list(
        &mut conn,
        &kim_store::audit::AuditFilter::default(),
        kim_domain::paging::PageRequest {
            limit: 1,
            offset: 0,
        },
    )
    .expect("audit events")
    .total
}

async fn every_family_is_served_on_the_metrics_address(app: TestApp) {
    let token = app.token("coordinator").await;
    assert_eq!(
        app.get("/api/v1/municipalities", &token).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.client
            .get(app.url("/health/ready"))
            .send()
            .await
            .expect("send")
            .status(),
        StatusCode::OK
    );
    let audited_before = audit_event_count(&app);

    let metrics = scrape(&app).await;

    for (family, kind) in [
        ("kim_http_requests_total", "counter"),
        ("kim_http_request_duration_seconds", "histogram"),
        ("kim_http_requests_in_flight", "gauge"),
        ("kim_db_pool_connections", "gauge"),
        ("kim_db_pool_max_connections", "gauge"),
        ("kim_db_pool_waiting", "gauge"),
        ("kim_db_pool_timeouts_total", "counter"),
        ("kim_database_up", "gauge"),
        ("kim_password_queue_length", "gauge"),
        ("kim_password_queue_capacity", "gauge"),
        ("kim_password_queue_refused_total", "counter"),
        ("kim_audit_appender_queue_length", "gauge"),
        ("kim_audit_appender_queue_capacity", "gauge"),
        ("kim_audit_appender_refused_total", "counter"),
        ("kim_audit_appender_failed_batches_total", "counter"),
        ("kim_webhook_deliveries_pending", "gauge"),
    ] {
        assert_eq!(
            metrics.types.get(family).map(String::as_str),
            Some(kind),
            "family {family}"
        );
    }

    // The requests made above, each once, counted and timed alike.
    for (method, route, status) in [
        ("POST", "/api/v1/auth/login", "200"),
        ("GET", "/api/v1/municipalities", "200"),
        ("GET", "/health/ready", "200"),
    ] {
        let labels = [("method", method), ("route", route), ("status", status)];
        assert_eq!(
            metrics.value("kim_http_requests_total", &labels),
            Some(1.0),
            "{labels:?}"
        );
        assert_eq!(
            metrics.value("kim_http_request_duration_seconds_count", &labels),
            Some(1.0)
        );
        let labels_le = [labels[0], labels[1], labels[2], ("le", "+Inf")];
        assert_eq!(
            metrics.value("kim_http_request_duration_seconds_bucket", &labels_le),
            Some(1.0)
        );
    }
    // The login hashed a password: its time is in the histogram's sum.
    let login_seconds = metrics
        .value(
            "kim_http_request_duration_seconds_sum",
            &[("route", "/api/v1/auth/login")],
        )
        .expect("login timed");
    assert!(login_seconds > 0.0);

    // The pools by name: SQLite's single writer beside its readers, PostgreSQL's one pool
    // (the test servers are configured with four connections).
    let pools = metrics.label_values("kim_db_pool_max_connections", "pool");
    let expected: &[(&str, f64)] = match app.backend {
        kim_store::Backend::Sqlite => &[("reader", 4.0), ("writer", 1.0)],
        kim_store::Backend::Postgres => &[("shared", 4.0)],
    };
    assert_eq!(
        pools,
        expected
            .iter()
            .map(|(p, _)| p.to_string())
            .collect::<Vec<_>>()
    );
    for (pool, max) in expected {
        assert_eq!(
            metrics.value("kim_db_pool_max_connections", &[("pool", pool)]),
            Some(*max)
        );
        // Between requests nobody waits and nothing timed out.
        assert_eq!(
            metrics.value("kim_db_pool_waiting", &[("pool", pool)]),
            Some(0.0)
        );
        assert_eq!(
            metrics.value("kim_db_pool_timeouts_total", &[("pool", pool)]),
            Some(0.0)
        );
        for state in ["in_use", "idle"] {
            assert!(
                metrics
                    .value(
                        "kim_db_pool_connections",
                        &[("pool", pool), ("state", state)]
                    )
                    .is_some(),
                "{pool} {state}"
            );
        }
    }
    assert_eq!(metrics.value("kim_database_up", &[]), Some(1.0));
    assert_eq!(
        metrics.value("kim_password_queue_capacity", &[]),
        Some(32.0),
        "KIM_PASSWORD_QUEUE's default"
    );
    assert_eq!(metrics.value("kim_password_queue_length", &[]), Some(0.0));
    assert_eq!(
        metrics.value("kim_audit_appender_queue_length", &[]),
        Some(0.0)
    );

    // Scraping reads no personal data and leaves no audit event.
    assert_eq!(audit_event_count(&app), audited_before);
}

async fn routes_are_labelled_by_template_never_by_path(app: TestApp) {
    let token = app.token("case_manager").await;
    let case = app.get("/api/v1/cases/123", &token).await.status();
    let unknown = app.get("/api/v1/no-such-thing/4711", &token).await.status();
    assert_eq!(unknown, StatusCode::NOT_FOUND);
    let invented = app
        .request(
            Method::from_bytes(b"FROBNICATE").expect("method"),
            "/api/v1/cases/123",
            Some(&token),
        )
        .send()
        .await
        .expect("send")
        .status();

    let metrics = scrape(&app).await;

    assert_eq!(
        metrics.value(
            "kim_http_requests_total",
            &[
                ("method", "GET"),
                ("route", "/api/v1/cases/{id}"),
                ("status", case.as_str()),
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        metrics.value(
            "kim_http_requests_total",
            &[("method", "GET"), ("route", "unmatched"), ("status", "404")]
        ),
        Some(1.0)
    );
    // A method a client invents is one label for all of them, not a series of its own.
    assert_eq!(
        metrics.value(
            "kim_http_requests_total",
            &[
                ("method", "other"),
                ("route", "/api/v1/cases/{id}"),
                ("status", invented.as_str()),
            ]
        ),
        Some(1.0)
    );
    let routes = metrics.label_values("kim_http_requests_total", "route");
    for route in &routes {
        assert!(
            route == "unmatched"
                || (route.starts_with('/')
                    && !route
                        .split('/')
                        .any(|segment| segment.chars().all(|c| c.is_ascii_digit())
                            && !segment.is_empty())),
            "a route label is a template, not a path: {route}"
        );
    }
    for sample in &metrics.samples {
        for value in sample.labels.values() {
            assert!(
                !value.contains("123") && !value.contains("4711"),
                "an id from a path in a label: {sample:?}"
            );
        }
    }
}

async fn the_api_port_does_not_serve_them(app: TestApp) {
    let token = app.token("admin").await;
    for path in ["/metrics", "/api/v1/metrics"] {
        let response = app.get(path, &token).await;
        assert!(
            matches!(
                response.status(),
                StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
            ),
            "{path}: {}",
            response.status()
        );
        let body = response.text().await.expect("text");
        assert!(!body.contains("kim_http_requests_total"), "{path}: {body}");
    }
    // Nor does the metrics listener serve the API.
    let base = app.metrics_base.as_deref().expect("metrics listener");
    let response = app
        .client
        .get(format!("{base}/api/v1/auth/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    // And the metrics are no operation of the API contract.
    let document = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../openapi/openapi.json"
    ))
    .expect("openapi.json");
    assert!(!document.contains("/metrics"));
}

async fn nothing_is_served_without_an_address(app: TestApp) {
    assert!(
        app.metrics_base.is_none(),
        "no metrics listener without KIM_METRICS_BIND"
    );
    let token = app.token("admin").await;
    // The server counts requests all the same; nothing of it shows on the API's port.
    let response = app.get("/metrics", &token).await;
    let problem = assert_problem(response, StatusCode::NOT_FOUND).await;
    assert!(!problem.to_string().contains("kim_http"));
}

async fn refused_logins_are_counted(app: TestApp) {
    // One password check at a time, none waiting: concurrent logins beyond it are refused.
    let attempts = futures_util::future::join_all((0..16).map(|_| {
        app.request(Method::POST, "/api/v1/auth/login", None)
            .json(&serde_json::json!({"username": "analyst", "password": PASSWORD}))
            .send()
    }))
    .await;
    let statuses: Vec<StatusCode> = attempts
        .into_iter()
        .map(|r| r.expect("send").status())
        .collect();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    let admitted = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(refused + admitted, statuses.len(), "{statuses:?}");
    assert!(refused > 0, "16 logins at once through a queue of one");

    let metrics = scrape(&app).await;
    assert_eq!(
        metrics.value("kim_password_queue_refused_total", &[]),
        Some(refused as f64)
    );
    assert_eq!(metrics.value("kim_password_queue_capacity", &[]), Some(1.0));
    assert_eq!(metrics.value("kim_password_queue_length", &[]), Some(0.0));
    let login = |status: &'static str| {
        metrics.value(
            "kim_http_requests_total",
            &[
                ("method", "POST"),
                ("route", "/api/v1/auth/login"),
                ("status", status),
            ],
        )
    };
    assert_eq!(login("503"), Some(refused as f64));
    assert_eq!(login("200"), Some(admitted as f64));
}
