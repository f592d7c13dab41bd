//! `pg_dump` around runs: a backup before `up --backup`, and the schema file written after a run.

use tests::cli::FixtureCli;
use tests::TestDb;

#[test]
fn up_backup_dumps_the_database_first_and_only_when_there_is_something_to_apply() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    let dir = tempfile::tempdir().expect("temp dir");
    let backups = dir.path().join("backups");
    let backups_arg = backups.to_string_lossy().into_owned();

    let up = cli.run(&["up", "--backup", &backups_arg]).expect_code(0);
    assert!(up.stdout.contains("backed up "), "{}", up.stdout);
    let files: Vec<_> = std::fs::read_dir(&backups)
        .expect("backup folder")
        .collect();
    assert_eq!(files.len(), 1);
    let file = files[0].as_ref().expect("entry").path();
    let bytes = std::fs::read(&file).expect("backup file");
    assert!(
        bytes.starts_with(b"PGDMP"),
        "not a pg_dump custom-format file"
    );

    let again = cli.run(&["up", "--backup", &backups_arg]).expect_code(0);
    assert!(!again.stdout.contains("backed up"), "{}", again.stdout);
    assert_eq!(
        std::fs::read_dir(&backups).expect("backup folder").count(),
        1
    );
}

#[test]
fn a_failed_backup_stops_the_run_before_any_change() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    let dir = tempfile::tempdir().expect("temp dir");
    let not_a_folder = dir.path().join("file");
    std::fs::write(&not_a_folder, "x").expect("write");
    let run = cli
        .run(&["up", "--backup", &not_a_folder.to_string_lossy()])
        .expect_code(1);
    assert!(
        run.stderr.contains("backup failed; nothing was applied"),
        "{}",
        run.stderr
    );
    assert!(db.tables().is_empty(), "{:?}", db.tables());
}

#[test]
fn the_schema_file_follows_every_run() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    std::fs::write(
        cli.cwd().join("migrate.toml"),
        "schema_file = \"schema.sql\"\n",
    )
    .expect("write migrate.toml");
    let schema = cli.cwd().join("schema.sql");

    let up = cli.run(&["up"]).expect_code(0);
    assert!(up.stdout.contains("schema written to"), "{}", up.stdout);
    let after_up = std::fs::read_to_string(&schema).expect("schema.sql");
    insta::assert_snapshot!("schema_file_after_up", after_up);
    assert!(
        !after_up.contains("pgmigrations"),
        "bookkeeping is left out"
    );

    cli.run(&["down"]).expect_code(0);
    let after_down = std::fs::read_to_string(&schema).expect("schema.sql");
    assert!(after_up.contains("CREATE TABLE public.posts"));
    assert!(
        !after_down.contains("CREATE TABLE public.posts"),
        "{after_down}"
    );

    // A run that changes nothing leaves the file alone.
    let status = cli.run(&["up", "--dry-run"]).expect_code(0);
    assert!(
        !status.stdout.contains("schema written"),
        "{}",
        status.stdout
    );
}
