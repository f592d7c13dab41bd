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
    // The migrations run into the template, which is not left behind half-built.
    let name = message
        .split("test template ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .expect("the error names the template")
        .to_owned();
    assert!(name.starts_with("migrate_tpl_"), "{message}");
    assert!(!database_exists(&name), "{name} was left behind");
}

/// Settings whose bookkeeping table has a name of this test's own: a template no other test shares.
fn settings_with_own_table(table: &str) -> Settings {
    Settings {
        table: migrate_core::MigrationsTable::new("public", table).expect("table name"),
        ..settings()
    }
}

fn template_oid(name: &str) -> Option<u32> {
    let mut admin =
        postgres::Client::connect(&tests::admin_url_from_env(), postgres::NoTls).expect("admin");
    admin
        .query_opt(
            "SELECT oid FROM pg_database WHERE datname = $1 AND datistemplate",
            &[&name],
        )
        .expect("query")
        .map(|row| row.get(0))
}

fn drop_template(name: &str) {
    let mut admin =
        postgres::Client::connect(&tests::admin_url_from_env(), postgres::NoTls).expect("admin");
    tests::drop_template(&mut admin, name).expect("drop the template");
}

/// Test databases are copies of a template migrated once per set of migrations: the same migrations and
/// bookkeeping table share it (it is not built again), others get their own; many tests starting at once
/// build it once.
#[test]
fn copies_share_a_template_per_set_of_migrations() {
    let table = format!("tpl_{}", std::process::id());
    let dbs: Vec<TestDatabase> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    TestDatabase::with_settings(
                        &fixtures::basic::REGISTRY,
                        settings_with_own_table(&table),
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread").expect("created at once"))
            .collect()
    });
    let template = dbs[0]
        .template()
        .expect("copied from a template")
        .to_owned();
    assert!(template.starts_with("migrate_tpl_"), "{template}");
    assert!(dbs
        .iter()
        .all(|db| db.template() == Some(template.as_str())));
    let oid = template_oid(&template).expect("the template is marked as one");

    // Each copy has the migrations applied, recorded in the table of these settings.
    for db in &dbs {
        let mut client = db.client().expect("client");
        let applied: i64 = client
            .query_one(&format!("SELECT count(*) FROM public.{table}"), &[])
            .expect("count")
            .get(0);
        assert_eq!(applied, 3, "{}", db.name());
    }

    // Later copies reuse it as it is.
    let again =
        TestDatabase::with_settings(&fixtures::basic::REGISTRY, settings_with_own_table(&table))
            .expect("again");
    assert_eq!(again.template(), Some(template.as_str()));
    assert_eq!(
        template_oid(&template),
        Some(oid),
        "the template was built again"
    );

    // Other migrations, or another bookkeeping table: another template.
    let other =
        TestDatabase::with_settings(&fixtures::data::REGISTRY, settings_with_own_table(&table))
            .expect("other migrations");
    assert_ne!(other.template(), Some(template.as_str()));
    let default_table =
        TestDatabase::with_settings(&fixtures::basic::REGISTRY, settings()).expect("default table");
    assert_ne!(default_table.template(), Some(template.as_str()));

    let other_template = other.template().expect("a template").to_owned();
    drop((dbs, again, other, default_table));
    drop_template(&template);
    drop_template(&other_template);
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

fn applied(db: &TestDatabase, table: &str) -> Vec<String> {
    db.client()
        .expect("client")
        .query(
            &format!("SELECT name FROM public.{table} ORDER BY name"),
            &[],
        )
        .expect("the applied migrations")
        .iter()
        .map(|row| row.get(0))
        .collect()
}

fn has_column(db: &TestDatabase, table: &str, column: &str) -> bool {
    db.client()
        .expect("client")
        .query_opt(
            "SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND column_name = $2",
            &[&table, &column],
        )
        .expect("query")
        .is_some()
}

/// A database at a version: the migrations up to it applied, the later ones not; moved forward and back by
/// the engine, rows kept where the migrations keep them.
#[test]
fn a_database_at_a_version_moves_forward_and_back() {
    let table = format!("at_{}", std::process::id());
    let db = TestDatabase::at_with_settings(
        &fixtures::basic::REGISTRY,
        "20260101000002_add_profile",
        settings_with_own_table(&table),
    )
    .expect("at add_profile");
    assert_eq!(
        applied(&db, &table),
        ["20260101000001_create_users", "20260101000002_add_profile"]
    );
    assert!(has_column(&db, "users", "bio"));
    assert!(!has_column(&db, "posts", "body"), "create_posts ran");
    db.client()
        .expect("client")
        .execute(
            "INSERT INTO users (email, bio) VALUES ('a@example.com', 'hello')",
            &[],
        )
        .expect("a row at that version");

    // Forward, by timestamp alone.
    db.migrate_to("20260101000003").expect("forward");
    assert_eq!(applied(&db, &table).len(), 3);
    assert!(has_column(&db, "posts", "body"));

    // Back, with the downs: the profile columns go, the row stays.
    db.migrate_to("20260101000001_create_users").expect("back");
    assert_eq!(applied(&db, &table), ["20260101000001_create_users"]);
    assert!(!has_column(&db, "users", "bio") && !has_column(&db, "posts", "body"));
    let emails: i64 = db
        .client()
        .expect("client")
        .query_one(
            "SELECT count(*) FROM users WHERE email = 'a@example.com'",
            &[],
        )
        .expect("count")
        .get(0);
    assert_eq!(emails, 1);

    // Where it is already: nothing to do.
    db.migrate_to("20260101000001_create_users").expect("stays");
    db.migrate_to_latest().expect("latest");
    assert_eq!(applied(&db, &table).len(), 3);

    // Its template holds the migrations up to add_profile only: not the one of `new`.
    let latest =
        TestDatabase::with_settings(&fixtures::basic::REGISTRY, settings_with_own_table(&table))
            .expect("latest");
    let at = db.template().expect("a template").to_owned();
    assert_ne!(latest.template(), Some(at.as_str()));
    let latest_template = latest.template().expect("a template").to_owned();
    drop((db, latest));
    drop_template(&at);
    drop_template(&latest_template);
}

/// Templates at a version are named after the migrations up to it: two sets of migrations that agree up to
/// it share one (built once, by tests starting at once), a migration added before a version makes that
/// version's template again, not the ones before it.
#[test]
fn templates_at_a_version_are_shared_up_to_the_first_migration_that_differs() {
    let table = format!("atv_{}", std::process::id());
    let at = |registry: &'static migrate_core::Registry, name: &str| {
        TestDatabase::at_with_settings(registry, name, settings_with_own_table(&table))
            .expect("a database at a version")
    };
    let first: Vec<TestDatabase> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|i| {
                let registry = if i % 2 == 0 {
                    &fixtures::ordering_v1::REGISTRY
                } else {
                    &fixtures::ordering_v2::REGISTRY
                };
                s.spawn(move || at(registry, "20260501000001_a"))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let shared = first[0].template().expect("a template").to_owned();
    assert!(first
        .iter()
        .all(|db| db.template() == Some(shared.as_str())));
    let oid = template_oid(&shared).expect("marked as a template");

    // `b` comes before `c` in the second set only: at `c`, each set has its own.
    let c1 = at(&fixtures::ordering_v1::REGISTRY, "20260501000003_c");
    let c2 = at(&fixtures::ordering_v2::REGISTRY, "20260501000003_c");
    assert_ne!(c1.template(), c2.template());
    assert_eq!(applied(&c1, &table).len(), 2);
    assert_eq!(applied(&c2, &table).len(), 3);
    assert_eq!(
        template_oid(&shared),
        Some(oid),
        "the shared one was built again"
    );

    let templates: Vec<String> = [&c1, &c2]
        .iter()
        .filter_map(|db| db.template().map(str::to_owned))
        .collect();
    drop((first, c1, c2));
    drop_template(&shared);
    for template in templates {
        drop_template(&template);
    }
}

#[test]
fn a_version_that_is_not_a_migration_is_named_and_nothing_is_made() {
    let err =
        TestDatabase::at_with_settings(&fixtures::basic::REGISTRY, "20991231_nope", settings())
            .unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains("no migration named \"20991231_nope\""),
        "{message}"
    );
    assert!(message.contains("20260101000003_create_posts"), "{message}");

    let db = TestDatabase::with_settings(&fixtures::basic::REGISTRY, settings()).expect("created");
    let err = db.migrate_to("nope").unwrap_err();
    assert!(
        format!("{err:#}").contains("no migration named \"nope\""),
        "{err:#}"
    );
    assert_eq!(
        applied(&db, "pgmigrations").len(),
        3,
        "nothing was reverted"
    );
}
