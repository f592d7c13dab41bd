//! Squashed baselines: one migration standing for the migrations up to a named one (`migrate squash`).
//!
//! Public for migrate-cli (`migrate squash`); not a stable API.
//!
//! A baseline is a normal migration file whose source lists the migrations it replaces in a constant, and
//! the checksums their files had when they were squashed in another, in the same order:
//!
//! ```text
//! pub const SQUASHED: &[&str] = &["20260101000000_create_users", "20260102000000_add_email"];
//! pub const SQUASHED_CHECKSUMS: &[&str] = &["3f2a…", "9c41…"];
//! ```
//!
//! The engine reads both from the compiled source ([`Migration::source`]), so the registry needs nothing
//! new; a baseline written before `SQUASHED_CHECKSUMS` existed has only the names, and works as before
//! (without the checksum check). When `up` meets a baseline that is not applied:
//! - the database applied none of the listed migrations (a fresh one): the baseline runs like any migration;
//! - it applied all of them, each as it was squashed (its row records the checksum the baseline carries, or
//!   none, as a row another tool wrote): the baseline is recorded as applied without running. Its row takes
//!   the place of the newest listed one (same id and `run_on`, so `down` still reverts newest first) and the
//!   rows of the others are removed: the migrations table then holds exactly the files there are;
//! - it applied all of them, but some in another version than the one squashed (an edit applied, then
//!   undone in the file): `up` refuses and names them ([`Error::SquashedChanged`]). Those rows are the only
//!   record of what that database ran, and its schema may not be the baseline's;
//! - it applied only some: `up` refuses and names which are applied and which are not
//!   ([`Error::PartlySquashed`]). Such a database must apply the rest with the files from before the squash
//!   first.
//!
//! `status` and `--dry-run` show a database that applied all of them as `up` will record it; in the two
//! cases `up` refuses, `status` shows the rows as squashed (not as missing files) with `up`'s reason, and
//! `repair` leaves them alone.

#[cfg(feature = "runtime")]
mod engine;
mod markers;

#[cfg(feature = "runtime")]
pub(crate) use engine::{as_recorded, pending_squashed, record_baselines, refusal, refusals};
#[cfg(feature = "runtime")]
pub use engine::{baseline_name, render_baseline, squash_range};
pub use markers::{squashed_checksums, squashed_names, SQUASHED_CHECKSUMS_CONST, SQUASHED_CONST};
