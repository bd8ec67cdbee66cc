//! Authentication: people with passwords and short-lived JWTs, partner systems with long-lived
//! tokens; both arrive as `Authorization: Bearer`. The [`caller::Caller`] extractor turns either
//! into a `kim_domain::Principal` that handlers check against the permission table.

pub mod caller;
pub mod jwt;
pub mod login;
pub mod partner_secret;
pub mod password;

pub use caller::{Authenticated, Caller};
