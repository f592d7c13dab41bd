//! Fleets: the same migrations over many schemas and databases. The engine's fleet
//! (`migrate_core::fleet`) directly, and `migrate fleet` as a user runs it.

use migrate_core::fleet::{Fleet, FleetOptions, Stop, Target, TargetState};
use migrate_core::{lock_key, MigrationsTable, Migrator, UpTarget};
use tests::fixtures::fleet;
use tests::fleet::{json, logged, recorded, states, PlainConnector, LOG_NAMES};
use tests::TestDb;

fn names() -> Vec<String> {
    fleet::REGISTRY
        .migrations
        .as_slice()
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}

// A schema target has its own migrations table in its schema and runs with search_path
// set to exactly that schema, so unqualified names land there and nowhere else, even when the database's own
// search_path and an object of the same name in public would catch them; names that need quoting work.
#[test]
fn schema_targets_keep_their_migrations_and_objects_in_their_own_schema() {
    let db = TestDb::new();
    // A table of the same name in public, and a database default that searches public first: without the
    // target's own search_path, the first migration would land in (or collide with) public.
    db.exec(&format!(
        "CREATE TABLE public.items (other int); ALTER DATABASE {} SET search_path = public",
        tests::quote_ident(db.name())
    ));
    let schemas = ["tenant_1", "Tenant Two", "tenant-\"3\""];
    let connector = PlainConnector {
        default_url: db.url().to_owned(),
    };
    let fleet = Fleet::new(
        Migrator::new(fleet::REGISTRY.migrations.as_slice()),
        schemas.iter().map(|s| Target::schema(*s)).collect(),
        &connector,
        FleetOptions::default(),
    )
    .expect("a valid fleet");
    let report = fleet
        .up(&UpTarget::All, &Stop::new(), &|_| {})
        .expect("the run starts");
    assert!(report.all_done(), "{report:#?}");
    let mut client = db.client();
    for (schema, r) in schemas.iter().zip(&report.targets) {
        assert_eq!(r.name, *schema);
        assert_eq!(r.ran, names(), "{schema}");
        assert_eq!(r.version_before, None);
        assert_eq!(r.version_after.as_ref(), names().last());
        assert_eq!(recorded(&mut client, schema), names(), "{schema}");
        assert_eq!(logged(&mut client, schema), LOG_NAMES, "{schema}");
    }
    // public kept its own table alone, and got no migrations table.
    assert_eq!(db.columns("public.items"), ["other"]);
    assert!(!db.tables().contains(&"public.pgmigrations".to_owned()));
    let mut tables = db.tables();
    tables.retain(|t| t.ends_with(".items"));
    assert_eq!(
        tables,
        [
            "Tenant Two.items",
            "public.items",
            "tenant-\"3\".items",
            "tenant_1.items"
        ]
    );
    // Each tenant's lock is its own (its key derives from its own migrations table).
    let keys: std::collections::HashSet<i64> = schemas
        .iter()
        .map(|s| lock_key(&MigrationsTable::new(s, "pgmigrations").unwrap()))
        .collect();
    assert_eq!(keys.len(), schemas.len());
    // Resumable: a second run finds nothing to do on any target.
    let again = fleet
        .up(&UpTarget::All, &Stop::new(), &|_| {})
        .expect("the run starts");
    assert!(again.all_done());
    assert_eq!(again.ran(), 0);
    assert!(again
        .targets
        .iter()
        .all(|r| r.version_before == r.version_after && r.version_after.is_some()));
}

// Two targets that are the same schema of the same database are refused before
// anything runs, naming both.
#[test]
fn duplicate_targets_are_refused_before_anything_runs() {
    let db = TestDb::new();
    let connector = PlainConnector {
        default_url: db.url().to_owned(),
    };
    let err = Fleet::new(
        Migrator::new(fleet::REGISTRY.migrations.as_slice()),
        vec![
            Target::schema("a"),
            Target::schema("b"),
            Target::database(db.url()).in_schema("a").named("a again"),
        ],
        &connector,
        FleetOptions::default(),
    )
    .expect_err("a duplicate");
    let message = err.to_string();
    assert!(
        message.contains("\"a\"") && message.contains("\"a again\""),
        "{message}"
    );
    assert!(!db.tables().iter().any(|t| t.starts_with("a.")));
}

/// `migrate fleet ...` of the `fleet` fixture, with `url` as the configured database.
fn cli(url: &str) -> tests::cli::FixtureCli {
    tests::cli::FixtureCli::with_url("fleet", url)
}

/// `url` with a password: the test clusters trust every connection, so any password works, and none may
/// ever be printed.
fn with_password(url: &str) -> String {
    url.replacen("postgres@", "postgres:s3cret-pw@", 1)
}

// One fleet over three servers (throwaway clusters) of tenant schemas and
// databases, plus a server that accepts connections and never answers: it is unreachable within the
// connect timeout, counted, and the others go on under `continue`; the JSON report has every target with
// its versions and migrations; no password is ever printed; `status` reports every target and exits 1 while
// one cannot be read, 0 once the fleet is current.
#[test]
fn a_fleet_over_three_clusters_and_tenant_schemas() {
    let clusters: Vec<tests::cluster::Server> = std::thread::scope(|s| {
        let started: Vec<_> = (0..3).map(|_| s.spawn(tests::cluster::start)).collect();
        started
            .into_iter()
            .map(|h| h.join().expect("cluster"))
            .collect()
    });
    let app = with_password(&clusters[0].database("app"));
    let shards = [
        with_password(&clusters[1].database("shard_a")),
        with_password(&clusters[1].database("shard_b")),
        with_password(&clusters[2].database("shard_c")),
    ];
    let silent = tests::proxy::Proxy::start(&format!("127.0.0.1:{}", clusters[2].port()));
    silent.freeze();
    let frozen = silent.url_for(&with_password(&clusters[2].admin_url()));
    let schemas = "tenant_1,Tenant Two,tenant_3";
    let urls = format!("{},{frozen}", shards.join(","));
    let run = cli(&app).run(&[
        "--connect-timeout",
        "2",
        "fleet",
        "up",
        "--schemas",
        schemas,
        "--urls",
        &urls,
        "--on-error",
        "continue",
        "--json",
    ]);
    for text in [&run.stdout, &run.stderr] {
        assert!(
            !text.contains("s3cret-pw"),
            "a password was printed:\n{text}"
        );
    }
    let report = json(&run.expect_code(1));
    let targets = report["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 7, "{report:#}");
    let last = names().last().cloned();
    for t in &targets[..6] {
        assert_eq!(t["state"], "done", "{t:#}");
        assert_eq!(t["version_before"], serde_json::Value::Null);
        assert_eq!(t["version_after"].as_str(), last.as_deref());
        assert_eq!(t["applied"], serde_json::json!(names()));
        assert!(t["url"].as_str().unwrap().contains(":***@"), "{t:#}");
    }
    assert_eq!(targets[1]["name"], "Tenant Two");
    assert_eq!(targets[1]["schema"], "Tenant Two");
    assert_eq!(targets[3]["schema"], serde_json::Value::Null);
    let silent_target = &targets[6];
    assert_eq!(silent_target["state"], "unreachable", "{silent_target:#}");
    assert!(
        silent_target["error"]["message"]
            .as_str()
            .unwrap()
            .contains("did not answer within 2s"),
        "{silent_target:#}"
    );
    assert_eq!(report["summary"]["done"], 6);
    assert_eq!(report["summary"]["unreachable"], 1);
    assert_eq!(report["summary"]["migrations"], 24);
    // What each server holds: the schemas on the first, the databases' public schema on the others.
    let mut client = postgres::Client::connect(&app, postgres::NoTls).unwrap();
    for schema in ["tenant_1", "Tenant Two", "tenant_3"] {
        assert_eq!(recorded(&mut client, schema), names());
        assert_eq!(logged(&mut client, schema), LOG_NAMES);
    }
    assert!(recorded(&mut client, "public").is_empty());
    for shard in &shards {
        let mut client = postgres::Client::connect(shard, postgres::NoTls).unwrap();
        assert_eq!(recorded(&mut client, "public"), names());
        assert_eq!(logged(&mut client, "public"), LOG_NAMES);
    }
    // Status: one entry per target; the silent server makes it exit 1.
    let status = cli(&app).run(&[
        "--connect-timeout",
        "2",
        "fleet",
        "status",
        "--schemas",
        schemas,
        "--urls",
        &urls,
        "--json",
    ]);
    assert!(!status.stdout.contains("s3cret-pw") && !status.stderr.contains("s3cret-pw"));
    let status = json(&status.expect_code(1));
    let entries = status["targets"].as_array().expect("targets");
    assert_eq!(entries.len(), 7);
    assert!(
        entries[..6].iter().all(|t| t["state"] == "current"),
        "{status:#}"
    );
    assert_eq!(entries[6]["state"], "unreachable");
    assert_eq!(status["summary"]["current"], 6);
    // Without it the fleet is current: exit 0, and a text summary.
    let current = cli(&app)
        .run(&[
            "fleet",
            "status",
            "--schemas",
            schemas,
            "--urls",
            &shards.join(","),
        ])
        .expect_code(0);
    assert!(
        current.stdout.contains(&format!("{}  6", last.unwrap())),
        "{}",
        current.stdout
    );
    assert!(current.stdout.contains("current: 6"), "{}", current.stdout);
}

/// A database with `schemas`, of which `poisoned` hold a table `items` of their own, so the fixture's first
/// migration fails there.
fn tenants(db: &TestDb, poisoned: &[&str]) {
    for schema in poisoned {
        let schema = tests::quote_ident(schema);
        db.exec(&format!(
            "CREATE SCHEMA {schema}; CREATE TABLE {schema}.items (id int)"
        ));
    }
}

// A canary that fails stops the rollout whatever the policy: the other targets are not
// started, and the summary says why.
#[test]
fn a_failing_canary_stops_the_rollout() {
    let db = TestDb::new();
    tenants(&db, &["c2"]);
    let run = cli(db.url())
        .run(&[
            "fleet",
            "up",
            "--schemas",
            "c1,c2,t1,t2,t3",
            "--canary",
            "c1,c2",
            "--on-error",
            "continue",
            "--json",
        ])
        .expect_code(1);
    let report = json(&run);
    assert_eq!(
        states(&report),
        [
            "c1=done",
            "c2=failed",
            "t1=skipped",
            "t2=skipped",
            "t3=skipped"
        ]
    );
    assert!(
        report["stopped"]
            .as_str()
            .unwrap()
            .contains("canary did not succeed on c2"),
        "{report:#}"
    );
    assert_eq!(report["targets"][1]["error"]["migration"], names()[0]);
    let mut client = db.client();
    for schema in ["t1", "t2", "t3"] {
        assert!(recorded(&mut client, schema).is_empty());
    }
    // The text summary names the failure and the stop.
    let text = cli(db.url())
        .run(&["fleet", "up", "--schemas", "c1,c2,t1", "--canary", "2"])
        .expect_code(1);
    assert!(
        text.stdout
            .contains("c2: migration 20260601000001_create_items"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("skipped (not started): t1"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("stopped: the canary did not succeed on c2"),
        "{}",
        text.stdout
    );
}

// With `continue`, a failing target is reported and the others go on; with `stop` (the
// default) nothing starts after a failure; --max-failures bounds `continue`.
#[test]
fn failure_policies() {
    let db = TestDb::new();
    tenants(&db, &["bad_1", "bad_2"]);
    let run = cli(db.url())
        .run(&[
            "fleet",
            "up",
            "--schemas",
            "a,bad_1,b,c",
            "--on-error",
            "continue",
            "--json",
        ])
        .expect_code(1);
    assert_eq!(
        states(&json(&run)),
        ["a=done", "bad_1=failed", "b=done", "c=done"]
    );
    let failed = &json(&run)["targets"][1]["error"];
    assert_eq!(failed["migration"], names()[0]);
    // A migration's own error, on a session that is still open: no hint about a session ended.
    assert_eq!(failed["session_ended"], false, "{failed:#}");
    assert!(
        failed["message"].as_str().unwrap().contains("items"),
        "{failed:#}"
    );
    // `stop`, one at a time: nothing after the failure starts.
    let run = cli(db.url())
        .run(&[
            "fleet",
            "up",
            "--schemas",
            "bad_2,d,e",
            "--parallel",
            "1",
            "--json",
        ])
        .expect_code(1);
    assert_eq!(
        states(&json(&run)),
        ["bad_2=failed", "d=skipped", "e=skipped"]
    );
    // --max-failures 2: the second failure stops the rollout.
    let run = cli(db.url())
        .run(&[
            "fleet",
            "up",
            "--schemas",
            "bad_1,bad_2,f",
            "--parallel",
            "1",
            "--on-error",
            "continue",
            "--max-failures",
            "2",
            "--json",
        ])
        .expect_code(1);
    assert_eq!(
        states(&json(&run)),
        ["bad_1=failed", "bad_2=failed", "f=skipped"]
    );
    // A failed target keeps what it had: the fixture's first migration rolled back, nothing recorded.
    assert!(recorded(&mut db.client(), "bad_1").is_empty());
}

// --expand-only per target, `down --to` over the fleet, and `status` telling the phases
// apart.
#[test]
fn expand_only_down_and_phases_over_the_fleet() {
    let db = TestDb::new();
    let run = cli(db.url())
        .run(&["fleet", "up", "--schemas", "a,b", "--expand-only", "--json"])
        .expect_code(0);
    let report = json(&run);
    assert_eq!(
        report["targets"][0]["applied"],
        serde_json::json!(names()[..3])
    );
    let status = json(
        &cli(db.url())
            .run(&["fleet", "status", "--schemas", "a,b,c", "--json"])
            .expect_code(0),
    );
    let phases: Vec<&str> = status["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["phase"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["expanded", "expanded", "behind"]);
    // A gate that every target is current.
    cli(db.url())
        .run(&["fleet", "status", "--schemas", "a,b", "--fail-on-pending"])
        .expect_code(5);
    cli(db.url())
        .run(&["fleet", "up", "--schemas", "a,b"])
        .expect_code(0);
    // `--to` a migration a target has already: done with nothing to apply, where `up --to` on one database is
    // an error (another runner may have taken the fleet past it).
    let to = json(
        &cli(db.url())
            .run(&[
                "fleet",
                "up",
                "--schemas",
                "a,c",
                "--to",
                &names()[1],
                "--json",
            ])
            .expect_code(0),
    );
    assert_eq!(to["targets"][0]["applied"], serde_json::json!([]));
    assert_eq!(
        to["targets"][0]["version_after"].as_str(),
        names().last().map(String::as_str)
    );
    assert_eq!(to["targets"][1]["applied"], serde_json::json!(names()[..2]));
    let down = json(
        &cli(db.url())
            .run(&[
                "fleet",
                "down",
                "--schemas",
                "a,b,c",
                "--to",
                &names()[1],
                "--json",
            ])
            .expect_code(0),
    );
    assert_eq!(
        down["targets"][0]["reverted"],
        serde_json::json!([names()[3], names()[2]])
    );
    // c never had anything: done, nothing reverted.
    assert_eq!(down["targets"][2]["state"], "done");
    assert_eq!(down["targets"][2]["reverted"], serde_json::json!([]));
    let mut client = db.client();
    assert_eq!(recorded(&mut client, "a"), names()[..2]);
    assert_eq!(logged(&mut client, "b"), LOG_NAMES[..2]);
}

// `status` over the fleet finds a CHANGED migration and a failure mark on one target each,
// and exits 5 so CI can gate on it.
#[test]
fn fleet_status_exits_5_on_a_changed_or_failed_target() {
    let db = TestDb::new();
    cli(db.url())
        .run(&["fleet", "up", "--schemas", "a,b,c"])
        .expect_code(0);
    db.exec(&format!(
        "UPDATE b.pgmigrations SET checksum = repeat('0', 64) WHERE name = '{}'",
        names()[1]
    ));
    // A failure mark as a migration outside a transaction leaves it.
    db.exec(&format!(
        "CREATE TABLE c.pgmigrations_failed (name text PRIMARY KEY, direction text NOT NULL, committed bigint NOT NULL, statements text[] NOT NULL, error text NOT NULL, failed_at timestamptz NOT NULL DEFAULT now());
         DELETE FROM c.pgmigrations WHERE name = '{last}';
         INSERT INTO c.pgmigrations_failed (name, direction, committed, statements, error) VALUES ('{last}', 'up', 1, ARRAY['DROP x'], 'ERROR: boom')",
        last = names()[3]
    ));
    let run = cli(db.url())
        .run(&["fleet", "status", "--schemas", "a,b,c"])
        .expect_code(5);
    assert!(
        run.stdout.contains(&format!("b: CHANGED {}", names()[1])),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!(
            "c: FAILED {} (part-way, 1 statement(s) committed)",
            names()[3]
        )),
        "{}",
        run.stdout
    );
    let status = json(
        &cli(db.url())
            .run(&["fleet", "status", "--schemas", "a,b,c", "--json"])
            .expect_code(5),
    );
    assert_eq!(
        status["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["state"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["current", "problem", "problem"]
    );
}

// The text of `status` counts targets as its JSON does: a current target with a changed migration, or with
// an applied migration whose file is gone, is a problem, not current.
#[test]
fn fleet_status_text_counts_what_the_json_counts() {
    let db = TestDb::new();
    let cli = cli(db.url());
    cli.run(&["fleet", "up", "--schemas", "a,b,c,d"])
        .expect_code(0);
    cli.run(&["fleet", "up", "--schemas", "e", "--to", &names()[1]])
        .expect_code(0);
    cli.run(&["fleet", "down", "--schemas", "d"]).expect_code(0);
    db.exec(&format!(
        "UPDATE b.pgmigrations SET checksum = repeat('0', 64) WHERE name = '{}';
         INSERT INTO c.pgmigrations (name, run_on, checksum, execution_ms)
         VALUES ('20260601000009_gone', now(), repeat('0', 64), 0)",
        names()[1]
    ));
    let args = ["fleet", "status", "--schemas", "a,b,c,d,e"];
    let json = json(&cli.run(&[&args[..], &["--json"]].concat()).expect_code(5));
    let summary = &json["summary"];
    let counts: Vec<&serde_json::Value> = ["current", "expanded", "behind", "problem"]
        .iter()
        .map(|k| &summary[k])
        .collect();
    assert_eq!(counts, [1, 1, 1, 2], "{json}");
    let text = cli.run(&args).expect_code(5).stdout;
    assert!(text.contains("\ncurrent: 1\n"), "{text}");
    assert!(
        text.contains("\nexpanded, contracts left for after the rollout (1): d (1 contract(s))\n"),
        "{text}"
    );
    assert!(text.contains("\nbehind (1): e (2 pending)\n"), "{text}");
    assert!(text.contains("\nproblems (2): "), "{text}");
}

// `fleet sql` prints the pending SQL once per group of targets with the same pending
// migrations, changing nothing.
#[test]
fn fleet_sql_groups_targets_by_what_is_pending() {
    let db = TestDb::new();
    cli(db.url())
        .run(&["fleet", "up", "--schemas", "a,b", "--to", &names()[1]])
        .expect_code(0);
    let run = cli(db.url())
        .run(&["fleet", "sql", "--schemas", "a,b,c,d"])
        .expect_code(0);
    assert!(
        run.stdout.contains("-- 2 target(s): a, b\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("-- 2 target(s): c, d\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("search_path = \"a\""), "{}", run.stdout);
    assert_eq!(
        run.stdout
            .matches(&format!("-- {} (up)", names()[0]))
            .count(),
        1,
        "{}",
        run.stdout
    );
    assert_eq!(
        run.stdout
            .matches(&format!("-- {} (up)", names()[3]))
            .count(),
        2,
        "{}",
        run.stdout
    );
    assert!(recorded(&mut db.client(), "c").is_empty());
    assert!(!db.tables().iter().any(|t| t.starts_with("c.")));
}

/// A migration that moves its session's `search_path` for good (as pg_dump output does) does not move the next
/// migration of the same target: over three schemas, one session for all of them, each schema gets its own
/// table and both of its history rows, and `public` gets neither.
#[test]
fn a_migration_that_moves_the_search_path_leaves_the_next_one_in_its_target() {
    let db = TestDb::new();
    db.exec("CREATE SCHEMA t1; CREATE SCHEMA t2; CREATE SCHEMA t3");
    let out = tests::cli::runner("fleet_search_path")
        .env("DATABASE_URL", db.url())
        .args(["fleet", "up", "--schemas", "t1,t2,t3", "--per-server", "1"])
        .output()
        .expect("the runner runs");
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        db.query_strings(
            "SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relname = 'made_here' ORDER BY 1"
        ),
        [[Some("t1".to_owned())], [Some("t2".to_owned())], [Some("t3".to_owned())]]
    );
    for schema in ["t1", "t2", "t3"] {
        assert_eq!(
            db.query_strings(&format!("SELECT count(*)::text FROM {schema}.pgmigrations")),
            [[Some("2".to_owned())]],
            "{schema}"
        );
    }
    assert_eq!(
        db.query_strings("SELECT pg_catalog.to_regclass('public.pgmigrations')::text"),
        [[None]]
    );
}

// A group's SQL is its first target's, the one its header names, whichever target is planned first: here
// the first target's plan waits behind a lock on its migrations table while the second one's is done.
#[test]
fn fleet_sql_shows_the_sql_of_the_target_its_header_names() {
    let db = TestDb::new();
    let cli = cli(db.url());
    cli.run(&["fleet", "up", "--schemas", "a,b", "--to", &names()[0]])
        .expect_code(0);
    let mut holder = db.client();
    holder
        .batch_execute("BEGIN; LOCK TABLE a.pgmigrations IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let run = std::thread::scope(|s| {
        let run = s.spawn(|| cli.run(&["fleet", "sql", "--schemas", "a,b"]));
        let mut watcher = db.client();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        // The plan of `a` waits for the lock; `b`'s is not held up.
        while watcher
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'a.pgmigrations'::regclass",
                &[],
            )
            .unwrap()
            .get::<_, i64>(0)
            == 0
        {
            assert!(std::time::Instant::now() < deadline, "a's plan never waited");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
        holder.batch_execute("COMMIT").unwrap();
        run.join().unwrap()
    });
    let run = run.expect_code(0);
    assert!(
        run.stdout
            .contains("-- 2 target(s): a, b\n-- shown for a: "),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.stdout
            .matches("INSERT INTO \"a\".\"pgmigrations\"")
            .count(),
        3,
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("\"b\".\"pgmigrations\""),
        "{}",
        run.stdout
    );
}

/// Runs `fleet <args>` and returns stderr, expecting exit status 1 and nothing created in `db`.
fn refused(db: &TestDb, args: &[&str]) -> String {
    let run = cli(db.url()).run(args).expect_code(1);
    assert!(
        run.stderr.starts_with("error: "),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    assert!(
        db.tables().iter().all(|t| t.starts_with("public.tenants")),
        "{:?}",
        db.tables()
    );
    run.stderr
}

// Bad target lists are refused before anything runs, naming what is wrong: duplicate
// schemas or databases, a canary not in the fleet, a target query that returns no rows, unknown or missing
// columns, non-text columns, or a row without url and schema.
#[test]
fn bad_target_lists_are_refused_before_anything_runs() {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE public.tenants (id int, slug text, active boolean);
         INSERT INTO public.tenants VALUES (1, 'acme', true), (2, NULL, true)",
    );
    let e = refused(&db, &["fleet", "up", "--schemas", "a,b,a"]);
    assert!(
        e.contains("targets \"a\" and \"a\" are the same target (schema \"a\" of database"),
        "{e}"
    );
    let url = with_password(db.url());
    let urls = format!("{url},{url}");
    let e = refused(&db, &["fleet", "up", "--urls", &urls]);
    assert!(e.contains("are the same target (database"), "{e}");
    assert!(!e.contains("s3cret-pw"), "{e}");
    let e = refused(&db, &["fleet", "up", "--schemas", "a,b", "--canary", "c"]);
    assert!(e.contains("canary target \"c\" is not in the fleet"), "{e}");
    let e = refused(
        &db,
        &[
            "fleet",
            "up",
            "--query",
            "SELECT slug AS schema FROM public.tenants WHERE false",
        ],
    );
    assert!(
        e.contains("the fleet's target query returned no rows"),
        "{e}"
    );
    let e = refused(
        &db,
        &[
            "fleet",
            "up",
            "--query",
            "SELECT slug AS schema, active FROM public.tenants",
        ],
    );
    assert!(
        e.contains("returns a column \"active\"")
            && e.contains("it returns: schema (text), active (bool)"),
        "{e}"
    );
    let e = refused(
        &db,
        &[
            "fleet",
            "up",
            "--query",
            "SELECT slug AS name FROM public.tenants",
        ],
    );
    assert!(e.contains("returns neither url nor schema"), "{e}");
    let e = refused(
        &db,
        &[
            "fleet",
            "status",
            "--query",
            "SELECT id AS schema FROM public.tenants",
        ],
    );
    assert!(
        e.contains("returns the column schema as int4") && e.contains("::text"),
        "{e}"
    );
    let e = refused(
        &db,
        &[
            "fleet",
            "up",
            "--query",
            "SELECT slug AS schema FROM public.tenants ORDER BY id",
        ],
    );
    assert!(
        e.contains("row 2 of the fleet's target query has neither url nor schema"),
        "{e}"
    );
    let e = refused(
        &db,
        &[
            "fleet",
            "up",
            "--query",
            "SELECT nonsense FROM public.tenants",
        ],
    );
    assert!(
        e.contains("the fleet's target query failed") && e.contains("42703"),
        "{e}"
    );
    let e = refused(&db, &["fleet", "up"]);
    // The engine says what is missing; the command names its flags.
    assert!(
        e.contains("the fleet has no targets: list its schemas")
            && e.contains("hint: give --schemas, --urls or --query"),
        "{e}"
    );
    let e = refused(
        &db,
        &["fleet", "up", "--schemas", "a", "--max-failures", "2"],
    );
    assert!(
        e.contains("--max-failures needs --on-error continue"),
        "{e}"
    );
}

// Targets from a tenants table (the source of truth), with names, and a target
// behind a transaction pooler refused for that target alone while the others are migrated; the same target
// with a direct URL for the migrator goes through.
#[test]
fn query_targets_and_a_target_behind_a_transaction_pooler() {
    use tests::pooler::{PgBouncer, PoolMode};
    let db = TestDb::new();
    let other = TestDb::new();
    let bouncer = PgBouncer::start(db.admin_url(), PoolMode::Transaction);
    let pooled = bouncer.url_for(other.url());
    db.exec(&format!(
        "CREATE TABLE public.tenants (slug text, url text);
         INSERT INTO public.tenants VALUES ('acme', NULL), ('Big Co', NULL), ('pooled', '{pooled}')"
    ));
    let run = cli(db.url()).run(&[
        "fleet",
        "up",
        "--query",
        "SELECT slug AS name, CASE WHEN url IS NULL THEN slug END AS schema, url FROM public.tenants",
        "--on-error",
        "continue",
        "--json",
    ]);
    let report = json(&run.expect_code(1));
    assert_eq!(
        states(&report),
        ["acme=done", "Big Co=done", "pooled=failed"]
    );
    let message = report["targets"][2]["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("goes through a connection pooler in transaction pooling mode"),
        "{message}"
    );
    assert!(other.tables().is_empty());
    let mut client = db.client();
    assert_eq!(recorded(&mut client, "Big Co"), names());
    // In migrate.toml: the pooled URL with a direct URL for the migrator.
    let cli = cli(db.url());
    std::fs::write(
        cli.cwd().join("migrate.toml"),
        format!(
            "[fleet]\nschemas = [\"acme\"]\n\n[[fleet.targets]]\nname = \"pooled\"\nurl = \"{pooled}\"\ndirect_url = \"${{OTHER_DIRECT_URL}}\"\n"
        ),
    )
    .unwrap();
    let missing = cli.run(&["fleet", "up"]).expect_code(1);
    assert!(
        missing
            .stderr
            .contains("names the environment variable OTHER_DIRECT_URL"),
        "{}",
        missing.stderr
    );
    let run = cli
        .run_env(
            &["fleet", "up", "--json"],
            &[("OTHER_DIRECT_URL", other.url())],
        )
        .expect_code(0);
    assert_eq!(states(&json(&run)), ["pooled=done", "acme=done"]);
    assert_eq!(recorded(&mut other.client(), "public"), names());
}

/// `n` tenant schemas listed in `public.tenants` of `db`.
fn tenants_table(db: &TestDb, n: usize) {
    db.exec(&format!(
        "CREATE TABLE public.tenants (id int PRIMARY KEY, slug text NOT NULL);
         INSERT INTO public.tenants SELECT i, 'tenant_' || i FROM generate_series(1, {n}) AS i"
    ));
}

const TENANTS_QUERY: &str = "SELECT slug AS schema FROM public.tenants ORDER BY id";

/// Every tenant of `db` has every migration recorded once and logged once: applied exactly once.
fn every_migration_applied_exactly_once(db: &TestDb, n: usize) {
    let mut client = db.client();
    for i in 1..=n {
        let schema = format!("tenant_{i}");
        assert_eq!(recorded(&mut client, &schema), names(), "{schema}");
        assert_eq!(logged(&mut client, &schema), LOG_NAMES, "{schema}");
    }
}

/// Starts `runners` fleet runs over the 200 tenants of a new database on `server` at once, and checks that
/// they shared the work and applied each migration exactly once per target.
fn concurrent_runners(server: &tests::cluster::Server, runners: usize) {
    const TENANTS: usize = 200;
    let db = TestDb::new_on(&server.admin_url());
    tenants_table(&db, TENANTS);
    let children: Vec<std::process::Child> = (0..runners)
        .map(|_| {
            tests::cli::runner("fleet")
                .env("DATABASE_URL", db.url())
                .args(["fleet", "up", "--query", TENANTS_QUERY, "--json"])
                .spawn()
                .expect("start a runner")
        })
        .collect();
    let mut applied = Vec::new();
    let mut revisits = Vec::new();
    for child in children {
        let out = child.wait_with_output().expect("the runner ends");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "stdout:\n{stdout}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
        assert_eq!(report["summary"]["done"], TENANTS, "{report:#}");
        // A rollout this large by a debug build (the tests' runner, unless built with --release) says that
        // a release build runs faster, on stderr, so the JSON on stdout stays whole.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let note = "note: 200 targets, and this runner is a debug build";
        assert_eq!(stderr.contains(note), cfg!(debug_assertions), "{stderr}");
        applied.push(report["summary"]["migrations"].as_u64().unwrap());
        revisits.push(
            report["targets"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["busy_revisits"].as_u64().unwrap())
                .sum::<u64>(),
        );
    }
    eprintln!(
        "{runners} runners over {TENANTS} tenants: migrations applied by each {applied:?}, busy revisits {revisits:?}"
    );
    // Together they applied every migration once: no target was done twice, none left out.
    assert_eq!(
        applied.iter().sum::<u64>(),
        (TENANTS * names().len()) as u64
    );
    every_migration_applied_exactly_once(&db, TENANTS);
}

// Two, then four, fleet runs started at once share 200 targets through each target's lock
// (a target another runner holds is revisited later, never waited on), and every migration is applied
// exactly once per target. On a throwaway cluster of the test's own: up to sixteen sessions at once.
#[test]
fn concurrent_runners_apply_each_migration_once_per_target() {
    let server = tests::cluster::start();
    concurrent_runners(&server, 2);
    concurrent_runners(&server, 4);
}

// A fleet run killed (SIGKILL) at about half-way leaves every target either untouched
// or with a prefix of its migrations applied and recorded, never half of one (the one in flight rolled back
// with its session); running the same command again resumes: it applies what is left and nothing twice.
#[test]
fn a_fleet_killed_half_way_resumes_where_it_stopped() {
    use std::io::BufRead;
    const TENANTS: usize = 200;
    let db = TestDb::new();
    tenants_table(&db, TENANTS);
    let mut child = tests::cli::runner("fleet")
        .env("DATABASE_URL", db.url())
        .args(["fleet", "up", "--query", TENANTS_QUERY])
        .spawn()
        .expect("start the runner");
    let stdout = child.stdout.take().expect("stdout");
    let mut done = 0;
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.expect("a line");
        if line.ends_with(": done, 4 applied") {
            done += 1;
            if done == TENANTS / 2 {
                break;
            }
        }
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    db.wait_for_runner_sessions_to_end();
    // Nothing half-recorded: every target's log (its migrations' own writes) is exactly what its migrations
    // table records, a prefix of the migrations.
    let mut client = db.client();
    let (mut complete, mut partial, mut untouched, mut applied_before) = (0, 0, 0, 0);
    for i in 1..=TENANTS {
        let schema = format!("tenant_{i}");
        let recorded = recorded(&mut client, &schema);
        let logged = logged(&mut client, &schema);
        assert_eq!(recorded, names()[..recorded.len()], "{schema}");
        assert_eq!(logged, LOG_NAMES[..recorded.len()], "{schema}");
        applied_before += recorded.len();
        match recorded.len() {
            0 => untouched += 1,
            4 => complete += 1,
            _ => partial += 1,
        }
    }
    assert!(complete >= TENANTS / 2, "{complete} complete");
    // The resume.
    let run = cli(db.url())
        .run(&["fleet", "up", "--query", TENANTS_QUERY, "--json"])
        .expect_code(0);
    let report = json(&run);
    let resumed = report["summary"]["migrations"].as_u64().unwrap() as usize;
    eprintln!(
        "killed after {done} of {TENANTS} targets: {complete} complete, {partial} part-way, {untouched} untouched, \
         {applied_before} migrations applied; the resume applied {resumed} in {} ms",
        report["duration_ms"]
    );
    assert_eq!(resumed, TENANTS * names().len() - applied_before);
    every_migration_applied_exactly_once(&db, TENANTS);
}

// SIGINT in the middle of a fleet: every running target stops cleanly (its running
// statement cancelled, its migration rolled back, its lock released), no other target starts, the summary
// says which were interrupted and which never started, and the exit status is 130.
#[test]
fn sigint_stops_every_running_target_cleanly() {
    let db = TestDb::new();
    let child = tests::cli::runner("fleet_slow")
        .env("DATABASE_URL", db.url())
        .args([
            "fleet",
            "up",
            "--schemas",
            "a,b,c,d,e,f",
            "--parallel",
            "3",
            "--json",
        ])
        .spawn()
        .expect("start the runner");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let sleeping = |db: &TestDb| -> i64 {
        db.client()
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()",
                &[],
            )
            .unwrap()
            .get(0)
    };
    while sleeping(&db) < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "three targets never got to the slow migration"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    let out = child.wait_with_output().expect("the runner ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(130),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stderr.contains("SIGINT received: no other target starts"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(
        states(&report),
        [
            "a=interrupted",
            "b=interrupted",
            "c=interrupted",
            "d=pending",
            "e=pending",
            "f=pending"
        ]
    );
    assert_eq!(
        report["stopped"],
        "stopped on SIGINT: no other target was started"
    );
    let slow = tests::fixtures::fleet_slow::REGISTRY.migrations.as_slice();
    let mut client = db.client();
    for schema in ["a", "b", "c"] {
        // The quick migration stays; the slow one rolled back (its column is not there).
        assert_eq!(recorded(&mut client, schema), [slow[0].name()]);
        assert_eq!(db.columns(&format!("{schema}.items")), ["id"]);
    }
    for schema in ["d", "e", "f"] {
        assert!(recorded(&mut client, schema).is_empty());
    }
    db.wait_for_runner_sessions_to_end();
    let locks: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(locks, 0);
}

/// Snapshots a fleet command's transcript, with timings in seconds hidden too.
fn snapshot(name: &str, run: &tests::cli::Run, args: &[&str]) {
    let mut filters = tests::cli::filters();
    filters.push((r"\d+\.\d s\b".to_owned(), "N s".to_owned()));
    // Which target was slowest is up to the machine.
    filters.push((r"(?m)^slowest(.*)$".to_owned(), "slowest[...]".to_owned()));
    // A run's id is made when it starts.
    filters.push((
        r"\b\d{8}-\d{6}-[0-9a-f]{4}\b".to_owned(),
        "[RUN]".to_owned(),
    ));
    let filters: Vec<(&str, &str)> = filters
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    insta::with_settings!({ filters => filters, prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, run.transcript(args));
    });
}

// What a fleet run prints when stdout is not a terminal (a line per migration and
// per target, then the summary), what `status` prints, and `sql`'s groups.
#[test]
fn fleet_output() {
    let db = TestDb::new();
    tenants(&db, &["broken"]);
    let cli = cli(db.url());
    let up = [
        "fleet",
        "up",
        "--schemas",
        "alpha,broken,gamma",
        "--parallel",
        "1",
        "--on-error",
        "continue",
    ];
    snapshot("fleet_up", &cli.run(&up).expect_code(1), &up);
    let status = ["fleet", "status", "--schemas", "alpha,broken,gamma,delta"];
    snapshot("fleet_status", &cli.run(&status).expect_code(0), &status);
    let sql = ["fleet", "sql", "--schemas", "alpha,delta", "--expand-only"];
    snapshot("fleet_sql", &cli.run(&sql).expect_code(0), &sql);
}

// An application migrates a new tenant's schema through one call, and every tenant at
// start-up with a parallel limit, from async code, with the same events as the CLI; a callback that panics
// fails its target instead of leaving the run hanging.
#[tokio::test(flavor = "multi_thread")]
async fn an_application_migrates_a_new_tenant_and_every_tenant_at_start_up() {
    use migrate_cli::{Embedded, EmbeddedFleet, Settings};
    use migrate_core::fleet::FleetEvent;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    // The test's own synchronous client must not run on the runtime's threads.
    let off = |f: Box<dyn FnOnce() + Send>| std::thread::spawn(f).join().expect("no panic");
    let db = std::thread::spawn(TestDb::new).join().unwrap();
    let settings = Settings {
        database_url: Some(db.url().to_owned()),
        ..Settings::default()
    };
    let ran = Embedded::with_settings(&fleet::REGISTRY, settings.clone())
        .up_target(Target::schema("Tenant 42"), UpTarget::All, |_| {})
        .await
        .expect("the new tenant is migrated");
    assert_eq!(ran.len(), names().len());
    let finished = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&finished);
    let report = EmbeddedFleet::with_settings(&fleet::REGISTRY, settings.clone())
        .schemas(["tenant_1", "tenant_2", "tenant_3", "Tenant 42"])
        .parallel(2)
        .up(UpTarget::All, move |event| {
            if let FleetEvent::Finished { .. } = event {
                seen.fetch_add(1, Ordering::SeqCst);
            }
        })
        .await
        .expect("the fleet runs");
    assert!(report.all_done(), "{report:#?}");
    assert_eq!(finished.load(Ordering::SeqCst), 4);
    assert_eq!(
        report
            .targets
            .iter()
            .map(|t| t.ran.len())
            .collect::<Vec<_>>(),
        [4, 4, 4, 0]
    );
    let statuses = EmbeddedFleet::with_settings(&fleet::REGISTRY, settings.clone())
        .schemas(["tenant_1", "Tenant 42"])
        .status()
        .await
        .expect("status");
    assert!(statuses
        .iter()
        .all(|s| s.pending == 0 && s.version.as_ref() == names().last()));
    let panicking = EmbeddedFleet::with_settings(&fleet::REGISTRY, settings)
        .schemas(["tenant_4"])
        .up(UpTarget::All, |event| {
            if let FleetEvent::Started { .. } = event {
                panic!("the application's callback panicked");
            }
        })
        .await
        .expect("the fleet runs");
    assert_eq!(panicking.targets[0].state, TargetState::Failed);
    assert!(panicking.targets[0]
        .error
        .as_ref()
        .unwrap()
        .message
        .contains("the application's callback panicked"));
    off(Box::new(move || {
        let mut client = db.client();
        assert_eq!(recorded(&mut client, "Tenant 42"), names());
        assert_eq!(logged(&mut client, "tenant_3"), LOG_NAMES);
        drop(client);
        drop(db);
    }));
}

/// Whether `actual` is what a transcript shows: `...` stands for any lines, a line ending in `...` for any line
/// starting with what comes before it.
fn transcript_matches(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| transcript_matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => match actual.split_first() {
            Some((line, more)) => {
                let fits = match first.strip_suffix("...") {
                    Some(prefix) => line.starts_with(prefix),
                    None => line == first,
                };
                fits && transcript_matches(rest, more)
            }
            None => false,
        },
    }
}

// Proof: docs/fleet.md's worked example (the example app's migrations on 50 tenant schemas) is
// replayed command by command on a fresh database, and every transcript must be what the command prints. The
// SQL of its `psql "$DATABASE_URL"` lines runs on that database; its `migrate.toml` block is the configuration;
// `migrate ...` runs the example app's migrations through the fixtures' runner.
#[test]
fn the_fleet_guide_replays() {
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/fleet.md"))
        .expect("docs/fleet.md");
    let start = guide
        .find("## A worked example")
        .expect("the worked example");
    let end = guide[start..]
        .find("\n## Running a fleet")
        .map_or(guide.len(), |at| start + at);
    let db = TestDb::new();
    let cli = tests::cli::FixtureCli::with_url("example_app", db.url());
    let migrations = tests::fixtures::dir("x")
        .parent()
        .and_then(|p| p.parent())
        .and_then(|p| p.parent())
        .expect("the workspace")
        .join("example-app/migrations");
    let normalise = |line: &str| -> String {
        let line = line.replace(
            &format!("{}/", migrations.display()),
            "example-app/migrations/",
        );
        let mut out = String::new();
        let words: Vec<&str> = line.split(' ').collect();
        for (i, word) in words.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let seconds = words.get(i + 1).is_some_and(|next| next.starts_with('s'))
                && word.trim_start_matches('(').parse::<f64>().is_ok();
            // A run's start, as `fleet runs` prints it.
            let shape = |word: &str, sep: char, parts: &[usize]| {
                let split: Vec<&str> = word.split(sep).collect();
                split.len() == parts.len()
                    && split
                        .iter()
                        .zip(parts)
                        .all(|(p, n)| p.len() == *n && p.bytes().all(|b| b.is_ascii_digit()))
            };
            if shape(word, '-', &[4, 2, 2]) {
                out.push_str("YYYY-MM-DD");
            } else if shape(word, ':', &[2, 2, 2]) {
                out.push_str("HH:MM:SS");
            } else if seconds {
                out.push_str(if word.starts_with('(') { "(N" } else { "N" });
            } else if word.starts_with('(')
                && words.get(i + 1).is_some_and(|next| next.starts_with("ms)"))
                && word[1..].parse::<u64>().is_ok()
            {
                out.push_str("(N");
            } else {
                out.push_str(word);
            }
        }
        out
    };
    let mut block: Option<&str> = None;
    let mut commands = 0;
    let lines: Vec<&str> = guide[start..end].lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if let Some(kind) = line.strip_prefix("```") {
            block = match block {
                None => Some(kind.trim()),
                Some(_) => None,
            };
            if block == Some("toml") {
                let body: Vec<&str> = lines[i..]
                    .iter()
                    .take_while(|l| !l.starts_with("```"))
                    .copied()
                    .collect();
                std::fs::write(cli.cwd().join("migrate.toml"), body.join("\n")).unwrap();
            }
            continue;
        }
        match block {
            Some("sh") => {
                if let Some(sql) = line
                    .strip_prefix("psql \"$DATABASE_URL\" -c \"")
                    .and_then(|rest| rest.strip_suffix('"'))
                {
                    db.exec(sql);
                } else {
                    assert!(
                        line.starts_with("psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE")
                            || line.starts_with("export DATABASE_URL="),
                        "docs/fleet.md: a step the replay does not know: {line}"
                    );
                }
            }
            Some("console") => {
                let command = line.strip_prefix("$ migrate ").unwrap_or_else(|| {
                    panic!("docs/fleet.md: a console block starts with `$ migrate`: {line}")
                });
                let expected: Vec<String> = lines[i..]
                    .iter()
                    .take_while(|l| !l.starts_with("```"))
                    .map(|l| (*l).to_owned())
                    .collect();
                i += expected.len();
                let args: Vec<&str> = command.split_whitespace().collect();
                let run = cli.run_env(
                    &args,
                    &[("MIGRATIONS_DIR", &migrations.display().to_string())],
                );
                let actual: Vec<String> = run.stdout.lines().map(normalise).collect();
                assert!(
                    transcript_matches(&expected, &actual),
                    "docs/fleet.md, `migrate {command}` (exit {}):\n--- the guide shows\n{}\n--- it printed\n{}\n--- stderr\n{}",
                    run.code,
                    expected.join("\n"),
                    actual.join("\n"),
                    run.stderr
                );
                commands += 1;
            }
            _ => {}
        }
    }
    assert_eq!(commands, 9, "the worked example's commands");
    // The example ends with release 7 reverted by run: every tenant back at its two expands.
    let mut client = db.client();
    let expands = &tests::fixtures::example_app::REGISTRY.migrations.as_slice()[..2];
    for n in [1, 7, 50] {
        let names: Vec<&str> = expands.iter().map(|m| m.name()).collect();
        assert_eq!(recorded(&mut client, &format!("tenant_{n:02}")), names);
    }
}

// A fleet of many databases keeps no session open on the databases it is done with (sessions
// are kept for the next target of the same database only up to the parallel limit): on a server that allows
// few connections, twelve databases two at a time all go through.
#[test]
fn sessions_kept_between_targets_stay_within_the_parallel_limit() {
    let server = tests::cluster::start();
    let mut admin = postgres::Client::connect(&server.admin_url(), postgres::NoTls).unwrap();
    // Three superuser slots are reserved, so ten leaves seven: the two sessions at work, the pooler check's
    // second connection, and the few kept sessions, but not one per database.
    admin
        .batch_execute("ALTER SYSTEM SET max_connections = 10")
        .unwrap();
    drop(admin);
    server.restart(tests::cluster::Shutdown::Fast);
    let urls: Vec<String> = (1..=12)
        .map(|i| server.database(&format!("shard_{i}")))
        .collect();
    let run = cli(&server.admin_url()).run(&[
        "fleet",
        "up",
        "--urls",
        &urls.join(","),
        "--parallel",
        "2",
        "--json",
    ]);
    let report = json(&run.expect_code(0));
    assert_eq!(report["summary"]["done"], 12, "{report:#}");
}

// `fleet up --parallel 8` against a server whose connections are nearly all taken (a throwaway cluster with
// max_connections = 10, eight of them held by "the application"): the targets the server refuses fail
// naming its connection limit, the summary names the limit to lower with its value in this run, and no
// target is left with part of a migration; with room made and --per-server lowered, the same command
// completes every target.
#[test]
fn a_fleet_at_the_servers_connection_limit_names_it_and_applies_nothing_by_halves() {
    let server = tests::cluster::start();
    {
        let mut admin =
            postgres::Client::connect(&server.admin_url(), postgres::NoTls).expect("connects");
        // One statement each: ALTER SYSTEM refuses to run in the transaction of a multi-statement query.
        admin
            .batch_execute("ALTER SYSTEM SET max_connections = 10")
            .expect("max_connections");
        admin
            .batch_execute("ALTER SYSTEM SET superuser_reserved_connections = 0")
            .expect("superuser_reserved_connections");
    }
    server.restart(tests::pg_versions::Shutdown::Fast);
    let url = server.database("fleetdb");
    let held: Vec<postgres::Client> = (0..8)
        .map(|_| postgres::Client::connect(&url, postgres::NoTls).expect("a held session"))
        .collect();
    let schemas: Vec<String> = (1..=16).map(|i| format!("t{i}")).collect();
    let list = schemas.join(",");
    let run = cli(&url)
        .run(&["fleet", "up", "--schemas", &list, "--parallel", "8"])
        .expect_code(1);
    assert!(
        run.stdout.contains("sorry, too many clients already (SQLSTATE 53300); the connection limit is reached (the server's max_connections): this target ran nothing")
            && run.stdout.contains("this target ran nothing")
            && run.stdout.contains("hint: the server refused ")
            && run.stdout.contains("This run opens up to 8 session(s) on each server (--per-server 8, --parallel 8 over all servers)")
            && run.stdout.contains("lower --per-server below the sessions the server has free"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    // Nothing by halves: each target has all of the fixture's migrations or none, each recorded exactly when
    // its own writes are there, and no failure mark anywhere.
    drop(held);
    let mut client = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
    for schema in &schemas {
        let recorded = recorded(&mut client, schema);
        assert!(
            recorded.is_empty() || recorded == names(),
            "{schema}: {recorded:?}"
        );
        assert_eq!(
            logged(&mut client, schema),
            LOG_NAMES[..recorded.len()],
            "{schema}"
        );
        let marks: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relname = 'pgmigrations_failed'",
                &[schema],
            )
            .expect("reads the catalog")
            .get(0);
        if marks > 0 {
            let rows: i64 = client
                .query_one(
                    &format!("SELECT count(*) FROM {schema}.pgmigrations_failed"),
                    &[],
                )
                .expect("reads the marks")
                .get(0);
            assert_eq!(rows, 0, "{schema}: failure marks");
        }
    }
    let again = cli(&url)
        .run(&["fleet", "up", "--schemas", &list, "--per-server", "2"])
        .expect_code(0);
    for schema in &schemas {
        assert_eq!(
            recorded(&mut client, schema),
            names(),
            "{schema}: {}",
            again.stdout
        );
    }
}
