//! The representations that more than one route module shows or takes: a resource's JSON as its
//! own routes answer it (and the privacy export repeats it), and the request bodies two
//! operations share. Route modules import from here, never from one another, so a resource's
//! shape has one home whoever shows it.

pub mod access_change;
pub mod audit_event;
pub mod case;
pub mod clearing;
pub mod client;
pub mod conference;
pub mod consent;
pub mod contact;
pub mod funding;
pub mod gap;
pub mod goal;
pub mod intake_request;
pub mod need_score;
pub mod referral;
pub mod respondent;
