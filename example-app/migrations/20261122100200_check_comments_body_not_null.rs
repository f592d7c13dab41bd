//! Rename `comments.contents` to `body`, step 3a: `body` must never be NULL, as `contents` never was.
//!
//! `ALTER COLUMN body SET NOT NULL` alone scans the whole table while holding an `ACCESS EXCLUSIVE` lock,
//! which blocks every read and write of `comments` for the length of the scan. Instead:
//! - here, a CHECK constraint added `NOT VALID`: it holds for new and updated rows at once, and the
//!   statement does not look at existing rows, so the exclusive lock lasts an instant;
//! - next migration, `VALIDATE CONSTRAINT` scans the rows under a `SHARE UPDATE EXCLUSIVE` lock, which
//!   lets reads and writes go on;
//! - the contract migration then runs `SET NOT NULL`, which PostgreSQL 12+ proves from the validated
//!   constraint without scanning, and drops the constraint.
//!
//! Validation has to be a separate migration: in the same transaction the `ACCESS EXCLUSIVE` lock taken
//! here would still be held during the scan.
//!
//! App phases: `v1` and `v2`.

use migrate_dsl::prelude::*;

pub fn up(pgm: &mut MigrationBuilder) {
    pgm.add_constraint(
        "comments",
        "comments_body_not_null",
        Constraint::check("body IS NOT NULL"),
    )
    .not_valid();
}
// No `down`: the constraint is dropped.
