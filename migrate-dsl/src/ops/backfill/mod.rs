//! Batched backfills: an UPDATE (or Rust code) applied to a table in primary-key order, one committed
//! transaction per batch, so no transaction holds row locks on millions of rows.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::Name;
use crate::operation::Operation;
use crate::operation::Reverse;
use crate::ops::DataResult;
use std::sync::Arc;
use std::time::Duration;

mod pacing;
mod render;
mod rust;
mod targets;

pub use pacing::{size, LagLimit, Pacing};

impl MigrationBuilder {
    /// Updates every row of `table` (or those matching [`Backfill::where_clause`]) with the SQL assignments
    /// `set`, walking the primary key in batches, each batch its own committed transaction. The first batch
    /// has 1000 rows; later ones are sized toward the run's target batch time unless
    /// [`Backfill::batch_size`] fixes the size. Its derived reverse is nothing when it fills only columns its
    /// own migration added (dropping them undoes it); otherwise it has none, since the values it overwrote
    /// are gone: write a `down`.
    ///
    /// The migration runs outside a transaction (each batch commits on its own), so keep a backfill in a
    /// data migration of its own, after the schema migration that added the column, with a `down` of its
    /// own (an empty one when reverting the schema migration, which drops the column, is what undoes it). An
    /// interrupted backfill resumes after the last committed batch when the migration runs again. The table
    /// needs a primary key. Progress (rows, rate, ETA) is shown on a terminal.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill("comments", "body = contents").where_clause("body IS NULL");
    /// assert!(!pgm.is_transactional());
    /// assert_eq!(pgm.to_sql().unwrap(), [concat!(
    ///     r#"-- backfill "comments" in batches sized toward the target batch time (1000 rows at first) in primary-key order, each batch its own transaction; resumes where it stopped"#, "\n",
    ///     r#"-- each batch: UPDATE "comments" SET body = contents WHERE <primary key> IN (SELECT <primary key> FROM "comments" WHERE <primary key> > $1 AND (body IS NULL) ORDER BY <primary key> LIMIT <batch size>)"#, "\n",
    ///     "-- <primary key>: the table's primary key columns, read when the backfill starts (`sql` against a database where the table exists shows them)",
    /// )]);
    /// // `body` was added by another migration: reverting this one cannot put back what it overwrote.
    /// let refused = pgm.reversed().unwrap_err().to_string();
    /// assert!(refused.contains(r#"overwrites "body" of "comments", which this migration did not add"#));
    ///
    /// // Filling a column the same migration adds: dropping the column undoes both.
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_columns("comments", [column("body", "text")]);
    /// pgm.backfill("comments", "body = contents");
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"ALTER TABLE "comments" DROP COLUMN "body""#,
    /// ]);
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
    ///     r#"-- each batch: SELECT * FROM "posts" WHERE <primary key> > $1 AND (slug IS NULL) ORDER BY <primary key> LIMIT <batch size> FOR NO KEY UPDATE and Rust code over those rows (locked until the batch commits), in the batch's transaction"#);
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

impl MigrationBuilder {
    /// Drops the values that backfills of `table` kept for their `down`s
    /// ([`Backfill::keep_previous_values`]): the side tables and their entries, in this migration's
    /// transaction. Call it in the contract that retires the old values (the app version that could need
    /// them is gone); from then on those backfills' `down`s refuse, naming the values as gone. Nothing kept
    /// is nothing to drop. Reverting this migration does not bring them back.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.contract("every app version reads lower-case emails");
    /// pgm.drop_kept_values("users");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"-- drop the values backfills of "users" kept for their downs (side tables next to the migrations table, run by the engine): those downs can no longer restore them"#,
    /// ]);
    /// assert!(pgm.reversed().unwrap().to_sql().unwrap().is_empty());
    /// ```
    #[track_caller]
    pub fn drop_kept_values(&mut self, table: impl Into<Name>) -> &mut DropKeptValues {
        self.record(DropKeptValues {
            table: table.into(),
        })
    }
}

/// Recorded by [`MigrationBuilder::drop_kept_values`]: the engine drops the kept values of `table`'s
/// backfills.
#[derive(Debug, Clone, PartialEq)]
pub struct DropKeptValues {
    table: Name,
}

impl DropKeptValues {
    /// The table whose backfills' kept values are dropped.
    pub fn table(&self) -> &Name {
        &self.table
    }
}

/// Nothing to undo: what was dropped is gone, and the backfills' `down`s say so.
impl Reverse for DropKeptValues {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(Vec::new())
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
    /// Puts back the values that the backfill at `up_position` of the migration's `up` kept before it
    /// overwrote `columns` ([`Backfill::keep_previous_values`]), then drops what kept them: the derived
    /// `down` of such a backfill. The engine finds the kept values by the migration and that position.
    Restore {
        /// The 1-based position of the backfill in the `up`.
        up_position: usize,
        /// The columns whose values are put back, as PostgreSQL names them.
        columns: Vec<String>,
    },
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
    pacing: Pacing,
    keep_previous: bool,
    background: bool,
}

impl Backfill {
    pub(crate) fn new(table: Name, work: BatchWork) -> Self {
        Backfill {
            table,
            work,
            where_clause: None,
            batch_size: DEFAULT_BATCH_SIZE,
            pause: Duration::ZERO,
            pacing: Pacing::default(),
            keep_previous: false,
            background: false,
        }
    }

    /// The same walk over the same table doing other `work` under another `condition`: what the engine runs
    /// for a [`BatchWork::Restore`] once it knows where the kept values are.
    pub fn with_work(&self, work: BatchWork, condition: Option<String>) -> Backfill {
        Backfill {
            work,
            where_clause: condition,
            keep_previous: false,
            ..self.clone()
        }
    }

    /// Keeps the values the backfill overwrites, so that its derived `down` puts them back exactly: each
    /// batch first copies the primary key and the previous values of the columns its assignments write into
    /// a side table (next to the migrations table), in the batch's own transaction, with the batch's rows
    /// locked so no write slips in between. The `down` walks the table in batches again, restores those
    /// values, and drops the side table. Rows inserted after the backfill have nothing kept and are left as
    /// they are. The kept values go when a later migration calls
    /// [`drop_kept_values`](crate::MigrationBuilder::drop_kept_values) on the table (the contract that
    /// retires them), or with `migrate kept --drop`; after that, this `down` refuses, naming them. Needs
    /// SQL assignments whose columns can be read (not Rust batch code).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill("users", "email = lower(email)")
    ///     .where_clause("email <> lower(email)")
    ///     .keep_previous_values();
    /// assert_eq!(pgm.to_sql().unwrap()[0].lines().nth(1).unwrap(),
    ///     r#"-- each batch first keeps <primary key> and the previous "email" of its rows (locked) in a side table, for the down to restore"#);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap()[0].lines().next().unwrap(),
    ///     r#"-- restore "email" of "users" from the values the backfill at position 1 of the up kept, in batches sized toward the target batch time (1000 rows at first) in primary-key order, each batch its own transaction; then drop the side table"#);
    ///
    /// // Rust batch code may write any column: what to keep is not known.
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill_with("users", |_, _| Ok(())).keep_previous_values();
    /// assert!(pgm.to_sql().unwrap_err().to_string().contains("keep_previous_values needs SQL assignments"));
    /// ```
    pub fn keep_previous_values(&mut self) -> &mut Self {
        self.keep_previous = true;
        self
    }

    /// Queues the backfill as a background job instead of running it: `up` records the job in the
    /// migration's own transaction (the migration stays transactional) and goes on, and workers
    /// (`migrate work`, or [`Embedded::work`] in the application's own process) run its batches after the
    /// deploy, any number of them side by side, each batch committed with its progress. A later migration
    /// that needs the rows filled waits for the job with
    /// [`require_background_jobs`](crate::MigrationBuilder::require_background_jobs); reverting this
    /// migration cancels the job. The pacing options (replica lag, vacuum, `pause_while`, the batch size)
    /// apply to each worker's batches. Not with
    /// [`keep_previous_values`](Self::keep_previous_values).
    ///
    /// [`Embedded::work`]: https://docs.rs/migrate-cli
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill("users", "email_lower = lower(email)")
    ///     .where_clause("email_lower IS NULL")
    ///     .in_background();
    /// assert!(pgm.is_transactional());
    /// assert_eq!(pgm.to_sql().unwrap()[0].lines().next().unwrap(),
    ///     r#"-- queue a background job (run by `migrate work`): backfill "users" in batches sized toward the target batch time (1000 rows at first) in primary-key order, each batch its own transaction"#);
    /// ```
    pub fn in_background(&mut self) -> &mut Self {
        self.background = true;
        self
    }

    /// Whether the backfill is queued as a background job ([`in_background`](Self::in_background)).
    pub fn is_background(&self) -> bool {
        self.background
    }

    /// Whether each batch keeps the values it overwrites ([`keep_previous_values`](Self::keep_previous_values)).
    pub fn keeps_previous_values(&self) -> bool {
        self.keep_previous
    }

    /// Only rows matching this SQL condition. Make it false for rows already done (`body IS NULL`), so the
    /// condition itself also documents what the backfill is for; then it is also checked: once the walk is
    /// done, rows that still match it (written since by something that does not fill them) are walked again,
    /// and rows left after that fail the migration, naming how many (see
    /// [`completion_check`](Self::completion_check)).
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

    /// Rows per batch, every batch: the size no longer adapts to the target batch time. Without it, the first
    /// batch has 1000 rows and later ones are sized toward the run's target batch time (see
    /// [`adaptive_batch_size`](Self::adaptive_batch_size)).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill("comments", "body = contents").batch_size(5000);
    /// assert!(pgm.to_sql().unwrap()[0].contains("in batches of 5000 rows"));
    /// ```
    pub fn batch_size(&mut self, rows: u32) -> &mut Self {
        self.batch_size = rows;
        self.pacing.fixed_size = true;
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

    /// Rows per batch: every batch's with [`batch_size`](Self::batch_size), else the first batch's.
    pub fn rows_per_batch(&self) -> u32 {
        self.batch_size
    }

    /// The pause after each batch.
    pub fn pause_between_batches(&self) -> Duration {
        self.pause
    }

    /// The condition that no row may match once this backfill is done: its [`where_clause`](Self::where_clause)
    /// when that names a column its SQL assignments fill (`body IS NULL` for `body = ..`), so filling a row
    /// makes it false. A condition that only picks rows (`status = 'active'`) says nothing about what is
    /// left, nor does one over Rust batch code: `None`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// use migrate_dsl::Operation;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill("comments", "body = contents").where_clause(r#""body" IS NULL"#);
    /// pgm.backfill("comments", "score = 0").where_clause("status = 'active'");
    /// let checks: Vec<Option<&str>> = pgm.operations().iter().map(|op| match op {
    ///     Operation::Backfill(b) => b.completion_check(),
    ///     _ => unreachable!(),
    /// }).collect();
    /// assert_eq!(checks, [Some(r#""body" IS NULL"#), None]);
    /// ```
    pub fn completion_check(&self) -> Option<&str> {
        let condition = self.where_clause.as_deref()?;
        let filled = self.assigned_columns()?;
        targets::names_any(condition, &filled).then_some(condition)
    }

    /// The columns its SQL assignments write, as PostgreSQL resolves their names; `None` for Rust batch code
    /// or assignments too unusual to read.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// use migrate_dsl::Operation;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill("comments", r#"body = contents, "Edited" = false"#);
    /// let Some(Operation::Backfill(backfill)) = pgm.operations().first() else { unreachable!() };
    /// assert_eq!(backfill.assigned_columns(), Some(vec!["body".to_owned(), "Edited".to_owned()]));
    /// ```
    pub fn assigned_columns(&self) -> Option<Vec<String>> {
        match &self.work {
            BatchWork::Set(set) => targets::assigned_columns(set),
            BatchWork::Rust(_) => None,
            BatchWork::Restore { columns, .. } => Some(columns.clone()),
        }
    }
}

impl Backfill {
    /// The reverse of this backfill in a migration whose operations before it are `earlier`: nothing when
    /// all it writes goes with the migration's own reverse (it fills a table the migration created, or only
    /// columns the migration added, which the reverse drops); otherwise there is none, since the values it
    /// overwrote are gone and a `down` that does nothing would leave every row as the backfill left it.
    pub(crate) fn reverse_after(
        &self,
        ctx: Ctx,
        earlier: &[Operation],
    ) -> Result<Vec<Operation>, DslError> {
        if let BatchWork::Restore { .. } = self.work {
            return Err(ctx.irreversible("restoring kept values has no reverse"));
        }
        if self.keep_previous {
            // The kept values are put back even where the migration's own reverse drops the column next:
            // restoring first also drops the side table, which nothing else would.
            let columns = self.assigned_columns().ok_or_else(|| {
                ctx.invalid("keep_previous_values needs SQL assignments whose columns can be read")
            })?;
            let restore = BatchWork::Restore {
                up_position: ctx.position,
                columns,
            };
            return Ok(vec![Operation::Backfill(self.with_work(restore, None))]);
        }
        let created = earlier.iter().any(|op| match op {
            Operation::CreateTable(t) => t.certainly_creates() == Some(&self.table),
            _ => false,
        });
        if created {
            return Ok(Vec::new());
        }
        let added: Vec<&str> = earlier
            .iter()
            .filter_map(|op| match op {
                Operation::AddColumns(a) => a.certainly_adds(),
                _ => None,
            })
            .filter(|(table, _)| **table == self.table)
            .flat_map(|(_, columns)| columns.map(|c| c.as_str()))
            .collect();
        let keep = "an empty `pub fn down(_pgm: &mut MigrationBuilder) {}` keeps the filled values, if that \
                    is what you mean (when an earlier migration added the column, its `down` drops it)";
        let written = match &self.work {
            BatchWork::Rust(_) => {
                return Err(ctx.irreversible(&format!(
                    "the backfill's Rust code may write any column of {}, which this migration did not create, \
                     and the values it overwrote are not known: a derived `down` would undo nothing; {keep}",
                    self.table.quoted()
                )))
            }
            BatchWork::Set(_) | BatchWork::Restore { .. } => self.assigned_columns(),
        };
        let Some(written) = written else {
            return Err(ctx.irreversible(&format!(
                "the columns the backfill writes cannot be read from its assignments, and the values it \
                 overwrote are not known: a derived `down` would undo nothing; {keep}"
            )));
        };
        let overwritten: Vec<&String> = written
            .iter()
            .filter(|c| !added.contains(&c.as_str()))
            .collect();
        if overwritten.is_empty() {
            return Ok(Vec::new());
        }
        let overwritten: Vec<String> = overwritten.iter().map(|c| crate::ident(c)).collect();
        Err(ctx.irreversible(&format!(
            "the backfill overwrites {} of {}, which this migration did not add, and the values it overwrote \
             are not known: a derived `down` would undo nothing; `.keep_previous_values()` on the backfill \
             keeps them for a `down` that restores them, or {keep}",
            overwritten.join(", "),
            self.table.quoted()
        )))
    }
}

/// Without the migration's other operations (see [`Backfill::reverse_after`]), a backfill has no reverse.
impl Reverse for Backfill {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        self.reverse_after(ctx, &[])
    }
}
