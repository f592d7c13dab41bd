//! Data code: a Rust closure that reads and writes rows through the migration's own transaction at apply time.

use std::fmt;
use std::sync::Arc;

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::operation::Operation;
use crate::operation::Reverse;

mod render;

impl MigrationBuilder {
    /// Records data code: a closure that gets the migration's transaction when the migration is applied, to
    /// read and write rows with the `postgres` API (bind parameters; never format values into SQL).
    ///
    /// It runs only when the migration is applied: never while showing SQL (`sql`, `--dry-run`, where a
    /// comment with `label` stands in its place), never with `--fake`, and never while deriving a reverse (it
    /// has none; a migration using it needs a written `down`). In a migration that runs outside a
    /// transaction, it gets a transaction of its own. Keep it small: a large backfill belongs in its own
    /// batched data migration, not in the transaction of a schema change.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_columns("posts", [column("slug", "text")]);
    /// pgm.db("fill slugs of existing posts", |tx| {
    ///     for row in tx.query("SELECT id, title FROM posts WHERE slug IS NULL", &[])? {
    ///         let (id, title): (i64, String) = (row.get(0), row.get(1));
    ///         tx.execute("UPDATE posts SET slug = $1 WHERE id = $2", &[&title.to_lowercase().replace(' ', "-"), &id])?;
    ///     }
    ///     Ok(())
    /// });
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "posts" ADD COLUMN "slug" text"#,
    ///     "-- pgm.db: fill slugs of existing posts (Rust code, runs at apply time in the migration's transaction; not shown as SQL)",
    /// ]);
    /// let err = pgm.reversed().unwrap_err();
    /// assert!(err.to_string().contains("operation #2 (db) cannot be reversed automatically"));
    /// ```
    #[track_caller]
    pub fn db(
        &mut self,
        label: impl Into<String>,
        run: impl Fn(&mut postgres::Transaction<'_>) -> DataResult + Send + Sync + 'static,
    ) -> &mut Db {
        self.record(Db::new(label.into(), run))
    }
}

/// What a data closure returns: any error, boxed. `?` on a `postgres::Error` works.
pub type DataResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// The closure behind [`MigrationBuilder::db`](crate::MigrationBuilder::db). Shared, because recorded
/// operations are cloned (a migration's reverse, the plan of a run).
#[derive(Clone)]
pub struct DataFn(Arc<dyn Fn(&mut postgres::Transaction<'_>) -> DataResult + Send + Sync>);

impl DataFn {
    /// Runs the closure on `tx`.
    pub fn call(&self, tx: &mut postgres::Transaction<'_>) -> DataResult {
        (self.0)(tx)
    }
}

impl fmt::Debug for DataFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataFn(..)")
    }
}

/// Two recorded closures are equal only if they are the same recording (closures cannot be compared).
impl PartialEq for DataFn {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for DataFn {}

/// Work the engine does itself when a migration is applied, where a statement's `sql` is only a comment
/// describing it.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Data code ([`MigrationBuilder::db`](crate::MigrationBuilder::db)).
    Data(DataFn),
    /// A batched backfill ([`MigrationBuilder::backfill`](crate::MigrationBuilder::backfill)).
    Backfill(crate::ops::Backfill),
    /// A backfill queued as a background job ([`crate::ops::Backfill::in_background`]): the engine records
    /// the job in the migration's transaction; workers run it.
    Queue(crate::ops::Backfill),
    /// The partitions' indexes of an index built partition by partition
    /// ([`CreateIndex::concurrently_per_partition`](crate::ops::CreateIndex::concurrently_per_partition)):
    /// built `CONCURRENTLY` and attached, one statement at a time, outside any transaction.
    IndexPartitions(crate::ops::PartitionIndex),
    /// The partitions' indexes such a build left unattached, dropped by name
    /// ([`DropIndex::per_partition`](crate::ops::DropIndex::per_partition)).
    DropPartitionIndexes(crate::ops::PartitionIndex),
    /// A foreign key added to each partition `NOT VALID` and validated, one statement at a time, outside any
    /// transaction, before the table's own (which then attaches them without a scan).
    ConstrainPartitions(crate::ops::PartitionConstraint),
    /// The partitions' constraints such a build left unattached, dropped by name.
    DropPartitionConstraints(crate::ops::PartitionConstraint),
    /// The background jobs that the named migration queued must have finished before this migration
    /// starts ([`MigrationBuilder::require_background_jobs`](crate::MigrationBuilder::require_background_jobs)).
    RequireJobs(String),
    /// A query about the data that must hold before the migration's first statement
    /// ([`MigrationBuilder::precondition`](crate::MigrationBuilder::precondition)): checked then, not here.
    Precondition(crate::ops::Precondition),
    /// Putting back what a `CREATE OR REPLACE` of the `up` replaced, in a derived `down`.
    Restore(crate::ops::Restore),
    /// Dropping the values backfills of this table kept
    /// ([`MigrationBuilder::drop_kept_values`](crate::MigrationBuilder::drop_kept_values)).
    DropKept(crate::Name),
    /// Nothing: a comment of the plan, such as which branch of a
    /// [`MigrationBuilder::since_pg`](crate::MigrationBuilder::since_pg) runs.
    Note,
}

/// Data code recorded with [`MigrationBuilder::db`](crate::MigrationBuilder::db).
#[derive(Debug, Clone, PartialEq)]
pub struct Db {
    label: String,
    run: DataFn,
}

impl Db {
    /// The closure, for the engine to run.
    pub(crate) fn data_fn(&self) -> &DataFn {
        &self.run
    }

    pub(crate) fn new(
        label: String,
        run: impl Fn(&mut postgres::Transaction<'_>) -> DataResult + Send + Sync + 'static,
    ) -> Self {
        Db {
            label,
            run: DataFn(Arc::new(run)),
        }
    }
}

impl Reverse for Db {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("data code has no automatic reverse"))
    }
}
