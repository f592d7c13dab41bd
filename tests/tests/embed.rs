//! The embedding API: an application applying its migrations at start-up from an async `main`
//! (`#[tokio::main]`, `#[tokio::test]`), where the synchronous `postgres` client used to panic with "Cannot
//! start a runtime from within a runtime". Same lock and bookkeeping as `migrate up`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use migrate_cli::{Embedded, Settings};
use migrate_core::{lock_key, Event, MigrationsTable, UpTarget};
use tests::fixtures::basic;
use tests::TestDb;

/// Runs `f` on a thread of its own: the test harness uses the synchronous client, which panics on a runtime's
/// thread (the very problem under test).
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().expect("no panic"))
}

/// A fresh database, created and dropped off the runtime's thread.
struct Db(Option<TestDb>);

impl Db {
    fn new() -> Db {
        Db(Some(off_runtime(TestDb::new)))
    }
}

impl std::ops::Deref for Db {
    type Target = TestDb;
    fn deref(&self) -> &TestDb {
        self.0.as_ref().expect("present until dropped")
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let db = self.0.take();
        off_runtime(move || drop(db));
    }
}

/// The fixture's migrations with default settings (the repository's own `migrate.toml` names another folder)
/// against `db`.
fn embedded(db: &Db) -> Embedded {
    Embedded::with_settings(&basic::REGISTRY, Settings::default()).database_url(db.url())
}

fn applied(db: &Db) -> Vec<String> {
    off_runtime(|| db.query_strings("SELECT name FROM public.pgmigrations ORDER BY id"))
        .into_iter()
        .map(|mut r| r.remove(0).unwrap_or_default())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn up_applies_inside_a_multi_threaded_tokio_runtime() {
    let db = Db::new();
    let started = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&started);
    let ran = embedded(&db)
        .up(UpTarget::All, move |e| {
            if let Event::Finished { name, .. } = e {
                seen.lock().unwrap().push(name.to_owned());
            }
        })
        .await
        .expect("up");
    assert_eq!(ran.len(), 3);
    assert_eq!(applied(&db), *started.lock().unwrap());
    assert!(off_runtime(|| db.tables()).contains(&"public.posts".to_owned()));

    // Again: nothing to do; status agrees.
    assert!(embedded(&db)
        .up(UpTarget::All, |_| {})
        .await
        .unwrap()
        .is_empty());
    let status = embedded(&db).status().await.expect("status");
    assert!(status.migrations.iter().all(|e| e.applied.is_some()));
}

/// While the migrations wait for the lock another runner holds, the runtime's only thread keeps running
/// other tasks: nothing blocks it.
#[tokio::test(flavor = "current_thread")]
async fn waiting_for_the_lock_does_not_block_a_current_thread_runtime() {
    let db = Db::new();
    let key = lock_key(&MigrationsTable::default());
    let url = db.url().to_owned();
    // Another runner: holds the lock for 600 ms, on a thread of its own.
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
        client
            .execute("SELECT pg_advisory_lock($1)", &[&key])
            .expect("lock");
        locked_tx.send(()).expect("signal");
        std::thread::sleep(Duration::from_millis(600));
        client
            .execute("SELECT pg_advisory_unlock($1)", &[&key])
            .expect("unlock");
    });
    locked_rx.recv().expect("the holder took the lock");

    let waited = Arc::new(AtomicUsize::new(0));
    let flag = Arc::clone(&waited);
    let up = embedded(&db).up(UpTarget::All, move |e| {
        if let Event::WaitingForLock { .. } = e {
            flag.fetch_add(1, Ordering::SeqCst);
        }
    });
    let ticks = tokio::spawn(async {
        let mut n = 0;
        for _ in 0..5 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            n += 1;
        }
        n
    });
    let ran = up.await.expect("up after the lock was released");
    assert_eq!(ran.len(), 3);
    assert_eq!(waited.load(Ordering::SeqCst), 1, "it waited for the lock");
    assert_eq!(ticks.await.unwrap(), 5, "the runtime kept running tasks");
    holder.join().expect("holder");
}

/// The blocking form works in a plain `main` and even on a runtime's thread (which it then blocks).
#[tokio::test]
async fn wait_works_on_a_runtime_thread_too() {
    let db = Db::new();
    let ran = embedded(&db)
        .up(UpTarget::Count(1), |_| {})
        .wait()
        .expect("up");
    assert_eq!(ran.len(), 1);
    let status = embedded(&db).status().wait().expect("status");
    assert_eq!(
        status
            .migrations
            .iter()
            .filter(|e| e.applied.is_some())
            .count(),
        1
    );
}

/// At start-up several replicas may race to the same target: one already applied is nothing to do.
#[tokio::test]
async fn up_to_an_applied_migration_is_nothing_to_do() {
    let db = Db::new();
    let first = basic::MIGRATIONS[0].name().to_owned();
    let ran = embedded(&db)
        .up(UpTarget::To(first.clone()), |_| {})
        .await
        .expect("up to the first");
    assert_eq!(ran.len(), 1);
    let again = embedded(&db)
        .up(UpTarget::To(first), |_| {})
        .await
        .expect("already applied: no error");
    assert!(again.is_empty());
    // Other target errors still are errors.
    let unknown = embedded(&db)
        .up(UpTarget::To("20990101000000_nope".to_owned()), |_| {})
        .await
        .unwrap_err();
    assert!(
        unknown.to_string().contains("20990101000000_nope"),
        "{unknown:#}"
    );
}

/// Errors arrive as errors: a connection failure names the (redacted) URL, a panicking callback becomes an
/// error instead of a future that never completes.
#[tokio::test]
async fn failures_are_errors_not_panics_or_hangs() {
    let unreachable = Embedded::with_settings(&basic::REGISTRY, Settings::default())
        .database_url("postgres://someone:secret@127.0.0.1:1/nowhere")
        .up(UpTarget::All, |_| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(
        unreachable.contains("cannot connect to postgres://someone:***@127.0.0.1:1/nowhere"),
        "{unreachable}"
    );
    assert!(!unreachable.contains("secret"));

    let db = Db::new();
    let panicked = embedded(&db)
        .up(UpTarget::All, |e| {
            if let Event::Finished { .. } = e {
                panic!("callback broke");
            }
        })
        .await
        .unwrap_err()
        .to_string();
    assert!(panicked.contains("panicked: callback broke"), "{panicked}");
}

/// The one-call form reads the settings as the CLI does; run from a folder whose `migrate.toml` names
/// another migrations folder that exists, it refuses rather than use that file's bookkeeping table.
#[tokio::test]
async fn the_one_call_form_refuses_a_migrate_toml_of_other_migrations() {
    // The test runs in tests/, below the repository's migrate.toml (example-app/migrations).
    if std::env::var_os("MIGRATE_CONFIG").is_some() || std::env::var_os("MIGRATIONS_DIR").is_some()
    {
        panic!("run this test without MIGRATE_CONFIG and MIGRATIONS_DIR in the environment");
    }
    let err = migrate_cli::up(&basic::REGISTRY).await.unwrap_err();
    let message = format!("{err:#}");
    assert!(
        message.contains("this runner was compiled with the migrations in")
            && message.contains("fixtures/basic")
            && message.contains("example-app/migrations"),
        "{message}"
    );
}

/// `UpTarget::ExpandOnly` stops before the first pending contract, as `up --expand-only` does; `up_chosen`
/// picks the target from the status read under the lock, which lists the pending contract.
#[tokio::test(flavor = "multi_thread")]
async fn expand_only_and_a_target_chosen_under_the_lock() {
    let db = Db::new();
    let phases = || {
        Embedded::with_settings(&tests::fixtures::phases::REGISTRY, Settings::default())
            .database_url(db.url())
    };
    let ran = phases()
        .up(UpTarget::ExpandOnly, |_| {})
        .await
        .expect("expands");
    assert_eq!(ran.len(), 2);
    assert_eq!(
        applied(&db),
        ["20260501000001_create_posts", "20260501000002_add_slug"]
    );

    let seen = Arc::new(Mutex::new(None));
    let record = Arc::clone(&seen);
    let ran = phases()
        .up_chosen(
            move |status| {
                let (expands, contract) = status.expand_only();
                *record.lock().expect("lock") =
                    Some((expands.len(), contract.map(|c| c.name.clone())));
                UpTarget::All
            },
            |_| {},
        )
        .await
        .expect("the rest");
    assert_eq!(ran.len(), 2);
    assert_eq!(
        *seen.lock().expect("lock"),
        Some((0, Some("20260501000003_drop_legacy".to_owned())))
    );
    assert_eq!(applied(&db).len(), 4);
}

fn insert_into_a_missing_table(pgm: &mut migrate_dsl::MigrationBuilder) {
    pgm.sql("INSERT INTO no_such_table VALUES (1)");
}

fn data_code_reading_a_missing_table(pgm: &mut migrate_dsl::MigrationBuilder) {
    pgm.db("read a missing table", |tx| {
        tx.query("SELECT * FROM no_such_table", &[])?;
        Ok(())
    });
}

static STATEMENT_FAILS: [migrate_core::Definition; 1] = [migrate_core::Definition {
    name: "20260101000001_statement_fails",
    path: "/embed/20260101000001_statement_fails.rs",
    source: "statement",
    up: insert_into_a_missing_table,
    down: None,
}];

static DATA_FAILS: [migrate_core::Definition; 1] = [migrate_core::Definition {
    name: "20260101000001_data_fails",
    path: "/embed/20260101000001_data_fails.rs",
    source: "data",
    up: data_code_reading_a_missing_table,
    down: None,
}];

/// An application gets an `anyhow::Error` whose source chain reaches the server's error, whether a statement
/// of the migration or its data code failed; the message to print stops at the engine's error, which
/// already describes it.
#[tokio::test(flavor = "multi_thread")]
async fn a_failure_reaches_the_servers_error_through_the_source_chain() {
    for migrations in [&STATEMENT_FAILS, &DATA_FAILS] {
        let db = Db::new();
        let registry: &'static migrate_core::Registry =
            Box::leak(Box::new(migrate_core::Registry {
                dir: "/embed",
                migrations: migrate_core::Migrations::new(migrations),
                repeatables: migrate_core::Migrations::new(&[]),
                config: None,
            }));
        let error = Embedded::with_settings(registry, Settings::default())
            .database_url(db.url())
            .up(UpTarget::All, |_| {})
            .await
            .expect_err("the migration fails");
        let pg = error
            .chain()
            .find_map(|cause| cause.downcast_ref::<migrate_core::postgres::Error>())
            .unwrap_or_else(|| panic!("no postgres::Error in the chain of {error:?}"));
        assert_eq!(
            pg.code(),
            Some(&migrate_core::postgres::error::SqlState::UNDEFINED_TABLE),
            "{pg:?}"
        );
        let engine = error
            .downcast_ref::<migrate_core::Error>()
            .expect("the engine's error");
        assert!(
            matches!(
                (engine, migrations[0].name),
                (
                    migrate_core::Error::Statement(_),
                    "20260101000001_statement_fails"
                ) | (migrate_core::Error::Data(_), "20260101000001_data_fails")
            ),
            "{engine:?}"
        );
        // Printed once: the engine's message names the server's error, and nothing is repeated after it.
        let message = migrate_cli::error_message(&error);
        assert_eq!(message, engine.to_string());
        assert_eq!(
            message
                .matches("relation \"no_such_table\" does not exist")
                .count(),
            1,
            "{message}"
        );
    }
}
