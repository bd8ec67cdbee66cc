//! Roadmap. Being written.
