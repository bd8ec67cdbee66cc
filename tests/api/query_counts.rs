//! No N+1 (issue 13 item 3): the store reads behind `/me/cases`, `/cases`, `/clients` and the
//! goals of `/me/tasks` take the same number of queries for a page of 5 as for a page of 30,
//! counted with diesel's instrumentation on the connection.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use diesel::connection::{Connection, InstrumentationEvent};
use diesel::RunQueryDsl;
use kim_domain::access::CaseScope;
use kim_domain::paging::PageRequest;
use kim_store::cases::{self, CaseFilter, CaseSort};
use kim_store::clients::{self, ClientFilter, ClientScope};
use kim_store::{goals, DbConn};
use kim_tests::{backend_tests, TestApp, PASSWORD};

backend_tests!(
    list_pages_take_a_fixed_number_of_queries,
    an_assignees_pages_merge_both_roles_in_order,
);

/// Counts the statements `f` sends over `conn`.
fn queries<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> T) -> (usize, T) {
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { .. } = event {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let value = f(conn);
    conn.set_instrumentation(|_: InstrumentationEvent<'_>| {});
    (count.load(Ordering::SeqCst), value)
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
