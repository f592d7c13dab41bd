//! Rename `comments.contents` to `body`, step 2 of 4: backfill `body` for comments written before the
//! sync trigger existed.
//!
//! A data migration, separate from the schema change, because it can take long on a big table. One
//! `UPDATE comments SET body = contents` would hold the row lock of every comment until it commits
//! (blocking edits for minutes) and bloat the table in one go. `pgm.backfill` walks the primary key in
//! batches of 1000 rows, each committed on its own, so no transaction holds many row locks; the migration
//! runs outside a transaction because of it.
//!
//! Resumable: the engine records each committed batch, and the condition only matches rows still to do,
//! so an interrupted run carries on where it stopped. Rows inserted meanwhile get `body` from the trigger.
//! Undoing it needs nothing: reverting the expand migration drops the column.
//!
//! App phases: `v1` and `v2` both work from here on (`v2` reads and writes `body`).

use migrate_dsl::prelude::*;

pub fn up(pgm: &mut MigrationBuilder) {
    pgm.backfill("comments", "body = contents")
        .where_clause("body IS NULL AND contents IS NOT NULL");
}
