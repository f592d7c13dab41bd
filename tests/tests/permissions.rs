//! Roles without the rights a run needs, and sessions that cannot write: refused before anything runs, with
//! the missing right named, so nothing is half-applied or half-recorded.

use tests::cli::{FixtureCli, Run};
use tests::role::Role;
use tests::TestDb;

fn run_as(fixture: &str, url: &str, args: &[&str]) -> Run {
    FixtureCli::with_url(fixture, url).run(args)
}

/// A role that may connect but not create anything in `public`: `up` is refused before the migrations table is
/// created, naming CREATE on schema public and the GRANT that gives it.
#[test]
fn a_role_without_create_on_the_schema_is_refused_before_anything_is_created() {
    let role;
    let db = TestDb::new();
    role = Role::new(&db, "nocreate");
    let run = run_as("basic", &role.url(&db), &["up"]).expect_code(1);
    assert!(
        run.stderr.contains(&format!(
            "role \"{}\" lacks what this run needs, so nothing was run",
            role.name
        )) && run
            .stderr
            .contains("CREATE on schema \"public\", to create \"public\".\"pgmigrations\"")
            && run
                .stderr
                .contains("GRANT USAGE, CREATE ON SCHEMA \"public\" TO"),
        "{}",
        run.stderr
    );
    assert_eq!(db.tables(), Vec::<String>::new());
}

/// The migrations table exists (made by its owner) and the role may read it but not write it: `up` is
/// refused naming INSERT on the table, before any migration runs; `down` names DELETE.
#[test]
fn a_role_without_rights_on_the_migrations_table_is_refused_naming_them() {
    let role;
    let db = TestDb::new();
    role = Role::new(&db, "noinsert");
    FixtureCli::new("basic", &db)
        .run(&["up", "1"])
        .expect_code(0);
    db.exec(&format!(
        "GRANT USAGE, CREATE ON SCHEMA public TO \"{0}\"; GRANT SELECT ON public.pgmigrations TO \"{0}\"",
        role.name
    ));
    let before = db.tables();
    let up = run_as("basic", &role.url(&db), &["up"]).expect_code(1);
    assert!(
        up.stderr
            .contains("INSERT on table \"public\".\"pgmigrations\"")
            && up.stderr.contains(&format!(
                "GRANT INSERT ON \"public\".\"pgmigrations\" TO \"{}\"",
                role.name
            ))
            && up.stderr.contains("nothing was run"),
        "{}",
        up.stderr
    );
    assert_eq!(db.tables(), before, "nothing created");
    let down = run_as("basic", &role.url(&db), &["down"]).expect_code(1);
    assert!(
        down.stderr
            .contains("DELETE on table \"public\".\"pgmigrations\""),
        "{}",
        down.stderr
    );
    let recorded = db.query_strings("SELECT count(*)::text FROM public.pgmigrations");
    assert_eq!(recorded[0][0].as_deref(), Some("1"));
}

/// The bookkeeping lives in a schema of its own that the role may use but not create in, and a migration
/// runs outside a transaction: the tables where such a migration records each step as it commits (and where
/// a failure is marked) cannot be created, so the run is refused before that migration's first statement
/// (which would otherwise commit with no way to record it).
#[test]
fn a_migration_outside_a_transaction_is_not_started_without_a_place_for_its_mark() {
    let role;
    let db = TestDb::new();
    role = Role::new(&db, "nomark");
    FixtureCli::new("concurrent", &db)
        .run(&["up", "1", "--migrations-schema", "bookkeeping"])
        .expect_code(0);
    db.exec(&format!(
        "GRANT USAGE, CREATE ON SCHEMA public TO \"{0}\"; GRANT USAGE ON SCHEMA bookkeeping TO \"{0}\"; \
         GRANT SELECT, INSERT, DELETE ON bookkeeping.pgmigrations TO \"{0}\"; ALTER TABLE events OWNER TO \"{0}\"",
        role.name
    ));
    let before = db.schema_dump();
    let run = run_as(
        "concurrent",
        &role.url(&db),
        &["up", "--migrations-schema", "bookkeeping"],
    )
    .expect_code(1);
    assert!(
        run.stderr.contains(
            "CREATE on schema \"bookkeeping\", to create \"bookkeeping\".\"pgmigrations_journal\""
        ) && run.stderr.contains(
            "CREATE on schema \"bookkeeping\", to create \"bookkeeping\".\"pgmigrations_failed\""
        ) && run.stderr.contains("commits more than once"),
        "{}",
        run.stderr
    );
    assert_eq!(db.schema_dump(), before, "nothing ran");
}

/// `default_transaction_read_only` on (here for the database; the same for a role or the server): refused
/// before anything, naming the setting.
#[test]
fn a_read_only_session_is_refused_before_anything() {
    let db = TestDb::new();
    db.exec(&format!(
        "ALTER DATABASE \"{}\" SET default_transaction_read_only = on",
        db.name()
    ));
    let run = FixtureCli::new("basic", &db).run(&["up"]).expect_code(1);
    assert!(
        run.stderr.contains("default_transaction_read_only is on")
            && run.stderr.contains("nothing was run"),
        "{}",
        run.stderr
    );
    assert_eq!(db.tables(), Vec::<String>::new());
}

/// The bookkeeping is writable but a migration's own statement needs a right the role lacks: the statement's
/// error is shown with the hint, the migration rolls back, nothing is recorded.
#[test]
fn a_migration_statement_without_its_right_rolls_back_with_a_hint() {
    let role;
    let db = TestDb::new();
    role = Role::new(&db, "nopublic");
    db.exec(&format!(
        "CREATE SCHEMA bookkeeping AUTHORIZATION \"{}\"",
        role.name
    ));
    let run = run_as(
        "basic",
        &role.url(&db),
        &["up", "--migrations-schema", "bookkeeping"],
    )
    .expect_code(1);
    assert!(
        run.stderr.contains("permission denied for schema public")
            && run.stderr.contains("lacks a right this statement needs")
            && run
                .stderr
                .contains("rolled back: nothing of this `up` was applied"),
        "{}",
        run.stderr
    );
    let recorded = db.query_strings("SELECT count(*)::text FROM bookkeeping.pgmigrations");
    assert_eq!(recorded[0][0].as_deref(), Some("0"));
}
