//! The example app's migrations pass their own review tools: `lint` finds nothing unsilenced, `verify`
//! proves every `down` undoes its `up`, and the committed schema file is what the migrations give.

use std::process::Command;

use tests::TestDb;

fn runner(db: &TestDb, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_example-app-migrate"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DATABASE_URL", db.url())
        .env(
            "MIGRATIONS_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"),
        )
        .output()
        .expect("the runner binary")
}

#[test]
fn the_story_lints_clean_and_every_down_undoes_its_up() {
    let db = TestDb::new();
    let lint = runner(&db, &["lint"]);
    let text = String::from_utf8_lossy(&lint.stdout);
    assert_eq!(
        lint.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&lint.stderr)
    );
    assert!(text.contains("no findings in"), "{text}");

    let verify = runner(&db, &["verify"]);
    let text = String::from_utf8_lossy(&verify.stdout);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(text.contains("every down undoes its up"), "{text}");
    assert!(
        db.tables().is_empty(),
        "verify works on a scratch database only"
    );
}

/// `example-app/schema.sql` (the `schema_file` of the repository's migrate.toml) matches the migrations; after
/// changing them, `cargo run -p migrate-cli -- schema write` rewrites it.
#[test]
fn the_committed_schema_file_matches_the_migrations() {
    let db = TestDb::new();
    let check = runner(&db, &["schema", "check"]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(
        db.tables().is_empty(),
        "schema check works on a scratch database only"
    );
}
