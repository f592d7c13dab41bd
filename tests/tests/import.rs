//! `migrate import` (issue 31): other tools' migration folders converted into migration files, and their
//! histories adopted. sqlx, refinery and dbmate (and diesel when installed) run for real: each applies its own
//! sample migrations (`.ci/peers` installs them; a missing one skips loudly outside CI and fails under CI).
//! golang-migrate and Flyway have no CLI on this machine: their folders are converted and their history tables
//! are created with the statements those tools run, holding the rows they write.

use std::path::{Path, PathBuf};
use std::process::Command;

use tests::cli::{front, Run};
use tests::TestDb;

/// How many sample migrations each peer applies.
const SAMPLES: usize = 20;

fn migrate(app: &Path, db: &TestDb, args: &[&str]) -> Run {
    let target = tests::cli::e2e_target();
    front(
        app,
        args,
        &[
            ("DATABASE_URL", db.url()),
            ("CARGO_TARGET_DIR", &target.display().to_string()),
        ],
    )
}

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

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".rs"))
        .collect();
    names.sort();
    names
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
