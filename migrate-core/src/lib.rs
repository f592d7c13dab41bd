//! The migration engine: discovery and ordering of migration files, the build-time registry, planning,
//! locking, bookkeeping and running against PostgreSQL.
//!
//! - `build` (feature `build`, for build scripts) turns a migrations folder into a registry compiled into
//!   the crate that owns it;
//! - [`Migrator`] runs a registry's [`Migration`]s: `up`, `down`, `redo`, `status`, `repair`, and plans for
//!   review ([`plan::script`]);
//! - [`create_migration`] writes a new file from the template;
//! - `lint` (feature `lint`) checks migrations against rules for running them on a busy database, without
//!   a database;
//! - [`schema::describe`] reads a database's schema from the catalog, for the schema file and for comparing
//!   schemas.
//!
//! The library never prints: progress arrives as [`Event`]s, failures as [`Error`]s naming the migration.
//!
//! # Features
//!
//! An application that applies its migrations needs none: its build script needs `build`, and a program
//! that lints migrations needs `lint` (the `migrate` CLI enables it). Neither is compiled otherwise, so the
//! application does not build `syn` or the SQL parser:
//!
//! ```toml
//! [dependencies]
//! migrate-core = "0.1"
//!
//! [build-dependencies]
//! migrate-core = { version = "0.1", features = ["build"] }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]

mod access;
mod backfill;
#[cfg(feature = "build")]
pub mod build;
mod create;
mod error;
mod events;
mod history;
mod interrupt;
mod invalid_index;
#[cfg(feature = "lint")]
pub mod lint;
mod lock;
mod migration;
pub mod naming;
mod notices;
pub mod plan;
mod previous;
mod registry;
mod retry;
mod runner;
mod safeguard;
pub mod schema;
pub mod seal;
mod server;
mod source;
pub mod squash;
mod status;
mod timeouts;
mod user_code;

pub use create::create_migration;
pub use error::{
    BackfillProgress, DataCause, DataError, Error, NotOwnedError, Outcome, RestoreError,
    StatementError, TransactionEnded,
};
pub use events::Event;
pub use history::{
    AppliedMigration, Failure, MigrationsTable, INTERRUPTED_MARK, MAX_TABLE_NAME_BYTES,
};
pub use interrupt::{signal_name, Interrupt};
pub use lock::{lock_key, LockMode};
pub use migration::{Code, Compiled, Definition, Direction, Migration, Precomputed};
pub use notices::{Notice, Notices};
pub use plan::Step;
pub use registry::{Migrations, Registry};
pub use runner::{DownTarget, Migrator, Ran, UpTarget};
pub use server::{server_major, NEWEST_SUPPORTED_MAJOR, OLDEST_SUPPORTED_MAJOR};
pub use source::{scan, MigrationFile, SourceError};
pub use status::{Entry, State, Status, StatusReport, Summary};
pub use timeouts::{Timeouts, DEFAULT_LOCK_TIMEOUT, DEFAULT_RETRY_BUDGET};
pub use user_code::{running_user_code, UserCode};

/// Re-exported so applications use the same driver version as the engine.
pub use postgres;
