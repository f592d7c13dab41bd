//! No silent no-ops: where the engine adds `IF [NOT] EXISTS` to a typed operation by itself (so that a
//! migration outside a transaction can run again after failing part-way), it first checks that the object
//! is this migration's own; and every server notice reaches the output with the migration and operation it
//! came from.

use tests::assert_cli_snapshot;
use tests::cli::FixtureCli;
use tests::roundtrip::Case;
use tests::TestDb;

const FIRST: &str = "20270101000001_create_posts_and_comments";
const LEAD: &str = "20270101000002_lead_example";

fn index_exists(db: &TestDb, name: &str) -> bool {
    db.query_strings(&format!("SELECT to_regclass('public.{name}') IS NOT NULL"))[0][0].as_deref()
        == Some("t")
}

/// The README's lead example next to an earlier migration that already created `comments_post_id_index`:
/// `up` used to skip the index without a word (`CREATE INDEX CONCURRENTLY IF NOT EXISTS`), record the
/// migration as applied, and its derived `down` then dropped the earlier migration's index. Now `up` stops
/// before running anything of the migration, naming the index and the migration that owns it.
#[test]
fn the_lead_example_refuses_to_skip_an_index_an_earlier_migration_owns() {
    let db = TestDb::new();
    let cli = FixtureCli::new("owned_index", &db);
    cli.run(&["up", "1"]).expect_code(0);
    assert!(index_exists(&db, "comments_post_id_index"));

    let up = cli.run(&["up"]).expect_code(1);
    assert!(
        up.stderr.contains("\"comments_post_id_index\"")
            && up.stderr.contains(FIRST)
            && up.stderr.contains(LEAD)
            && up.stderr.contains("operation #2 (create_index)"),
        "the error names the index, its owner and the operation:\n{}",
        up.stderr
    );
    // Nothing of the lead example ran: not its first operation, not its bookkeeping.
    assert!(
        !db.columns("posts").contains(&"location".to_owned()),
        "{:?}",
        db.columns("posts")
    );
    let status = cli.run(&["status"]).expect_code(0);
    assert!(
        status
            .stdout
            .lines()
            .any(|l| l.starts_with("pending") && l.ends_with(LEAD)),
        "{}",
        status.stdout
    );
    // And nothing was dropped: the earlier migration's index is still there, and reverting the earlier
    // migration still works with it.
    assert!(index_exists(&db, "comments_post_id_index"));
    cli.run(&["down"]).expect_code(0);
    assert!(!index_exists(&db, "comments_post_id_index"));
}

/// The case the engine's own `IF NOT EXISTS` exists for: the index was built and committed, a later
/// statement failed; after `repair`, the same migration runs again and reuses the index it built (the
/// server's "already exists, skipping" is shown with the migration and operation).
#[test]
fn a_migration_that_failed_after_its_concurrent_index_reuses_it_when_run_again() {
    let db = TestDb::new();
    let cli = FixtureCli::new("rerun_index", &db);
    let name = "20270201000002_index_then_gate";
    let failed = cli.run(&["up"]).expect_code(1);
    assert!(
        failed.stderr.contains("\"gate\" does not exist"),
        "{}",
        failed.stderr
    );
    assert!(index_exists(&db, "items_kind_index"));

    db.exec("CREATE TABLE gate (v int)");
    cli.run(&["repair", name]).expect_code(0);
    let again = cli.run(&["up"]).expect_code(0);
    assert!(
        again.stderr.contains(&format!(
            "{name} (up) #1 (create_index): NOTICE: relation \"items_kind_index\" already exists, skipping"
        )),
        "{}",
        again.stderr
    );
    assert_eq!(
        db.query_strings("SELECT count(*)::text FROM gate"),
        [[Some("1".to_owned())]]
    );
    // What the attempt recorded is gone with the completed migration.
    assert_eq!(
        db.query_strings("SELECT count(*)::text FROM pgmigrations_previous"),
        [[Some("0".to_owned())]]
    );
    cli.run(&["down"]).expect_code(0);
    assert!(!index_exists(&db, "items_kind_index"));
}

/// An index of the same name that nothing in the migrations created (a manual change) is in the way too.
#[test]
fn a_concurrent_build_refuses_an_index_a_manual_change_made() {
    let case = Case::new("CREATE TABLE posts (id int, title text); CREATE INDEX posts_title_index ON posts (title, id)");
    let error = case
        .engine_up(|pgm| {
            pgm.create_index("posts", ["title"]).concurrently();
        })
        .expect_err("refused");
    assert!(
        error.contains(
            "index \"posts_title_index\" on \"posts\" already exists (an index on posts)"
        ) && error.contains("an earlier migration or a manual change"),
        "{error}"
    );
    assert_eq!(
        case.db
            .query_strings("SELECT pg_get_indexdef('posts_title_index'::regclass)"),
        [[Some(
            "CREATE INDEX posts_title_index ON public.posts USING btree (title, id)".to_owned()
        )]],
        "the manual index is untouched"
    );
}

/// A name taken by another kind of relation is named as such.
#[test]
fn a_concurrent_build_refuses_a_table_of_the_same_name() {
    let case = Case::new(
        "CREATE TABLE posts (id int, title text); CREATE TABLE posts_title_index (id int)",
    );
    let error = case
        .engine_up(|pgm| {
            pgm.create_index("posts", ["title"]).concurrently();
        })
        .expect_err("refused");
    assert!(
        error.contains("already exists (a table of that name)"),
        "{error}"
    );
}

/// `DROP INDEX CONCURRENTLY` gets `IF EXISTS` from the engine, for re-runs; it does not let a missing index
/// pass silently.
#[test]
fn a_concurrent_drop_of_a_missing_index_is_refused() {
    let case = Case::new("CREATE TABLE posts (id int, title text)");
    let error = case
        .engine_up(|pgm| {
            pgm.drop_index("posts", ["title"]).concurrently();
        })
        .expect_err("refused");
    assert!(
        error.contains(
            "operation #1 (drop_index): index \"posts_title_index\" on \"posts\" does not exist"
        ) && error.contains("chain `.if_exists()`"),
        "{error}"
    );
    // Asked for explicitly, a missing index is fine, and the server's notice says it was skipped.
    let skipped = case
        .engine_up(|pgm| {
            pgm.drop_index("posts", ["title"])
                .concurrently()
                .if_exists();
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        skipped.contains("NOTICE: index \"posts_title_index\" does not exist, skipping"),
        "{skipped}"
    );
}

/// `set_not_null` drops its temporary check `IF EXISTS` first, to clear what a failed earlier attempt left; a
/// constraint of that name that no attempt added is someone else's, and is not dropped.
#[test]
fn set_not_null_does_not_drop_a_constraint_it_did_not_add() {
    let case = Case::new(
        "CREATE TABLE comments (id int, body text); \
         ALTER TABLE comments ADD CONSTRAINT comments_body_not_null CHECK (length(body) < 1000)",
    );
    let error = case
        .engine_up(|pgm| {
            pgm.set_not_null("comments", "body");
        })
        .expect_err("refused");
    assert!(
        error.contains("constraint \"comments_body_not_null\" on \"comments\" already exists")
            && error.contains("nothing of this `up` was applied"),
        "{error}"
    );
    assert_eq!(
        case.db.query_strings(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'comments_body_not_null'"
        ),
        [[Some("CHECK ((length(body) < 1000))".to_owned())]]
    );
}

/// Every notice and warning the server sends while a migration runs is shown with the migration, the
/// direction and the operation: a skipped `IF EXISTS`, a truncated identifier; in `up`, `redo` and `down`.
#[test]
fn server_notices_are_shown_with_their_migration_and_operation() {
    let db = TestDb::new();
    let cli = FixtureCli::new("notices", &db);
    let up = cli.run(&["up"]).expect_code(0);
    assert_cli_snapshot!("notices_up", up, &["up"]);
    let redo = cli.run(&["redo"]).expect_code(0);
    assert_cli_snapshot!("notices_redo", redo, &["redo"]);
    let down = cli.run(&["down"]).expect_code(0);
    assert_cli_snapshot!("notices_down", down, &["down"]);
}
