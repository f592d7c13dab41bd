//! Migrations that commit more than once (outside a transaction, or in several transactions) are continued by
//! the next run wherever they stopped: each step commits with its journal entry, so nothing that took effect
//! runs again and no person has to repair anything; a backfill's position belongs to one application of its
//! migration; `down` of a migration applied in part undoes exactly what took effect. Only a raw statement that
//! failed is marked for a person, and `--retry` continues it.
//!
//! The failures here are deterministic (a trigger that refuses rows until a gate opens, data that violates a
//! constraint); the random kills of real processes are in the kill-anywhere proof.

use migrate_core::{DownTarget, Error, Migration, Migrations, Migrator, UpTarget};
use tests::TestDb;

/// The tables the engine keeps its bookkeeping in.
const BOOKKEEPING: &[&str] = &[
    "pgmigrations",
    "pgmigrations_journal",
    "pgmigrations_backfill",
    "pgmigrations_failed",
    "pgmigrations_previous",
];

fn one(db: &TestDb, sql: &str) -> String {
    db.query_strings(sql)[0][0].clone().unwrap_or_default()
}

/// How many failure marks there are.
fn marks(db: &TestDb) -> String {
    one(
        db,
        "SELECT CASE WHEN to_regclass('pgmigrations_failed') IS NULL THEN 0 \
         ELSE (xpath('/row/c/text()', query_to_xml('SELECT count(*) AS c FROM pgmigrations_failed', false, true, '')))[1]::text::int END",
    )
}

fn up(db: &TestDb, migrations: &[Migration]) -> Result<Vec<migrate_core::Ran>, Error> {
    Migrator::new(migrations).run_up(&mut db.client(), &UpTarget::All, &mut |_| {})
}

fn up_logged(
    db: &TestDb,
    migrator: Migrator<'_>,
) -> (Result<Vec<migrate_core::Ran>, Error>, Vec<String>) {
    let mut events = Vec::new();
    let result = migrator.run_up(&mut db.client(), &UpTarget::All, &mut |e| {
        events.push(format!("{e:?}"))
    });
    (result, events)
}

/// 20,000 comments whose update stops at any row past 10,000 while `gate` is empty: a backfill walking them
/// fails half-way, after committing its first batches.
const GATED_COMMENTS: &str = "
    CREATE TABLE comments (id bigint PRIMARY KEY, contents text NOT NULL);
    INSERT INTO comments SELECT i, 'comment ' || i FROM generate_series(1, 20000) i;
    CREATE TABLE gate (open boolean);
    CREATE FUNCTION stop_past_half() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.id > 10000 AND NOT EXISTS (SELECT 1 FROM gate) THEN
            RAISE EXCEPTION 'stopped at row %', NEW.id;
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER a_stop BEFORE UPDATE ON comments FOR EACH ROW EXECUTE FUNCTION stop_past_half();";

mod fixtures {
    use migrate_core::{Definition, Migrations};
    use migrate_dsl::prelude::*;

    const fn named(name: &'static str, up: fn(&mut MigrationBuilder)) -> Definition {
        Definition {
            name,
            path: "tests/resumable.rs",
            source: name,
            up,
            down: None,
        }
    }

    fn rename(pgm: &mut MigrationBuilder) {
        pgm.rename_column_online("comments", "contents", "body")
            .batch_size(1000);
    }
    pub static RENAME: Migrations = Migrations::new(&[named("20270101000001_expand_body", rename)]);

    fn add_then_fill(pgm: &mut MigrationBuilder) {
        pgm.add_columns("comments", [column("body", "text")]);
        pgm.backfill("comments", "body = contents")
            .where_clause("body IS NULL")
            .batch_size(1000);
    }
    pub static ADD_THEN_FILL: Migrations =
        Migrations::new(&[named("20270101000002_add_then_fill", add_then_fill)]);

    fn raw_then_fail(pgm: &mut MigrationBuilder) {
        pgm.no_transaction();
        pgm.sql("CREATE TABLE log (line text NOT NULL)");
        pgm.sql("INSERT INTO log VALUES ('once')");
        pgm.sql("INSERT INTO log SELECT contents FROM comments WHERE id = 1 AND NOT EXISTS (SELECT 1 FROM gate)");
        pgm.sql("ALTER TABLE log ADD CONSTRAINT one_line CHECK (line <> 'comment 1')");
    }
    pub static RAW: Migrations = Migrations::new(&[named("20270101000003_raw", raw_then_fail)]);

    fn not_null(pgm: &mut MigrationBuilder) {
        pgm.set_not_null("notes", "body");
    }
    pub static NOT_NULL: Migrations =
        Migrations::new(&[named("20270101000004_not_null", not_null)]);

    fn unique_built(pgm: &mut MigrationBuilder) {
        pgm.create_index(
            ("app", "posts"),
            [IndexColumn::expression("app.slowly(slug)")],
        )
        .name("posts_slug_unique")
        .unique()
        .concurrently();
    }
    pub static UNIQUE: Migrations =
        Migrations::new(&[named("20270101000005_unique_slug", unique_built)]);

    fn fill_forever(pgm: &mut MigrationBuilder) {
        pgm.backfill("comments", "contents = upper(contents)")
            .where_clause("contents = lower(contents)")
            .batch_size(1000);
    }
    /// Its first transaction sleeps 3 s, so a time budget of 1.5 s is spent in it even when the run's
    /// start (connect, lock, history) is slow on a busy machine.
    fn slow_then_validated(pgm: &mut MigrationBuilder) {
        pgm.sql("SELECT pg_sleep(3)");
        pgm.add_constraint_online("notes", None, Constraint::check("length(body) > 0"));
    }
    pub static SLOW_SPLIT: Migrations =
        Migrations::new(&[named("20270101000007_slow_split", slow_then_validated)]);

    pub static FOREVER: Migrations =
        Migrations::new(&[named("20270101000006_fill_forever", fill_forever)]);

    fn shout(pgm: &mut MigrationBuilder) {
        pgm.backfill("comments", "contents = upper(contents)")
            .batch_size(1000);
    }
    fn whisper(pgm: &mut MigrationBuilder) {
        pgm.sql("UPDATE comments SET contents = lower(contents)");
    }
    /// A backfill over values it does not keep, with a written `down` that undoes any part of it.
    pub static SHOUT_WRITTEN_DOWN: Migrations = Migrations::new(&[Definition {
        name: "20270101000009_shout",
        path: "tests/resumable.rs",
        source: "shout",
        up: shout,
        down: Some(whisper),
    }]);
    /// The same without a `down`: what its batches overwrote cannot be undone.
    pub static SHOUT: Migrations = Migrations::new(&[named("20270101000009_shout", shout)]);

    fn shout_kept_then_index(pgm: &mut MigrationBuilder) {
        pgm.backfill("comments", "contents = upper(contents)")
            .batch_size(1000)
            .keep_previous_values();
        pgm.create_index("comments", ["contents"]).concurrently();
    }
    /// A backfill that keeps what it overwrites, then an index the engine checks is not someone else's.
    pub static SHOUT_THEN_INDEX: Migrations = Migrations::new(&[named(
        "20270101000010_shout_then_index",
        shout_kept_then_index,
    )]);

    fn index_by_author(pgm: &mut MigrationBuilder) {
        pgm.create_index("posts", ["author"]).concurrently();
    }
    pub static BY_AUTHOR: Migrations =
        Migrations::new(&[named("20270101000008_index_by_author", index_by_author)]);
}

/// The expand of an online rename stops half-way through its backfill (after the column, the function, the
/// trigger and the check took effect). The next plain `up` continues it: the column is not added again, the
/// backfill resumes after its last committed batch, and every row ends filled. Nothing is marked.
#[test]
fn an_expand_stopped_in_its_backfill_is_finished_by_the_next_up() {
    let db = TestDb::new();
    db.exec(GATED_COMMENTS);
    let first = up(&db, &fixtures::RENAME).expect_err("stops half-way");
    let message = first.to_string();
    assert!(message.contains("stopped at row 10001"), "{message}");
    assert!(
        message.contains("4 of its 5 statement(s) took effect and are kept")
            && message.contains("continues from statement 5")
            && !message.contains("repair"),
        "{message}"
    );
    assert_eq!(
        one(&db, "SELECT count(*) FROM comments WHERE body IS NOT NULL"),
        "10000"
    );
    assert_eq!(one(&db, "SELECT count(*) FROM pgmigrations"), "0");
    assert_eq!(marks(&db), "0", "nothing is marked for a person");

    db.exec("INSERT INTO gate VALUES (true)");
    let (second, events) = up_logged(&db, Migrator::new(&fixtures::RENAME));
    second.expect("the next up finishes it");
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("Continued") && e.contains("done: 4") && e.contains("total: 5")),
        "{events:#?}"
    );
    assert!(
        !events.iter().any(|e| e.starts_with("BackfillRestarted")),
        "resumed, not restarted: {events:#?}"
    );
    assert_eq!(
        one(
            &db,
            "SELECT count(*) FROM comments WHERE body IS DISTINCT FROM contents"
        ),
        "0"
    );
    assert_eq!(one(&db, "SELECT count(*) FROM pgmigrations"), "1");
    assert_eq!(one(&db, "SELECT count(*) FROM pgmigrations_journal"), "0");
    assert_eq!(one(&db, "SELECT count(*) FROM pgmigrations_backfill"), "0");
}

/// The layout the operations page recommends for a column and its data in one migration: the column is
/// added, the backfill stops half-way; the next `up` does not add the column again.
#[test]
fn a_column_and_its_backfill_in_one_migration_are_continued_not_repeated() {
    let db = TestDb::new();
    db.exec(GATED_COMMENTS);
    up(&db, &fixtures::ADD_THEN_FILL).expect_err("stops half-way");
    db.exec("INSERT INTO gate VALUES (true)");
    up(&db, &fixtures::ADD_THEN_FILL).expect("continued");
    assert_eq!(
        one(&db, "SELECT count(*) FROM comments WHERE body IS NULL"),
        "0"
    );
}

/// `down` of a migration an interrupted `up` applied in part undoes exactly the part that took effect: the
/// trigger, its function and the new column go, the table is as before, and the journal and the backfill's
/// position are gone.
#[test]
fn down_of_a_migration_applied_in_part_undoes_exactly_that_part() {
    let db = TestDb::new();
    db.exec(GATED_COMMENTS);
    let before = db.schema_dump_excluding(BOOKKEEPING);
    up(&db, &fixtures::RENAME).expect_err("stops half-way");
    assert_ne!(
        db.schema_dump_excluding(BOOKKEEPING),
        before,
        "the expand's first part took effect"
    );
    let mut events = Vec::new();
    let ran = Migrator::new(&fixtures::RENAME)
        .run_down(&mut db.client(), &DownTarget::Count(1), &mut |e| {
            events.push(format!("{e:?}"))
        })
        .expect("down undoes the part");
    assert_eq!(ran.len(), 1);
    assert!(
        events.iter().any(|e| e.starts_with("UndoingPart")),
        "{events:#?}"
    );
    assert_eq!(
        db.schema_dump_excluding(BOOKKEEPING),
        before,
        "the schema is as before the up"
    );
    assert_eq!(one(&db, "SELECT count(*) FROM pgmigrations_journal"), "0");
    assert_eq!(one(&db, "SELECT count(*) FROM pgmigrations_backfill"), "0");
    // And the migration applies from its start again.
    db.exec("INSERT INTO gate VALUES (true)");
    up(&db, &fixtures::RENAME).expect("applies again");
    assert_eq!(
        one(
            &db,
            "SELECT count(*) FROM comments WHERE body IS DISTINCT FROM contents"
        ),
        "0"
    );
}

/// A backfill stopped half-way committed batches that overwrote values: they took effect, though the journal
/// does not record the backfill as done. The `down` of the part applied runs the migration's written `down`,
/// saying why; without one it refuses, naming what committed, and changes nothing.
#[test]
fn down_of_a_backfill_stopped_half_way_runs_the_written_down_or_refuses() {
    let count_upper = "SELECT count(*) FROM comments WHERE contents <> lower(contents)";
    for written in [true, false] {
        let db = TestDb::new();
        db.exec(GATED_COMMENTS);
        let migrations: &Migrations = if written {
            &fixtures::SHOUT_WRITTEN_DOWN
        } else {
            &fixtures::SHOUT
        };
        up(&db, migrations).expect_err("stops half-way");
        assert_eq!(
            one(&db, count_upper),
            "10000",
            "the batches before row 10001 committed"
        );
        if written {
            // The written down updates every row, the gated ones too.
            db.exec("INSERT INTO gate VALUES (true)");
        }
        let mut events = Vec::new();
        let result =
            Migrator::new(migrations).run_down(&mut db.client(), &DownTarget::Count(1), &mut |e| {
                events.push(format!("{e:?}"))
            });
        if written {
            result.expect("the written down undoes the part");
            assert!(
                events.iter().any(|e| e.starts_with("UndoingPart")
                    && e.contains("rows: Some(10000)")
                    && e.contains("written_down: Some(1)")),
                "{events:#?}"
            );
            assert_eq!(one(&db, count_upper), "0", "every row as before");
            assert_eq!(one(&db, "SELECT count(*) FROM pgmigrations_journal"), "0");
            assert_eq!(one(&db, "SELECT count(*) FROM pgmigrations_backfill"), "0");
        } else {
            let error = result.expect_err("nothing can undo it").to_string();
            for fragment in [
                "cannot undo the part of migration 20270101000009_shout",
                "the backfill #1 committed 10000 row(s)",
                "overwrites \"contents\"",
                "nothing was undone",
            ] {
                assert!(error.contains(fragment), "{fragment}: {error}");
            }
            assert_eq!(one(&db, count_upper), "10000", "nothing changed");
            assert_eq!(
                one(&db, "SELECT count(*) FROM pgmigrations_journal"),
                "1",
                "still in progress, for `up` to finish"
            );
            db.exec("INSERT INTO gate VALUES (true)");
            up(&db, migrations).expect("up finishes it");
            assert_eq!(one(&db, count_upper), "20000");
        }
    }
}

/// A run refused before it sends anything (an index of that name made by hand in the way) must not forget a
/// backfill's committed batches from an earlier run: the migration stays in progress, and `down` restores
/// what they overwrote.
#[test]
fn a_refused_rerun_keeps_the_committed_batches_of_a_stopped_backfill_in_progress() {
    let db = TestDb::new();
    db.exec(GATED_COMMENTS);
    let before = one(
        &db,
        "SELECT md5(string_agg(contents, '|' ORDER BY id)) FROM comments",
    );
    up(&db, &fixtures::SHOUT_THEN_INDEX).expect_err("stops half-way");
    db.exec("CREATE INDEX comments_contents_index ON comments (id)");
    let refused = up(&db, &fixtures::SHOUT_THEN_INDEX)
        .expect_err("the index in the way is refused")
        .to_string();
    assert!(refused.contains("comments_contents_index"), "{refused}");
    assert_eq!(
        one(&db, "SELECT count(*) FROM pgmigrations_journal"),
        "1",
        "still in progress"
    );
    db.exec("DROP INDEX comments_contents_index; INSERT INTO gate VALUES (true)");
    Migrator::new(&fixtures::SHOUT_THEN_INDEX)
        .run_down(&mut db.client(), &DownTarget::Count(1), &mut |_| {})
        .expect("down restores the part applied");
    assert_eq!(
        one(
            &db,
            "SELECT md5(string_agg(contents, '|' ORDER BY id)) FROM comments"
        ),
        before,
        "every value as before"
    );
    assert_eq!(one(&db, "SELECT count(*) FROM pgmigrations_journal"), "0");
}

/// The documented way to start over, by hand: undo what took effect, `repair` the migration. The next `up`
/// must not resume the backfill from the position the first application saved (every row it skipped would
/// stay NULL); it walks the table from its start.
#[test]
fn after_an_undo_by_hand_and_repair_the_backfill_starts_over_and_skips_no_row() {
    let db = TestDb::new();
    db.exec(GATED_COMMENTS);
    up(&db, &fixtures::RENAME).expect_err("stops half-way");
    db.exec(
        "DROP TRIGGER comments_contents_body_sync ON comments; DROP FUNCTION comments_contents_body_sync(); \
         ALTER TABLE comments DROP COLUMN body",
    );
    let repaired = Migrator::new(&fixtures::RENAME)
        .repair(&mut db.client(), &["20270101000001_expand_body".to_owned()])
        .expect("repair clears what the run recorded");
    assert_eq!(repaired.len(), 1, "{repaired:?}");
    assert_eq!(one(&db, "SELECT count(*) FROM pgmigrations_backfill"), "0");
    db.exec("INSERT INTO gate VALUES (true)");
    up(&db, &fixtures::RENAME).expect("applies from its start");
    assert_eq!(
        one(
            &db,
            "SELECT count(*) FROM comments WHERE body IS DISTINCT FROM contents"
        ),
        "0",
        "no row skipped"
    );
}

/// A raw statement that fails outside a transaction after others took effect is the one case for a person:
/// the mark names what took effect and the command that continues; `up` refuses until then; `--retry`
/// continues from the failed statement without repeating the others.
#[test]
fn a_failed_raw_statement_is_marked_and_retry_continues_from_it() {
    let db = TestDb::new();
    db.exec(GATED_COMMENTS);
    let first = up(&db, &fixtures::RAW).expect_err("the check fails");
    let message = first.to_string();
    assert!(message.contains("violated by some row"), "{message}");
    assert!(
        message.contains("3 earlier statement(s) of this `up` were committed")
            && message.contains("retrying 20270101000003_raw with `up` clears the mark"),
        "{message}"
    );
    assert_eq!(first.retries(), [("20270101000003_raw", "up".to_owned())]);
    let refused = up(&db, &fixtures::RAW).expect_err("marked");
    let refusal = refused.to_string();
    assert!(
        refusal.contains("committed: #1 (sql): CREATE TABLE log (line text NOT NULL)")
            && refusal.contains("retrying 20270101000003_raw with `up` clears it"),
        "{refusal}"
    );
    assert_eq!(refused.retries(), [("20270101000003_raw", "up".to_owned())]);
    // The person fixes the data, then continues.
    db.exec("DELETE FROM log WHERE line = 'comment 1'");
    Migrator::new(&fixtures::RAW)
        .retry(vec!["20270101000003_raw".to_owned()])
        .run_up(&mut db.client(), &UpTarget::All, &mut |_| {})
        .expect("continued from the failed statement");
    assert_eq!(
        one(&db, "SELECT string_agg(line, ',') FROM log"),
        "once",
        "the earlier statements did not run again"
    );
    assert_eq!(marks(&db), "0");
    // Retrying a migration that does not exist is refused, naming it.
    let error = Migrator::new(&fixtures::RAW)
        .retry(vec!["20270101000009_nope".to_owned()])
        .run_up(&mut db.client(), &UpTarget::All, &mut |_| {})
        .expect_err("no such migration");
    assert!(error.to_string().contains("20270101000009_nope"), "{error}");
}

/// A migration of several transactions (set_not_null: the check, its VALIDATE, then SET NOT NULL) whose
/// VALIDATE fails on the data: the check stays, nothing is marked, and once the data is fixed the next `up`
/// continues with the VALIDATE.
#[test]
fn a_migration_of_several_transactions_continues_after_the_one_that_failed() {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE notes (id bigint PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'a'), (2, NULL);",
    );
    let error = up(&db, &fixtures::NOT_NULL).expect_err("VALIDATE fails on the NULL");
    let message = error.to_string();
    assert!(
        message.contains("1 of its 4 statement(s) took effect and are kept")
            && !message.contains("repair"),
        "{message}"
    );
    assert_eq!(marks(&db), "0");
    db.exec("UPDATE notes SET body = 'b' WHERE id = 2");
    let (second, events) = up_logged(&db, Migrator::new(&fixtures::NOT_NULL));
    second.expect("continued");
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("Continued") && e.contains("done: 1")),
        "{events:#?}"
    );
    assert_eq!(
        one(
            &db,
            "SELECT attnotnull::text FROM pg_attribute WHERE attrelid = 'notes'::regclass AND attname = 'body'"
        ),
        "true"
    );
}

/// A failed `CREATE INDEX CONCURRENTLY` cleans up the invalid index it left on its own table only: an index
/// that became invalid elsewhere while it ran (another tenant's schema, another session's work) is not its to
/// drop.
#[test]
fn a_failed_concurrent_build_drops_only_its_own_invalid_index() {
    let db = TestDb::new();
    db.exec(
        "CREATE SCHEMA app; CREATE SCHEMA other;
         -- A second a row: the build takes about two seconds, then fails on the duplicate.
         CREATE FUNCTION app.slowly(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS
             $$ BEGIN PERFORM pg_sleep(0.001); RETURN t; END $$;
         CREATE TABLE app.posts (id bigint PRIMARY KEY, slug text);
         INSERT INTO app.posts SELECT i, 'post ' || i FROM generate_series(1, 2000) i;
         INSERT INTO app.posts VALUES (2001, 'post 1');
         CREATE TABLE other.events (at date NOT NULL) PARTITION BY RANGE (at);
         CREATE TABLE other.events_2027 PARTITION OF other.events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');",
    );
    let url = db.url().to_owned();
    let elsewhere = std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_stat_progress_create_index WHERE relid = 'app.posts'::regclass)",
                &[],
            )
            .expect("reads progress")
            .get::<_, bool>(0)
        {
            assert!(std::time::Instant::now() < deadline, "the build never started");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        // Invalid until the partition's index is attached: another session's work in progress.
        client
            .batch_execute("CREATE INDEX events_at ON ONLY other.events (at)")
            .expect("creates the parent's index");
    });
    let error = up(&db, &fixtures::UNIQUE).expect_err("duplicates");
    elsewhere.join().expect("the other session's work");
    assert!(
        error.to_string().contains("could not create unique index"),
        "{error}"
    );
    assert_eq!(
        db.query_strings(
            "SELECT n.nspname || '.' || c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT i.indisvalid ORDER BY 1"
        ),
        [[Some("other.events_at".to_owned())]],
        "its own leftover is dropped, the other session's index stays"
    );
}

/// An invalid index with the name the engine gives its index, left by someone else's failed concurrent build
/// (on another column), is not the migration's: nothing records it building it, so `up` refuses, naming the
/// index, and leaves it as it is, instead of dropping it and building its own under that name.
#[test]
fn an_invalid_index_the_migration_did_not_build_is_refused_not_rebuilt() {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE posts (id bigint PRIMARY KEY, author int, slug text);
         INSERT INTO posts SELECT i, i % 10, 'same' FROM generate_series(1, 100) i;",
    );
    // The user's own build, on `slug`, fails on the duplicates and leaves its index invalid.
    let failed = db
        .client()
        .batch_execute("CREATE UNIQUE INDEX CONCURRENTLY posts_author_index ON posts (slug)");
    assert!(failed.is_err(), "the duplicates fail the user's build");
    let theirs = one(
        &db,
        "SELECT oid::text || ' ' || indisvalid::text FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid \
         WHERE relname = 'posts_author_index'",
    );
    assert!(theirs.ends_with(" false"), "{theirs}");
    let error = up(&db, &fixtures::BY_AUTHOR)
        .expect_err("refused")
        .to_string();
    for fragment in [
        "posts_author_index",
        "already exists, invalid",
        "not this migration's",
    ] {
        assert!(error.contains(fragment), "{fragment}: {error}");
    }
    assert_eq!(
        one(
            &db,
            "SELECT oid::text || ' ' || indisvalid::text FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid \
             WHERE relname = 'posts_author_index'"
        ),
        theirs,
        "the user's index is left as it was"
    );
    assert_eq!(one(&db, "SELECT count(*) FROM pgmigrations"), "0");
    // Once the user drops it, the migration builds its own.
    db.exec("DROP INDEX posts_author_index");
    up(&db, &fixtures::BY_AUTHOR).expect("builds its index");
    assert_eq!(
        one(
            &db,
            "SELECT pg_get_indexdef(indexrelid) || ' ' || indisvalid::text FROM pg_index \
             WHERE indexrelid = 'posts_author_index'::regclass"
        ),
        "CREATE INDEX posts_author_index ON public.posts USING btree (author) true"
    );
}

/// A backfill is recorded as done only when no row still matches what it was to fill: rows left unfilled are
/// walked again, and when they stay the migration fails naming how many, instead of passing for done.
#[test]
fn a_backfill_that_leaves_rows_unfilled_fails_naming_them() {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE comments (id bigint PRIMARY KEY, contents text NOT NULL);
         INSERT INTO comments SELECT i, 'c' || i FROM generate_series(1, 3000) i;
         -- Every hundredth row refuses the change, as a writer putting the old value back would.
         CREATE FUNCTION keeps_some() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF NEW.id % 100 = 0 THEN NEW.contents := OLD.contents; END IF;
             RETURN NEW;
         END $$;
         CREATE TRIGGER keeps BEFORE UPDATE ON comments FOR EACH ROW EXECUTE FUNCTION keeps_some();",
    );
    let error = up(&db, &fixtures::FOREVER).expect_err("never done");
    let message = error.to_string();
    assert!(
        message.contains("30 row(s) of \"comments\" still match the backfill's condition")
            && message.contains("after 3 walks"),
        "{message}"
    );
    assert_eq!(one(&db, "SELECT count(*) FROM pgmigrations"), "0");
}

mod session {
    use migrate_core::{Definition, Migrations};
    use migrate_dsl::prelude::*;

    const fn named(name: &'static str, up: fn(&mut MigrationBuilder)) -> Definition {
        Definition {
            name,
            path: "tests/resumable.rs",
            source: name,
            up,
            down: None,
        }
    }

    // What pg_dump output does at its start, and a role switch.
    fn moves_the_session(pgm: &mut MigrationBuilder) {
        pgm.sql("SELECT pg_catalog.set_config('search_path', 'public', false); SET ROLE migrate_tests_borrowed");
    }
    fn creates_unqualified(pgm: &mut MigrationBuilder) {
        pgm.sql("CREATE TABLE made_here (id integer)");
    }
    fn moves_it_outside_a_transaction(pgm: &mut MigrationBuilder) {
        pgm.no_transaction();
        pgm.sql("SELECT pg_catalog.set_config('search_path', 'public', false)");
    }
    fn creates_another(pgm: &mut MigrationBuilder) {
        pgm.sql("CREATE TABLE made_here_too (id integer)");
    }
    pub static TWO: Migrations = Migrations::new(&[
        named("20270201000001_moves_the_session", moves_the_session),
        named("20270201000002_creates_unqualified", creates_unqualified),
        named(
            "20270201000003_moves_it_outside",
            moves_it_outside_a_transaction,
        ),
        named("20270201000004_creates_another", creates_another),
    ]);
}

/// Each migration starts with the session the run was given: a migration that moves the session's
/// `search_path` (as pg_dump output does) or its role does not move the next one's, so the next one's
/// unqualified table lands in the tenant's schema, owned by the run's role, and the history stays there too.
#[test]
fn a_migrations_session_settings_do_not_reach_the_next_one() {
    let db = TestDb::new();
    // Roles are the cluster's: created once, kept for the next run.
    db.exec(
        "CREATE SCHEMA tenant_1; \
         DO $$ BEGIN CREATE ROLE migrate_tests_borrowed; EXCEPTION WHEN duplicate_object THEN NULL; END $$; \
         GRANT migrate_tests_borrowed TO CURRENT_USER; GRANT ALL ON SCHEMA public TO migrate_tests_borrowed",
    );
    let mut client = db.client();
    // As a fleet enters a schema target.
    client
        .batch_execute("SELECT pg_catalog.set_config('search_path', 'tenant_1', false)")
        .expect("enters the tenant");
    let table =
        migrate_core::MigrationsTable::new("tenant_1", "pgmigrations").expect("a valid name");
    let result =
        Migrator::new(&session::TWO)
            .table(table)
            .run_up(&mut client, &UpTarget::All, &mut |_| {});
    db.exec("DROP OWNED BY migrate_tests_borrowed");
    result.expect("applies");
    assert_eq!(
        db.query_strings(
            "SELECT n.nspname || '.' || c.relname || ' ' || pg_catalog.pg_get_userbyid(c.relowner) \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname LIKE 'made_here%' ORDER BY 1"
        ),
        [
            [Some(format!("tenant_1.made_here {}", one(&db, "SELECT current_user")))],
            [Some(format!("tenant_1.made_here_too {}", one(&db, "SELECT current_user")))],
        ]
    );
    assert_eq!(one(&db, "SELECT count(*) FROM tenant_1.pgmigrations"), "4");
}

/// A stop that arrives while no statement runs (a time budget spent during a migration's first transaction,
/// which nobody cancels here) stops a migration of several transactions before its next one: the first
/// transaction's statements are kept, and the next run continues.
#[test]
fn a_migration_of_several_transactions_stops_between_them() {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE notes (id bigint PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'a');",
    );
    let error = Migrator::new(&fixtures::SLOW_SPLIT)
        .max_duration(Some(std::time::Duration::from_millis(1500)))
        .run_up(&mut db.client(), &UpTarget::All, &mut |_| {})
        .expect_err("the budget is spent");
    let message = error.to_string();
    assert!(
        message.contains("time budget")
            && message.contains("2 of its statement(s) took effect and are kept"),
        "{message}"
    );
    assert_eq!(one(&db, "SELECT count(*) FROM pgmigrations"), "0");
    assert_eq!(
        one(
            &db,
            "SELECT convalidated::text FROM pg_constraint WHERE conname = 'notes_body_check'"
        ),
        "false"
    );
    up(&db, &fixtures::SLOW_SPLIT).expect("continued");
    assert_eq!(
        one(
            &db,
            "SELECT convalidated::text FROM pg_constraint WHERE conname = 'notes_body_check'"
        ),
        "true"
    );
}
