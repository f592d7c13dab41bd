//! Squash: a generated crate squashed by the command, checked against the unsquashed schema

use super::*;

pub(super) fn describe(db: &TestDb) -> String {
    migrate_core::schema::describe(&mut db.client(), &migrate_core::MigrationsTable::default())
        .expect("describe")
        .render()
}

pub(super) fn bench_squash(n: usize) {
    assert!(n >= 3, "squash needs at least 3 generated migrations");
    println!(
        "\n## squash: a generated crate of {n} migrations, squashed up to the one before the last\n"
    );
    let files: Vec<(String, String)> = (0..n)
        .map(|i| tests::generated::migration_file(i, &version(i)))
        .collect();
    let dir = scaffold("bench-squash", &files);
    let started = Instant::now();
    let bin = build_release(&dir, "bench-squash");
    let build_before = started.elapsed();
    let applied = TestDb::new();
    let (up_all, _) = timed(&mut runner(&bin, &dir, &applied, &["up"]));
    let unsquashed = describe(&applied);
    let target = version(n - 2);
    let (squash_took, squash_rss) = timed(&mut runner(
        &bin,
        &dir,
        &applied,
        &["squash", "--to", &target],
    ));
    let left = std::fs::read_dir(dir.join("migrations"))
        .expect("migrations folder")
        .count();
    let baseline_bytes =
        std::fs::metadata(dir.join("migrations").join(format!("{target}_baseline.rs")))
            .expect("the baseline file")
            .len();
    let started = Instant::now();
    let bin = build_release(&dir, "bench-squash");
    let build_after = started.elapsed();
    let fresh = TestDb::new();
    let (up_fresh, _) = timed(&mut runner(&bin, &dir, &fresh, &["up"]));
    assert_eq!(
        describe(&fresh),
        unsquashed,
        "the baseline and the last migration give another schema than the {n} migrations"
    );
    let (record, _) = timed(&mut runner(&bin, &dir, &applied, &["up"]));
    assert_eq!(
        describe(&applied),
        unsquashed,
        "recording the baseline changed the schema"
    );
    let rows = applied.query_strings("SELECT name FROM pgmigrations");
    assert_eq!(rows.len(), 2, "{rows:?}");

    println!("| measure | result |");
    println!("|---|---|");
    println!(
        "| build the runner with {n} migrations (cold for this crate) | {} |",
        ms(build_before)
    );
    println!(
        "| `up`: apply {n} migrations to an empty database | {} |",
        ms(up_all)
    );
    println!(
        "| `squash --to` the one before the last: 2 scratch databases, {} migrations applied, SQL read back and checked | {} (peak memory {}) |",
        n - 1,
        ms(squash_took),
        kib(squash_rss)
    );
    println!(
        "| files left | {left} (baseline {:.0} KiB + the last migration) |",
        baseline_bytes as f64 / 1024.0
    );
    println!(
        "| rebuild the runner after the squash (incremental) | {} |",
        ms(build_after)
    );
    println!(
        "| `up` on an empty database: the baseline + 1 migration | {} ({:.1}× faster than {n} migrations); schema equal |",
        ms(up_fresh),
        up_all.as_secs_f64() / up_fresh.as_secs_f64()
    );
    println!(
        "| `up` on the database that applied all {n}: baseline recorded without running | {} ; schema unchanged, 2 rows left |",
        ms(record)
    );
}
