//! No N+1 (issue 13 item 3): the store reads behind `/me/cases`, `/cases`, `/clients`, the
//! goals of `/me/tasks` and the referral lists take the same number of queries for a page of 5
//! as for a page of 30, counted with diesel's instrumentation on the connection; on SQLite the
//! referral lists of a case manager and a partner read no referral but through an index.

use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};

use diesel::connection::{Connection, InstrumentationEvent};
use diesel::RunQueryDsl;
use kim_domain::access::CaseScope;
use kim_domain::access::ReferralScope;
use kim_domain::consent::{ConsentPurpose, DataCategory, NewConsent};
use kim_domain::paging::PageRequest;
use kim_domain::referral::{ReferralStatus, ReferralTransition};
use kim_store::audit::Actor;
use kim_store::cases::{self, CaseFilter, CaseSort};
use kim_store::clients::{self, ClientFilter, ClientScope};
use kim_store::referrals::{self, ReferralData, ReferralFilter};
use kim_store::{consents, goals, DbConn, StoreError};
use kim_tests::{backend_tests, TestApp, PASSWORD};

backend_tests!(
    list_pages_take_a_fixed_number_of_queries,
    an_assignees_pages_merge_both_roles_in_order,
    referral_pages_take_a_fixed_number_of_queries,
    referral_lists_read_referrals_through_indexes,
);

/// Counts the statements `f` sends over `conn`.
fn queries<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> T) -> (usize, T) {
    let (statements, value) = statements(conn, f);
    (statements.len(), value)
}

/// The statements `f` sends over `conn`, as diesel shows them (`<sql> -- binds: [...]`).
fn statements<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> T) -> (Vec<String>, T) {
    let sent = Arc::new(Mutex::new(Vec::new()));
    let log = sent.clone();
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            if let Ok(mut log) = log.lock() {
                log.push(query.to_string());
            }
        }
    });
    let value = f(conn);
    conn.set_instrumentation(|_: InstrumentationEvent<'_>| {});
    let sent = sent.lock().map(|s| s.clone()).unwrap_or_default();
    (sent, value)
}

fn page(limit: i64) -> PageRequest {
    PageRequest { limit, offset: 0 }
}

async fn list_pages_take_a_fixed_number_of_queries(app: TestApp) {
    let mut conn = app.pool.get().expect("connection");
    let hash = kim_api::auth::password::hash(PASSWORD).expect("hash");
    kim_api::seed::demo(&mut conn, &hash).expect("demo cases");
    let me = kim_store::users::find_by_username(&mut conn, "case_manager")
        .expect("query")
        .expect("demo case manager")
        .id;
    let open = CaseFilter {
        open: true,
        ..CaseFilter::default()
    };
    let mut counts = Vec::new();
    for limit in [5, 30] {
        // /me/cases
        let (my_cases, listed) = queries(&mut conn, |c| {
            cases::list(
                c,
                CaseScope::Assigned(me),
                &open,
                CaseSort::StatusSince,
                true,
                page(limit),
            )
        });
        let listed = listed.expect("my cases");
        assert_eq!(listed.items.len() as i64, limit.min(listed.total));
        // /cases as the CM coordination
        let (all_cases, listed_all) = queries(&mut conn, |c| {
            cases::list(
                c,
                CaseScope::All,
                &CaseFilter::default(),
                CaseSort::OpenedOn,
                true,
                page(limit),
            )
        });
        assert_eq!(listed_all.expect("cases").items.len() as i64, limit);
        // /clients: the page and the household links of all its clients
        let (client_page, clients) = queries(&mut conn, |c| {
            let listed = clients::list(
                c,
                ClientScope::OfUser(me),
                &ClientFilter::default(),
                page(limit),
            )?;
            let ids: Vec<i64> = listed.items.iter().map(|c| c.id).collect();
            clients::links_of(c, &ids).map(|_| listed)
        });
        assert_eq!(clients.expect("clients").items.len() as i64, limit);
        // /me/tasks: the goals of all the open cases shown
        let ids: Vec<i64> = listed.items.iter().map(|c| c.id).collect();
        let (task_goals, _) = queries(&mut conn, |c| goals::of_cases(c, &ids));
        counts.push((my_cases, all_cases, client_page, task_goals));
    }
    assert!(counts[0].0 > 0, "the counter counts: {counts:?}");
    assert_eq!(counts[0], counts[1], "queries for a page of 5 and of 30");
}

/// An assignee's page is merged from two ordered index reads (assigned, deputy): every page,
/// shallow or deep, holds exactly the rows the plain `assigned OR deputy` order gives.
async fn an_assignees_pages_merge_both_roles_in_order(app: TestApp) {
    let mut conn = app.pool.get().expect("connection");
    let hash = kim_api::auth::password::hash(PASSWORD).expect("hash");
    kim_api::seed::demo(&mut conn, &hash).expect("demo cases");
    let me = kim_store::users::find_by_username(&mut conn, "case_manager")
        .expect("query")
        .expect("demo case manager")
        .id;
    let other = app.add_user("cm.other", kim_domain::Role::CaseManager);
    // Hand half of the demo manager's cases to another manager with the demo manager as
    // deputy, so both roles interleave in every order.
    let all = cases::list(
        &mut conn,
        CaseScope::Assigned(me),
        &CaseFilter::default(),
        CaseSort::Id,
        false,
        PageRequest {
            limit: 200,
            offset: 0,
        },
    )
    .expect("cases");
    assert!(all.total >= 10, "the demo manager has cases: {}", all.total);
    for case in all.items.iter().step_by(2) {
        diesel::sql_query(format!(
            "UPDATE cases SET assigned_user_id = {other}, deputy_user_id = {me} WHERE id = {}",
            case.id
        ))
        .execute(&mut conn)
        .expect("reassign");
    }
    for (sort, descending) in [
        (CaseSort::StatusSince, true),
        (CaseSort::OpenedOn, false),
        (CaseSort::OpenedOn, true),
        (CaseSort::Id, true),
    ] {
        for filter in [
            CaseFilter::default(),
            CaseFilter {
                open: true,
                ..CaseFilter::default()
            },
        ] {
            let whole = cases::list(
                &mut conn,
                CaseScope::Assigned(me),
                &filter,
                sort,
                descending,
                PageRequest {
                    limit: 200,
                    offset: 0,
                },
            )
            .expect("whole list");
            let expected: Vec<i64> = whole.items.iter().map(|c| c.id).collect();
            let mut paged = Vec::new();
            let mut offset = 0;
            while offset < whole.total {
                let listed = cases::list(
                    &mut conn,
                    CaseScope::Assigned(me),
                    &filter,
                    sort,
                    descending,
                    PageRequest { limit: 3, offset },
                )
                .expect("page");
                assert_eq!(listed.total, whole.total);
                paged.extend(listed.items.iter().map(|c| c.id));
                offset += 3;
            }
            assert_eq!(paged, expected, "{sort:?} descending={descending}");
            let deputised = whole
                .items
                .iter()
                .filter(|c| c.assigned_user_id == other)
                .count();
            assert!(deputised > 0, "deputised cases are listed");
        }
    }
}

/// `count` referrals of the demo case manager's new cases, newest last, each sent to the
/// Jobcenter about a client whose consent releases identity to it; every third client's
/// consent is revoked after sending, so the Jobcenter no longer sees that referral. Returns
/// the case manager's and the Jobcenter's ids.
fn referrals_to_jobcenter(app: &TestApp, count: usize) -> (i64, i64) {
    let me = {
        let mut conn = app.pool.get().expect("connection");
        kim_store::users::find_by_username(&mut conn, "case_manager")
            .expect("query")
            .expect("demo case manager")
            .id
    };
    let jobcenter = {
        let mut conn = app.pool.get().expect("connection");
        kim_store::organisations::find_by_name(&mut conn, crate::referrals::JOBCENTER)
            .expect("query")
            .expect("Jobcenter")
            .id
    };
    let today = Utc::now().date_naive();
    for n in 0..count {
        let fixture = crate::referrals::open_case(app, "case_manager");
        let mut conn = app.pool.get().expect("connection");
        kim_store::connection::transaction(&mut conn, |conn| {
            let consent = consents::insert(
                conn,
                fixture.client_id,
                &NewConsent {
                    recipient_organisation_ids: vec![jobcenter],
                    purposes: vec![ConsentPurpose::Referral],
                    categories: vec![DataCategory::Identity, DataCategory::CaseContent],
                    given_on: today - Duration::days(10),
                    valid_until: None,
                },
                None,
                Some(me),
            )?;
            let draft = referrals::insert(
                conn,
                &Actor::system(),
                fixture.case_id,
                &ReferralData {
                    client_id: fixture.client_id,
                    recipient_organisation_id: jobcenter,
                    offer: None,
                    purpose: format!("Referral {n}"),
                    message: None,
                    shared_categories: vec![DataCategory::Identity, DataCategory::CaseContent],
                    due_on: None,
                },
            )?;
            referrals::transition(
                conn,
                &Actor::system(),
                draft.id,
                draft.version,
                &ReferralTransition {
                    from: ReferralStatus::Draft,
                    to: ReferralStatus::Sent,
                    reason: None,
                    consent_ids: vec![consent.consent.id],
                },
            )?;
            if n % 3 == 2 {
                consents::revoke(conn, fixture.client_id, consent.consent.id, today)?;
            }
            Ok::<_, StoreError>(())
        })
        .expect("referral");
    }
    (me, jobcenter)
}

/// The referral lists of a case manager, of the CM coordination, of a case and of a partner
/// take as many statements for a page of 30 as for a page of 5: the page, its total and what
/// its items show (clients, cases, consents for the partner) are each one query.
async fn referral_pages_take_a_fixed_number_of_queries(app: TestApp) {
    let (me, jobcenter) = referrals_to_jobcenter(&app, 50);
    let mut conn = app.pool.get().expect("connection");
    let today = Utc::now().date_naive();
    let all = ReferralFilter::default();
    let lists = [
        (
            "case manager",
            ReferralScope::OfCases(CaseScope::Assigned(me)),
            50,
        ),
        (
            "CM coordination",
            ReferralScope::OfCases(CaseScope::All),
            50,
        ),
        // Every third referral's consent is revoked: the partner sees 34 of 50.
        ("partner", ReferralScope::SentTo(jobcenter), 34),
    ];
    let mut counts = Vec::new();
    for (who, scope, total) in lists {
        let mut per_page = Vec::new();
        for limit in [5, 30] {
            let (count, listed) = queries(&mut conn, |c| {
                referrals::visible_page(c, scope, &all, today, page(limit))
            });
            let listed = listed.expect("referrals");
            assert_eq!(listed.total, total, "{who}");
            assert_eq!(listed.items.len() as i64, limit, "{who}");
            if matches!(scope, ReferralScope::SentTo(_)) {
                assert!(listed.items.iter().all(|i| !i.consents.is_empty()), "{who}");
            }
            per_page.push(count);
        }
        assert!(per_page[0] > 0, "the counter counts: {who}");
        assert_eq!(
            per_page[0], per_page[1],
            "{who}: statements for 5 and for 30"
        );
        counts.push((who, per_page[0]));
    }
    // The count, the page, its clients and its cases (three queries); the partner's list
    // first reads the consents naming it.
    assert_eq!(
        counts,
        vec![("case manager", 6), ("CM coordination", 6), ("partner", 7)]
    );
}

#[derive(diesel::QueryableByName)]
struct PlanStep {
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

/// On SQLite every statement of a case manager's and a partner's referral list (with and
/// without a status filter) and of a case's list reads through indexes, never by a scan of a
/// table (referrals, cases, consents, clients), as EXPLAIN QUERY PLAN shows for the very statements the store sends,
/// over 3,000 synthetic cases with the planner's statistics gathered (ANALYZE).
async fn referral_lists_read_referrals_through_indexes(app: TestApp) {
    use kim_api::seed::synthetic::{Cursor, Generator, BATCH_CASES};
    if app.backend != kim_store::Backend::Sqlite {
        return;
    }
    let mut conn = app.pool.get().expect("connection");
    let hash = kim_api::auth::password::hash(PASSWORD).expect("hash");
    kim_api::seed::demo(&mut conn, &hash).expect("demo cases");
    kim_api::seed::synthetic_case_managers(&mut conn, &hash, 24).expect("case managers");
    let reference = kim_store::synthetic::reference(&mut conn).expect("reference");
    let today = Utc::now().date_naive();
    let mut generator = Generator::new(7, reference, today).expect("generator");
    for _ in 0..3 {
        kim_store::connection::transaction(&mut conn, |conn| {
            let mut cursor = Cursor::read(conn)?;
            let rows = generator.batch(BATCH_CASES, &mut cursor);
            kim_store::synthetic::insert(conn, &rows)
        })
        .expect("synthetic cases");
    }
    kim_api::seed::synthetic::finish(&mut conn).expect("finish");
    diesel::sql_query("ANALYZE")
        .execute(&mut conn)
        .expect("analyze");
    let me = kim_store::users::find_by_username(&mut conn, "cm-synthetic-01")
        .expect("query")
        .expect("synthetic case manager")
        .id;
    let jobcenter = kim_store::organisations::find_by_name(&mut conn, crate::referrals::JOBCENTER)
        .expect("query")
        .expect("Jobcenter")
        .id;
    let case_id: i64 = referrals::visible_page(
        &mut conn,
        ReferralScope::OfCases(CaseScope::Assigned(me)),
        &ReferralFilter::default(),
        today,
        page(1),
    )
    .expect("referrals")
    .items
    .first()
    .expect("a referral of the case manager")
    .referral
    .case_id;
    let accepted = ReferralFilter {
        status: Some(ReferralStatus::Accepted),
        ..ReferralFilter::default()
    };
    let of_case = ReferralFilter {
        case_id: Some(case_id),
        ..ReferralFilter::default()
    };
    let mine = ReferralScope::OfCases(CaseScope::Assigned(me));
    let partner = ReferralScope::SentTo(jobcenter);
    let lists = [
        ("case manager", mine, ReferralFilter::default()),
        ("case manager, accepted", mine, accepted.clone()),
        ("partner", partner, ReferralFilter::default()),
        ("partner, accepted", partner, accepted),
        ("a case", ReferralScope::OfCases(CaseScope::All), of_case),
    ];
    for (who, scope, filter) in lists {
        let (sent, listed) = statements(&mut conn, |c| {
            referrals::visible_page(c, scope, &filter, today, page(20))
        });
        let listed = listed.expect("referrals");
        assert!(!listed.items.is_empty(), "{who}");
        let mut read = 0;
        for statement in sent {
            let sql = statement.split(" -- binds:").next().expect("the statement");
            if sql.contains("FROM `referrals`") {
                read += 1;
            }
            // Unbound parameters are NULL; the plan is made when the statement is prepared.
            let plan: Vec<String> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
                .load::<PlanStep>(&mut conn)
                .expect("query plan")
                .into_iter()
                .map(|step| step.detail)
                .collect();
            assert!(
                !plan.iter().any(|step| step.starts_with("SCAN ")),
                "{who} scans a table: {sql}\n{plan:#?}"
            );
            if std::env::var("KIM_TEST_SHOW_PLANS").is_ok() {
                eprintln!(
                    "{who} ({} of {}): {sql}\n{plan:#?}",
                    listed.items.len(),
                    listed.total
                );
            }
        }
        assert!(read >= 2, "{who}: the count and the page read referrals");
    }
}
