//! Composite operations: safe recipes that take several statements (and transactions) to do what one
//! statement would do under a long exclusive lock.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::reverse::Reverse;

/// `SET NOT NULL` without a long `ACCESS EXCLUSIVE` lock, recorded with
/// [`MigrationBuilder::set_not_null`].
#[derive(Debug, Clone, PartialEq)]
pub struct SetNotNull {
    pub(crate) table: Name,
    pub(crate) column: Ident,
}

impl SetNotNull {
    pub(crate) fn new(table: Name, column: Ident) -> Self {
        SetNotNull { table, column }
    }

    /// The temporary check constraint: `<table>_<column>_not_null`.
    pub(crate) fn check_name(&self) -> Ident {
        Ident::new(format!(
            "{}_{}_not_null",
            self.table.name().as_str(),
            self.column.as_str()
        ))
    }
}

/// The reverse is a plain `DROP NOT NULL`, which only changes the catalog.
impl Reverse for SetNotNull {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        let mut pgm = MigrationBuilder::new();
        pgm.alter_column(self.table.clone(), self.column.clone())
            .drop_not_null();
        Ok(pgm.operations().to_vec())
    }
}
