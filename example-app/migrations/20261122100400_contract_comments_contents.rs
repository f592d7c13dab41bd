//! Rename `comments.contents` to `body`, step 4 of 4: contract. Deploy only when no running app version
//! reads or writes `contents` any more (app phase `v2` or later everywhere; `v1` stops working here).
//! `pgm.contract(..)` says so: `up --expand-only`, and the app's `--migrate`, stop before it.
//!
//! - `SET NOT NULL` on `body`: instant, because the validated `comments_body_not_null` already proves it
//!   (PostgreSQL 12+ skips the scan); then that constraint is redundant and dropped;
//! - the sync trigger and its function go;
//! - `contents` is dropped: a catalog change, the space is reclaimed as rows are rewritten.
//!
//! `down` brings `contents` back, copies `body` into it and restores the trigger, so `v1` works again.
//! It copies in one transaction and scans for `SET NOT NULL`, which is acceptable for an emergency
//! revert of a small table but not for a large one.

use migrate_dsl::prelude::*;

// lint: allow adding-not-nullable-field -- the CHECK validated by ..._validate_comments_body_not_null lets SET NOT NULL skip the scan

pub fn up(pgm: &mut MigrationBuilder) {
    pgm.contract("drops comments.contents, which app phase v1 reads and writes: run it once no v1 is serving");
    pgm.alter_column("comments", "body").set_not_null();
    pgm.drop_constraint("comments", "comments_body_not_null");
    pgm.sql(
        "DROP TRIGGER comments_sync_body ON comments;
DROP FUNCTION comments_sync_body()",
    );
    pgm.drop_columns("comments", ["contents"]);
}

pub fn down(pgm: &mut MigrationBuilder) {
    pgm.add_columns("comments", [column("contents", "text")]);
    // The same function as in `..._expand_comments_body`, repeated on purpose: a migration is a snapshot
    // of history and must not change when another file does.
    pgm.sql(
        r#"CREATE FUNCTION comments_sync_body() RETURNS trigger LANGUAGE plpgsql AS $$
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
$$;
CREATE TRIGGER comments_sync_body BEFORE INSERT OR UPDATE ON comments
    FOR EACH ROW EXECUTE FUNCTION comments_sync_body();
UPDATE comments SET contents = body"#,
    );
    pgm.alter_column("comments", "contents").set_not_null();
    pgm.add_constraint(
        "comments",
        "comments_body_not_null",
        Constraint::check("body IS NOT NULL"),
    );
    pgm.alter_column("comments", "body").drop_not_null();
}
