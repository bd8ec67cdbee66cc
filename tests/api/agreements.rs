//! Cooperation agreements. Being written.
