//! Test-database: `TestDatabase` copying its template, next to migrating each database and to the bare copy

use super::*;

/// The generated crate's program: `copies` test databases made one after the other, each creation timed (not
/// its drop); prints the microseconds and the template of each.
pub(super) const TEST_DATABASE_PROGRAM: &str = "fn main() {
    let copies: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    // A migration's name: databases at that version (`TestDatabase::at`), else at the latest.
    let at = std::env::args().nth(2);
    for _ in 0..copies {
        let started = std::time::Instant::now();
        let db = match &at {
            Some(name) => migrate_cli::testing::TestDatabase::at(&bench_testdb::migrations::REGISTRY, name),
            None => migrate_cli::testing::TestDatabase::new(&bench_testdb::migrations::REGISTRY),
        }
        .expect(\"a test database\");
        let took = started.elapsed();
        println!(\"{} {}\", took.as_micros(), db.template().unwrap_or(\"-\"));
    }
}
";

pub(super) fn bench_test_database(n: usize, copies: usize) {
    println!("\n## test databases: `TestDatabase::new` with {n} migrations, {copies} in a row each way\n");
    let dir = scaffold("bench-testdb", &table_migrations(n));
    std::fs::write(dir.join("src/main.rs"), TEST_DATABASE_PROGRAM).expect("main.rs");
    let bin = build_release(&dir, "bench-testdb");
    let admin = tests::admin_url_from_env();
    let run_at = |template: &str, at: Option<&str>| -> Vec<(Duration, String)> {
        let out = Command::new(&bin)
            .arg(copies.to_string())
            .args(at)
            .current_dir(&dir)
            .env("DATABASE_URL", &admin)
            .env("MIGRATE_TEST_TEMPLATE", template)
            .output()
            .expect("the test-database program");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|line| {
                let (micros, template) = line.split_once(' ').expect("micros template");
                (
                    Duration::from_micros(micros.parse().expect("micros")),
                    template.to_owned(),
                )
            })
            .collect()
    };
    let mut admin_client = postgres::Client::connect(&admin, postgres::NoTls).expect("admin");
    // Each way at a version (`None`: the latest), its template dropped after.
    let mut measure = |at: Option<&str>| -> Measured {
        // A first call builds the template: dropped before, so it is built here, and timed as such.
        let name = run_at("on", at)[0].1.clone();
        let _ = tests::drop_template(&mut admin_client, &name);
        let with_template = run_at("on", at);
        let without = run_at("off", at).into_iter().map(|(d, _)| d).collect();
        // The floor: the copy alone, from the bench's own open connection.
        let floor = (0..copies.max(2) - 1)
            .map(|i| {
                let copy = format!("bench_testdb_floor_{}_{i}", std::process::id());
                let started = Instant::now();
                admin_client
                    .batch_execute(&format!("CREATE DATABASE {copy} TEMPLATE {name}"))
                    .expect("copy");
                let took = started.elapsed();
                admin_client
                    .batch_execute(&format!("DROP DATABASE {copy}"))
                    .expect("drop the copy");
                took
            })
            .collect();
        let _ = tests::drop_template(&mut admin_client, &name);
        Measured {
            first: with_template[0].0,
            copied: median(with_template[1..].iter().map(|(d, _)| *d).collect()),
            without: median(without),
            floor: median(floor),
        }
    };
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);

    let latest = measure(None);
    println!("| per test database | median | against the floor |");
    println!("|---|---|---|");
    println!(
        "| the first, which builds the template | {} | {:.2}x |",
        ms(latest.first),
        latest.first.as_secs_f64() / latest.floor.as_secs_f64()
    );
    println!(
        "| copied from the template (the default) | {} | **{:.2}x** (target <= 1.2x) |",
        ms(latest.copied),
        latest.copied.as_secs_f64() / latest.floor.as_secs_f64()
    );
    println!(
        "| migrated on its own (`MIGRATE_TEST_TEMPLATE=off`) | {} | {:.2}x |",
        ms(latest.without),
        latest.without.as_secs_f64() / latest.floor.as_secs_f64()
    );
    println!(
        "| the floor: `CREATE DATABASE ... TEMPLATE` of the migrated template | {} | 1.00x |",
        ms(latest.floor)
    );

    // A database at the version in the middle (`TestDatabase::at`), against applying the migrations up to
    // it into a database of its own (what building its template does) and copying that template.
    let middle = format!("{}_create_t{}", super::scale::version(n / 2), n / 2);
    let at = measure(Some(&middle));
    println!(
        "\n`TestDatabase::at` the version in the middle ({middle}, {} of {n} migrations):\n",
        n / 2 + 1
    );
    println!("| per test database at that version | median | against |");
    println!("|---|---|---|");
    println!(
        "| copied from its template | {} | **{:.2}x** the floor (target <= 1.2x, <= 150 ms) |",
        ms(at.copied),
        at.copied.as_secs_f64() / at.floor.as_secs_f64()
    );
    println!(
        "| the first, which builds its template | {} | **{:.2}x** migrating one on its own (target <= 1x) |",
        ms(at.first),
        at.first.as_secs_f64() / at.without.as_secs_f64()
    );
    println!(
        "| migrated on its own up to it (`MIGRATE_TEST_TEMPLATE=off`) | {} | 1.00x |",
        ms(at.without)
    );
    println!(
        "| the floor: `CREATE DATABASE ... TEMPLATE` of its template | {} | 1.00x |",
        ms(at.floor)
    );
}

/// The medians of one way of making test databases at a version.
struct Measured {
    /// The first database, which builds the template.
    first: Duration,
    /// The later ones, copies of it.
    copied: Duration,
    /// Each migrated on its own (`MIGRATE_TEST_TEMPLATE=off`).
    without: Duration,
    /// `CREATE DATABASE ... TEMPLATE` of the template alone.
    floor: Duration,
}
