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

/// Regression (issue 66): a `SET NOT NULL` makes the database refuse the NULLs the previous release may still
/// write, so a migration with one is a contract though not marked: `status` counts it, `up --expand-only`
/// applies the migrations before it and leaves it (and what follows, as a marked contract does), and its
/// applied row records `contract`. The same change in a file whose `// lint: allow stricter-change-in-expand`
/// says the running release meets it is an expand everywhere. Today's code applied both as expands.
#[test]
fn r66_up_expand_only_leaves_a_set_not_null_not_marked_contract() {
    let db = TestDb::new();
    let cli = FixtureCli::new("phases_stricter", &db);

    let json = cli.run(&["status", "--json"]).expect_code(0);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("status --json");
    assert_eq!(value["summary"]["contracts_pending"], 1, "{}", json.stdout);
    let contracts: Vec<&serde_json::Value> = value["migrations"]
        .as_array()
        .expect("migrations")
        .iter()
        .map(|m| &m["contract"])
        .collect();
    let reason = "a new CHECK on posts (and 1 more): the database refuses what the app version still \
                  running may write (not marked `pgm.contract(..)`; see lint's stricter-change-in-expand)";
    assert_eq!(
        contracts,
        [
            &serde_json::Value::Null,
            &serde_json::Value::Null,
            &serde_json::json!(reason),
            &serde_json::Value::Null,
        ]
    );

    let expand = cli.run(&["up", "--expand-only"]).expect_code(0);
    assert!(
        expand.stdout.contains(&format!(
            "left for after the rollout: 2 pending migration(s), from the contract \
             20260601000003_note_not_null ({reason})"
        )),
        "{}",
        expand.stdout
    );
    assert_eq!(
        db.recorded(),
        [
            "20260601000001_create_posts",
            "20260601000002_title_not_null"
        ]
    );
    assert!(!db.columns("posts").contains(&"slug".to_owned()));
    // The old release's write still works: nothing refuses a post without a note yet.
    db.exec("INSERT INTO posts (title) VALUES ('written by release 1')");

    // After the rollout (the NULL filled in), the contract and what follows it.
    db.exec("UPDATE posts SET note = '' WHERE note IS NULL");
    cli.run(&["up"]).expect_code(0);
    let phases = db.query_strings("SELECT name, phase FROM public.pgmigrations ORDER BY name");
    let phase = |name: &str| {
        phases
            .iter()
            .find(|row| row[0].as_deref() == Some(name))
            .and_then(|row| row[1].clone())
    };
    assert_eq!(
        phase("20260601000002_title_not_null").as_deref(),
        Some("expand")
    );
    assert_eq!(
        phase("20260601000003_note_not_null").as_deref(),
        Some("contract")
    );
    assert_eq!(
        phase("20260601000004_add_summary").as_deref(),
        Some("expand")
    );
}
