//! A rolling deploy, simulated: the old app version serves (and is kept busy) while the new one starts with
//! `--migrate`, which applies the expands only. Both serve side by side, every request succeeding; then the
//! contract runs after the rollout, and the old version is refused with a message saying why. The whole
//! story goes this way, v1 to v4: `--phase vN --migrate` never breaks vN-1.

use super::common;

use std::net::SocketAddr;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use common::{addr_of, get, post_form, post_id, spawn_app, start_app, wait_for_url};
use example_app::database::prepare_schema;
use example_app::migrations::MIGRATIONS;
use example_app::phase::Phase;
use migrate_core::{Migrator, UpTarget};
use tests::TestDb;

/// One visitor's round on `app`: load the page, create a post, comment on it. Every answer must be a
/// success (the page, or the redirect after a saved form); returns what went wrong otherwise.
fn visit(app: SocketAddr, who: &str, round: usize) -> Result<(), String> {
    let page = get(app, "/");
    if page.status != 200 {
        return Err(format!("{who}: GET / answered {}", page.status));
    }
    let title = format!("{who} round {round}");
    let created = post_form(
        app,
        "/posts",
        &[("title", &title), ("lat", "48.85"), ("lng", "2.35")],
    );
    if created.status != 303 {
        return Err(format!("{who}: POST /posts answered {}", created.status));
    }
    let after = get(app, "/");
    if after.status != 200 {
        return Err(format!(
            "{who}: GET / after the post answered {}",
            after.status
        ));
    }
    let id = post_id(&after.body, &title);
    let commented = post_form(
        app,
        "/comments",
        &[("post_id", &id), ("body", &format!("comment by {who}"))],
    );
    if commented.status != 303 {
        return Err(format!(
            "{who}: POST /comments answered {}",
            commented.status
        ));
    }
    Ok(())
}

/// Keeps visiting `app` on a thread of its own until stopped; the result is how many rounds ran, or the
/// first failure.
struct Traffic {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Result<usize, String>>,
}

impl Traffic {
    fn start(app: SocketAddr, who: &str) -> Traffic {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let who = who.to_owned();
        let thread = std::thread::spawn(move || {
            let mut rounds = 0;
            // At least one round, however fast the migration is.
            while rounds == 0 || !flag.load(Ordering::Relaxed) {
                visit(app, &who, rounds)?;
                rounds += 1;
            }
            Ok(rounds)
        });
        Traffic { stop, thread }
    }

    /// Stops it and asserts that every request it made succeeded.
    fn finish(self) -> usize {
        self.stop.store(true, Ordering::Relaxed);
        let rounds = self
            .thread
            .join()
            .expect("traffic thread")
            .unwrap_or_else(|e| panic!("a request failed during the rollout: {e}"));
        assert!(rounds > 0);
        rounds
    }
}

fn applied(db: &TestDb) -> Vec<String> {
    db.query_strings("SELECT name FROM public.pgmigrations ORDER BY name")
        .into_iter()
        .filter_map(|r| r[0].clone())
        .collect()
}

fn name_of(suffix: &str) -> &'static str {
    MIGRATIONS
        .iter()
        .map(|m| m.name())
        .find(|n| n.ends_with(suffix))
        .expect(suffix)
}

/// The deployer's step after the rollout: the contract, applied explicitly (`migrate up --to <contract>`).
fn run_contract(db: &TestDb, suffix: &str) {
    let ran = Migrator::new(MIGRATIONS)
        .run_up(
            &mut db.client(),
            &UpTarget::To(name_of(suffix).to_owned()),
            &mut |_| {},
        )
        .expect("the contract applies");
    assert_eq!(ran.len(), 1, "only the contract runs");
}

/// `--phase old` started without `--migrate` must be refused, saying which contract retired it.
fn assert_refused(db: &TestDb, old: Phase, contract_suffix: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_example-app"))
        .args(["--no-serve", "--phase", old.name()])
        .env("DATABASE_URL", db.url())
        .output()
        .expect("example-app runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("app phase {old} cannot run on this database"))
            && stderr.contains(name_of(contract_suffix)),
        "{stderr}"
    );
}

#[test]
fn a_rolling_deploy_keeps_the_old_version_serving_until_the_contract() {
    let db = TestDb::new();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let say = |line: String| println!("{line}");

    // v1 serves on the schema it was written for.
    Migrator::new(MIGRATIONS)
        .run_up(
            &mut db.client(),
            &UpTarget::To(name_of("_create_posts_and_comments").to_owned()),
            &mut |_| {},
        )
        .expect("first schema");
    let v1 = start_app(&runtime, db.url(), Phase::V1);
    visit(v1, "v1", 0).expect("v1 serves");

    // v2 starts as a new replica would, `--phase v2 --migrate`, while v1 is kept busy.
    let traffic = Traffic::start(v1, "v1");
    let mut v2_process = spawn_app(|c| {
        c.args(["--phase", "v2", "--migrate", "--port", "0"])
            .env("DATABASE_URL", db.url());
    });
    let stdout = v2_process.0.stdout.take().expect("stdout");
    let (url, log) = wait_for_url(stdout, Duration::from_secs(120));
    let rounds = traffic.finish();
    let log = log.join("\n");
    println!("v2 start-up ({rounds} v1 rounds meanwhile):\n{log}");
    assert!(log.contains("applied 1 migration(s) at start-up"), "{log}");
    assert!(
        log.contains(
            "left for after the rollout: the contract 20261122100400_contract_comments_contents"
        ) && log.contains("once no app phase v1 is serving"),
        "{log}"
    );
    assert_eq!(
        applied(&db).last().map(String::as_str),
        Some(name_of("_expand_comments_body")),
        "the expands, not the contract"
    );
    let v2 = addr_of(&url);
    // Side by side: both serve, and each shows what the other wrote.
    visit(v1, "v1 beside v2", 0).expect("v1 still serves");
    visit(v2, "v2 beside v1", 0).expect("v2 serves");
    assert!(get(v2, "/").body.contains("comment by v1 beside v2"));
    assert!(get(v1, "/").body.contains("comment by v2 beside v1"));
    // The page shows where the deploy stands.
    let page = get(v2, "/").body;
    assert!(
        page.contains("The schema supports app phase(s) v1, v2")
            && page.contains(
                "pending, contract: <code>20261122100400_contract_comments_contents</code>"
            ),
        "{page}"
    );

    // A replica of a phase that needs the contract is refused until it ran, naming it; v1 is untouched.
    let early = runtime
        .block_on(prepare_schema(db.url(), Phase::V3, true, say))
        .expect_err("v3 needs the contract first");
    assert!(
        early
            .to_string()
            .contains("the contract 20261122100400_contract_comments_contents must run first"),
        "{early:#}"
    );
    visit(v1, "v1 after v3 tried", 0).expect("v1 still serves");

    // The rollout is done (v1 is gone): the contract runs, v2 keeps serving, v1 is refused.
    run_contract(&db, "_contract_comments_contents");
    visit(v2, "v2 after the contract", 0).expect("v2 serves");
    assert_refused(&db, Phase::V1, "_contract_comments_contents");
    drop(v2_process);

    // The rest of the story, the same way: each new phase starts with --migrate beside the previous one.
    let v2 = start_app(&runtime, db.url(), Phase::V2);
    let steps = [
        (Phase::V2, Phase::V3, "_backfill_posts_location"),
        (Phase::V3, Phase::V4, "_drop_posts_lat_lng"),
    ];
    let mut old_app = v2;
    for (old, new, contract) in steps {
        let traffic = Traffic::start(old_app, old.name());
        runtime
            .block_on(prepare_schema(db.url(), new, true, say))
            .unwrap_or_else(|e| panic!("{new} --migrate beside {old}: {e:#}"));
        traffic.finish();
        assert!(
            !applied(&db).iter().any(|n| n == name_of(contract)),
            "{new} --migrate applied the contract that retires {old}"
        );
        let new_app = start_app(&runtime, db.url(), new);
        visit(old_app, &format!("{old} beside {new}"), 0).expect("the old phase serves");
        visit(new_app, &format!("{new} beside {old}"), 0).expect("the new phase serves");
        run_contract(&db, contract);
        visit(new_app, &format!("{new} after the contract"), 0).expect("the new phase serves");
        assert_refused(&db, old, contract);
        old_app = new_app;
    }
    // What follows the last contract is an expand: the next start-up applies it.
    runtime
        .block_on(prepare_schema(db.url(), Phase::V4, true, say))
        .expect("v4 --migrate");
    assert_eq!(applied(&db).len(), MIGRATIONS.len());
    visit(old_app, "v4 at the end", 0).expect("v4 serves");
    drop(runtime);
}

/// What a contract run too early does to the version still serving, and what its log then says: the
/// server's message, not just `db error`.
#[test]
fn a_database_error_in_the_log_shows_the_server_message() {
    use std::io::Read;
    let db = TestDb::new();
    let mut v1 = spawn_app(|c| {
        c.args(["--phase", "v1", "--migrate", "--port", "0"])
            .env("DATABASE_URL", db.url());
    });
    let (url, _) = wait_for_url(
        v1.0.stdout.take().expect("stdout"),
        Duration::from_secs(120),
    );
    run_contract(&db, "_contract_comments_contents");
    assert_eq!(get(addr_of(&url), "/").status, 500);
    common::terminate(&mut v1.0);
    let _ = v1.0.wait();
    let mut stderr = String::new();
    v1.0.stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    assert!(
        stderr.contains(
            "error: query failed: ERROR: column \"contents\" does not exist (SQLSTATE 42703)"
        ),
        "{stderr}"
    );
}

/// At every step of the story where phase vN-1 can run (it may be serving), starting vN with `--migrate`
/// leaves a schema vN-1 still runs on, whether vN then starts or is refused.
#[test]
fn migrate_never_breaks_the_previous_phase_at_any_step() {
    use std::collections::BTreeSet;
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut checked = 0;
    for k in 1..=MIGRATIONS.len() {
        let before: BTreeSet<String> = MIGRATIONS[..k]
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        for pair in Phase::ALL.windows(2) {
            let (old, new) = (pair[0], pair[1]);
            if old.check(&before).is_err() {
                continue;
            }
            let db = TestDb::new();
            Migrator::new(MIGRATIONS)
                .run_up(
                    &mut db.client(),
                    &UpTarget::To(MIGRATIONS[k - 1].name().to_owned()),
                    &mut |_| {},
                )
                .expect("the story up to this step");
            let started = runtime.block_on(prepare_schema(db.url(), new, true, |_| {}));
            let after: BTreeSet<String> = applied(&db).into_iter().collect();
            assert!(
                old.check(&after).is_ok(),
                "after {}, {new} --migrate ({}) broke {old}: {:?}",
                MIGRATIONS[k - 1].name(),
                if started.is_ok() {
                    "started"
                } else {
                    "refused"
                },
                old.check(&after)
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 7, "the steps where an older phase may be serving");
}
