//! Opening a case: the checks of the case rules, the assignment, the clients (new ones
//! created, existing ones visible to the caller), the case and the audit events of each.
//! `POST /cases` and the acceptance of an intake request both open cases through
//! [`open_in`], so every case rule holds for both; changing a case reuses its checks.

use chrono::NaiveDate;
use kim_domain::access::{check_case_worker, opening_assignment, Access};
use kim_domain::audit::{AuditObject, AuditVerb};
use kim_domain::case::{
    check_client_limit, check_clients_named, check_intake_source, check_other_case_management,
    OtherCaseManagement, TargetGroup,
};
use kim_domain::eligibility::{
    check_arrival_date, check_opened_on, decide_intake, IntakeDecision, IntakeFacts,
};
use kim_store::cases::{self as store, Intake};
use kim_store::clients::{self, NamedClient};

use crate::auth::Authenticated;
use crate::case_access::{audit, client_for};
use crate::error::{invalid_fields, FieldError, OrUnknown};
use crate::views::case::{CaseClient, CaseInput};
use crate::ApiError;

/// The days a case's checks look at.
pub(crate) struct IntakeDays {
    /// The recorded opening date, which the arrival date may not follow.
    pub(crate) opened_on: NaiveDate,
    /// The day the case is really opened, which the intake rule is judged on.
    pub(crate) decided_on: NaiveDate,
    /// On opening: how far `opened_on` may lie before `decided_on` (today).
    pub(crate) backdate_limit: Option<u32>,
}

/// The checks that need no database: fields, opening date, intake source, other case
/// management, the rule.
pub(crate) fn check_input(
    input: &CaseInput,
    rule: &kim_domain::eligibility::EligibilityRule,
    days: &IntakeDays,
) -> Result<(Vec<OtherCaseManagement>, Intake), ApiError> {
    let IntakeDays {
        opened_on,
        decided_on,
        backdate_limit,
    } = *days;
    let mut errors: Vec<FieldError> = invalid_fields(&input);
    let mut push = |e: kim_domain::field::FieldError| errors.push(FieldError::from(e));
    if let Err(e) = check_client_limit(input.clients.len()) {
        push(e);
    }
    if let Some(limit) = backdate_limit {
        if let Err(e) = check_opened_on(opened_on, decided_on, limit) {
            push(e);
        }
    }
    if let Err(e) = check_intake_source(input.intake_channel, input.referring_organisation_id) {
        push(e);
    }
    let other = match check_other_case_management(&input.other_case_management) {
        Ok(other) => other,
        Err(e) => {
            push(e);
            Vec::new()
        }
    };
    if let Some(arrived) = input.arrived_on {
        if let Err(e) = check_arrival_date(arrived, opened_on) {
            push(e);
        }
    }
    let eligibility = rule.evaluate(&IntakeFacts {
        arrived_on: input.arrived_on,
        other_case_management: &other,
        decided_on,
    });
    let intake = match decide_intake(eligibility, input.justification.as_deref()) {
        Ok(IntakeDecision::Regular) => Intake {
            eligible: true,
            justification: None,
        },
        Ok(IntakeDecision::Exception { justification, .. }) => Intake {
            eligible: false,
            justification: Some(justification),
        },
        Err(e) => {
            push(e);
            Intake {
                eligible: true,
                justification: None,
            }
        }
    };
    if !errors.is_empty() {
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        return Err(ApiError::Validation(errors));
    }
    Ok((other, intake))
}

/// The intake rule a case opened in `municipality_id` for `target_group` is judged by: the most
/// specific stored rule covering it (`GET /intake-rules`); `configured` (`KIM_INTAKE_*`) only
/// when not even a default rule is stored, which the first start writes.
pub(crate) fn intake_rule_for(
    conn: &mut kim_store::DbConn,
    municipality_id: i64,
    target_group: TargetGroup,
    configured: &kim_domain::eligibility::EligibilityRule,
) -> Result<kim_domain::eligibility::EligibilityRule, ApiError> {
    let rules = kim_store::intake_rules::covering(conn, municipality_id)?;
    Ok(
        kim_domain::intake_rule::applicable_rule(&rules, municipality_id, target_group)
            .cloned()
            .unwrap_or_else(|| configured.clone()),
    )
}

/// The case manager and deputy a case is given to must be active accounts whose role works
/// cases (422 naming the field otherwise).
pub(crate) fn check_case_workers(
    conn: &mut kim_store::DbConn,
    assigned: i64,
    deputy: Option<i64>,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for (field, user) in [
        ("assigned_user_id", Some(assigned)),
        ("deputy_user_id", deputy),
    ] {
        let Some(user) = user else { continue };
        match kim_store::users::active_role(conn, user)? {
            None => errors.push(FieldError::reference(
                field,
                format!("no active user with id {user}"),
            )),
            Some(role) => {
                if let Err(e) = check_case_worker(field, user, role) {
                    errors.push(FieldError::from(e));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Opens a case as `who` (user `me`): the checks of the case rules, the assignment, the
/// clients (new ones created, existing ones visible to the caller), the case and the audit
/// events of each; in the caller's transaction. `POST /cases` and the acceptance of an intake
/// request (`POST /intake-requests/{id}/accept`) both open cases through it, so every case
/// rule holds for both.
pub(crate) fn open_in(
    conn: &mut kim_store::DbConn,
    who: &Authenticated,
    me: i64,
    mut input: CaseInput,
    rule: &kim_domain::eligibility::EligibilityRule,
    today: NaiveDate,
    backdate_limit: u32,
) -> Result<store::Case, ApiError> {
    let year = chrono::Datelike::year(&today);
    let opened_on = input.opened_on.unwrap_or(today);
    let days = IntakeDays {
        opened_on,
        decided_on: today,
        backdate_limit: Some(backdate_limit),
    };
    let rule = intake_rule_for(conn, input.municipality_id, input.target_group, rule)?;
    let (other, intake) = check_input(&input, &rule, &days)?;
    check_clients_named(input.clients.len())?;
    if input.client_ids.is_some() {
        return Err(ApiError::rule(
            "client_ids",
            "is for updates; on opening give `clients`",
        ));
    }
    let (assigned, deputy) = opening_assignment(
        &who.principal,
        me,
        input.assigned_user_id,
        input.deputy_user_id,
    )?;
    check_case_workers(conn, assigned, deputy)?;
    let mut named = Vec::with_capacity(input.clients.len());
    for (index, client) in std::mem::take(&mut input.clients).into_iter().enumerate() {
        named.push(match client {
            CaseClient::Existing { id } => {
                client_for(conn, who, id, Access::Read).or_unknown(
                    "clients",
                    format!("client {id}: no such client, or you may not see it"),
                )?;
                NamedClient::Existing(id)
            }
            CaseClient::New(new) => NamedClient::New(
                new.into_data(&format!("clients[{index}]."))
                    .map_err(ApiError::Validation)?,
            ),
        });
    }
    let organisation = kim_store::users::find(conn, me)?.organisation_id;
    let (client_ids, created) = clients::resolve_named(conn, &named, organisation, Some(me), year)?;
    for client in &created {
        audit(
            conn,
            who,
            AuditObject::Client,
            AuditVerb::Create,
            Some(client.id),
            Some(&client.reference),
        )?;
    }
    let data = input.case_data(client_ids, other);
    let case = store::insert(
        conn,
        &who.actor(),
        &data,
        assigned,
        deputy,
        &intake,
        opened_on,
    )?;
    audit(
        conn,
        who,
        AuditObject::Case,
        AuditVerb::Create,
        Some(case.id),
        Some(&case.lead_client_reference),
    )?;
    Ok(case)
}
