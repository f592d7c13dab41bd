//! Rename `comments.contents` to `body`, step 3b: validate `comments_body_not_null` against the existing
//! rows. It scans the table under a `SHARE UPDATE EXCLUSIVE` lock only, so the app keeps reading and
//! writing comments meanwhile. It fails, changing nothing, if the backfill left a NULL `body`.
//!
//! App phases: `v1` and `v2`.

use migrate_dsl::prelude::*;

pub fn up(pgm: &mut MigrationBuilder) {
    pgm.validate_constraint("comments", "comments_body_not_null");
}

/// PostgreSQL cannot mark a constraint unvalidated again, so `down` re-creates it `NOT VALID`: the schema
/// is then exactly what it was before `up` (which `migrate verify` checks).
pub fn down(pgm: &mut MigrationBuilder) {
    pgm.drop_constraint("comments", "comments_body_not_null");
    pgm.add_constraint(
        "comments",
        "comments_body_not_null",
        Constraint::check("body IS NOT NULL"),
    )
    .not_valid();
}
