//! Black-box HTTP tests; see the crate README. One binary, tests in parallel, each with its own
//! server and database.

mod access_changes;
mod agreements;
mod audit_trail;
mod auth;
mod auth_token;
mod bodies;
mod cases;
mod conferences;
mod consents;
mod contacts;
mod coverage;
mod funding;
mod gaps;
mod goals;
mod login_throttle;
mod metrics;
mod municipalities;
mod offers;
mod operations;
mod organisations;
mod paging;
mod partner_tokens;
mod positions;
mod privacy;
mod query_counts;
mod referrals;
mod reports;
mod residence_requests;
mod retention;
mod roadmap;
mod schema;
mod sessions;
mod survey_results;
mod surveys;
mod users;
