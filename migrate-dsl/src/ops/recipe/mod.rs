//! Safe recipes: composite operations that take several statements (and transactions) to do what one
//! statement would do under a long exclusive lock.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::operation::Reverse;

mod render;
mod rust;

impl MigrationBuilder {
    /// Makes `column` `NOT NULL` without holding an `ACCESS EXCLUSIVE` lock while the table is scanned:
    /// a `CHECK (column IS NOT NULL) NOT VALID`, its `VALIDATE` in a transaction of its own, then
    /// `SET NOT NULL` (which uses the valid check instead of scanning, on PostgreSQL 12+) and dropping the
    /// check. The engine commits between the parts (the `sql` output shows where). Reversed by
    /// `DROP NOT NULL`.
    ///
    /// A plain `alter_column(..).set_not_null()` scans the whole table under `ACCESS EXCLUSIVE`, blocking
    /// reads and writes for the duration.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.set_not_null("comments", "body");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "comments" DROP CONSTRAINT IF EXISTS "comments_body_not_null", ADD CONSTRAINT "comments_body_not_null" CHECK ("body" IS NOT NULL) NOT VALID"#,
    ///     r#"ALTER TABLE "comments" VALIDATE CONSTRAINT "comments_body_not_null""#,
    ///     r#"ALTER TABLE "comments" ALTER COLUMN "body" SET NOT NULL"#,
    ///     r#"ALTER TABLE "comments" DROP CONSTRAINT "comments_body_not_null""#,
    /// ]);
    /// let starts: Vec<bool> = pgm.statements().unwrap().iter().map(|s| s.new_transaction).collect();
    /// assert_eq!(starts, [false, true, true, false]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(),
    ///     [r#"ALTER TABLE "comments" ALTER COLUMN "body" DROP NOT NULL"#]);
    /// ```
    #[track_caller]
    pub fn set_not_null(
        &mut self,
        table: impl Into<Name>,
        column: impl Into<Ident>,
    ) -> &mut SetNotNull {
        self.record(SetNotNull::new(table.into(), column.into()))
    }
}

/// `SET NOT NULL` without a long `ACCESS EXCLUSIVE` lock, recorded with
/// [`MigrationBuilder::set_not_null`].
#[derive(Debug, Clone, PartialEq)]
pub struct SetNotNull {
    table: Name,
    column: Ident,
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

    // Stopped before `SET NOT NULL`: only the temporary check was added (and maybe validated).
    fn reverse_partial(&self, _ctx: Ctx, _done: usize) -> Result<Vec<Operation>, DslError> {
        let mut pgm = MigrationBuilder::new();
        pgm.drop_constraint(self.table.clone(), self.check_name());
        Ok(pgm.operations().to_vec())
    }
}
