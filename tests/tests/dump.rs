//! Around runs: a `pg_dump` backup before `up --backup`, and the note on the schema file after a run.

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

/// A run never writes the schema file: it holds what the migrations give on an empty database, which only
/// `schema write` builds (see `schema.rs`). After a run that changed the database, a note says when the file
/// may be behind the migrations: it is missing, or older than one of their files.
#[test]
fn a_run_notes_a_schema_file_behind_the_migrations_and_writes_none() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    std::fs::write(
        cli.cwd().join("migrate.toml"),
        "schema_file = \"schema.sql\"\n",
    )
    .expect("write migrate.toml");
    let schema = cli.cwd().join("schema.sql");

    let up = cli.run(&["up"]).expect_code(0);
    assert!(
        up.stdout.contains("note: schema.sql does not exist")
            && up.stdout.contains("`migrate schema write` writes it"),
        "{}",
        up.stdout
    );
    assert!(!schema.exists(), "a run wrote the schema file");

    cli.run(&["schema", "write"]).expect_code(0);
    let down = cli.run(&["down"]).expect_code(0);
    assert!(!down.stdout.contains("note:"), "{}", down.stdout);

    // Older than every migration file, as after editing one.
    std::fs::File::options()
        .write(true)
        .open(&schema)
        .and_then(|f| {
            f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(86_400))
        })
        .expect("set the file's time");
    let up = cli.run(&["up"]).expect_code(0);
    assert!(
        up.stdout
            .contains("note: schema.sql is older than 3 migration files, the newest "),
        "{}",
        up.stdout
    );
    // A run that changes nothing says nothing.
    let again = cli.run(&["up"]).expect_code(0);
    assert!(!again.stdout.contains("note:"), "{}", again.stdout);
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

/// The schema file needs no pg_dump: with only a broken one on `PATH`, `schema write` writes it, and a run
/// says nothing on stderr.
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
    let write = cli
        .run_env(&["schema", "write"], &[("PATH", &path)])
        .expect_code(0);
    assert!(
        write.stdout.contains("schema written to"),
        "{}",
        write.stdout
    );
    assert!(write.stderr.is_empty(), "{}", write.stderr);
    assert!(cli.cwd().join("schema.sql").is_file());
    let run = cli.run_env(&["up"], &[("PATH", &path)]).expect_code(0);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

/// A schema file that cannot be written is not a run's business: `up`, `down` and `redo` write none, exit 0
/// and leave its folder alone; `schema write` fails naming it.
#[test]
fn a_schema_file_in_a_missing_folder_fails_only_schema_write() {
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
            run.stdout.contains("schema.sql does not exist"),
            "{args:?}: {}",
            run.stdout
        );
    }
    assert!(!cli.cwd().join("missing").exists());
    let write = cli.run(&["schema", "write"]).expect_code(1);
    assert!(
        write.stderr.contains("cannot write") && write.stderr.contains("missing/schema.sql"),
        "{}",
        write.stderr
    );
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
