//! Replace `posts.lat`/`lng` with `location`, step 2 of 3: a data migration that fills `location` for
//! posts written before the app wrote it. Apply it only once app phase `v3` runs everywhere.
//!
//! Batched like `..._backfill_comments_body`: outside a transaction (`no_transaction`), a `DO` block walks
//! the primary key in ranges of 1000 and `COMMIT`s after each range (PostgreSQL 11+), so no batch holds
//! row locks for long. Resumable: it only touches posts whose `location` is still NULL and that have
//! both coordinates, so a rerun after an interruption continues where it stopped.
//!
//! App phases: `v3` and `v4` (which reads and writes only `location`).

use migrate_dsl::prelude::*;

pub fn up(pgm: &mut MigrationBuilder) {
    // TODO(builder): a typed `pgm.backfill(table, set, where)` is planned; until then, a DO block.
    pgm.no_transaction();
    pgm.sql(
        r#"DO $$
DECLARE
    batch_size constant bigint := 1000;
    next_id bigint;
    last_id bigint;
BEGIN
    SELECT min(id), max(id) INTO next_id, last_id FROM posts
    WHERE location IS NULL AND lat IS NOT NULL AND lng IS NOT NULL;
    -- With nothing to do both are NULL and the loop does not run.
    WHILE next_id <= last_id LOOP
        UPDATE posts SET location = point(lng, lat)
        WHERE id >= next_id AND id < next_id + batch_size
          AND location IS NULL AND lat IS NOT NULL AND lng IS NOT NULL;
        COMMIT;
        next_id := next_id + batch_size;
    END LOOP;
END
$$"#,
    );
}

pub fn down(pgm: &mut MigrationBuilder) {
    // `lat`/`lng` still hold every value; reverting the previous migration drops `location`.
    pgm.db(
        "nothing to undo: the backfill only derived location from lat/lng",
        |_tx| Ok(()),
    );
}
