//! The `pgm` builder that migration files receive. Its methods are grouped by object kind, one file each in
//! this folder; each records an inert operation from [`crate::ops`].

use crate::error::DslError;
use crate::operation::Operation;
use crate::ops::*;

/// Records what a migration does. A migration file's `up` (and optional `down`) receives one:
///
/// ```
/// use migrate_dsl::prelude::*;
///
/// pub fn up(pgm: &mut MigrationBuilder) {
///     pgm.create_table("posts", [
///         column("id", "bigserial").primary_key(),
///         column("title", "text").not_null(),
///     ]);
///     pgm.create_index("posts", ["title"]);
/// }
///
/// let mut pgm = MigrationBuilder::new();
/// up(&mut pgm);
/// assert_eq!(pgm.to_sql().unwrap(), [
///     r#"CREATE TABLE "posts" ( "id" bigserial PRIMARY KEY, "title" text NOT NULL )"#,
///     r#"CREATE INDEX "posts_title_index" ON "posts" ("title")"#,
/// ]);
/// // Without a `down`, the reverse is derived: the index first, then the table.
/// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
///     r#"DROP INDEX "posts_title_index""#,
///     r#"DROP TABLE "posts""#,
/// ]);
/// ```
///
/// Nothing touches the database while recording: the engine renders the operations, shows them (`sql`,
/// `--dry-run`) or runs them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MigrationBuilder {
    operations: Vec<Operation>,
    no_transaction: bool,
}

/// One rendered SQL statement and the operation it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// 1-based position of the operation in the migration.
    pub position: usize,
    /// The builder method that recorded it (`create_table`, `sql`, ...).
    pub op: &'static str,
    /// The SQL text; for `sql` operations it may hold several statements.
    pub sql: String,
}

/// Pushes a new operation and hands back a `&mut` to it, so options chain onto the call.
macro_rules! record {
    ($self:ident, $variant:ident, $value:expr) => {{
        $self.operations.push($crate::Operation::$variant($value));
        match $self.operations.last_mut() {
            Some($crate::Operation::$variant(op)) => op,
            _ => unreachable!("the operation was pushed on the line above"),
        }
    }};
}

// After `record!`, which they use.
mod constraint;
mod domain;
mod extension;
mod index;
mod schema;
mod sequence;
mod table;
mod types;

impl MigrationBuilder {
    /// An empty migration.
    pub fn new() -> Self {
        Self::default()
    }

    /// The operations recorded so far, in order.
    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// Whether the migration runs inside a transaction: yes, unless [`no_transaction`](Self::no_transaction)
    /// was called or an operation cannot run in one (`CONCURRENTLY`).
    pub fn is_transactional(&self) -> bool {
        !self.no_transaction
            && !self
                .operations
                .iter()
                .any(Operation::requires_no_transaction)
    }

    /// Whether [`no_transaction`](Self::no_transaction) was called explicitly.
    pub fn is_marked_no_transaction(&self) -> bool {
        self.no_transaction
    }

    /// Renders every operation, in order. The first invalid operation stops rendering with an error that
    /// names it.
    pub fn statements(&self) -> Result<Vec<Statement>, DslError> {
        let mut out = Vec::new();
        for (i, op) in self.operations.iter().enumerate() {
            for sql in op.render(i + 1)? {
                out.push(Statement {
                    position: i + 1,
                    op: op.name(),
                    sql,
                });
            }
        }
        Ok(out)
    }

    /// The rendered SQL statements, without their origin. Handy in tests and doctests.
    pub fn to_sql(&self) -> Result<Vec<String>, DslError> {
        Ok(self.statements()?.into_iter().map(|s| s.sql).collect())
    }

    /// The migration that undoes this one: every operation's reverse, last operation first. Fails on the first
    /// operation without a reverse, naming it and its position.
    pub fn reversed(&self) -> Result<MigrationBuilder, DslError> {
        let mut operations = Vec::new();
        for (i, op) in self.operations.iter().enumerate().rev() {
            operations.extend(op.reverse(i + 1)?);
        }
        Ok(MigrationBuilder {
            operations,
            no_transaction: self.no_transaction,
        })
    }

    /// Runs the migration outside a transaction: each statement is sent and committed on its own. Needed for
    /// statements PostgreSQL refuses inside a transaction block; typed operations that need it (such as
    /// [`CreateIndex::concurrently`]) set it automatically.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.no_transaction();
    /// pgm.sql("VACUUM ANALYZE posts");
    /// assert!(!pgm.is_transactional());
    /// assert_eq!(pgm.to_sql().unwrap(), ["VACUUM ANALYZE posts"]);
    /// ```
    pub fn no_transaction(&mut self) -> &mut Self {
        self.no_transaction = true;
        self
    }

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
    pub fn sql(&mut self, sql: impl Into<String>) -> &mut Self {
        self.operations
            .push(Operation::Sql(Sql { sql: sql.into() }));
        self
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
    pub fn irreversible(&mut self, reason: impl Into<String>) -> &mut Self {
        self.operations.push(Operation::Irreversible(Irreversible {
            reason: reason.into(),
        }));
        self
    }
}
