//! Replace `posts.lat`/`lng` with `location`, step 2 of 3: a data migration that fills `location` for
//! posts written before the app wrote it. Apply it only once app phase `v3` runs everywhere.
//!
//! Batched like the backfill in `..._expand_comments_body`: `pgm.backfill` walks the primary key in batches
//! of 1000 rows, each its own committed transaction, so no batch holds row locks for long. Resumable: the engine
//! records each committed batch, and the condition only matches posts whose `location` is still NULL and
//! that have both coordinates. Undoing it needs nothing of its own: `lat`/`lng` still hold every value, and
//! reverting the previous migration drops `location`; the empty `down` below says so (a derived one is
//! refused, since the backfill overwrites a column this migration did not add).
//!
//! A contract, though it removes nothing: app phase `v2` keeps writing posts without a `location` after
//! it, which `v4` would show without one. So it runs, like a drop, only once no `v2` is serving, and
//! `up --expand-only` (the app's `--migrate`) stops before it.
//!
//! App phases: `v3` and `v4` (which reads and writes only `location`).

use migrate_dsl::prelude::*;

pub fn up(pgm: &mut MigrationBuilder) {
    pgm.contract("every post must have a location from here on, which app phase v2 does not write: run it once no v2 is serving");
    pgm.backfill("posts", "location = point(lng, lat)")
        .where_clause("location IS NULL AND lat IS NOT NULL AND lng IS NOT NULL");
}

/// Nothing: `lat`/`lng` were never changed, and the previous migration's `down` drops `location`.
pub fn down(_pgm: &mut MigrationBuilder) {}
