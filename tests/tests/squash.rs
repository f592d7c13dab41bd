//! `squash`: the migrations up to a named one replaced with one baseline (schema read from the catalog as SQL,
//! plus kept rows). Proves that the baseline gives the schema the migrations give (compared with the catalog
//! description) on the example app and on a generated crate of many migrations, that the command writes the
//! checked-in baseline of fixture `squash_v2` from `squash_v1`, that a database which applied every squashed
//! migration records the baseline without running it, that one which applied only some is refused unchanged,
//! that a fresh one runs the baseline and then the later migrations, and that bad input changes nothing.

use std::path::Path;

use migrate_core::{schema, Definition, Migration, MigrationsTable, Migrator, UpTarget};
use migrate_dsl::MigrationBuilder;
use tests::cli::FixtureCli;
use tests::{assert_cli_snapshot, fixtures, TestDb};

fn describe(db: &TestDb) -> String {
    schema::describe(&mut db.client(), &MigrationsTable::default())
        .unwrap()
        .render()
}

/// Applies `migrations` up to `target` to a fresh database, reads its schema as SQL, applies that to another
/// fresh database, and returns both descriptions and the number of statements.
fn squash_round_trip(migrations: &[Migration], target: &str) -> (String, String, usize) {
    let source = TestDb::new();
    Migrator::new(migrations)
        .run_up(
            &mut source.client(),
            &UpTarget::To(target.to_owned()),
            &mut |_| {},
        )
        .unwrap();
    let statements = schema::ddl(&mut source.client(), &MigrationsTable::default()).unwrap();
    let baseline = TestDb::new();
    let mut client = baseline.client();
    let mut tx = client.transaction().unwrap();
    for statement in &statements {
        tx.batch_execute(statement)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    tx.commit().unwrap();
    (describe(&source), describe(&baseline), statements.len())
}

#[test]
fn example_app_squashed_schema_equals_the_unsquashed_one_at_every_migration() {
    let registry = fixtures::registry("example_app").unwrap();
    assert!(registry.migrations.len() >= 10);
    // Every prefix: the expand/contract story passes through triggers and functions that later go away.
    for m in &registry.migrations[1..] {
        let (expected, actual, statements) =
            squash_round_trip(registry.migrations.as_slice(), m.name());
        assert!(statements > 5, "{}: {statements} statements", m.name());
        assert_eq!(expected, actual, "squashed up to {}", m.name());
    }
}

/// Generated migration `i` (`tests::generated`).
fn generated(i: usize, pgm: &mut MigrationBuilder) {
    pgm.sql(tests::generated::migration_sql(i));
}

fn generated_up<const N: usize>(pgm: &mut MigrationBuilder) {
    generated(N, pgm);
}

macro_rules! units {
    ($v:ident, $base:expr) => {
        $v.push(generated_up::<{ $base }> as fn(&mut MigrationBuilder));
        $v.push(generated_up::<{ $base + 1 }>);
        $v.push(generated_up::<{ $base + 2 }>);
        $v.push(generated_up::<{ $base + 3 }>);
        $v.push(generated_up::<{ $base + 4 }>);
        $v.push(generated_up::<{ $base + 5 }>);
        $v.push(generated_up::<{ $base + 6 }>);
        $v.push(generated_up::<{ $base + 7 }>);
        $v.push(generated_up::<{ $base + 8 }>);
        $v.push(generated_up::<{ $base + 9 }>);
    };
}
macro_rules! tens {
    ($v:ident, $base:expr) => {
        units!($v, $base);
        units!($v, $base + 10);
        units!($v, $base + 20);
        units!($v, $base + 30);
        units!($v, $base + 40);
        units!($v, $base + 50);
        units!($v, $base + 60);
        units!($v, $base + 70);
        units!($v, $base + 80);
        units!($v, $base + 90);
    };
}

/// 2,000 distinct `up` functions: a registry's migrations are `fn` pointers, one per file.
fn generated_ups() -> Vec<fn(&mut MigrationBuilder)> {
    let mut ups: Vec<fn(&mut MigrationBuilder)> = Vec::with_capacity(2000);
    tens!(ups, 0);
    tens!(ups, 100);
    tens!(ups, 200);
    tens!(ups, 300);
    tens!(ups, 400);
    tens!(ups, 500);
    tens!(ups, 600);
    tens!(ups, 700);
    tens!(ups, 800);
    tens!(ups, 900);
    tens!(ups, 1000);
    tens!(ups, 1100);
    tens!(ups, 1200);
    tens!(ups, 1300);
    tens!(ups, 1400);
    tens!(ups, 1500);
    tens!(ups, 1600);
    tens!(ups, 1700);
    tens!(ups, 1800);
    tens!(ups, 1900);
    ups
}

/// `count` generated migrations, named with increasing timestamps.
fn generated_migrations(count: usize) -> Vec<Migration> {
    generated_ups()
        .into_iter()
        .take(count)
        .enumerate()
        .map(|(i, up)| {
            let name: &'static str = Box::leak(
                format!("2026010100{:02}{:02}_generated_{i}", i / 60, i % 60).into_boxed_str(),
            );
            Migration::defined(Box::leak(Box::new(Definition {
                name,
                path: name,
                source: name,
                up,
                down: None,
            })))
        })
        .collect()
}

/// The suite squashes 250 generated migrations; `SQUASH_GENERATED=2000` runs the full-size case (about a
/// minute; BENCHMARKS.md records it). The `squash` benchmark runs the command itself on a generated crate.
#[test]
fn generated_crate_squashed_schema_equals_the_unsquashed_one() {
    let count: usize = std::env::var("SQUASH_GENERATED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(250)
        .clamp(10, 2000);
    let migrations = generated_migrations(count);
    let last = migrations.last().unwrap().name();
    let started = std::time::Instant::now();
    let (expected, actual, statements) = squash_round_trip(&migrations, last);
    eprintln!(
        "squashed {count} generated migrations into {statements} statements in {:.1?} (apply, read, re-apply, describe twice)",
        started.elapsed()
    );
    assert!(expected.contains(&format!("table public.t{}", (count - 1) / 5)));
    assert_eq!(expected, actual);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

const TARGET: &str = "20260301000300_fill_names";
const BASELINE: &str = "20260301000300_baseline";

/// Runs the fixture runner of `fixture` on a copy of `squash_v1` in its working folder (`migrations/`).
fn on_copy(fixture: &str, db: &TestDb) -> (FixtureCli, std::path::PathBuf) {
    let cli = FixtureCli::new(fixture, db);
    let dir = cli.cwd().join("migrations");
    copy_dir(&fixtures::dir("squash_v1"), &dir);
    (cli, dir)
}

fn squash(cli: &FixtureCli, dir: &Path, args: &[&str]) -> tests::cli::Run {
    let dir = dir.display().to_string();
    cli.run_env(
        args,
        &[
            ("FIXTURE_DIR", dir.as_str()),
            ("MIGRATIONS_DIR", dir.as_str()),
        ],
    )
}

#[test]
fn squash_writes_the_checked_in_baseline_and_removes_the_squashed_files() {
    let db = TestDb::new();
    let (cli, dir) = on_copy("squash_v1", &db);
    squash(&cli, &dir, &["up", "--to", TARGET]).expect_code(0);
    let args = ["squash", "--to", TARGET, "--keep-data", "app.countries"];
    let run = squash(&cli, &dir, &args).expect_code(0);
    assert_cli_snapshot!("squash_success", run, &args);
    assert_eq!(
        file_names(&dir),
        [
            format!("{BASELINE}.rs"),
            "20260301000400_later.rs".to_owned()
        ]
    );
    let written = std::fs::read_to_string(dir.join(format!("{BASELINE}.rs"))).unwrap();
    let checked_in =
        std::fs::read_to_string(fixtures::dir("squash_v2").join(format!("{BASELINE}.rs"))).unwrap();
    // The fixture was written on PostgreSQL 15, the default server. Other majors print some view definitions
    // differently (from 16 on, `pg_get_viewdef` leaves out the table name before the columns of a one-table view),
    // so there the view bodies are compared apart: they must name the same views, and `squash` itself has
    // already proved on this server that the baseline gives the same schema.
    let (written, checked_in) = if db.server_major() == FIXTURE_MAJOR {
        (written, checked_in)
    } else {
        (
            without_view_bodies(&written),
            without_view_bodies(&checked_in),
        )
    };
    assert_eq!(
        written, checked_in,
        "tests/fixtures/squash_v2 holds what squash writes; regenerate it"
    );
    // The later migration is the same file in both fixtures.
    assert_eq!(
        std::fs::read_to_string(fixtures::dir("squash_v1").join("20260301000400_later.rs"))
            .unwrap(),
        std::fs::read_to_string(fixtures::dir("squash_v2").join("20260301000400_later.rs"))
            .unwrap()
    );
    // The scratch databases are gone.
    let left = db.query_strings(&format!(
        "SELECT datname FROM pg_database WHERE datname LIKE '{}\\_squash%'",
        db.name()
    ));
    assert!(left.is_empty(), "{left:?}");
}

/// The major `tests/fixtures/squash_v2`'s baseline was written on.
const FIXTURE_MAJOR: u32 = 15;

/// `source` with the text of each `CREATE VIEW name AS ...` statement after `AS` replaced by a marker.
fn without_view_bodies(source: &str) -> String {
    let mut out = String::new();
    let mut rest = source;
    while let Some(start) = rest.find("CREATE VIEW ") {
        let body = start + rest[start..].find(" AS\n").expect("CREATE VIEW ... AS") + 3;
        let end = body
            + rest[body..]
                .find("\");\n")
                .expect("the end of the view's pgm.sql");
        out.push_str(&rest[..body]);
        out.push_str(" <definition>");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn view_bodies_are_masked_and_nothing_else() {
    let source = "a\n    pgm.sql(r\"CREATE VIEW v AS\n SELECT users.id\n   FROM t\");\n    pgm.sql(r\"CREATE VIEW w AS\n SELECT 1\");\nb";
    assert_eq!(
        without_view_bodies(source),
        "a\n    pgm.sql(r\"CREATE VIEW v AS <definition>\");\n    pgm.sql(r\"CREATE VIEW w AS <definition>\");\nb"
    );
}

fn rows(db: &TestDb) -> Vec<Vec<Option<String>>> {
    db.query_strings("SELECT id::text, name, run_on::text, checksum FROM pgmigrations ORDER BY id")
}

#[test]
fn fully_applied_database_records_the_baseline_without_running_it() {
    let db = TestDb::new();
    let v1 = FixtureCli::new("squash_v1", &db);
    v1.run(&["up"]).expect_code(0);
    let schema_before = describe(&db);
    let before = rows(&db);
    let v2 = v1.switch("squash_v2");
    // `status` already shows the database as `up` will record it, with nothing missing.
    let status = v2.run(&["status"]).expect_code(0);
    assert!(status.stdout.contains(BASELINE), "{}", status.stdout);
    let run = v2.run(&["up"]).expect_code(0);
    assert_cli_snapshot!("squash_recorded", run, &["up"]);
    let after = rows(&db);
    // The baseline's row takes the place of the newest squashed one (its id and time); the later one stays.
    assert_eq!(after.len(), 2, "{after:?}");
    assert_eq!(after[0][0], before[3][0]);
    assert_eq!(after[0][1].as_deref(), Some(BASELINE));
    assert_eq!(after[0][2], before[3][2]);
    assert_ne!(after[0][3], before[3][3]);
    assert_eq!(after[1], before[4]);
    // Not run: the schema and the seed rows are as they were (running it would have failed or doubled them).
    assert_eq!(describe(&db), schema_before);
    assert_eq!(
        db.query_strings("SELECT count(*)::text FROM app.countries"),
        [[Some("3".to_owned())]]
    );
    v2.run(&["up"]).expect_code(0);
    assert_eq!(rows(&db), after);
    // The baseline cannot be reverted.
    let down = v2.run(&["down", "--to", "20260301000300"]).expect_code(0);
    assert!(
        down.stdout.contains("1 migration(s) reverted"),
        "{}",
        down.stdout
    );
    let down = v2.run(&["down"]).expect_code(1);
    assert!(
        down.stderr
            .contains("a squashed baseline creates the whole schema"),
        "{}",
        down.stderr
    );
}

#[test]
fn partly_applied_database_is_refused_and_left_unchanged() {
    let db = TestDb::new();
    let v1 = FixtureCli::new("squash_v1", &db);
    v1.run(&["up", "--to", "20260301000100"]).expect_code(0);
    let schema_before = describe(&db);
    let before = rows(&db);
    let v2 = v1.switch("squash_v2");
    let run = v2.run(&["up"]).expect_code(1);
    assert_cli_snapshot!("squash_partly_applied", run, &["up"]);
    assert_eq!(rows(&db), before);
    assert_eq!(describe(&db), schema_before);
    // `status` flags the rows the baseline cannot stand for.
    v2.run(&["status"]).expect_code(5);
}

#[test]
fn fresh_database_gets_the_baseline_then_the_later_migrations() {
    let unsquashed = TestDb::new();
    FixtureCli::new("squash_v1", &unsquashed)
        .run(&["up"])
        .expect_code(0);
    let db = TestDb::new();
    let v2 = FixtureCli::new("squash_v2", &db);
    let run = v2.run(&["up"]).expect_code(0);
    assert!(
        run.stdout.contains(&format!("applied  {BASELINE}")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("2 migration(s) applied"),
        "{}",
        run.stdout
    );
    assert_eq!(describe(&db), describe(&unsquashed));
    let seed = "SELECT id::text, code, name FROM app.countries ORDER BY id";
    assert_eq!(db.query_strings(seed), unsquashed.query_strings(seed));
    // The kept rows' sequence follows them: the next country gets the next id.
    db.exec("INSERT INTO app.countries (code, name) VALUES ('de', 'Germany')");
    assert_eq!(
        db.query_strings("SELECT id::text FROM app.countries WHERE code = 'de'"),
        [[Some("4".to_owned())]]
    );
    let names = db.query_strings("SELECT name FROM pgmigrations ORDER BY id");
    assert_eq!(
        names,
        [
            [Some(BASELINE.to_owned())],
            [Some("20260301000400_later".to_owned())]
        ]
    );
}

#[test]
fn bad_input_is_refused_with_a_clear_message_and_changes_nothing() {
    let db = TestDb::new();
    let (cli, dir) = on_copy("squash_v1", &db);
    let files = file_names(&dir);
    let mut transcript = String::new();
    let mut expect_refused = |args: &[&str]| {
        let run = squash(&cli, &dir, args).expect_code(1);
        assert_eq!(file_names(&dir), files, "{args:?} changed the folder");
        transcript.push_str(&run.transcript(args));
        transcript.push('\n');
    };
    expect_refused(&["squash", "--to", "20991231000000_nope"]);
    expect_refused(&["squash", "--to", "20260301000000"]);
    // The configured database has applied nothing yet.
    expect_refused(&["squash", "--to", TARGET]);
    // Applied out of order: the target is applied, an earlier one is not.
    squash(&cli, &dir, &["up", "--to", "20260301000000"]).expect_code(0);
    squash(&cli, &dir, &["up", "--to", "20260301000200", "--fake"]).expect_code(0);
    db.exec("DELETE FROM pgmigrations WHERE name = '20260301000100_seed'");
    expect_refused(&["squash", "--to", "20260301000200"]);
    db.exec("DELETE FROM pgmigrations");
    squash(&cli, &dir, &["up", "--to", TARGET, "--fake"]).expect_code(0);
    // Rows the migrations wrote, neither kept nor discarded; a kept table that does not exist.
    expect_refused(&["squash", "--to", TARGET]);
    expect_refused(&["squash", "--to", TARGET, "--keep-data", "countries"]);
    let filters = tests::cli::filters();
    let filters: Vec<(&str, &str)> = filters
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .chain([(r"scratch database \([^)]*\)", "scratch database [SCRATCH]")])
        .collect();
    insta::with_settings!({ filters => filters, prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("squash_bad_input", transcript);
    });

    // A migration that calls `pgm.no_transaction()` cannot be squashed (checked before any database).
    let concurrent = FixtureCli::new("concurrent", &db);
    let last = fixtures::registry("concurrent")
        .unwrap()
        .migrations
        .last()
        .unwrap()
        .name();
    let run = concurrent.run(&["squash", "--to", last]).expect_code(1);
    assert!(
        run.stderr
            .contains("runs outside a transaction (`pgm.no_transaction()`)"),
        "{}",
        run.stderr
    );
}

/// The command's own help (the global options, shared by every command, are left out of the snapshot).
#[test]
fn squash_help_is_pinned() {
    let db = TestDb::new();
    let run = FixtureCli::new("squash_v1", &db)
        .run(&["squash", "--help"])
        .expect_code(0);
    let mut own = Vec::new();
    let mut in_own = false;
    for line in run.stdout.lines() {
        let option = line.trim_start();
        if line.is_empty() {
            continue;
        } else if !line.starts_with(' ') {
            in_own = false;
            own.push(line);
        } else if option.starts_with("--") {
            in_own = ["--to ", "--keep-data ", "--discard-data "]
                .iter()
                .any(|o| option.starts_with(o));
            if in_own {
                own.push(line);
            }
        } else if in_own && !option.is_empty() {
            own.push(line);
        }
    }
    insta::assert_snapshot!("squash_help", own.join("\n"));
}

/// Applies `sql` to a fresh database, reads its schema as SQL, applies that to another fresh database and
/// compares the descriptions.
fn round_trip_sql(sql: &str) {
    let source = TestDb::new();
    source.exec(sql);
    let statements = schema::ddl(&mut source.client(), &MigrationsTable::default()).unwrap();
    let baseline = TestDb::new();
    let mut client = baseline.client();
    let mut tx = client.transaction().unwrap();
    for statement in &statements {
        tx.batch_execute(statement).unwrap_or_else(|e| {
            panic!(
                "{statement}: {e}\n\nall statements:\n{}",
                statements.join(";\n")
            )
        });
    }
    tx.commit().unwrap();
    let (expected, actual) = (describe(&source), describe(&baseline));
    assert!(expected.lines().count() > 20, "{expected}");
    assert_eq!(expected, actual, "statements:\n{}", statements.join(";\n"));
}

#[test]
fn catalog_objects_squash_round_trips() {
    round_trip_sql(
        "CREATE SCHEMA shop;
         CREATE TYPE shop.price_range AS RANGE (SUBTYPE = numeric);
         CREATE TYPE shop.address AS (street text, city text COLLATE \"C\");
         CREATE DOMAIN shop.positive AS integer DEFAULT 1 NOT NULL CONSTRAINT positive_check CHECK (VALUE > 0);
         COMMENT ON DOMAIN shop.positive IS 'more than nothing';
         CREATE SEQUENCE shop.order_no AS integer INCREMENT BY 5 MINVALUE 100 MAXVALUE 100000 START WITH 200 CACHE 3 CYCLE;
         CREATE FUNCTION shop.next_order() RETURNS integer LANGUAGE sql AS $$ SELECT nextval('shop.order_no')::integer $$;
         CREATE TABLE shop.orders (
             id integer NOT NULL DEFAULT shop.next_order(),
             placed date NOT NULL,
             quantity shop.positive,
             ship_to shop.address,
             price shop.price_range,
             note text,
             PRIMARY KEY (id, placed)
         ) PARTITION BY RANGE (placed);
         CREATE TABLE shop.orders_2026 PARTITION OF shop.orders FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
         CREATE TABLE shop.orders_old PARTITION OF shop.orders DEFAULT;
         CREATE INDEX orders_placed_index ON shop.orders (placed DESC);
         CREATE UNLOGGED TABLE shop.cache (key text PRIMARY KEY, value jsonb) WITH (fillfactor = 70);
         ALTER TABLE shop.cache ALTER COLUMN value SET STORAGE EXTERNAL;
         CREATE TABLE shop.base (id bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 10 INCREMENT BY 2), made timestamptz DEFAULT now());
         CREATE TABLE shop.special (extra text) INHERITS (shop.base);
         CREATE TABLE shop.audit (id bigserial, what text, CONSTRAINT audit_id_unique UNIQUE (id));
         ALTER TABLE shop.audit REPLICA IDENTITY FULL;
         CREATE INDEX audit_what_index ON shop.audit (what);
         ALTER TABLE shop.audit CLUSTER ON audit_what_index;
         COMMENT ON INDEX shop.audit_what_index IS 'for lookups';
         COMMENT ON CONSTRAINT audit_id_unique ON shop.audit IS 'one each';
         CREATE FUNCTION shop.latest(a shop.audit) RETURNS text LANGUAGE sql AS $$ SELECT a.what $$;
         CREATE PROCEDURE shop.purge(keep integer) LANGUAGE plpgsql AS $$ BEGIN DELETE FROM shop.audit WHERE id < keep; END $$;
         COMMENT ON PROCEDURE shop.purge(integer) IS 'drops old rows';
         CREATE FUNCTION shop.log() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO shop.audit (what) VALUES (TG_OP); RETURN NULL; END $$;
         CREATE TRIGGER cache_log AFTER INSERT ON shop.cache FOR EACH STATEMENT EXECUTE FUNCTION shop.log();
         ALTER TABLE shop.cache DISABLE TRIGGER cache_log;
         COMMENT ON TRIGGER cache_log ON shop.cache IS 'who touched it';
         CREATE RULE audit_no_delete AS ON DELETE TO shop.audit DO INSTEAD NOTHING;
         CREATE STATISTICS shop.orders_stats (dependencies) ON placed, quantity FROM shop.orders_2026;
         CREATE MATERIALIZED VIEW shop.daily AS SELECT placed, count(*) AS n FROM shop.orders GROUP BY placed WITH NO DATA;
         CREATE UNIQUE INDEX daily_placed ON shop.daily (placed);
         CREATE VIEW shop.recent WITH (security_barrier = true) AS SELECT * FROM shop.daily WHERE placed > '2026-01-01';
         ALTER TABLE shop.cache ENABLE ROW LEVEL SECURITY;
         ALTER TABLE shop.cache FORCE ROW LEVEL SECURITY;
         CREATE POLICY cache_only_mine ON shop.cache AS RESTRICTIVE FOR UPDATE TO PUBLIC USING (key = current_user) WITH CHECK (key = current_user);
         GRANT USAGE ON SCHEMA shop TO PUBLIC;
         GRANT SELECT, INSERT ON shop.orders TO PUBLIC;
         GRANT UPDATE (what) ON shop.audit TO PUBLIC;
         REVOKE EXECUTE ON FUNCTION shop.next_order() FROM PUBLIC;
         GRANT USAGE ON SEQUENCE shop.order_no TO PUBLIC;
         COMMENT ON TABLE shop.orders IS 'what people bought';
         COMMENT ON COLUMN shop.daily.n IS 'orders that day';",
    );
}

#[test]
fn schema_the_baseline_cannot_give_is_refused_with_the_diff() {
    let db = TestDb::new();
    let cli = FixtureCli::new("squash_unsupported", &db);
    let dir = cli.cwd().join("migrations");
    copy_dir(&fixtures::dir("squash_unsupported"), &dir);
    let files = file_names(&dir);
    squash(&cli, &dir, &["up"]).expect_code(0);
    let args = ["squash", "--to", "20260302000100"];
    let run = squash(&cli, &dir, &args).expect_code(1);
    assert_cli_snapshot!("squash_unsupported", run, &args);
    assert_eq!(file_names(&dir), files);
}
