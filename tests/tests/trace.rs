//! `migrate trace`: each statement's locks, rewrites and scans, read on a scratch database while the real
//! runner applies the migration; the gate and its exit status; --rows and --data; the output formats.

use tests::cli::{FixtureCli, Run};
use tests::TestDb;

/// The exit status of a trace the gate stops.
const GATE: i32 = 7;

/// Pins `run` like `assert_cli_snapshot!`, with durations filtered too.
fn snapshot(name: &str, run: &Run, args: &[&str]) {
    snapshot_filtered(name, run, args, &[]);
}

/// [`snapshot`] with `extra` filters (pattern, replacement) applied first.
fn snapshot_filtered(name: &str, run: &Run, args: &[&str], extra: &[(&str, &str)]) {
    let mut filters: Vec<(String, String)> = extra
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    filters.extend(tests::cli::filters());
    filters.push((r"\d+\.\d ms".to_owned(), "[ms]".to_owned()));
    filters.push((
        r#""duration_ms": [0-9.e-]+"#.to_owned(),
        r#""duration_ms": "[ms]""#.to_owned(),
    ));
    let filters: Vec<(&str, &str)> = filters
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    insta::with_settings!({ filters => filters, prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, run.transcript(args));
    });
}

/// `trace NAME --format json`, parsed.
fn json(cli: &FixtureCli, name: &str, code: i32) -> serde_json::Value {
    let run = cli
        .run(&["trace", name, "--format", "json"])
        .expect_code(code);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

/// The only statement of the only migration of a trace, or the `n`th statement of its transaction `t`.
fn statement(trace: &serde_json::Value, t: usize, n: usize) -> &serde_json::Value {
    &trace["migrations"][0]["transactions"][t]["statements"][n]
}

// Each typed operation that takes a distinctive lock, traced on its own and pinned.
#[test]
fn the_trace_of_each_operation_kind_with_a_distinctive_lock() {
    let db = TestDb::new();
    let cli = FixtureCli::new("trace_ops", &db);
    for (migration, snapshot_name, code) in [
        ("20261001000002", "trace_add_column_volatile_default", GATE),
        ("20261001000003", "trace_set_not_null", GATE),
        ("20261001000004", "trace_set_not_null_recipe", 0),
        ("20261001000005", "trace_add_foreign_key", 0),
        ("20261001000006", "trace_add_foreign_key_not_valid", 0),
        ("20261001000007", "trace_create_index", 0),
        ("20261001000008", "trace_create_index_concurrently", 0),
        ("20261001000009", "trace_alter_column_type_rewrite", GATE),
        ("20261001000010", "trace_rewrite_accepted", 0),
        ("20261001000011", "trace_rename_column", 0),
    ] {
        let args = ["trace", migration];
        let run = cli.run(&args).expect_code(code);
        snapshot(snapshot_name, &run, &args);
    }
    assert!(db.tables().is_empty(), "trace touched the target database");
}

// What the snapshots show, asserted on the JSON form.
#[test]
fn the_trace_reports_locks_rewrites_scans_and_the_gate() {
    let db = TestDb::new();
    let cli = FixtureCli::new("trace_ops", &db);

    // A volatile default rewrites `orders` under ACCESS EXCLUSIVE: the gate fails.
    let t = json(&cli, "20261001000002", GATE);
    let s = statement(&t, 0, 0);
    assert_eq!(s["locks"][0]["mode"], "ACCESS EXCLUSIVE", "{s}");
    assert_eq!(s["locks"][0]["blocks"], "reads and writes", "{s}");
    assert_eq!(s["rewrites"][0]["relation"], "orders", "{s}");
    assert_eq!(s["gate"][0]["kind"], "rewrite", "{s}");
    assert_eq!(s["line"], 5, "{s}");
    assert_eq!(t["summary"]["gate_failures"], 1);

    // The NOT NULL recipe: three transactions; the check is validated (scanned) under SHARE UPDATE EXCLUSIVE
    // in its own, and SET NOT NULL scans nothing.
    let t = json(&cli, "20261001000004", 0);
    let transactions = t["migrations"][0]["transactions"].as_array().unwrap();
    assert_eq!(transactions.len(), 3, "{t}");
    let validate = statement(&t, 1, 0);
    assert_eq!(
        validate["locks"][0]["mode"], "SHARE UPDATE EXCLUSIVE",
        "{validate}"
    );
    assert_eq!(validate["scans"][0]["table"], "orders", "{validate}");
    assert_eq!(
        validate["validated"].as_array().unwrap().len(),
        1,
        "{validate}"
    );
    let set = statement(&t, 2, 0);
    assert_eq!(set["scans"], serde_json::json!([]), "{set}");
    assert!(
        set["proven"][0]
            .as_str()
            .unwrap()
            .contains("sufficient to prove"),
        "{set}"
    );

    // A valid foreign key: SHARE ROW EXCLUSIVE on both tables while every row is looked up.
    let t = json(&cli, "20261001000005", 0);
    let s = statement(&t, 0, 0);
    let locked: Vec<(&str, &str)> = s["locks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "table")
        .map(|l| (l["relation"].as_str().unwrap(), l["mode"].as_str().unwrap()))
        .collect();
    assert_eq!(
        locked,
        [
            ("orders", "SHARE ROW EXCLUSIVE"),
            ("users", "SHARE ROW EXCLUSIVE")
        ],
        "{s}"
    );
    assert_eq!(s["scans"][0]["table"], "orders", "{s}");

    // A concurrent index build, outside a transaction: its lock read while it waited for the trace's
    // snapshot.
    let t = json(&cli, "20261001000008", 0);
    let s = statement(&t, 0, 0);
    assert_eq!(t["migrations"][0]["transactions"][0]["autocommit"], true);
    assert_eq!(s["observed"], "while_waiting", "{s}");
    assert_eq!(s["locks"][0]["mode"], "SHARE UPDATE EXCLUSIVE", "{s}");
    assert_eq!(s["locks"][0]["blocks"], "nothing", "{s}");

    // integer to bigint rewrites the table and its primary key's index.
    let t = json(&cli, "20261001000009", GATE);
    let rewrites: Vec<&str> = statement(&t, 0, 0)["rewrites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["relation"].as_str().unwrap())
        .collect();
    assert!(
        rewrites.contains(&"orders") && rewrites.contains(&"orders_pkey"),
        "{rewrites:?}"
    );

    // The accepted rewrite passes, with its reason.
    let t = json(&cli, "20261001000010", 0);
    assert_eq!(statement(&t, 0, 0)["gate"][0]["allowed"]["line"], 4);
    assert_eq!(t["summary"]["gate_findings"], 1);
    assert_eq!(t["summary"]["gate_failures"], 0);
}

// The JSON form's schema, pinned.
#[test]
fn trace_json_is_pinned() {
    let db = TestDb::new();
    let cli = FixtureCli::new("trace_ops", &db);
    let args = ["trace", "20261001000006", "--format", "json"];
    let run = cli.run(&args).expect_code(0);
    // The referenced table's primary key index is read under ACCESS SHARE by newer servers (15), not by 13: a
    // lock that blocks nothing, left out so that one snapshot holds on every supported major.
    let index_read = (
        r#",\s*\{\s*"blocks": "nothing",\s*"kind": "index",\s*"mode": "ACCESS SHARE",\s*"relation": "[^"]*",\s*"table": "[^"]*"\s*\}"#,
        "",
    );
    snapshot_filtered("trace_json", &run, &args, &[index_read]);
}

// GitHub annotations on the migration file's lines: an error where the gate stops.
#[test]
fn trace_github_annotates_the_lines_the_gate_stops() {
    let db = TestDb::new();
    let cli = FixtureCli::new("trace_ops", &db);
    let args = [
        "trace",
        "20261001000009",
        "20261001000011",
        "--format",
        "github",
    ];
    let run = cli.run(&args).expect_code(GATE);
    snapshot("trace_github", &run, &args);
    assert!(
        run.stdout.lines().any(|l| l.starts_with("::error file=")
            && l.contains("20261001000009_amount_bigint.rs,line=5,title=trace gate::")),
        "{}",
        run.stdout
    );
}

// Without names, the pending migrations are traced; with none pending, nothing is.
#[test]
fn trace_takes_the_pending_migrations() {
    let db = TestDb::new();
    let cli = FixtureCli::new("trace_ops", &db);
    cli.run(&["up", "--to", "20261001000010"]).expect_code(0);
    // Its tables hold no rows: the UPDATE of 20261001000012 reads none, so the gate has nothing to stop.
    let run = cli.run(&["trace"]).expect_code(0);
    assert!(
        run.stdout.starts_with(
            "trace of 2 migration(s) on a scratch database built from the 10 migration(s) before them"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("\n20261001000011_rename_email (up): ")
            && run
                .stdout
                .contains("\n20261001000012_total_in_transaction (up): "),
        "{}",
        run.stdout
    );
    cli.run(&["up"]).expect_code(0);
    let run = cli.run(&["trace"]).expect_code(0);
    assert!(
        run.stdout
            .starts_with("nothing to trace: no migration is pending"),
        "{}",
        run.stdout
    );
}

// --rows fills the tables that exist before the traced migration, parents first, and
// --data runs a file before it.
#[test]
fn trace_fills_tables_with_rows_and_runs_a_data_file_first() {
    let db = TestDb::new();
    let cli = FixtureCli::new("trace_ops", &db);
    let data = cli.cwd().join("data.sql");
    std::fs::write(
        &data,
        "INSERT INTO users (id, email) VALUES (-1, 'from the data file');\n",
    )
    .unwrap();
    let run = cli
        .run(&[
            "trace",
            "20261001000009",
            "--rows",
            "500",
            "--data",
            "data.sql",
            "--format",
            "json",
        ])
        .expect_code(GATE);
    let t: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(t["rows"]["rows_per_table"], 500);
    assert_eq!(
        t["rows"]["filled"],
        serde_json::json!(["public.users", "public.orders"]),
        "{t}"
    );
    assert_eq!(t["rows"]["skipped"], serde_json::json!([]), "{t}");
    assert_eq!(t["data_file"], "data.sql");
    assert_eq!(statement(&t, 0, 0)["rewrites"][0]["relation"], "orders");

    // A data file that fails names itself; nothing is left behind.
    std::fs::write(&data, "INSERT INTO nowhere VALUES (1);\n").unwrap();
    let run = cli
        .run(&["trace", "20261001000009", "--data", "data.sql"])
        .expect_code(1);
    assert!(
        run.stderr
            .contains("the data file data.sql failed: ERROR: relation \"nowhere\" does not exist"),
        "{}",
        run.stderr
    );
    let leftovers = db.query_strings(
        "SELECT datname::text FROM pg_database WHERE datname LIKE current_database() || '\\_trace\\_%'",
    );
    assert!(
        leftovers.is_empty(),
        "scratch database left behind: {leftovers:?}"
    );
    assert!(db.tables().is_empty(), "trace touched the target database");
}

// Bad input is an error naming what is wrong, before any scratch database exists.
#[test]
fn trace_refuses_bad_input() {
    let db = TestDb::new();
    let cli = FixtureCli::new("trace_bad_allow", &db);
    let run = cli.run(&["trace", "20261002000001"]).expect_code(1);
    assert!(
        run.stderr
            .contains("20261002000001_create_things.rs:4: unknown `trace: allow` kind `nap`"),
        "{}",
        run.stderr
    );
    let run = cli.run(&["trace", "nope"]).expect_code(1);
    assert!(
        run.stderr.contains("no migration named \"nope\""),
        "{}",
        run.stderr
    );
    let run = cli
        .run(&["trace", "20261002000001", "--data", "missing.sql"])
        .expect_code(1);
    assert!(
        run.stderr.contains("cannot read the data file missing.sql"),
        "{}",
        run.stderr
    );
    let run = cli.run(&["trace", "--rows", "0"]).expect_code(2);
    assert!(run.stderr.contains("--rows"), "{}", run.stderr);
}

// Repeatable migrations are traced where `up` runs them: after the versioned ones, in name order, the new
// and changed ones by default; a changed one on a base that has the repeatable ones before it.
#[test]
fn trace_takes_the_repeatable_migrations_up_would_apply() {
    let db = TestDb::new();
    let v1 = FixtureCli::new("repeatable_v1", &db);
    let run = v1.run(&["trace", "--format", "json"]).expect_code(0);
    let trace: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let names: Vec<&str> = trace["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .map(|m| m["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "20260701000001_accounts",
            "repeatable_a_active_accounts",
            "repeatable_b_account_names"
        ]
    );
    let view = &trace["migrations"][2]["transactions"][0]["statements"][0];
    assert!(
        view["sql"]
            .as_str()
            .expect("sql")
            .contains("DROP VIEW IF EXISTS account_names"),
        "{view:#}"
    );
    v1.run(&["up"]).expect_code(0);
    // v2 changes only `b`, whose view reads `a`'s: traced alone, on a base where `a` was applied.
    let v2 = FixtureCli::new("repeatable_v2", &db);
    let run = v2.run(&["trace"]).expect_code(0);
    assert!(
        run.stdout.starts_with(
            "trace of 1 migration(s) on a scratch database built from the 1 migration(s) before them"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("\nrepeatable_b_account_names (up): "),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("repeatable_a_active_accounts (up)"),
        "{}",
        run.stdout
    );
    // Named, and an unknown repeatable name refused before a scratch database is made.
    let run = v2
        .run(&["trace", "repeatable_a_active_accounts"])
        .expect_code(0);
    assert!(
        run.stdout.contains("\nrepeatable_a_active_accounts (up): "),
        "{}",
        run.stdout
    );
    let run = v2.run(&["trace", "repeatable_nope"]).expect_code(1);
    assert!(run.stderr.contains("repeatable_nope"), "{}", run.stderr);
}

/// An UPDATE of every row is a scan too: the statement reads the whole table (a sequential scan, counted in
/// the transaction's own statistics) and here writes every row, while the ADD COLUMN before it in the same
/// transaction holds ACCESS EXCLUSIVE: the gate stops it.
#[test]
fn an_update_of_every_row_under_access_exclusive_is_a_gated_scan() {
    let db = TestDb::new();
    let cli = FixtureCli::new("trace_ops", &db);
    let run = cli
        .run(&[
            "trace",
            "20261001000012",
            "--rows",
            "1000",
            "--format",
            "json",
        ])
        .expect_code(GATE);
    let t: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let update = statement(&t, 0, 1);
    assert!(
        update["sql"]
            .as_str()
            .expect("sql")
            .starts_with("UPDATE orders"),
        "{update}"
    );
    assert_eq!(update["scans"][0]["table"], "orders", "{update}");
    let reason = update["scans"][0]["reason"].as_str().expect("reason");
    assert!(
        reason.contains("sequential scan") && reason.contains("1000 row(s) read, 1000 updated"),
        "{reason}"
    );
    assert_eq!(update["gate"][0]["kind"], "scan", "{update}");
    assert_eq!(update["gate"][0]["holding"], serde_json::json!(["orders"]));
    // The ADD COLUMN alone reads nothing.
    assert_eq!(statement(&t, 0, 0)["scans"], serde_json::json!([]));
}

/// `trace --down`: the named migrations are applied on the scratch database (with every one before them),
/// then reverted, newest first, and each statement of their `down` traced. The derived `down` of
/// `rename_column_online(..).contract()` adds the old column back and copies the values into it in batches:
/// the copy scans the table but holds no exclusive lock, while putting the column's `NOT NULL` back verifies
/// every row under ACCESS EXCLUSIVE, which the gate stops.
#[test]
fn trace_down_traces_the_revert_of_the_named_or_pending_migrations() {
    let db = TestDb::new();
    let cli = FixtureCli::new("online", &db);
    let run = cli
        .run(&["trace", "--down", "20261201000003", "--format", "json"])
        .expect_code(GATE);
    let t: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    let m = &t["migrations"][0];
    assert_eq!(m["name"], "20261201000003_contract_comments_contents");
    assert_eq!(m["direction"], "down");
    let statements: Vec<&serde_json::Value> = m["transactions"]
        .as_array()
        .expect("transactions")
        .iter()
        .flat_map(|t| t["statements"].as_array().expect("statements"))
        .collect();
    let copy = statements
        .iter()
        .find(|s| {
            s["sql"]
                .as_str()
                .is_some_and(|sql| sql.starts_with("-- backfill \"comments\""))
        })
        .unwrap_or_else(|| panic!("no backfill traced: {m:#}"));
    // Its batches commit on their own: only the cumulative statistics of PostgreSQL 15 and later keep
    // their counts for the trace (before 15 the session's own counts are handed to the collector now and
    // then, and a hand-over during the copy loses them).
    if db.server_major() >= 15 {
        assert_eq!(copy["scans"][0]["table"], "comments", "{copy}");
        assert!(
            copy["scans"][0]["reason"]
                .as_str()
                .is_some_and(|r| r.contains("1000 updated")),
            "{copy}"
        );
    }
    assert_eq!(copy["gate"], serde_json::json!([]), "{copy}");
    let verified = statements
        .iter()
        .find(|s| s["gate"][0]["kind"] == "scan")
        .unwrap_or_else(|| panic!("no statement stopped by the gate: {m:#}"));
    assert_eq!(
        verified["gate"][0]["holding"],
        serde_json::json!(["comments"])
    );
    assert!(
        verified["sql"]
            .as_str()
            .is_some_and(|sql| sql.contains("SET NOT NULL")),
        "{verified}"
    );
    assert!(db.tables().is_empty(), "trace touched the target database");

    // Without names: the pending migrations, applied and then reverted newest first.
    cli.run(&["up", "--to", "20261201000002"]).expect_code(0);
    let run = cli.run(&["trace", "--down"]).expect_code(GATE);
    let order: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.ends_with(".rs") && l.contains(" (down): "))
        .map(|l| l.split(' ').next().unwrap_or_default())
        .collect();
    assert_eq!(
        order,
        [
            "20261201000005_unique_comments_body",
            "20261201000004_check_comments_body_length",
            "20261201000003_contract_comments_contents"
        ],
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .starts_with("trace of the `down` of 3 migration(s)"),
        "{}",
        run.stdout
    );
}
