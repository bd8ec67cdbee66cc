//! Funding rules: rates by year, module and item; pro-rata by month. Being written.
