//! Clients (people served): pseudonymous references, minimal personal data, household links,
//! and who saw this person's data.

use crate::http::body::Json;
use crate::routes::RouteTable;
use actix_web::{get, post, put, web, HttpResponse};
use kim_domain::access::{Access, CaseScope};
use kim_domain::audit::{AuditObject, AuditVerb};
use kim_domain::client::{HouseholdLink, HouseholdLinkKind};
use kim_domain::Action;
use kim_store::clients::{self as store, ClientFilter, ClientScope};
use kim_store::DbConn;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::{Authenticated, Caller};
use crate::case_access::{audit, client_for};
use crate::error::error_sets as sets;
use crate::error::OrUnknown;
use crate::http::paging::PageParams;
use crate::http::precondition::{ok_versioned, IfMatch};
use crate::server::AppState;
use crate::views::audit_event::{AuditEventPage, AuditQuery};
use crate::views::client::{Client, ClientInput};
use crate::{page_type, ApiError};

pub fn configure(cfg: &mut impl RouteTable) {
    cfg.service(list_clients)
        .service(get_client)
        .service(update_client)
        .service(link_clients)
        .service(client_audit_events);
}

page_type!(ClientPage, Client);

/// The clients `who` may list: their cases' clients, or all for the supervision.
fn client_scope(who: &Authenticated) -> Result<ClientScope, ApiError> {
    match kim_domain::access::case_scope(&who.principal) {
        CaseScope::All => Ok(ClientScope::All),
        CaseScope::Assigned(user) => Ok(ClientScope::OfUser(user)),
        CaseScope::Nothing => Err(ApiError::Forbidden("your role sees no case data".into())),
    }
}

/// List clients
///
/// The clients of the caller's cases (and clients the caller created that are in no case yet);
/// the CM coordination sees all. Each client listed is recorded in the audit trail.
///
/// **Who may call:** `case_manager` (own cases), `cm_coordinator` (all). Others: 403.
#[utoipa::path(tag = "Clients", params(PageParams, ClientFilter), responses(
    (status = 200, description = "One page of clients", body = ClientPage),
    sets::ListErrors,
), security(("bearer" = [])))]
#[get("/clients")]
pub async fn list_clients(
    caller: Caller,
    state: web::Data<AppState>,
    paging: web::Query<PageParams>,
    filter: web::Query<ClientFilter>,
) -> Result<web::Json<ClientPage>, ApiError> {
    let page = paging.page()?;
    let filter = filter.into_inner();
    let listed = state
        .db
        .audited_read(caller, None, move |conn, who, trail| {
            let scope = client_scope(who)?;
            let listed = store::list(conn, scope, &filter, page)?;
            let ids: Vec<i64> = listed.items.iter().map(|c| c.id).collect();
            let mut links = store::links_of(conn, &ids)?;
            let mut items = Vec::with_capacity(listed.items.len());
            for client in listed.items {
                trail.record(
                    AuditObject::Client,
                    AuditVerb::List,
                    Some(client.id),
                    Some(client.id),
                );
                let links = links.remove(&client.id).unwrap_or_default();
                items.push(Client::new(client, links));
            }
            Ok::<_, ApiError>(ClientPage::of(items, listed.total, page))
        })
        .await?;
    Ok(web::Json(listed))
}

/// Get a client
///
/// Recorded in the audit trail. A client the caller may not see answers 404.
///
/// **Who may call:** `case_manager` (clients of own cases), `cm_coordinator`.
#[utoipa::path(tag = "Clients", params(("id" = i64, Path, description = "Client id")), responses(
    (status = 200, description = "The client", body = Client, headers(("ETag" = String))),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/clients/{id}")]
pub async fn get_client(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let client = state
        .db
        .audited_read(
            caller,
            Some((AuditObject::Client, id)),
            move |conn, who, trail| {
                let client = client_for(conn, who, id, Access::Read)?;
                trail.record(AuditObject::Client, AuditVerb::Read, Some(id), Some(id));
                let links = store::links(conn, id)?;
                Ok::<_, ApiError>(Client::new(client, links))
            },
        )
        .await?;
    let version = client.version;
    Ok(ok_versioned(&client, version))
}

/// Change a client
///
/// Replaces the personal fields. Requires `If-Match`.
///
/// **Who may call:** `case_manager` (clients of own cases).
#[utoipa::path(tag = "Clients", request_body = ClientInput,
    params(("id" = i64, Path, description = "Client id"), ("If-Match" = String, Header, description = "ETag of the version you edited")),
    responses((status = 200, description = "The client", body = Client, headers(("ETag" = String))), sets::ReplaceErrors),
    security(("bearer" = [])))]
#[put("/clients/{id}")]
pub async fn update_client(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    if_match: IfMatch,
    body: Json<ClientInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    let client = state
        .db
        .write_with(caller, move |conn, who| {
            client_for(conn, who, id, Access::ReadWrite)?;
            let expected = if_match.version()?;
            let data = input.into_data("").map_err(ApiError::Validation)?;
            let client = store::update(conn, id, expected, &data)?;
            changed_client(conn, who, client)
        })
        .await?;
    let version = client.version;
    Ok(ok_versioned(&client, version))
}

/// The audit event of a change to `client`, and the client as it now is, with its links.
fn changed_client(
    conn: &mut DbConn,
    who: &Authenticated,
    client: store::Client,
) -> Result<Client, ApiError> {
    let id = client.id;
    audit(
        conn,
        who,
        AuditObject::Client,
        AuditVerb::Update,
        Some(id),
        Some(&client.reference),
    )?;
    let links = store::links(conn, id)?;
    Ok(Client::new(client, links))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "parent_child", "client_id": 13}))]
pub struct LinkInput {
    pub kind: HouseholdLinkKind,
    /// The other client. For `parent_child`, this client is the parent and the other the child.
    pub client_id: i64,
}

/// Link two clients of a household
///
/// Records e.g. that this client is the parent of another. Both must be visible to the caller.
///
/// **Who may call:** `case_manager` (clients of own cases).
#[utoipa::path(tag = "Clients", request_body = LinkInput, params(("id" = i64, Path, description = "Client id")),
    responses((status = 200, description = "The client with its links", body = Client), sets::CreateErrors),
    security(("bearer" = [])))]
#[post("/clients/{id}/links")]
pub async fn link_clients(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    body: Json<LinkInput>,
) -> Result<web::Json<Client>, ApiError> {
    let id = id.into_inner();
    let input = body.into_inner();
    let client = state
        .db
        .write_with(caller, move |conn, who| {
            let client = client_for(conn, who, id, Access::ReadWrite)?;
            client_for(conn, who, input.client_id, Access::Read)
                .or_unknown("client_id", "no such client, or you may not see it")?;
            let link = HouseholdLink::new(input.kind, id, input.client_id)?;
            store::link(conn, &link)?;
            changed_client(conn, who, client)
        })
        .await?;
    Ok(web::Json(client))
}

/// Who saw this person's data
///
/// Every access to this client's data (the client, cases, goals, contacts, consents, referrals,
/// conferences, requests), newest first.
///
/// **Who may call:** `data_protection_officer`.
#[utoipa::path(tag = "Audit", params(("id" = i64, Path, description = "Client id"), PageParams, AuditQuery), responses(
    (status = 200, description = "One page of audit events", body = AuditEventPage),
    sets::ReadErrors,
), security(("bearer" = [])))]
#[get("/clients/{id}/audit-events")]
pub async fn client_audit_events(
    caller: Caller,
    state: web::Data<AppState>,
    id: web::Path<i64>,
    paging: web::Query<PageParams>,
    query: web::Query<AuditQuery>,
) -> Result<web::Json<AuditEventPage>, ApiError> {
    let page = paging.page()?;
    let id = id.into_inner();
    let mut filter = query.into_inner().into_filter()?;
    state
        .db
        .read_as(caller, Action::ReadAuditTrail, move |conn, _| {
            let client = store::find(conn, id)?;
            // By internal id: the events stay the client's whatever its reference is now.
            filter.client_id = Some(client.id);
            let listed = kim_store::audit::list(conn, &filter, page)?;
            Ok::<_, ApiError>(AuditEventPage::new(listed, page))
        })
        .await
        .map(web::Json)
}
