//! Migrations that depend on the server's PostgreSQL major: `since_pg` takes the connected server's branch
//! (and `sql` shows both), and an option the server lacks stops the run before anything changes. The
//! assertions follow the server the tests run on, so the version matrix (`.ci/pg-matrix`) checks each
//! branch on the majors that take it.

use tests::assert_cli_snapshot;
use tests::cli::FixtureCli;
use tests::TestDb;

#[test]
fn sql_shows_both_branches_of_since_pg_without_a_database() {
    let cli = FixtureCli::with_url("since_pg", "postgres://nobody@127.0.0.1:1/none");
    let args = ["sql", "20270601000001"];
    let run = cli.run(&args).expect_code(0);
    assert_cli_snapshot!("since_pg_sql", run, &args);
    let args = ["sql", "--down", "20270601000001"];
    let run = cli.run(&args).expect_code(0);
    assert_cli_snapshot!("since_pg_sql_down", run, &args);
}

#[test]
fn since_pg_takes_the_branch_of_the_connected_server_up_and_down() {
    let db = TestDb::new();
    let major = db.server_major();
    let cli = FixtureCli::new("since_pg", &db);

    // The plan for this server shows both branches and says which one runs.
    let plan = cli.run(&["up", "--dry-run"]).expect_code(0);
    let first = if major >= 15 { "runs" } else { "not run" };
    let second = if major >= 15 { "not run" } else { "runs" };
    for expected in [
        format!("-- since_pg(15): on PostgreSQL 15 or newer; {first}, the server is PostgreSQL {major}:"),
        format!("-- since_pg(15) otherwise: on PostgreSQL older than 15; {second}, the server is PostgreSQL {major}:"),
    ] {
        assert!(plan.stdout.contains(&expected), "{expected}\nnot in:\n{}", plan.stdout);
    }

    cli.run(&["up"]).expect_code(0);
    let mut expected = vec!["id"];
    expected.push(if major >= 15 { "since_15" } else { "before_15" });
    if major >= 16 {
        expected.push("since_16");
    }
    assert_eq!(db.columns("events"), expected, "on PostgreSQL {major}");
    let indexes = db.query_strings(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'events' AND indexname <> 'events_pkey'",
    );
    let want: Vec<Vec<Option<String>>> = if major >= 15 {
        vec![vec![Some("events_since_15_unique_index".to_owned())]]
    } else {
        Vec::new()
    };
    assert_eq!(indexes, want, "on PostgreSQL {major}");

    // The derived down reverses the branch that ran.
    cli.run(&["down"]).expect_code(0);
    assert_eq!(db.tables(), ["public.pgmigrations"]);
}

#[test]
fn an_option_the_server_lacks_stops_the_run_before_anything_changes() {
    let db = TestDb::new();
    let major = db.server_major();
    let cli = FixtureCli::new("needs_pg15", &db);
    let up = cli.run(&["up"]);
    if major >= 15 {
        up.expect_code(0);
        assert_eq!(db.tables(), ["public.pgmigrations", "public.users"]);
        return;
    }
    let up = up.expect_code(1);
    let message = format!(
        "operation #1 (create_index): NULLS NOT DISTINCT needs PostgreSQL 15 or newer, but the server is PostgreSQL {major}"
    );
    assert!(
        up.stderr.contains(&message),
        "{message}\nnot in:\n{}",
        up.stderr
    );
    assert!(
        up.stderr.contains("20270602000002_unique_email"),
        "{}",
        up.stderr
    );
    // Planned before anything ran: not even the first migration (or the bookkeeping table) is there.
    assert!(db.tables().is_empty(), "{:?}", db.tables());
}

#[test]
fn lint_reads_the_pg_version_from_a_database_given_on_the_command_line() {
    let db = TestDb::new();
    let major = db.server_major();
    // DATABASE_URL alone (CI sets it for the other commands) does not make lint connect: the default, 15.
    let cli = FixtureCli::with_url("since_pg", "postgres://nobody@127.0.0.1:1/none");
    let run = cli.run(&["lint"]).expect_code(0);
    assert!(
        run.stdout.contains("lint (up, PostgreSQL 15)"),
        "{}",
        run.stdout
    );
    // --database-url typed on the command line: the server's major.
    let run = cli
        .run(&["lint", "--database-url", db.url()])
        .expect_code(0);
    let expected = format!("lint (up, PostgreSQL {major})");
    assert!(
        run.stdout.contains(&expected),
        "{expected}\nnot in:\n{}",
        run.stdout
    );
    // An explicit --pg-version wins.
    let run = cli
        .run(&["lint", "--database-url", db.url(), "--pg-version", "14"])
        .expect_code(0);
    assert!(
        run.stdout.contains("lint (up, PostgreSQL 14)"),
        "{}",
        run.stdout
    );
    // A server that cannot be reached is an error, not a silent default.
    let run = cli
        .run(&[
            "lint",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
        ])
        .expect_code(1);
    assert!(run.stderr.contains("pass --pg-version"), "{}", run.stderr);
}

/// A gate at or below the oldest supported major (13) is taken by every supported server.
/// `sql` without a database shows its `otherwise` as comment lines and says why, `lint` notes it (exit 0: it is
/// dead code, not a hazard), and a run takes the first branch.
#[test]
fn a_gate_every_supported_server_takes_is_shown_as_such() {
    let cli = FixtureCli::with_url("since_pg_old", "postgres://nobody@127.0.0.1:1/none");
    let args = ["sql", "20270701000001"];
    let run = cli.run(&args).expect_code(0);
    assert_cli_snapshot!("since_pg_old_sql", run, &args);
    let run = cli.run(&["lint"]).expect_code(0);
    assert!(
        run.stdout.contains(
            "since_pg(12): every supported server takes the first branch (PostgreSQL 13 is the oldest \
             supported), so its `otherwise` never runs"
        ),
        "{}",
        run.stdout
    );

    let db = TestDb::new();
    FixtureCli::new("since_pg_old", &db)
        .run(&["up"])
        .expect_code(0);
    assert_eq!(db.columns("events"), ["id", "generated"]);
    let generated = db.query_strings(
        "SELECT attgenerated FROM pg_attribute WHERE attrelid = 'events'::regclass AND attname = 'generated'",
    );
    assert_eq!(
        generated[0][0].as_deref(),
        Some("s"),
        "the first branch ran"
    );
}
