//! The one batch executor: a table walked by ranges of its primary key, each range one batch in its
//! caller's transaction. The inline backfill (and the restore of kept values, which walks as an inline
//! backfill with the kept values as its assignments) and the background worker both call it. Each caller
//! keeps its cursor where it keeps it (the inline walk in its progress row, a job in its batch rows) and
//! its own pace, stop and retry; only the executor knows where a range ends (read from the key's index, or
//! computed for a dense integer key) and what a range's work is (the UPDATE, with the values it overwrites
//! kept first, or the Rust code over its rows, locked).
//!
//! Round trips, each of which a single `UPDATE` of the same rows does not pay (on a loaded machine each
//! waits for the scheduler too): SQL work's batch is sent as few messages as its bookkeeping allows (see
//! `one_trip`), the bounds written in as literals. An inline batch is two: `BEGIN; UPDATE` (with the
//! values kept first, when kept), then its progress saved with the `COMMIT`, so the progress commits with
//! the batch or not at all, as before; a range end read from the index is one more. A worker's batch is
//! five: its claim (`BEGIN`, the job's advisory lock, where the walk stands and any abandoned batch, in
//! one message; the range inserted with the `COMMIT`), then the batch (`BEGIN` with the job's and the
//! batch's rows locked; the UPDATE; the batch marked done with the `COMMIT`). The throttle's checks before
//! each batch are one more (see `throttle`). Was 8 an inline batch and 16 a worker's. Rust batch code
//! gets the transaction, each statement its own round trip.

use migrate_dsl::{Backfill, BatchWork};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};
use postgres::GenericClient;

use crate::error::{describe_pg, DataCause};
use crate::migration::panic_message;
use crate::retry::LockTimeout;
use crate::user_code::{self, UserCode};

use super::dense_key::{DenseKey, RangeEnd};
use super::kept::Keeping;
use super::{key_in, Key};
use crate::one_trip::{self, Open};

/// The cursor as the statements' first parameter.
const PARAM_1: &str = "$1::text[]";

/// A backfill's table, key and work, learned once before the first batch, as every batch of every caller
/// runs them.
pub(crate) struct Executor<'a> {
    /// The table, quoted (schema-qualified as the caller resolved it).
    pub(crate) target: String,
    /// The primary key, in key order.
    pub(crate) keys: Vec<Key>,
    /// ` AND (condition)`, or nothing.
    filter: String,
    work: &'a BatchWork,
    /// Where each batch keeps the values it overwrites, with `keep_previous_values`.
    keep: Option<Keeping>,
}

impl<'a> Executor<'a> {
    /// The executor of `spec` (its work already resolved: a restore's kept values are assignments by now)
    /// on `target`, whose primary key is `keys`.
    pub(crate) fn new(target: String, keys: Vec<Key>, spec: &'a Backfill) -> Self {
        Executor {
            filter: spec
                .condition()
                .map(|w| format!(" AND ({w})"))
                .unwrap_or_default(),
            work: spec.work(),
            keep: None,
            target,
            keys,
        }
    }

    /// The same, each batch first keeping the values it overwrites in `keep`.
    pub(super) fn keeping(self, keep: Option<Keeping>) -> Self {
        Executor { keep, ..self }
    }

    /// The quoted primary key columns.
    pub(crate) fn columns(&self) -> Vec<String> {
        self.keys
            .iter()
            .map(|k| migrate_dsl::ident(&k.column))
            .collect()
    }

    /// The rows after the cursor (`$1`, none before the first batch) that match the condition.
    pub(crate) fn keys_after(&self) -> String {
        self.keys_after_in(PARAM_1)
    }

    /// The rows after the cursor (the `text[]` expression `cursor`, NULL before the first batch) that
    /// match the condition.
    fn keys_after_in(&self, cursor: &str) -> String {
        format!("{}{}", self.any_key_after_in(cursor), self.filter)
    }

    /// The rows after the cursor (`$1`, none before the first batch), whether they match or not.
    fn any_key_after(&self) -> String {
        self.any_key_after_in(PARAM_1)
    }

    fn any_key_after_in(&self, cursor: &str) -> String {
        format!(
            "({cursor} IS NULL OR ({}) > ({}))",
            self.columns().join(", "),
            key_in(&self.keys, cursor),
        )
    }

    /// The rows of the range after the cursor (`$1`) up to its last key (`$2`) that match the condition.
    fn rows_of_range(&self) -> String {
        self.rows_of_range_in(PARAM_1, "$2::text[]")
    }

    /// The same with the bounds as `text[]` expressions.
    fn rows_of_range_in(&self, cursor: &str, upper: &str) -> String {
        format!(
            "{} AND ({}) <= ({})",
            self.keys_after_in(cursor),
            self.columns().join(", "),
            key_in(&self.keys, upper)
        )
    }

    /// The key of a row as a cursor records it, text per column, the columns read from `alias`.
    pub(crate) fn cursor_of(&self, alias: &str) -> String {
        self.keys
            .iter()
            .map(|k| format!("{alias}{}::text", migrate_dsl::ident(&k.column)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The query for the last key of the next range of at most `limit` rows after the cursor (`$1`): the
    /// `limit`-th matching row's, or when fewer are left the last one's; NULL when none is. With
    /// `any_row`, the `limit`-th row's whether it matches or not (the range's UPDATE applies the
    /// condition): the planner then always walks the key's index, whereas with a condition on a column
    /// without statistics (one just added, a table never analysed) it guesses that few rows match and, past
    /// a few hundred rows, sorts the whole table for each batch instead.
    pub(super) fn range_end_query(&self, limit: u32, any_row: bool) -> String {
        let key = self.cursor_of("");
        let target = &self.target;
        let keys_after = if any_row {
            self.any_key_after()
        } else {
            self.keys_after()
        };
        let order = self.columns();
        let desc: Vec<String> = order.iter().map(|c| format!("{c} DESC")).collect();
        format!(
            "SELECT COALESCE(\
             (SELECT ARRAY[{key}] FROM {target} WHERE {keys_after} ORDER BY {order} OFFSET {skip} LIMIT 1), \
             (SELECT ARRAY[{key}] FROM {target} WHERE {keys_after} ORDER BY {desc} LIMIT 1))",
            order = order.join(", "),
            desc = desc.join(", "),
            skip = limit.saturating_sub(1),
        )
    }

    /// The key's bounds when the walk can step through key ranges by arithmetic ([`DenseKey`]): only for
    /// SQL work whose batch size adapts (a fixed size promises rows per batch, not keys). `cursor` is where
    /// a resumed walk stands, `known_rows` the rows counted before the walk.
    pub(crate) fn dense_key(
        &self,
        conn: &mut impl GenericClient,
        cursor: Option<&Vec<String>>,
        known_rows: u64,
        adapts: bool,
    ) -> Result<Option<DenseKey>, postgres::Error> {
        if !adapts || !matches!(self.work, BatchWork::Set(_)) {
            return Ok(None);
        }
        DenseKey::of(conn, self, cursor, known_rows)
    }

    /// Where the next range after `cursor` ends: computed for a dense key, else read from the index (the
    /// `limit`-th row's key; with `adapts`, whether it matches the condition or not). `None` when no row is
    /// left after the cursor.
    pub(crate) fn range_end(
        &self,
        conn: &mut impl GenericClient,
        dense: &mut Option<DenseKey>,
        cursor: &Option<Vec<String>>,
        (limit, adapts): (u32, bool),
    ) -> Result<Option<RangeEnd>, postgres::Error> {
        if let Some(dense) = dense {
            return dense.end(conn, self, cursor, limit);
        }
        let rows = conn.query_typed(
            &self.range_end_query(limit, adapts),
            &[(cursor, Type::TEXT_ARRAY)],
        )?;
        Ok(rows
            .first()
            .and_then(|row| row.get::<_, Option<Vec<String>>>(0))
            .map(|key| RangeEnd {
                key,
                walked: adapts.then_some(u64::from(limit)),
            }))
    }

    /// Starts a batch's transaction. With kept values, the values kept and the UPDATE then read one
    /// snapshot: a row an application changes in between fails the UPDATE (a serialization failure,
    /// retried as a lock timeout is), so the value kept is always the one the batch overwrites. Locking the
    /// batch's rows first did the same for 15% more.
    pub(crate) fn begin<'c>(
        &self,
        conn: &'c mut impl GenericClient,
    ) -> Result<postgres::Transaction<'c>, BatchError> {
        let mut tx = conn.transaction().map_err(BatchError::Query)?;
        if self.keep.is_some() {
            tx.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .map_err(BatchError::Query)?;
        }
        Ok(tx)
    }

    /// SQL work's batch over the range (`cursor`, `upper`], in one round trip: the batch's transaction
    /// opened (as [`Executor::begin`] opens it), the values kept when kept, and the UPDATE. Returns the
    /// transaction, still open for the caller's bookkeeping and commit ([`Open::commit_with`]: a second
    /// round trip), and the rows updated. The rows and the guarantees are [`Executor::run_range`]'s; the
    /// bounds are written in as literals, planned as its parameters are (an unnamed statement is planned
    /// with its values).
    pub(crate) fn begin_update<'c>(
        &self,
        conn: &'c mut postgres::Client,
        cursor: &Option<Vec<String>>,
        upper: &[String],
    ) -> Result<(Open<'c>, u64), BatchError> {
        let BatchWork::Set(assignments) = self.work else {
            return Err(BatchError::Code(DataCause::Internal(
                "only SQL work runs as one UPDATE",
            )));
        };
        let target = &self.target;
        let rows = self.rows_of_range_at(cursor, upper);
        let mut sql = match self.keep {
            Some(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ; ".to_owned(),
            None => "BEGIN; ".to_owned(),
        };
        if let Some(keeping) = &self.keep {
            sql.push_str(&keeping.statement(target, &rows));
            sql.push_str("; ");
        }
        sql.push_str(&format!("UPDATE {target} SET {assignments} WHERE {rows}"));
        let (open, sent) = one_trip::begin(conn, &sql).map_err(|f| BatchError::Query(f.error))?;
        // BEGIN's, the kept rows', then the UPDATE's: the last one.
        let updated = sent.counts().last().copied().unwrap_or(0);
        Ok((open, updated))
    }

    /// SQL work's UPDATE of the range (`cursor`, `upper`] with the bounds written in (see
    /// [`Executor::begin_update`]), for a caller that opened the batch's transaction with statements of
    /// its own; `None` for Rust code, or kept values (which only an inline walk keeps, in
    /// [`Executor::begin_update`]).
    pub(crate) fn update_sql(&self, cursor: &Option<Vec<String>>, upper: &[String]) -> Option<String> {
        match (self.work, &self.keep) {
            (BatchWork::Set(assignments), None) => Some(format!(
                "UPDATE {} SET {assignments} WHERE {}",
                self.target,
                self.rows_of_range_at(cursor, upper)
            )),
            _ => None,
        }
    }

    /// [`Executor::rows_of_range`] with the bounds written in as literals.
    fn rows_of_range_at(&self, cursor: &Option<Vec<String>>, upper: &[String]) -> String {
        self.rows_of_range_in(
            &one_trip::text_array(cursor.as_deref()),
            &one_trip::text_array(Some(upper)),
        )
    }

    /// The work of the range (`cursor`, `upper`] in the batch's transaction `tx`: the UPDATE (its rows'
    /// values kept first, when kept), or the Rust code over the range's rows, locked (`code` says where it
    /// runs, for messages from inside it). Returns the rows updated or handed to the code.
    ///
    /// No application write is lost: the UPDATE locks each row and computes the assignments from its latest
    /// committed version (a row changed since the range was read is re-read and re-checked against the
    /// condition), and a write that comes later waits for the batch to commit. The UPDATE's own row count
    /// is the batch's: a `RETURNING` materialised and counted spilled to disk at large batches.
    pub(crate) fn run_range(
        &self,
        tx: &mut postgres::Transaction<'_>,
        cursor: &Option<Vec<String>>,
        upper: &Vec<String>,
        code: Option<UserCode>,
    ) -> Result<u64, BatchError> {
        let (target, rows_of_range) = (&self.target, self.rows_of_range());
        match self.work {
            BatchWork::Set(assignments) => {
                let bounds: [(&(dyn ToSql + Sync), Type); 2] =
                    [(cursor, Type::TEXT_ARRAY), (upper, Type::TEXT_ARRAY)];
                if let Some(keeping) = &self.keep {
                    execute_typed(tx, &keeping.statement(target, &rows_of_range), &bounds)
                        .map_err(BatchError::Query)?;
                }
                execute_typed(
                    tx,
                    &format!("UPDATE {target} SET {assignments} WHERE {rows_of_range}"),
                    &bounds,
                )
                .map_err(BatchError::Query)
            }
            BatchWork::Rust(work) => {
                let rows = tx
                    .query(
                        &format!(
                            "{} WHERE {rows_of_range} ORDER BY {} FOR NO KEY UPDATE",
                            self.select_for_code(),
                            self.columns().join(", ")
                        ),
                        &[cursor, upper],
                    )
                    .map_err(BatchError::Query)?;
                call_code(tx, work, &rows, code)?;
                Ok(rows.len() as u64)
            }
            BatchWork::Restore { .. } => Err(restore_unresolved()),
        }
    }

    /// A batch of Rust code by rows rather than by range: the next `limit` matching rows after `cursor`,
    /// locked, handed to the code in `tx`. Returns the rows and the last one's key; `None` when no row is
    /// left.
    pub(crate) fn run_code_after(
        &self,
        tx: &mut postgres::Transaction<'_>,
        cursor: &Option<Vec<String>>,
        limit: u32,
        code: Option<UserCode>,
    ) -> Result<Option<(u64, Vec<String>)>, BatchError> {
        let BatchWork::Rust(work) = self.work else {
            return Err(BatchError::Code(DataCause::Internal(
                "only Rust batch code walks by rows",
            )));
        };
        // The rows are locked until the batch commits: the Rust code writes values computed from what it
        // read, so an application write to one of these rows in between would be overwritten. With the
        // lock it waits (a batch lasts milliseconds) and applies after the batch's write. NO KEY: inserts
        // referencing these rows by foreign key are not blocked.
        let sql = format!(
            "{} WHERE {} ORDER BY {} LIMIT {limit} FOR NO KEY UPDATE",
            self.select_for_code(),
            self.keys_after(),
            self.columns().join(", ")
        );
        let rows = tx.query(&sql, &[cursor]).map_err(BatchError::Query)?;
        let Some(last) = rows.last() else {
            return Ok(None);
        };
        let next: Vec<String> = last.get(CURSOR_COLUMN);
        call_code(tx, work, &rows, code)?;
        Ok(Some((rows.len() as u64, next)))
    }

    /// The rows as Rust code gets them: every column, and the key as a cursor records it.
    fn select_for_code(&self) -> String {
        format!(
            "SELECT *, ARRAY[{}] AS {CURSOR_COLUMN} FROM {}",
            self.cursor_of(""),
            self.target
        )
    }
}

/// Runs `sql` with its parameters' types given, so in one round trip (a statement prepared first takes two,
/// which a batch of a few milliseconds feels), and returns the rows it affected.
fn execute_typed(
    tx: &mut postgres::Transaction<'_>,
    sql: &str,
    params: &[(&(dyn ToSql + Sync), Type)],
) -> Result<u64, postgres::Error> {
    let mut rows = tx.query_typed_raw(sql, params.iter().map(|(p, t)| (*p, t.clone())))?;
    while rows.next()?.is_some() {}
    Ok(rows.rows_affected().unwrap_or(0))
}

/// The column of the rows handed to Rust code that holds each row's key as a cursor records it.
const CURSOR_COLUMN: &str = "__migrate_cursor";

fn restore_unresolved() -> BatchError {
    BatchError::Code(DataCause::Internal(
        "a restore walks with the assignments of its kept values",
    ))
}

/// Hands `rows` to the batch code, a panic caught as the batch's failure.
fn call_code(
    tx: &mut postgres::Transaction<'_>,
    work: &migrate_dsl::BatchFn,
    rows: &[postgres::Row],
    code: Option<UserCode>,
) -> Result<(), BatchError> {
    let Some(code) = code else {
        return Err(BatchError::Code(DataCause::Internal(
            "Rust batch code runs with its migration",
        )));
    };
    let result = {
        let _running = user_code::enter(code);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work.call(tx, rows)))
    };
    match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(BatchError::Code(DataCause::BatchReturned(e))),
        Err(panic) => Err(BatchError::Code(DataCause::BatchPanicked(panic_message(
            &panic,
        )))),
    }
}

/// Why one batch failed; its transaction was rolled back.
#[derive(Debug)]
pub(crate) enum BatchError {
    /// A query of the batch failed; a lock timeout is retried.
    Query(postgres::Error),
    /// The commit failed.
    Commit(postgres::Error),
    /// The user's batch code failed.
    Code(DataCause),
    /// A stop was due before the batch started.
    Stopped(crate::interrupt::Stop),
}

impl BatchError {
    pub(crate) fn into_cause(self) -> DataCause {
        match self {
            BatchError::Query(e) => DataCause::database("a batch failed")(e),
            BatchError::Commit(e) => DataCause::database("cannot commit a batch")(e),
            BatchError::Code(cause) => cause,
            BatchError::Stopped(stop) => stop.cause(0, 0),
        }
    }

    /// Whether the server cancelled the batch (a stop's cancel).
    pub(crate) fn is_cancel(&self) -> bool {
        let cancelled =
            |e: &postgres::Error| e.code() == Some(&postgres::error::SqlState::QUERY_CANCELED);
        match self {
            BatchError::Query(e) | BatchError::Commit(e) => cancelled(e),
            BatchError::Code(DataCause::BatchReturned(e)) => e
                .downcast_ref::<postgres::Error>()
                .is_some_and(cancelled),
            BatchError::Code(_) | BatchError::Stopped(_) => false,
        }
    }
}

impl LockTimeout for BatchError {
    /// A lock timeout, or the serialization failure of a batch that keeps values (see
    /// [`Executor::begin`]): both rolled the batch back, and the next attempt can go through.
    fn is_lock_timeout(&self) -> bool {
        let serialization = |e: &postgres::Error| {
            e.code() == Some(&postgres::error::SqlState::T_R_SERIALIZATION_FAILURE)
        };
        matches!(self, BatchError::Query(e) if e.is_lock_timeout() || serialization(e))
    }

    fn reason(&self) -> String {
        match self {
            BatchError::Query(e) | BatchError::Commit(e) => describe_pg(e),
            BatchError::Code(cause) => cause.to_string(),
            BatchError::Stopped(_) => "a stop was requested".to_owned(),
        }
    }
}
