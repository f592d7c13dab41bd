//! Rename `comments.contents` to `body`, step 3b: validate `comments_body_not_null` against the existing
//! rows. It scans the table under a `SHARE UPDATE EXCLUSIVE` lock only, so the app keeps reading and
//! writing comments meanwhile. It fails, changing nothing, if the backfill left a NULL `body`.
//!
//! App phases: `v1` and `v2`.

use migrate_dsl::prelude::*;

pub fn up(pgm: &mut MigrationBuilder) {
    pgm.validate_constraint("comments", "comments_body_not_null");
}
// No `down`: a validated constraint is simply a constraint; nothing to undo.
