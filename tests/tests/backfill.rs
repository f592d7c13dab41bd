//! Batched backfills: keyset batches each committed on their own, SQL or Rust per batch, any primary key,
//! and resuming after an interruption without redoing finished batches.

use tests::assert_cli_snapshot;
use tests::cli::FixtureCli;
use tests::TestDb;

fn count(db: &TestDb, sql: &str) -> String {
    db.query_strings(sql)[0][0].clone().unwrap_or_default()
}

#[test]
fn backfills_every_row_in_batches_and_sql_shows_the_plan() {
    let db = TestDb::new();
    let cli = FixtureCli::new("backfill", &db);
    cli.run(&["up", "2"]).expect_code(0);
    let sql = cli.run(&["sql"]).expect_code(0);
    assert_cli_snapshot!("backfill_sql", sql, &["sql"]);

    let up = cli.run(&["up"]).expect_code(0);
    assert!(
        up.stdout
            .contains("applied  20260701000003_backfill_doubled"),
        "{}",
        up.stdout
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM items WHERE doubled = v * 2"),
        "10500"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM pairs WHERE label = a || '/' || b"
        ),
        "2500"
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM public.pgmigrations_backfill"),
        "0",
        "finished backfills leave no progress behind"
    );
}

#[test]
fn an_interrupted_backfill_resumes_after_its_last_committed_batch() {
    let db = TestDb::new();
    let cli = FixtureCli::new("backfill_resume", &db);
    let failed = cli.run(&["up"]).expect_code(1);
    assert!(
        failed.stderr.contains("interrupted at row 5001"),
        "{}",
        failed.stderr
    );
    // Five batches of 1000 were committed, with their progress.
    assert_eq!(
        count(&db, "SELECT count(*) FROM items WHERE doubled IS NOT NULL"),
        "5000"
    );
    assert_eq!(
        db.query_strings("SELECT cursor::text, rows_done::text FROM public.pgmigrations_backfill"),
        [[Some("{5000}".to_owned()), Some("5000".to_owned())]]
    );

    db.exec("INSERT INTO gate VALUES (true)");
    cli.run(&["up"]).expect_code(0);
    assert_eq!(
        count(&db, "SELECT count(*) FROM items WHERE doubled = v * 2"),
        "10000"
    );
    // Every row was handled exactly once: the second run started after row 5000.
    assert_eq!(count(&db, "SELECT count(*) FROM handled"), "10000");
    assert_eq!(
        count(&db, "SELECT count(DISTINCT id) FROM handled"),
        "10000"
    );
}

// ---------------------------------------------------------------------------------------------------------
// A concurrent application write during a Rust batch

mod concurrent_writer {
    use std::sync::{Mutex, OnceLock};
    use std::thread::JoinHandle;
    use std::time::Duration;

    use migrate_core::{Definition, Migration};
    use migrate_dsl::prelude::*;
    use postgres::{Client, NoTls};

    pub static URL: OnceLock<String> = OnceLock::new();
    /// The application's write, started by the first batch; its result once joined.
    pub static WRITER: Mutex<Option<JoinHandle<Result<u64, String>>>> = Mutex::new(None);

    /// The application sets `dst` itself (a dual write) for row 1 while the first batch holds its rows.
    fn start_writer_and_wait_until_it_is_done_or_blocked() -> Result<(), postgres::Error> {
        let url = URL.get().expect("URL is set").clone();
        let mut watcher = Client::connect(&url, NoTls)?;
        let writer = std::thread::spawn(move || {
            let mut app = Client::connect(&url, NoTls).map_err(|e| e.to_string())?;
            app.execute(
                "UPDATE accounts SET src = 'new', dst = 'V1' WHERE id = 1",
                &[],
            )
            .map_err(|e| e.to_string())
        });
        // No timing: proceed once the write either went through or waits for a lock.
        loop {
            if writer.is_finished() {
                break;
            }
            let blocked: bool = watcher
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database() \
                     AND wait_event_type = 'Lock' AND query LIKE 'UPDATE accounts SET src%')",
                    &[],
                )?
                .get(0);
            if blocked {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        *WRITER.lock().expect("writer slot") = Some(writer);
        Ok(())
    }

    fn up(pgm: &mut MigrationBuilder) {
        pgm.backfill_with("accounts", |tx, rows| {
            if WRITER.lock().expect("writer slot").is_none() {
                start_writer_and_wait_until_it_is_done_or_blocked()?;
            }
            for row in rows {
                let id: i32 = row.get("id");
                let src: String = row.get("src");
                tx.execute(
                    "UPDATE accounts SET dst = upper($1) WHERE id = $2",
                    &[&src, &id],
                )?;
            }
            Ok(())
        })
        .batch_size(10);
    }

    pub static MIGRATION: [Migration; 1] = [Migration::defined(&Definition {
        name: "20270801000001_fill_dst",
        path: "tests/backfill.rs",
        source: "fill_dst",
        up,
        down: None,
    })];
}

/// The rows of a Rust batch are locked while its code runs: an application write to one of them waits for
/// the batch to commit and then applies on top, instead of being overwritten by the batch's own write.
#[test]
fn a_rust_batch_locks_its_rows_so_a_concurrent_write_is_not_lost() {
    use migrate_core::{Migrator, UpTarget};
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE accounts (id integer PRIMARY KEY, src text NOT NULL, dst text);
         INSERT INTO accounts (id, src) SELECT i, 'old' FROM generate_series(1, 30) i",
    );
    concurrent_writer::URL
        .set(db.url().to_owned())
        .expect("set once");
    Migrator::new(&concurrent_writer::MIGRATION)
        .run_up(&mut db.client(), &UpTarget::All, &mut |_| {})
        .expect("the backfill runs");
    let writer = concurrent_writer::WRITER
        .lock()
        .expect("writer slot")
        .take()
        .expect("the first batch started the writer");
    assert_eq!(writer.join().expect("writer thread"), Ok(1));
    assert_eq!(
        db.query_strings("SELECT src, dst FROM accounts WHERE id = 1"),
        [[Some("new".to_owned()), Some("V1".to_owned())]],
        "the application's write survives"
    );
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM accounts WHERE id > 1 AND dst = 'OLD'"
        ),
        "29"
    );
}

// ---------------------------------------------------------------------------------------------------------
// An interrupted backfill whose migration changed before it ran again

mod edited {
    use migrate_core::{Definition, Migrations};
    use migrate_dsl::prelude::*;

    pub const NAME: &str = "20270901000001_backfill";

    fn even(pgm: &mut MigrationBuilder) {
        pgm.backfill("items", "doubled = v * 2")
            .where_clause("v % 2 = 0");
    }
    fn odd(pgm: &mut MigrationBuilder) {
        pgm.backfill("items", "doubled = v * 2")
            .where_clause("v % 2 = 1");
    }
    fn double(pgm: &mut MigrationBuilder) {
        pgm.backfill("items", "doubled = v * 2");
    }
    fn double_in_batches_of_500(pgm: &mut MigrationBuilder) {
        pgm.backfill("items", "doubled = v * 2").batch_size(500);
    }
    fn triple(pgm: &mut MigrationBuilder) {
        pgm.backfill("items", "doubled = v * 3");
    }
    fn double_items2(pgm: &mut MigrationBuilder) {
        pgm.backfill("items2", "doubled = v * 2");
    }
    fn rust_double(pgm: &mut MigrationBuilder) {
        pgm.backfill_with("items", |tx, rows| {
            for row in rows {
                let id: i64 = row.get("id");
                tx.execute("UPDATE items SET doubled = v * 2 WHERE id = $1", &[&id])?;
            }
            Ok(())
        });
    }
    fn rust_triple(pgm: &mut MigrationBuilder) {
        pgm.backfill_with("items", |tx, rows| {
            for row in rows {
                let id: i64 = row.get("id");
                tx.execute("UPDATE items SET doubled = v * 3 WHERE id = $1", &[&id])?;
            }
            Ok(())
        });
    }

    const fn version(source: &'static str, up: fn(&mut MigrationBuilder)) -> Definition {
        Definition {
            name: NAME,
            path: "tests/backfill.rs",
            source,
            up,
            down: None,
        }
    }

    pub static EVEN: Migrations = Migrations::new(&[version("even", even)]);
    pub static ODD: Migrations = Migrations::new(&[version("odd", odd)]);
    pub static DOUBLE: Migrations = Migrations::new(&[version("double", double)]);
    pub static DOUBLE_500: Migrations =
        Migrations::new(&[version("double 500", double_in_batches_of_500)]);
    pub static TRIPLE: Migrations = Migrations::new(&[version("triple", triple)]);
    pub static DOUBLE_ITEMS2: Migrations =
        Migrations::new(&[version("double items2", double_items2)]);
    pub static RUST_DOUBLE: Migrations = Migrations::new(&[version("rust double", rust_double)]);
    pub static RUST_TRIPLE: Migrations = Migrations::new(&[version("rust triple", rust_triple)]);
}

/// Ten thousand items (`v` runs backwards from 10000), the same in `items2`; a trigger stops every update
/// of a row past 5000 until `gate` has a row, and logs each updated row in `handled`.
const EDITED_SETUP: &str = "
    CREATE TABLE items (id bigint PRIMARY KEY, v integer NOT NULL UNIQUE, doubled integer);
    INSERT INTO items (id, v) SELECT i, 10001 - i FROM generate_series(1, 10000) i;
    CREATE TABLE items2 (id bigint PRIMARY KEY, v integer NOT NULL, doubled integer);
    INSERT INTO items2 SELECT * FROM items;
    CREATE TABLE gate (open boolean);
    CREATE TABLE handled (id bigint NOT NULL);
    CREATE FUNCTION stop_past_5000() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.id > 5000 AND NOT EXISTS (SELECT 1 FROM gate) THEN
            RAISE EXCEPTION 'interrupted at row %', NEW.id;
        END IF;
        INSERT INTO handled VALUES (NEW.id);
        RETURN NEW;
    END $$;
    CREATE TRIGGER stop BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION stop_past_5000();
    CREATE TRIGGER stop BEFORE UPDATE ON items2 FOR EACH ROW EXECUTE FUNCTION stop_past_5000();";

/// The backfill progress table as versions without a fingerprint created it, holding the progress of an
/// interrupted backfill of another definition (rows up to 5000 doubled, the cursor at 5000).
const OLD_PROGRESS: &str = "
    CREATE TABLE public.pgmigrations_backfill (migration text NOT NULL, position integer NOT NULL,
        cursor text[] NOT NULL, rows_done bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (migration, position));
    INSERT INTO public.pgmigrations_backfill (migration, position, cursor, rows_done)
        VALUES ('20270901000001_backfill', 1, '{5000}', 5000);";

struct EditCase {
    name: &'static str,
    /// The version interrupted after its first 5000 rows (none: `before` prepares the progress instead).
    first: Option<&'static [migrate_core::Migration]>,
    /// SQL run between the two runs, after the gate is opened.
    between: &'static str,
    second: &'static [migrate_core::Migration],
    /// Must count 0 after the second run: the rows the second version should have done but did not.
    not_done: &'static str,
    /// Whether the second run starts over (and says so) rather than resuming.
    restarts: bool,
}

fn edit_cases() -> Vec<EditCase> {
    use edited::*;
    vec![
        EditCase {
            name: "where_clause_changed",
            first: Some(&EVEN),
            between: "",
            second: &ODD,
            not_done: "SELECT count(*) FROM items WHERE v % 2 = 1 AND doubled IS DISTINCT FROM v * 2",
            restarts: true,
        },
        EditCase {
            name: "table_changed",
            first: Some(&DOUBLE),
            between: "",
            second: &DOUBLE_ITEMS2,
            not_done: "SELECT count(*) FROM items2 WHERE doubled IS DISTINCT FROM v * 2",
            restarts: true,
        },
        EditCase {
            name: "assignments_changed",
            first: Some(&DOUBLE),
            between: "",
            second: &TRIPLE,
            not_done: "SELECT count(*) FROM items WHERE doubled IS DISTINCT FROM v * 3",
            restarts: true,
        },
        EditCase {
            name: "rust_code_changed",
            first: Some(&RUST_DOUBLE),
            between: "",
            second: &RUST_TRIPLE,
            not_done: "SELECT count(*) FROM items WHERE doubled IS DISTINCT FROM v * 3",
            restarts: true,
        },
        EditCase {
            name: "primary_key_changed",
            first: Some(&DOUBLE),
            between: "ALTER TABLE items DROP CONSTRAINT items_pkey; ALTER TABLE items ADD PRIMARY KEY (v)",
            second: &DOUBLE,
            not_done: "SELECT count(*) FROM items WHERE doubled IS DISTINCT FROM v * 2",
            restarts: true,
        },
        EditCase {
            name: "progress_of_an_older_version_without_fingerprint",
            first: None,
            between: OLD_PROGRESS,
            second: &TRIPLE,
            not_done: "SELECT count(*) FROM items WHERE doubled IS DISTINCT FROM v * 3",
            restarts: true,
        },
        EditCase {
            name: "only_the_batch_size_changed",
            first: Some(&DOUBLE),
            between: "",
            second: &DOUBLE_500,
            // Resumed, not restarted: every row was updated exactly once.
            not_done: "SELECT count(*) - 10000 + (SELECT count(*) FROM items WHERE doubled IS DISTINCT FROM v * 2) FROM handled",
            restarts: false,
        },
    ]
}

/// An interrupted backfill resumes only when it is still the same backfill: its progress is keyed to the
/// table, primary key, condition and work. When the migration was edited (or the key changed) the second
/// run starts over, and says so, instead of resuming from a cursor that belongs to another walk and
/// skipping rows; a changed batch size still resumes.
#[test]
fn an_edited_backfill_starts_over_instead_of_resuming_from_a_stale_cursor() {
    use migrate_core::{Migrator, UpTarget};
    let mut failures = Vec::new();
    for case in edit_cases() {
        let db = TestDb::new();
        db.exec(EDITED_SETUP);
        let mut problems = Vec::new();
        if let Some(first) = case.first {
            match Migrator::new(first).run_up(&mut db.client(), &UpTarget::All, &mut |_| {}) {
                Err(e) if e.to_string().contains("interrupted at row 5001") => {}
                other => problems.push(format!("the first run was not interrupted: {other:?}")),
            }
        }
        db.exec("INSERT INTO gate VALUES (true)");
        if !case.between.is_empty() {
            db.exec(case.between);
        }
        let mut events = Vec::new();
        let second =
            Migrator::new(case.second).run_up(&mut db.client(), &UpTarget::All, &mut |e| {
                events.push(format!("{e:?}"))
            });
        if let Err(e) = second {
            problems.push(format!("the second run failed: {e}"));
        }
        let not_done = count(&db, case.not_done);
        if not_done != "0" {
            problems.push(format!("{not_done} row(s) not done ({})", case.not_done));
        }
        let restarted = events.iter().any(|e| e.starts_with("BackfillRestarted"));
        if restarted != case.restarts {
            problems.push(format!(
                "restarted = {restarted}, expected {}: {:?}",
                case.restarts,
                events
                    .iter()
                    .filter(|e| !e.starts_with("Backfill {"))
                    .collect::<Vec<_>>()
            ));
        }
        if !problems.is_empty() {
            failures.push(format!("case {}: {}", case.name, problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// An SQL batch's UPDATE and its progress row commit together or not at all, though they reach the server
/// as two messages (the transaction begun with the UPDATE, then the progress saved with the COMMIT): the
/// runner's session is ended by the server at random moments of the walk (as when its process is killed),
/// and after each end the rows updated are exactly those the progress counts, all at or before its
/// cursor. Then a plain run finishes, and every row was updated exactly once (the trigger logs each
/// update). For the walk by computed key ranges (adaptive sizes, a dense key) and by ranges read from the
/// index (a fixed size).
#[test]
fn an_sql_batch_commits_with_its_progress_or_not_at_all_when_its_session_ends() {
    use migrate_core::{Migrator, UpTarget};
    let seed: u64 = std::env::var("BATCH_KILL_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(20_261_130);
    let mut rng = fastrand::Rng::with_seed(seed);
    for (name, migrations) in [("dense", &edited::DOUBLE), ("read", &edited::DOUBLE_500)] {
        let db = TestDb::new();
        db.exec(EDITED_SETUP);
        db.exec("INSERT INTO gate VALUES (true)");
        let mut ended = 0;
        for round in 0.. {
            let mut client = db.client();
            let pid: i32 = client
                .query_one("SELECT pg_backend_pid()", &[])
                .expect("pid")
                .get(0);
            let run = std::thread::spawn(move || {
                Migrator::new(migrations)
                    .run_up(&mut client, &UpTarget::All, &mut |_| {})
                    .map_err(|e| e.to_string())
            });
            if round < 12 {
                std::thread::sleep(std::time::Duration::from_millis(rng.u64(5..120)));
                ended += usize::from(
                    db.query_strings(&format!("SELECT pg_terminate_backend({pid})"))[0][0]
                        .as_deref()
                        == Some("t"),
                );
            }
            let finished = run.join().expect("the run's thread").is_ok();
            let context = format!("{name}, round {round} (seed {seed})");
            // Ended before the first batch, the progress table may not exist yet.
            let progress = match count(
                &db,
                "SELECT to_regclass('public.pgmigrations_backfill') IS NULL",
            )
            .as_str()
            {
                "t" => Vec::new(),
                _ => db.query_strings(
                    "SELECT cursor[1], rows_done::text FROM public.pgmigrations_backfill",
                ),
            };
            let updated = count(&db, "SELECT count(*) FROM items WHERE doubled IS NOT NULL");
            if finished {
                assert!(progress.is_empty(), "{context}: {progress:?}");
                assert_eq!(updated, "10000", "{context}");
                break;
            }
            assert!(round < 20, "{context}: the walk never finishes");
            let (cursor, done) = match progress.as_slice() {
                // Ended after the walk's last transaction (its progress forgotten with its journal
                // entry), before the migration was recorded.
                [] if updated == "10000" => ("10000".to_owned(), "10000".to_owned()),
                [] => ("0".to_owned(), "0".to_owned()),
                [row] => (
                    row[0].clone().unwrap_or_default(),
                    row[1].clone().unwrap_or_default(),
                ),
                more => panic!("{context}: {more:?}"),
            };
            assert_eq!(
                updated, done,
                "{context}: the rows updated are the progress's"
            );
            assert_eq!(
                count(&db, "SELECT count(*) FROM handled"),
                done,
                "{context}"
            );
            assert_eq!(
                count(
                    &db,
                    &format!(
                        "SELECT count(*) FROM items WHERE (id <= {cursor}) <> (doubled IS NOT NULL)"
                    )
                ),
                "0",
                "{context}: updated are the rows up to the cursor {cursor}"
            );
        }
        assert!(ended > 0, "{name}: no session was ended mid-walk");
        assert_eq!(
            count(
                &db,
                "SELECT count(*)::text || '/' || count(DISTINCT id)::text FROM handled"
            ),
            "10000/10000",
            "{name}: every row updated exactly once"
        );
        assert_eq!(
            count(&db, "SELECT count(*) FROM items WHERE doubled = v * 2"),
            "10000"
        );
    }
}

/// The plan shows the real key columns where the table exists, and says why not where it does not (yet), or
/// has no primary key, or when there is no database to ask.
#[test]
fn the_plan_shows_the_key_columns_or_says_why_it_cannot() {
    let db = TestDb::new();
    let cli = FixtureCli::new("backfill", &db);
    let keys = |sql: &str| {
        sql.lines()
            .filter(|l| l.starts_with("-- "))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };

    // Nothing applied: the tables are created earlier in the same run.
    let pending = cli.run(&["sql"]).expect_code(0);
    let lines = keys(&pending.stdout);
    assert!(
        lines
            .iter()
            .any(|l| l
                .starts_with(r#"-- <primary key>: "items" does not exist in the database yet"#)),
        "{}",
        pending.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains(r#"WHERE <primary key> IN (SELECT <primary key> FROM "items""#)),
        "{}",
        pending.stdout
    );

    // No database at all (`sql NAME`): the placeholder, with what it stands for.
    let named = FixtureCli::with_url("backfill", "postgres://nobody@127.0.0.1:1/none")
        .run(&["sql", "20260701000003"])
        .expect_code(0);
    assert!(
        named.stdout.contains(
            "-- <primary key>: the table's primary key columns, read when the backfill starts"
        ),
        "{}",
        named.stdout
    );

    // The tables exist: single and composite keys (the snapshot in the test above pins the whole plan).
    cli.run(&["up", "2"]).expect_code(0);
    let ready = cli.run(&["up", "--dry-run"]).expect_code(0);
    assert!(
        ready.stdout.contains(
            r#"-- each batch: UPDATE "items" SET doubled = v * 2 WHERE "id" IN (SELECT "id" FROM "items" WHERE "id" > $1 AND (doubled IS NULL) ORDER BY "id" LIMIT 1000)"#
        ),
        "{}",
        ready.stdout
    );
    assert!(
        ready.stdout.contains(
            r#"-- each batch: SELECT * FROM "pairs" WHERE ("a", "b") > ($1, $2) ORDER BY "a", "b" LIMIT 300 FOR NO KEY UPDATE and Rust code"#
        ),
        "{}",
        ready.stdout
    );
    assert!(!ready.stdout.contains("<primary key>"), "{}", ready.stdout);

    // A table without a primary key: the backfill would fail, and the plan says so before it runs.
    db.exec("ALTER TABLE pairs DROP CONSTRAINT pairs_pkey");
    let keyless = cli.run(&["sql"]).expect_code(0);
    assert!(
        keyless.stdout.contains(
            r#"-- "pairs" has no primary key, so this backfill will fail when it starts"#
        ),
        "{}",
        keyless.stdout
    );
}

// ---------------------------------------------------------------------------------------------------------
// Reverting a backfill

mod reverting {
    use migrate_core::{Definition, Migrations};
    use migrate_dsl::prelude::*;

    /// The column, added by a schema migration of its own (the layout the docs recommend).
    fn add_doubled(pgm: &mut MigrationBuilder) {
        pgm.add_columns("items", [column("doubled", "integer")]);
    }
    fn fill_doubled(pgm: &mut MigrationBuilder) {
        pgm.backfill("items", "doubled = v * 2")
            .where_clause("doubled IS NULL");
    }
    fn fill_doubled_in_rust(pgm: &mut MigrationBuilder) {
        pgm.backfill_with("items", |tx, rows| {
            for row in rows {
                let id: i64 = row.get("id");
                tx.execute("UPDATE items SET doubled = v * 2 WHERE id = $1", &[&id])?;
            }
            Ok(())
        });
    }
    /// Keeping the filled values is the author's decision, written down.
    fn keep_the_values(_pgm: &mut MigrationBuilder) {}
    fn add_and_fill_doubled(pgm: &mut MigrationBuilder) {
        pgm.add_columns("items", [column("doubled", "integer")]);
        pgm.backfill("items", "doubled = v * 2");
    }
    /// Fills the column it adds, and overwrites `v`, which it did not add.
    fn add_doubled_and_rewrite_v(pgm: &mut MigrationBuilder) {
        pgm.add_columns("items", [column("doubled", "integer")]);
        pgm.backfill("items", "doubled = v * 2, v = 0");
    }
    /// A new table (empty: an INSERT would be raw SQL, which has no reverse of its own) and Rust code over it.
    fn create_and_fill_copy(pgm: &mut MigrationBuilder) {
        pgm.create_table(
            "copy",
            [column("id", "bigint").primary_key(), column("v", "integer")],
        );
        pgm.backfill_with("copy", |tx, rows| {
            for row in rows {
                let id: i64 = row.get("id");
                tx.execute("UPDATE copy SET v = id * 3 WHERE id = $1", &[&id])?;
            }
            Ok(())
        });
    }

    const fn migration(
        name: &'static str,
        up: fn(&mut MigrationBuilder),
        down: Option<fn(&mut MigrationBuilder)>,
    ) -> Definition {
        Definition {
            name,
            path: "tests/backfill.rs",
            source: name,
            up,
            down,
        }
    }

    const ADD: Definition = migration("20271001000001_add_doubled", add_doubled, None);
    pub static SEPARATE: Migrations = Migrations::new(&[
        ADD,
        migration("20271001000002_fill_doubled", fill_doubled, None),
    ]);
    pub static SEPARATE_RUST: Migrations = Migrations::new(&[
        ADD,
        migration("20271001000002_fill_doubled", fill_doubled_in_rust, None),
    ]);
    pub static SEPARATE_WITH_DOWN: Migrations = Migrations::new(&[
        ADD,
        migration(
            "20271001000002_fill_doubled",
            fill_doubled,
            Some(keep_the_values),
        ),
    ]);
    pub static TOGETHER: Migrations = Migrations::new(&[migration(
        "20271001000001_add_and_fill_doubled",
        add_and_fill_doubled,
        None,
    )]);
    pub static TOGETHER_AND_MORE: Migrations = Migrations::new(&[migration(
        "20271001000001_add_doubled_and_rewrite_v",
        add_doubled_and_rewrite_v,
        None,
    )]);
    pub static NEW_TABLE: Migrations = Migrations::new(&[migration(
        "20271001000001_create_and_fill_copy",
        create_and_fill_copy,
        None,
    )]);
}

struct RevertCase {
    name: &'static str,
    migrations: &'static [migrate_core::Migration],
    /// `None`: `down` succeeds; else a fragment of its refusal.
    refused: Option<&'static str>,
    /// Queries of one value and what each gives after the `down`.
    after: &'static [(&'static str, &'static str)],
}

/// A derived `down` of a backfill does nothing only when the backfill's writes go with the
/// migration's own reverse (a column it added, a table it created). Otherwise it used to report "reverted"
/// and leave every row filled; now it is refused before anything runs, and the migration stays applied. A
/// written `down` (even an empty one) is the author's choice and runs.
#[test]
fn a_backfill_is_reverted_only_when_its_migration_added_what_it_filled() {
    use migrate_core::{DownTarget, Migrator, UpTarget};
    let cases = [
        RevertCase {
            name: "sql_backfill_of_a_column_an_earlier_migration_added",
            migrations: &reverting::SEPARATE,
            refused: Some(
                r#"operation #1 (backfill) cannot be reversed automatically: the backfill overwrites "doubled" of "items", which this migration did not add"#,
            ),
            after: &[
                ("SELECT count(*)::text FROM items WHERE doubled = v * 2", "2000"),
                ("SELECT count(*)::text FROM pgmigrations", "2"),
            ],
        },
        RevertCase {
            name: "rust_backfill_of_a_column_an_earlier_migration_added",
            migrations: &reverting::SEPARATE_RUST,
            refused: Some("the backfill's Rust code may write any column of \"items\""),
            after: &[
                ("SELECT count(*)::text FROM items WHERE doubled = v * 2", "2000"),
                ("SELECT count(*)::text FROM pgmigrations", "2"),
            ],
        },
        RevertCase {
            name: "written_empty_down_keeps_the_values",
            migrations: &reverting::SEPARATE_WITH_DOWN,
            refused: None,
            after: &[
                ("SELECT count(*)::text FROM items WHERE doubled = v * 2", "2000"),
                ("SELECT count(*)::text FROM pgmigrations", "1"),
            ],
        },
        RevertCase {
            name: "backfill_of_the_column_its_migration_added",
            migrations: &reverting::TOGETHER,
            refused: None,
            after: &[
                ("SELECT count(*)::text FROM information_schema.columns WHERE column_name = 'doubled'", "0"),
                ("SELECT count(*)::text FROM pgmigrations", "0"),
            ],
        },
        RevertCase {
            name: "backfill_of_an_added_column_and_an_existing_one",
            migrations: &reverting::TOGETHER_AND_MORE,
            refused: Some(r#"the backfill overwrites "v" of "items", which this migration did not add"#),
            after: &[
                ("SELECT count(*)::text FROM items WHERE v = 0 AND doubled IS NOT NULL", "2000"),
                ("SELECT count(*)::text FROM pgmigrations", "1"),
            ],
        },
        RevertCase {
            name: "rust_backfill_of_a_table_its_migration_created",
            migrations: &reverting::NEW_TABLE,
            refused: None,
            after: &[
                ("SELECT (to_regclass('copy') IS NULL)::text", "true"),
                ("SELECT count(*)::text FROM pgmigrations", "0"),
            ],
        },
    ];
    let mut failures = Vec::new();
    for case in cases {
        let db = TestDb::new();
        db.exec(
            "CREATE TABLE items (id bigint PRIMARY KEY, v integer NOT NULL);
             INSERT INTO items SELECT i, i FROM generate_series(1, 2000) i",
        );
        let migrator = Migrator::new(case.migrations);
        let mut client = db.client();
        let mut problems = Vec::new();
        if let Err(e) = migrator.run_up(&mut client, &UpTarget::All, &mut |_| {}) {
            failures.push(format!("case {}: up failed: {e}", case.name));
            continue;
        }
        let down = migrator.run_down(&mut client, &DownTarget::Count(1), &mut |_| {});
        match (&down, case.refused) {
            (Ok(_), None) => {}
            (Ok(ran), Some(fragment)) => problems.push(format!(
                "down ran ({ran:?}) instead of refusing with {fragment:?}"
            )),
            (Err(e), None) => problems.push(format!("down failed: {e}")),
            (Err(e), Some(fragment)) => {
                let message = e.to_string();
                for wanted in [fragment, "an empty `pub fn down(_pgm: &mut MigrationBuilder) {}` keeps the filled values"] {
                    if !message.contains(wanted) {
                        problems.push(format!("the refusal lacks {wanted:?}: {message}"));
                    }
                }
            }
        }
        for (sql, expected) in case.after {
            let got = count(&db, sql);
            if got != *expected {
                problems.push(format!("{sql} gave {got:?}, expected {expected:?}"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!("case {}: {}", case.name, problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Through the CLI: `down` of the fixture's backfill migration is refused, exit 1, naming
/// the migration; nothing is reverted and every row keeps its filled value.
#[test]
fn down_of_a_backfill_that_cannot_be_undone_reverts_nothing_and_says_why() {
    let db = TestDb::new();
    let cli = FixtureCli::new("backfill", &db);
    cli.run(&["up"]).expect_code(0);
    let down = cli.run(&["down"]).expect_code(1);
    assert!(!down.stdout.contains("reverted"), "{}", down.stdout);
    // Reversed last operation first: the Rust backfill of `pairs` is the first that cannot be.
    for fragment in [
        "migration 20260701000003_backfill_doubled",
        "operation #2 (backfill) cannot be reversed automatically",
        r#"the backfill's Rust code may write any column of "pairs""#,
    ] {
        assert!(
            down.stderr.contains(fragment),
            "{fragment:?} in {}",
            down.stderr
        );
    }
    assert_eq!(
        count(&db, "SELECT count(*) FROM items WHERE doubled = v * 2"),
        "10500"
    );
    assert_eq!(count(&db, "SELECT count(*) FROM pgmigrations"), "3");
}

// ---------------------------------------------------------------------------------------------------------
// The walk over a dense integer key: key ranges by arithmetic instead of reading each range's end

mod dense_key {
    use migrate_core::{BackfillSettings, Definition, Migration, Migrator, UpTarget};
    use migrate_dsl::prelude::*;
    use tests::TestDb;

    fn doubled(pgm: &mut MigrationBuilder) {
        pgm.backfill("items", "doubled = v * 2");
    }

    static DOUBLED: [Migration; 1] = [Migration::defined(&Definition {
        name: "20260101000000_backfill_doubled",
        path: "dense_key",
        source: "backfill_doubled",
        up: doubled,
        down: None,
    })];

    fn items(db: &TestDb, key: &str, ids: &str) {
        db.exec(&format!(
            "CREATE TABLE items (id {key} PRIMARY KEY, v integer NOT NULL, doubled integer);
             INSERT INTO items (id, v) SELECT i, i % 1000 FROM {ids} i;
             ANALYZE items"
        ));
    }

    /// Runs the backfill; `grow`, when given, runs (once) before a batch halfway through the walk, as an
    /// application inserting rows would.
    fn backfill(db: &TestDb, grow: Option<&str>) {
        if let Some(grow) = grow {
            // The pause query runs before every batch: it grows the table once, when the walk is halfway.
            db.exec(&format!(
                "CREATE TABLE grown (done boolean);
                 CREATE FUNCTION grow() RETURNS boolean LANGUAGE plpgsql AS $$
                 BEGIN
                   IF NOT EXISTS (SELECT FROM grown)
                      AND (SELECT count(*) FROM items WHERE doubled IS NOT NULL) > 0 THEN
                     {grow};
                     INSERT INTO grown VALUES (true);
                   END IF;
                   RETURN false;
                 END $$"
            ));
        }
        let settings = BackfillSettings {
            pause_while: grow.map(|_| "SELECT grow()".to_owned()),
            min_batch_size: 100,
            max_batch_size: 700,
            ..Default::default()
        };
        Migrator::new(&DOUBLED)
            .backfill_settings(settings)
            .run_up(&mut db.client(), &UpTarget::All, &mut |_| {})
            .expect("backfill");
    }

    fn wrong(db: &TestDb) -> Vec<Vec<Option<String>>> {
        db.query_strings(
            "SELECT count(*)::text, min(id)::text FROM items WHERE doubled IS DISTINCT FROM v * 2",
        )
    }

    #[test]
    fn rows_added_past_the_last_key_during_the_walk_are_filled_too() {
        let db = TestDb::new();
        items(&db, "bigint", "generate_series(1, 5000)");
        backfill(
            &db,
            Some("INSERT INTO items (id, v) SELECT i, i FROM generate_series(5001, 6500) i"),
        );
        assert_eq!(wrong(&db), [[Some("0".to_owned()), None]]);
        assert_eq!(
            db.query_strings("SELECT count(*)::text FROM items"),
            [[Some("6500".to_owned())]]
        );
    }

    #[test]
    fn a_key_at_the_end_of_its_type_and_negative_keys_are_walked_without_overflow() {
        let db = TestDb::new();
        items(
            &db,
            "integer",
            "generate_series(2147483647 - 2999, 2147483647)",
        );
        backfill(&db, None);
        assert_eq!(wrong(&db), [[Some("0".to_owned()), None]]);

        let db = TestDb::new();
        items(&db, "smallint", "generate_series(-1500, 1500)");
        backfill(&db, None);
        assert_eq!(wrong(&db), [[Some("0".to_owned()), None]]);
    }

    #[test]
    fn a_sparse_key_is_walked_by_reading_each_range() {
        // Keys 1,000,000 apart: stepping through them by arithmetic would walk empty ranges.
        let db = TestDb::new();
        items(&db, "bigint", "generate_series(1, 3000000000, 1000000)");
        backfill(
            &db,
            Some("INSERT INTO items (id, v) VALUES (4000000000, 7), (5000000000, 8)"),
        );
        assert_eq!(wrong(&db), [[Some("0".to_owned()), None]]);
    }
}
