//! The objects of reference data, bodies and planning for the precondition table.

use kim_tests::builders::id;
use kim_tests::Method;
use serde_json::json;

use super::{Context, Resource, Target};

pub async fn target(ctx: &Context<'_>, resource: Resource) -> Target {
    use Resource::*;
    let app = ctx.app;
    match resource {
        OrganisationUpdate => {
            let body = json!({"name": "Jobcenter Rhein-Sieg", "kind": "jobcenter", "legal_domains": ["sgb_ii"]});
            let path = "/api/v1/organisations/{id}";
            let jobcenter = ctx.organisation("Jobcenter Rhein-Sieg").await;
            ctx.target(
                Method::PUT,
                path,
                path,
                jobcenter,
                &ctx.coordinator,
                Some(body),
            )
        }
        MunicipalityUpdate | MunicipalityDeletion => {
            // Names are unique: one municipality per resource of the table.
            let name = format!("Musterdorf {resource:?}");
            let created = app
                .post_json(
                    "/api/v1/municipalities",
                    &ctx.coordinator,
                    &json!({"name": name, "kind": "town", "rhine_side": "right",
                        "has_immigration_office": true, "has_youth_office": true, "has_integration_council": false,
                        "social_area": "Nord", "population": 75000, "foreign_nationals_percent": 14.5}),
                )
                .await;
            let body = json!({"name": name, "kind": "municipality", "rhine_side": "right", "population": 15000});
            let path = "/api/v1/municipalities/{id}";
            ctx.put_or_delete(
                matches!(resource, MunicipalityUpdate),
                path,
                id(&created),
                &ctx.coordinator,
                body,
            )
        }
        SocialAreaUpdate => {
            let siegburg = ctx.municipality("Siegburg").await;
            let body = json!({"name": "Siegburg", "parts": [{"municipality_id": siegburg}]});
            let created = app
                .post_json("/api/v1/social-areas", &ctx.coordinator, &body)
                .await;
            let path = "/api/v1/social-areas/{id}";
            ctx.target(
                Method::PUT,
                path,
                path,
                id(&created),
                &ctx.coordinator,
                Some(body),
            )
        }
        ActivityUpdate | ActivityDeletion => {
            let body = json!({"kind": "press_release", "title": "Neue Sprachkurse", "held_on": "2026-03-02",
                "audience": "Presse"});
            let created = app
                .post_json("/api/v1/activities", &ctx.coordinator, &body)
                .await;
            let path = "/api/v1/activities/{id}";
            ctx.put_or_delete(
                matches!(resource, ActivityUpdate),
                path,
                id(&created),
                &ctx.coordinator,
                body,
            )
        }
        RoadmapItemUpdate | RoadmapItemDeletion => {
            let title = format!("Versionen {resource:?}");
            let body = json!({"workstream": "module_2", "title": title, "planned_start": "2030-H1", "planned_end": "2030-H2"});
            let created = app
                .post_json("/api/v1/roadmap/items", &ctx.coordinator, &body)
                .await;
            let path = "/api/v1/roadmap/items/{id}";
            ctx.put_or_delete(
                matches!(resource, RoadmapItemUpdate),
                path,
                id(&created),
                &ctx.coordinator,
                body,
            )
        }
        IntakeRuleUpdate => {
            // The default rule: changed, never deleted.
            let coordination = app.token("cm_coordinator").await;
            let rules = app.get_json("/api/v1/intake-rules", &coordination).await;
            let default = &rules["items"][0];
            assert_eq!(default["scope"], "default", "{rules}");
            let body = json!({"max_years_since_arrival": 8, "exclude_other_case_management": true});
            let path = "/api/v1/intake-rules/{id}";
            ctx.target(
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
                "purpose": "Offers for families in Siegburg", "municipality_ids": [ctx.municipality("Siegburg").await],
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
            ctx.target(method, path, path, id, &ki_lead, body)
        }
        AgreementUpdate | AgreementTransition => {
            let created = app
                .post_created(
                    "/api/v1/agreements",
                    &ctx.coordinator,
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
            ctx.target(
                method,
                path,
                read,
                id(&created),
                &ctx.coordinator,
                Some(body),
            )
        }
        PositionUpdate | PositionTransition => {
            let employer = app
                .id_of("organisations", kim_api::seed::KI, &ctx.coordinator)
                .await;
            let body = json!({
                "title": format!("CM {resource:?}"), "function": "case_management", "fte": 1.0,
                "employer_organisation_id": employer, "rhine_side": "right",
                "municipalities": [{"municipality_id": ctx.municipality("Lohmar").await, "fte": 0.75}],
                "planned_since": "2026-01-01"
            });
            let created = app
                .post_created("/api/v1/positions", &ctx.coordinator, &body)
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
            ctx.target(
                method,
                path,
                read,
                id(&created),
                &ctx.coordinator,
                Some(body),
            )
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
            ctx.target(Method::PUT, path, path, id(&created), &ki_lead, Some(body))
        }
        UserUpdate => {
            let created = app
                .post_created(
                    "/api/v1/users",
                    &ctx.admin,
                    &json!({"username": "anna.schmidt", "display_name": "Anna Schmidt", "role": "analyst",
                        "password": "a long initial passphrase"}),
                )
                .await;
            let body = json!({"display_name": "Anna S.", "role": "analyst", "organisation_id": null, "active": true});
            let path = "/api/v1/users/{id}";
            ctx.target(
                Method::PUT,
                path,
                path,
                id(&created),
                &ctx.admin,
                Some(body),
            )
        }
        CourseUpdate => {
            let ki_lead = app.token("ki_lead").await;
            let body = json!({"title": "Traumasensible Beratung", "provider": "Psychosoziales Zentrum",
                "topic": "Trauma", "hours": 12});
            let created = app.post_created("/api/v1/courses", &ki_lead, &body).await;
            let path = "/api/v1/courses/{id}";
            ctx.target(Method::PUT, path, path, id(&created), &ki_lead, Some(body))
        }
        OfficeOutcomeUpdate => {
            let officer = app.token("immigration_officer").await;
            let body = json!({"year": 2026, "quarter": 2, "counts": {"counselling_sessions": 12}});
            let created = app
                .post_created("/api/v1/office-outcomes", &officer, &body)
                .await;
            let change = json!({"counts": {"counselling_sessions": 14}});
            let path = "/api/v1/office-outcomes/{id}";
            ctx.target(
                Method::PUT,
                path,
                path,
                id(&created),
                &officer,
                Some(change),
            )
        }
        SocialAreaDeletion => {
            let body = json!({"name": "Lohmar", "parts": [{"municipality_id": ctx.municipality("Lohmar").await}]});
            let created = app
                .post_created("/api/v1/social-areas", &ctx.coordinator, &body)
                .await;
            let path = "/api/v1/social-areas/{id}";
            ctx.target(
                Method::DELETE,
                path,
                path,
                id(&created),
                &ctx.coordinator,
                None,
            )
        }
        IntakeRuleDeletion => {
            let coordination = app.token("cm_coordinator").await;
            let body = json!({"municipality_id": ctx.municipality("Lohmar").await, "max_years_since_arrival": 4,
                "exclude_other_case_management": true});
            let created = app
                .post_created("/api/v1/intake-rules", &coordination, &body)
                .await;
            let path = "/api/v1/intake-rules/{id}";
            ctx.target(
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
                .post_created("/api/v1/organisations", &ctx.coordinator, &body)
                .await;
            let path = "/api/v1/organisations/{id}";
            ctx.target(
                Method::DELETE,
                path,
                path,
                id(&created),
                &ctx.coordinator,
                None,
            )
        }
        QuestionnaireUpdate | QuestionnaireDeletion => {
            let body = crate::surveys::questionnaire(&format!("Rechte {resource:?}"));
            let created = app
                .post_created("/api/v1/questionnaires", &ctx.coordinator, &body)
                .await;
            let path = "/api/v1/questionnaires/{id}";
            match resource {
                QuestionnaireUpdate => {
                    let body = json!({"title": "Rechte 2021", "description": "Neu"});
                    ctx.target(
                        Method::PUT,
                        path,
                        path,
                        id(&created),
                        &ctx.coordinator,
                        Some(body),
                    )
                }
                _ => ctx.target(
                    Method::DELETE,
                    path,
                    path,
                    id(&created),
                    &ctx.coordinator,
                    None,
                ),
            }
        }
        QuestionnaireVersionReplace => {
            // `{id}` is the version's number within a fresh questionnaire.
            let body = crate::surveys::questionnaire("Versionen");
            let created = app
                .post_created("/api/v1/questionnaires", &ctx.coordinator, &body)
                .await;
            let path = format!("/api/v1/questionnaires/{}/versions/{{id}}", id(&created));
            let change = json!({"sections": body["sections"]});
            ctx.target(
                Method::PUT,
                path.clone(),
                path,
                1,
                &ctx.coordinator,
                Some(change),
            )
        }
        NeedScoreUpdate => {
            // The weights of the demo county's campaign, whose questionnaire asks scale
            // questions such as `need_newcomers`.
            let demo = app.get_json("/api/v1/campaigns", &ctx.coordinator).await;
            let campaign = demo["items"][0]["id"].as_i64().expect("demo campaign");
            let path = "/api/v1/campaigns/{id}/need-score";
            let weights = json!({"weights": [{"question_key": "need_newcomers", "weight": 2}]});
            ctx.target(
                Method::PUT,
                path,
                path,
                campaign,
                &ctx.coordinator,
                Some(weights),
            )
        }
        CampaignUpdate | CampaignDeletion => {
            // A draft campaign on the questionnaire version of the demo county's campaign.
            let demo = app.get_json("/api/v1/campaigns", &ctx.coordinator).await;
            let version_id = demo["items"][0]["questionnaire_version_id"].clone();
            let body = json!({"questionnaire_version_id": version_id,
                "title": format!("Entwurf {resource:?}"), "opens_on": "2030-01-01",
                "closes_on": "2030-01-31"});
            let created = app
                .post_created("/api/v1/campaigns", &ctx.coordinator, &body)
                .await;
            let path = "/api/v1/campaigns/{id}";
            match resource {
                CampaignUpdate => {
                    let mut changed = body.clone();
                    changed["status"] = json!("draft");
                    changed["closes_on"] = json!("2030-02-28");
                    ctx.target(
                        Method::PUT,
                        path,
                        path,
                        id(&created),
                        &ctx.coordinator,
                        Some(changed),
                    )
                }
                _ => ctx.target(
                    Method::DELETE,
                    path,
                    path,
                    id(&created),
                    &ctx.coordinator,
                    None,
                ),
            }
        }
        _ => unreachable!("{resource:?} is not reference"),
    }
}
