#![doc = include_str!("../README.md")]

pub mod access_changes;
pub mod activities;
pub mod agreements;
pub mod audit;
pub mod bodies;
pub mod cases;
pub mod clearing;
pub mod clients;
pub mod clock;
pub mod conferences;
pub mod connection;
pub mod consents;
pub mod contacts;
pub mod error;
pub(crate) mod filter;
pub mod funding_rates;
pub mod gap_contributions;
pub mod gap_steps;
pub mod gaps;
pub mod goals;
pub mod intake_requests;
pub mod intake_rules;
pub(crate) mod link_sets;
pub mod login_failures;
pub mod migrations;
pub mod municipalities;
pub mod offers;
pub mod office_outcomes;
pub mod organisations;
pub mod outbox;
pub mod partner_tokens;
pub mod positions;
pub mod privacy;
pub mod programme_documents;
pub mod qualification;
pub mod referrals;
pub mod reports;
pub mod residence_requests;
pub mod roadmap;
pub(crate) mod schema;
pub mod social_areas;
pub mod surveys;
pub mod synthetic;
pub mod users;
pub(crate) mod versioned;
pub mod webhooks;

pub use connection::{Backend, DatabaseUrl, DbConn, DbPool};
pub use error::StoreError;

/// Sort direction of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

/// One page of records and the number of records matching the filter.
#[derive(Debug, Clone)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub total: i64,
}
