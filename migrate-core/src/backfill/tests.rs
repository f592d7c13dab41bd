use migrate_dsl::MigrationBuilder;

use super::*;
use crate::migration::Definition;
use crate::registry::Migrations;

#[test]
fn a_key_is_dense_by_the_servers_count_or_by_the_rows_counted_before_the_walk() {
    // Analysed: 1,000 rows over keys 1..=1500 are dense, over 1..=5000 sparse.
    assert!(DenseKey::dense(1, 1500, 1000.0, 0));
    assert!(!DenseKey::dense(1, 5000, 1000.0, 0));
    // Never analysed (reltuples -1): the rows counted before the walk decide.
    assert!(DenseKey::dense(1, 300_000, -1.0, 300_000));
    assert!(DenseKey::dense(1, 300_000, -1.0, 150_000));
    assert!(!DenseKey::dense(1, 300_000, -1.0, 1_000));
    // Nothing known, or an empty table: not dense.
    assert!(!DenseKey::dense(1, 10, -1.0, 0));
    // Keys at both ends of the type: no overflow.
    assert!(!DenseKey::dense(i64::MIN, i64::MAX, 1e6, 1_000_000));
}

#[test]
fn a_dense_walk_counts_keys_without_overflow_and_resumes_only_from_an_integer_cursor() {
    assert_eq!(keys_between(-5, 5), 10);
    // A cursor past the end (rows deleted since) is no keys, not a wrap-around.
    assert_eq!(keys_between(5, -5), 0);
    assert_eq!(keys_between(i64::MIN, i64::MAX), u64::MAX);
    assert_eq!(key_of(Some(&vec!["42".to_owned()])), Some(42));
    assert_eq!(key_of(Some(&vec!["-7".to_owned()])), Some(-7));
    // A cursor of another walk (a text key, a composite one's first part that is not a number).
    assert_eq!(key_of(Some(&vec!["ab".to_owned()])), None);
    assert_eq!(key_of(Some(&Vec::new())), None);
    assert_eq!(key_of(None), None);
}

fn up(_pgm: &mut MigrationBuilder) {}

static MIGRATIONS: Migrations = Migrations::new(&[Definition {
    name: "20240101000001_fill",
    path: "/migrations/20240101000001_fill.rs",
    source: "",
    up,
    down: None,
}]);

fn origin(attempt: &'static str) -> Origin<'static> {
    Origin {
        migration: MIGRATIONS.as_slice()[0],
        checksum: "c0ffee",
        position: 2,
        attempt,
    }
}

fn key(column: &str, sql_type: &str) -> Key {
    Key {
        column: column.to_owned(),
        sql_type: sql_type.to_owned(),
    }
}

fn backfill(edit: impl FnOnce(&mut Backfill)) -> Backfill {
    let mut pgm = MigrationBuilder::new();
    let spec = pgm.backfill("accounts", "email_lower = lower(email)");
    spec.where_clause("email_lower IS NULL");
    edit(spec);
    spec.clone()
}

#[test]
fn a_position_belongs_to_one_walk_whatever_its_pace() {
    let keys = [key("id", "bigint")];
    let print = |spec: &Backfill, keys: &[Key], origin: &Origin<'_>, identity: &str| {
        fingerprint(spec, "public.accounts", keys, origin, identity)
    };
    let base = backfill(|_| {});
    let first = print(&base, &keys, &origin("attempt-1"), "16384 [3]");
    // Resuming with another batch size or pause walks the same rows: the position still holds.
    let paced = backfill(|b| {
        b.batch_size(50).pause(Duration::from_millis(20));
    });
    assert_eq!(print(&paced, &keys, &origin("attempt-1"), "16384 [3]"), first);
    // Anything that changes which rows the walk covers or what it does to them starts it over.
    let others = [
        print(&base, &keys, &origin("attempt-2"), "16384 [3]"),
        print(&base, &keys, &origin("attempt-1"), "16390 [3]"),
        print(&base, &keys, &origin("attempt-1"), "16384 [4]"),
        print(&base, &[key("id", "integer")], &origin("attempt-1"), "16384 [3]"),
        print(&base, &[key("tenant", "text"), key("id", "bigint")], &origin("attempt-1"), "16384 [3]"),
        print(&backfill(|b| {
            b.where_clause("email_lower IS DISTINCT FROM lower(email)");
        }), &keys, &origin("attempt-1"), "16384 [3]"),
        fingerprint(&base, "public.accounts_old", &keys, &origin("attempt-1"), "16384 [3]"),
    ];
    for (i, other) in others.iter().enumerate() {
        assert_ne!(other, &first, "change {i} kept the position");
    }
}

fn walk<'a>(spec: &'a Backfill, origin: &'a Origin<'a>, keys: Vec<Key>) -> Walk<'a> {
    Walk {
        spec,
        origin,
        exec: Executor::new("public.accounts".to_owned(), keys, spec),
        restoring: false,
        record: Record {
            table: "public.migrations_backfills".to_owned(),
            migration: "20240101000001_fill",
            position: 2,
            fingerprint: String::new(),
        },
    }
}

#[test]
fn batches_end_where_the_nth_row_after_the_cursor_is_in_the_keys_own_types() {
    let spec = backfill(|_| {});
    let origin = origin("attempt-1");
    let composite = walk(&spec, &origin, vec![key("tenant", "text"), key("Id", "bigint")]);
    // Compared as a row, cast from the cursor's text per column: any key type, any number of columns.
    assert_eq!(
        composite.exec.keys_after(),
        "($1::text[] IS NULL OR (\"tenant\", \"Id\") > (CAST(($1::text[])[1] AS text), \
         CAST(($1::text[])[2] AS bigint))) AND (email_lower IS NULL)"
    );
    assert_eq!(
        composite.exec.range_end_query(500, false),
        "SELECT COALESCE((SELECT ARRAY[\"tenant\"::text, \"Id\"::text] FROM public.accounts WHERE \
         ($1::text[] IS NULL OR (\"tenant\", \"Id\") > (CAST(($1::text[])[1] AS text), CAST(($1::text[])[2] AS bigint))) \
         AND (email_lower IS NULL) ORDER BY \"tenant\", \"Id\" OFFSET 499 LIMIT 1), \
         (SELECT ARRAY[\"tenant\"::text, \"Id\"::text] FROM public.accounts WHERE \
         ($1::text[] IS NULL OR (\"tenant\", \"Id\") > (CAST(($1::text[])[1] AS text), CAST(($1::text[])[2] AS bigint))) \
         AND (email_lower IS NULL) ORDER BY \"tenant\" DESC, \"Id\" DESC LIMIT 1))"
    );
    // `any_row` leaves the condition to the batch's UPDATE, so the planner walks the key's index.
    let any = composite.exec.range_end_query(500, true);
    assert!(!any.contains("email_lower IS NULL"), "{any}");
    assert!(any.contains("OFFSET 499 LIMIT 1"), "{any}");
    // A batch of one row ends at the first row after the cursor, not before it.
    let single = walk(&spec, &origin, vec![key("id", "integer")]);
    assert!(single.exec.range_end_query(1, false).contains("OFFSET 0 LIMIT 1"));
    assert!(single.exec.range_end_query(0, false).contains("OFFSET 0 LIMIT 1"));
    assert_eq!(single.exec.cursor_of("t."), "t.\"id\"::text");
}
