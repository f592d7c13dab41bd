//! The `pgm` builder that migration files receive.

use crate::column::Column;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::ops::*;
use crate::{render, reverse};

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
        $self.operations.push(Operation::$variant($value));
        match $self.operations.last_mut() {
            Some(Operation::$variant(op)) => op,
            _ => unreachable!("the operation was pushed on the line above"),
        }
    }};
}

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
            for sql in render::render(op, i + 1)? {
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
            operations.extend(reverse::reverse(op, i + 1)?);
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

    /// `CREATE TABLE name (columns)`. Reversed by `DROP TABLE`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table(("app", "posts"), [
    ///     column("id", "bigserial").primary_key(),
    ///     column("created_at", "timestamptz").not_null().default(expr("now()")),
    /// ]);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TABLE "app"."posts" ( "id" bigserial PRIMARY KEY, "created_at" timestamptz NOT NULL DEFAULT now() )"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP TABLE "app"."posts""#]);
    /// ```
    pub fn create_table<C: Into<Column>>(
        &mut self,
        name: impl Into<Name>,
        columns: impl IntoIterator<Item = C>,
    ) -> &mut CreateTable {
        record!(
            self,
            CreateTable,
            CreateTable {
                name: name.into(),
                columns: columns.into_iter().map(Into::into).collect(),
                if_not_exists: false,
                comment: None,
            }
        )
    }

    /// `DROP TABLE name`. Irreversible: the table's definition is not known to the builder.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_table("legacy_posts");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP TABLE "legacy_posts""#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    pub fn drop_table(&mut self, name: impl Into<Name>) -> &mut DropTable {
        record!(
            self,
            DropTable,
            DropTable {
                name: name.into(),
                if_exists: false,
                cascade: false
            }
        )
    }

    /// `ALTER TABLE name RENAME TO new_name` (the table stays in its schema). Reversed by the opposite rename.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_table(("app", "posts"), "articles");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "app"."posts" RENAME TO "articles""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"ALTER TABLE "app"."articles" RENAME TO "posts""#]);
    /// ```
    pub fn rename_table(&mut self, name: impl Into<Name>, new_name: impl Into<Ident>) -> &mut Self {
        self.operations.push(Operation::RenameTable(RenameTable {
            from: name.into(),
            to: new_name.into(),
        }));
        self
    }

    /// `ALTER TABLE table ADD COLUMN ...` for each column, in one statement. Reversed by dropping them.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_columns("posts", [column("location", "point"), column("place_name", "text")]);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "posts" ADD COLUMN "location" point, ADD COLUMN "place_name" text"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"ALTER TABLE "posts" DROP COLUMN "location", DROP COLUMN "place_name""#,
    /// ]);
    /// ```
    pub fn add_columns<C: Into<Column>>(
        &mut self,
        table: impl Into<Name>,
        columns: impl IntoIterator<Item = C>,
    ) -> &mut AddColumns {
        record!(
            self,
            AddColumns,
            AddColumns {
                table: table.into(),
                columns: columns.into_iter().map(Into::into).collect(),
                if_not_exists: false,
            }
        )
    }

    /// `ALTER TABLE table DROP COLUMN ...` for each column, in one statement. Irreversible.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_columns("posts", ["lat", "lng"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "posts" DROP COLUMN "lat", DROP COLUMN "lng""#]);
    /// ```
    pub fn drop_columns<I: Into<Ident>>(
        &mut self,
        table: impl Into<Name>,
        columns: impl IntoIterator<Item = I>,
    ) -> &mut DropColumns {
        record!(
            self,
            DropColumns,
            DropColumns {
                table: table.into(),
                columns: columns.into_iter().map(Into::into).collect(),
                if_exists: false,
                cascade: false,
            }
        )
    }

    /// `ALTER TABLE table RENAME COLUMN from TO to`. Reversed by the opposite rename. On a live table prefer
    /// expand/contract: add the new column, dual-write, backfill, switch reads, then drop the old one.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_column("comments", "contents", "body");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "comments" RENAME COLUMN "contents" TO "body""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"ALTER TABLE "comments" RENAME COLUMN "body" TO "contents""#]);
    /// ```
    pub fn rename_column(
        &mut self,
        table: impl Into<Name>,
        column: impl Into<Ident>,
        new_name: impl Into<Ident>,
    ) -> &mut Self {
        self.operations.push(Operation::RenameColumn(RenameColumn {
            table: table.into(),
            from: column.into(),
            to: new_name.into(),
        }));
        self
    }

    /// `ALTER TABLE table ALTER COLUMN column ...`: chain the changes. Irreversible (the previous definition is
    /// not known), so a migration using it needs a `down`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_column("posts", "title").set_type("varchar(200)").set_not_null();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "posts" ALTER COLUMN "title" SET DATA TYPE varchar(200), ALTER COLUMN "title" SET NOT NULL"#,
    /// ]);
    /// ```
    pub fn alter_column(
        &mut self,
        table: impl Into<Name>,
        column: impl Into<Ident>,
    ) -> &mut AlterColumn {
        record!(
            self,
            AlterColumn,
            AlterColumn {
                table: table.into(),
                column: column.into(),
                set_type: None,
                using: None,
                default: None,
                not_null: None,
                comment: None,
            }
        )
    }

    /// `CREATE INDEX ... ON table (columns)`. Reversed by dropping the index (with the same name, schema and
    /// `CONCURRENTLY`).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("comments", ["post_id", "created_at"]).concurrently();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE INDEX CONCURRENTLY "comments_post_id_created_at_index" ON "comments" ("post_id", "created_at")"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"DROP INDEX CONCURRENTLY "comments_post_id_created_at_index""#,
    /// ]);
    /// ```
    pub fn create_index<C: Into<IndexColumn>>(
        &mut self,
        table: impl Into<Name>,
        columns: impl IntoIterator<Item = C>,
    ) -> &mut CreateIndex {
        record!(
            self,
            CreateIndex,
            CreateIndex {
                table: table.into(),
                columns: columns.into_iter().map(Into::into).collect(),
                name: None,
                unique: false,
                concurrently: false,
                if_not_exists: false,
                method: None,
                where_clause: None,
                include: Vec::new(),
            }
        )
    }

    /// `DROP INDEX`, naming the index as [`create_index`](Self::create_index) derived it from the table and
    /// columns (or by [`DropIndex::name`]). Irreversible.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_index("comments", ["post_id", "created_at"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP INDEX "comments_post_id_created_at_index""#]);
    /// ```
    pub fn drop_index<C: Into<IndexColumn>>(
        &mut self,
        table: impl Into<Name>,
        columns: impl IntoIterator<Item = C>,
    ) -> &mut DropIndex {
        record!(
            self,
            DropIndex,
            DropIndex {
                table: table.into(),
                columns: columns.into_iter().map(Into::into).collect(),
                name: None,
                unique: false,
                concurrently: false,
                if_exists: false,
                cascade: false,
            }
        )
    }

    /// `ALTER TABLE table ADD CONSTRAINT name ...`. The name is required so the reverse (`DROP CONSTRAINT`)
    /// and later migrations can refer to it exactly.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint("posts", "posts_lat_check", Constraint::check("lat BETWEEN -90 AND 90"));
    /// pgm.add_constraint("posts", "posts_pkey", Constraint::primary_key(["id"]));
    /// pgm.add_constraint("comments", "comments_post_fk",
    ///     Constraint::foreign_key(["post_id"], "posts", ["id"]).on_delete(FkAction::Cascade));
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "posts" ADD CONSTRAINT "posts_lat_check" CHECK (lat BETWEEN -90 AND 90)"#,
    ///     r#"ALTER TABLE "posts" ADD CONSTRAINT "posts_pkey" PRIMARY KEY ("id")"#,
    ///     r#"ALTER TABLE "comments" ADD CONSTRAINT "comments_post_fk" FOREIGN KEY ("post_id") REFERENCES "posts" ("id") ON DELETE CASCADE"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap()[0], r#"ALTER TABLE "comments" DROP CONSTRAINT "comments_post_fk""#);
    /// ```
    pub fn add_constraint(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<Ident>,
        constraint: Constraint,
    ) -> &mut AddConstraint {
        record!(
            self,
            AddConstraint,
            AddConstraint {
                table: table.into(),
                name: name.into(),
                constraint,
                not_valid: false,
                deferrable: None
            }
        )
    }

    /// `ALTER TABLE table DROP CONSTRAINT name`. Irreversible.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_constraint("posts", "posts_lat_check");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "posts" DROP CONSTRAINT "posts_lat_check""#]);
    /// ```
    pub fn drop_constraint(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<Ident>,
    ) -> &mut DropConstraint {
        record!(
            self,
            DropConstraint,
            DropConstraint {
                table: table.into(),
                name: name.into(),
                if_exists: false,
                cascade: false
            }
        )
    }

    /// `ALTER TABLE table VALIDATE CONSTRAINT name`: checks the existing rows of a constraint added
    /// `NOT VALID`, taking only a `SHARE UPDATE EXCLUSIVE` lock, so reads and writes continue. Its reverse is
    /// nothing.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.validate_constraint("comments", "comments_post_id_fkey");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "comments" VALIDATE CONSTRAINT "comments_post_id_fkey""#]);
    /// assert!(pgm.reversed().unwrap().to_sql().unwrap().is_empty());
    /// ```
    pub fn validate_constraint(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<Ident>,
    ) -> &mut Self {
        self.operations
            .push(Operation::ValidateConstraint(ValidateConstraint {
                table: table.into(),
                name: name.into(),
            }));
        self
    }
}
