//! The access export (Auskunft, GDPR Art. 15): everything the system holds about one client,
//! as one read model assembled in one connection. Staff appear by role and organisation, never
//! by name: the person is owed the recipients, not the clerks' identities.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kim_domain::client::HouseholdLink;
use serde::Serialize;
use utoipa::ToSchema;

use crate::cases::{self, Case, CaseEvent};
use crate::clients::{self, Client};
use crate::conferences::{self, Conference};
use crate::consents::{self, StoredConsent};
use crate::contacts::{self, Contact};
use crate::goals::{self, Goal};
use crate::referrals::{self, referrals as referral_table, Referral, ReferralEvent};
use crate::residence_requests::{self, residence_requests as request_table, ResidenceRequest};
use crate::schema::{
    audit_events, case_clients, clients as client_table, erasures, organisations, users,
};
use crate::{clock, DbConn, StoreError};

use super::holds::{self, LegalHold};

/// One case of the person with what hangs off it.
#[derive(Debug, Clone)]
pub struct CaseRecord {
    pub case: Case,
    pub history: Vec<CaseEvent>,
    pub goals: Vec<Goal>,
    pub contacts: Vec<Contact>,
    pub conferences: Vec<Conference>,
    pub legal_holds: Vec<LegalHold>,
    /// Clearing records (Kompetenzerfassung) of this person in the case; other clients' are
    /// not theirs to receive.
    pub clearing: Vec<crate::clearing::ClearingRecord>,
}

/// A referral about the person, with its status history (what was shared with whom, when).
#[derive(Debug, Clone)]
pub struct ReferralRecord {
    pub referral: Referral,
    pub history: Vec<ReferralEvent>,
}

/// Who read or changed the person's data: staff by role and organisation, never by name.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ExportedAuditEvent)]
pub struct AuditRecord {
    pub occurred_at: DateTime<Utc>,
    /// `user`, `partner` (a partner organisation's system) or `system`.
    pub actor_kind: String,
    pub actor_role: Option<String>,
    pub actor_organisation: Option<String>,
    /// `object.verb`, e.g. `client.read`, `referral.transfer`.
    pub action: String,
    pub object_type: String,
    pub object_id: Option<String>,
}

/// An erasure of the person's data.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = ExportedErasure)]
pub struct ErasureRecord {
    pub reason: String,
    pub erased_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct ClientExport {
    pub client: Client,
    pub links: Vec<HouseholdLink>,
    /// What remains of the birth year after an erasure.
    pub age_band: Option<String>,
    pub erasures: Vec<ErasureRecord>,
    pub cases: Vec<CaseRecord>,
    pub consents: Vec<StoredConsent>,
    pub referrals: Vec<ReferralRecord>,
    pub residence_requests: Vec<ResidenceRequest>,
    /// The partner organisations' requests that referred the person in (linked on acceptance).
    pub intake_requests: Vec<crate::intake_requests::IntakeRequest>,
    pub audit_events: Vec<AuditRecord>,
    /// Names of every organisation the export mentions, by id.
    pub organisations: BTreeMap<i64, String>,
}

/// The whole export of a client (404 for an unknown one).
pub fn export(conn: &mut DbConn, client_id: i64) -> Result<ClientExport, StoreError> {
    let client = clients::find(conn, client_id)?;
    let links = clients::links(conn, client_id)?;
    let age_band: Option<String> = client_table::table
        .find(client_id)
        .select(client_table::age_band)
        .first(conn)?;
    let erasure_rows: Vec<(String, NaiveDateTime)> = erasures::table
        .filter(erasures::client_id.eq(client_id))
        .order(erasures::id.asc())
        .select((erasures::reason, erasures::erased_at))
        .load(conn)?;

    let case_ids: Vec<i64> = case_clients::table
        .filter(case_clients::client_id.eq(client_id))
        .order(case_clients::case_id.asc())
        .select(case_clients::case_id)
        .load(conn)?;
    let mut case_records = Vec::with_capacity(case_ids.len());
    for case_id in case_ids {
        case_records.push(CaseRecord {
            case: cases::find(conn, case_id)?,
            history: cases::history(conn, case_id)?,
            goals: goals::of_case(conn, case_id)?,
            contacts: contacts::of_case(conn, case_id)?,
            conferences: conferences::of_case(conn, case_id)?,
            legal_holds: holds::of_case(conn, case_id)?,
            clearing: crate::clearing::find(conn, case_id, client_id)?
                .into_iter()
                .collect(),
        });
    }

    let consents = consents::of_client(conn, client_id)?;

    let referral_ids: Vec<i64> = referral_table::table
        .filter(referral_table::client_id.eq(client_id))
        .order(referral_table::id.asc())
        .select(referral_table::id)
        .load(conn)?;
    let mut referral_records = Vec::with_capacity(referral_ids.len());
    for id in referral_ids {
        referral_records.push(ReferralRecord {
            referral: referrals::find(conn, id)?,
            history: referrals::history(conn, id)?,
        });
    }

    let request_ids: Vec<i64> = request_table::table
        .filter(request_table::client_id.eq(client_id))
        .order(request_table::id.asc())
        .select(request_table::id)
        .load(conn)?;
    let mut requests = Vec::with_capacity(request_ids.len());
    for id in request_ids {
        requests.push(residence_requests::find(conn, id)?);
    }

    let intake_requests = crate::intake_requests::of_client(conn, client_id)?;

    let events = events_about(conn, &client)?;
    let staff_ids: BTreeSet<i64> = events
        .iter()
        .filter(|e| e.actor_kind == "user")
        .filter_map(|e| e.actor_id)
        .collect();
    let staff_organisation: BTreeMap<i64, Option<i64>> = users::table
        .filter(users::id.eq_any(staff_ids.iter().copied().collect::<Vec<_>>()))
        .select((users::id, users::organisation_id))
        .load::<(i64, Option<i64>)>(conn)?
        .into_iter()
        .collect();

    let mut mentioned: BTreeSet<i64> = staff_organisation.values().flatten().copied().collect();
    for consent in &consents {
        mentioned.extend(consent.consent.recipient_organisation_ids.iter().copied());
    }
    for record in &referral_records {
        mentioned.insert(record.referral.data.recipient_organisation_id);
    }
    for request in &requests {
        mentioned.insert(request.office_organisation_id);
    }
    for request in &intake_requests {
        mentioned.insert(request.referring_organisation_id);
    }
    for record in &case_records {
        for conference in &record.conferences {
            mentioned.extend(conference.organisation_ids.iter().copied());
        }
        if let Some(by) = record.case.data.referred_by_organisation_id {
            mentioned.insert(by);
        }
    }
    let organisations: BTreeMap<i64, String> = organisations::table
        .filter(organisations::id.eq_any(mentioned.into_iter().collect::<Vec<_>>()))
        .select((organisations::id, organisations::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();

    let audit_events = events
        .into_iter()
        .map(|e| {
            let organisation = match (e.actor_kind.as_str(), e.actor_id) {
                ("user", Some(id)) => staff_organisation
                    .get(&id)
                    .copied()
                    .flatten()
                    .and_then(|org| organisations.get(&org).cloned()),
                _ => None,
            };
            AuditRecord {
                occurred_at: clock::to_utc(e.occurred_at),
                actor_kind: e.actor_kind,
                actor_role: e.actor_role,
                actor_organisation: organisation,
                action: e.action,
                object_type: e.object_type,
                object_id: e.object_id,
            }
        })
        .collect();

    Ok(ClientExport {
        client,
        links,
        age_band,
        erasures: erasure_rows
            .into_iter()
            .map(|(reason, at)| ErasureRecord {
                reason,
                erased_at: clock::to_utc(at),
            })
            .collect(),
        cases: case_records,
        consents,
        referrals: referral_records,
        residence_requests: requests,
        intake_requests,
        audit_events,
        organisations,
    })
}

#[derive(Queryable)]
struct EventRow {
    occurred_at: NaiveDateTime,
    actor_kind: String,
    actor_id: Option<i64>,
    actor_role: Option<String>,
    action: String,
    object_type: String,
    object_id: Option<String>,
}

/// Every audit event about the client, oldest first.
fn events_about(conn: &mut DbConn, client: &Client) -> Result<Vec<EventRow>, StoreError> {
    Ok(audit_events::table
        .filter(audit_events::client_id.eq(client.id))
        .order(audit_events::id.asc())
        .select((
            audit_events::occurred_at,
            audit_events::actor_kind,
            audit_events::actor_id,
            audit_events::actor_role,
            audit_events::action,
            audit_events::object_type,
            audit_events::object_id,
        ))
        .load(conn)?)
}
