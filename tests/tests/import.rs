//! `migrate import`: other tools' migration folders converted into migration files, and their
//! histories adopted. sqlx, refinery, diesel, dbmate and node-pg-migrate run for real: each applies its own
//! sample migrations (`.ci/peers` installs them; a missing one skips loudly outside CI and fails under CI).
//! golang-migrate and Flyway have no CLI on this machine: their folders are converted and their history tables
//! are created with the statements those tools run, holding the rows they write.

use std::path::{Path, PathBuf};
use std::process::Command;

use tests::cli::{front, migrate_in as migrate, rust_files as files};
use tests::TestDb;

/// How many sample migrations each peer applies.
const SAMPLES: usize = 20;

/// A folder holding `migrations/` only, for imports that need no build.
fn bare_app() -> tempfile::TempDir {
    let app = tempfile::tempdir().unwrap();
    std::fs::create_dir(app.path().join("migrations")).unwrap();
    std::fs::write(
        app.path().join("migrate.toml"),
        "migrations_dir = \"migrations\"\n",
    )
    .unwrap();
    app
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The peer's program on PATH (or in ~/.cargo/bin), if installed.
fn peer(bin: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter().map(|d| d.join(bin)).find(|p| p.is_file())
}

fn run_peer(cmd: &mut Command) {
    let out = cmd.output().expect("the peer runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The SQL of sample `i`: a table each, an index built concurrently (outside a transaction) in sample 2.
fn sample_sql(i: usize) -> String {
    if i == 2 {
        "CREATE INDEX CONCURRENTLY t0_id_idx ON t0 (id);\n".to_owned()
    } else {
        format!("CREATE TABLE t{i} (\n    id bigint PRIMARY KEY\n);\n")
    }
}

fn count(db: &TestDb, sql: &str) -> i64 {
    db.client().query_one(sql, &[]).unwrap().get(0)
}

/// After the peer applied every sample: import and adopt, `status` clean, `up` applies only a new Rust
/// migration, and the other tool's table is unchanged.
fn import_adopt_and_continue(app: &Path, db: &TestDb, from: &str, dir: &Path, source_table: &str) {
    std::fs::create_dir_all(app.join("migrations")).unwrap();
    let before = db.query_strings(&format!("SELECT * FROM {source_table} ORDER BY 1"));
    let imported =
        migrate(app, db, &["import", "--from", from, dir.to_str().unwrap()]).expect_code(0);
    assert!(
        imported.stdout.contains(&format!(
            "recorded {SAMPLES} as applied in public.pgmigrations"
        )),
        "{}",
        imported.stdout
    );
    assert_eq!(files(&app.join("migrations")).len(), SAMPLES);
    assert_eq!(
        count(db, "SELECT count(*) FROM public.pgmigrations"),
        SAMPLES as i64
    );
    // Again: nothing new to write or record.
    let again = migrate(app, db, &["import", "--from", from, dir.to_str().unwrap()]).expect_code(0);
    assert!(
        again.stdout.contains(&format!("({SAMPLES} already there)")),
        "{}",
        again.stdout
    );

    // status: every imported migration applied and unchanged (a CHANGED one would exit 5).
    let status = migrate(app, db, &["status"]).expect_code(0);
    assert!(
        status
            .stdout
            .contains(&format!("{SAMPLES} applied, 0 pending")),
        "{}",
        status.stdout
    );

    let created = migrate(app, db, &["create", "after", "import"]).expect_code(0);
    let rel = created
        .stdout
        .lines()
        .next()
        .unwrap()
        .strip_prefix("created ")
        .unwrap()
        .to_owned();
    std::fs::write(
        app.join(&rel),
        "//! After the import.\nuse migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    pgm.sql(\"CREATE TABLE after_import (id int)\");\n}\n",
    )
    .unwrap();
    let up = migrate(app, db, &["up"]).expect_code(0);
    assert!(up.stdout.contains("after_import"), "{}", up.stdout);
    assert!(
        !up.stdout.contains("_create_t"),
        "up ran an imported migration:\n{}",
        up.stdout
    );
    assert_eq!(
        count(db, "SELECT count(*) FROM public.pgmigrations"),
        SAMPLES as i64 + 1
    );
    assert_eq!(
        db.query_strings(&format!("SELECT * FROM {source_table} ORDER BY 1")),
        before,
        "{source_table} was changed"
    );
}

/// An edited source file is refused when the tool stored a checksum: the import into an empty folder with
/// `--dry-run` reads the history, names the file, and writes nothing.
fn edited_file_is_refused(db: &TestDb, from: &str, dir: &Path, edited: &str) {
    let path = dir.join(edited);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}-- edited after it ran\n")).unwrap();
    let other = bare_app();
    let refused = migrate(
        other.path(),
        db,
        &["import", "--from", from, dir.to_str().unwrap()],
    )
    .expect_code(1);
    assert!(
        refused.stderr.contains("checksum mismatch"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains(edited), "{}", refused.stderr);
    assert!(files(&other.path().join("migrations")).is_empty());
    std::fs::write(&path, text).unwrap();
}

fn version(i: usize) -> String {
    format!("2024010100{:02}{:02}", i / 60, i % 60)
}

#[test]
fn sqlx_applies_then_import_adopts_its_history() {
    let Some(sqlx) = tests::skip::require("sqlx-cli (bash .ci/peers)", peer("sqlx")) else {
        return;
    };
    let db = TestDb::new();
    let src = tempfile::tempdir().unwrap();
    for i in 0..SAMPLES {
        let v = version(i);
        match i {
            1 => {
                write(
                    src.path(),
                    &format!("{v}_create_t{i}.up.sql"),
                    &sample_sql(i),
                );
                write(
                    src.path(),
                    &format!("{v}_create_t{i}.down.sql"),
                    "DROP TABLE t1;\n",
                );
            }
            2 => write(
                src.path(),
                &format!("{v}_index_t0.sql"),
                &format!("-- no-transaction\n{}", sample_sql(i)),
            ),
            _ => write(src.path(), &format!("{v}_create_t{i}.sql"), &sample_sql(i)),
        }
    }
    run_peer(
        Command::new(sqlx)
            .args(["migrate", "run", "--database-url", db.url(), "--source"])
            .arg(src.path()),
    );
    let app = tempfile::tempdir().unwrap();
    tests::cli::scaffold_app(app.path(), "importsqlx");
    import_adopt_and_continue(app.path(), &db, "sqlx", src.path(), "_sqlx_migrations");
    edited_file_is_refused(
        &db,
        "sqlx",
        src.path(),
        &format!("{}_create_t5.sql", version(5)),
    );
}

#[test]
fn dbmate_applies_then_import_adopts_its_history() {
    let Some(dbmate) = tests::skip::require("dbmate (bash .ci/peers)", peer("dbmate")) else {
        return;
    };
    let db = TestDb::new();
    let src = tempfile::tempdir().unwrap();
    for i in 0..SAMPLES {
        let v = version(i);
        let text = match i {
            1 => format!(
                "-- migrate:up\n{}\n-- migrate:down\nDROP TABLE t1;\n",
                sample_sql(i)
            ),
            2 => format!(
                "-- migrate:up transaction:false\n{}\n-- migrate:down\n",
                sample_sql(i)
            ),
            _ => format!("-- migrate:up\n{}\n-- migrate:down\n\n", sample_sql(i)),
        };
        write(src.path(), &format!("{v}_step_{i}.sql"), &text);
    }
    run_peer(
        Command::new(dbmate)
            .args(["--no-dump-schema", "--url", db.url(), "--migrations-dir"])
            .arg(src.path())
            .arg("up"),
    );
    let app = tempfile::tempdir().unwrap();
    tests::cli::scaffold_app(app.path(), "importdbmate");
    import_adopt_and_continue(app.path(), &db, "dbmate", src.path(), "schema_migrations");
}

#[test]
fn refinery_applies_then_import_adopts_its_history() {
    let Some(refinery) = tests::skip::require("refinery_cli (bash .ci/peers)", peer("refinery"))
    else {
        return;
    };
    let db = TestDb::new();
    let src = tempfile::tempdir().unwrap();
    for i in 0..SAMPLES {
        // refinery has no marker for running outside a transaction: sample 2 builds its index in one.
        let sql = if i == 2 {
            "CREATE INDEX t0_id_idx ON t0 (id);\n".to_owned()
        } else {
            sample_sql(i)
        };
        write(src.path(), &format!("V{}__step_{i}.sql", i + 1), &sql);
    }
    run_peer(
        Command::new(refinery)
            .args(["migrate", "-e", "PEER_DATABASE_URL", "-p"])
            .arg(src.path())
            .env("PEER_DATABASE_URL", db.url()),
    );
    let app = tempfile::tempdir().unwrap();
    tests::cli::scaffold_app(app.path(), "importrefinery");
    import_adopt_and_continue(
        app.path(),
        &db,
        "refinery",
        src.path(),
        "refinery_schema_history",
    );
    edited_file_is_refused(&db, "refinery", src.path(), "V6__step_5.sql");
}

#[test]
fn diesel_applies_then_import_adopts_its_history() {
    let Some(diesel) = tests::skip::require("diesel_cli (bash .ci/peers)", peer("diesel")) else {
        return;
    };
    let db = TestDb::new();
    let project = tempfile::tempdir().unwrap();
    let src = project.path().join("migrations");
    for i in 0..SAMPLES {
        let folder = format!("2024-01-01-00{:02}{:02}_step_{i}", i / 60, i % 60);
        write(&src, &format!("{folder}/up.sql"), &sample_sql(i));
        if i == 1 {
            write(&src, &format!("{folder}/down.sql"), "DROP TABLE t1;\n");
        }
        if i == 2 {
            write(
                &src,
                &format!("{folder}/metadata.toml"),
                "run_in_transaction = false\n",
            );
        }
    }
    run_peer(
        Command::new(diesel)
            .args([
                "migration",
                "run",
                "--database-url",
                db.url(),
                "--migration-dir",
            ])
            .arg(&src)
            .current_dir(project.path()),
    );
    let app = tempfile::tempdir().unwrap();
    tests::cli::scaffold_app(app.path(), "importdiesel");
    import_adopt_and_continue(
        app.path(),
        &db,
        "diesel",
        &src,
        "__diesel_schema_migrations",
    );
}

/// golang-migrate's table, as its postgres driver creates it, and the one row it keeps.
#[test]
fn golang_migrate_history_adopts_up_to_its_version_and_refuses_dirty() {
    let db = TestDb::new();
    let src = tempfile::tempdir().unwrap();
    for i in 1..=5 {
        write(
            src.path(),
            &format!("{i:06}_step_{i}.up.sql"),
            &format!("CREATE TABLE g{i} (id int);\n"),
        );
        write(
            src.path(),
            &format!("{i:06}_step_{i}.down.sql"),
            &format!("DROP TABLE g{i};\n"),
        );
    }
    db.exec("CREATE TABLE IF NOT EXISTS public.schema_migrations (version bigint not null primary key, dirty boolean not null)");
    db.exec("CREATE TABLE g1 (id int); CREATE TABLE g2 (id int); CREATE TABLE g3 (id int)");
    db.exec("INSERT INTO public.schema_migrations (version, dirty) VALUES (3, true)");
    let app = bare_app();
    let dir = src.path().to_str().unwrap();
    let refused = migrate(
        app.path(),
        &db,
        &["import", "--from", "golang-migrate", dir],
    )
    .expect_code(1);
    assert!(
        refused.stderr.contains("dirty at version 3"),
        "{}",
        refused.stderr
    );
    assert!(files(&app.path().join("migrations")).is_empty());

    db.exec("UPDATE public.schema_migrations SET dirty = false");
    let imported = migrate(
        app.path(),
        &db,
        &["import", "--from", "golang-migrate", dir],
    )
    .expect_code(0);
    assert!(
        imported.stdout.contains("recorded 3 as applied in public.pgmigrations from schema_migrations (0 already recorded); 2 pending"),
        "{}",
        imported.stdout
    );
    // Versions 1 to 5 are no timestamps: 2000-01-01 00:00:00 on, one second apart, in the same order.
    assert_eq!(
        files(&app.path().join("migrations")),
        [
            "20000101000000_step_1.rs",
            "20000101000001_step_2.rs",
            "20000101000002_step_3.rs",
            "20000101000003_step_4.rs",
            "20000101000004_step_5.rs"
        ]
    );
    let recorded = db.query_strings("SELECT name FROM public.pgmigrations ORDER BY id");
    assert_eq!(recorded.len(), 3);
    assert_eq!(recorded[2][0].as_deref(), Some("20000101000002_step_3"));
    let generated =
        std::fs::read_to_string(app.path().join("migrations/20000101000000_step_1.rs")).unwrap();
    insta::assert_snapshot!("import_golang_migrate_file", generated);
}

/// golang-migrate files that make their own transaction, or hold a statement PostgreSQL refuses in one: the
/// first is imported without its BEGIN and COMMIT (said in the output), the second outside a transaction (a
/// warning names the file); `up` then applies both, and `down` reverts them, down files read the same way.
#[test]
fn golang_migrate_transactions_in_the_sql_are_imported_so_that_up_applies_them() {
    let db = TestDb::new();
    let src = tempfile::tempdir().unwrap();
    write(
        src.path(),
        "000001_create_items.up.sql",
        "-- items, in a transaction of its own\nBEGIN;\n\nCREATE TABLE items (id int PRIMARY KEY, note text DEFAULT 'COMMIT;');\nINSERT INTO items (id) VALUES (1);\n\nCOMMIT;\n",
    );
    write(
        src.path(),
        "000001_create_items.down.sql",
        "BEGIN;\nDROP TABLE items;\nCOMMIT;\n",
    );
    write(
        src.path(),
        "000002_index_items.up.sql",
        "-- built without blocking writes; BEGIN; in a comment is no statement\nCREATE INDEX CONCURRENTLY items_note_idx ON items (note);\nCOMMENT ON INDEX items_note_idx IS 'VACUUM; COMMIT;';\n",
    );
    write(
        src.path(),
        "000002_index_items.down.sql",
        "DROP INDEX CONCURRENTLY items_note_idx;\n",
    );
    // A body with BEGIN and END in dollar quotes: no transaction control, nothing changed.
    write(
        src.path(),
        "000003_one.up.sql",
        "CREATE FUNCTION one() RETURNS int LANGUAGE plpgsql AS $body$\nBEGIN\n  RETURN 1;\nEND\n$body$;\n",
    );
    write(src.path(), "000003_one.down.sql", "DROP FUNCTION one();\n");
    let app = tempfile::tempdir().unwrap();
    tests::cli::scaffold_app(app.path(), "importgolangtx");
    std::fs::create_dir_all(app.path().join("migrations")).unwrap();
    let dir = src.path().to_str().unwrap();
    let imported = migrate(
        app.path(),
        &db,
        &["import", "--from", "golang-migrate", dir],
    )
    .expect_code(0);
    tests::assert_cli_snapshot!(
        "import_golang_migrate_transactions",
        imported,
        &["import", "--from", "golang-migrate", "SRC"]
    );
    let migrations = app.path().join("migrations");
    let read = |name: &str| std::fs::read_to_string(migrations.join(name)).unwrap();
    insta::assert_snapshot!(
        "import_golang_migrate_own_transaction_file",
        read("20000101000000_create_items.rs")
    );
    insta::assert_snapshot!(
        "import_golang_migrate_concurrent_index_file",
        read("20000101000001_index_items.rs")
    );
    let function = read("20000101000002_one.rs");
    assert!(
        !function.contains("no_transaction") && function.contains("BEGIN\n  RETURN 1;\nEND"),
        "{function}"
    );

    let up = migrate(app.path(), &db, &["up"]).expect_code(0);
    assert!(up.stdout.contains("20000101000002_one"), "{}", up.stdout);
    assert_eq!(count(&db, "SELECT count(*) FROM public.pgmigrations"), 3);
    assert_eq!(count(&db, "SELECT count(*) FROM items"), 1);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid \
             WHERE c.relname = 'items_note_idx' AND i.indisvalid"
        ),
        1,
        "the concurrent build left no valid index"
    );
    let status = migrate(app.path(), &db, &["status"]).expect_code(0);
    assert!(
        status.stdout.contains("3 applied, 0 pending"),
        "{}",
        status.stdout
    );

    migrate(app.path(), &db, &["down", "--all"]).expect_code(0);
    assert_eq!(count(&db, "SELECT count(*) FROM public.pgmigrations"), 0);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM pg_catalog.pg_class WHERE relname IN ('items', 'items_note_idx')"
        ),
        0
    );
}

/// Transaction control that is not one BEGIN ... COMMIT around the whole file is refused, naming each file
/// (a dbmate down section by its file), and nothing is written.
#[test]
fn ambiguous_transaction_control_is_refused_and_nothing_is_written() {
    let src = tempfile::tempdir().unwrap();
    write(
        src.path(),
        "1_fine.up.sql",
        "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n",
    );
    write(
        src.path(),
        "2_then_index.up.sql",
        "BEGIN;\nALTER TABLE a ADD note text;\nCOMMIT;\nCREATE INDEX CONCURRENTLY a_note ON a (note);\n",
    );
    write(
        src.path(),
        "3_index_inside.up.sql",
        "BEGIN;\nCREATE INDEX CONCURRENTLY a_id ON a (id);\nCOMMIT;\n",
    );
    write(
        src.path(),
        "4_isolation.up.sql",
        "BEGIN ISOLATION LEVEL SERIALIZABLE;\nUPDATE a SET id = id + 1;\nCOMMIT;\n",
    );
    write(src.path(), "4_isolation.down.sql", "SELECT 1;\nROLLBACK;\n");
    let app = bare_app();
    let run = front(
        app.path(),
        &[
            "import",
            "--from",
            "golang-migrate",
            src.path().to_str().unwrap(),
            "--no-adopt",
        ],
        &[],
    )
    .expect_code(1);
    assert!(files(&app.path().join("migrations")).is_empty());
    tests::assert_cli_snapshot!(
        "import_refusals_transactions",
        run,
        &["import", "--from", "golang-migrate", "SRC", "--no-adopt"]
    );

    let dbmate = tempfile::tempdir().unwrap();
    write(
        dbmate.path(),
        "20240101000000_a.sql",
        "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\nCOMMIT;\n",
    );
    let run = front(
        app.path(),
        &[
            "import",
            "--from",
            "dbmate",
            dbmate.path().to_str().unwrap(),
            "--no-adopt",
        ],
        &[],
    )
    .expect_code(1);
    assert!(
        run.stderr.contains(
            "20240101000000_a.sql: its down section: it controls transactions itself with 1 transaction control statement (`COMMIT` first, statement 2 of 2)"
        ),
        "{}",
        run.stderr
    );
    assert!(files(&app.path().join("migrations")).is_empty());
}

/// sqlx has a marker: a file with it runs outside a transaction as before, without a warning; one without it
/// gets the warning; a marked file that makes its own transaction anyway runs in this tool's, the marker
/// dropped (said in the output).
#[test]
fn a_tools_marker_is_followed_and_its_absence_warned_about() {
    let src = tempfile::tempdir().unwrap();
    write(
        src.path(),
        "20240101000000_unmarked.sql",
        "CREATE INDEX CONCURRENTLY a_id ON a (id);\n",
    );
    write(
        src.path(),
        "20240101000001_marked.sql",
        "-- no-transaction\nCREATE INDEX CONCURRENTLY b_id ON b (id);\n",
    );
    write(
        src.path(),
        "20240101000002_marked_own_transaction.sql",
        "-- no-transaction\nBEGIN;\nCREATE TABLE c (id int);\nCOMMIT;\n",
    );
    let app = bare_app();
    let run = front(
        app.path(),
        &[
            "import",
            "--from",
            "sqlx",
            src.path().to_str().unwrap(),
            "--no-adopt",
        ],
        &[],
    )
    .expect_code(0);
    tests::assert_cli_snapshot!(
        "import_sqlx_transaction_markers",
        run,
        &["import", "--from", "sqlx", "SRC", "--no-adopt"]
    );
    let read =
        |name: &str| std::fs::read_to_string(app.path().join("migrations").join(name)).unwrap();
    assert!(read("20240101000001_marked.rs").contains(
        "// sqlx ran it outside a transaction (`-- no-transaction`).\n    pgm.no_transaction();"
    ));
    let own = read("20240101000002_marked_own_transaction.rs");
    assert!(
        !own.contains("pgm.no_transaction()")
            && !own.contains("BEGIN;")
            && !own.contains("COMMIT;"),
        "{own}"
    );
}

/// CRC-32 of the lines without their line breaks, as Flyway checksums a script.
fn flyway_checksum(text: &str) -> i32 {
    let mut crc = 0xffff_ffffu32;
    for line in text.lines() {
        for &b in line.as_bytes() {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    0xedb8_8320 ^ (crc >> 1)
                } else {
                    crc >> 1
                };
            }
        }
    }
    !crc as i32
}

/// Flyway's table as it creates it on PostgreSQL, with the rows its `migrate` writes.
#[test]
fn flyway_history_adopts_with_checksums() {
    let db = TestDb::new();
    let src = tempfile::tempdir().unwrap();
    let scripts = [
        ("V1__create_f1.sql", "CREATE TABLE f1 (id int);\n"),
        (
            "V1_1__create_f2.sql",
            "CREATE TABLE f2 (id int);\r\nALTER TABLE f2 ADD x int;\n",
        ),
        (
            "V2__index_f1.sql",
            "CREATE INDEX CONCURRENTLY f1_id ON f1 (id);\n",
        ),
        ("V3__create_f3.sql", "CREATE TABLE f3 (id int);\n"),
    ];
    for (name, text) in scripts {
        write(src.path(), name, text);
    }
    write(
        src.path(),
        "V2__index_f1.sql.conf",
        "executeInTransaction=false\n",
    );
    write(src.path(), "U1_1__create_f2.sql", "DROP TABLE f2;\n");
    // Repeatable migrations: one unchanged since Flyway ran it (adopted), one edited since (left for `up`).
    let view = "CREATE OR REPLACE VIEW f1_ids AS SELECT id FROM f1;\n";
    write(src.path(), "R__f1_ids.sql", view);
    write(
        src.path(),
        "R__grants.sql",
        "GRANT SELECT ON f1 TO PUBLIC;\n",
    );
    db.exec(
        r#"CREATE TABLE "public"."flyway_schema_history" (
    "installed_rank" INT NOT NULL,
    "version" VARCHAR(50),
    "description" VARCHAR(200) NOT NULL,
    "type" VARCHAR(20) NOT NULL,
    "script" VARCHAR(1000) NOT NULL,
    "checksum" INTEGER,
    "installed_by" VARCHAR(100) NOT NULL,
    "installed_on" TIMESTAMP NOT NULL DEFAULT now(),
    "execution_time" INTEGER NOT NULL,
    "success" BOOLEAN NOT NULL
);
ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success");"#,
    );
    let mut client = db.client();
    for (rank, (version, (script, text))) in ["1", "1.1", "2"].iter().zip(scripts).enumerate() {
        let description = script
            .split_once("__")
            .unwrap()
            .1
            .trim_end_matches(".sql")
            .replace('_', " ");
        client
            .execute(
                "INSERT INTO flyway_schema_history VALUES ($1, $2, $3, 'SQL', $4, $5, 'postgres', now(), 3, true)",
                &[&(rank as i32 + 1), version, &description, &script, &flyway_checksum(text)],
            )
            .unwrap();
    }
    for (rank, (script, checksum)) in [
        ("R__f1_ids.sql", flyway_checksum(view)),
        (
            "R__grants.sql",
            flyway_checksum("GRANT SELECT ON f1 TO app;\n"),
        ),
    ]
    .iter()
    .enumerate()
    {
        client
            .execute(
                "INSERT INTO flyway_schema_history VALUES ($1, NULL, 'x', 'SQL', $2, $3, 'postgres', now(), 1, true)",
                &[&(rank as i32 + 10), script, checksum],
            )
            .unwrap();
    }
    let app = tempfile::tempdir().unwrap();
    tests::cli::scaffold_app(app.path(), "importflyway");
    std::fs::create_dir_all(app.path().join("migrations")).unwrap();
    let dir = src.path().to_str().unwrap();
    let imported = migrate(app.path(), &db, &["import", "--from", "flyway", dir]).expect_code(0);
    assert!(
        imported.stdout.contains("recorded 4 as applied"),
        "{}",
        imported.stdout
    );
    assert!(imported.stdout.contains("2 pending"), "{}", imported.stdout);
    assert_eq!(
        db.query_strings("SELECT name FROM public.pgmigrations_repeat"),
        [[Some("repeatable_f1_ids".to_owned())]]
    );
    let repeatable =
        std::fs::read_to_string(app.path().join("migrations/repeatable_f1_ids.rs")).unwrap();
    insta::assert_snapshot!("import_flyway_repeatable_file", repeatable);
    // The adopted repeatable migration is up to date (this tool's checksum of the file was recorded); the
    // edited one is left for `up`, as Flyway would apply it again.
    let status = migrate(app.path(), &db, &["status"]).expect_code(0);
    let line = |name: &str| {
        status
            .stdout
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        line("repeatable_f1_ids").contains("up to date"),
        "{}",
        status.stdout
    );
    assert!(
        !line("repeatable_grants").contains("up to date"),
        "{}",
        status.stdout
    );
    let generated =
        std::fs::read_to_string(app.path().join("migrations/20000101000002_index_f1.rs")).unwrap();
    assert!(generated.contains("pgm.no_transaction();"), "{generated}");
    let with_undo =
        std::fs::read_to_string(app.path().join("migrations/20000101000001_create_f2.rs")).unwrap();
    insta::assert_snapshot!("import_flyway_file", with_undo);

    // A script edited after Flyway ran it: refused by name, nothing written.
    write(
        src.path(),
        "V1__create_f1.sql",
        "CREATE TABLE f1 (id bigint);\n",
    );
    let other = bare_app();
    let refused = migrate(other.path(), &db, &["import", "--from", "flyway", dir]).expect_code(1);
    assert!(
        refused
            .stderr
            .contains("V1__create_f1.sql: checksum mismatch"),
        "{}",
        refused.stderr
    );
    assert!(files(&other.path().join("migrations")).is_empty());
}

/// A format's case: the tool, its files (path, text), the file expected to be generated.
type FormatCase = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static str,
);

/// One generated file per format, pinned; no database.
#[test]
fn each_format_converts_to_reviewable_files() {
    let cases: [FormatCase; 4] = [
        (
            "sqlx",
            &[
                ("20240101000000_create_users.up.sql", "CREATE TABLE users (id bigint PRIMARY KEY, note text DEFAULT '\"#');\n"),
                ("20240101000000_create_users.down.sql", "DROP TABLE users;\n"),
            ],
            "20240101000000_create_users.rs",
        ),
        (
            "refinery",
            &[("V1__create_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY);\n")],
            "20000101000000_create_users.rs",
        ),
        (
            "diesel",
            &[
                ("2024-01-01-000000_add_index/up.sql", "CREATE INDEX CONCURRENTLY users_id ON users (id);\n"),
                ("2024-01-01-000000_add_index/down.sql", "DROP INDEX CONCURRENTLY users_id;\n"),
                ("2024-01-01-000000_add_index/metadata.toml", "run_in_transaction = false\n"),
            ],
            "20240101000000_add_index.rs",
        ),
        (
            "dbmate",
            &[(
                "20240101000000_add_index.sql",
                "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY users_id ON users (id);\n\n-- migrate:down\nDROP INDEX users_id;\n",
            )],
            "20240101000000_add_index.rs",
        ),
    ];
    for (tool, sources, expected) in cases {
        let src = tempfile::tempdir().unwrap();
        for (rel, text) in sources {
            write(src.path(), rel, text);
        }
        let app = bare_app();
        let run = front(
            app.path(),
            &[
                "import",
                "--from",
                tool,
                src.path().to_str().unwrap(),
                "--no-adopt",
            ],
            &[],
        )
        .expect_code(0);
        let generated = std::fs::read_to_string(app.path().join("migrations").join(expected))
            .unwrap_or_else(|e| panic!("{tool}: {e}\n{}", run.stdout));
        insta::assert_snapshot!(format!("import_{}_file", tool), generated);
    }
}

/// Everything that cannot be converted is listed, and nothing is written.
#[test]
fn unconvertible_files_are_listed_and_nothing_is_written() {
    let src = tempfile::tempdir().unwrap();
    write(
        src.path(),
        "V1__create_users.sql",
        "CREATE TABLE users (id int);\n",
    );
    write(
        src.path(),
        "V2__backfill.rs",
        "pub fn migration() -> String { String::new() }\n",
    );
    write(src.path(), "V3__one.sql", "SELECT 1;\n");
    write(src.path(), "V3__two.sql", "SELECT 2;\n");
    std::fs::write(src.path().join("V4__latin1.sql"), b"SELECT '\xe9';\n").unwrap();
    write(src.path(), "nested/V5__fine.sql", "SELECT 5;\n");
    let app = bare_app();
    // A file already in the folder under the first migration's timestamp.
    write(
        &app.path().join("migrations"),
        "20000101000000_mine.rs",
        "pub fn up(_: &mut ()) {}\n",
    );
    let args = ["import", "--from", "refinery", "SRC", "--no-adopt"];
    let run = front(
        app.path(),
        &[
            "import",
            "--from",
            "refinery",
            src.path().to_str().unwrap(),
            "--no-adopt",
        ],
        &[],
    )
    .expect_code(1);
    assert_eq!(
        files(&app.path().join("migrations")),
        ["20000101000000_mine.rs"]
    );
    tests::assert_cli_snapshot!("import_refusals", run, &args);

    let flyway = tempfile::tempdir().unwrap();
    write(flyway.path(), "V1__a.sql", "SELECT 1;\n");
    write(flyway.path(), "U2__b.sql", "SELECT 2;\n");
    write(flyway.path(), "R__views.sql", "SELECT 3;\n");
    write(
        flyway.path(),
        "R__views.sql.conf",
        "executeInTransaction=false\n",
    );
    write(flyway.path(), "V3__Java.java", "class V3__Java {}\n");
    let run = front(
        bare_app().path(),
        &[
            "import",
            "--from",
            "flyway",
            flyway.path().to_str().unwrap(),
            "--no-adopt",
        ],
        &[],
    )
    .expect_code(1);
    tests::assert_cli_snapshot!(
        "import_refusals_flyway",
        run,
        &["import", "--from", "flyway", "SRC", "--no-adopt"]
    );
}

/// node-pg-migrate's JavaScript is not converted: its `pgmigrations` table (this tool's default) is adopted as
/// it is, its rows shown as adopted, and new Rust migrations run after them.
#[test]
fn node_pg_migrate_applies_then_import_adopts_its_table() {
    let Some(npm_migrate) =
        tests::skip::require("node-pg-migrate (bash .ci/peers)", peer("node-pg-migrate"))
    else {
        return;
    };
    let db = TestDb::new();
    let src = tempfile::tempdir().unwrap();
    for i in 0..SAMPLES {
        let up = if i == 2 {
            "pgm.noTransaction(); pgm.sql('CREATE INDEX CONCURRENTLY t0_id_idx ON t0 (id)');"
                .to_owned()
        } else {
            format!("pgm.sql('CREATE TABLE t{i} (id bigint PRIMARY KEY)');")
        };
        let down = if i == 1 {
            "\nexports.down = (pgm) => { pgm.sql('DROP TABLE t1'); };\n"
        } else {
            "\n"
        };
        write(
            src.path(),
            &format!("{}_step-{i}.js", 1_700_000_000_000u64 + i as u64),
            &format!("exports.up = (pgm) => {{ {up} }};{down}"),
        );
    }
    let apply = |dir: &Path| {
        run_peer(
            Command::new(&npm_migrate)
                .args(["up", "-m"])
                .arg(dir)
                .env("DATABASE_URL", db.url()),
        )
    };
    apply(src.path());
    let app = tempfile::tempdir().unwrap();
    tests::cli::scaffold_app(app.path(), "importnodepg");
    std::fs::create_dir_all(app.path().join("migrations")).unwrap();
    let dir = src.path().to_str().unwrap();

    // A migration node-pg-migrate has not applied yet is refused: this tool cannot run JavaScript.
    write(
        src.path(),
        "1800000000000_later.js",
        "exports.up = (pgm) => { pgm.sql('CREATE TABLE later (id int)'); };\n",
    );
    let refused = migrate(
        app.path(),
        &db,
        &["import", "--from", "node-pg-migrate", dir],
    )
    .expect_code(1);
    assert!(
        refused.stderr.contains("1800000000000_later: not applied"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        db.columns("pgmigrations").len(),
        3,
        "a refusal changes nothing"
    );
    apply(src.path());

    let adopted = migrate(
        app.path(),
        &db,
        &["import", "--from", "node-pg-migrate", dir],
    )
    .expect_code(0);
    assert!(
        adopted.stdout.contains(&format!(
            "marked {} node-pg-migrate migrations as adopted",
            SAMPLES + 1
        )),
        "{}",
        adopted.stdout
    );
    let status = migrate(app.path(), &db, &["status"]).expect_code(0);
    assert!(status.stdout.contains("adopted"), "{}", status.stdout);
    assert!(
        status
            .stdout
            .contains(&format!("{} applied, 0 pending", SAMPLES + 1)),
        "{}",
        status.stdout
    );

    let created = migrate(app.path(), &db, &["create", "after", "import"]).expect_code(0);
    let rel = created
        .stdout
        .lines()
        .next()
        .unwrap()
        .strip_prefix("created ")
        .unwrap()
        .to_owned();
    std::fs::write(
        app.path().join(&rel),
        "//! After the import.\nuse migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    pgm.sql(\"CREATE TABLE after_import (id int)\");\n}\n",
    )
    .unwrap();
    let up = migrate(app.path(), &db, &["up"]).expect_code(0);
    assert!(up.stdout.contains("after_import"), "{}", up.stdout);
    assert_eq!(
        count(&db, "SELECT count(*) FROM public.pgmigrations"),
        SAMPLES as i64 + 2
    );
    let status = migrate(app.path(), &db, &["status"]).expect_code(0);
    assert!(
        status
            .stdout
            .contains(&format!("{} applied, 0 pending", SAMPLES + 2)),
        "{}",
        status.stdout
    );
}

/// `--dry-run` checks the files and the history, shows the plan, and writes and records nothing.
#[test]
fn dry_run_writes_and_records_nothing() {
    let db = TestDb::new();
    let src = tempfile::tempdir().unwrap();
    write(src.path(), "1_one.up.sql", "CREATE TABLE d1 (id int);\n");
    write(src.path(), "2_two.up.sql", "CREATE TABLE d2 (id int);\n");
    db.exec("CREATE TABLE public.schema_migrations (version bigint not null primary key, dirty boolean not null)");
    db.exec("INSERT INTO public.schema_migrations VALUES (1, false)");
    let app = bare_app();
    let dir = src.path().to_str().unwrap();
    let planned = migrate(
        app.path(),
        &db,
        &["import", "--from", "golang-migrate", dir, "--dry-run"],
    )
    .expect_code(0);
    assert!(
        planned
            .stdout
            .contains("would write migrations/20000101000000_one.rs  <- 1_one.up.sql (version 1)"),
        "{}",
        planned.stdout
    );
    assert!(
        planned.stdout.contains("would record 1 as applied"),
        "{}",
        planned.stdout
    );
    assert!(files(&app.path().join("migrations")).is_empty());
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = 'pgmigrations'"
        ),
        0,
        "the dry run created the migrations table"
    );
}

/// A golang-migrate folder of three versions, all applied (its table holds version 3), for the tests of what
/// recording the history does.
fn three_applied_golang_versions(db: &TestDb) -> tempfile::TempDir {
    let src = tempfile::tempdir().unwrap();
    for i in 1..=3 {
        write(
            src.path(),
            &format!("{i}_step_{i}.up.sql"),
            &format!("CREATE TABLE r{i} (id int);\n"),
        );
    }
    db.exec("CREATE TABLE public.schema_migrations (version bigint not null primary key, dirty boolean not null)");
    db.exec("INSERT INTO public.schema_migrations VALUES (3, false)");
    src
}

/// Recording the history fails (a trigger on the migrations table refuses the rows, at the insert or only at
/// the commit): no file is left in the migrations folder, no row is recorded, no line says a file was
/// written, and the error says what was left.
#[test]
fn a_history_that_cannot_be_recorded_leaves_no_file() {
    for (when, trigger) in [
        (
            "at the insert",
            "CREATE TRIGGER refuse BEFORE INSERT ON public.pgmigrations FOR EACH ROW EXECUTE FUNCTION refuse()",
        ),
        (
            "at the commit",
            "CREATE CONSTRAINT TRIGGER refuse AFTER INSERT ON public.pgmigrations DEFERRABLE INITIALLY DEFERRED \
             FOR EACH ROW EXECUTE FUNCTION refuse()",
        ),
    ] {
        let db = TestDb::new();
        let src = three_applied_golang_versions(&db);
        // The layout node-pg-migrate leaves after an adoption: a table this tool records in as it is.
        db.exec(
            "CREATE TABLE public.pgmigrations (id serial PRIMARY KEY, name varchar(255) NOT NULL, \
             run_on timestamp NOT NULL, checksum text, execution_ms bigint)",
        );
        db.exec(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'no rows here'; END $$",
        );
        db.exec(trigger);
        let app = bare_app();
        let failed = migrate(
            app.path(),
            &db,
            &["import", "--from", "golang-migrate", src.path().to_str().unwrap()],
        )
        .expect_code(1);
        assert!(failed.stderr.contains("no rows here"), "{when}: {}", failed.stderr);
        assert!(
            failed.stderr.contains("nothing was recorded") && failed.stderr.contains("no file is left"),
            "{when}: {}",
            failed.stderr
        );
        assert!(
            !failed.stdout.contains("wrote") && !failed.stdout.contains("imported"),
            "{when}: {}",
            failed.stdout
        );
        assert!(files(&app.path().join("migrations")).is_empty(), "{when}");
        assert_eq!(count(&db, "SELECT count(*) FROM public.pgmigrations"), 0, "{when}");
    }
}

/// A row already recorded under an imported migration's name with another checksum is a conflict, never
/// counted as "already recorded": the import stops, naming the row and both checksums, and writes and records
/// nothing, into another folder as into the one that holds the files.
#[test]
fn a_row_recorded_with_another_checksum_is_a_conflict() {
    let db = TestDb::new();
    let src = three_applied_golang_versions(&db);
    let dir = src.path().to_str().unwrap();
    let app = bare_app();
    migrate(
        app.path(),
        &db,
        &["import", "--from", "golang-migrate", dir],
    )
    .expect_code(0);
    // Another migration's checksum: the row records other content under this name.
    db.exec(
        "UPDATE public.pgmigrations SET checksum = (SELECT checksum FROM public.pgmigrations \
         WHERE name = '20000101000000_step_1') WHERE name = '20000101000001_step_2'",
    );
    let rows = db.query_strings("SELECT name, checksum FROM public.pgmigrations ORDER BY id");
    let other = rows[0][1].clone().unwrap();
    let empty = bare_app();
    for folder in [app.path(), empty.path()] {
        let before = files(&folder.join("migrations"));
        let refused =
            migrate(folder, &db, &["import", "--from", "golang-migrate", dir]).expect_code(1);
        assert!(
            refused.stderr.contains("20000101000001_step_2")
                && refused.stderr.contains("another checksum")
                && refused.stderr.contains(&other)
                && refused
                    .stderr
                    .contains("import the files without adopting the history")
                && refused.stderr.contains(
                    "\nhint: `migrate import --no-adopt` writes the files without adopting"
                ),
            "{}",
            refused.stderr
        );
        assert!(
            !refused.stdout.contains("already recorded"),
            "{}",
            refused.stdout
        );
        assert_eq!(files(&folder.join("migrations")), before);
        assert_eq!(
            db.query_strings("SELECT name, checksum FROM public.pgmigrations ORDER BY id"),
            rows
        );
    }
}

/// `down` across a row adopted from node-pg-migrate stops there as documented: an error naming the adopted
/// row and its tool, saying that nothing was reverted and how to revert what came after it (`down --to`),
/// never "restore the file(s), or run `repair`" (which has nothing to repair). node-pg-migrate's table is
/// created as it creates it, so this needs no node-pg-migrate.
#[test]
fn down_stops_at_a_row_adopted_from_node_pg_migrate() {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE public.pgmigrations (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, \
         run_on timestamp NOT NULL)",
    );
    db.exec(
        "INSERT INTO public.pgmigrations (name, run_on) VALUES \
         ('1700000000000_js-one', '2024-01-01 10:00'), ('1700000000001_js-two', '2024-01-02 10:00')",
    );
    let src = tempfile::tempdir().unwrap();
    for name in ["1700000000000_js-one", "1700000000001_js-two"] {
        write(
            src.path(),
            &format!("{name}.js"),
            "exports.up = (pgm) => {};\n",
        );
    }
    let cli = tests::cli::FixtureCli::new("basic", &db);
    cli.run(&[
        "import",
        "--from",
        "node-pg-migrate",
        src.path().to_str().unwrap(),
    ])
    .expect_code(0);
    cli.run(&["up"]).expect_code(0);
    let applied = || count(&db, "SELECT count(*) FROM public.pgmigrations");
    assert_eq!(applied(), 5);

    for args in [&["down", "--all"][..], &["down", "4"]] {
        let stopped = cli.run(args).expect_code(1);
        assert!(
            stopped.stderr.contains("1700000000001_js-two")
                && stopped.stderr.contains("node-pg-migrate")
                && stopped
                    .stderr
                    .contains("a `down` to 1700000000001_js-two reverts")
                && stopped
                    .stderr
                    .contains("hint: `down --to 1700000000001_js-two` reverts")
                && !stopped.stderr.contains("repair"),
            "{args:?}: {}",
            stopped.stderr
        );
        assert_eq!(applied(), 5, "{args:?} reverted something");
    }
    cli.run(&["down", "--to", "1700000000001_js-two"])
        .expect_code(0);
    assert_eq!(applied(), 2);
    let at_the_adopted_row = cli.run(&["down"]).expect_code(1);
    assert!(
        at_the_adopted_row.stderr.contains("1700000000001_js-two")
            && at_the_adopted_row.stderr.contains("with node-pg-migrate"),
        "{}",
        at_the_adopted_row.stderr
    );
    assert_eq!(applied(), 2);
}
