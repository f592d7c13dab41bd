//! The example application: a small photo-sharing service (posts with a location, and comments) whose
//! schema evolves through the migrations in `migrations/`.
//!
//! - [`migrations`]: the migrations compiled in, the same list the migration CLI's runner uses;
//! - [`phase`]: the app versions deployed while the schema changes, and which migrations each needs;
//! - [`store`]: the queries, per phase; [`form`]: input validation; [`html`]: the page; [`web`]: HTTP;
//! - [`panel`]: the schema panel (applied and pending migrations, expand or contract, supported phases);
//! - [`database`]: pool, start-up migrations, and the throwaway local cluster for a first run.
#![forbid(unsafe_code)]

pub mod database;
pub mod form;
pub mod html;
pub mod migrations;
pub mod panel;
pub mod phase;
pub mod store;
pub mod web;
