//! One module per resource. Each handler parses and authorises, runs one store function in one
//! transaction, and maps the result.

pub mod access_changes;
pub mod activities;
pub mod agreements;
pub mod audit_events;
pub mod auth;
pub mod bodies;
pub mod campaigns;
pub mod cases;
pub mod clearing;
pub mod clients;
pub mod conferences;
pub mod consents;
pub mod contacts;
pub mod coverage;
pub mod distribution;
pub mod events;
pub mod funding;
pub mod gap_contributions;
pub mod gap_steps;
pub mod gaps;
pub mod goals;
pub mod health;
pub mod intake_requests;
pub mod intake_rules;
pub mod meetings;
pub mod municipalities;
pub mod offers;
pub mod office_outcomes;
pub mod organisations;
pub mod partner_tokens;
pub mod positions;
pub mod privacy;
pub mod programme_documents;
pub mod qualification;
pub mod questionnaires;
pub mod referrals;
pub mod reports;
pub mod residence_requests;
pub mod retention;
pub mod roadmap;
pub mod social_areas;
pub mod survey_responses;
pub mod survey_results;
pub mod users;
pub mod webhooks;
pub mod work_lists;

use actix_web::dev::HttpServiceFactory;
use utoipa_actix_web::OpenApiFactory;

/// Where the route modules register their handlers: utoipa's documented table, from which the
/// OpenAPI document is built (`kim openapi`, and the test that compares it with the committed
/// file), or the plain table the server's workers serve from. Building the documentation is
/// costly — every operation collects all the schemas it refers to — and the workers do not
/// need it: they serve the committed document, which that test keeps identical.
pub trait RouteTable {
    fn service<F>(&mut self, factory: F) -> &mut Self
    where
        F: HttpServiceFactory + OpenApiFactory + 'static;
}

impl RouteTable for utoipa_actix_web::service_config::ServiceConfig<'_> {
    fn service<F>(&mut self, factory: F) -> &mut Self
    where
        F: HttpServiceFactory + OpenApiFactory + 'static,
    {
        utoipa_actix_web::service_config::ServiceConfig::service(self, factory)
    }
}

/// The plain table: registers the handlers only.
pub struct Served<'a>(pub &'a mut actix_web::web::ServiceConfig);

impl RouteTable for Served<'_> {
    fn service<F>(&mut self, factory: F) -> &mut Self
    where
        F: HttpServiceFactory + OpenApiFactory + 'static,
    {
        self.0.service(factory);
        self
    }
}

/// The versioned API under `/api/v1`.
pub fn api_v1(cfg: &mut impl RouteTable) {
    auth::configure(cfg);
    municipalities::configure(cfg);
    organisations::configure(cfg);
    users::configure(cfg);
    partner_tokens::configure(cfg);
    access_changes::configure(cfg);
    positions::configure(cfg);
    qualification::configure(cfg);
    funding::configure(cfg);
    reports::configure(cfg);
    distribution::configure(cfg);
    agreements::configure(cfg);
    roadmap::configure(cfg);
    clients::configure(cfg);
    cases::configure(cfg);
    audit_events::configure(cfg);
    work_lists::configure(cfg);
    consents::configure(cfg);
    referrals::configure(cfg);
    intake_requests::configure(cfg);
    goals::configure(cfg);
    contacts::configure(cfg);
    conferences::configure(cfg);
    residence_requests::configure(cfg);
    office_outcomes::configure(cfg);
    offers::configure(cfg);
    coverage::configure(cfg);
    bodies::configure(cfg);
    meetings::configure(cfg);
    gaps::configure(cfg);
    gap_steps::configure(cfg);
    activities::configure(cfg);
    questionnaires::configure(cfg);
    campaigns::configure(cfg);
    survey_responses::configure(cfg);
    survey_results::configure(cfg);
    privacy::configure(cfg);
    retention::configure(cfg);
    events::configure(cfg);
    webhooks::configure(cfg);
    programme_documents::configure(cfg);
    clearing::configure(cfg);
    gap_contributions::configure(cfg);
    intake_rules::configure(cfg);
    social_areas::configure(cfg);
}

/// Trims a free-text field; an empty result means "not given".
pub(crate) use kim_domain::text::trimmed;

/// For `#[validate(custom(function = "not_blank"))]`.
pub(crate) fn not_blank(value: &str) -> Result<(), validator::ValidationError> {
    if kim_domain::text::is_blank(value) {
        let mut error = validator::ValidationError::new("blank");
        error.message = Some("must not be empty".into());
        return Err(error);
    }
    Ok(())
}
