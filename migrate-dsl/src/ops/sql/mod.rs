//! Raw SQL and the `irreversible` marker.
use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::operation::Operation;
use crate::operation::Reverse;

mod render;
mod rust;

impl MigrationBuilder {
    /// Records raw SQL: one statement or several separated by `;`. Values are never spliced implicitly; use
    /// [`ident`](crate::ident) and [`literal`](crate::literal) to quote them. Raw SQL has no automatic reverse.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// let status = "it's archived";
    /// pgm.sql(format!("UPDATE {} SET status = {} WHERE id < 100", ident("Posts"), literal(status)));
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"UPDATE "Posts" SET status = 'it''s archived' WHERE id < 100"#]);
    /// ```
    #[track_caller]
    pub fn sql(&mut self, sql: impl Into<String>) -> &mut Sql {
        self.record(Sql::new(sql.into()))
    }

    /// Marks the migration as impossible to undo, with the reason. Reverting it fails before touching the
    /// database and shows the reason; it never silently does nothing.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut down = MigrationBuilder::new();
    /// down.irreversible("deleted rows cannot be restored");
    /// let err = down.to_sql().unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "operation #1 (irreversible): deleted rows cannot be restored",
    /// );
    /// ```
    #[track_caller]
    pub fn irreversible(&mut self, reason: impl Into<String>) -> &mut Irreversible {
        self.record(Irreversible::new(reason.into()))
    }
}

/// Raw SQL recorded with [`MigrationBuilder::sql`](crate::MigrationBuilder::sql): one or several statements.
#[derive(Debug, Clone, PartialEq)]
pub struct Sql {
    sql: String,
}

impl Sql {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(sql: String) -> Self {
        Sql { sql }
    }
}

/// A marker recorded with [`MigrationBuilder::irreversible`](crate::MigrationBuilder::irreversible): running it
/// fails with its reason instead of doing nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Irreversible {
    reason: String,
}

impl Irreversible {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(reason: String) -> Self {
        Irreversible { reason }
    }
}

impl Reverse for Sql {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("raw SQL has no known reverse"))
    }
}

impl Reverse for Irreversible {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible(&self.reason))
    }
}
