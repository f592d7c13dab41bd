//! Repeatable migrations (`repeatable_<name>.rs`), driven through the CLI against a fresh
//! database per test: applied after the versioned migrations in name order, skipped while unchanged, applied
//! again after a change, and a failing one rolled back with nothing recorded.
//!
//! Each repeatable of the fixtures appends its name to `repeat_log` (created by the versioned migration), so
//! the log says which ran, how often and in which order.

use tests::assert_cli_snapshot;
use tests::cli::FixtureCli;
use tests::TestDb;

/// Names in `repeat_log`, in the order the repeatables ran.
fn log(db: &TestDb) -> Vec<String> {
    db.query_strings("SELECT name FROM public.repeat_log ORDER BY id")
        .into_iter()
        .map(|row| row[0].clone().unwrap_or_default())
        .collect()
}

/// `name: checksum` of the repeatables recorded in `pgmigrations_repeat`, by name.
fn recorded(db: &TestDb) -> Vec<(String, String)> {
    db.query_strings("SELECT name, checksum FROM public.pgmigrations_repeat ORDER BY name")
        .into_iter()
        .map(|row| {
            (
                row[0].clone().unwrap_or_default(),
                row[1].clone().unwrap_or_default(),
            )
        })
        .collect()
}

/// The checksum the fixture's registry carries for repeatable `name`.
fn compiled_checksum(fixture: &str, name: &str) -> String {
    tests::fixtures::registry(fixture)
        .expect("fixture")
        .repeatables
        .iter()
        .find(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no repeatable {name} in {fixture}"))
        .checksum()
}

/// The first `up` applies the versioned migration, then every repeatable in name order (`b`'s view reads
/// `a`'s, so the other order would fail), and records each with its checksum; the versioned history holds
/// only the versioned migration.
#[test]
fn the_first_up_applies_them_after_the_migrations_in_name_order() {
    let db = TestDb::new();
    let cli = FixtureCli::new("repeatable_v1", &db);
    let status = cli.run(&["status"]).expect_code(0);
    assert_cli_snapshot!("repeatable_status_new", status, &["status"]);
    let sql = cli.run(&["sql"]).expect_code(0);
    assert_cli_snapshot!("repeatable_sql_first", sql, &["sql"]);

    let up = cli.run(&["up"]).expect_code(0);
    assert_cli_snapshot!("repeatable_first_up", up, &["up"]);
    assert_eq!(log(&db), ["a_active_accounts", "b_account_names"]);
    let a = "repeatable_a_active_accounts";
    let b = "repeatable_b_account_names";
    assert_eq!(
        recorded(&db),
        [
            (a.to_owned(), compiled_checksum("repeatable_v1", a)),
            (b.to_owned(), compiled_checksum("repeatable_v1", b)),
        ]
    );
    assert_eq!(
        db.query_strings("SELECT name FROM public.pgmigrations"),
        [[Some("20260701000001_accounts".to_owned())]],
        "repeatables stay out of the versioned history"
    );
    db.exec("INSERT INTO accounts VALUES (1, 'ann', true), (2, 'bob', false)");
    assert_eq!(
        db.query_strings("SELECT name FROM account_names"),
        [[Some("ann".to_owned())]]
    );
}

/// Unchanged repeatables are skipped: a second `up` applies nothing, `sql` has nothing to show and `status`
/// says they are up to date.
#[test]
fn unchanged_repeatables_are_not_applied_again() {
    let db = TestDb::new();
    let cli = FixtureCli::new("repeatable_v1", &db);
    cli.run(&["up"]).expect_code(0);
    let before = recorded(&db);

    let up = cli.run(&["up"]).expect_code(0);
    assert!(up.stdout.contains("nothing to apply"), "{}", up.stdout);
    assert_eq!(log(&db), ["a_active_accounts", "b_account_names"]);
    assert_eq!(recorded(&db), before);

    let sql = cli.run(&["sql"]).expect_code(0);
    assert_cli_snapshot!("repeatable_sql_nothing", sql, &["sql"]);
    let status = cli.run(&["status"]).expect_code(0);
    assert_cli_snapshot!("repeatable_status_up_to_date", status, &["status"]);
}

/// A repeatable file deleted after it was applied: `status` reports its row as `file gone` (text and JSON)
/// without failing, and `up` leaves what it created alone.
#[test]
fn a_deleted_repeatable_is_reported_as_gone() {
    let db = TestDb::new();
    let v1 = FixtureCli::new("repeatable_v1", &db);
    v1.run(&["up"]).expect_code(0);
    // The same versioned migration, other repeatable files: both of v1's are gone.
    let other = v1.switch("repeatable_once");
    let status = other.run(&["status"]).expect_code(0);
    assert_cli_snapshot!("repeatable_status_gone", status, &["status"]);
    let json = other.run(&["status", "--json"]).expect_code(0);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(
        json["repeatables"],
        serde_json::json!([
            { "name": "repeatable_plain_view", "state": "new" },
            { "name": "repeatable_a_active_accounts", "state": "gone" },
            { "name": "repeatable_b_account_names", "state": "gone" },
        ])
    );
    other.run(&["up"]).expect_code(0);
    assert_eq!(
        db.query_strings(
            "SELECT string_agg(table_name::text, ',' ORDER BY table_name) FROM information_schema.views WHERE table_schema = 'public'"
        ),
        [[Some("account_names,active_accounts,plain".to_owned())]],
        "the gone files' views stay"
    );
}

/// `sql repeatable_<name>` shows that file's SQL whatever its state, without a database; `--down` of one is
/// refused (it has none), and an unknown name is named.
#[test]
fn sql_shows_a_named_repeatable() {
    let db = TestDb::new();
    let cli = FixtureCli::new("repeatable_v1", &db);
    let b = "repeatable_b_account_names";
    let shown = cli.run(&["sql", "20260701000001", b]).expect_code(0);
    assert!(
        shown
            .stdout
            .contains("CREATE VIEW account_names AS SELECT name FROM active_accounts")
            && shown.stdout.contains("CREATE TABLE"),
        "{}",
        shown.stdout
    );
    assert!(
        shown.stdout.find("CREATE TABLE") < shown.stdout.find("CREATE VIEW account_names"),
        "the repeatable after the migration: {}",
        shown.stdout
    );
    let down = cli.run(&["sql", "--down", b]).expect_code(1);
    assert!(
        down.stderr
            .contains("repeatable migration repeatable_b_account_names has no down"),
        "{}",
        down.stderr
    );
    let unknown = cli.run(&["sql", "repeatable_nope"]).expect_code(1);
    assert!(
        unknown
            .stderr
            .contains("no migration named \"repeatable_nope\""),
        "{}",
        unknown.stderr
    );
    assert!(db.tables().is_empty(), "nothing applied: {:?}", db.tables());
}

/// After a file changes, `status` shows it as changed, `sql` shows what `up` will run again, and `up` applies
/// only that file again (not the unchanged one), recording its new checksum.
#[test]
fn a_changed_repeatable_is_applied_again_and_only_it() {
    let db = TestDb::new();
    let v1 = FixtureCli::new("repeatable_v1", &db);
    v1.run(&["up"]).expect_code(0);
    let a = "repeatable_a_active_accounts";
    let b = "repeatable_b_account_names";
    assert_eq!(
        compiled_checksum("repeatable_v1", a),
        compiled_checksum("repeatable_v2", a),
        "the fixtures share a"
    );
    assert_ne!(
        compiled_checksum("repeatable_v1", b),
        compiled_checksum("repeatable_v2", b),
        "b differs between the fixtures"
    );

    let v2 = v1.switch("repeatable_v2");
    let status = v2.run(&["status"]).expect_code(0);
    assert_cli_snapshot!("repeatable_status_changed", status, &["status"]);
    let json = v2.run(&["status", "--json"]).expect_code(0);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(
        json["repeatables"],
        serde_json::json!([
            { "name": a, "state": "up_to_date" },
            { "name": b, "state": "changed" },
        ])
    );
    let sql = v2.run(&["sql"]).expect_code(0);
    assert_cli_snapshot!("repeatable_sql_changed", sql, &["sql"]);
    assert_eq!(log(&db).len(), 2, "status and sql change nothing");

    let up = v2.run(&["up"]).expect_code(0);
    assert_cli_snapshot!("repeatable_up_changed", up, &["up"]);
    assert_eq!(
        log(&db),
        ["a_active_accounts", "b_account_names", "b_account_names"]
    );
    assert_eq!(
        recorded(&db),
        [
            (a.to_owned(), compiled_checksum("repeatable_v2", a)),
            (b.to_owned(), compiled_checksum("repeatable_v2", b)),
        ]
    );
    assert_eq!(db.columns("account_names"), ["id", "name"]);
}

/// A failing repeatable is rolled back whole (its view and its log line are gone), nothing of it is
/// recorded, the error names it and its file, the exit code is 1, and the ones after it do not run; the ones
/// before it stay applied. The next `up` tries it again.
#[test]
fn a_failing_repeatable_is_rolled_back_and_not_recorded() {
    let db = TestDb::new();
    let cli = FixtureCli::new("repeatable_fails", &db);
    let up = cli.run(&["up"]).expect_code(1);
    assert_cli_snapshot!("repeatable_failing_up", up, &["up"]);
    assert!(up.stderr.contains("repeatable_b_broken"), "{}", up.stderr);
    assert_eq!(log(&db), ["a_active_accounts"]);
    let names: Vec<String> = recorded(&db).into_iter().map(|(name, _)| name).collect();
    assert_eq!(names, ["repeatable_a_active_accounts"]);
    assert_eq!(
        db.query_strings(
            "SELECT c.relname::text FROM pg_catalog.pg_class c \
             WHERE c.relname IN ('broken', 'after_broken')"
        ),
        Vec::<Vec<Option<String>>>::new(),
        "the failing file rolled back, the next one not run"
    );
    assert_eq!(
        db.query_strings("SELECT name FROM public.pgmigrations"),
        [[Some("20260701000001_accounts".to_owned())]],
        "the versioned migration before it stays applied"
    );

    let again = cli.run(&["up"]).expect_code(1);
    assert!(
        again.stderr.contains("repeatable_b_broken"),
        "{}",
        again.stderr
    );
    assert_eq!(log(&db), ["a_active_accounts"], "a is not applied again");
}

/// `up COUNT` (and `up --to`) stop before the end, so they leave the repeatables (which follow every
/// versioned migration) for the `up` that finishes.
#[test]
fn a_partial_up_leaves_the_repeatables_for_later() {
    let db = TestDb::new();
    let cli = FixtureCli::new("repeatable_v1", &db);
    let up = cli.run(&["up", "1"]).expect_code(0);
    assert!(
        up.stdout.contains("1 migration(s) applied"),
        "{}",
        up.stdout
    );
    assert!(log(&db).is_empty(), "no repeatable ran");
    let up = cli.run(&["up"]).expect_code(0);
    assert!(
        up.stdout
            .contains("0 migration(s) and 2 repeatable migration(s) applied"),
        "{}",
        up.stdout
    );
    assert_eq!(log(&db), ["a_active_accounts", "b_account_names"]);
}

fn create_view(pgm: &mut migrate_dsl::MigrationBuilder) {
    pgm.sql("CREATE OR REPLACE VIEW answer AS SELECT 42 AS answer");
}

fn outside_a_transaction(pgm: &mut migrate_dsl::MigrationBuilder) {
    pgm.no_transaction();
    pgm.sql("CREATE OR REPLACE VIEW never AS SELECT 1 AS one");
}

static ONLY_REPEATABLES: [migrate_core::Definition; 1] = [migrate_core::Definition {
    name: "repeatable_answer",
    path: "/lib/repeatable_answer.rs",
    source: "answer v1",
    up: create_view,
    down: None,
}];

static OUTSIDE: [migrate_core::Definition; 2] = [
    migrate_core::Definition {
        name: "repeatable_answer",
        path: "/lib/repeatable_answer.rs",
        source: "answer v1",
        up: create_view,
        down: None,
    },
    migrate_core::Definition {
        name: "repeatable_outside",
        path: "/lib/repeatable_outside.rs",
        source: "outside",
        up: outside_a_transaction,
        down: None,
    },
];

/// Through the library, with a migrations table in a schema of its own that does not exist yet and no
/// versioned migration: the schema and the companion table are created, and the repeatable is recorded there.
/// A repeatable that would run outside a transaction is refused, naming it, before any repeatable runs.
#[test]
fn the_library_applies_repeatables_alone_and_refuses_one_outside_a_transaction() {
    use migrate_core::{Migrations, MigrationsTable, Migrator, RepeatableState, UpTarget};
    let db = TestDb::new();
    let mut client = db.client();
    let table = MigrationsTable::new("app_meta", "migs").expect("valid table");
    static ONLY: Migrations = Migrations::new(&ONLY_REPEATABLES);
    let migrator = Migrator::new(&[]).repeatables(&ONLY).table(table.clone());
    let ran = migrator
        .run_up(&mut client, &UpTarget::All, &mut |_| {})
        .expect("up");
    let names: Vec<&str> = ran.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["repeatable_answer"]);
    assert_eq!(
        db.query_strings("SELECT answer::text FROM answer"),
        [[Some("42".to_owned())]]
    );
    assert_eq!(
        db.query_strings("SELECT name FROM app_meta.migs_repeat"),
        [[Some("repeatable_answer".to_owned())]]
    );
    let status = migrator.repeatable_status(&mut client).expect("status");
    assert_eq!(status[0].state, RepeatableState::UpToDate);

    static WITH_OUTSIDE: Migrations = Migrations::new(&OUTSIDE);
    db.exec("DROP VIEW answer; DELETE FROM app_meta.migs_repeat");
    let error = Migrator::new(&[])
        .repeatables(&WITH_OUTSIDE)
        .table(table)
        .run_up(&mut client, &UpTarget::All, &mut |_| {})
        .expect_err("refused");
    assert!(
        matches!(error, migrate_core::Error::RepeatableUnsupported { ref name, .. } if name == "repeatable_outside"),
        "{error}"
    );
    assert!(
        error.to_string().contains("runs outside a transaction"),
        "{error}"
    );
    assert_eq!(
        db.query_strings("SELECT pg_catalog.to_regclass('public.answer')::text"),
        [[None]],
        "checked before the first one ran"
    );
}

/// `lint` checks the repeatable migrations after the migrations, and one alone by its name; `lint --down`
/// refuses a repeatable's name (it has no `down`), and an unknown repeatable name is an error.
#[test]
fn lint_checks_repeatables_too() {
    let db = TestDb::new();
    let cli = FixtureCli::new("repeatable_v1", &db);
    let lint = cli.run(&["lint"]).expect_code(0);
    assert_cli_snapshot!("repeatable_lint", lint, &["lint"]);
    let one = cli
        .run(&["lint", "repeatable_b_account_names"])
        .expect_code(0);
    assert_cli_snapshot!(
        "repeatable_lint_one",
        one,
        &["lint", "repeatable_b_account_names"]
    );
    let down = cli
        .run(&["lint", "--down", "repeatable_b_account_names"])
        .expect_code(1);
    assert!(down.stderr.contains("no `down`"), "{}", down.stderr);
    let unknown = cli.run(&["lint", "repeatable_nope"]).expect_code(1);
    assert!(
        unknown
            .stderr
            .contains("no repeatable migration named repeatable_nope"),
        "{}",
        unknown.stderr
    );
}

/// `verify` applies the repeatables after the migrations on its scratch database, then each again on top of
/// itself (what the next change of its file does): fine for `CREATE OR REPLACE` or drop-and-create, a failure
/// for a plain `CREATE VIEW`, named with its file.
#[test]
fn verify_applies_repeatables_again_on_top_of_themselves() {
    let db = TestDb::new();
    let ok = FixtureCli::new("repeatable_v1", &db)
        .run(&["verify"])
        .expect_code(0);
    assert_cli_snapshot!("repeatable_verify_ok", ok, &["verify"]);
    let once = FixtureCli::new("repeatable_once", &db)
        .run(&["verify"])
        .expect_code(1);
    assert_cli_snapshot!("repeatable_verify_once", once, &["verify"]);
    assert!(
        once.stdout.contains("repeatable_plain_view"),
        "{}",
        once.stdout
    );
    assert!(
        db.query_strings("SELECT 1 FROM pg_catalog.pg_class WHERE relname = 'plain'")
            .is_empty(),
        "verify works on a scratch database only"
    );
}

/// `create --repeatable` through the generic front end (no database, no build) writes
/// `repeatable_<name>.rs` with only an `up`, and refuses to overwrite it.
#[test]
fn create_repeatable_writes_the_file_once() {
    let cwd = tempfile::tempdir().unwrap();
    let dir = cwd.path().join("migrations");
    let dir_arg = dir.display().to_string();
    let args = [
        "create",
        "--repeatable",
        "active users view",
        "--migrations-dir",
        &dir_arg,
    ];
    let run = tests::cli::front(cwd.path(), &args, &[]).expect_code(0);
    assert_eq!(
        run.stdout,
        "created migrations/repeatable_active_users_view.rs\n"
    );
    let text = std::fs::read_to_string(dir.join("repeatable_active_users_view.rs")).unwrap();
    assert!(
        text.contains("pub fn up(pgm: &mut MigrationBuilder)"),
        "{text}"
    );
    assert!(!text.contains("fn down"), "{text}");

    let again = tests::cli::front(cwd.path(), &args, &[]).expect_code(1);
    assert!(
        again.stderr.contains("already exists: edit it"),
        "{}",
        again.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("repeatable_active_users_view.rs")).unwrap(),
        text
    );
}

/// An application applying its migrations at start-up (`migrate_cli::Embedded::up`) applies the repeatables
/// after them too, and a second start applies nothing.
#[test]
fn the_application_applies_them_at_start_up() {
    let db = TestDb::new();
    let embedded = migrate_cli::Embedded::with_settings(
        &tests::fixtures::repeatable_v1::REGISTRY,
        migrate_cli::Settings::default(),
    )
    .database_url(db.url());
    let ran = embedded
        .up(migrate_core::UpTarget::All, |_| {})
        .wait()
        .expect("up");
    let names: Vec<&str> = ran.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "20260701000001_accounts",
            "repeatable_a_active_accounts",
            "repeatable_b_account_names"
        ]
    );
    let again = embedded
        .up(migrate_core::UpTarget::All, |_| {})
        .wait()
        .expect("up");
    assert!(again.is_empty(), "{again:?}");
    assert_eq!(log(&db), ["a_active_accounts", "b_account_names"]);
}

/// The order the documentation gives, a number in front of the name (`repeatable_10_views` before
/// `repeatable_20_grants`), works everywhere: `create --repeatable 10 views` writes it, the build accepts it,
/// and `up` applies the two in that order on a real database (the grant needs the view).
#[test]
fn numbered_repeatables_are_created_built_and_applied_in_order() {
    let db = TestDb::new();
    let app = tempfile::tempdir().unwrap();
    tests::cli::scaffold_app(app.path(), "numberedrepeatables");
    let target = tests::cli::e2e_target();
    let env = [
        ("DATABASE_URL", db.url()),
        ("CARGO_TARGET_DIR", target.to_str().unwrap()),
    ];
    let migrate = |args: &[&str]| tests::cli::front(app.path(), args, &env);
    let views = migrate(&["create", "--repeatable", "10", "views"]).expect_code(0);
    assert_eq!(views.stdout, "created migrations/repeatable_10_views.rs\n");
    let grants = migrate(&["create", "--repeatable", "repeatable_20_grants"]).expect_code(0);
    assert_eq!(
        grants.stdout,
        "created migrations/repeatable_20_grants.rs\n"
    );
    let dir = app.path().join("migrations");
    std::fs::write(
        dir.join("repeatable_10_views.rs"),
        "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    \
         pgm.sql(\"CREATE OR REPLACE VIEW numbered AS SELECT 1 AS one\");\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("repeatable_20_grants.rs"),
        "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {\n    \
         pgm.sql(\"GRANT SELECT ON numbered TO PUBLIC\");\n}\n",
    )
    .unwrap();
    let up = migrate(&["up"]).expect_code(0);
    let views_at = up.stdout.find("repeatable_10_views");
    let grants_at = up.stdout.find("repeatable_20_grants");
    assert!(
        views_at.is_some() && views_at < grants_at,
        "{}\n{}",
        up.stdout,
        up.stderr
    );
    assert_eq!(
        db.query_strings("SELECT name FROM public.pgmigrations_repeat ORDER BY applied_at, name"),
        [
            [Some("repeatable_10_views".to_owned())],
            [Some("repeatable_20_grants".to_owned())]
        ]
    );
}
