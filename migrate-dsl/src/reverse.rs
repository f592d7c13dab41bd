//! Automatic reversal: each operation has its own typed reverse ([`Reverse`](crate::operation::Reverse)),
//! implemented next to its data in [`crate::ops`], so options recorded at create time (a schema, a derived index name, `CONCURRENTLY`,
//! `cascade`) reach the statement that undoes it.
//!
//! A derived reverse undoes only what its operation did. An operation the author allowed to skip
//! (`if_not_exists`, `if_table_exists`) has none, since it may have done nothing; a `CREATE OR REPLACE` is
//! reversed by [`RestorePrevious`](crate::RestorePrevious), which the engine runs from what it recorded
//! before the `up` replaced the object.

/// Why an operation applied in part has no derived reverse.
pub(crate) const PART: &str =
    "it took effect only in part (its migration was stopped inside it), and it has \
    no reverse for a part: run `up` to finish it first";

/// Why an operation the author allowed to skip (`if_not_exists`, `if_table_exists`) has no automatic
/// reverse: when it skipped, the object was not this migration's, and a derived drop would destroy it.
pub(crate) fn may_have_skipped(clause: &str, what: &str) -> String {
    format!(
        "with {clause} the {what} may have existed before this migration (the statement then did nothing), \
         and a derived reverse must not drop what this migration did not create"
    )
}

/// Why an operation with `if_table_exists` has no automatic reverse: it did nothing when the table was
/// missing, and a derived reverse would then undo what this migration did not do.
pub(crate) fn may_have_done_nothing() -> String {
    "with ALTER TABLE IF EXISTS the statement did nothing if the table was missing, and a derived reverse \
     must not undo what this migration may not have done"
        .to_owned()
}
