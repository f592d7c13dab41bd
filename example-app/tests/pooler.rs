//! `--migrate` at start-up behind a connection pooler in transaction mode (a real PgBouncer started by the
//! test): refused before anything changes, with the message naming the pooler and `MIGRATE_DIRECT_URL`; with
//! `MIGRATE_DIRECT_URL` set to the server's own address beside the pooled `DATABASE_URL`, it applies.

use std::process::Command;

use tests::pooler::{PgBouncer, PoolMode};
use tests::TestDb;

#[test]
fn migrate_at_start_up_refuses_a_transaction_pooler_and_uses_the_direct_url() {
    let db = TestDb::new();
    let bouncer = PgBouncer::start(db.admin_url(), PoolMode::Transaction);
    let pooled = bouncer.url_for(db.url());
    let app = |env: &[(&str, &str)]| {
        Command::new(env!("CARGO_BIN_EXE_example-app"))
            .args(["--migrate", "--no-serve"])
            .env_remove("MIGRATE_DIRECT_URL")
            .envs(env.iter().copied())
            .output()
            .expect("example-app runs")
    };
    let refused = app(&[("DATABASE_URL", &pooled)]);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{err}");
    assert!(
        err.contains("goes through a connection pooler in transaction pooling mode")
            && err.contains("MIGRATE_DIRECT_URL"),
        "{err}"
    );
    assert_eq!(db.tables(), Vec::<String>::new(), "nothing created");

    let direct = app(&[("DATABASE_URL", &pooled), ("MIGRATE_DIRECT_URL", db.url())]);
    assert_eq!(
        direct.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&direct.stderr)
    );
    let applied = db.query_strings("SELECT count(*)::text FROM public.pgmigrations");
    assert_ne!(
        applied[0][0].as_deref(),
        Some("0"),
        "applied through the direct URL"
    );
}
