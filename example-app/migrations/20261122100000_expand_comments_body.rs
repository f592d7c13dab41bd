//! Rename `comments.contents` to `body`, step 1 of 2: expand.
//!
//! A plain `pgm.rename_column("comments", "contents", "body")` is one instant statement, but the app
//! version that is running while it commits still says `contents`: every comment insert and every page
//! load fails until the new version is deployed everywhere. So the rename is done as expand/contract, with
//! one typed operation recorded in both migrations:
//!
//! 1. (this migration) add `body` with the type of `contents`, and keep the two equal with a trigger
//!    (whichever column a writer sets wins), so the old app (writes `contents`) and the new app (writes
//!    `body`) can run side by side; `CHECK (body IS NOT NULL) NOT VALID` stands for the NOT NULL of
//!    `contents` (instant: only new and updated rows are checked); then the comments written before the
//!    trigger existed are backfilled in batches of 1000 rows along the primary key, each batch committed on
//!    its own, so no transaction holds many row locks (the migration therefore runs outside a transaction);
//! 2. once no running app reads `contents`, drop it (`..._contract_comments_contents`).
//!
//! Adding a nullable column without a default only touches the catalog. Creating the trigger takes a
//! `SHARE ROW EXCLUSIVE` lock on `comments` for an instant; the runner's lock timeout keeps it from
//! queueing reads behind it. `migrate sql` shows every statement.
//!
//! App phases: `v1` keeps working (the trigger fills `body`); `v2` (reads `body`) from here on.

use migrate_dsl::prelude::*;

pub fn up(pgm: &mut MigrationBuilder) {
    pgm.rename_column_online("comments", "contents", "body");
}
// No `down`: derived from `up` (drop the trigger, its function and `body`).
