//! `verify`: every migration's down must undo its up, checked on a scratch database.

use tests::assert_cli_snapshot;
use tests::cli::FixtureCli;
use tests::TestDb;

#[test]
fn verify_passes_when_every_down_undoes_its_up() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    let run = cli.run(&["verify"]).expect_code(0);
    assert_cli_snapshot!("verify_ok", run, &["verify"]);
    assert!(db.tables().is_empty(), "verify touched the target database");
}

#[test]
fn verify_shows_what_a_down_leaves_behind() {
    let db = TestDb::new();
    let cli = FixtureCli::new("bad_down", &db);
    let run = cli.run(&["verify"]).expect_code(1);
    assert_cli_snapshot!("verify_diff", run, &["verify"]);
    let leftovers = db.query_strings(
        "SELECT datname::text FROM pg_database WHERE datname LIKE '%\\_verify\\_%' AND datname LIKE current_database() || '%'",
    );
    assert!(
        leftovers.is_empty(),
        "scratch database left behind: {leftovers:?}"
    );
}

// Migrations whose `down` does not run by design are skipped, with their reason, and stay
// applied so that the ones after them are checked; the run passes.
#[test]
fn verify_skips_irreversible_and_forward_only_migrations_and_checks_the_rest() {
    let db = TestDb::new();
    let cli = FixtureCli::new("verify_skips", &db);
    let run = cli.run(&["verify"]).expect_code(0);
    assert_cli_snapshot!("verify_skips", run, &["verify"]);
    let lines: Vec<&str> = run.stdout.lines().collect();
    for checked in [
        "ok    20260701000001_create_accounts",
        "ok    20260701000003_add_email",
        "ok    20260701000006_add_flag",
    ] {
        assert!(
            lines.contains(&checked),
            "{checked} missing:\n{}",
            run.stdout
        );
    }
    for skipped in [
        "20260701000002_archive_notes",
        "20260701000004_index_email",
        "20260701000005_drop_archive",
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("skip  {skipped}: "))),
            "{skipped} not listed as skipped:\n{}",
            run.stdout
        );
    }
    assert!(db.tables().is_empty(), "verify touched the target database");
}
