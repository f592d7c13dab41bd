//! Rename `comments.contents` to `body`, step 1 of 4: expand.
//!
//! A plain `pgm.rename_column("comments", "contents", "body")` is one instant statement, but the app
//! version that is running while it commits still says `contents`: every comment insert and every page
//! load fails until the new version is deployed everywhere. So the rename is done as expand/contract:
//!
//! 1. (this migration) add `body`, and keep the two columns equal with a trigger, so the old app (writes
//!    `contents`) and the new app (writes `body`) can run side by side;
//! 2. backfill `body` for the rows written before the trigger existed (`..._backfill_comments_body`);
//! 3. make `body` NOT NULL without a table scan under an exclusive lock (`..._check_...`, `..._validate_...`);
//! 4. once no running app reads `contents`, drop it (`..._contract_comments_contents`).
//!
//! `body` is nullable for now: rows written before this migration have none until the backfill.
//! Adding a nullable column without a default only touches the catalog. Creating the trigger takes a
//! `SHARE ROW EXCLUSIVE` lock on `comments` for an instant; the runner's lock timeout keeps it from
//! queueing reads behind it.
//!
//! App phases: `v1` keeps working (the trigger fills `body`); `v2` must wait for the backfill.

use migrate_dsl::prelude::*;

pub fn up(pgm: &mut MigrationBuilder) {
    pgm.add_columns("comments", [column("body", "text")]);
    // On insert, whichever column the writer left out is copied from the other; on update, the column
    // that changed wins. `contents` is NOT NULL, so an insert from the new app (which only sets `body`)
    // depends on this trigger filling it.
    pgm.create_trigger_with_function(
        "comments",
        "comments_sync_body",
        "
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.body := COALESCE(NEW.body, NEW.contents);
        NEW.contents := COALESCE(NEW.contents, NEW.body);
    ELSIF NEW.body IS DISTINCT FROM OLD.body THEN
        NEW.contents := NEW.body;
    ELSIF NEW.contents IS DISTINCT FROM OLD.contents THEN
        NEW.body := NEW.contents;
    END IF;
    RETURN NEW;
END
",
    )
    .before()
    .on_insert()
    .on_update()
    .for_each_row();
}
// No `down`: derived from `up` (drop the trigger and its function, then the column).
