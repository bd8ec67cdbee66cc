//! The roadmap (Planung bis 2022): workstreams, items, half-years, delay rule. Being written.
