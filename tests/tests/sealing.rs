//! Sealed migrations in a package set up by `migrate init`, driven only through the `migrate` commands: once
//! enough migrations exist, `create` lists the older ones in `migrations/sealed.txt`; they are compiled in the
//! sealed-migrations crate, which later builds leave alone, and the registry is the same list, in the same
//! order, as without sealing. Offline, from the registry cache the workspace's build fills (`tests::consumer`).

use std::path::Path;

use migrate_core::seal::{SealList, KEEP_UNSEALED, SEAL_WHEN_UNSEALED_OVER};
use tests::cli::{front, Run};
use tests::consumer::{cargo, checkout, env};
use tests::TestDb;

/// `migrate <args>` in `dir`, the installed front end, with `DATABASE_URL` and the offline build settings.
fn migrate(dir: &Path, db: &TestDb, args: &[&str]) -> Run {
    let env = env();
    let mut vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    vars.push(("DATABASE_URL", db.url()));
    front(dir, args, &vars)
}

/// `migrate create <name>`, with an `up` that creates table `<name>`; returns the file's stem.
fn create(app: &Path, db: &TestDb, name: &str) -> String {
    let created = migrate(app, db, &["create", name]).expect_code(0);
    let first = created.stdout.lines().next().unwrap_or_default();
    let file = app.join(
        first
            .strip_prefix("created ")
            .expect("create prints the file"),
    );
    write_migration(&file, name);
    file.file_stem().unwrap().to_string_lossy().into_owned()
}

fn write_migration(file: &Path, table: &str) {
    std::fs::write(
        file,
        format!(
            "use migrate_dsl::prelude::*;\n\npub fn up(pgm: &mut MigrationBuilder) {{\n    pgm.create_table(\"{table}\", [column(\"id\", \"bigint\").primary_key()]);\n}}\n"
        ),
    )
    .unwrap();
}

/// The migration names `status` lists, in its order.
fn status_names(app: &Path, db: &TestDb) -> Vec<String> {
    let status = migrate(app, db, &["status"]).expect_code(0);
    status
        .stdout
        .lines()
        .filter_map(|line| line.split_whitespace().last())
        .filter(|word| word.len() > 15 && word.as_bytes()[..14].iter().all(u8::is_ascii_digit))
        .map(str::to_owned)
        .collect()
}

#[test]
fn create_seals_older_migrations_which_later_builds_leave_alone() {
    let db = TestDb::new();
    let tmp = tempfile::tempdir().unwrap();
    cargo(tmp.path(), &["new", "--quiet", "sealapp"]);
    let app = tmp.path().join("sealapp");
    let checkout = checkout().display().to_string();
    migrate(&app, &db, &["init", "--crates-path", &checkout]).expect_code(0);
    let list_shown = app
        .canonicalize()
        .unwrap()
        .join("migrations/sealed.txt")
        .display()
        .to_string();
    assert_eq!(
        SealList::read(&app.join("migrations"))
            .unwrap()
            .unwrap()
            .names
            .len(),
        0
    );

    // Up to the threshold nothing is sealed; one more and all but the newest few are.
    let mut names = Vec::new();
    for i in 0..SEAL_WHEN_UNSEALED_OVER {
        names.push(create(&app, &db, &format!("t{i}")));
    }
    assert!(SealList::read(&app.join("migrations"))
        .unwrap()
        .unwrap()
        .names
        .is_empty());
    let created = migrate(&app, &db, &["create", "sealing"]).expect_code(0);
    assert!(created.stdout.contains("sealed "), "{}", created.stdout);
    let file = app.join(
        created
            .stdout
            .lines()
            .next()
            .unwrap()
            .strip_prefix("created ")
            .unwrap(),
    );
    write_migration(&file, "sealing");
    names.push(file.file_stem().unwrap().to_string_lossy().into_owned());
    let list = SealList::read(&app.join("migrations")).unwrap().unwrap();
    assert_eq!(list.names, names[..names.len() - KEEP_UNSEALED]);

    // Everything applies, in timestamp order.
    let up = migrate(&app, &db, &["up"]).expect_code(0);
    assert!(
        up.stdout
            .contains(&format!("{} migration(s) applied", names.len())),
        "{}",
        up.stdout
    );
    assert_eq!(status_names(&app, &db), names);

    // A new migration rebuilds the package, not the sealed crate: its library is not written again.
    let sealed_before = sealed_libraries();
    assert!(!sealed_before.is_empty(), "the sealed crate was built");
    let runner = tests::consumer::target_dir().join("debug/sealapp-migrate");
    let runner_before = modified(&runner);
    names.push(create(&app, &db, "later"));
    let up = migrate(&app, &db, &["up"]).expect_code(0);
    assert!(
        up.stdout.contains("1 migration(s) applied"),
        "{}",
        up.stdout
    );
    assert_ne!(modified(&runner), runner_before, "the runner was rebuilt");
    assert_eq!(
        sealed_libraries(),
        sealed_before,
        "the sealed crate was rebuilt for a new migration"
    );

    // A migration older than the sealed ones (merged from another branch) is compiled with the newer ones
    // and takes its place by timestamp.
    let branch = "20000101000000_from_a_branch".to_owned();
    write_migration(
        &app.join(format!("migrations/{branch}.rs")),
        "from_a_branch",
    );
    names.insert(0, branch);
    let up = migrate(&app, &db, &["up", "--allow-out-of-order"]).expect_code(0);
    assert!(
        up.stdout.contains("1 migration(s) applied"),
        "{}",
        up.stdout
    );
    assert_eq!(status_names(&app, &db), names);

    // Editing a sealed migration rebuilds the sealed crate: its checksum (computed there) no longer matches
    // what was applied.
    let edited = names[5].clone();
    assert!(SealList::read(&app.join("migrations"))
        .unwrap()
        .unwrap()
        .contains(&edited));
    let before = sealed_libraries();
    write_migration(
        &app.join(format!("migrations/{edited}.rs")),
        "edited_after_it_ran",
    );
    let status = migrate(&app, &db, &["status"]).expect_code(5);
    let line = status
        .stdout
        .lines()
        .find(|l| l.contains(&edited))
        .unwrap_or_default();
    assert!(line.starts_with("CHANGED"), "{}", status.stdout);
    assert_ne!(
        sealed_libraries(),
        before,
        "the sealed crate was not rebuilt"
    );
    // Back as `create` wrote it (the table is the name after the timestamp).
    write_migration(&app.join(format!("migrations/{edited}.rs")), &edited[15..]);
    migrate(&app, &db, &["status"]).expect_code(0);

    // A listed migration whose file is gone stops the build, naming the list and the migration.
    let gone = names[1].clone();
    assert!(SealList::read(&app.join("migrations"))
        .unwrap()
        .unwrap()
        .contains(&gone));
    std::fs::remove_file(app.join(format!("migrations/{gone}.rs"))).unwrap();
    let status = migrate(&app, &db, &["status"]).expect_code(1);
    assert!(
        status.stderr.contains(&list_shown) && status.stderr.contains(&gone),
        "{}",
        status.stderr
    );
}

/// The sealed crate's compiled libraries in the shared target folder, with their modification times.
fn sealed_libraries() -> Vec<(std::path::PathBuf, std::time::SystemTime)> {
    let deps = tests::consumer::target_dir().join("debug/deps");
    let mut found: Vec<_> = std::fs::read_dir(&deps)
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("libsealapp_sealed_migrations-") && name.ends_with(".rlib")
        })
        .map(|path| {
            let time = modified(&path);
            (path, time)
        })
        .collect();
    found.sort();
    found
}

fn modified(path: &Path) -> std::time::SystemTime {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
