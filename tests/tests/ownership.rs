//! No silent no-ops: where the engine adds `IF [NOT] EXISTS` to a typed operation by itself (so that a
//! migration outside a transaction can run again after failing part-way), it first checks that the object
//! is this migration's own; and every server notice reaches the output with the migration and operation it
//! came from.

use tests::cli::FixtureCli;
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
