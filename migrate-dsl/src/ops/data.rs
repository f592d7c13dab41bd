//! Data code: a Rust closure that reads and writes rows through the migration's own transaction at apply time.

use std::fmt;
use std::sync::Arc;

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::operation::Operation;
use crate::reverse::Reverse;

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
    /// Putting back what a `CREATE OR REPLACE` of the `up` replaced, in a derived `down`.
    Restore(crate::ops::Restore),
    /// Nothing: a comment of the plan, such as which branch of a
    /// [`MigrationBuilder::since_pg`](crate::MigrationBuilder::since_pg) runs.
    Note,
}

/// Data code recorded with [`MigrationBuilder::db`](crate::MigrationBuilder::db).
#[derive(Debug, Clone, PartialEq)]
pub struct Db {
    pub(crate) label: String,
    pub(crate) run: DataFn,
}

impl Db {
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
