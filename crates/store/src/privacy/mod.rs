//! Data-subject rights and retention (GDPR Art. 5(1)(e), 15, 17): the access export, erasure by
//! anonymisation, legal holds, and the retention rules with their run. The rules themselves are
//! `kim_domain::erasure` and `kim_domain::retention`.

pub mod erasure;
pub mod export;
pub mod holds;
pub mod retention;
