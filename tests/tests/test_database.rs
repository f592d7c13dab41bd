//! `migrate_cli::testing::TestDatabase`, the helper for applications' own tests: a fresh database with the
//! migrations applied, dropped afterwards, in plain and async tests. (The consumer crate of `new_user.rs` runs
//! the guide's example of it, docs/testing.md.)

use migrate_cli::testing::TestDatabase;
use migrate_cli::Settings;
use tests::fixtures;

fn settings() -> Settings {
    Settings {
        database_url: Some(tests::admin_url_from_env()),
        ..Settings::default()
    }
}

fn database_exists(name: &str) -> bool {
    let mut admin =
        postgres::Client::connect(&tests::admin_url_from_env(), postgres::NoTls).expect("admin");
    admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .expect("query")
        .is_some()
}

#[test]
fn a_fresh_database_with_the_migrations_applied_is_dropped_afterwards() {
    let db = TestDatabase::with_settings(&fixtures::basic::REGISTRY, settings()).expect("created");
    let name = db.name().to_owned();
    assert!(name.starts_with("migrate_test_"), "{name}");
    let mut client = db.client().expect("client");
    client
        .execute("INSERT INTO users (email) VALUES ($1)", &[&"a@example.com"])
        .expect("the migrations' table is there");
    let applied: i64 = client
        .query_one("SELECT count(*) FROM public.pgmigrations", &[])
        .expect("count")
        .get(0);
    assert_eq!(applied, 3);
    // The URL is for the code under test's own connections.
    let mut other = postgres::Client::connect(db.url(), postgres::NoTls).expect("url connects");
    let current: String = other
        .query_one("SELECT current_database()::text", &[])
        .expect("query")
        .get(0);
    assert_eq!(current, name);

    // Two at once do not share anything.
    let second =
        TestDatabase::with_settings(&fixtures::basic::REGISTRY, settings()).expect("second");
    assert_ne!(second.name(), name);

    // Dropped with open connections: they are ended.
    drop(db);
    assert!(!database_exists(&name));
    drop(client);
    drop(other);
}

#[test]
fn a_failing_migration_is_an_error_and_leaves_no_database_behind() {
    let err = TestDatabase::with_settings(&fixtures::failing::REGISTRY, settings()).unwrap_err();
    let message = format!("{err:#}");
    let name = message
        .split("test database ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .expect("the error names the database")
        .to_owned();
    assert!(name.starts_with("migrate_test_"), "{message}");
    assert!(!database_exists(&name), "{name} was left behind");
}

#[tokio::test]
async fn works_in_async_tests() {
    let db = TestDatabase::with_settings(&fixtures::basic::REGISTRY, settings()).expect("created");
    // The code under test connects asynchronously with the URL.
    let (client, connection) = tokio_postgres::connect(db.url(), tokio_postgres::NoTls)
        .await
        .expect("connect");
    let task = tokio::spawn(connection);
    let row = client
        .query_one("SELECT count(*) FROM users", &[])
        .await
        .expect("query");
    assert_eq!(row.get::<_, i64>(0), 0);
    drop(client);
    let _ = task.await;
    let name = db.name().to_owned();
    drop(db); // on the runtime's thread: must not panic
    assert!(!tokio::task::spawn_blocking(move || database_exists(&name))
        .await
        .unwrap());
}
