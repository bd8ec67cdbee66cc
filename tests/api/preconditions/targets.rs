//! For each versioned operation of the table, a fresh object and the change sent to it.

use kim_tests::builders::{family, id, new_gap, offer, referral};
use kim_tests::{CaseBuilder, Method, TestApp};
use serde_json::{json, Value};

use super::OUTSIDER;

/// A versioned operation: `{id}` in `operation` and `read` stands for the object's id.
#[derive(Clone, Copy, Debug)]
pub enum Resource {
    CaseUpdate,
    CaseTransition,
    CaseReassignment,
    ClientUpdate,
    ReferralUpdate,
    ReferralTransition,
    ReferralDeletion,
    GoalUpdate,
    ContactUpdate,
    GapStep,
    OfferUpdate,
    OfferDeletion,
    OrganisationUpdate,
    MunicipalityUpdate,
    MunicipalityDeletion,
    SocialAreaUpdate,
    ActivityUpdate,
    ActivityDeletion,
    RoadmapItemUpdate,
    RoadmapItemDeletion,
    IntakeRuleUpdate,
    BodyUpdate,
    BodyDeletion,
    MeetingUpdate,
    MeetingDeletion,
    AgreementUpdate,
    AgreementTransition,
    PositionUpdate,
    PositionTransition,
    ProgrammeDocumentUpdate,
    UserUpdate,
    ConferenceUpdate,
    CourseUpdate,
    SocialAreaDeletion,
    IntakeRuleDeletion,
    OrganisationDeletion,
}

/// A fresh object and the change that the table sends to it.
pub struct Target {
    pub method: Method,
    /// The path of the change, with `{id}` for the object's id.
    pub operation: &'static str,
    /// The path that shows the object's `version`, with `{id}`.
    pub read: &'static str,
    pub id: i64,
    /// A caller who may make the change (and read the object).
    pub token: String,
    pub body: Option<Value>,
    /// A caller who may not see this object, where objects have per-object visibility.
    pub outsider: Option<String>,
}

/// Makes a fresh object for `resource`.
pub async fn target(app: &TestApp, resource: Resource) -> Target {
    use Resource::*;
    let outsider = match resource {
        CaseUpdate | CaseTransition | ClientUpdate | ReferralUpdate | ReferralTransition
        | ReferralDeletion | GoalUpdate | ContactUpdate | ConferenceUpdate => {
            Some(app.token_of(OUTSIDER).await)
        }
        _ => None,
    };
    let admin = app.token("admin").await;
    let coordinator = app.token("coordinator").await;
    let organisation = |name: &'static str| {
        let admin = admin.clone();
        async move { app.id_of("organisations", name, &admin).await }
    };
    let municipality = |name: &'static str| {
        let admin = admin.clone();
        async move { app.id_of("municipalities", name, &admin).await }
    };
    let target = |method, operation, read, id, token: &str, body: Option<Value>| Target {
        method,
        operation,
        read,
        id,
        token: token.into(),
        body,
        outsider: outsider.clone(),
    };
    match resource {
        CaseUpdate => {
            let case = CaseBuilder::new(app).create().await;
            let mut body = family(municipality("Siegburg").await);
            let fields = body.as_object_mut().expect("object");
            fields.remove("clients");
            fields.remove("opened_on");
            body["client_ids"] = json!([case.lead_client_id]);
            let (path, token) = ("/api/v1/cases/{id}", &case.token);
            target(Method::PUT, path, path, case.id, token, Some(body))
        }
        CaseTransition => {
            let case = CaseBuilder::new(app).create().await;
            let body = json!({"to": "active"});
            let (path, read) = ("/api/v1/cases/{id}/transitions", "/api/v1/cases/{id}");
            target(Method::POST, path, read, case.id, &case.token, Some(body))
        }
        CaseReassignment => {
            let case = CaseBuilder::new(app).create().await;
            let other = app.id_of("users", OUTSIDER, &admin).await;
            let body = json!({"assigned_user_id": other, "reason": "parental leave"});
            let coordination = app.token("cm_coordinator").await;
            let (path, read) = ("/api/v1/cases/{id}/reassign", "/api/v1/cases/{id}");
            target(Method::POST, path, read, case.id, &coordination, Some(body))
        }
        ClientUpdate => {
            let case = CaseBuilder::new(app).create().await;
            let body = json!({"given_name": "Amina", "family_name": "S.", "birth_year": 1990,
                "municipality_id": municipality("Siegburg").await});
            let path = "/api/v1/clients/{id}";
            target(
                Method::PUT,
                path,
                path,
                case.lead_client_id,
                &case.token,
                Some(body),
            )
        }
        ReferralUpdate | ReferralTransition | ReferralDeletion => {
            let jobcenter = organisation("Jobcenter Rhein-Sieg").await;
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
            target(method, path, read, id(&drafted), &case.token, body)
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
            target(Method::PUT, path, path, id(&goal), &case.token, Some(body))
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
            target(
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
            target(
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
                organisation("Caritasverband Rhein-Sieg").await,
                "Versionen 2",
                &[],
            );
            match resource {
                OfferUpdate => target(
                    Method::PUT,
                    path,
                    path,
                    id(&created),
                    &coordinator,
                    Some(body),
                ),
                _ => target(Method::DELETE, path, path, id(&created), &coordinator, None),
            }
        }
        OrganisationUpdate => {
            let body = json!({"name": "Jobcenter Rhein-Sieg", "kind": "jobcenter", "legal_domains": ["sgb_ii"]});
            let path = "/api/v1/organisations/{id}";
            let jobcenter = organisation("Jobcenter Rhein-Sieg").await;
            target(Method::PUT, path, path, jobcenter, &coordinator, Some(body))
        }
        MunicipalityUpdate | MunicipalityDeletion => {
            // Names are unique: one municipality per resource of the table.
            let name = format!("Musterdorf {resource:?}");
            let created = app
                .post_json(
                    "/api/v1/municipalities",
                    &coordinator,
                    &json!({"name": name, "kind": "town", "rhine_side": "right",
                        "has_immigration_office": true, "has_youth_office": true, "has_integration_council": false,
                        "social_area": "Nord", "population": 75000, "foreign_nationals_percent": 14.5}),
                )
                .await;
            let body = json!({"name": name, "kind": "municipality", "rhine_side": "right", "population": 15000});
            let path = "/api/v1/municipalities/{id}";
            match resource {
                MunicipalityUpdate => target(
                    Method::PUT,
                    path,
                    path,
                    id(&created),
                    &coordinator,
                    Some(body),
                ),
                _ => target(Method::DELETE, path, path, id(&created), &coordinator, None),
            }
        }
        SocialAreaUpdate => {
            let siegburg = municipality("Siegburg").await;
            let body = json!({"name": "Siegburg", "parts": [{"municipality_id": siegburg}]});
            let created = app
                .post_json("/api/v1/social-areas", &coordinator, &body)
                .await;
            let path = "/api/v1/social-areas/{id}";
            target(
                Method::PUT,
                path,
                path,
                id(&created),
                &coordinator,
                Some(body),
            )
        }
        ActivityUpdate | ActivityDeletion => {
            let body = json!({"kind": "press_release", "title": "Neue Sprachkurse", "held_on": "2026-03-02",
                "audience": "Presse"});
            let created = app
                .post_json("/api/v1/activities", &coordinator, &body)
                .await;
            let path = "/api/v1/activities/{id}";
            match resource {
                ActivityUpdate => target(
                    Method::PUT,
                    path,
                    path,
                    id(&created),
                    &coordinator,
                    Some(body),
                ),
                _ => target(Method::DELETE, path, path, id(&created), &coordinator, None),
            }
        }
        RoadmapItemUpdate | RoadmapItemDeletion => {
            let title = format!("Versionen {resource:?}");
            let body = json!({"workstream": "module_2", "title": title, "planned_start": "2030-H1", "planned_end": "2030-H2"});
            let created = app
                .post_json("/api/v1/roadmap/items", &coordinator, &body)
                .await;
            let path = "/api/v1/roadmap/items/{id}";
            match resource {
                RoadmapItemUpdate => target(
                    Method::PUT,
                    path,
                    path,
                    id(&created),
                    &coordinator,
                    Some(body),
                ),
                _ => target(Method::DELETE, path, path, id(&created), &coordinator, None),
            }
        }
        IntakeRuleUpdate => {
            // The default rule: changed, never deleted.
            let coordination = app.token("cm_coordinator").await;
            let rules = app.get_json("/api/v1/intake-rules", &coordination).await;
            let default = &rules["items"][0];
            assert_eq!(default["scope"], "default", "{rules}");
            let body = json!({"max_years_since_arrival": 8, "exclude_other_case_management": true});
            let path = "/api/v1/intake-rules/{id}";
            target(
                Method::PUT,
                path,
                path,
                id(default),
                &coordination,
                Some(body),
            )
        }
        BodyUpdate | BodyDeletion | MeetingUpdate | MeetingDeletion => {
            let ki_lead = app.token("ki_lead").await;
            let body = json!({"kind": "project_group_local", "name": format!("Projektgruppe {resource:?}"),
                "purpose": "Offers for families in Siegburg", "municipality_ids": [municipality("Siegburg").await],
                "active_from": "2026-01-01", "members": [{"organisation_id": 1, "function": "KI"}]});
            let created = app.post_json("/api/v1/bodies", &ki_lead, &body).await;
            let (method, path, id, body) = match resource {
                BodyUpdate => (Method::PUT, "/api/v1/bodies/{id}", id(&created), Some(body)),
                BodyDeletion => (Method::DELETE, "/api/v1/bodies/{id}", id(&created), None),
                _ => {
                    let meetings = format!("/api/v1/bodies/{}/meetings", id(&created));
                    let meeting = app
                        .post_json(
                            &meetings,
                            &ki_lead,
                            &json!({"held_on": "2026-11-20", "title": "t"}),
                        )
                        .await;
                    let body = json!({"held_on": "2026-11-21", "title": "t2"});
                    match resource {
                        MeetingUpdate => (
                            Method::PUT,
                            "/api/v1/meetings/{id}",
                            id(&meeting),
                            Some(body),
                        ),
                        _ => (Method::DELETE, "/api/v1/meetings/{id}", id(&meeting), None),
                    }
                }
            };
            target(method, path, path, id, &ki_lead, body)
        }
        AgreementUpdate | AgreementTransition => {
            let created = app
                .post_created(
                    "/api/v1/agreements",
                    &coordinator,
                    &json!({"title": "KV Meckenheim"}),
                )
                .await;
            let read = "/api/v1/agreements/{id}";
            let (method, path, body) = match resource {
                AgreementUpdate => (
                    Method::PUT,
                    read,
                    json!({"title": "KV Meckenheim", "modules": ["module_2"]}),
                ),
                _ => (
                    Method::POST,
                    "/api/v1/agreements/{id}/transitions",
                    json!({"to": "negotiating"}),
                ),
            };
            target(method, path, read, id(&created), &coordinator, Some(body))
        }
        PositionUpdate | PositionTransition => {
            let employer = app
                .id_of("organisations", kim_api::seed::KI, &coordinator)
                .await;
            let body = json!({
                "title": format!("CM {resource:?}"), "function": "case_management", "fte": 1.0,
                "employer_organisation_id": employer, "rhine_side": "right",
                "municipalities": [{"municipality_id": municipality("Lohmar").await, "fte": 0.75}],
                "planned_since": "2026-01-01"
            });
            let created = app
                .post_created("/api/v1/positions", &coordinator, &body)
                .await;
            let read = "/api/v1/positions/{id}";
            let (method, path, body) = match resource {
                PositionUpdate => {
                    let mut body = body;
                    // Set on create only; phases move through transitions.
                    body.as_object_mut()
                        .expect("object")
                        .remove("planned_since");
                    (Method::PUT, read, body)
                }
                _ => (
                    Method::POST,
                    "/api/v1/positions/{id}/transitions",
                    json!({"to": "recruiting", "effective_on": "2026-02-01"}),
                ),
            };
            target(method, path, read, id(&created), &coordinator, Some(body))
        }
        ProgrammeDocumentUpdate => {
            let ki_lead = app.token("ki_lead").await;
            let created = app
                .post_created(
                    "/api/v1/programme-documents",
                    &ki_lead,
                    &json!({"kind": "integration_concept", "title": "Integrationskonzept",
                        "attachment_url": "https://www.rhein-sieg-kreis.example/integrationskonzept.pdf"}),
                )
                .await;
            let body = json!({"title": "Integrationskonzept des Rhein-Sieg-Kreises",
                "text": "Leitlinien", "attachment_url": null});
            let path = "/api/v1/programme-documents/{id}";
            target(Method::PUT, path, path, id(&created), &ki_lead, Some(body))
        }
        UserUpdate => {
            let created = app
                .post_created(
                    "/api/v1/users",
                    &admin,
                    &json!({"username": "anna.schmidt", "display_name": "Anna Schmidt", "role": "analyst",
                        "password": "a long initial passphrase"}),
                )
                .await;
            let body = json!({"display_name": "Anna S.", "role": "analyst", "organisation_id": null, "active": true});
            let path = "/api/v1/users/{id}";
            target(Method::PUT, path, path, id(&created), &admin, Some(body))
        }
        ConferenceUpdate => {
            let case = CaseBuilder::new(app).create().await;
            let me = app.id_of("users", "case_manager", &admin).await;
            let ki = organisation(kim_api::seed::KI).await;
            let body = json!({"case_id": case.id, "held_on": "2026-11-18",
                "outcome": "Jobcenter funds the B1 course", "organisation_ids": [ki], "user_ids": [me],
                "tasks": [{"description": "Apply for the course", "owner_user_id": me, "due_on": "2026-12-01"}]});
            let created = app
                .post_created("/api/v1/conferences", &case.token, &body)
                .await;
            let path = "/api/v1/conferences/{id}";
            target(
                Method::PUT,
                path,
                path,
                id(&created),
                &case.token,
                Some(body),
            )
        }
        CourseUpdate => {
            let ki_lead = app.token("ki_lead").await;
            let body = json!({"title": "Traumasensible Beratung", "provider": "Psychosoziales Zentrum",
                "topic": "Trauma", "hours": 12});
            let created = app.post_created("/api/v1/courses", &ki_lead, &body).await;
            let path = "/api/v1/courses/{id}";
            target(Method::PUT, path, path, id(&created), &ki_lead, Some(body))
        }
        SocialAreaDeletion => {
            let body = json!({"name": "Lohmar", "parts": [{"municipality_id": municipality("Lohmar").await}]});
            let created = app
                .post_created("/api/v1/social-areas", &coordinator, &body)
                .await;
            let path = "/api/v1/social-areas/{id}";
            target(Method::DELETE, path, path, id(&created), &coordinator, None)
        }
        IntakeRuleDeletion => {
            let coordination = app.token("cm_coordinator").await;
            let body = json!({"municipality_id": municipality("Lohmar").await, "max_years_since_arrival": 4,
                "exclude_other_case_management": true});
            let created = app
                .post_created("/api/v1/intake-rules", &coordination, &body)
                .await;
            let path = "/api/v1/intake-rules/{id}";
            target(
                Method::DELETE,
                path,
                path,
                id(&created),
                &coordination,
                None,
            )
        }
        OrganisationDeletion => {
            let body = json!({"name": "Verein Neu", "kind": "volunteer_initiative", "legal_domains": ["sgb_ii"]});
            let created = app
                .post_created("/api/v1/organisations", &coordinator, &body)
                .await;
            let path = "/api/v1/organisations/{id}";
            target(Method::DELETE, path, path, id(&created), &coordinator, None)
        }
    }
}
