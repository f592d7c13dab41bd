//! The migrations table: which migrations ran, when, with which checksum and how long they took.
//!
//! - `table`: the table's name ([`MigrationsTable`]) and the names derived from it;
//! - `rows`: the rows as the engine keeps them in memory ([`History`]), compact so that a database with many
//!   applied migrations costs little to read;
//! - `sql`: creating the table, checking its columns, reading and changing its rows;
//! - `probe`: whether the table and its companions exist, and its columns, in one round trip;
//! - `failures`: the marks of migrations that failed part-way and need a person ([`Failure`]);
//! - `journal`: the steps done of migrations in progress, which the next run continues ([`InProgress`]);
//! - `runs`: what each fleet run did on this target ([`RunRecord`]), for `fleet runs` and `fleet down --run`.
//!
//! The rest of the engine goes through this module's re-exports, whichever file an item lives in.

mod failures;
pub(crate) mod journal;
mod probe;
mod rows;
pub(crate) mod runs;
mod ahead;
mod sql;
mod table;

pub use ahead::Ahead;
pub(crate) use ahead::{ahead_names, load as load_ahead, load_recorded, Newest};
pub use failures::{Failure, INTERRUPTED_MARK, RESUMABLE_MARK};
pub use journal::InProgress;
pub use runs::{RunChange, RunNote, RunOutcome, RunRecord};
pub(crate) use journal::Entry as JournalEntry;
pub(crate) use failures::{clear_failure, load_failures, load_failures_if, record_failure};
pub(crate) use probe::{load_probed, probe, read_at_once, Probe};
pub use rows::AppliedMigration;
pub(crate) use rows::{Checksum, History, Kept};
pub(crate) use sql::{
    PhaseAndDown,
    delete, ensure, ensure_read, exists, insert, load, relation_exists, rename, update_checksum,
};
pub use table::{MigrationsTable, MAX_TABLE_NAME_BYTES};
// Only the importers check a table before adopting it as it is, and write the mark of an adopted row.
#[cfg(feature = "import")]
pub(crate) use sql::check_layout;
#[cfg(feature = "import")]
pub use table::ADOPTED_PREFIX;
