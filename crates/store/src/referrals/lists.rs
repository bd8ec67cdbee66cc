//! The referral lists: a page of what a caller's scope holds, filtered and paged in SQL, and the
//! work list's referrals waiting on a case manager.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use kim_domain::access::{CaseScope, ReferralFacts, ReferralScope};
use kim_domain::consent::Consent;
use kim_domain::paging::PageRequest;
use kim_domain::referral::{recipient_sees_client, ReferralStatus};

use crate::cases::CaseOutline;
use crate::clients::Client;
use crate::connection::MultiBackend;
use crate::consents::{consent_recipients, consents, ConsentRuleRow};
use crate::error::StoreResult;
use crate::schema::cases;
use crate::{cases as case_store, DbConn, Listed, StoreError};

use super::{referrals, Referral, ReferralRow};

/// Filters of a referral list, within the caller's scope; combined with AND.
#[derive(Debug, Clone, Default)]
pub struct ReferralFilter {
    pub case_id: Option<i64>,
    pub status: Option<ReferralStatus>,
}

/// A referral on a list page, with what showing it takes, loaded for the whole page at once.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedReferral {
    pub referral: Referral,
    /// Who works the referral's case and what the case is about.
    pub case: CaseOutline,
    pub client: Client,
    /// On a recipient's list ([`ReferralScope::SentTo`]): the client's consents naming the
    /// recipient, each with its recipients narrowed to that one (all the rules ask when they
    /// decide for it), from which [`kim_domain::referral::recipient_view`] decides what it
    /// sees. Empty on the case side.
    pub consents: Vec<Consent>,
}

impl ListedReferral {
    /// What decides access to the referral.
    pub fn facts(&self) -> ReferralFacts {
        ReferralFacts {
            case: self.case.facts.clone(),
            recipient_organisation_id: self.referral.data.recipient_organisation_id,
            status: self.referral.status,
        }
    }
}

type Boxed = referrals::BoxedQuery<'static, MultiBackend>;

/// The recipient's side of [`ReferralScope::SentTo`] (no drafts), as a literal rather than a
/// bound value: the partial index `referrals_sent_to` matches only the very predicate.
const NOT_DRAFT: &str = "referrals.status <> 'draft'";

/// The referrals in `scope` matching `filter`; `None` when the scope holds none.
fn scoped(scope: ReferralScope, filter: &ReferralFilter) -> Option<Boxed> {
    let mut query = referrals::table.into_boxed::<MultiBackend>();
    match scope {
        ReferralScope::Nothing | ReferralScope::OfCases(CaseScope::Nothing) => return None,
        ReferralScope::OfCases(CaseScope::All) => {}
        ReferralScope::OfCases(CaseScope::Assigned(user)) => {
            // Two subqueries, each read from its own index (`cases_assignee_*`,
            // `cases_deputy_*`), rather than one over an OR, which the planner answers with a
            // scan of every case.
            query = query.filter(
                referrals::case_id
                    .eq_any(
                        cases::table
                            .filter(cases::assigned_user_id.eq(user))
                            .select(cases::id),
                    )
                    .or(referrals::case_id.eq_any(
                        cases::table
                            .filter(cases::deputy_user_id.eq(user))
                            .select(cases::id),
                    )),
            );
        }
        ReferralScope::SentTo(organisation) => {
            query = query
                .filter(referrals::recipient_organisation_id.eq(organisation))
                .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(NOT_DRAFT));
        }
    }
    if let Some(case_id) = filter.case_id {
        query = query.filter(referrals::case_id.eq(case_id));
    }
    if let Some(status) = filter.status {
        query = query.filter(referrals::status.eq(status.as_str()));
    }
    Some(query)
}

/// The clients whose referrals the recipient `organisation` sees on `today`, with their
/// consents naming it; one query. The rule is the domain's ([`recipient_sees_client`]):
/// it depends on the client's consents alone, so it is decided once per client, over the
/// consents naming the organisation of every client with a referral sent to it; the database
/// then counts and pages the referrals of the clients it leaves.
fn clients_seen_by(
    conn: &mut DbConn,
    organisation: i64,
    today: NaiveDate,
) -> StoreResult<HashMap<i64, Vec<Consent>>> {
    let naming = consent_recipients::table
        .filter(consent_recipients::organisation_id.eq(organisation))
        .select(consent_recipients::consent_id);
    // Every client referred to the organisation, whatever the list's filters: they narrow the
    // referrals counted afterwards. (A subquery may not be boxed through the MultiBackend.)
    let referred = referrals::table
        .filter(referrals::recipient_organisation_id.eq(organisation))
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(NOT_DRAFT))
        .select(referrals::client_id);
    let rows: Vec<ConsentRuleRow> = consents::table
        .filter(consents::id.eq_any(naming))
        .filter(consents::client_id.eq_any(referred))
        .order(consents::id.asc())
        .select(ConsentRuleRow::as_select())
        .load(conn)?;
    let mut of_client: HashMap<i64, Vec<Consent>> = HashMap::new();
    for row in rows {
        let (client, consent) = row.into_rule(vec![organisation])?;
        of_client.entry(client).or_default().push(consent);
    }
    of_client.retain(|_, consents| recipient_sees_client(consents, organisation, today));
    Ok(of_client)
}

/// One page of the referrals in `scope` matching `filter` that the caller sees on `today`,
/// newest first, with the exact total, and everything the page's items show: a fixed number of
/// queries whatever the page size: six (the count, the page, its clients, and its cases in
/// three), seven for a recipient, whose list first reads the consents naming it; fewer when
/// there is nothing to show.
///
/// On the case side the scope is the whole rule. A recipient ([`ReferralScope::SentTo`]) sees
/// only the referrals of clients whose consents still release their identity to it: that is
/// decided by the domain once per client ([`clients_seen_by`]), and the database counts and
/// pages the referrals of those clients. They travel as one bound id per client the recipient
/// sees: SQLite takes up to 32,766 bound values in a statement and PostgreSQL 65,535, far
/// more clients than a county's programme refers to one organisation.
pub fn visible_page(
    conn: &mut DbConn,
    scope: ReferralScope,
    filter: &ReferralFilter,
    today: NaiveDate,
    page: PageRequest,
) -> StoreResult<Listed<ListedReferral>> {
    let nothing = Listed {
        items: Vec::new(),
        total: 0,
    };
    let (seen, consents_of) = match scope {
        ReferralScope::SentTo(organisation) => {
            let consents = clients_seen_by(conn, organisation, today)?;
            if consents.is_empty() {
                return Ok(nothing);
            }
            let mut seen: Vec<i64> = consents.keys().copied().collect();
            seen.sort_unstable();
            (Some(seen), consents)
        }
        _ => (None, HashMap::new()),
    };
    let shown = || {
        scoped(scope, filter).map(|query| match &seen {
            Some(clients) => query.filter(referrals::client_id.eq_any(clients.clone())),
            None => query,
        })
    };
    let Some(counted) = shown() else {
        return Ok(nothing);
    };
    let total: i64 = counted.count().get_result(conn)?;
    let Some(paged) = shown() else {
        return Ok(nothing);
    };
    let rows: Vec<ReferralRow> = paged
        .order(referrals::id.desc())
        .limit(page.limit)
        .offset(page.offset)
        .select(ReferralRow::as_select())
        .load(conn)?;
    if rows.is_empty() {
        return Ok(Listed {
            items: Vec::new(),
            total,
        });
    }
    let referrals = rows
        .into_iter()
        .map(Referral::try_from)
        .collect::<StoreResult<Vec<_>>>()?;
    let mut client_ids: Vec<i64> = referrals.iter().map(|r| r.data.client_id).collect();
    client_ids.sort_unstable();
    client_ids.dedup();
    let mut case_ids: Vec<i64> = referrals.iter().map(|r| r.case_id).collect();
    case_ids.sort_unstable();
    case_ids.dedup();
    let clients = crate::clients::by_ids(conn, &client_ids)?;
    let outlines = case_store::outlines(conn, &case_ids)?;
    let items = referrals
        .into_iter()
        .map(|referral| {
            let client = clients
                .get(&referral.data.client_id)
                .cloned()
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "referral {} names client {}, which is missing",
                        referral.id, referral.data.client_id
                    ))
                })?;
            let case = outlines.get(&referral.case_id).cloned().ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "referral {} names case {}, which is missing",
                    referral.id, referral.case_id
                ))
            })?;
            let consents = consents_of
                .get(&referral.data.client_id)
                .cloned()
                .unwrap_or_default();
            Ok(ListedReferral {
                referral,
                case,
                client,
                consents,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Listed { items, total })
}

/// The referrals of `user`'s open cases waiting for them: drafts to send and declined ones to
/// plan after (the work list). The first `window` in the work list's order (undated first,
/// then by due date, then id) and how many there are in all: two queries.
pub fn waiting_on_assignee(
    conn: &mut DbConn,
    user: i64,
    window: i64,
) -> StoreResult<(Vec<Referral>, i64)> {
    let waiting = || {
        referrals::table
            .filter(referrals::case_id.eq_any(crate::cases::open_of_assignee(user)))
            .filter(referrals::status.eq_any([
                ReferralStatus::Draft.as_str(),
                ReferralStatus::Declined.as_str(),
            ]))
    };
    let total: i64 = waiting().count().get_result(conn)?;
    if total == 0 || window <= 0 {
        return Ok((Vec::new(), total));
    }
    // Undated first on both databases (PostgreSQL sorts NULL last, SQLite first).
    let items = waiting()
        .order((
            referrals::due_on.is_not_null().asc(),
            referrals::due_on.asc(),
            referrals::id.asc(),
        ))
        .limit(window)
        .select(ReferralRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Referral::try_from)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((items, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recipients_literal_leaves_out_drafts_only() {
        assert_eq!(
            NOT_DRAFT,
            format!("referrals.status <> '{}'", ReferralStatus::Draft.as_str())
        );
        for status in ReferralStatus::ALL {
            assert_eq!(status.is_visible_to_recipient(), !status.is_draft());
        }
    }
}
