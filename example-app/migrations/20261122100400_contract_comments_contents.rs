//! Rename `comments.contents` to `body`, step 2 of 2: contract. Deploy only when no running app version
//! reads or writes `contents` any more (app phase `v2` or later everywhere; `v1` stops working here).
//! `pgm.contract(..)` says so: `up --expand-only`, and the app's `--migrate`, stop before it.
//!
//! The same operation as in `..._expand_comments_body`, in its contract phase:
//! - `VALIDATE` the check `body IS NOT NULL` in a transaction of its own: it scans the table under a
//!   `SHARE UPDATE EXCLUSIVE` lock only, so the app keeps reading and writing comments meanwhile;
//! - then `SET NOT NULL` on `body`, instant because the validated check proves it (PostgreSQL 12+ skips the
//!   scan), and the redundant check goes;
//! - the sync trigger and its function go, and `contents` is dropped: a catalog change, the space is
//!   reclaimed as rows are rewritten.
//!
//! The derived `down` brings `contents` back (its type, NOT NULL), copies `body` into it and restores the
//! trigger, so `v1` works again. It copies in one transaction, which is acceptable for an emergency revert
//! of a small table but not for a large one.

use migrate_dsl::prelude::*;

pub fn up(pgm: &mut MigrationBuilder) {
    pgm.contract("drops comments.contents, which app phase v1 reads and writes: run it once no v1 is serving");
    pgm.rename_column_online("comments", "contents", "body")
        .contract();
}
