//! The fixture migration folders in `tests/fixtures/`, compiled by `build.rs` exactly as an application's
//! migrations are.

use migrate_core::Registry;

macro_rules! fixtures {
    ($($name:ident),* $(,)?) => {
        $(pub mod $name {
            include!(concat!(env!("OUT_DIR"), "/", stringify!($name), ".rs"));
        })*

        /// The registry of fixture `name`.
        pub fn registry(name: &str) -> Option<&'static Registry> {
            match name {
                $(stringify!($name) => Some(&$name::REGISTRY),)*
                _ => None,
            }
        }
    };
}

fixtures!(
    basic,
    lint_keys,
    review_keys,
    verify_data,
    restart,
    crash_no_tx,
    signals,
    signals_backfill,
    failing,
    irreversible,
    concurrent,
    ordering_v1,
    ordering_v2,
    drift_v1,
    drift_v2,
    invalid,
    down_fails,
    data,
    data_fails,
    locking,
    invalid_index,
    backfill,
    backfill_resume,
    validate,
    bad_down,
    not_null,
    lint,
    lint_invalid,
    lint_unparsable,
    slow,
    partial_no_tx,
    hostile,
    syntax_error,
    owned_index,
    rerun_index,
    notices,
    empty_down,
    replace,
    exit_in_db,
    exit_in_up,
    backfill_panic,
    jobs,
    jobs_r1,
    review,
    review_data,
    review_estimates,
    precondition_no_tx,
    review_markup,
    review_locks,
    tiny_lock_timeout,
    rename_v1,
    rename_v2,
    rename_v3,
    phases,
    phases_stricter,
    online,
    widen_key,
    since_pg,
    needs_pg15,
    squash_v1,
    squash_v2,
    squash_unsupported,
    shadowing,
    since_pg_old,
    fleet,
    fleet_r1,
    fleet_bench,
    fleet_session,
    fleet_search_path,
    fleet_slow,
    fleet_budget,
    squash_data,
    squash_edited,
    squash_v2_without_checksums,
    stall,
    idle_data,
    verify_skips,
    trace_ops,
    trace_bad_allow,
    repeatable_v1,
    repeatable_v2,
    repeatable_fails,
    repeatable_once,
    sql_lines,
    resume_rename,
    resume_add_backfill,
    resume_index,
    resume_constraint,
    resume_not_null,
    resume_raw_sql,
    resume_fleet,
    resume_bench_plain,
    versions_r1,
    versions_r2,
    versions_r3,
    kept,
    example_app
);

/// The folder of fixture `name`.
pub fn dir(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}
