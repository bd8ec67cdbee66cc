//! Builders for the main aggregates: each creates its object through the API, as a test would,
//! with defaults a test overrides only where it matters.
