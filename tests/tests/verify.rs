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
