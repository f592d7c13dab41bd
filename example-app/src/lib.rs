//! The example application: a small photo-sharing service whose schema evolves through the migrations in
//! `migrations/`.
#![forbid(unsafe_code)]

pub mod migrations;
