//! Batched backfills: an UPDATE (or Rust code) applied to a table in primary-key order, one committed
//! transaction per batch, so no transaction holds row locks on millions of rows.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::Name;
use crate::operation::Operation;
use crate::ops::DataResult;
use crate::reverse::Reverse;
use std::sync::Arc;
use std::time::Duration;

mod render;

impl MigrationBuilder {
    /// Updates every row of `table` (or those matching [`Backfill::where_clause`]) with the SQL assignments
    /// `set`, walking the primary key in batches of 1000 rows, each batch its own committed transaction.
    ///
    /// The migration runs outside a transaction (each batch commits on its own), so keep a backfill in a
    /// data migration of its own, after the schema migration that added the column. An interrupted backfill
    /// resumes after the last committed batch when the migration runs again. The table needs a primary key.
    /// Progress (rows, rate, ETA) is shown on a terminal. Undoing it needs nothing.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill("comments", "body = contents").where_clause("body IS NULL");
    /// assert!(!pgm.is_transactional());
    /// assert_eq!(pgm.to_sql().unwrap(), [concat!(
    ///     r#"-- backfill "comments" in batches of 1000 rows in primary-key order, each batch its own transaction; resumes where it stopped"#, "\n",
    ///     r#"-- each batch: UPDATE "comments" SET body = contents WHERE <primary key> IN (SELECT <primary key> FROM "comments" WHERE <primary key> > $1 AND (body IS NULL) ORDER BY <primary key> LIMIT 1000)"#, "\n",
    ///     "-- <primary key>: the table's primary key columns, read when the backfill starts (`sql` against a database where the table exists shows them)",
    /// )]);
    /// assert!(pgm.reversed().unwrap().operations().is_empty());
    /// ```
    #[track_caller]
    pub fn backfill(&mut self, table: impl Into<Name>, set: impl Into<String>) -> &mut Backfill {
        self.record(Backfill::new(table.into(), BatchWork::Set(set.into())))
    }

    /// Like [`backfill`](Self::backfill), with Rust code instead of SQL assignments: for logic SQL cannot
    /// express. Each batch's rows (`SELECT *` in primary-key order, plus a last column `__migrate_cursor`)
    /// are passed with the batch's transaction; write with bound parameters.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill_with("posts", |tx, rows| {
    ///     for row in rows {
    ///         let id: i64 = row.get("id");
    ///         let title: String = row.get("title");
    ///         tx.execute("UPDATE posts SET slug = $1 WHERE id = $2", &[&title.to_lowercase(), &id])?;
    ///     }
    ///     Ok(())
    /// })
    /// .where_clause("slug IS NULL");
    /// assert_eq!(pgm.to_sql().unwrap()[0].lines().nth(1).unwrap(),
    ///     r#"-- each batch: SELECT * FROM "posts" WHERE <primary key> > $1 AND (slug IS NULL) ORDER BY <primary key> LIMIT 1000 FOR NO KEY UPDATE and Rust code over those rows (locked until the batch commits), in the batch's transaction"#);
    /// ```
    #[track_caller]
    pub fn backfill_with(
        &mut self,
        table: impl Into<Name>,
        work: impl Fn(&mut postgres::Transaction<'_>, &[postgres::Row]) -> DataResult
            + Send
            + Sync
            + 'static,
    ) -> &mut Backfill {
        self.record(Backfill::new(
            table.into(),
            BatchWork::Rust(BatchFn::new(work)),
        ))
    }
}

/// 1000 rows per batch: each batch's transaction stays in the milliseconds, holding row locks briefly
/// (the batch size pgroll and reshape use).
pub const DEFAULT_BATCH_SIZE: u32 = 1000;

/// Per-batch Rust code for [`MigrationBuilder::backfill_with`](crate::MigrationBuilder::backfill_with): it
/// gets the batch's transaction and its rows (`SELECT *` of the table, in primary-key order).
#[derive(Clone)]
pub struct BatchFn(
    #[allow(clippy::type_complexity)]
    Arc<dyn Fn(&mut postgres::Transaction<'_>, &[postgres::Row]) -> DataResult + Send + Sync>,
);

impl BatchFn {
    pub(crate) fn new(
        work: impl Fn(&mut postgres::Transaction<'_>, &[postgres::Row]) -> DataResult
            + Send
            + Sync
            + 'static,
    ) -> Self {
        BatchFn(Arc::new(work))
    }

    /// Runs the code on one batch.
    pub fn call(&self, tx: &mut postgres::Transaction<'_>, rows: &[postgres::Row]) -> DataResult {
        (self.0)(tx, rows)
    }
}

impl std::fmt::Debug for BatchFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BatchFn(..)")
    }
}

/// Equal only to itself: closures cannot be compared.
impl PartialEq for BatchFn {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for BatchFn {}

/// What each batch does.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchWork {
    /// `UPDATE table SET <assignments>` on the batch's rows.
    Set(String),
    /// Rust code over the batch's rows.
    Rust(BatchFn),
}

/// A batched backfill, recorded with [`MigrationBuilder::backfill`](crate::MigrationBuilder::backfill) or
/// [`backfill_with`](crate::MigrationBuilder::backfill_with).
#[derive(Debug, Clone, PartialEq)]
pub struct Backfill {
    table: Name,
    work: BatchWork,
    where_clause: Option<String>,
    batch_size: u32,
    pause: Duration,
}

impl Backfill {
    pub(crate) fn new(table: Name, work: BatchWork) -> Self {
        Backfill {
            table,
            work,
            where_clause: None,
            batch_size: DEFAULT_BATCH_SIZE,
            pause: Duration::ZERO,
        }
    }

    /// Only rows matching this SQL condition. Make it false for rows already done (`body IS NULL`), so the
    /// condition itself also documents what the backfill is for.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill("comments", "body = contents").where_clause("body IS NULL");
    /// assert!(pgm.to_sql().unwrap()[0].contains("AND (body IS NULL)"));
    /// ```
    pub fn where_clause(&mut self, condition: impl Into<String>) -> &mut Self {
        self.where_clause = Some(condition.into());
        self
    }

    /// Rows per batch (default 1000).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill("comments", "body = contents").batch_size(5000);
    /// assert!(pgm.to_sql().unwrap()[0].contains("in batches of 5000 rows"));
    /// ```
    pub fn batch_size(&mut self, rows: u32) -> &mut Self {
        self.batch_size = rows;
        self
    }

    /// A pause after each batch, to leave room for the application's writes and for replicas to catch up.
    ///
    /// ```
    /// use std::time::Duration;
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill("comments", "body = contents").pause(Duration::from_millis(50));
    /// assert!(pgm.to_sql().unwrap()[0].contains("pausing 50 ms"));
    /// ```
    pub fn pause(&mut self, pause: Duration) -> &mut Self {
        self.pause = pause;
        self
    }

    /// The table.
    pub fn table(&self) -> &Name {
        &self.table
    }

    /// What each batch does.
    pub fn work(&self) -> &BatchWork {
        &self.work
    }

    /// The row condition, if any.
    pub fn condition(&self) -> Option<&str> {
        self.where_clause.as_deref()
    }

    /// Rows per batch.
    pub fn rows_per_batch(&self) -> u32 {
        self.batch_size
    }

    /// The pause after each batch.
    pub fn pause_between_batches(&self) -> Duration {
        self.pause
    }
}

/// Undoing a backfill needs nothing: it fills a column that an earlier schema migration added, and that
/// migration's `down` drops it.
impl Reverse for Backfill {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(Vec::new())
    }
}
