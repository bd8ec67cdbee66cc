//! Funding rates by year, module and item. Being written.
