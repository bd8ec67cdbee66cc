//! Clients (people served) and their household links. Only the reference and the municipality
//! are required: every other personal field is optional, by design.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::access::CaseFacts;
use kim_domain::client::{ClientReference, HouseholdLink, HouseholdLinkKind, ResidenceStatus};
use kim_domain::paging::PageRequest;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::connection::MultiBackend;
use crate::error::{expect_version, StoreResult};
use crate::schema::{case_clients, cases, client_links, clients};
use crate::versioned::{insert_versioned, update_versioned};
use crate::{clock, municipalities, DbConn, Listed, StoreError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = clients, check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
struct ClientRow {
    id: i64,
    reference: String,
    given_name: Option<String>,
    family_name: Option<String>,
    birth_year: Option<i32>,
    gender: Option<String>,
    languages: String,
    country_of_origin: Option<String>,
    residence_status: Option<String>,
    municipality_id: i64,
    organisation_id: Option<i64>,
    created_by: Option<i64>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// What a case manager records about a person.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClientData {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub birth_year: Option<i32>,
    pub gender: Option<String>,
    pub languages: Vec<String>,
    pub country_of_origin: Option<String>,
    pub residence_status: Option<ResidenceStatus>,
    pub municipality_id: i64,
}

/// The columns of [`ClientData`], on insert and on update alike.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = clients, treat_none_as_null = true)]
struct ClientColumns<'a> {
    given_name: Option<&'a str>,
    family_name: Option<&'a str>,
    birth_year: Option<i32>,
    gender: Option<&'a str>,
    languages: String,
    country_of_origin: Option<&'a str>,
    residence_status: Option<&'static str>,
    municipality_id: i64,
}

impl<'a> From<&'a ClientData> for ClientColumns<'a> {
    fn from(data: &'a ClientData) -> Self {
        ClientColumns {
            given_name: data.given_name.as_deref(),
            family_name: data.family_name.as_deref(),
            birth_year: data.birth_year,
            gender: data.gender.as_deref(),
            languages: join_languages(&data.languages),
            country_of_origin: data.country_of_origin.as_deref(),
            residence_status: data.residence_status.map(|s| s.as_str()),
            municipality_id: data.municipality_id,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub id: i64,
    pub reference: String,
    pub data: ClientData,
    /// The organisation the record belongs to (the creator's employer).
    pub organisation_id: Option<i64>,
    pub created_by: Option<i64>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Languages are stored as one text, separated by `;` (language names never contain one).
fn join_languages(languages: &[String]) -> String {
    languages.join(";")
}

fn split_languages(stored: &str) -> Vec<String> {
    stored
        .split(';')
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

impl TryFrom<ClientRow> for Client {
    type Error = StoreError;
    fn try_from(row: ClientRow) -> Result<Self, StoreError> {
        Ok(Client {
            id: row.id,
            reference: row.reference,
            data: ClientData {
                given_name: row.given_name,
                family_name: row.family_name,
                birth_year: row.birth_year,
                gender: row.gender,
                languages: split_languages(&row.languages),
                country_of_origin: row.country_of_origin,
                residence_status: row
                    .residence_status
                    .as_deref()
                    .map(ResidenceStatus::parse)
                    .transpose()?,
                municipality_id: row.municipality_id,
            },
            organisation_id: row.organisation_id,
            created_by: row.created_by,
            version: row.version,
            created_at: clock::to_utc(row.created_at),
            updated_at: clock::to_utc(row.updated_at),
        })
    }
}

fn check_municipality(conn: &mut DbConn, id: i64) -> StoreResult<()> {
    match municipalities::first_unknown(conn, &[id])? {
        Some(id) => Err(StoreError::unknown(
            "municipality_id",
            format!("no municipality with id {id}"),
        )),
        None => Ok(()),
    }
}

/// A client named when a case is opened: one who exists (the caller has checked that they may
/// see them), or one created with the case.
#[derive(Debug, Clone)]
pub enum NamedClient {
    Existing(i64),
    New(ClientData),
}

/// The clients a case is opened for: their ids in the order named (the first is the lead
/// client), creating the new ones for `organisation_id` by `created_by` with references of
/// `year`. Also returns the clients created, for their audit events.
pub fn resolve_named(
    conn: &mut DbConn,
    named: &[NamedClient],
    organisation_id: Option<i64>,
    created_by: Option<i64>,
    year: i32,
) -> StoreResult<(Vec<i64>, Vec<Client>)> {
    let mut ids = Vec::with_capacity(named.len());
    let mut created = Vec::new();
    for client in named {
        match client {
            NamedClient::Existing(id) => ids.push(*id),
            NamedClient::New(data) => {
                let client = insert(conn, data, organisation_id, created_by, year)?;
                ids.push(client.id);
                created.push(client);
            }
        }
    }
    Ok((ids, created))
}

/// Creates a client; the reference (`K-<year>-<number>`) is made from the new row's id.
pub fn insert(
    conn: &mut DbConn,
    data: &ClientData,
    organisation_id: Option<i64>,
    created_by: Option<i64>,
    year: i32,
) -> StoreResult<Client> {
    check_municipality(conn, data.municipality_id)?;
    let now = clock::now();
    let placeholder = format!("pending-{}", uuid::Uuid::new_v4());
    let id: i64 = insert_versioned!(
        conn,
        clients,
        (
            clients::reference.eq(&placeholder),
            ClientColumns::from(data),
            clients::organisation_id.eq(organisation_id),
            clients::created_by.eq(created_by)
        ),
        now
    )?;
    let sequence =
        u32::try_from(id).map_err(|_| StoreError::Corrupt(format!("client id {id} too large")))?;
    let reference = ClientReference::new(year, sequence).map_err(|e| {
        StoreError::Corrupt(format!("cannot make a client reference: {}", e.message))
    })?;
    diesel::update(clients::table.find(id))
        .set(clients::reference.eq(reference.to_string()))
        .execute(conn)?;
    find(conn, id)
}

pub fn find(conn: &mut DbConn, id: i64) -> StoreResult<Client> {
    clients::table
        .find(id)
        .select(ClientRow::as_select())
        .first(conn)?
        .try_into()
}

/// The clients with `ids`, keyed by id, in one query (for the items of a list page).
pub fn by_ids(
    conn: &mut DbConn,
    ids: &[i64],
) -> StoreResult<std::collections::HashMap<i64, Client>> {
    clients::table
        .filter(clients::id.eq_any(ids))
        .select(ClientRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|row| Client::try_from(row).map(|client| (client.id, client)))
        .collect()
}

pub fn update(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    data: &ClientData,
) -> StoreResult<Client> {
    let current = find(conn, id)?;
    expect_version(current.version, expected_version)?;
    check_municipality(conn, data.municipality_id)?;
    update_versioned!(
        conn,
        clients,
        id,
        expected_version,
        ClientColumns::from(data)
    )?;
    find(conn, id)
}

/// The cases a client belongs to, as the access rules see them.
pub fn case_facts(conn: &mut DbConn, client_id: i64) -> StoreResult<Vec<CaseFacts>> {
    let rows: Vec<(i64, Option<i64>)> = cases::table
        .filter(
            cases::id.eq_any(
                case_clients::table
                    .filter(case_clients::client_id.eq(client_id))
                    .select(case_clients::case_id),
            ),
        )
        .select((cases::assigned_user_id, cases::deputy_user_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(assigned_to, deputy)| CaseFacts {
            assigned_to,
            deputy,
        })
        .collect())
}

/// Which clients a list may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientScope {
    /// Clients of cases this user is assigned to or deputises, and clients they created that
    /// are in no case yet.
    OfUser(i64),
    All,
}

/// Filters of the list; all optional, combined with AND.
/// The API reads them from the query string as they are, so their documentation is the
/// parameters'.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientFilter {
    /// Exact pseudonymous reference, e.g. `K-2026-000012`.
    #[serde(default, deserialize_with = "crate::filter::trimmed")]
    pub reference: Option<String>,
    pub municipality_id: Option<i64>,
}

type BoxedClients = clients::BoxedQuery<'static, MultiBackend>;

fn filtered(filter: &ClientFilter) -> BoxedClients {
    let mut query = clients::table.into_boxed::<MultiBackend>();
    if let Some(reference) = &filter.reference {
        query = query.filter(clients::reference.eq(reference.clone()));
    }
    if let Some(municipality) = filter.municipality_id {
        query = query.filter(clients::municipality_id.eq(municipality));
    }
    query
}

/// The ids of the clients of the cases `user` works (assigned or deputy), as a subquery.
#[diesel::dsl::auto_type]
fn in_cases_of(user: i64) -> _ {
    let my_cases = cases::table
        .filter(
            cases::assigned_user_id
                .eq(user)
                .or(cases::deputy_user_id.eq(user)),
        )
        .select(cases::id);
    case_clients::table
        .filter(case_clients::case_id.eq_any(my_cases))
        .select(case_clients::client_id)
}

fn scoped(scope: ClientScope, filter: &ClientFilter) -> BoxedClients {
    let mut query = filtered(filter);
    if let ClientScope::OfUser(user) = scope {
        let in_any_case = case_clients::table.select(case_clients::client_id);
        query = query.filter(
            clients::id.eq_any(in_cases_of(user)).or(clients::created_by
                .eq(user)
                .and(clients::id.ne_all(in_any_case))),
        );
    }
    query
}

/// How many clients a list in `scope` holds. A user's clients are counted in their two
/// disjoint parts (those of the cases they work; those they created that are in no case yet),
/// each through its own index: asked as one `OR`, PostgreSQL can use no index and reads every
/// client.
fn count(conn: &mut DbConn, scope: ClientScope, filter: &ClientFilter) -> StoreResult<i64> {
    Ok(match scope {
        ClientScope::OfUser(user) => {
            let in_cases: i64 = filtered(filter)
                .filter(clients::id.eq_any(in_cases_of(user)))
                .count()
                .get_result(conn)?;
            let in_no_case: i64 = filtered(filter)
                .filter(clients::created_by.eq(user))
                .filter(diesel::dsl::not(diesel::dsl::exists(
                    case_clients::table.filter(case_clients::client_id.eq(clients::id)),
                )))
                .count()
                .get_result(conn)?;
            in_cases + in_no_case
        }
        ClientScope::All => filtered(filter).count().get_result(conn)?,
    })
}

pub fn list(
    conn: &mut DbConn,
    scope: ClientScope,
    filter: &ClientFilter,
    page: PageRequest,
) -> StoreResult<Listed<Client>> {
    let total = count(conn, scope, filter)?;
    let rows: Vec<ClientRow> = scoped(scope, filter)
        .order(clients::id.asc())
        .limit(page.limit)
        .offset(page.offset)
        .select(ClientRow::as_select())
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(Client::try_from)
        .collect::<StoreResult<_>>()?;
    Ok(Listed { items, total })
}

/// Links of a client, in both directions, as stored (`from`, `to`, kind).
pub fn links(conn: &mut DbConn, client_id: i64) -> StoreResult<Vec<HouseholdLink>> {
    Ok(links_of(conn, &[client_id])?
        .remove(&client_id)
        .unwrap_or_default())
}

/// Links of several clients in one query (a list page without a query per client), keyed by
/// client id; each link appears under both ends that are in `ids`.
pub fn links_of(
    conn: &mut DbConn,
    ids: &[i64],
) -> StoreResult<std::collections::HashMap<i64, Vec<HouseholdLink>>> {
    let rows: Vec<(i64, i64, String)> = client_links::table
        .filter(
            client_links::from_client_id
                .eq_any(ids)
                .or(client_links::to_client_id.eq_any(ids)),
        )
        .order((
            client_links::from_client_id.asc(),
            client_links::to_client_id.asc(),
        ))
        .select((
            client_links::from_client_id,
            client_links::to_client_id,
            client_links::kind,
        ))
        .load(conn)?;
    let mut by_client: std::collections::HashMap<i64, Vec<HouseholdLink>> =
        std::collections::HashMap::new();
    for (from, to, kind) in rows {
        let kind = HouseholdLinkKind::parse(&kind)?;
        let link =
            HouseholdLink::new(kind, from, to).map_err(|e| StoreError::Corrupt(e.message))?;
        for end in [from, to] {
            if ids.contains(&end) {
                by_client.entry(end).or_default().push(link.clone());
            }
        }
    }
    Ok(by_client)
}

/// Adds a household link; an existing one is left as it is.
pub fn link(conn: &mut DbConn, link: &HouseholdLink) -> StoreResult<()> {
    for id in [link.from_client_id, link.to_client_id] {
        find(conn, id).map_err(|e| match e {
            StoreError::NotFound => {
                StoreError::unknown("client_id", format!("no client with id {id}"))
            }
            other => other,
        })?;
    }
    let exists: i64 = client_links::table
        .filter(client_links::from_client_id.eq(link.from_client_id))
        .filter(client_links::to_client_id.eq(link.to_client_id))
        .filter(client_links::kind.eq(link.kind.as_str()))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        diesel::insert_into(client_links::table)
            .values((
                client_links::from_client_id.eq(link.from_client_id),
                client_links::to_client_id.eq(link.to_client_id),
                client_links::kind.eq(link.kind.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn find_by_reference(conn: &mut DbConn, reference: &str) -> StoreResult<Option<Client>> {
    clients::table
        .filter(clients::reference.eq(reference))
        .select(ClientRow::as_select())
        .first(conn)
        .optional()?
        .map(Client::try_from)
        .transpose()
}
