//! Rename `comments.contents` to `body`, step 2 of 4: backfill `body` for comments written before the
//! sync trigger existed.
//!
//! A data migration, separate from the schema change, because it can take long on a big table. One
//! `UPDATE comments SET body = contents` would hold the row lock of every comment until it commits
//! (blocking edits for minutes) and bloat the table in one go. Instead it runs outside a transaction
//! (`no_transaction`) so that the `DO` block may `COMMIT` (PostgreSQL 11+, only when not inside a
//! transaction block): it walks the primary key in ranges of 1000 and commits after each range, so each
//! batch is its own short transaction.
//!
//! Resumable: it only touches rows whose `body` is still NULL, so if it is interrupted (or hits the lock
//! timeout and is retried by the runner) it carries on where it stopped. Rows inserted meanwhile get
//! `body` from the trigger.
//!
//! App phases: `v1` and `v2` both work from here on (`v2` reads and writes `body`).

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
    SELECT min(id), max(id) INTO next_id, last_id FROM comments WHERE body IS NULL;
    -- With nothing to do both are NULL and the loop does not run.
    WHILE next_id <= last_id LOOP
        UPDATE comments SET body = contents
        WHERE id >= next_id AND id < next_id + batch_size AND body IS NULL;
        COMMIT;
        next_id := next_id + batch_size;
    END LOOP;
END
$$"#,
    );
}

pub fn down(pgm: &mut MigrationBuilder) {
    // The copied values are equal to `contents`; reverting the expand migration drops the column.
    pgm.db(
        "nothing to undo: the backfill only copied contents into body",
        |_tx| Ok(()),
    );
}
