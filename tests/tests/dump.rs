//! Around runs: a `pg_dump` backup before `up --backup`, and the schema file written after a run.

use tests::cli::FixtureCli;
use tests::TestDb;

#[test]
fn up_backup_dumps_the_database_first_and_only_when_there_is_something_to_apply() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    let dir = tempfile::tempdir().expect("temp dir");
    let backups = dir.path().join("backups");
    let backups_arg = backups.to_string_lossy().into_owned();

    if !tests::pg_versions::can_back_up(&db) {
        let refused = cli.run(&["up", "--backup", &backups_arg]).expect_code(1);
        assert!(
            refused
                .stderr
                .contains("no pg_dump at least as new as the server"),
            "{}",
            refused.stderr
        );
        assert!(db.tables().is_empty(), "{:?}", db.tables());
        return;
    }
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
    assert!(after_up.contains("\ntable public.posts\n"));
    assert!(!after_down.contains("table public.posts"), "{after_down}");

    // A run that changes nothing leaves the file alone.
    let status = cli.run(&["up", "--dry-run"]).expect_code(0);
    assert!(
        !status.stdout.contains("schema written"),
        "{}",
        status.stdout
    );
}

/// A folder holding a `pg_dump` that fails, as one older than the server does.
fn failing_pg_dump() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("pg_dump");
    std::fs::write(
        &script,
        "#!/bin/sh\necho 'pg_dump: error: server version: 99.0; pg_dump version: 15.0' >&2\nexit 1\n",
    )
    .expect("write pg_dump");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

/// `--backup` refuses to apply anything when the pg_dump it must use cannot dump the server, naming it.
#[test]
fn a_backup_with_an_unusable_pg_dump_stops_the_run_before_any_change() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    let bin = failing_pg_dump();
    let pg_dump = bin.path().join("pg_dump");
    let backup_dir = cli.cwd().join("backups");
    let run = cli
        .run_env(
            &["up", "--backup", &backup_dir.to_string_lossy()],
            &[("PG_DUMP", &pg_dump.to_string_lossy())],
        )
        .expect_code(1);
    assert!(
        run.stderr.contains("backup failed; nothing was applied")
            && run
                .stderr
                .contains("PG_DUMP names a pg_dump that cannot dump")
            && run.stderr.contains(&*pg_dump.to_string_lossy()),
        "{}",
        run.stderr
    );
    assert!(db.tables().is_empty(), "{:?}", db.tables());
    assert!(!backup_dir.exists());
}

/// The schema file needs no pg_dump: with only a broken one on `PATH`, every run writes it.
#[test]
fn the_schema_file_does_not_need_pg_dump() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    std::fs::write(
        cli.cwd().join("migrate.toml"),
        "schema_file = \"schema.sql\"\n",
    )
    .expect("write migrate.toml");
    let bin = failing_pg_dump();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = cli.run_env(&["up"], &[("PATH", &path)]).expect_code(0);
    assert!(run.stdout.contains("schema written to"), "{}", run.stdout);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    assert!(cli.cwd().join("schema.sql").is_file());
}

/// The migrations are committed before the schema file is written: when writing it fails, the run still
/// prints its summary and exits 0, and a warning says the file was not written, why and what to do.
#[test]
fn a_schema_file_failure_is_a_warning_after_the_summary() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    // A folder that does not exist: the file cannot be written.
    std::fs::write(
        cli.cwd().join("migrate.toml"),
        "schema_file = \"missing/schema.sql\"\n",
    )
    .expect("write migrate.toml");

    for (args, summary) in [
        (&["up"][..], "3 migration(s) applied"),
        (&["down"][..], "1 migration(s) reverted"),
        (&["redo"][..], "1 migration(s) redone"),
    ] {
        let run = cli.run(args);
        assert_eq!(run.code, 0, "{args:?}\n{}\n{}", run.stdout, run.stderr);
        assert!(run.stdout.contains(summary), "{args:?}: {}", run.stdout);
        assert!(
            run.stderr.contains("warning: the run is committed")
                && run.stderr.contains("schema.sql was not written")
                && run.stderr.contains("migrate schema write"),
            "{args:?}: {}",
            run.stderr
        );
    }
    assert!(!cli.cwd().join("missing").exists());
}

/// A pg_dump first on `PATH` that is older than the server is passed over for a new enough one in
/// `/usr/lib/postgresql/<major>/bin` (on Debian, where each major's tools live there).
#[test]
fn up_backup_passes_over_an_older_pg_dump_on_path() {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    let bin = tempfile::tempdir().expect("temp dir");
    let script = bin.path().join("pg_dump");
    std::fs::write(
        &script,
        "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'pg_dump (PostgreSQL) 9.6.24'; exit 0; fi\n\
         echo 'the old pg_dump must not be used' >&2\nexit 1\n",
    )
    .expect("write pg_dump");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let backups = cli.cwd().join("backups");
    let run = cli.run_env(
        &["up", "--backup", &backups.to_string_lossy()],
        &[("PATH", &path)],
    );
    let server = db.server_major();
    let versioned = (server..100).any(|major| {
        std::path::Path::new(&format!("/usr/lib/postgresql/{major}/bin/pg_dump")).is_file()
    });
    if !versioned {
        eprintln!(
            "note: no /usr/lib/postgresql/<major>/bin/pg_dump for PostgreSQL {server} or newer: checking the refusal"
        );
        let run = run.expect_code(1);
        assert!(
            run.stderr
                .contains(&format!("{} is version 9", script.display())),
            "{}",
            run.stderr
        );
        return;
    }
    let run = run.expect_code(0);
    assert!(run.stdout.contains("backed up "), "{}", run.stdout);
    assert_eq!(std::fs::read_dir(&backups).expect("backups").count(), 1);
}
