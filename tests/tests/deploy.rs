//! Expand and contract as deploy phases, through the CLI: `status` marks contracts and counts the pending
//! ones, `sql` shows the mark, `up --expand-only` applies up to (not including) the first pending contract
//! and says what it left, and plain `up` applies the rest.

use tests::assert_cli_snapshot;
use tests::cli::FixtureCli;
use tests::TestDb;

#[test]
fn up_expand_only_stops_before_the_first_pending_contract() {
    let db = TestDb::new();
    let cli = FixtureCli::new("phases", &db);

    let status = cli.run(&["status"]).expect_code(0);
    assert_cli_snapshot!("phases_status_before", status, &["status"]);

    let json = cli.run(&["status", "--json"]).expect_code(0);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("status --json");
    assert_eq!(value["summary"]["contracts_pending"], 1);
    let contracts: Vec<&serde_json::Value> = value["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .map(|m| &m["contract"])
        .collect();
    assert_eq!(
        contracts,
        [
            &serde_json::Value::Null,
            &serde_json::Value::Null,
            &serde_json::json!(
                "drops posts.legacy, which release 1 reads: run it once no release 1 is serving"
            ),
            &serde_json::Value::Null,
        ]
    );

    let sql = cli.run(&["sql"]).expect_code(0);
    assert!(
        sql.stdout.contains(
            "-- 20260501000003_drop_legacy (up): "
        ) && sql.stdout.contains(
            "-- contract: drops posts.legacy, which release 1 reads: run it once no release 1 is serving (an expand-only `up` leaves it for after the rollout)\nBEGIN;"
        ),
        "{}",
        sql.stdout
    );
    let dry = cli
        .run(&["up", "--expand-only", "--dry-run"])
        .expect_code(0);
    assert!(
        dry.stdout.contains("20260501000002_add_slug") && !dry.stdout.contains("drop_legacy"),
        "{}",
        dry.stdout
    );

    let expand = cli.run(&["up", "--expand-only"]).expect_code(0);
    assert_cli_snapshot!("phases_up_expand_only", expand, &["up", "--expand-only"]);
    assert_eq!(
        db.recorded(),
        ["20260501000001_create_posts", "20260501000002_add_slug"]
    );
    assert!(db.columns("posts").contains(&"legacy".to_owned()));

    let again = cli.run(&["up", "--expand-only"]).expect_code(0);
    assert_cli_snapshot!(
        "phases_up_expand_only_again",
        again,
        &["up", "--expand-only"]
    );

    let status = cli.run(&["status"]).expect_code(0);
    assert_cli_snapshot!("phases_status_between", status, &["status"]);

    // After the rollout: the contract and what follows it.
    cli.run(&["up"]).expect_code(0);
    assert_eq!(db.recorded().len(), 4);
    assert_eq!(db.columns("posts"), ["id", "title", "slug", "summary"]);
    let done = cli.run(&["up", "--expand-only"]).expect_code(0);
    assert!(done.stdout.contains("nothing to apply"), "{}", done.stdout);
}

#[test]
fn expand_only_conflicts_with_a_count_or_a_target() {
    let db = TestDb::new();
    let cli = FixtureCli::new("phases", &db);
    cli.run(&["up", "--expand-only", "--to", "20260501000002"])
        .expect_code(2);
    cli.run(&["up", "1", "--expand-only"]).expect_code(2);
    assert!(db.tables().is_empty());
}
