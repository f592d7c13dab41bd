//! The migration engine: discovery and ordering of migration files, the build-time registry, planning,
//! locking, bookkeeping and running against PostgreSQL.
//!
//! - `build` (feature `build`, for build scripts) turns a migrations folder into a registry compiled into
//!   the crate that owns it;
//! - [`Migrator`] runs a registry's [`Migration`]s: `up`, `down`, `redo`, `status`, `repair`, and plans for
//!   review (`sql`, `--dry-run`);
//! - [`create_migration`] writes a new file from the template;
//! - `lint` (feature `lint`) checks migrations against rules for running them on a busy database, without
//!   a database; its first half, what it reads from the compiled migrations (`lint::collect`), is feature
//!   `lint-inputs`, which a runner binary compiles without the SQL parser;
//! - [`fleet::Fleet`] applies the same migrations to many databases or schemas (a tenant each), with a
//!   parallel limit, a canary, a failure policy and a report per target;
//! - [`schema::describe`] reads a database's schema from the catalog, for the schema file and for comparing
//!   schemas.
//!
//! The library never prints: progress arrives as [`Event`]s, failures as [`Error`]s naming the migration.
//!
//! # Features
//!
//! An application that applies its migrations needs only the default `runtime` (the engine); its build script
//! needs `build` and not `runtime` (a build script's dependencies are compiled apart from the program's, so
//! leaving the engine out there spares the first build a second copy of the driver and the engine); a program
//! that lints migrations needs `lint` (the `migrate` CLI enables it), and a runner binary, which only collects
//! what the rules read for the installed `migrate lint`, needs `lint-inputs` (no SQL parser). So the
//! application does not build `syn` or the SQL parser, and its build script builds neither the driver nor the
//! engine:
//!
//! ```toml
//! [dependencies]
//! migrate-core = "0.1"
//!
//! [build-dependencies]
//! migrate-core = { version = "0.1", default-features = false, features = ["build"] }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]

// Always compiled: what a build script needs (the file scan, names, seals, checksums, baseline markers).
#[cfg(feature = "build")]
pub mod build;
mod checksum;
#[cfg(feature = "lint-inputs")]
pub mod lint;
#[doc(hidden)]
pub mod naming;
#[doc(hidden)]
pub mod seal;
mod source;
#[doc(hidden)]
pub mod squash;

/// Compiles its items only with the feature `runtime` (the engine: on by default; a build script turns it off).
macro_rules! runtime {
    ($($item:item)*) => {
        $(
            #[cfg(feature = "runtime")]
            $item
        )*
    };
}

// The engine: running migrations against PostgreSQL.
runtime! {
    mod access;
    mod backfill;
    mod batch_size;
    mod blockers;
    mod check_time;
    mod create;
    mod direction;
    pub mod diff;
    mod error;
    mod estimate;
    mod event_log;
    mod events;
    pub mod fleet;
    mod widen_key;
    #[doc(hidden)]
    pub mod folder;
    mod history;
    #[cfg(feature = "import")]
    pub mod import;
    mod interrupt;
    mod invalid_index;
    mod jobs;
    mod lock;
    mod migration;
    mod notices;
    mod observer;
    mod one_trip;
    mod outside;
    mod partition_index;
    mod phase;
    pub mod precondition;
    #[doc(hidden)]
    pub mod plan;
    mod previous;
    mod progress;
    pub mod production;
    mod registry;
    mod retry;
    #[doc(hidden)]
    pub mod review;
    pub mod rows;
    mod runner;
    mod safeguard;
    pub mod schema;
    mod server;
    mod session_limits;
    mod settings;
    mod sql_excerpt;
    mod sql_lines;
    mod readiness;
    mod status;
    mod throttle;
    mod timeouts;
    #[doc(hidden)]
    pub mod trace;
    mod user_code;
}

pub use checksum::Precomputed;
pub use source::{scan, scan_all, MigrationFile, RepeatableFile, SourceError};

runtime! {
    pub use backfill::kept::{KeptSelection, KeptValues};
    pub use blockers::{Blocked, Blocker, SAMPLE_INTERVAL};
    pub use create::{create_migration, create_repeatable};
    pub use error::{
        BackfillProgress, DataCause, DataError, Error, NotOwnedError, Outcome, PreconditionError, ReadOnlyError,
        RecordError, RestoreError, SquashError, StatementError, TransactionEnded, ahead_note, signal_name,
    };
    pub use events::{Event, StoppedBackfill};
    pub use history::{
        Ahead, AppliedMigration, Failure, InProgress, MigrationsTable, INTERRUPTED_MARK,
        MAX_TABLE_NAME_BYTES,
    };
    pub use interrupt::{Interrupt, BATCH_GRACE};
    pub use jobs::{
        Job, JobChange, JobError, JobState, LeftJob, WhyLeft, WorkOptions, WorkReport, MAX_BATCH_ATTEMPTS,
    };
    pub use lock::{lock_key, LockMode};
    pub use migration::{Code, Compiled, Definition, Direction, Migration};
    pub use notices::{Notice, Notices};
    pub use plan::Step;
    pub use registry::{BuiltConfig, Migrations, Registry};
    pub use runner::{DownTarget, Migrator, Ran, UpTarget};
    pub use server::{server_major, NEWEST_SUPPORTED_MAJOR, OLDEST_SUPPORTED_MAJOR};
    pub use timeouts::DEFAULT_IDLE_IN_TRANSACTION_SESSION_TIMEOUT;
    pub use sql_lines::SqlLines;
    pub use readiness::{Need, Readiness};
    pub use status::{
        Entry, Line, RepeatableState, RepeatableStatus, State, Status, StatusReport, Summary,
    };
    pub use throttle::{
        BackfillSettings, PauseCause, PauseKind, PauseTotal, DEFAULT_MAX_PAUSE,
        DEFAULT_MAX_REPLICA_LAG_BYTES, DEFAULT_MAX_REPLICA_LAG_TIME, DEFAULT_TARGET_BATCH_TIME,
    };
    pub use timeouts::{Timeouts, DEFAULT_LOCK_TIMEOUT, DEFAULT_RETRY_BUDGET};
    pub use user_code::{recording_migration, running_user_code, Recording, UserCode};
    pub use migrate_dsl::LagLimit;
    /// Re-exported so applications use the same driver version as the engine.
    pub use postgres;
}
