//! Cooperation agreements (Kooperationsvereinbarungen): status machine and rules. Being written.
