//! The JSON run log of `up`, `down` and `redo` (`--log-format json`, `--log-file`), and colour on a terminal.

use tests::cli::{FixtureCli, Run};
use tests::TestDb;

/// Each stdout line as JSON; every line must be one object.
fn records(run: &Run) -> Vec<serde_json::Value> {
    run.stdout
        .lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}\n{}", run.stdout));
            assert!(record.is_object(), "{line}");
            assert_eq!(record["v"], 1, "{line}");
            record
        })
        .collect()
}

fn events(records: &[serde_json::Value]) -> Vec<&str> {
    records
        .iter()
        .map(|r| r["event"].as_str().unwrap())
        .collect()
}

/// Pins a transcript with the records' times and durations filtered.
fn snapshot(name: &str, run: &Run, args: &[&str]) {
    let mut filters = tests::cli::filters();
    filters.push((
        r#""time":"[0-9TZ:.-]+""#.to_owned(),
        r#""time":"[TIME]""#.to_owned(),
    ));
    filters.push((
        r#""(duration_ms|delay_ms)":[0-9.e-]+"#.to_owned(),
        r#""$1":"[ms]""#.to_owned(),
    ));
    filters.push((
        r#""version":"[0-9.]+""#.to_owned(),
        r#""version":"[VERSION]""#.to_owned(),
    ));
    let filters: Vec<(&str, &str)> = filters
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    insta::with_settings!({ filters => filters, prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(name, run.transcript(args));
    });
}

// One JSON object per line on stdout for every event, the text for people on stderr; the
// records pinned.
#[test]
fn up_with_log_format_json_prints_one_record_per_event() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    let args = ["up", "--log-format", "json"];
    let run = cli.run(&args).expect_code(0);
    snapshot("json_log_up", &run, &args);
    let records = records(&run);
    let events = events(&records);
    assert_eq!(events.first(), Some(&"run_started"));
    assert_eq!(events.last(), Some(&"run_finished"));
    assert_eq!(
        events
            .iter()
            .filter(|e| **e == "migration_finished")
            .count(),
        3
    );
    let statement = records
        .iter()
        .find(|r| r["event"] == "statement" && r["operation"] == "create_index")
        .expect("the create_index statement");
    assert_eq!(statement["line"], 9);
    assert!(
        run.stderr.contains("applied  20260101000001_create_users"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("3 migration(s) applied on"),
        "{}",
        run.stderr
    );
}

// Down and redo log the same way.
#[test]
fn down_and_redo_write_the_json_log_too() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    cli.run(&["up"]).expect_code(0);
    let run = cli.run(&["redo", "--log-format", "json"]).expect_code(0);
    let log = records(&run);
    assert_eq!(log[0]["command"], "redo");
    assert_eq!(log[0]["target"], serde_json::json!({ "count": 1 }));
    let directions: Vec<&str> = log
        .iter()
        .filter(|r| r["event"] == "migration_finished")
        .map(|r| r["direction"].as_str().unwrap())
        .collect();
    assert_eq!(directions, ["down", "up"]);
    let run = cli.run(&["down", "--log-format", "json"]).expect_code(0);
    let log = records(&run);
    assert_eq!(
        log.last().unwrap()["migrations"],
        serde_json::json!([{ "migration": "20260101000003_create_posts", "direction": "down" }])
    );
}

// A failure is the last record, with the message people get (which names the operation's
// file and line).
#[test]
fn a_failed_run_ends_its_log_with_the_error() {
    let db = TestDb::new();
    let cli = FixtureCli::new("failing", &db);
    let run = cli.run(&["up", "--log-format", "json"]).expect_code(1);
    let log = records(&run);
    let last = log.last().unwrap();
    assert_eq!(last["event"], "error");
    let message = last["message"].as_str().unwrap();
    assert!(
        message
            .starts_with("migration 20260201000002_broken failed in `up` at operation #2 (sql), ")
            && message.contains("20260201000002_broken.rs:6:"),
        "{message}"
    );
    assert!(
        run.stderr
            .contains("error: migration 20260201000002_broken"),
        "{}",
        run.stderr
    );
    // A connection that fails before the run is logged too.
    let gone = FixtureCli::with_url("failing", "postgres://postgres@127.0.0.1:1/nowhere");
    let run = gone
        .run(&["up", "--log-format", "json", "--connect-timeout", "2"])
        .expect_code(1);
    assert_eq!(events(&records(&run)), ["run_started", "error"]);
}

// Notices and backfill batches are records.
#[test]
fn notices_and_backfill_batches_are_records() {
    let db = TestDb::new();
    let run = FixtureCli::new("notices", &db)
        .run(&["up", "--log-format", "json"])
        .expect_code(0);
    let log = records(&run);
    let notice = log
        .iter()
        .find(|r| r["event"] == "notice")
        .expect("a notice record");
    assert_eq!(notice["position"], 1);
    assert_eq!(notice["operation"], "sql");
    assert_eq!(notice["severity"], "NOTICE");
    assert!(
        notice["message"]
            .as_str()
            .unwrap()
            .contains("does not exist, skipping"),
        "{notice}"
    );

    let db = TestDb::new();
    let run = FixtureCli::new("backfill", &db)
        .run(&["up", "--log-format", "json"])
        .expect_code(0);
    let batches: Vec<serde_json::Value> = records(&run)
        .into_iter()
        .filter(|r| r["event"] == "backfill_batch")
        .collect();
    assert!(batches.len() >= 11, "{}", run.stdout);
    assert_eq!(batches[0]["table"], "\"items\"");
    assert_eq!(batches[0]["rows_total"], 10500);
}

// --log-file appends the records to a file and leaves stdout as it is.
#[test]
fn log_file_appends_the_records_and_keeps_the_text() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    let up = cli.run(&["up", "--log-file", "run.jsonl"]).expect_code(0);
    assert!(
        up.stdout.contains("applied  20260101000001_create_users"),
        "{}",
        up.stdout
    );
    cli.run(&["down", "--log-file", "run.jsonl"]).expect_code(0);
    let text = std::fs::read_to_string(cli.cwd().join("run.jsonl")).unwrap();
    let commands: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["event"] == "run_started")
        .map(|r| r["command"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(commands, ["up", "down"]);
    let run = cli
        .run(&["up", "--dry-run", "--log-format", "json"])
        .expect_code(1);
    assert!(
        run.stderr.contains("there is no run to log"),
        "{}",
        run.stderr
    );
}

/// Runs the fixture's runner with `args` on a terminal (a pseudo-terminal from `script`), with `extra` set in its
/// environment; what the terminal showed.
fn on_terminal(cli: &FixtureCli, db: &TestDb, args: &str, extra: &str) -> String {
    let runner = tests::cli::bin("fixture-runner");
    let command = format!(
        "env -u NO_COLOR {extra} FIXTURE=basic MIGRATIONS_DIR='{}' DATABASE_URL='{}' '{}' {args}",
        cli.dir().display(),
        db.url(),
        runner.display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(cli.cwd())
        .output()
        .expect("script(1) runs the command on a pseudo-terminal");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// Colour on a terminal, none when NO_COLOR is set, none in a pipe.
#[test]
fn colour_on_a_terminal_unless_no_color() {
    let db = TestDb::new();
    let cli = FixtureCli::new("basic", &db);
    let shown = on_terminal(&cli, &db, "up 1", "");
    assert!(
        shown.contains("\x1b[32mapplied \x1b[0m 20260101000001_create_users"),
        "{shown:?}"
    );
    let shown = on_terminal(&cli, &db, "up 1", "NO_COLOR=1");
    assert!(
        shown.contains("applied  20260101000002_add_profile"),
        "{shown:?}"
    );
    assert!(!shown.contains('\x1b'), "{shown:?}");
    let piped = cli.run(&["up"]).expect_code(0);
    assert!(
        piped
            .stdout
            .contains("applied  20260101000003_create_posts"),
        "{}",
        piped.stdout
    );
    assert!(!piped.stdout.contains('\x1b') && !piped.stderr.contains('\x1b'));
}

// Docs/json-log.md describes every record the engine and the run write.
#[test]
fn every_record_is_documented() {
    let page =
        std::fs::read_to_string(tests::cli::workspace_root().join("docs/json-log.md")).unwrap();
    let run_records = ["run_started", "run_finished", "error"];
    for name in migrate_core::Event::LOG_RECORDS.iter().chain(&run_records) {
        assert!(
            page.contains(&format!("### `{name}`")),
            "docs/json-log.md has no section for the `{name}` record"
        );
    }
}
