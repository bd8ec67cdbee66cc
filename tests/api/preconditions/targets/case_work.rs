//! The objects of case work, gaps and offers for the precondition table.

use kim_tests::builders::{family, id, new_gap, offer, referral};
use kim_tests::{CaseBuilder, Method};
use serde_json::json;

use super::super::OUTSIDER;

use super::{Context, Resource, Target};

pub async fn target(ctx: &Context<'_>, resource: Resource) -> Target {
    use Resource::*;
    let app = ctx.app;
    match resource {
        CaseUpdate => {
            let case = CaseBuilder::new(app).create().await;
            let mut body = family(ctx.municipality("Siegburg").await);
            let fields = body.as_object_mut().expect("object");
            fields.remove("clients");
            fields.remove("opened_on");
            body["client_ids"] = json!([case.lead_client_id]);
            let (path, token) = ("/api/v1/cases/{id}", &case.token);
            ctx.target(Method::PUT, path, path, case.id, token, Some(body))
        }
        CaseTransition => {
            let case = CaseBuilder::new(app).create().await;
            let body = json!({"to": "active"});
            let (path, read) = ("/api/v1/cases/{id}/transitions", "/api/v1/cases/{id}");
            ctx.target(Method::POST, path, read, case.id, &case.token, Some(body))
        }
        CaseReassignment => {
            let case = CaseBuilder::new(app).create().await;
            let other = app.id_of("users", OUTSIDER, &ctx.admin).await;
            let body = json!({"assigned_user_id": other, "reason": "parental leave"});
            let coordination = app.token("cm_coordinator").await;
            let (path, read) = ("/api/v1/cases/{id}/reassign", "/api/v1/cases/{id}");
            ctx.target(Method::POST, path, read, case.id, &coordination, Some(body))
        }
        ClientUpdate => {
            let case = CaseBuilder::new(app).create().await;
            let body = json!({"given_name": "Amina", "family_name": "S.", "birth_year": 1990,
                "municipality_id": ctx.municipality("Siegburg").await});
            let path = "/api/v1/clients/{id}";
            ctx.target(
                Method::PUT,
                path,
                path,
                case.lead_client_id,
                &case.token,
                Some(body),
            )
        }
        ReferralUpdate | ReferralTransition | ReferralDeletion => {
            let jobcenter = ctx.organisation("Jobcenter Rhein-Sieg").await;
            let case = CaseBuilder::new(app)
                .with_consent(jobcenter, json!(["residence_status"]))
                .create()
                .await;
            let drafted = kim_tests::ReferralBuilder::new(app, case.id, &case.token)
                .to(jobcenter)
                .sharing(json!(["residence_status"]))
                .create()
                .await;
            let read = "/api/v1/referrals/{id}";
            let (method, path, body) = match resource {
                ReferralUpdate => (
                    Method::PUT,
                    read,
                    Some(referral(jobcenter, json!(["residence_status"]))),
                ),
                ReferralTransition => (
                    Method::POST,
                    "/api/v1/referrals/{id}/transitions",
                    Some(json!({"to": "sent"})),
                ),
                _ => (Method::DELETE, read, None),
            };
            ctx.target(method, path, read, id(&drafted), &case.token, body)
        }
        GoalUpdate => {
            let case = CaseBuilder::new(app).create().await;
            let goal = app
                .post_json(
                    &format!("/api/v1/cases/{}/goals", case.id),
                    &case.token,
                    &json!({"text": "B1 language certificate", "topic": "language", "target_on": "2027-06-30"}),
                )
                .await;
            let body = json!({"text": "x", "topic": "work", "status": "dropped"});
            let path = "/api/v1/goals/{id}";
            ctx.target(Method::PUT, path, path, id(&goal), &case.token, Some(body))
        }
        ContactUpdate => {
            let case = CaseBuilder::new(app).create().await;
            let body = json!({"occurred_on": "2026-11-02", "kind": "home_visit", "duration_minutes": 60,
                "participants": ["client", "interpreter"], "note": "Discussed the language course"});
            let contact = app
                .post_json(
                    &format!("/api/v1/cases/{}/contacts", case.id),
                    &case.token,
                    &body,
                )
                .await;
            let path = "/api/v1/contacts/{id}";
            ctx.target(
                Method::PUT,
                path,
                path,
                id(&contact),
                &case.token,
                Some(body),
            )
        }
        GapStep => {
            let gap = kim_tests::GapBuilder::new(app)
                .with_body(new_gap("Kita places", &[]))
                .also_reported_by(OUTSIDER)
                .create()
                .await;
            let coordination = app.token("cm_coordinator").await;
            let (path, read) = ("/api/v1/gaps/{id}/escalate", "/api/v1/gaps/{id}");
            ctx.target(
                Method::POST,
                path,
                read,
                id(&gap),
                &coordination,
                Some(json!({})),
            )
        }
        OfferUpdate | OfferDeletion => {
            let created = kim_tests::OfferBuilder::new(app)
                .titled("Versionen")
                .create()
                .await;
            let path = "/api/v1/offers/{id}";
            let body = offer(
                ctx.organisation("Caritasverband Rhein-Sieg").await,
                "Versionen 2",
                &[],
            );
            ctx.put_or_delete(
                matches!(resource, OfferUpdate),
                path,
                id(&created),
                &ctx.coordinator,
                body,
            )
        }
        ConferenceUpdate => {
            let case = CaseBuilder::new(app).create().await;
            let me = app.id_of("users", "case_manager", &ctx.admin).await;
            let ki = ctx.organisation(kim_api::seed::KI).await;
            let body = json!({"case_id": case.id, "held_on": "2026-11-18",
                "outcome": "Jobcenter funds the B1 course", "organisation_ids": [ki], "user_ids": [me],
                "tasks": [{"description": "Apply for the course", "owner_user_id": me, "due_on": "2026-12-01"}]});
            let created = app
                .post_created("/api/v1/conferences", &case.token, &body)
                .await;
            let path = "/api/v1/conferences/{id}";
            ctx.target(
                Method::PUT,
                path,
                path,
                id(&created),
                &case.token,
                Some(body),
            )
        }
        ResidenceRequestTransition => {
            let case = CaseBuilder::new(app).create().await;
            let office = {
                let mut conn = app.pool.get().expect("connection");
                kim_store::users::find_by_username(&mut conn, "immigration_officer")
                    .expect("query")
                    .and_then(|user| user.organisation_id)
                    .expect("the demo immigration office")
            };
            let given_on = chrono::Utc::now().date_naive() - chrono::Duration::days(3);
            app.post_created(
                &format!("/api/v1/clients/{}/consents", case.lead_client_id),
                &case.token,
                &json!({"recipient_organisation_ids": [office], "purposes": ["residence_law_request"],
                    "categories": ["identity", "residence_status"], "given_on": given_on}),
            )
            .await;
            let request = app
                .post_created(
                    &format!("/api/v1/cases/{}/residence-requests", case.id),
                    &case.token,
                    &json!({"client_id": case.lead_client_id, "office_organisation_id": office,
                        "question": "Does § 25b apply?", "shared_categories": ["residence_status"]}),
                )
                .await;
            let (path, read) = (
                "/api/v1/residence-requests/{id}/transitions",
                "/api/v1/residence-requests/{id}",
            );
            let body = json!({"to": "withdrawn"});
            ctx.target(
                Method::POST,
                path,
                read,
                id(&request),
                &case.token,
                Some(body),
            )
        }
        IntakeRequestDecline => {
            let jobcenter = ctx.organisation("Jobcenter Rhein-Sieg").await;
            let partner = app
                .issue_partner_token(
                    &json!({"name": "Fachverfahren", "organisation_id": jobcenter,
                    "scopes": ["intake:write"], "expires_in_days": 30}),
                )
                .await["secret"]
                .as_str()
                .expect("secret")
                .to_owned();
            let given_on =
                (chrono::Utc::now().date_naive() - chrono::Duration::days(2)).to_string();
            let request = app
                .post_created(
                    "/api/v1/intake-requests",
                    &partner,
                    &json!({"partner_reference": "JC-4711", "given_name": "Amina",
                        "family_name": "Khalil", "municipality_id": ctx.municipality("Troisdorf").await,
                        "reason": "Sucht Unterstützung bei Arbeit und Sprache", "topics": ["work"],
                        "consent_to_transfer": {"given": true, "given_on": given_on}}),
                )
                .await;
            let coordinator = app.token("cm_coordinator").await;
            let (path, read) = (
                "/api/v1/intake-requests/{id}/decline",
                "/api/v1/intake-requests/{id}",
            );
            let body = json!({"reason": "Zuständig ist das Kommunale Integrationszentrum."});
            ctx.target(
                Method::POST,
                path,
                read,
                id(&request),
                &coordinator,
                Some(body),
            )
        }
        _ => unreachable!("{resource:?} is not case_work"),
    }
}
