//! The server restarted (fast and immediate shutdown) in the middle of a transactional migration, a migration
//! outside a transaction, a concurrent index build and a backfill, on a throwaway cluster of the test's own:
//! afterwards `status` and the next plain `up` tell the true state and finish the work; nothing is recorded
//! that did not happen, nothing applied that is not recorded, nothing run twice.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tests::cli::{bin, FixtureCli, Run};
use tests::cluster::{self, Server, Shutdown};

const BASE: &str = "20261203000001_base";
const TX: &str = "20261203000002_tx";
const NO_TX: &str = "20261203000003_no_tx";
const INDEX: &str = "20261203000004_index";
const BACKFILL: &str = "20261203000005_backfill";

fn spawn(url: &str, args: &[&str]) -> Child {
    Command::new(bin("fixture-runner"))
        .env("FIXTURE", "restart")
        .env("MIGRATIONS_DIR", tests::fixtures::dir("restart"))
        .env("DATABASE_URL", url)
        .env_remove("MIGRATE_DIRECT_URL")
        .current_dir(std::env::temp_dir())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the runner starts")
}

#[track_caller]
fn wait_bounded(mut child: Child, what: &str) -> Output {
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what}: the runner still runs 60 s after the restart (hung)");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

struct Db {
    url: String,
}

impl Db {
    fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).expect("connect")
    }

    fn one(&self, sql: &str) -> String {
        let mut c = self.client();
        let rows = c.simple_query(sql).expect(sql);
        rows.iter()
            .find_map(|m| match m {
                postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).unwrap_or("").to_owned()),
                _ => None,
            })
            .unwrap_or_default()
    }

    fn recorded(&self) -> Vec<String> {
        let mut c = self.client();
        c.query("SELECT name FROM public.pgmigrations ORDER BY id", &[])
            .expect("recorded")
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    #[track_caller]
    fn wait_until(&self, what: &str, sql: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if self.one(sql) == "t" {
                return;
            }
            assert!(Instant::now() < deadline, "30 s without: {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn cli(&self, args: &[&str]) -> Run {
        FixtureCli::with_url("restart", &self.url).run(args)
    }
}

const WAITING_AT_GATE: &str =
    "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'migrate' \
     AND state = 'active' AND query LIKE 'SELECT pg_sleep(60) FROM gate%')";

/// Restarts `cluster` with `mode` while the runner started with `args` is at the point `ready` describes;
/// returns the runner's output (it must end, with an error).
fn restart_during(cluster: &Server, db: &Db, args: &[&str], ready: &str, mode: Shutdown) -> Output {
    let child = spawn(&db.url, args);
    db.wait_until(&format!("{args:?} reaches its slow point"), ready);
    cluster.restart(mode);
    let out = wait_bounded(child, &format!("{args:?}"));
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?}: the run ends with an error\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn restarts_mid_migration_leave_the_true_state_and_up_finishes_the_work() {
    let mut restarts = 0;
    for mode in [Shutdown::Fast, Shutdown::Immediate] {
        let cluster = cluster::start();
        let db = Db {
            url: cluster.database("restart_test"),
        };
        let m = format!("{mode:?}");
        db.cli(&["up", "1"]).expect_code(0);

        // 1. A transactional migration: rolled back, not recorded, not marked; `up` applies it.
        restart_during(&cluster, &db, &["up", "--to", TX], WAITING_AT_GATE, mode);
        restarts += 1;
        assert_eq!(db.recorded(), [BASE], "{m}: tx");
        assert_eq!(
            db.one("SELECT to_regclass('r_tx') IS NULL"),
            "t",
            "{m}: r_tx rolled back"
        );
        let status = db.cli(&["status"]);
        assert!(!status.stdout.contains("FAILED"), "{m}: {}", status.stdout);
        db.one("UPDATE gate SET closed = false");
        db.cli(&["up", "--to", TX]).expect_code(0);
        assert_eq!(db.one("SELECT count(*) FROM r_tx"), "1", "{m}");

        // 2. Outside a transaction: its first statement committed with its journal entry; `status` shows the
        // migration in progress, and the next `up` continues from the statement the restart stopped, without
        // running the first again and without a person.
        db.one("UPDATE gate SET closed = true");
        restart_during(&cluster, &db, &["up", "--to", NO_TX], WAITING_AT_GATE, mode);
        restarts += 1;
        assert_eq!(db.recorded(), [BASE, TX], "{m}: no-tx");
        assert_eq!(
            db.one("SELECT string_agg(k::text, ',') FROM r_log"),
            "1",
            "{m}"
        );
        let status = db.cli(&["status"]).expect_code(0);
        assert!(
            status.stdout.contains(&format!(
                "IN PROGRESS: {NO_TX} was stopped part-way during `up`: 1 statement(s) took effect"
            )),
            "{m}: {}",
            status.stdout
        );
        db.one("UPDATE gate SET closed = false");
        let continued = db.cli(&["up", "--to", NO_TX]).expect_code(0);
        assert!(
            continued.stdout.contains(&format!(
                "continuing up of {NO_TX}: 1 of its 3 statement(s)"
            )),
            "{m}: {}",
            continued.stdout
        );
        assert_eq!(
            db.one("SELECT string_agg(k::text, ',' ORDER BY k) FROM r_log"),
            "1,2",
            "{m}"
        );

        // 3. A concurrent index build waiting for a writer: `up` afterwards builds it (an invalid leftover is
        // dropped first) and records it once.
        let mut writer = db.client();
        writer
            .batch_execute("BEGIN; UPDATE base SET v = v WHERE id = 1")
            .expect("writer");
        restart_during(
            &cluster,
            &db,
            &["up", "--to", INDEX],
            "SELECT EXISTS (SELECT 1 FROM pg_stat_progress_create_index)",
            mode,
        );
        restarts += 1;
        drop(writer);
        assert_eq!(db.recorded(), [BASE, TX, NO_TX], "{m}: index");
        // The build can simply run again: pending, not FAILED.
        let status = db.cli(&["status"]).expect_code(0);
        assert!(
            status.stdout.contains(INDEX) && !status.stdout.contains("FAILED"),
            "{m}: {}",
            status.stdout
        );
        db.cli(&["up", "--to", INDEX]).expect_code(0);
        assert_eq!(
            db.one(
                "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                    WHERE i.indrelid = 'base'::regclass AND NOT i.indisprimary AND i.indisvalid"
            ),
            "1",
            "{m}: one valid index"
        );
        assert_eq!(
            db.one("SELECT count(*) FROM pg_index WHERE indrelid = 'base'::regclass AND NOT indisvalid"),
            "0",
            "{m}: no invalid leftover"
        );

        // 4. A backfill: the batches committed before the restart stay (with their progress); `up` resumes
        // and every row is handled exactly once.
        restart_during(
            &cluster,
            &db,
            &["up"],
            "SELECT to_regclass('handled') IS NOT NULL AND (SELECT count(*) > 0 FROM handled)",
            mode,
        );
        restarts += 1;
        assert_eq!(db.recorded(), [BASE, TX, NO_TX, INDEX], "{m}: backfill");
        let handled = db.one("SELECT count(*) FROM handled");
        let progress =
            db.one("SELECT coalesce(sum(rows_done), 0) FROM public.pgmigrations_backfill");
        assert_eq!(
            handled, progress,
            "{m}: progress matches the committed batches"
        );
        let status = db.cli(&["status"]).expect_code(0);
        assert!(!status.stdout.contains("FAILED"), "{m}: {}", status.stdout);
        db.cli(&["up"]).expect_code(0);
        assert_eq!(db.recorded(), [BASE, TX, NO_TX, INDEX, BACKFILL], "{m}");
        assert_eq!(
            db.one("SELECT count(*)::text || '/' || count(DISTINCT id)::text FROM handled"),
            "3000/3000",
            "{m}: every row handled exactly once"
        );
        assert_eq!(
            db.one("SELECT count(*) FROM base WHERE doubled = v * 2"),
            "3000",
            "{m}"
        );
        let status = db.cli(&["status"]).expect_code(0);
        assert!(!status.stdout.contains("FAILED"), "{m}: {}", status.stdout);
    }
    println!("{restarts} restarts (fast and immediate), 0 lost or mis-recorded migrations");
}
