//! Builders for the main aggregates. Each creates its object through the API as a test would,
//! with defaults a test overrides only where it matters, and hands back the created JSON with
//! the token that made it:
//!
//! ```ignore
//! let case = CaseBuilder::new(&app).for_case_manager("cm.zwei").create().await;
//! let referral = ReferralBuilder::new(&app, &case).to(caritas).sent().create().await;
//! ```

mod case;
mod gap;
mod offer;
mod referral;

pub use case::{family, BuiltCase, CaseBuilder};
pub use gap::{add_report, gap_path, new_gap, take_step, try_step, GapBuilder};
pub use offer::{offer, OfferBuilder};
pub use referral::{move_to, referral, ReferralBuilder};

/// The day `days` before today (after it, for a negative number), as `YYYY-MM-DD`.
pub fn days_ago(days: i64) -> String {
    (chrono::Utc::now().date_naive() - chrono::Duration::days(days)).to_string()
}

/// The `id` of a created object.
pub fn id(object: &serde_json::Value) -> i64 {
    object["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id in {object}"))
}

/// The `version` of a versioned object.
pub fn version(object: &serde_json::Value) -> i64 {
    object["version"]
        .as_i64()
        .unwrap_or_else(|| panic!("no version in {object}"))
}
