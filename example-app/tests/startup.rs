//! The application binary embeds the same migrations as the CLI and applies them at start-up under the same
//! advisory lock, so replicas starting together apply each migration once.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{addr_of, get, post_form, spawn_app, terminate, wait_for_url};
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

/// `--migrate` applies only what the chosen app phase can run with: a rolling deploy of v1 must not drop
/// the column v1 reads. A phase the schema has left behind refuses to start, saying why.
#[test]
fn migrate_at_start_up_stops_where_the_phase_would_break() {
    let db = TestDb::new();
    let v1 = app(&db, &["--migrate", "--no-serve", "--phase", "v1"]);
    assert!(
        v1.status.success(),
        "{}",
        String::from_utf8_lossy(&v1.stderr)
    );
    let applied = db.query_strings("SELECT name FROM public.pgmigrations ORDER BY name");
    assert_eq!(
        applied.last().and_then(|r| r[0].as_deref()),
        Some("20261122100300_validate_comments_body_not_null")
    );
    assert!(db.columns("comments").contains(&"contents".to_owned()));

    let v4 = app(&db, &["--migrate", "--no-serve"]);
    assert!(
        v4.status.success(),
        "{}",
        String::from_utf8_lossy(&v4.stderr)
    );
    let v1_again = app(&db, &["--no-serve", "--phase", "v1"]);
    assert_eq!(v1_again.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&v1_again.stderr);
    assert!(
        stderr.contains("app phase v1 cannot run on this database")
            && stderr.contains("drops comments.contents"),
        "{stderr}"
    );
}

/// The main job: the binary applies the migrations, prints the URL it serves on, serves the page, and
/// stops cleanly on SIGTERM.
#[test]
fn the_binary_prints_its_url_and_serves_the_page() {
    let db = TestDb::new();
    let mut child = spawn_app(|c| {
        c.args(["--migrate", "--port", "0"])
            .env("DATABASE_URL", db.url());
    });
    let stdout = child.0.stdout.take().expect("stdout");
    let (url, before) = wait_for_url(stdout, Duration::from_secs(60));
    assert!(
        before
            .iter()
            .any(|l| l.contains("applied 10 migration(s) at start-up")),
        "{before:?}"
    );
    let addr = addr_of(&url);
    assert_eq!(
        post_form(
            addr,
            "/posts",
            &[
                ("title", "Bridge"),
                ("lat", "37.8199"),
                ("lng", "-122.4783")
            ]
        )
        .status,
        303
    );
    let page = get(addr, "/");
    assert!(
        page.status == 200
            && page.body.contains("<h2>Bridge</h2>")
            && page.body.contains("at 37.81990, -122.47830")
    );
    terminate(&mut child.0);
    let status = child.0.wait().expect("the app exits");
    assert!(status.success(), "{status}");
}

/// Without `DATABASE_URL` and without PostgreSQL server binaries the app stops with a message saying how
/// to get a database.
#[test]
fn without_any_database_the_app_says_how_to_get_one() {
    let out = Command::new(env!("CARGO_BIN_EXE_example-app"))
        .args(["--migrate", "--no-serve"])
        .env_remove("DATABASE_URL")
        .env("PG_BINDIR", "/nonexistent")
        .output()
        .expect("example-app runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no database: DATABASE_URL is not set")
            && stderr.contains("apt-get install postgresql")
            && stderr.contains("DATABASE_URL=postgres://"),
        "{stderr}"
    );
}

/// Without `DATABASE_URL` the app starts a throwaway cluster (as a non-root user when run as root), says
/// so, serves the page, and stops the cluster on exit. Skipped when no server binaries are installed.
#[test]
fn without_database_url_the_app_starts_a_throwaway_cluster() {
    if example_app::database::find_server_bin().is_none() {
        println!("skipped: no PostgreSQL server binaries (initdb, pg_ctl) installed");
        return;
    }
    let mut child = spawn_app(|c| {
        c.args(["--migrate", "--port", "0"])
            .env_remove("DATABASE_URL");
    });
    let stdout = child.0.stdout.take().expect("stdout");
    let (url, before) = wait_for_url(stdout, Duration::from_secs(120));
    assert!(
        before
            .iter()
            .any(|l| l.contains("starting a throwaway PostgreSQL cluster")),
        "{before:?}"
    );
    let database = before
        .iter()
        .find_map(|l| l.strip_prefix("local database: "))
        .expect("the cluster's URL is printed")
        .to_owned();
    let addr = addr_of(&url);
    assert_eq!(
        post_form(
            addr,
            "/posts",
            &[("title", "Local"), ("lat", "1"), ("lng", "2")]
        )
        .status,
        303
    );
    assert!(get(addr, "/").body.contains("<h2>Local</h2>"));
    terminate(&mut child.0);
    let status = child.0.wait().expect("the app exits");
    assert!(status.success(), "{status}");
    // The cluster was stopped on the way out.
    let port: u16 = database
        .rsplit(':')
        .next()
        .and_then(|p| p.split('/').next())
        .and_then(|p| p.parse().ok())
        .expect("port");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "cluster still listening on {port}"
    );
}
