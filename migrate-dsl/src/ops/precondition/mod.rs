//! A precondition: a query about the data that must hold before the migration's first statement runs (no
//! duplicate emails before a unique index is built on them), stated by the migration itself.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::operation::Operation;
use crate::operation::Reverse;

mod render;
mod rust;

/// The most offending rows a failed precondition shows: enough to see what is wrong, few enough to read.
pub const PRECONDITION_ROWS_SHOWN: usize = 10;

impl MigrationBuilder {
    /// Records a precondition named `name`: `sql`, a query about the data that must hold before the
    /// migration's first statement runs, wherever it is recorded in the migration. It holds when it answers
    /// `true` (one boolean column), or no rows (any other answer: each row is an offending one).
    ///
    /// - `SELECT NOT EXISTS (..)` holds when it returns `true` (every row it returns must be `true`);
    /// - `SELECT email, count(*) FROM users GROUP BY email HAVING count(*) > 1` holds when it returns no
    ///   rows: each row is an offending one.
    ///
    /// `up` runs it in the migration's transaction (outside a transaction, on its own) before anything of
    /// the migration, and refuses the migration when it does not hold, naming it and showing up to
    /// [`PRECONDITION_ROWS_SHOWN`] offending rows: nothing of the migration has run then. `migrate review
    /// --production-url` runs it on production in its read-only transaction. Shown as SQL (`sql`,
    /// `--dry-run`), it is a comment; it changes nothing, so its reverse is nothing.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// use migrate_dsl::Action;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("users", ["email"]).unique();
    /// pgm.precondition(
    ///     "no duplicate emails",
    ///     "SELECT email, count(*) FROM users GROUP BY email HAVING count(*) > 1",
    /// );
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE UNIQUE INDEX "users_email_unique_index" ON "users" ("email")"#,
    ///     "-- precondition \"no duplicate emails\" (checked before the migration's first statement; \
    ///      it fails on any row, or on false):\n\
    ///      -- SELECT email, count(*) FROM users GROUP BY email HAVING count(*) > 1",
    /// ]);
    /// // What the engine runs, as recorded.
    /// let Some(Action::Precondition(check)) = &pgm.statements().unwrap()[1].action else { panic!() };
    /// assert_eq!(check.name(), "no duplicate emails");
    /// assert!(check.sql().starts_with("SELECT email"));
    /// // Nothing to undo.
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP INDEX "users_email_unique_index""#]);
    ///
    /// let mut empty = MigrationBuilder::new();
    /// empty.precondition("no duplicate emails", "  ");
    /// assert!(empty.to_sql().unwrap_err().to_string().contains("needs a query"));
    /// ```
    #[track_caller]
    pub fn precondition(
        &mut self,
        name: impl Into<String>,
        sql: impl Into<String>,
    ) -> &mut Precondition {
        self.record(Precondition {
            name: name.into(),
            sql: sql.into(),
        })
    }
}

/// A precondition recorded with [`MigrationBuilder::precondition`]: inert data, run by the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Precondition {
    name: String,
    sql: String,
}

impl Precondition {
    /// What it checks, as the migration names it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The query, as written (a trailing `;` and surrounding blanks left out).
    pub fn sql(&self) -> &str {
        self.sql.trim().trim_end_matches(';').trim_end()
    }
}

/// A check changes nothing: there is nothing to undo.
impl Reverse for Precondition {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(Vec::new())
    }
}
