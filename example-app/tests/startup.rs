//! The application binary embeds the same migrations as the CLI and applies them at start-up under the same
//! advisory lock, so replicas starting together apply each migration once.

use std::process::Command;

use tests::TestDb;

fn app(db: &TestDb, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_example-app"))
        .args(args)
        .env("DATABASE_URL", db.url())
        .output()
        .expect("example-app runs")
}

#[test]
fn start_up_applies_the_embedded_migrations_once() {
    let db = TestDb::new();
    let refused = app(&db, &["--no-serve"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("pending; run with --migrate"));

    // Four replicas start at once.
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url().to_owned();
            std::thread::spawn(move || {
                Command::new(env!("CARGO_BIN_EXE_example-app"))
                    .args(["--migrate", "--no-serve"])
                    .env("DATABASE_URL", url)
                    .output()
                    .expect("example-app runs")
            })
        })
        .collect();
    for h in handles {
        let out = h.join().expect("thread");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let names = db.query_strings("SELECT name FROM public.pgmigrations");
    let embedded: Vec<&str> = example_app::migrations::MIGRATIONS
        .iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(
        names.len(),
        embedded.len(),
        "each migration recorded exactly once"
    );
    assert!(db.tables().contains(&"public.posts".to_owned()));

    let again = app(&db, &["--migrate", "--no-serve"]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("applied 0 migration(s)"));
}
