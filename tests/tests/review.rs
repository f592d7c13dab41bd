//! `migrate review` against real servers: a "production" database read through a role that may only read
//! statistics, while a writer keeps writing; estimates for an index build, a column rewrite, the NOT NULL
//! recipe and a foreign key added NOT VALID then validated; the read-only guard; a clone measured on a
//! throwaway copy and left as it was; thresholds from migrate.toml.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde_json::Value;
use tests::cli::FixtureCli;
use tests::role::Role;
use tests::TestDb;

const FIXTURE: &str = "review";

/// A database with the fixture's first migration (categories and items) and `rows` items, analysed.
fn production(rows: u64) -> (TestDb, FixtureCli) {
    let db = TestDb::new();
    let cli = FixtureCli::new(FIXTURE, &db);
    cli.run(&["up", "1"]).expect_code(0);
    db.exec(&format!(
        "INSERT INTO categories SELECT i, 'category ' || i FROM generate_series(1, 1000) i;
         INSERT INTO items SELECT i, 'item number ' || i, i % 1000, 1 + i % 1000,
           CASE WHEN i % 3 = 0 THEN 'note ' || i ELSE 'n' END FROM generate_series(1, {rows}) i;"
    ));
    db.exec("VACUUM ANALYZE items");
    db.exec("VACUUM ANALYZE categories");
    (db, cli)
}

/// A role that can read statistics and nothing else.
fn statistics_role(db: &TestDb) -> Role {
    let role = Role::new(db, "stats");
    db.exec(&format!("GRANT pg_read_all_stats TO \"{}\"", role.name));
    role
}

/// The database the migrations are applied to (CI's service container): the first migration applied.
fn target() -> (TestDb, FixtureCli) {
    let db = TestDb::new();
    let cli = FixtureCli::new(FIXTURE, &db);
    cli.run(&["up", "1"]).expect_code(0);
    (db, cli)
}

/// Updates random items until dropped: the application's traffic.
struct Writer {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<u64>>,
}

impl Writer {
    fn start(db: &TestDb, rows: u64) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let mut client = db.client();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut writes = 0u64;
            while !flag.load(Ordering::Relaxed) {
                let id = (fastrand::u64(1..=rows)) as i64;
                client
                    .execute("UPDATE items SET note = note WHERE id = $1", &[&id])
                    .expect("the writer's update");
                writes += 1;
            }
            writes
        });
        Writer {
            stop,
            thread: Some(thread),
        }
    }

    fn stop(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .take()
            .map(|t| t.join().expect("writer thread"))
            .unwrap_or(0)
    }
}

/// Statement `index` (0-based) of the reviewed migration whose name contains `migration`, in a review's JSON.
pub(super) fn statement<'a>(review: &'a Value, migration: &str, index: usize) -> &'a Value {
    let m = review["review"]["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .find(|m| m["name"].as_str().is_some_and(|n| n.contains(migration)))
        .unwrap_or_else(|| panic!("{migration} reviewed: {review:#}"));
    &m["statements"][index]
}

fn seconds(s: &Value) -> f64 {
    s["estimate"]["seconds"]
        .as_f64()
        .unwrap_or_else(|| panic!("an estimate: {s:#}"))
}

#[test]
fn a_review_of_five_million_rows_shows_sizes_locks_and_estimates_for_each_recipe() {
    const ROWS: u64 = 5_000_000;
    let (prod, _) = production(ROWS);
    let role = statistics_role(&prod);
    let (_target, cli) = target();
    // A lock that makes queries wait a second is an error; a fifth of it, a warning: the rewrite of 5
    // million rows holds its lock longer on any machine, the catalog-only statements far shorter.
    std::fs::write(
        cli.cwd().join("migrate.toml"),
        "[review]\nmax_blocking = \"1s\"\n",
    )
    .expect("config");
    let writer = Writer::start(&prod, ROWS);
    let url = role.url(&prod);
    let json = cli.run(&["review", "--production-url", &url, "--format", "json"]);
    let markdown = cli.run(&["review", "--production-url", &url, "--format", "markdown"]);
    assert!(writer.stop() > 0, "the writer wrote");
    // The rewrite of a 5-million-row table is an error: exit 10, the report printed all the same.
    let json = json.expect_code(10);
    let review: Value = serde_json::from_str(&json.stdout).expect("JSON");
    let production = &review["review"]["production"];
    assert_eq!(production["role"], role.name.as_str());
    assert_eq!(production["could_write"], serde_json::json!([]));
    let items = production["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .find(|t| t["table"] == "items")
        .expect("production's items");
    let rows = items["rows"].as_f64().expect("rows");
    assert!((rows - ROWS as f64).abs() < ROWS as f64 * 0.05, "{items}");
    assert!(
        items["writes_per_s"].as_f64().expect("measured") > 0.0,
        "{items}"
    );

    let index = statement(&review, "index_items_name", 0);
    assert_eq!(index["work"], "index_build", "{index:#}");
    assert_eq!(index["locks"][0]["mode"], "SHARE UPDATE EXCLUSIVE");
    assert!(seconds(index) > 0.5, "{index:#}");
    assert!(index["estimate"]["blocking"].is_null(), "{index:#}");

    let rewrite = statement(&review, "price_bigint", 0);
    assert_eq!(rewrite["work"], "rewrite", "{rewrite:#}");
    let blocking = &rewrite["estimate"]["blocking"];
    assert_eq!(blocking["mode"], "ACCESS EXCLUSIVE", "{rewrite:#}");
    assert_eq!(blocking["blocks"], "reads and writes");
    assert!(
        blocking["seconds"].as_f64().expect("held") > 1.0,
        "{rewrite:#}"
    );
    assert!(
        blocking["queries_waiting"].as_f64().expect("waiting") > 0.0,
        "{rewrite:#}"
    );
    let rules: Vec<(&str, &str)> = rewrite["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or(""),
                f["level"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert!(
        rules.contains(&("changing-column-type", "error")),
        "{rules:?}"
    );

    let add = statement(&review, "category_fk", 0);
    assert_eq!(add["work"], "metadata", "{add:#}");
    let validate = statement(&review, "category_fk", 1);
    assert_eq!(validate["work"], "validate_foreign_key", "{validate:#}");
    assert_eq!(validate["locks"][0]["mode"], "SHARE UPDATE EXCLUSIVE");
    assert!(seconds(validate) > seconds(add), "{validate:#}");

    // The recipe: NOT VALID check, VALIDATE (a scan without a blocking lock), SET NOT NULL proven by it.
    let scan = statement(&review, "note_not_null", 1);
    assert_eq!(scan["work"], "scan", "{scan:#}");
    assert!(scan["estimate"]["blocking"].is_null(), "{scan:#}");
    let set = statement(&review, "note_not_null", 2);
    assert_eq!(set["work"], "metadata", "{set:#}");
    assert!(seconds(set) < 0.5, "{set:#}");
    for s in [index, rewrite, validate, scan] {
        let basis = s["estimate"]["basis"].as_str().expect("basis");
        assert!(
            basis.contains("measured") && basis.contains("in production"),
            "{basis}"
        );
    }
    assert_eq!(review["summary"]["verdict"], "error");

    let markdown = markdown.expect_code(10);
    assert_eq!(
        markdown.stdout.contains("`GRANT pg_read_all_data TO "),
        prod.server_major() >= 14,
        "the grant of every table's rows is offered where the server has it:\n{}",
        markdown.stdout
    );
    let filters = markdown_filters(&[]);
    let filters: Vec<(&str, &str)> = filters
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    insta::with_settings!({ filters => filters, prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("review_markdown", markdown.stdout);
    });
}

/// The filters that keep a review comment's volatile parts (sizes, durations, rates, the production URL and
/// its server's version) out of its snapshot, after `before`.
fn markdown_filters(before: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut filters: Vec<(String, String)> = before
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    filters.extend(tests::cli::filters());
    let ours = [
        (r"\d+(\.\d+)? (ms|s|min|kB|MB|GB)\b", "[N]"),
        (r"\b\d+(\.\d+)?[kM]\b", "[N]"),
        (r"\d+(\.\d+)?[kM]? rows", "[N] rows"),
        (r"\d+ (writes|reads)/s", "[N] $1/s"),
        (r"×\d+\.\d", "×[N]"),
        (r"~[\d,]+ quer(y|ies)", "~[N] queries"),
        (r"about [\d,]+ quer(y|ies)", "about [N] queries"),
        (
            r"postgres://[^ ]+ as role [a-z0-9_]+",
            "[PRODUCTION] as role [ROLE]",
        ),
        (r"PostgreSQL [0-9.]+[^;]*;", "PostgreSQL [VERSION];"),
        // The grant PostgreSQL 14 added, offered beside `GRANT SELECT` from that version on: the test checks
        // it apart, so the comment's snapshot holds on every major.
        (
            r#"`GRANT pg_read_all_data TO "[^"`]+"` \(every table\) or "#,
            "",
        ),
        (r"(\d+ min )?\[N\]", "[N]"),
        // A duration over a minute (`1 min 5 s`) is two numbers with units, each made `[N]` by the first
        // filter: one duration, however long the machine took.
        (r"\[N\] \[N\]", "[N]"),
    ];
    filters.extend(ours.iter().map(|(a, b)| (a.to_string(), b.to_string())));
    filters
}

/// The whole comment docs/review-against-production.md shows is what the run above printed (its snapshot), once the parts that
/// vary from run to run are set aside; the guide's copy is a real run of the guide's own example, which names
/// its production `shop` (its URL and role) and a package's `migrations/` folder where the run had the test
/// server's database and the fixture folder.
#[test]
fn the_review_guides_sample_comment_is_a_real_runs_output() {
    let page = std::fs::read_to_string(
        tests::cli::workspace_root().join("docs/review-against-production.md"),
    )
    .expect("docs/review-against-production.md");
    let start = page
        .find("~~~~markdown\n")
        .expect("the sample comment's block")
        + "~~~~markdown\n".len();
    let end = start + page[start..].find("~~~~").expect("the block's end");
    let sample = &page[start..end];
    assert!(
        sample.contains(
            "production: postgres://migrate_review@localhost/shop as role migrate_review,"
        ),
        "the sample names the guide's production, not a test database:\n{sample}"
    );
    let filters = markdown_filters(&[
        (
            r"production: postgres://[^ ]+ as role [a-z0-9_]+",
            "production: postgres://[DB]@[HOST]/[DB] as role [DB]",
        ),
        (r"File `migrations/", "File `[FIXTURES]/review/"),
        // The data checks' grant hints name the role: the run's is named after its test database.
        (r"\bmigrate_review\b", "[DB]"),
    ]);
    let filters: Vec<(&str, &str)> = filters
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    insta::with_settings!({ filters => filters, prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("review_markdown", sample);
    });
}

#[test]
fn a_production_session_that_could_write_is_refused_and_nothing_is_reviewed() {
    let (prod, _) = production(1_000);
    let (target, cli) = target();
    // The test's own connection is a superuser's.
    let refused = cli
        .run(&["review", "--production-url", prod.url()])
        .expect_code(1);
    assert!(
        refused.stderr.contains("could write to production")
            && refused.stderr.contains("it is a superuser"),
        "{}",
        refused.stderr
    );
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);
    // Told that a writable session is meant, it reads (and says what the session could do).
    let allowed = cli
        .run(&[
            "review",
            "--production-url",
            prod.url(),
            "--allow-writable-production",
        ])
        .expect_code(0);
    assert!(
        allowed
            .stdout
            .contains("warning: this session could write (it is a superuser"),
        "{}",
        allowed.stdout
    );
    // A role that reads, but may `SET ROLE` to one that writes (NOINHERIT): refused, naming the path.
    let reader = statistics_role(&prod);
    let writer = Role::new(&prod, "writer");
    prod.exec(&format!(
        "GRANT UPDATE ON items TO \"{0}\"; ALTER ROLE \"{1}\" NOINHERIT; GRANT \"{0}\" TO \"{1}\"",
        writer.name, reader.name
    ));
    let refused = cli
        .run(&["review", "--production-url", &reader.url(&prod)])
        .expect_code(1);
    assert!(
        refused.stderr.contains(&format!(
            "through membership of {0} ({1} > {0}): it may change table(s) public.items",
            writer.name, reader.name
        )) && refused.stderr.contains("--allow-writable-production"),
        "{}",
        refused.stderr
    );
    assert!(refused.stdout.is_empty(), "{}", refused.stdout);
    // Neither run changed the target's history.
    assert_eq!(target.recorded().len(), 1);
}

#[test]
fn without_production_the_review_says_sizes_are_unknown_and_still_lints_and_traces() {
    let (_target, cli) = target();
    let run = cli.run(&["review", "20261127000003"]).expect_code(0);
    assert!(
        run.stdout.contains("sizes and durations unknown"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("lock:     ACCESS EXCLUSIVE on items (blocks reads and writes)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("estimate: unknown: production sizes unknown (no --production-url)"),
        "{}",
        run.stdout
    );
    // Size unknown: the size-dependent rule is a warning, not an error.
    assert!(
        run.stdout.contains("warning: changing-column-type")
            && run.stdout.contains("[table size unknown]"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("-   column price integer")
            && run.stdout.contains("+   column price bigint"),
        "{}",
        run.stdout
    );
    // Everything applied: nothing pending, nothing reviewed, nothing linted.
    cli.run(&["up"]).expect_code(0);
    let none = cli.run(&["review", "--format", "json"]).expect_code(0);
    let review: Value = serde_json::from_str(&none.stdout).expect("JSON");
    assert_eq!(review["summary"]["migrations"], 0, "{review:#}");
    assert_eq!(review["summary"]["verdict"], "ok");
    let text = cli.run(&["review"]).expect_code(0);
    assert!(
        text.stdout
            .contains("nothing to review: no migration is pending"),
        "{}",
        text.stdout
    );
}

#[test]
fn thresholds_from_migrate_toml_set_the_level_and_an_unknown_rule_is_refused() {
    let (prod, _) = production(20_000);
    let role = statistics_role(&prod);
    let (_target, cli) = target();
    let url = role.url(&prod);
    let args = ["review", "20261127000003", "--production-url", url.as_str()];
    // 20,000 rows: between the default thresholds, a warning.
    let default = cli.run(&args).expect_code(0);
    assert!(
        default.stdout.contains("warning: changing-column-type"),
        "{}",
        default.stdout
    );
    std::fs::write(
        cli.cwd().join("migrate.toml"),
        "[review.thresholds]\nchanging-column-type = { note_below = 100, error_from = 10000 }\n",
    )
    .expect("config");
    let strict = cli.run(&args).expect_code(10);
    assert!(
        strict.stdout.contains("error: changing-column-type")
            && strict.stdout.contains("at or above 10000"),
        "{}",
        strict.stdout
    );
    std::fs::write(
        cli.cwd().join("migrate.toml"),
        "[review.thresholds]\nchanging-column-typ = { note_below = 100, error_from = 10000 }\n",
    )
    .expect("config");
    let typo = cli.run(&args).expect_code(1);
    assert!(
        typo.stderr.contains("\"changing-column-typ\""),
        "{}",
        typo.stderr
    );
}

#[test]
fn a_clone_is_measured_on_a_throwaway_copy_and_left_as_it_was() {
    let (clone, clone_cli) = production(50_000);
    let (_target, cli) = target();
    let before = clone.schema_dump();
    let recorded = clone.recorded();
    let run = cli
        .run(&[
            "review",
            "20261127000003",
            "--clone-url",
            clone.url(),
            "--format",
            "json",
        ])
        .expect_code(0);
    let review: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let rewrite = statement(&review, "price_bigint", 0);
    assert_eq!(rewrite["estimate"]["measured"], true, "{rewrite:#}");
    assert!(
        rewrite["estimate"]["basis"]
            .as_str()
            .is_some_and(|b| b.contains("measured on a copy of the clone")),
        "{rewrite:#}"
    );
    assert_eq!(clone.schema_dump(), before, "the clone is left as it was");
    assert_eq!(clone.recorded(), recorded);
    assert!(
        clone
            .query_strings(&format!(
                "SELECT datname FROM pg_database WHERE datname LIKE '{}_review_%'",
                clone.name()
            ))
            .is_empty(),
        "the copy is dropped"
    );
    // The database migrations are applied to is not a clone.
    let refused = clone_cli
        .run(&["review", "20261127000003", "--clone-url", clone.url()])
        .expect_code(1);
    assert!(
        refused
            .stderr
            .contains("names the database the migrations are applied to"),
        "{}",
        refused.stderr
    );
}

/// `[review] calibration_rows` is held to the range `--calibration-rows` is: 5 rows would scale every
/// estimate from almost nothing.
#[test]
fn calibration_rows_in_migrate_toml_is_refused_where_the_flag_would_be() {
    let (_target, cli) = target();
    std::fs::write(
        cli.cwd().join("migrate.toml"),
        "[review]\ncalibration_rows = 5\n",
    )
    .expect("config");
    let run = cli.run(&["review", "20261127000003"]).expect_code(1);
    assert!(
        run.stderr.contains(
            "[review] calibration_rows = 5: 5 is not in 1000..=2147483647 (as for review --calibration-rows)"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}

/// The same URL spelt another way (`localhost` for `127.0.0.1`) is the same database: a clone is told apart
/// from the target and from production by what their sessions say (the cluster's system identifier and the
/// database's name), and production is never copied.
#[test]
fn a_clone_is_told_apart_by_what_the_servers_say_not_by_the_urls_spelling() {
    let (prod, _) = production(1_000);
    let role = statistics_role(&prod);
    let (target, cli) = target();
    let respelt = |url: &str| {
        if url.contains("127.0.0.1") {
            url.replace("127.0.0.1", "localhost")
        } else {
            url.replace("localhost", "127.0.0.1")
        }
    };
    let target_respelt = respelt(target.url());
    assert_ne!(target_respelt, target.url());
    let refused = cli
        .run(&["review", "20261127000003", "--clone-url", &target_respelt])
        .expect_code(1);
    assert!(
        refused
            .stderr
            .contains("names the database the migrations are applied to"),
        "{}",
        refused.stderr
    );
    let production_url = role.url(&prod);
    for clone in [prod.url().to_owned(), respelt(prod.url())] {
        let refused = cli
            .run(&[
                "review",
                "20261127000003",
                "--production-url",
                &production_url,
                "--clone-url",
                &clone,
            ])
            .expect_code(1);
        assert!(
            refused.stderr.contains("is the production database")
                && refused.stderr.contains("on production's server"),
            "{}",
            refused.stderr
        );
    }
    for db in [&prod, &target] {
        assert!(
            db.query_strings(&format!(
                "SELECT datname FROM pg_database WHERE datname LIKE '{}_review_%'",
                db.name()
            ))
            .is_empty(),
            "no copy of {} was made",
            db.name()
        );
    }
}

/// A lock held in production (a migration running there, a VACUUM FULL) makes the size read wait: it gives
/// up after a second, the report says which table's size is unknown and why, and the review goes on.
#[test]
fn a_table_locked_in_production_is_reported_and_the_review_does_not_wait() {
    let (prod, _) = production(1_000);
    let role = statistics_role(&prod);
    let (_target, cli) = target();
    let mut locker = prod.client();
    locker
        .batch_execute("BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE")
        .expect("lock");
    let url = role.url(&prod);
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let run = cli.run(&["review", "20261127000003", "--production-url", &url]);
        let _ = done.send(run);
    });
    // The lock is held until the review ends (a review that waits for it never does), or for two minutes.
    let run = result.recv_timeout(std::time::Duration::from_secs(120));
    locker.batch_execute("COMMIT").expect("unlock");
    let run = run
        .expect("the review waited behind production's lock for 2 minutes")
        .expect_code(0);
    assert!(
        run.stdout.contains(
            "size unknown: its size was not read: a lock held on it in production made the read wait"
        ) && run
            .stdout
            .contains("estimate: unknown: production's size of items is unknown"),
        "{}",
        run.stdout
    );
}

/// A migration's SQL and names that hold a fence, `</details>`, an HTML comment and lines that look like the
/// review's own stay inside the comment's code: outside it there is one marker, one `</details>` per
/// migration, one heading, and none of the SQL's lines.
#[test]
fn what_a_migration_quotes_cannot_change_the_pull_request_comments_layout() {
    let db = TestDb::new();
    let cli = FixtureCli::new("review_markup", &db);
    let run = cli.run(&["review", "--format", "markdown"]).expect_code(0);
    let markdown = &run.stdout;
    let mut fence: Option<usize> = None;
    let mut outside = Vec::new();
    for line in markdown.lines() {
        let ticks = line.chars().take_while(|c| *c == '`').count();
        match fence {
            Some(n) if ticks >= n && line[ticks..].trim().is_empty() => fence = None,
            Some(_) => {}
            None if ticks >= 3 => fence = Some(ticks),
            None => outside.push(without_code_spans(line)),
        }
    }
    assert_eq!(fence, None, "a fence left open:\n{markdown}");
    let count = |what: &str| outside.iter().filter(|l| l.contains(what)).count();
    assert_eq!(outside[0], "<!-- migrate-review -->", "{markdown}");
    assert_eq!(count("<!--"), 1, "{markdown}");
    assert_eq!(count("</details>"), 1, "{markdown}");
    assert_eq!(count("## "), 1, "{markdown}");
    assert_eq!(count("Approved"), 0, "{markdown}");
    // The SQL is quoted whole, in a fence longer than its own.
    assert!(
        markdown.contains(
            "````sql\nCREATE TABLE \"``` </details> <!-- x\" (id integer);\nCOMMENT ON TABLE \"``` </details> \
             <!-- x\" IS '\n```\n\n</details>\n\n## Migration review: :white_check_mark: ok\n\nApproved\n\n<!--';\n````"
        ),
        "{markdown}"
    );
}

/// `line` with its inline code spans (a run of backticks to the next run of the same length) left out.
fn without_code_spans(line: &str) -> String {
    let bytes = line.as_bytes();
    let run_at = |i: usize| bytes[i..].iter().take_while(|b| **b == b'`').count();
    let (mut out, mut i, mut kept) = (Vec::new(), 0, 0);
    while i < bytes.len() {
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let run = run_at(i);
        let mut j = i + run;
        let close = loop {
            if j >= bytes.len() {
                break None;
            }
            if bytes[j] == b'`' {
                let other = run_at(j);
                if other == run {
                    break Some(j + run);
                }
                j += other;
            } else {
                j += 1;
            }
        };
        match close {
            Some(end) => {
                out.extend_from_slice(&bytes[kept..i]);
                (i, kept) = (end, end);
            }
            None => i += run,
        }
    }
    out.extend_from_slice(&bytes[kept..]);
    String::from_utf8_lossy(&out).into_owned()
}

/// The `(mode, relation)` pairs of a reviewed statement's locks.
fn locks(statement: &Value) -> Vec<(String, String)> {
    let mut locks: Vec<(String, String)> = statement["locks"]
        .as_array()
        .unwrap_or_else(|| panic!("locks: {statement:#}"))
        .iter()
        .map(|l| {
            (
                l["mode"].as_str().unwrap_or("").to_owned(),
                l["relation"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    locks.sort();
    locks
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = expected
        .iter()
        .map(|(m, r)| ((*m).to_owned(), (*r).to_owned()))
        .collect();
    pairs.sort();
    pairs
}

/// Each statement's locks are every relation the server locked for it, read from `pg_locks` in the trace:
/// both tables of a foreign key (the referencing one too, though its transaction held it `ACCESS EXCLUSIVE`
/// already), the referenced table of its `VALIDATE`, an index's table, a partitioned table and each of its
/// partitions, a serial column's sequence. The report names them all, and numbers statements one by one.
#[test]
fn each_statement_lists_every_relation_the_server_locks_for_it() {
    let db = TestDb::new();
    let cli = FixtureCli::new("review_locks", &db);
    cli.run(&["up", "1"]).expect_code(0);
    let run = cli.run(&["review", "--format", "json"]).expect_code(0);
    let review: Value = serde_json::from_str(&run.stdout).expect("JSON");

    let column = statement(&review, "warehouse_fk", 0);
    assert_eq!(
        locks(column),
        pairs(&[("ACCESS EXCLUSIVE", "orders")]),
        "{column:#}"
    );
    let add = statement(&review, "warehouse_fk", 1);
    // Both tables; the referenced key's index too where the server opens it to check the key (PostgreSQL 15
    // does here, 13 and 18 do not): whatever the trace saw, and nothing else.
    let mut add_locks = locks(add);
    add_locks.retain(|lock| *lock != pairs(&[("ACCESS SHARE", "warehouses_pkey")])[0]);
    assert_eq!(
        add_locks,
        pairs(&[
            ("SHARE ROW EXCLUSIVE", "orders"),
            ("SHARE ROW EXCLUSIVE", "warehouses"),
        ]),
        "{add:#}"
    );
    let validate = statement(&review, "warehouse_fk", 2);
    let validate_locks = locks(validate);
    for lock in pairs(&[
        ("SHARE UPDATE EXCLUSIVE", "orders"),
        ("ROW SHARE", "warehouses"),
    ]) {
        assert!(validate_locks.contains(&lock), "{lock:?}: {validate:#}");
    }

    let index = statement(&review, "orders_reference", 0);
    assert_eq!(locks(index), pairs(&[("SHARE", "orders")]), "{index:#}");

    let partitioned = statement(&review, "events_kind", 0);
    assert_eq!(
        locks(partitioned),
        pairs(&[
            ("SHARE", "events"),
            ("SHARE", "events_2025"),
            ("SHARE", "events_2026"),
        ]),
        "{partitioned:#}"
    );

    // The serial column's sequence, widened with it: its lock named as a sequence's, with its table. (The
    // column's own type change locks it too on some servers, 15 here, and not on 13 or 18.)
    let widened = statement(&review, "orders_id_bigint", 1);
    let sequence = widened["locks"]
        .as_array()
        .expect("locks")
        .iter()
        .find(|l| l["relation"] == "orders_id_seq")
        .unwrap_or_else(|| panic!("the serial column's sequence: {widened:#}"));
    assert_eq!(sequence["kind"], "sequence", "{widened:#}");
    assert_eq!(sequence["table"], "orders", "{widened:#}");
    assert!(
        sequence["mode"]
            .as_str()
            .is_some_and(|mode| mode.ends_with("EXCLUSIVE")),
        "{widened:#}"
    );

    // The comment names every lock, an index with its table, and numbers the statements 1, 2, 3.
    let markdown = cli
        .run(&["review", "20261129000002", "--format", "markdown"])
        .expect_code(0)
        .stdout;
    let rows: Vec<&str> = markdown
        .lines()
        .filter(|l| l.starts_with("| 1 |") || l.starts_with("| 2 |") || l.starts_with("| 3 |"))
        .collect();
    assert_eq!(rows.len(), 3, "{markdown}");
    assert!(
        rows[1].contains(
            "| SHARE ROW EXCLUSIVE on orders, warehouses (blocks writes); its transaction holds ACCESS \
             EXCLUSIVE on orders (blocks reads and writes) |"
        ),
        "{markdown}"
    );
    assert!(
        rows[2].contains(
            "| SHARE UPDATE EXCLUSIVE on orders (blocks nothing); ROW SHARE on warehouses (blocks nothing) |"
        ),
        "{markdown}"
    );
    let text = cli
        .run(&["review", "20261129000005", "20261129000004"])
        .expect_code(0)
        .stdout;
    assert!(
        text.contains("lock:     SHARE on events, events_2025, events_2026 (blocks writes)"),
        "{text}"
    );
    assert!(
        text.contains("lock:     SHARE ROW EXCLUSIVE on orders_id_seq (blocks writes)"),
        "{text}"
    );

    // One operation, four statements: numbered 1 to 4, in the table and where the findings and bases refer to
    // them; the last takes nothing new and runs under what its transaction holds.
    let markdown = cli
        .run(&["review", "20261129000006", "--format", "markdown"])
        .expect_code(0)
        .stdout;
    let numbers: Vec<&str> = markdown
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("`ALTER TABLE"))
        .filter_map(|l| l.split(" | ").next())
        .collect();
    assert_eq!(numbers, ["| 1", "| 2", "| 3", "| 4"], "{markdown}");
    assert!(
        markdown.contains(
            "| nothing new; its transaction holds ACCESS EXCLUSIVE on orders (blocks reads and writes) |"
        ),
        "{markdown}"
    );
}

/// A `smallint` or `integer` primary key's use of its range, read from production: its sequence's last value
/// or its maximum, whichever is higher, where the role may read one of them; a `bigint` key is not shown.
#[test]
fn the_review_shows_how_far_a_narrow_key_has_gone_towards_its_limit() {
    let prod = TestDb::new();
    FixtureCli::new("review_keys", &prod)
        .run(&["up", "1"])
        .expect_code(0);
    prod.exec(
        "SELECT setval('orders_id_seq', 1870112403);
         INSERT INTO orders (note) VALUES ('the latest order');
         INSERT INTO tags VALUES (30000, 'last tag'), (12, 'an early one');
         INSERT INTO events DEFAULT VALUES;
         ANALYZE orders; ANALYZE tags; ANALYZE events;",
    );
    let target = TestDb::new();
    let cli = FixtureCli::new("review_keys", &target);
    cli.run(&["up", "1"]).expect_code(0);

    // A role that may read the tables (not write them): both keys read.
    let reader = Role::new(&prod, "keys");
    prod.exec(&format!(
        "GRANT pg_read_all_stats TO \"{0}\"; GRANT SELECT ON ALL TABLES IN SCHEMA public TO \"{0}\";",
        reader.name
    ));
    let url = reader.url(&prod);
    let text = cli
        .run(&["review", "--production-url", &url])
        .expect_code(0);
    for key in [
        "key orders.id (integer) at 1,870,112,404 of 2,147,483,647, 87%, referenced by order_lines.order_id (integer)",
        "key tags.id (smallint) at 30,000 of 32,767, 91%",
    ] {
        assert!(text.stdout.contains(key), "{key} missing:\n{}", text.stdout);
    }
    assert!(!text.stdout.contains("key events.id"), "{}", text.stdout);
    let json = cli
        .run(&["review", "--production-url", &url, "--format", "json"])
        .expect_code(0);
    let review: Value = serde_json::from_str(&json.stdout).expect("JSON");
    let orders = review["review"]["production"]["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .find(|t| t["table"] == "orders")
        .expect("orders")["key"]
        .clone();
    assert_eq!(orders["column"], "id");
    assert_eq!(orders["used"], 1_870_112_404_i64);
    assert_eq!(orders["limit"], 2_147_483_647_i64);
    assert_eq!(
        orders["referenced_by"],
        serde_json::json!(["order_lines.order_id (integer)"])
    );

    // Statistics only: how far the key has gone is unknown, and the review says why.
    let stats = statistics_role(&prod);
    let unknown = cli
        .run(&["review", "--production-url", &stats.url(&prod)])
        .expect_code(0);
    assert!(
        unknown
            .stdout
            .contains("key orders.id (integer): how far it has gone is unknown (not read: permission denied for table orders)"),
        "{}",
        unknown.stdout
    );
}
