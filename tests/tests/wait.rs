//! `migrate wait` and `Embedded::wait_for_schema`: a deploy's app waits for the schema a migration job
//! applies, and a readiness check says whether this binary can serve on the database as it is.

use std::time::{Duration, Instant};

use tests::cli::FixtureCli;
use tests::TestDb;

const NOT_READY: i32 = 8;

#[test]
fn check_says_whether_this_binary_can_serve_now() {
    let db = TestDb::new();
    let cli = FixtureCli::new("phases", &db);
    let before = cli.run(&["wait", "--check"]).expect_code(NOT_READY);
    assert!(
        before.stderr.contains("not ready")
            && before.stderr.contains("20260501000001_create_posts"),
        "{}",
        before.stderr
    );
    assert!(
        db.tables().is_empty(),
        "a check creates nothing: {:?}",
        db.tables()
    );

    // The expand phase is what a release needs to serve; its contract may come after the rollout.
    cli.run(&["up", "--expand-only"]).expect_code(0);
    cli.run(&["wait", "--expand-only", "--check"])
        .expect_code(0);
    let all = cli.run(&["wait", "--check"]).expect_code(NOT_READY);
    assert!(
        all.stderr.contains("20260501000003_drop_legacy"),
        "{}",
        all.stderr
    );
    cli.run(&["wait", "--to", "20260501000002", "--check"])
        .expect_code(0);

    // A newer release's contract: this binary may not work with it, whatever it needs of its own.
    let older = FixtureCli::new("versions_r1", &db);
    cli.run(&["up"]).expect_code(0);
    let blocked = older.run(&["wait", "--check"]).expect_code(NOT_READY);
    assert!(
        blocked.stderr.contains("a newer release applied"),
        "{}",
        blocked.stderr
    );
}

#[test]
fn wait_returns_once_another_process_has_applied_the_migrations() {
    let db = TestDb::new();
    let cli = FixtureCli::new("versions_r1", &db);
    let (waited, applied) = std::thread::scope(|s| {
        let waiting = s.spawn(|| {
            let run = cli.run(&["wait", "--timeout", "60s"]);
            (run, Instant::now())
        });
        // The migration job starts a moment after the app's init container.
        std::thread::sleep(Duration::from_millis(800));
        cli.run(&["up"]).expect_code(0);
        let applied = Instant::now();
        (waiting.join().expect("the waiting thread ends"), applied)
    });
    let (run, ended) = waited;
    let run = run.expect_code(0);
    assert!(run.stdout.contains("ready"), "{}", run.stdout);
    assert!(
        run.stderr.contains("not applied yet"),
        "it said what it waited for: {}",
        run.stderr
    );
    // It cannot have been released before the job was done (the job's process exited after its commit).
    let after = ended.saturating_duration_since(applied);
    println!("wait returned {after:?} after the migration job's process exited");
}

#[test]
fn a_database_that_does_not_answer_is_waited_for_then_named() {
    let cli = FixtureCli::with_url("versions_r1", "postgres://postgres@127.0.0.1:1/nowhere");
    let run = cli.run(&["wait", "--timeout", "1s"]).expect_code(NOT_READY);
    assert!(
        run.stderr.contains("gave up after 1s") && run.stderr.contains("cannot read it"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_library_call_waits_for_the_expand_phase_and_times_out_naming_what_is_missing() {
    use migrate_cli::{Embedded, Settings};
    use migrate_core::Need;

    let db = TestDb::new();
    let app = Embedded::with_settings(&tests::fixtures::phases::REGISTRY, Settings::default())
        .database_url(db.url());
    let err = app
        .wait_for_schema(Need::ExpandPhase, Duration::from_millis(600))
        .wait()
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("20260501000002_add_slug"),
        "{err:#}"
    );
    FixtureCli::new("phases", &db)
        .run(&["up", "--expand-only"])
        .expect_code(0);
    app.wait_for_schema(Need::ExpandPhase, Duration::from_secs(5))
        .wait()
        .expect("the expand phase is applied");
}

/// A readiness check is one look, and that look connects as any connection does: within
/// `--connect-timeout`, not within a poll's quarter of a second, so a ready database whose logins are slow
/// (SCRAM on a loaded machine) is ready. The flag the timeout's message names is the one that sets it.
#[test]
fn a_check_waits_for_a_slow_login_as_long_as_the_connect_timeout() {
    let db = TestDb::new();
    FixtureCli::new("versions_r1", &db)
        .run(&["up"])
        .expect_code(0);
    let proxy =
        tests::proxy::Proxy::slow_to_answer(&db.server_address(), Duration::from_millis(700));
    let through = proxy.url_for(&format!("{}?sslmode=disable", db.url()));
    let cli = FixtureCli::with_url("versions_r1", &through);
    for _ in 0..3 {
        let ready = cli.run(&["wait", "--check"]).expect_code(0);
        assert!(ready.stdout.contains("ready"), "{}", ready.stdout);
    }
    cli.run(&["wait", "--timeout", "5s"]).expect_code(0);

    let slower =
        tests::proxy::Proxy::slow_to_answer(&db.server_address(), Duration::from_millis(2500));
    let through = slower.url_for(&format!("{}?sslmode=disable", db.url()));
    let cli = FixtureCli::with_url("versions_r1", &through);
    let late = cli
        .run(&["wait", "--check", "--connect-timeout", "1"])
        .expect_code(NOT_READY);
    assert!(
        late.stderr.contains("did not answer within 1s")
            && late.stderr.contains("--connect-timeout"),
        "{}",
        late.stderr
    );
    cli.run(&["wait", "--check", "--connect-timeout", "5"])
        .expect_code(0);
}
