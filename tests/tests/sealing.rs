//! Sealed migrations in a package set up by `migrate init`, driven only through the `migrate` commands: once
//! enough migrations exist, `create` lists the older ones in chunks (`migrations/sealed/NNNN.txt`, at most
//! `CHUNK_SIZE` each); each chunk is compiled in a crate of its own, which later builds leave alone, and the
//! registry is the same list, in the same order, as without sealing. The first layout (one `sealed.txt`, one
//! crate) keeps building and moves to chunks at its first seal. Offline, from the registry cache the
//! workspace's build fills (`tests::consumer`).

use std::path::Path;

use migrate_core::seal::{Sealed, CHUNK_SIZE, KEEP_UNSEALED, SEAL_WHEN_UNSEALED_OVER};
use tests::consumer::{cargo_unchecked, checkout, initialised_package, migrate};
use tests::TestDb;

/// `migrate create <name>`, with an `up` that creates table `<name>`; returns the file's stem.
fn create(app: &Path, db: &TestDb, name: &str) -> String {
    create_telling(app, db, name).0
}

/// [`create`], also returning what `create` printed (whether and what it sealed).
fn create_telling(app: &Path, db: &TestDb, name: &str) -> (String, String) {
    let created = migrate(app, db, &["create", name]).expect_code(0);
    let first = created.stdout.lines().next().unwrap_or_default();
    let file = app.join(
        first
            .strip_prefix("created ")
            .expect("create prints the file"),
    );
    write_migration(&file, name);
    let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
    (stem, created.stdout)
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
    let (_tmp, app) = initialised_package(&db, "sealapp");
    let list_shown = app
        .canonicalize()
        .unwrap()
        .join("migrations/sealed/0000.txt")
        .display()
        .to_string();
    assert_eq!(chunk_lists(&app), [Vec::<String>::new()]);

    // Up to the threshold nothing is sealed; one more and all but the newest few are.
    let mut names = Vec::new();
    for i in 0..SEAL_WHEN_UNSEALED_OVER {
        names.push(create(&app, &db, &format!("t{i}")));
    }
    assert_eq!(chunk_lists(&app), [Vec::<String>::new()]);
    let (stem, created) = create_telling(&app, &db, "sealing");
    assert!(created.contains("sealed "), "{}", created);
    names.push(stem);
    assert_eq!(
        chunk_lists(&app),
        [names[..names.len() - KEEP_UNSEALED].to_vec()]
    );

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
    let sealed_before = sealed_libraries("sealapp_sealed_migrations_0000");
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
        sealed_libraries("sealapp_sealed_migrations_0000"),
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
    assert!(sealed(&app).contains(&edited));
    let before = sealed_libraries("sealapp_sealed_migrations_0000");
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
        sealed_libraries("sealapp_sealed_migrations_0000"),
        before,
        "the sealed crate was not rebuilt"
    );
    // Back as `create` wrote it (the table is the name after the timestamp).
    write_migration(&app.join(format!("migrations/{edited}.rs")), &edited[15..]);
    migrate(&app, &db, &["status"]).expect_code(0);

    // Two sealed files swapped with `mv`, which keeps each file's time: both are CHANGED all the same.
    let (a, b) = (names[3].clone(), names[4].clone());
    assert!(sealed(&app).contains(&a) && sealed(&app).contains(&b));
    let file = |name: &str| app.join(format!("migrations/{name}.rs"));
    let spare = app.join("migrations.swap");
    std::fs::rename(file(&a), &spare).unwrap();
    std::fs::rename(file(&b), file(&a)).unwrap();
    std::fs::rename(&spare, file(&b)).unwrap();
    let status = migrate(&app, &db, &["status"]).expect_code(5);
    for name in [&a, &b] {
        assert!(
            status
                .stdout
                .lines()
                .any(|l| l.starts_with("CHANGED") && l.contains(name.as_str())),
            "{}\n{}",
            status.stdout,
            status.stderr
        );
    }
    std::fs::rename(file(&a), &spare).unwrap();
    std::fs::rename(file(&b), file(&a)).unwrap();
    std::fs::rename(&spare, file(&b)).unwrap();
    migrate(&app, &db, &["status"]).expect_code(0);

    // A listed migration whose file is gone stops the build, naming the list and the migration.
    let gone = names[1].clone();
    assert!(sealed(&app).contains(&gone));
    std::fs::remove_file(app.join(format!("migrations/{gone}.rs"))).unwrap();
    let status = migrate(&app, &db, &["status"]).expect_code(1);
    assert!(
        status.stderr.contains(&list_shown) && status.stderr.contains(&gone),
        "{}",
        status.stderr
    );
}

/// The compiled libraries of the crate `krate` in the shared target folder, with their modification times.
fn sealed_libraries(krate: &str) -> Vec<(std::path::PathBuf, std::time::SystemTime)> {
    let deps = tests::consumer::target_dir().join("debug/deps");
    let mut found: Vec<_> = std::fs::read_dir(&deps)
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with(&format!("lib{krate}-")) && name.ends_with(".rlib")
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

/// The package's seal lists, chunk by chunk.
fn chunk_lists(app: &Path) -> Vec<Vec<String>> {
    match Sealed::read(&app.join("migrations")).unwrap() {
        Some(Sealed::Chunked(chunks)) => chunks.into_iter().map(|c| c.list.names).collect(),
        other => panic!("not chunked: {other:?}"),
    }
}

fn sealed(app: &Path) -> Sealed {
    Sealed::read(&app.join("migrations")).unwrap().unwrap()
}

/// Migration `i` of a folder written at once, as a project that grew to that size holds it: one a second from
/// 2020-01-01 00:00:00, creating table `t<i>`. Returns its stem.
fn write_numbered(app: &Path, i: usize) -> String {
    let stem = format!(
        "202001{:02}{:02}{:02}{:02}_t{i}",
        1 + i / 86400,
        i / 3600 % 24,
        i / 60 % 60,
        i % 60
    );
    write_migration(&app.join(format!("migrations/{stem}.rs")), &format!("t{i}"));
    stem
}

/// `cargo build -v` of the runner (what `migrate up` builds, with its features and profile): which of the
/// sealed packages cargo compiled (`Compiling` or `Dirty`) and which it found fresh, by name.
fn build_verbose(app: &Path, package: &str) -> (Vec<String>, Vec<String>) {
    let out = cargo_unchecked(
        app,
        &[
            "build",
            "-v",
            "--package",
            package,
            "--bin",
            &format!("{package}-migrate"),
            "--profile",
            "dev",
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let mut compiled = Vec::new();
    let mut fresh = Vec::new();
    for line in stderr.lines() {
        let mut words = line.split_whitespace();
        let (Some(what), Some(name)) = (words.next(), words.next()) else {
            continue;
        };
        if !name.contains("-sealed-migrations") {
            continue;
        }
        match what {
            "Compiling" => compiled.push(name.to_owned()),
            "Fresh" => fresh.push(name.to_owned()),
            _ => {}
        }
    }
    compiled.sort();
    fresh.sort();
    (compiled, fresh)
}

/// More than `CHUNK_SIZE` sealed migrations make two chunks, each a crate: a later seal recompiles only the
/// chunk it appends to, editing a file of the full chunk recompiles that chunk only, the registry is the
/// folder in timestamp order throughout, and the new chunk's package is in Cargo.lock after a plain `migrate
/// up` (not `--locked`).
#[test]
fn seals_fill_chunks_and_recompile_only_the_open_one() {
    let db = TestDb::new();
    let (_tmp, app) = initialised_package(&db, "chunkapp");
    let checkout = checkout().display().to_string();

    // A project that grew past a chunk before its first seal.
    let written = CHUNK_SIZE + 20;
    let mut names: Vec<String> = (0..written).map(|i| write_numbered(&app, i)).collect();
    let (stem, created) = create_telling(&app, &db, "first_seal");
    names.push(stem);
    let sealed_count = names.len() - KEEP_UNSEALED;
    assert!(
        created.contains(&format!(
            "sealed {sealed_count} older migrations into chunks 0000 to 0001"
        )) && created.contains("sealed-migrations/chunks/0001")
            && created.contains("Cargo.lock"),
        "{}",
        created
    );
    let lists = chunk_lists(&app);
    assert_eq!(lists.len(), 2);
    assert_eq!(lists[0], names[..CHUNK_SIZE]);
    assert_eq!(lists[1], names[CHUNK_SIZE..sealed_count]);
    assert!(app
        .join("sealed-migrations/chunks/0001/Cargo.toml")
        .is_file());

    // A plain `migrate up` builds it all and adds the new chunk's package to the lockfile.
    let up = migrate(&app, &db, &["up"]).expect_code(0);
    assert!(
        up.stdout
            .contains(&format!("{} migration(s) applied", names.len())),
        "{}",
        up.stdout
    );
    let lock = std::fs::read_to_string(app.join("Cargo.lock")).unwrap();
    assert!(
        lock.contains("name = \"chunkapp-sealed-migrations-0001\""),
        "{lock}"
    );
    assert_eq!(status_names(&app, &db), names);

    // Growing to the next seal: it appends to chunk 1 only, and the build recompiles chunk 1, not chunk 0.
    let (sealing, _) = grow_until_seal(&app, &db, &mut names);
    assert!(
        sealing.contains("into chunk 0001 (") && !sealing.contains("wrote the package"),
        "{sealing}"
    );
    let lists = chunk_lists(&app);
    assert_eq!(lists[0], names[..CHUNK_SIZE], "a full chunk stays as it is");
    assert_eq!(lists[1], names[CHUNK_SIZE..names.len() - KEEP_UNSEALED]);
    let (compiled, fresh) = build_verbose(&app, "chunkapp");
    assert!(
        compiled.contains(&"chunkapp-sealed-migrations-0001".to_owned())
            && !compiled.contains(&"chunkapp-sealed-migrations-0000".to_owned())
            && fresh.contains(&"chunkapp-sealed-migrations-0000".to_owned()),
        "compiled {compiled:?}, fresh {fresh:?}"
    );
    migrate(&app, &db, &["up"]).expect_code(0);
    assert_eq!(
        status_names(&app, &db),
        names,
        "the registry is the folder in order"
    );

    // A new migration (no seal) recompiles no chunk.
    names.push(create(&app, &db, "later"));
    let (compiled, fresh) = build_verbose(&app, "chunkapp");
    assert!(
        !compiled.iter().any(|c| c.contains("-sealed-migrations-0")) && fresh.len() >= 3,
        "compiled {compiled:?}, fresh {fresh:?}"
    );

    // Editing a migration of the full chunk recompiles that chunk only; it reads as changed (its checksum
    // is computed there), and back as it was, as applied.
    let edited = names[3].clone();
    write_migration(&app.join(format!("migrations/{edited}.rs")), "edited");
    let (compiled, fresh) = build_verbose(&app, "chunkapp");
    assert!(
        compiled.contains(&"chunkapp-sealed-migrations-0000".to_owned())
            && fresh.contains(&"chunkapp-sealed-migrations-0001".to_owned()),
        "compiled {compiled:?}, fresh {fresh:?}"
    );
    let status = migrate(&app, &db, &["status"]).expect_code(5);
    assert!(
        status
            .stdout
            .lines()
            .any(|l| l.starts_with("CHANGED") && l.contains(&edited)),
        "{}",
        status.stdout
    );
    write_migration(&app.join(format!("migrations/{edited}.rs")), "t3");
    migrate(&app, &db, &["up"]).expect_code(0);
    assert_eq!(status_names(&app, &db), names);

    // `init` again: nothing to do.
    let again = migrate(&app, &db, &["init", "--crates-path", &checkout]).expect_code(0);
    assert!(again.stdout.contains("nothing to do"), "{}", again.stdout);

    // A name in two chunks (a merge of two branches that sealed it in different chunks) stops the build,
    // naming both lists.
    let twice = names[CHUNK_SIZE + 1].clone();
    let first_list = app.join("migrations/sealed/0000.txt");
    let text = std::fs::read_to_string(&first_list).unwrap();
    std::fs::write(&first_list, format!("{text}{twice}\n")).unwrap();
    // (`status` would answer from the folder and the database without building: the registry is the same.)
    let build = cargo_unchecked(&app, &["build", "--bin", "chunkapp-migrate"], &[]);
    let stderr = String::from_utf8_lossy(&build.stderr);
    assert!(
        !build.status.success()
            && stderr.contains(&format!("the migration {twice} is listed in both"))
            && stderr.contains("sealed/0000.txt")
            && stderr.contains("sealed/0001.txt"),
        "{stderr}"
    );
    std::fs::write(&first_list, text).unwrap();
    build_verbose(&app, "chunkapp");
}

/// When the last chunk has no room for another seal, the next `create` that does not seal opens the next chunk
/// ahead, empty, with its package: the build after it compiles that package and no chunk, and the next seal
/// fills it. A `create` stopped between the empty list and the package leaves a package whose next build says
/// what to run, and `migrate init` mends it.
#[test]
fn the_chunk_the_next_seal_needs_is_opened_ahead_by_a_create_that_does_not_seal() {
    let db = TestDb::new();
    let (_tmp, app) = initialised_package(&db, "aheadapp");
    let checkout = checkout().display().to_string();

    // A first seal that leaves its only chunk with no room for another (more than CHUNK_SIZE - 41).
    let mut names: Vec<String> = (0..CHUNK_SIZE - 20)
        .map(|i| write_numbered(&app, i))
        .collect();
    let (stem, created) = create_telling(&app, &db, "first_seal");
    names.push(stem);
    let in_first = names.len() - KEEP_UNSEALED;
    assert!(
        created.contains(&format!(
            "sealed {in_first} older migrations into chunk 0000"
        )),
        "{created}"
    );
    assert!(
        !created.contains("ahead"),
        "a seal opens no chunk ahead: {created}"
    );
    migrate(&app, &db, &["up"]).expect_code(0);

    // Keep the package as it is before the chunk is opened, to recreate a `create` stopped half-way below.
    let packages = app.join("sealed-migrations");
    let before = tempfile::tempdir().unwrap();
    copy_tree(&packages, before.path());

    let (stem, opened) = create_telling(&app, &db, "opens_ahead");
    names.push(stem);
    assert!(
        opened.contains("opened sealed chunk 0001 (")
            && opened.contains("ahead, empty")
            && opened.contains("sealed-migrations/chunks/0001"),
        "{opened}"
    );
    assert_eq!(chunk_lists(&app), [names[..in_first].to_vec(), Vec::new()]);
    assert!(packages.join("chunks/0001/Cargo.toml").is_file());

    // A `create` stopped after it wrote the empty list and before the package: the packages as they were
    // before, the empty list of chunk 0001 and the new migration kept. The next build stops, naming the
    // list and `migrate init`, which writes the missing package.
    let opened_packages = tempfile::tempdir().unwrap();
    copy_tree(&packages, opened_packages.path());
    restore_tree(before.path(), &packages);
    let up = migrate(&app, &db, &["up"]);
    assert!(
        up.code != 0
            && up
                .stderr
                .contains("sealed/0001.txt opens a chunk (empty, opened ahead")
            && up.stderr.contains("run `migrate init`"),
        "{}",
        up.stderr
    );
    let mended = migrate(&app, &db, &["init", "--crates-path", &checkout]).expect_code(0);
    assert!(
        mended.stdout.contains("sealed-migrations/chunks/0001"),
        "{}",
        mended.stdout
    );
    restore_tree(opened_packages.path(), &packages);
    let (compiled, fresh) = build_verbose(&app, "aheadapp");
    assert!(
        compiled.contains(&"aheadapp-sealed-migrations-0001".to_owned())
            && fresh.contains(&"aheadapp-sealed-migrations-0000".to_owned()),
        "the empty chunk's package is compiled, the full chunk left alone: compiled {compiled:?}, fresh {fresh:?}"
    );
    migrate(&app, &db, &["up"]).expect_code(0);
    assert_eq!(status_names(&app, &db), names);

    // The next seal goes into the chunk opened ahead, without writing a package, and the build compiles it
    // alone.
    let (sealing, before_seal) = grow_until_seal(&app, &db, &mut names);
    for created in before_seal.iter().chain([&sealing]) {
        assert!(
            !created.contains("opened sealed chunk"),
            "opened once: {created}"
        );
    }
    assert!(
        sealing.contains("into chunk 0001 (") && !sealing.contains("wrote the package"),
        "{sealing}"
    );
    let lists = chunk_lists(&app);
    assert_eq!(
        lists[0],
        names[..in_first],
        "a chunk with no room stays as it is"
    );
    assert_eq!(lists[1], names[in_first..names.len() - KEEP_UNSEALED]);
    let (compiled, fresh) = build_verbose(&app, "aheadapp");
    assert!(
        compiled.contains(&"aheadapp-sealed-migrations-0001".to_owned())
            && !compiled.contains(&"aheadapp-sealed-migrations-0000".to_owned())
            && fresh.contains(&"aheadapp-sealed-migrations-0000".to_owned()),
        "compiled {compiled:?}, fresh {fresh:?}"
    );
    migrate(&app, &db, &["up"]).expect_code(0);
    assert_eq!(status_names(&app, &db), names);
}

/// `migrate create` until it seals, each new migration's name added to `names`: what the sealing `create`
/// printed, and what each `create` before it printed.
fn grow_until_seal(app: &Path, db: &TestDb, names: &mut Vec<String>) -> (String, Vec<String>) {
    let mut before = Vec::new();
    for i in 0..SEAL_WHEN_UNSEALED_OVER {
        let (stem, created) = create_telling(app, db, &format!("grow{i}"));
        names.push(stem);
        if created.contains("\nsealed ") {
            return (created, before);
        }
        before.push(created);
    }
    panic!("no seal after {SEAL_WHEN_UNSEALED_OVER} new migrations: {before:?}");
}

/// Replaces `to` with a copy of `from` (see [`copy_tree`]).
fn restore_tree(from: &Path, to: &Path) {
    std::fs::remove_dir_all(to).unwrap();
    copy_tree(from, to);
}

/// Copies the files under `from` to `to`, keeping their modification times (as a backup restored would).
fn copy_tree(from: &Path, to: &Path) {
    let status = std::process::Command::new("cp")
        .args(["-a", "-T"])
        .arg(from)
        .arg(to)
        .status()
        .expect("cp runs");
    assert!(
        status.success(),
        "cp -a {} {}",
        from.display(),
        to.display()
    );
}

/// A package sealed in the first layout (`sealed.txt` compiled by the one sealed-migrations crate, as `migrate
/// init` set packages up before chunks) keeps building; its first seal moves the list into chunks, says so,
/// and the registry stays the same.
#[test]
fn the_first_layout_keeps_building_and_moves_to_chunks_at_its_first_seal() {
    let db = TestDb::new();
    let (_tmp, app) = initialised_package(&db, "oldapp");
    let checkout = checkout().display().to_string();
    // Back to the first layout: the sealed-migrations package compiling migrations/sealed.txt itself.
    std::fs::remove_dir_all(app.join("sealed-migrations")).unwrap();
    std::fs::remove_dir_all(app.join("migrations/sealed")).unwrap();
    let core = format!("{checkout}/migrate-core");
    let dsl = format!("{checkout}/migrate-dsl");
    std::fs::create_dir_all(app.join("sealed-migrations/src")).unwrap();
    std::fs::write(
        app.join("sealed-migrations/Cargo.toml"),
        format!(
            "[package]\nname = \"oldapp-sealed-migrations\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\nmigrate-core = {{ path = \"{core}\", package = \"pgm-migrate-core\" }}\n\
             migrate-dsl = {{ path = \"{dsl}\", package = \"pgm-migrate-dsl\" }}\n\n\
             [build-dependencies]\nmigrate-core = {{ path = \"{core}\", package = \"pgm-migrate-core\", default-features = false, features = [\"build\"] }}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        app.join("sealed-migrations/build.rs"),
        "fn main() {\n    migrate_core::build::compile_sealed_migrations(\"../migrations\");\n}\n",
    )
    .unwrap();
    std::fs::write(
        app.join("sealed-migrations/src/lib.rs"),
        "include!(concat!(env!(\"OUT_DIR\"), \"/migrations.rs\"));\n",
    )
    .unwrap();
    let mut names: Vec<String> = (0..70).map(|i| write_numbered(&app, i)).collect();
    std::fs::write(
        app.join("migrations/sealed.txt"),
        format!("# the first layout\n{}\n", names[..60].join("\n")),
    )
    .unwrap();
    assert!(matches!(sealed(&app), Sealed::Single(_)));
    // `init` again leaves the first layout as it is.
    let again = migrate(&app, &db, &["init", "--crates-path", &checkout]).expect_code(0);
    assert!(again.stdout.contains("nothing to do"), "{}", again.stdout);

    let up = migrate(&app, &db, &["up"]).expect_code(0);
    assert!(
        up.stdout.contains("70 migration(s) applied"),
        "{}",
        up.stdout
    );
    assert_eq!(status_names(&app, &db), names);

    // Growing to the first seal: the list moves into chunks.
    let mut sealing = None;
    for i in 0..SEAL_WHEN_UNSEALED_OVER {
        let (stem, created) = create_telling(&app, &db, &format!("grow{i}"));
        names.push(stem);
        if created.contains("\nsealed ") {
            sealing = Some(created);
            break;
        }
    }
    let sealing = sealing.expect("create sealed");
    assert!(
        sealing.contains(
            "moved the 60 migrations listed in migrations/sealed.txt to the chunked layout"
        ),
        "{sealing}"
    );
    assert!(!app.join("migrations/sealed.txt").exists());
    assert!(!app.join("sealed-migrations/build.rs").exists());
    assert!(app.join("sealed-migrations/chunks/0000/build.rs").is_file());
    assert_eq!(
        chunk_lists(&app),
        [names[..names.len() - KEEP_UNSEALED].to_vec()]
    );

    let up = migrate(&app, &db, &["up"]).expect_code(0);
    assert!(
        up.stdout
            .contains(&format!("{} migration(s) applied", names.len() - 70)),
        "{}",
        up.stdout
    );
    assert_eq!(status_names(&app, &db), names);
    let again = migrate(&app, &db, &["init", "--crates-path", &checkout]).expect_code(0);
    assert!(again.stdout.contains("nothing to do"), "{}", again.stdout);
}

/// `squash` on a chunked folder: the squashed names leave the chunk lists that held them (a chunk may end up
/// empty and still builds, compiling none), the package builds, and the database the squash was made from
/// applies nothing and lists the baseline, then the migrations after it, in order.
#[test]
fn squash_of_a_chunked_folder_leaves_lists_that_build() {
    let db = TestDb::new();
    let (_tmp, app) = initialised_package(&db, "squashapp");
    let mut names: Vec<String> = (0..CHUNK_SIZE + 20)
        .map(|i| write_numbered(&app, i))
        .collect();
    names.push(create(&app, &db, "sealing"));
    assert_eq!(chunk_lists(&app).len(), 2);
    migrate(&app, &db, &["up"]).expect_code(0);

    // Up to a migration of the second chunk: every name of the first goes, the second keeps the later ones.
    let last_squashed = CHUNK_SIZE + 5;
    let target = names[last_squashed].clone();
    migrate(&app, &db, &["squash", "--to", &target]).expect_code(0);
    let lists = chunk_lists(&app);
    assert!(lists[0].is_empty(), "{lists:?}");
    assert_eq!(
        lists[1],
        names[last_squashed + 1..names.len() - KEEP_UNSEALED]
    );
    for name in &names[..=last_squashed] {
        assert!(
            !app.join(format!("migrations/{name}.rs")).exists(),
            "{name} was squashed"
        );
    }

    build_verbose(&app, "squashapp");
    let up = migrate(&app, &db, &["up"]).expect_code(0);
    assert!(
        up.stdout.contains("as applied without running it")
            && up.stdout.contains("nothing to apply"),
        "{}",
        up.stdout
    );
    let status = status_names(&app, &db);
    assert!(
        !names.contains(&status[0]),
        "the baseline first: {status:?}"
    );
    assert_eq!(status[1..], names[last_squashed + 1..], "{status:?}");
}
