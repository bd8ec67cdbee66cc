//! Roadmap workstreams and items. Being written.
