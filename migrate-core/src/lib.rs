//! The migration engine: discovery and ordering of migration files, the build-time registry, planning,
//! locking, bookkeeping and running against PostgreSQL.
//!
//! - [`build`] turns a migrations folder into a registry compiled into the crate that owns it;
//! - [`Migrator`] runs a registry's [`Migration`]s: `up`, `down`, `redo`, `status`, `repair`, and plans for
//!   review ([`plan::script`]);
//! - [`create_migration`] writes a new file from the template;
//! - [`lint`] checks migrations against rules for running them on a busy database, without a database;
//! - [`schema::describe`] reads a database's schema from the catalog, for the schema file and for comparing
//!   schemas.
//!
//! The library never prints: progress arrives as [`Event`]s, failures as [`Error`]s naming the migration.
#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]

mod access;
mod backfill;
pub mod build;
mod create;
mod error;
mod events;
mod history;
mod interrupt;
mod invalid_index;
pub mod lint;
mod lock;
mod migration;
pub mod naming;
mod notices;
pub mod plan;
mod previous;
mod runner;
mod safeguard;
pub mod schema;
mod server;
mod source;
mod status;
mod timeouts;
mod user_code;

pub use create::create_migration;
pub use error::{
    BackfillProgress, DataError, Error, NotOwnedError, Outcome, RestoreError, StatementError,
    TransactionEnded,
};
pub use events::Event;
pub use history::{
    AppliedMigration, Failure, MigrationsTable, INTERRUPTED_MARK, MAX_TABLE_NAME_BYTES,
};
pub use interrupt::{signal_name, Interrupt};
pub use lock::{lock_key, LockMode};
pub use migration::{Direction, Migration, Registry};
pub use notices::{Notice, Notices};
pub use plan::Step;
pub use runner::{DownTarget, Migrator, Ran, UpTarget};
pub use server::{server_major, NEWEST_SUPPORTED_MAJOR, OLDEST_SUPPORTED_MAJOR};
pub use source::{scan, MigrationFile, SourceError};
pub use status::{Entry, State, Status, Summary};
pub use timeouts::{Timeouts, DEFAULT_LOCK_TIMEOUT, DEFAULT_RETRY_BUDGET};
pub use user_code::{running_user_code, UserCode};

/// Re-exported so applications use the same driver version as the engine.
pub use postgres;
