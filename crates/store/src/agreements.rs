//! Cooperation agreements (Kooperationsvereinbarungen). Being written.
