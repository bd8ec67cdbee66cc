//! Object-level access to case data for handlers, and the audit events every access leaves.
//!
//! The rules are `kim_domain::access`; this module applies them to what the store loads. An
//! object the caller may not see is answered 404, never 403, so its existence does not leak.

use kim_domain::access::{case_access, client_access, uncased_client_access, Access};
use kim_domain::audit::{AuditAction, AuditObject, AuditVerb};
use kim_domain::conference::{conference_access, ConferenceFacts};
use kim_store::{audit, cases, clients, conferences, DbConn};

use kim_domain::Action;

use crate::auth::Authenticated;
use crate::ApiError;

fn allows(access: Access, needed: Access) -> bool {
    match needed {
        Access::None => true,
        Access::Read => access.may_read(),
        Access::ReadWrite => access.may_write(),
    }
}

/// Invisible objects are 404; an object the caller may read but not change is 403.
fn refuse(access: Access) -> ApiError {
    if access.may_read() {
        ApiError::Forbidden("you may read this but not change it".into())
    } else {
        ApiError::NotFound
    }
}

/// `Ok` when `access` covers `needed`; else 404 for an invisible object, 403 for a read-only one.
pub fn require_access(access: Access, needed: Access) -> Result<(), ApiError> {
    if allows(access, needed) {
        Ok(())
    } else {
        Err(refuse(access))
    }
}

/// The caller's access to a conference and the client reference of its case (none when
/// anonymised), without refusing yet: a task's owner may act on a conference they cannot see.
pub fn conference_access_of(
    conn: &mut DbConn,
    who: &Authenticated,
    conference_id: i64,
) -> Result<(Access, Option<String>), ApiError> {
    let conference = conferences::find(conn, conference_id)?;
    Ok(match conference.case_id {
        Some(case_id) => {
            let case = cases::find(conn, case_id)?;
            let access = case_access(&who.principal, &case.facts());
            (
                conference_access(&who.principal, ConferenceFacts::OfCase(access)),
                Some(case.lead_client_reference),
            )
        }
        None => {
            let facts = ConferenceFacts::Anonymised {
                created_by: conference.created_by,
            };
            (conference_access(&who.principal, facts), None)
        }
    })
}

/// The case, if the caller has `needed` access to it; 404 when it is invisible to the caller,
/// 403 when the caller may only read it.
pub fn case_for(
    conn: &mut DbConn,
    who: &Authenticated,
    case_id: i64,
    needed: Access,
) -> Result<cases::Case, ApiError> {
    case_ref_for(conn, who, case_id, needed)?;
    Ok(cases::find(conn, case_id)?)
}

/// What a read or a change of a case's records needs of the case once access is checked: its
/// id and lead client, the person their audit events name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseRef {
    pub id: i64,
    pub lead_client_id: i64,
    /// The caller's access to the case (at least the access asked for).
    pub access: Access,
}

/// [`case_for`] without loading the case: one query for the access check and the lead client,
/// where the whole case takes five (the hot paths: a goal or a contact read or written).
pub fn case_ref_for(
    conn: &mut DbConn,
    who: &Authenticated,
    case_id: i64,
    needed: Access,
) -> Result<CaseRef, ApiError> {
    let (facts, lead_client_id) = cases::facts_and_lead(conn, case_id)?;
    let access = case_access(&who.principal, &facts);
    if !allows(access, needed) {
        return Err(refuse(access));
    }
    Ok(CaseRef {
        id: case_id,
        lead_client_id,
        access,
    })
}

/// The client, if the caller has `needed` access through one of the client's cases (or created
/// the client and it is in no case yet); 404 otherwise.
pub fn client_for(
    conn: &mut DbConn,
    who: &Authenticated,
    client_id: i64,
    needed: Access,
) -> Result<clients::Client, ApiError> {
    let client = clients::find(conn, client_id)?;
    let facts = clients::case_facts(conn, client_id)?;
    let access = if facts.is_empty() {
        uncased_client_access(&who.principal, client.created_by)
    } else {
        client_access(&who.principal, &facts)
    };
    if !allows(access, needed) {
        return Err(refuse(access));
    }
    Ok(client)
}

/// The audit events of one audited read, collected while it runs and written by the appender
/// when it succeeded (see `Db::audited_read`).
pub struct Trail {
    actor: kim_store::audit::Actor,
    events: Vec<audit::NewEvent>,
    denied: Option<audit::NewEvent>,
}

impl Trail {
    pub fn new(who: &Authenticated) -> Trail {
        Trail {
            actor: who.actor(),
            events: Vec::new(),
            denied: None,
        }
    }

    /// Records `object.verb` on `object_id`, naming the client concerned by internal id.
    pub fn record(
        &mut self,
        object: AuditObject,
        verb: AuditVerb,
        object_id: Option<i64>,
        client_id: Option<i64>,
    ) {
        let action = AuditAction::new(object, verb).to_string();
        self.events.push(audit::NewEvent::new(
            &self.actor,
            &action,
            object.as_str(),
            object_id,
            client_id,
        ));
    }

    /// A refused access to `object`/`object_id`.
    pub fn denied(&mut self, object: AuditObject, object_id: i64) {
        let action = AuditAction::new(object, AuditVerb::ReadDenied).to_string();
        self.denied = Some(audit::NewEvent::new(
            &self.actor,
            &action,
            object.as_str(),
            Some(object_id),
            None,
        ));
    }

    pub fn into_events(self) -> Vec<audit::NewEvent> {
        self.events
    }

    /// Only the refusal: what the refused read collected before it was refused is not shown.
    pub fn into_denied(self) -> Vec<audit::NewEvent> {
        self.denied.into_iter().collect()
    }
}

/// Writes the audit event of an access to personal data, in the caller's transaction.
pub fn audit(
    conn: &mut DbConn,
    who: &Authenticated,
    object: AuditObject,
    verb: AuditVerb,
    object_id: Option<i64>,
    client_reference: Option<&str>,
) -> Result<(), ApiError> {
    let action = AuditAction::new(object, verb).to_string();
    audit::record_about(
        conn,
        &who.actor(),
        &action,
        object.as_str(),
        object_id,
        client_reference,
    )?;
    Ok(())
}

/// Writes the audit event of an access to personal data naming the client by internal id, in
/// the caller's transaction.
pub fn audit_client(
    conn: &mut DbConn,
    who: &Authenticated,
    object: AuditObject,
    verb: AuditVerb,
    object_id: Option<i64>,
    client_id: Option<i64>,
) -> Result<(), ApiError> {
    let action = AuditAction::new(object, verb).to_string();
    audit::record_for(
        conn,
        &who.actor(),
        &action,
        object.as_str(),
        object_id,
        client_id,
    )?;
    Ok(())
}

/// What a case holds (`load`: its contacts, goals or conferences), for a caller who may read
/// the case (403 by role, 404 for a case they may not see), with one `list` audit event of
/// `object` naming the lead client.
pub fn list_of_case<T>(
    conn: &mut DbConn,
    who: &Authenticated,
    case_id: i64,
    object: AuditObject,
    load: impl FnOnce(&mut DbConn, i64) -> Result<Vec<T>, kim_store::StoreError>,
) -> Result<Vec<T>, ApiError> {
    require_case_role(who)?;
    let case = case_ref_for(conn, who, case_id, Access::Read)?;
    let items = load(conn, case_id)?;
    audit_client(
        conn,
        who,
        object,
        AuditVerb::List,
        None,
        Some(case.lead_client_id),
    )?;
    Ok(items)
}

/// 403 for roles that never see case data (admin, analyst, steering, ...): they are refused by
/// role before any object is looked at, so nothing about cases leaks.
pub fn require_case_role(who: &Authenticated) -> Result<(), ApiError> {
    if who.principal.may(Action::WorkCases) || who.principal.may(Action::SuperviseCases) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "your role does not allow 'work_cases' or 'supervise_cases'".into(),
        ))
    }
}

/// The case for a change: 404 when the caller cannot see it, 403 when they only read it
/// (cm_coordinator supervises but does not edit).
pub fn writable_case(
    conn: &mut DbConn,
    who: &Authenticated,
    case_id: i64,
) -> Result<cases::Case, ApiError> {
    writable_case_ref(conn, who, case_id)?;
    Ok(cases::find(conn, case_id)?)
}

/// [`writable_case`] without loading the case: its id and lead client, in one query.
pub fn writable_case_ref(
    conn: &mut DbConn,
    who: &Authenticated,
    case_id: i64,
) -> Result<CaseRef, ApiError> {
    let case = case_ref_for(conn, who, case_id, Access::Read)?;
    if !case.access.may_write() {
        return Err(ApiError::Forbidden(
            "you may read this case but only its case managers may change it".into(),
        ));
    }
    Ok(case)
}
