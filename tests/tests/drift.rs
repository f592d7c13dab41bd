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

/// A migration stopped part-way has added its column, and the scratch database cannot be brought to that half
/// of it: `drift` cannot tell, names the migration in progress and exits 1, instead of reporting the column
/// as a change made by hand.
#[test]
fn a_migration_in_progress_is_named_and_drift_cannot_tell() {
    let db = TestDb::new();
    db.exec(
        "CREATE TABLE items (id bigint PRIMARY KEY, v int);
         INSERT INTO items SELECT i, i FROM generate_series(1, 5000) i;
         CREATE FUNCTION stop() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.id > 2000 THEN RAISE EXCEPTION 'stopped at %', NEW.id; END IF; RETURN NEW; END $$;
         CREATE TRIGGER stop BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION stop();",
    );
    let cli = FixtureCli::new("resume_add_backfill", &db);
    cli.run(&["up"]).expect_code(1);
    assert_eq!(
        db.columns("items"),
        ["id", "v", "doubled"],
        "stopped after the column"
    );
    let run = cli.run(&["drift"]).expect_code(1);
    for fragment in [
        "cannot tell whether",
        "migration 20270501000002_add_and_fill_doubled is in progress",
        "finish it with `up`",
    ] {
        assert!(run.stderr.contains(fragment), "{fragment}: {}", run.stderr);
    }
    assert!(!run.stdout.contains("doubled"), "{}", run.stdout);
    // The same for a tenant of a fleet: that target cannot tell, naming its migration in progress.
    db.exec(
        "CREATE SCHEMA t1; CREATE TABLE t1.items (id bigint PRIMARY KEY, v int);
         INSERT INTO t1.items SELECT i, i FROM generate_series(1, 5000) i;
         CREATE TRIGGER stop BEFORE UPDATE ON t1.items FOR EACH ROW EXECUTE FUNCTION public.stop();",
    );
    let up = cli.run(&["fleet", "up", "--schemas", "t1"]);
    assert_ne!(up.code, 0, "{}\n{}", up.stdout, up.stderr);
    let fleet = cli.run(&["fleet", "drift", "--schemas", "t1"]);
    let out = format!("{}{}", fleet.stdout, fleet.stderr);
    assert_eq!(fleet.code, 1, "{out}");
    assert!(
        out.contains("migration 20270501000002_add_and_fill_doubled is in progress"),
        "{out}"
    );
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

/// `fleet drift`: every schema target compared, one scratch build per distinct applied version; a change by
/// hand in one tenant is named for that tenant only.
#[test]
fn fleet_drift_builds_once_per_version_and_names_the_drifted_tenant() {
    let db = TestDb::new();
    let cli = FixtureCli::new("fleet", &db);
    cli.run(&["fleet", "up", "--schemas", "t1,t2,t3"])
        .expect_code(0);
    cli.run(&[
        "fleet",
        "up",
        "--schemas",
        "t4",
        "--to",
        "20260601000002_add_note",
    ])
    .expect_code(0);
    let clean = cli
        .run(&["fleet", "drift", "--schemas", "t1,t2,t3,t4"])
        .expect_code(0);
    assert!(
        clean.stdout.contains("4 target(s) compared")
            && clean
                .stdout
                .contains("(2 scratch build(s)): 0 drifted, 4 without drift"),
        "{}",
        clean.stdout
    );
    db.exec("CREATE INDEX by_hand ON t2.items (id); GRANT SELECT ON t3.items TO PUBLIC");
    let drifted = cli
        .run(&["fleet", "drift", "--schemas", "t1,t2,t3,t4"])
        .expect_code(DRIFT);
    let out = &drifted.stdout;
    let t2 = "t2: 1 object(s) differ\n  table t2.items: changed\n      +   CREATE INDEX by_hand ON t2.items USING btree (id)\n";
    let t3 =
        "t3: 1 object(s) differ\n  table t3.items: changed\n      +   grant SELECT to PUBLIC\n";
    assert!(out.contains(t2) && out.contains(t3), "{out}");
    assert!(!out.contains("t1:") && !out.contains("t4:"), "{out}");
    assert!(out.contains("2 drifted, 2 without drift"), "{out}");
    let json = cli
        .run(&["fleet", "drift", "--schemas", "t1,t2,t3,t4", "--json"])
        .expect_code(DRIFT);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(value["summary"]["builds"], 2);
    assert_eq!(value["summary"]["drifted"], 2);
    assert_eq!(value["targets"][0]["drift"], serde_json::json!([]));
}

/// Database targets: each compared whole, the scratch database built once for the two at one version.
#[test]
fn fleet_drift_over_databases() {
    let (a, b) = (TestDb::new(), TestDb::new());
    let cli = FixtureCli::new("fleet", &a);
    let urls = format!("{},{}", a.url(), b.url());
    cli.run(&["fleet", "up", "--urls", &urls]).expect_code(0);
    let clean = cli.run(&["fleet", "drift", "--urls", &urls]).expect_code(0);
    assert!(
        clean.stdout.contains("2 target(s) compared with the schema their applied migrations give (1 scratch build(s)): 0 drifted"),
        "{}",
        clean.stdout
    );
    b.exec("CREATE TABLE public.hotfix (id int)");
    let drifted = cli
        .run(&["fleet", "drift", "--urls", &urls])
        .expect_code(DRIFT);
    assert!(
        drifted
            .stdout
            .contains("table public.hotfix: added (by no migration)"),
        "{}",
        drifted.stdout
    );
    assert!(
        drifted.stdout.contains("1 drifted, 1 without drift"),
        "{}",
        drifted.stdout
    );
}
