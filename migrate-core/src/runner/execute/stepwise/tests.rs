//! How a migration's units are grouped into commits, and what the journal names them by.

use super::*;
use crate::runner::test_support::statements;

#[test]
fn a_typed_operation_shares_a_transaction_raw_statements_and_breaks_do_not() {
    let units = statements(|pgm| {
        pgm.no_transaction();
        pgm.rename_column_online("comments", "contents", "body");
        pgm.sql("UPDATE a SET x = 1");
        pgm.sql("UPDATE b SET x = 1");
        pgm.create_index("comments", ["body"]).concurrently();
        pgm.set_not_null("comments", "body");
    });
    let shape: Vec<(Range<usize>, Commit)> = groups(&units)
        .into_iter()
        .map(|g| (g.range, g.commit))
        .collect();
    assert_eq!(
        shape,
        [
            // column, function, trigger, check
            (0..4, Commit::Together),
            (4..5, Commit::Backfill),
            (5..6, Commit::Together),
            (6..7, Commit::Together),
            (7..8, Commit::Bare),
            // set_not_null: the check, its VALIDATE, then SET NOT NULL with the check's drop
            (8..9, Commit::Together),
            (9..10, Commit::Together),
            (10..12, Commit::Together),
        ]
    );
}

#[test]
fn an_entry_names_the_statement_and_changes_with_it() {
    let units = statements(|pgm| {
        pgm.sql("UPDATE a SET x = 1");
        pgm.sql("UPDATE a SET x = 2");
    });
    let (first, second) = (entry(&units[0]), entry(&units[1]));
    assert!(first.ends_with(" #1 (sql): UPDATE a SET x = 1"), "{first}");
    assert_ne!(
        JournalEntry::parse(&first).digest,
        JournalEntry::parse(&second).digest
    );
    assert_eq!(JournalEntry::parse(&first).digest.len(), 16);
}
