//! Typed operations, their SQL, derived downs and the schema description they leave.
//!
//! Each module is one file of `tests/tests` (kept there, so its snapshots stay in `tests/tests/snapshots`).

#[path = "../tests/data.rs"]
mod data;
#[path = "../tests/deploy.rs"]
mod deploy;
#[path = "../tests/diff.rs"]
mod diff;
#[path = "../tests/diff_pairs.rs"]
mod diff_pairs;
#[path = "../tests/dsl_source.rs"]
mod dsl_source;
#[path = "../tests/ops_access.rs"]
mod ops_access;
#[path = "../tests/ops_functions.rs"]
mod ops_functions;
#[path = "../tests/ops_table.rs"]
mod ops_table;
#[path = "../tests/ops_types.rs"]
mod ops_types;
#[path = "../tests/ownership.rs"]
mod ownership;
#[path = "../tests/parity.rs"]
mod parity;
#[path = "../tests/recipes.rs"]
mod recipes;
#[path = "../tests/repeatable.rs"]
mod repeatable;
#[path = "../tests/reversal.rs"]
mod reversal;
#[path = "../tests/safety.rs"]
mod safety;
#[path = "../tests/schema.rs"]
mod schema;
#[path = "../tests/schema_coverage.rs"]
mod schema_coverage;
#[path = "../tests/schema_foreign.rs"]
mod schema_foreign;
#[path = "../tests/schema_objects.rs"]
mod schema_objects;
#[path = "../tests/squash.rs"]
mod squash;
#[path = "../tests/validate.rs"]
mod validate;
#[path = "../tests/verify.rs"]
mod verify;
