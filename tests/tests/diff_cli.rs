//! `migrate diff` as a user runs it, through the installed command and a package's runner: the guide's story
//! (a column renamed by hand in a development database), the rename refused until it is confirmed, the files
//! written, then `lint`, `verify` and `up` on them, and the database ending with the development schema.

use std::path::Path;

use migrate_core::schema::describe;
use migrate_core::MigrationsTable;
use tests::cli::migrate_in as migrate;
use tests::TestDb;

const FIRST: &str = r#"use migrate_dsl::prelude::*;

pub fn up(pgm: &mut MigrationBuilder) {
    pgm.create_table("users", [
        column("id", "bigint").identity(Identity::always()).primary_key(),
        column("email", "text").not_null(),
        column("display_name", "text"),
    ]);
}
"#;

fn migration_files(app: &Path) -> Vec<String> {
    tests::cli::rust_files(&app.join("migrations"))
}

/// The description with each table's columns sorted: a renamed column moves to the table's end.
fn schema(db: &TestDb) -> String {
    let text = describe(&mut db.client(), &MigrationsTable::default())
        .expect("describe")
        .render();
    text.split("\n\n")
        .map(|paragraph| {
            let mut lines: Vec<&str> = paragraph.lines().collect();
            lines.sort();
            lines.join("\n")
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[test]
fn a_column_renamed_by_hand_becomes_an_expand_and_a_contract_that_lint_verify_and_apply() {
    let app = tempfile::tempdir().expect("tempdir");
    tests::cli::scaffold_app(app.path(), "diffstory");
    std::fs::create_dir_all(app.path().join("migrations")).expect("migrations/");
    std::fs::write(
        app.path().join("migrations/20260101000000_create_users.rs"),
        FIRST,
    )
    .expect("write");
    let db = TestDb::new();
    migrate(app.path(), &db, &["up"]).expect_code(0);

    // The development database, changed by hand.
    let dev = TestDb::new();
    migrate(app.path(), &dev, &["up"]).expect_code(0);
    dev.exec(
        "ALTER TABLE users RENAME COLUMN display_name TO full_name; \
         CREATE INDEX users_full_name_index ON users (full_name); \
         ALTER TABLE users ADD COLUMN signed_up_at timestamptz NOT NULL DEFAULT now()",
    );

    // Not on a terminal: the rename is proposed, nothing is written.
    let refused = migrate(
        app.path(),
        &db,
        &["diff", "--to", dev.url(), "--name", "full_name"],
    );
    assert_eq!(refused.code, 11, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused
            .stderr
            .contains("--rename public.users.display_name=full_name"),
        "{}",
        refused.stderr
    );
    assert_eq!(migration_files(app.path()).len(), 1);

    let written = migrate(
        app.path(),
        &db,
        &[
            "diff",
            "--to",
            dev.url(),
            "--name",
            "full_name",
            "--rename",
            "public.users.display_name=full_name",
        ],
    )
    .expect_code(0);
    let files = migration_files(app.path());
    let steps: Vec<&str> = files.iter().map(|f| &f[15..]).collect();
    assert_eq!(
        steps,
        [
            "create_users.rs",
            "full_name_renames.rs",
            "full_name.rs",
            "full_name_indexes.rs",
            "full_name_rename_contracts.rs",
        ],
        "{}",
        written.stdout
    );
    let mut sources = String::new();
    for file in &files[1..] {
        sources.push_str(&format!("// ---- {}\n", &file[15..]));
        sources.push_str(
            &std::fs::read_to_string(app.path().join("migrations").join(file)).expect("read"),
        );
    }
    insta::assert_snapshot!("diff_cli_story", sources);

    migrate(app.path(), &db, &["lint"]).expect_code(0);
    migrate(app.path(), &db, &["verify"]).expect_code(0);
    // The expand phase first, as a deploy runs it; then the contract after the rollout.
    let expand = migrate(app.path(), &db, &["up", "--expand-only"]).expect_code(0);
    assert!(expand.stdout.contains("contract"), "{}", expand.stdout);
    migrate(app.path(), &db, &["up"]).expect_code(0);
    assert_eq!(schema(&db), schema(&dev));

    // Once applied, the schemas are the same: nothing more to write.
    let again = migrate(app.path(), &db, &["diff", "--to", dev.url()]).expect_code(0);
    assert!(
        again.stdout.contains("nothing to write"),
        "{}",
        again.stdout
    );

    // A column gone from the desired schema is kept and listed; the hint names the flag that drops it.
    dev.exec("ALTER TABLE users DROP COLUMN signed_up_at");
    let kept = migrate(app.path(), &db, &["diff", "--to", dev.url()]).expect_code(0);
    assert!(
        kept.stdout
            .contains("kept: column public.users.signed_up_at: kept (drops were not allowed)")
            && kept.stdout.contains(
                "nothing to write: the schemas are the same but for what is listed above"
            )
            && kept.stderr.contains("hint: --allow-drop writes the drops"),
        "{}\n{}",
        kept.stdout,
        kept.stderr
    );
    assert_eq!(migration_files(app.path()).len(), 5);
}

#[test]
fn a_desired_schema_file_that_does_not_apply_is_named_and_nothing_is_written() {
    let app = tempfile::tempdir().expect("tempdir");
    tests::cli::scaffold_app(app.path(), "diffbad");
    std::fs::create_dir_all(app.path().join("migrations")).expect("migrations/");
    std::fs::write(
        app.path().join("migrations/20260101000000_create_users.rs"),
        FIRST,
    )
    .expect("write");
    std::fs::write(app.path().join("desired.sql"), "CREATE TABLE broken (;").expect("write");
    let db = TestDb::new();
    let run = migrate(app.path(), &db, &["diff", "--to", "desired.sql"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("desired.sql does not apply"),
        "{}",
        run.stderr
    );
    let missing = migrate(app.path(), &db, &["diff", "--to", "nowhere.sql"]);
    assert_eq!(missing.code, 1);
    assert!(
        missing
            .stderr
            .contains("nowhere.sql: no such file or folder"),
        "{}",
        missing.stderr
    );
    assert_eq!(migration_files(app.path()).len(), 1);
    // Nothing was applied to the configured database either.
    assert!(db.tables().is_empty(), "{:?}", db.tables());
}

/// `script`'s path: it runs a command on a pseudo-terminal, as a person at a terminal would.
fn script() -> Option<std::path::PathBuf> {
    ["/usr/bin/script", "/bin/script"]
        .iter()
        .map(std::path::PathBuf::from)
        .find(|p| p.is_file())
}

#[test]
fn on_a_terminal_diff_asks_about_each_rename_and_writes_what_the_answers_say() {
    let Some(script) = tests::skip::require("script (util-linux), for a pseudo-terminal", script())
    else {
        return;
    };
    let app = tempfile::tempdir().expect("tempdir");
    tests::cli::scaffold_app(app.path(), "diffask");
    std::fs::create_dir_all(app.path().join("migrations")).expect("migrations/");
    std::fs::write(
        app.path().join("migrations/20260101000000_create_users.rs"),
        FIRST,
    )
    .expect("write");
    let db = TestDb::new();
    migrate(app.path(), &db, &["up"]).expect_code(0);
    let dev = TestDb::new();
    migrate(app.path(), &dev, &["up"]).expect_code(0);
    dev.exec("ALTER TABLE users RENAME COLUMN display_name TO full_name");
    // Built already (the `up` above): the answer goes to the question, not to a build.
    let command = format!(
        "{} diff --to '{}' --name asked",
        tests::cli::bin("migrate-front").display(),
        dev.url()
    );
    let output = std::process::Command::new(script)
        .args(["-qec", &command, "/dev/null"])
        .current_dir(app.path())
        .env("DATABASE_URL", db.url())
        .env("CARGO_TARGET_DIR", tests::cli::e2e_target())
        .env(
            "XDG_CACHE_HOME",
            tests::cli::workspace_root().join("target/front-cache"),
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().expect("stdin").write_all(b"y\n")?;
            child.wait_with_output()
        })
        .expect("script runs");
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{shown}");
    assert!(
        shown.contains(
            "is public.users.display_name renamed to full_name (both of type text)? [y/N]"
        ),
        "{shown}"
    );
    let files = migration_files(app.path());
    assert_eq!(
        files.iter().map(|f| &f[15..]).collect::<Vec<_>>(),
        [
            "create_users.rs",
            "asked_renames.rs",
            "asked_rename_contracts.rs"
        ],
        "{shown}"
    );
}

/// A package with the first migration, for `diff --to` a file.
fn app_with_users(package: &str) -> tempfile::TempDir {
    let app = tempfile::tempdir().expect("tempdir");
    tests::cli::scaffold_app(app.path(), package);
    std::fs::create_dir_all(app.path().join("migrations")).expect("migrations/");
    std::fs::write(
        app.path().join("migrations/20260101000000_create_users.rs"),
        FIRST,
    )
    .expect("write");
    app
}

/// The scratch databases and the roles made for them that a run left on the server for `db`.
fn leftovers(db: &TestDb) -> Vec<String> {
    let mut client = db.client();
    let pattern = format!("{}\\_diff\\_%", db.name().replace('_', "\\_"));
    client
        .query(
            "SELECT 'database ' || datname FROM pg_database WHERE datname LIKE $1 \
             UNION ALL SELECT 'role ' || rolname FROM pg_roles WHERE rolname LIKE $1",
            &[&pattern],
        )
        .expect("leftovers")
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[test]
fn a_pg_dump_file_with_restrict_lines_owners_and_rows_is_a_desired_schema() {
    let app = app_with_users("diffdump");
    let db = TestDb::new();
    // As PostgreSQL 17.6's pg_dump writes it: `\restrict`/`\unrestrict`, owners, default privileges of
    // the role named, a publication, and a table's rows.
    std::fs::copy(
        tests::cli::workspace_root().join("tests/fixtures/diff_input/pg_dump_17_6.sql"),
        app.path().join("schema.sql"),
    )
    .expect("copy the fixture");
    let run = migrate(
        app.path(),
        &db,
        &["diff", "--to", "schema.sql", "--dry-run"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for needle in [
        "add_columns(\"users\"",
        "nickname",
        "default privileges of postgres in public: grant SELECT on tables to PUBLIC",
        "not generated: publication everything: not generated (no model for it)",
    ] {
        assert!(
            run.stdout.contains(needle),
            "{needle:?} missing\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
    for needle in [
        "note: 2 statement(s) setting owners (ALTER ... OWNER TO, SET SESSION AUTHORIZATION) not run",
        "note: 1 row(s) of COPY ... FROM stdin not loaded",
    ] {
        assert!(run.stderr.contains(needle), "{needle:?} missing\n{}", run.stderr);
    }
    assert_eq!(leftovers(&db), Vec::<String>::new());

    // What this machine's pg_dump writes (15.14 and later write `\restrict` too), of a database the
    // migrations built and a column added by hand.
    let dev = TestDb::new();
    migrate(app.path(), &dev, &["up"]).expect_code(0);
    dev.exec("ALTER TABLE users ADD COLUMN nickname text");
    let dump = std::process::Command::new("pg_dump")
        .args(["--schema-only", "--dbname", dev.url()])
        .output()
        .expect("pg_dump runs");
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let dump = String::from_utf8(dump.stdout).expect("UTF-8");
    if !dump.contains("\\restrict ") {
        eprintln!("note: this pg_dump writes no \\restrict line (older than 13.22, 14.19, 15.14, 16.10, 17.6)");
    }
    std::fs::write(app.path().join("local_dump.sql"), &dump).expect("write the dump");
    let run = migrate(
        app.path(),
        &db,
        &["diff", "--to", "local_dump.sql", "--dry-run"],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("nickname"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );

    // A meta-command pg_dump does not write is named with its file and line; nothing is applied.
    std::fs::write(
        app.path().join("psql.sql"),
        "CREATE TABLE t (a int);\n\\set ON_ERROR_STOP on\n",
    )
    .expect("write");
    let run = migrate(app.path(), &db, &["diff", "--to", "psql.sql"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("psql.sql:2: the psql meta-command `\\set` is not supported"),
        "{}",
        run.stderr
    );
    assert_eq!(migration_files(app.path()).len(), 1);
}

#[test]
fn a_desired_file_cannot_act_outside_the_scratch_database_it_is_built_in() {
    let app = app_with_users("diffoutside");
    let db = TestDb::new();
    let marker = |name: &str| std::env::temp_dir().join(format!("{}_{name}", db.name()));
    let (plain, hidden) = (marker("plain"), marker("hidden"));
    // Written as it is: refused before anything runs, naming the file, the line and the statement.
    std::fs::write(
        app.path().join("desired.sql"),
        format!(
            "CREATE TABLE extra (a int);\nCOPY (select 1) TO PROGRAM 'touch {}';\n",
            plain.display()
        ),
    )
    .expect("write");
    let run = migrate(app.path(), &db, &["diff", "--to", "desired.sql"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "desired.sql:2: `COPY (select 1) TO PROGRAM 'touch {}'` acts outside the scratch database",
            plain.display()
        )),
        "{}",
        run.stderr
    );
    assert!(!plain.exists(), "the file's COPY ... TO PROGRAM ran");

    // Assembled at run time, where no reading of the text can see it: the role the file runs as has no
    // right to run programs.
    std::fs::write(
        app.path().join("hidden.sql"),
        format!(
            "CREATE TABLE extra (a int);\n\
             DO $$ BEGIN EXECUTE 'COPY (select 1) TO PRO' || 'GRAM ''touch {}'''; END $$;\n",
            hidden.display()
        ),
    )
    .expect("write");
    let run = migrate(app.path(), &db, &["diff", "--to", "hidden.sql"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("hidden.sql does not apply to an empty database: line 2: `DO $$"),
        "{}",
        run.stderr
    );
    assert!(!hidden.exists(), "the file's COPY ... TO PROGRAM ran");

    // Another database reached through dblink: refused.
    std::fs::write(
        app.path().join("dblink.sql"),
        "CREATE EXTENSION dblink;\nSELECT dblink_exec('dbname=postgres', 'CREATE TABLE leaked ()');\n",
    )
    .expect("write");
    let run = migrate(app.path(), &db, &["diff", "--to", "dblink.sql"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("dblink.sql:1: `CREATE EXTENSION dblink` acts outside"),
        "{}",
        run.stderr
    );
    assert_eq!(leftovers(&db), Vec::<String>::new());
    assert_eq!(migration_files(app.path()).len(), 1);
}

/// A role of the server for one test, dropped at its end.
struct TestRole<'a> {
    db: &'a TestDb,
    name: String,
}

impl Drop for TestRole<'_> {
    fn drop(&mut self) {
        let _ = self
            .db
            .client()
            .batch_execute(&format!("DROP ROLE IF EXISTS \"{}\"", self.name));
    }
}

#[test]
fn a_configured_role_that_cannot_create_roles_runs_the_file_itself_and_the_refusals_hold() {
    let app = app_with_users("diffnorole");
    let db = TestDb::new();
    let role = TestRole {
        db: &db,
        name: format!("{}_builder", db.name()),
    };
    db.exec(&format!("CREATE ROLE \"{}\" LOGIN CREATEDB", role.name));
    let url = db
        .url()
        .replacen("postgres@", &format!("{}@", role.name), 1);
    assert_ne!(
        url,
        db.url(),
        "the test database's URL names the user postgres"
    );
    let target = tests::cli::e2e_target().display().to_string();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("CARGO_TARGET_DIR", target.as_str()),
    ];
    let marker = std::env::temp_dir().join(format!("{}_norole", db.name()));
    std::fs::write(
        app.path().join("desired.sql"),
        format!(
            "CREATE TABLE extra (a int);\nCOPY (select 1) TO PROGRAM 'touch {}';\n",
            marker.display()
        ),
    )
    .expect("write");
    let run = tests::cli::front(app.path(), &["diff", "--to", "desired.sql"], &env);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("desired.sql:2: `COPY (select 1) TO PROGRAM"),
        "{}",
        run.stderr
    );
    assert!(!marker.exists());
    std::fs::write(
        app.path().join("desired.sql"),
        "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL, \
         display_name text, nickname text);\n",
    )
    .expect("write");
    let run = tests::cli::front(
        app.path(),
        &["diff", "--to", "desired.sql", "--dry-run"],
        &env,
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(
            "note: the SQL runs with the configured role's rights (the configured role cannot create roles)"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("nickname"), "{}", run.stdout);
    assert_eq!(leftovers(&db), Vec::<String>::new());
}

/// `migrate diff` in `app` against `db`, started and left running.
fn spawn_diff(app: &Path, db: &TestDb, file: &str) -> std::process::Child {
    std::process::Command::new(tests::cli::bin("migrate-front"))
        .current_dir(app)
        .env("DATABASE_URL", db.url())
        .env("CARGO_TARGET_DIR", tests::cli::e2e_target())
        .env(
            "XDG_CACHE_HOME",
            tests::cli::workspace_root().join("target/front-cache"),
        )
        .args(["diff", "--to", file, "--dry-run"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("migrate starts")
}

/// Waits (at most a minute) until the desired file's `pg_sleep` runs on its scratch database, as the role
/// made for it; returns that role's name.
fn sleeping_as(db: &TestDb) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let pattern = format!("{}\\_diff\\_to\\_%", db.name().replace('_', "\\_"));
    loop {
        let rows = db.query_strings(&format!(
            "SELECT usename FROM pg_stat_activity WHERE datname LIKE '{pattern}' \
             AND state = 'active' AND query LIKE 'SELECT pg_sleep(60)%'"
        ));
        if let Some(user) = rows.first().and_then(|r| r[0].clone()) {
            return user;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "a minute without the file's pg_sleep"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn signal(child: &std::process::Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{name} {}", child.id());
}

#[test]
fn the_role_made_for_the_desired_file_is_dropped_on_a_signal_and_after_a_sigkill_by_the_next_run() {
    let app = app_with_users("diffsignal");
    let db = TestDb::new();
    std::fs::write(app.path().join("sleep.sql"), "SELECT pg_sleep(60);\n").expect("write");
    std::fs::write(app.path().join("empty.sql"), "SELECT 1;\n").expect("write");
    // Builds the runner, so the runs below start at once.
    migrate(app.path(), &db, &["diff", "--to", "empty.sql", "--dry-run"]).expect_code(0);

    let child = spawn_diff(app.path(), &db, "sleep.sql");
    let role = sleeping_as(&db);
    assert!(
        role.starts_with(&format!("{}_diff_to_", db.name())),
        "the file runs as {role}, not as a role made for it"
    );
    signal(&child, "TERM");
    let out = child.wait_with_output().expect("migrate ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{stderr}");
    assert!(
        stderr.contains(&format!("dropped the scratch database {role} and its role")),
        "{stderr}"
    );
    assert_eq!(leftovers(&db), Vec::<String>::new());

    let child = spawn_diff(app.path(), &db, "sleep.sql");
    let role = sleeping_as(&db);
    let pid = child.id();
    signal(&child, "KILL");
    let out = child.wait_with_output().expect("migrate ends");
    assert_eq!(out.status.code(), None, "killed");
    let mut left = leftovers(&db);
    left.sort();
    assert!(
        left.contains(&format!("database {role}")) && left.contains(&format!("role {role}")),
        "{left:?}"
    );
    let next = migrate(app.path(), &db, &["diff", "--to", "empty.sql", "--dry-run"]).expect_code(0);
    assert!(
        next.stderr.contains(&format!(
            "dropped the role made for a scratch database {role}, which process {pid}"
        )),
        "{}",
        next.stderr
    );
    assert_eq!(leftovers(&db), Vec::<String>::new());
}
