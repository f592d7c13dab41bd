//! `migrate drift`: the live schema against the one the applied migrations give, built on a scratch database.

use tests::cli::FixtureCli;
use tests::TestDb;

const DRIFT: i32 = 9;

#[test]
fn an_untouched_database_has_no_drift_even_with_migrations_pending() {
    let db = TestDb::new();
    let cli = FixtureCli::new("phases", &db);
    // Two of four applied: the other two are pending, not drift.
    cli.run(&["up", "2"]).expect_code(0);
    let run = cli.run(&["drift"]).expect_code(0);
    assert!(
        run.stdout.contains("no drift") && run.stdout.contains("its 2 applied migration(s)"),
        "{}",
        run.stdout
    );
    let json = cli.run(&["drift", "--json"]).expect_code(0);
    let value: serde_json::Value =
        serde_json::from_str(&json.stdout).expect("drift --json is JSON");
    assert_eq!(value["applied"], 2);
    assert_eq!(value["drift"], serde_json::json!([]));
}

#[test]
fn changes_made_by_hand_are_named_object_by_object() {
    let db = TestDb::new();
    let cli = FixtureCli::new("replace", &db);
    cli.run(&["up"]).expect_code(0);
    db.exec(
        "CREATE TABLE public.hotfix (id int);
         CREATE OR REPLACE FUNCTION public.answer() RETURNS int LANGUAGE sql AS 'SELECT 43';
         DROP VIEW public.answers;",
    );
    let run = cli.run(&["drift"]).expect_code(DRIFT);
    let out = &run.stdout;
    assert!(out.contains("function public.answer(): changed"), "{out}");
    assert!(
        out.contains("SELECT 43") && out.contains("SELECT 42"),
        "the body's lines: {out}"
    );
    assert!(
        out.contains("table public.hotfix: added (by no migration)"),
        "{out}"
    );
    assert!(
        out.contains("view public.answers: missing (a migration made it)"),
        "{out}"
    );

    let json = cli.run(&["drift", "--json"]).expect_code(DRIFT);
    let value: serde_json::Value =
        serde_json::from_str(&json.stdout).expect("drift --json is JSON");
    let changes: Vec<(String, String)> = value["drift"]
        .as_array()
        .map(|d| {
            d.iter()
                .map(|e| {
                    (
                        e["name"].as_str().unwrap_or_default().to_owned(),
                        e["change"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert!(
        changes.contains(&("public.hotfix".into(), "added".into())),
        "{changes:?}"
    );
    assert!(
        changes.contains(&("public.answers".into(), "missing".into())),
        "{changes:?}"
    );
}

#[test]
fn an_index_a_column_and_a_grant_added_by_hand_are_drift_unless_ignored() {
    let db = TestDb::new();
    let cli = FixtureCli::new("phases", &db);
    cli.run(&["up"]).expect_code(0);
    db.exec("CREATE INDEX posts_title_by_hand ON public.posts (title)");
    let index = cli.run(&["drift"]).expect_code(DRIFT);
    assert!(
        index.stdout.contains("table public.posts: changed")
            && index
                .stdout
                .contains("+   CREATE INDEX posts_title_by_hand"),
        "{}",
        index.stdout
    );
    db.exec("DROP INDEX public.posts_title_by_hand; ALTER TABLE public.posts ADD COLUMN note text");
    let column = cli.run(&["drift"]).expect_code(DRIFT);
    assert!(
        column.stdout.contains("+   column note text"),
        "{}",
        column.stdout
    );
    db.exec("ALTER TABLE public.posts DROP COLUMN note; GRANT SELECT ON public.posts TO PUBLIC");
    let grant = cli.run(&["drift"]).expect_code(DRIFT);
    assert!(
        grant.stdout.contains("table public.posts: changed"),
        "{}",
        grant.stdout
    );
    db.exec("REVOKE SELECT ON public.posts FROM PUBLIC");
    cli.run(&["drift"]).expect_code(0);

    // A monitoring schema someone else owns: ignored by pattern.
    db.exec("CREATE SCHEMA monitoring; CREATE TABLE monitoring.samples (at timestamptz)");
    cli.run(&["drift"]).expect_code(DRIFT);
    cli.run(&[
        "drift",
        "--ignore",
        "schema monitoring",
        "--ignore",
        "table monitoring.*",
    ])
    .expect_code(0);
}

/// The objects repeatable migrations define are the migrations' own, not drift.
#[test]
fn objects_of_repeatable_migrations_are_not_drift() {
    let db = TestDb::new();
    let cli = FixtureCli::new("repeatable_v1", &db);
    cli.run(&["up"]).expect_code(0);
    let run = cli.run(&["drift"]).expect_code(0);
    assert!(run.stdout.contains("no drift"), "{}", run.stdout);
}
