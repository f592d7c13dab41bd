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
    let run = |template: &str| run_at(template, None);
    let mut admin_client = postgres::Client::connect(&admin, postgres::NoTls).expect("admin");
    // A first call builds the template: dropped before, so it is built here, and timed as such.
    let name = {
        let probe = run("on");
        probe[0].1.clone()
    };
    let _ = tests::drop_template(&mut admin_client, &name);
    let with_template = run("on");
    let first = with_template[0].0;
    let copied: Vec<Duration> = with_template[1..].iter().map(|(d, _)| *d).collect();
    let without: Vec<Duration> = run("off").into_iter().map(|(d, _)| d).collect();
    // The floor: the copy alone, from the bench's own open connection.
    let floor: Vec<Duration> = (0..copies.max(2) - 1)
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
    let ms = |d: Duration| format!("{:.0} ms", d.as_secs_f64() * 1000.0);
    let (copied, without, floor) = (median(copied), median(without), median(floor));
    println!("| per test database | median | against the floor |");
    println!("|---|---|---|");
    println!(
        "| the first, which builds the template | {} | {:.2}x |",
        ms(first),
        first.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "| copied from the template (the default) | {} | **{:.2}x** (target <= 1.2x) |",
        ms(copied),
        copied.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "| migrated on its own (`MIGRATE_TEST_TEMPLATE=off`) | {} | {:.2}x |",
        ms(without),
        without.as_secs_f64() / floor.as_secs_f64()
    );
    println!(
        "| the floor: `CREATE DATABASE ... TEMPLATE` of the migrated template | {} | 1.00x |",
        ms(floor)
    );

    // A database at the version in the middle (`TestDatabase::at`), against applying the migrations up to
    // it into a database of its own (what building its template does) and copying that template.
    let middle = format!("{}_create_t{}", super::scale::version(n / 2), n / 2);
    let probe = run_at("on", Some(&middle));
    let at_name = probe[0].1.clone();
    let _ = tests::drop_template(&mut admin_client, &at_name);
    let at_runs = run_at("on", Some(&middle));
    let at_first = at_runs[0].0;
    let at_copied = median(at_runs[1..].iter().map(|(d, _)| *d).collect());
    let at_without = median(
        run_at("off", Some(&middle))
            .into_iter()
            .map(|(d, _)| d)
            .collect(),
    );
    let at_floor = median(
        (0..copies.max(2) - 1)
            .map(|i| {
                let copy = format!("bench_testdb_at_floor_{}_{i}", std::process::id());
                let started = Instant::now();
                admin_client
                    .batch_execute(&format!("CREATE DATABASE {copy} TEMPLATE {at_name}"))
                    .expect("copy");
                let took = started.elapsed();
                admin_client
                    .batch_execute(&format!("DROP DATABASE {copy}"))
                    .expect("drop the copy");
                took
            })
            .collect(),
    );
    let _ = tests::drop_template(&mut admin_client, &at_name);
    println!(
        "\n`TestDatabase::at` the version in the middle ({middle}, {} of {n} migrations):\n",
        n / 2 + 1
    );
    println!("| per test database at that version | median | against |");
    println!("|---|---|---|");
    println!(
        "| copied from its template | {} | **{:.2}x** the floor (target <= 1.2x, <= 150 ms) |",
        ms(at_copied),
        at_copied.as_secs_f64() / at_floor.as_secs_f64()
    );
    println!(
        "| the first, which builds its template | {} | **{:.2}x** migrating one on its own (target <= 1x) |",
        ms(at_first),
        at_first.as_secs_f64() / at_without.as_secs_f64()
    );
    println!(
        "| migrated on its own up to it (`MIGRATE_TEST_TEMPLATE=off`) | {} | 1.00x |",
        ms(at_without)
    );
    println!(
        "| the floor: `CREATE DATABASE ... TEMPLATE` of its template | {} | 1.00x |",
        ms(at_floor)
    );
}
