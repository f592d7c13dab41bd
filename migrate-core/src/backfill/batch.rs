//! One batch of an inline backfill: the executor's range (or rows, for Rust code) in a transaction of its
//! own, committed with the walk's progress.

use postgres::Client;

use super::*;

/// A committed batch: the rows it did, the key it ended at, and how far it walked (rows, or keys of a
/// dense key's range: what the batch size adapts on).
pub(super) struct Batch {
    pub(super) rows: u64,
    pub(super) next: Vec<String>,
    pub(super) walked: u64,
}

/// One batch in a transaction of its own, committed with its progress. `None` when no rows are left.
/// With `adapts` (the batch size adapts rather than being fixed), a batch of a reading walk is the next
/// `limit` rows whether they match the condition or not.
pub(super) fn batch(
    conn: &mut Client,
    walk: &Walk<'_>,
    dense: &mut Option<DenseKey>,
    cursor: &Option<Vec<String>>,
    done_before: i64,
    (limit, adapts): (u32, bool),
) -> Result<Option<Batch>, BatchError> {
    let exec = &walk.exec;
    let batch = match walk.spec.work() {
        // The batch is the key range (cursor, end of the next `limit` rows]: an index range scan, cheaper
        // than looking the keys up one by one, its end read from the index without sorting the batch's
        // keys, or for a dense integer key computed without reading anything ([`DenseKey`]). The end is
        // read before the batch's transaction begins: the UPDATE reads its rows as they are when it runs
        // either way (and with kept values, the values kept and the UPDATE share the snapshot their first
        // statement takes). Then two round trips: the transaction begun with the UPDATE, and the progress
        // saved with the COMMIT.
        BatchWork::Set(_) => {
            let Some(RangeEnd { key: upper, walked }) = exec
                .range_end(conn, dense, cursor, (limit, adapts))
                .map_err(BatchError::Query)?
            else {
                return Ok(None);
            };
            let (open, rows) = exec.begin_update(conn, cursor, &upper)?;
            let done = done_before.saturating_add(i64::try_from(rows).unwrap_or(i64::MAX));
            open.commit_with(&walk.record.save_sql(&upper, done))
                .map_err(|failed| match failed.open {
                    true => BatchError::Query(failed.error),
                    false => BatchError::Commit(failed.error),
                })?;
            return Ok(Some(Batch {
                rows,
                next: upper,
                walked: walked.unwrap_or(rows),
            }));
        }
        BatchWork::Rust(_) => {
            let mut tx = exec.begin(conn)?;
            let Some((rows, next)) = exec.run_code_after(&mut tx, cursor, limit, Some(walk.code()))?
            else {
                return Ok(None);
            };
            let done = done_before.saturating_add(i64::try_from(rows).unwrap_or(i64::MAX));
            walk.record
                .save(&mut tx, &next, done)
                .map_err(BatchError::Query)?;
            tx.commit().map_err(BatchError::Commit)?;
            Batch {
                rows,
                next,
                walked: rows,
            }
        }
        BatchWork::Restore { .. } => {
            return Err(BatchError::Code(DataCause::Internal(
                "a restore walks with the assignments of its kept values",
            )))
        }
    };
    Ok(Some(batch))
}
