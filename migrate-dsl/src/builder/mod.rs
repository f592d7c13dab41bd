//! The `pgm` builder that migration files receive. Its methods are grouped by object kind, one file each in
//! this folder; each records an inert operation from [`crate::ops`].

use std::time::Duration;

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
    lock_timeout: Option<Duration>,
}

/// One rendered SQL statement and the operation it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// 1-based position of the operation in the migration.
    pub position: usize,
    /// The builder method that recorded it (`create_table`, `sql`, ...).
    pub op: &'static str,
    /// The SQL text; for `sql` operations it may hold several statements. For an [`Action`] it is a comment
    /// saying what runs there.
    pub sql: String,
    /// Work the engine does in place of `sql` when the migration is applied (data code, a backfill). An
    /// operation rendered as several comment lines carries it on its first.
    pub action: Option<Action>,
    /// In a transactional migration, the engine commits the statements before this one first and runs it
    /// in a new transaction (`VALIDATE CONSTRAINT`).
    pub new_transaction: bool,
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
mod backfill;
mod cast;
mod constraint;
mod domain;
mod extension;
mod function;
mod grant;
mod index;
mod operator;
mod policy;
mod recipe;
mod role;
mod schema;
mod sequence;
mod table;
mod trigger;
mod types;
mod view;

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

    /// This migration's own `lock_timeout`, when [`lock_timeout`](Self::lock_timeout) set one.
    pub fn own_lock_timeout(&self) -> Option<Duration> {
        self.lock_timeout
    }

    /// Overrides the run's `lock_timeout` (default 500 ms, `--lock-timeout`) for this migration, e.g. for a
    /// table so busy that a longer wait with fewer retries is the better trade. The engine sets it with
    /// `SET LOCAL` at the start of the migration's transaction; it is not one of the recorded statements.
    /// PostgreSQL counts it in whole milliseconds: a timeout between zero and one millisecond would mean no
    /// timeout at all, so rendering refuses it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.lock_timeout(Duration::from_secs(2));
    /// pgm.add_columns("posts", [column("lat", "double precision")]);
    /// assert_eq!(pgm.own_lock_timeout(), Some(Duration::from_secs(2)));
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "posts" ADD COLUMN "lat" double precision"#]);
    ///
    /// pgm.lock_timeout(Duration::from_micros(500));
    /// assert!(pgm.to_sql().unwrap_err().to_string().contains("is less than 1ms"));
    /// ```
    pub fn lock_timeout(&mut self, timeout: Duration) -> &mut Self {
        self.lock_timeout = Some(timeout);
        self
    }

    /// Whether [`no_transaction`](Self::no_transaction) was called explicitly.
    pub fn is_marked_no_transaction(&self) -> bool {
        self.no_transaction
    }

    /// Renders every operation, in order. The first invalid operation stops rendering with an error that
    /// names it.
    pub fn statements(&self) -> Result<Vec<Statement>, DslError> {
        if let Some(timeout) = self
            .lock_timeout
            .filter(|t| !t.is_zero() && t.as_millis() == 0)
        {
            return Err(DslError::LockTimeoutBelowOneMillisecond { timeout });
        }
        let mut out = Vec::new();
        for (i, op) in self.operations.iter().enumerate() {
            let mut action = match op {
                Operation::Db(db) => Some(Action::Data(db.run.clone())),
                Operation::Backfill(b) => Some(Action::Backfill(b.clone())),
                _ => None,
            };
            let mut rendered = op.render(i + 1)?;
            if action.is_some() {
                // One statement per action: its description lines become one comment block.
                rendered = vec![rendered.join("\n")];
            }
            for (index, sql) in rendered.into_iter().enumerate() {
                out.push(Statement {
                    position: i + 1,
                    op: op.name(),
                    sql,
                    action: action.take(),
                    new_transaction: op.starts_transaction(index),
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
            lock_timeout: self.lock_timeout,
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
    pub fn db(
        &mut self,
        label: impl Into<String>,
        run: impl Fn(&mut postgres::Transaction<'_>) -> DataResult + Send + Sync + 'static,
    ) -> &mut Self {
        self.operations
            .push(Operation::Db(Db::new(label.into(), run)));
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
