//! The engine's runs against a real server: backfills, online changes, resuming, bookkeeping, trace and lint.
//!
//! Each module is one file of `tests/tests` (kept there, so its snapshots stay in `tests/tests/snapshots`).

#[path = "../tests/backfill.rs"]
mod backfill;
#[path = "../tests/bad_input.rs"]
mod bad_input;
#[path = "../tests/database.rs"]
mod database;
#[path = "../tests/drift.rs"]
mod drift;
#[path = "../tests/dump.rs"]
mod dump;
#[path = "../tests/error_lines.rs"]
mod error_lines;
#[path = "../tests/generated_rows.rs"]
mod generated_rows;
#[path = "../tests/history_read.rs"]
mod history_read;
#[path = "../tests/jobs.rs"]
mod jobs;
#[path = "../tests/json_log.rs"]
mod json_log;
#[path = "../tests/kept_values.rs"]
mod kept_values;
#[path = "../tests/lifecycle.rs"]
mod lifecycle;
#[path = "../tests/lint.rs"]
mod lint;
#[path = "../tests/lock_timeout.rs"]
mod lock_timeout;
#[path = "../tests/online.rs"]
mod online;
#[path = "../tests/partitions.rs"]
mod partitions;
#[path = "../tests/permissions.rs"]
mod permissions;
#[path = "../tests/production.rs"]
mod production;
#[path = "../tests/progress.rs"]
mod progress;
#[path = "../tests/restart.rs"]
mod restart;
#[path = "../tests/resumable.rs"]
mod resumable;
#[path = "../tests/review.rs"]
mod review;
#[path = "../tests/review_data.rs"]
mod review_data;
#[path = "../tests/review_estimates.rs"]
mod review_estimates;
#[path = "../tests/test_database.rs"]
mod test_database;
#[path = "../tests/timing.rs"]
mod timing;
#[path = "../tests/trace.rs"]
mod trace;
#[path = "../tests/vanished.rs"]
mod vanished;
#[path = "../tests/versions.rs"]
mod versions;
#[path = "../tests/wait.rs"]
mod wait;
#[path = "../tests/widen_key.rs"]
mod widen_key;
