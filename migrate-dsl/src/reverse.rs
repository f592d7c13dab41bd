//! Automatic reversal: each operation has its own typed reverse, implemented next to its data in
//! [`crate::ops`], so options recorded at create time (a schema, a derived index name, `CONCURRENTLY`,
//! `if_exists`/`cascade`) reach the statement that undoes it.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::operation::Operation;

/// How an operation is undone.
pub(crate) trait Reverse {
    /// The operations that undo this one, in execution order, or an [`DslError::Irreversible`] from
    /// [`Ctx::irreversible`] saying why there are none.
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError>;
}
