//! Columns.
//!
//! Column definitions: `column(name, sql_type)` with `.array()`, `.collate(..)`, `.not_null()`, `.primary_key()`,
//! `.unique()`, `.default(..)`, `.generated_always_as(expression)` (stored), `.identity(Identity::always()/by_default()`
//! with `.start/.increment/.minvalue/.maxvalue/.cache/.cycle()/.no_cycle()`, the words of `create_sequence`), `.check(..)`, `.references(table)` /
//! `.references_column(table, column)` followed by `.references_constraint_name(..)`, `.match_type(FkMatch::Full)`,
//! `.on_delete(..)`, `.on_update(..)`, `.deferrable(..)`, and `.comment(..)`. Several columns marked `.primary_key()`
//! in one `create_table` make one composite `PRIMARY KEY (a, b)` (in `add_columns` that is refused when rendered: add
//! the key with `add_constraint`).
//! In `add_columns` on a table that has rows, `.check(..)`, `.unique()` and `.references(..)` on a column with a default
//! check or index every existing row while reads and writes wait; `lint` flags them (`adding-field-with-check`,
//! `adding-field-with-unique`, `adding-field-with-foreign-key`) with the two-step alternative.
//!
//! Column and constraint operations on an existing table (`add_columns`, `drop_columns`, `rename_column`,
//! `alter_column`, `add_constraint`, `drop_constraint`, `rename_constraint`) take `.if_table_exists()`:
//! `ALTER TABLE IF EXISTS`, which skips a missing table with a notice (shown by the run). Such an operation has no
//! derived reverse.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::operation::Reverse;
use crate::reverse::{may_have_done_nothing, may_have_skipped};
use crate::value::Change;
use crate::value::Value;

mod definition;
mod render;
pub(crate) mod rust;
pub(crate) use render::{check_columns, column_comments, column_constraint_names, column_sql};

pub use definition::*;

impl MigrationBuilder {
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
    #[track_caller]
    pub fn add_columns<C: Into<Column>>(
        &mut self,
        table: impl Into<Name>,
        columns: impl IntoIterator<Item = C>,
    ) -> &mut AddColumns {
        self.record(AddColumns::new(
            table.into(),
            columns.into_iter().map(Into::into).collect(),
        ))
    }

    /// `ALTER TABLE table DROP COLUMN ...` for each column, in one statement. Irreversible.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_columns("posts", ["lat", "lng"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "posts" DROP COLUMN "lat", DROP COLUMN "lng""#]);
    /// ```
    #[track_caller]
    pub fn drop_columns<I: Into<Ident>>(
        &mut self,
        table: impl Into<Name>,
        columns: impl IntoIterator<Item = I>,
    ) -> &mut DropColumns {
        self.record(DropColumns::new(
            table.into(),
            columns.into_iter().map(Into::into).collect(),
        ))
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
    #[track_caller]
    pub fn rename_column(
        &mut self,
        table: impl Into<Name>,
        column: impl Into<Ident>,
        new_name: impl Into<Ident>,
    ) -> &mut RenameColumn {
        self.record(RenameColumn::new(
            table.into(),
            column.into(),
            new_name.into(),
        ))
    }

    /// `ALTER TABLE table ALTER COLUMN column ...`: chain the changes (type with collation and `USING`,
    /// default, `NOT NULL`, identity, generation expression, comment). Irreversible (the previous definition
    /// is not known), so a migration using it needs a `down`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_column("posts", "title").set_type("varchar(200)").set_not_null();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "posts" ALTER COLUMN "title" SET DATA TYPE varchar(200), ALTER COLUMN "title" SET NOT NULL"#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn alter_column(
        &mut self,
        table: impl Into<Name>,
        column: impl Into<Ident>,
    ) -> &mut AlterColumn {
        self.record(AlterColumn::new(table.into(), column.into()))
    }
}

/// `ALTER TABLE ... ADD COLUMN`, recorded by [`MigrationBuilder::add_columns`](crate::MigrationBuilder::add_columns).
#[derive(Debug, Clone, PartialEq)]
pub struct AddColumns {
    table: Name,
    columns: Vec<Column>,
    if_not_exists: bool,
    if_table_exists: bool,
}

impl AddColumns {
    /// The table and the columns this operation certainly adds: `None` with `if_not_exists` or
    /// `if_table_exists`, when it may have added nothing.
    pub(crate) fn certainly_adds(&self) -> Option<(&Name, impl Iterator<Item = &Ident>)> {
        (!self.if_not_exists && !self.if_table_exists)
            .then(|| (&self.table, self.columns.iter().map(|c| &c.name)))
    }

    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(table: Name, columns: Vec<Column>) -> Self {
        AddColumns {
            table,
            columns,
            if_not_exists: false,
            if_table_exists: false,
        }
    }
}

impl AddColumns {
    /// `ALTER TABLE IF EXISTS`: a missing table is skipped (with a server notice, which the run shows)
    /// instead of failing. The operation then has no automatic reverse: it may have done nothing.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_columns("posts", [column("body", "text")]).if_table_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE IF EXISTS "posts" ADD COLUMN "body" text"#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    pub fn if_table_exists(&mut self) -> &mut Self {
        self.if_table_exists = true;
        self
    }

    /// `ADD COLUMN IF NOT EXISTS`: a column that already exists is skipped (with a server notice, which the
    /// run shows). The operation then has no automatic reverse: dropping the columns could drop one this
    /// migration did not add.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_columns("posts", [column("body", "text")]).if_not_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "posts" ADD COLUMN IF NOT EXISTS "body" text"#]);
    /// assert!(pgm.reversed().unwrap_err().to_string().contains("may have existed before this migration"));
    /// ```
    pub fn if_not_exists(&mut self) -> &mut Self {
        self.if_not_exists = true;
        self
    }
}

/// `ALTER TABLE ... DROP COLUMN`, recorded by [`MigrationBuilder::drop_columns`](crate::MigrationBuilder::drop_columns).
#[derive(Debug, Clone, PartialEq)]
pub struct DropColumns {
    table: Name,
    columns: Vec<Ident>,
    if_exists: bool,
    cascade: bool,
    if_table_exists: bool,
}

impl DropColumns {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(table: Name, columns: Vec<Ident>) -> Self {
        DropColumns {
            table,
            columns,
            if_exists: false,
            cascade: false,
            if_table_exists: false,
        }
    }
}

impl DropColumns {
    /// `ALTER TABLE IF EXISTS`: a missing table is skipped (with a server notice) instead of failing.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_columns("posts", ["lat"]).if_table_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE IF EXISTS "posts" DROP COLUMN "lat""#]);
    /// ```
    pub fn if_table_exists(&mut self) -> &mut Self {
        self.if_table_exists = true;
        self
    }

    /// `DROP COLUMN IF EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_columns("posts", ["lat", "lng"]).if_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "posts" DROP COLUMN IF EXISTS "lat", DROP COLUMN IF EXISTS "lng""#]);
    /// ```
    pub fn if_exists(&mut self) -> &mut Self {
        self.if_exists = true;
        self
    }

    /// `CASCADE`: also drop objects that depend on the columns (indexes, views).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_columns("posts", ["lat"]).cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "posts" DROP COLUMN "lat" CASCADE"#]);
    /// ```
    pub fn cascade(&mut self) -> &mut Self {
        self.cascade = true;
        self
    }
}

/// `ALTER TABLE ... RENAME COLUMN`, recorded by [`MigrationBuilder::rename_column`](crate::MigrationBuilder::rename_column).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameColumn {
    table: Name,
    from: Ident,
    to: Ident,
    if_table_exists: bool,
}

impl RenameColumn {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(table: Name, from: Ident, to: Ident) -> Self {
        RenameColumn {
            table,
            from,
            to,
            if_table_exists: false,
        }
    }
}

impl RenameColumn {
    /// `ALTER TABLE IF EXISTS`: a missing table is skipped (with a server notice) instead of failing. The
    /// rename then has no automatic reverse: it may have done nothing.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_column("comments", "contents", "body").if_table_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE IF EXISTS "comments" RENAME COLUMN "contents" TO "body""#]);
    /// ```
    pub fn if_table_exists(&mut self) -> &mut Self {
        self.if_table_exists = true;
        self
    }
}

/// `ALTER TABLE ... ALTER COLUMN`, recorded by [`MigrationBuilder::alter_column`](crate::MigrationBuilder::alter_column).
/// All changes go into one statement, so the table lock is taken once.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterColumn {
    table: Name,
    column: Ident,
    set_type: Option<String>,
    using: Option<String>,
    /// `Some(None)` drops the default.
    default: Change<Value>,
    not_null: Option<bool>,
    /// `Some(None)` removes the comment.
    comment: Change<String>,
    /// `COLLATE` of a type change.
    collation: Option<Name>,
    identity: Option<IdentityChange>,
    drop_expression: bool,
    if_table_exists: bool,
}

impl AlterColumn {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(table: Name, column: Ident) -> Self {
        AlterColumn {
            table,
            column,
            set_type: None,
            using: None,
            default: Change::Keep,
            not_null: None,
            comment: Change::Keep,
            collation: None,
            identity: None,
            drop_expression: false,
            if_table_exists: false,
        }
    }
}

/// What [`AlterColumn`] does to the column's identity.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum IdentityChange {
    /// `ADD GENERATED ... AS IDENTITY (...)`
    Add(Identity),
    /// `SET GENERATED ...` and `SET` each given sequence option.
    Set(Identity),
    /// `DROP IDENTITY [IF EXISTS]`
    Drop { if_exists: bool },
}

impl AlterColumn {
    /// `SET DATA TYPE`. Most type changes rewrite the table under an `ACCESS EXCLUSIVE` lock.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_column("posts", "views").set_type("bigint");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "posts" ALTER COLUMN "views" SET DATA TYPE bigint"#]);
    /// ```
    pub fn set_type(&mut self, data_type: impl Into<String>) -> &mut Self {
        self.set_type = Some(data_type.into());
        self
    }

    /// `USING expression` for a type change.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_column("posts", "views").set_type("integer").using("views::integer");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "posts" ALTER COLUMN "views" SET DATA TYPE integer USING views::integer"#]);
    ///
    /// // Without a type change there is nothing to convert: refused, not ignored.
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_column("posts", "views").using("views::integer");
    /// assert!(pgm.to_sql().unwrap_err().to_string().contains("set_type"));
    /// ```
    pub fn using(&mut self, expression: impl Into<String>) -> &mut Self {
        self.using = Some(expression.into());
        self
    }

    /// `SET DEFAULT`: a literal or an [`expr`](crate::expr).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_column("posts", "created_at").set_default(expr("now()"));
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "posts" ALTER COLUMN "created_at" SET DEFAULT now()"#]);
    /// ```
    pub fn set_default(&mut self, value: impl Into<Value>) -> &mut Self {
        self.default = Change::Set(value.into());
        self
    }

    /// `DROP DEFAULT`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_column("posts", "created_at").drop_default();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "posts" ALTER COLUMN "created_at" DROP DEFAULT"#]);
    /// ```
    pub fn drop_default(&mut self) -> &mut Self {
        self.default = Change::Remove;
        self
    }

    /// `SET NOT NULL`. On a large table this scans it under an `ACCESS EXCLUSIVE` lock unless a validated
    /// `CHECK (col IS NOT NULL)` constraint already proves it.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_column("comments", "body").set_not_null();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "comments" ALTER COLUMN "body" SET NOT NULL"#]);
    /// ```
    pub fn set_not_null(&mut self) -> &mut Self {
        self.not_null = Some(true);
        self
    }

    /// `DROP NOT NULL`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_column("comments", "contents").drop_not_null();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "comments" ALTER COLUMN "contents" DROP NOT NULL"#]);
    /// ```
    pub fn drop_not_null(&mut self) -> &mut Self {
        self.not_null = Some(false);
        self
    }

    /// Sets (`Some`) or removes (`None`) the column comment.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_column("comments", "contents").comment(Some("deprecated: use body"));
    /// pgm.alter_column("comments", "body").comment(None::<String>);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"COMMENT ON COLUMN "comments"."contents" IS 'deprecated: use body'"#,
    ///     r#"COMMENT ON COLUMN "comments"."body" IS NULL"#,
    /// ]);
    /// ```
    pub fn comment(&mut self, text: Option<impl Into<String>>) -> &mut Self {
        self.comment = text.map(Into::into).into();
        self
    }

    /// `COLLATE collation` for the type change (PostgreSQL only changes a collation together with the type,
    /// which may be the same type). Refused without [`set_type`](Self::set_type).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_column("users", "handle").set_type("text").collate("C");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "users" ALTER COLUMN "handle" SET DATA TYPE text COLLATE "C""#]);
    ///
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_column("users", "handle").collate("C");
    /// assert!(pgm.to_sql().unwrap_err().to_string().contains("set_type"));
    /// ```
    pub fn collate(&mut self, collation: impl Into<Name>) -> &mut Self {
        self.collation = Some(collation.into());
        self
    }

    /// `ADD GENERATED ... AS IDENTITY (...)`: turns a `NOT NULL` column without a default into an identity
    /// column (chain [`set_not_null`](Self::set_not_null) if it is nullable; it is applied first).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_column("orders", "id").set_not_null().add_identity(Identity::by_default().start(5000));
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "orders" ALTER COLUMN "id" SET NOT NULL, ALTER COLUMN "id" ADD GENERATED BY DEFAULT AS IDENTITY (START WITH 5000)"#,
    /// ]);
    /// ```
    pub fn add_identity(&mut self, identity: Identity) -> &mut Self {
        self.identity = Some(IdentityChange::Add(identity));
        self
    }

    /// Changes an identity column: `SET GENERATED ALWAYS | BY DEFAULT`, then `SET` for each sequence option
    /// given (the others keep their current values).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_column("orders", "id").set_identity(Identity::always().increment(2).no_cycle());
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "orders" ALTER COLUMN "id" SET GENERATED ALWAYS SET INCREMENT BY 2 SET NO CYCLE"#,
    /// ]);
    /// ```
    pub fn set_identity(&mut self, identity: Identity) -> &mut Self {
        self.identity = Some(IdentityChange::Set(identity));
        self
    }

    /// `DROP IDENTITY`: the column keeps its values but no longer draws from a sequence, which is dropped.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_column("orders", "id").drop_identity();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "orders" ALTER COLUMN "id" DROP IDENTITY"#]);
    /// ```
    pub fn drop_identity(&mut self) -> &mut Self {
        self.identity = Some(IdentityChange::Drop { if_exists: false });
        self
    }

    /// `DROP IDENTITY IF EXISTS`: as [`drop_identity`](Self::drop_identity), without failing on a column that
    /// is not an identity.
    pub fn drop_identity_if_exists(&mut self) -> &mut Self {
        self.identity = Some(IdentityChange::Drop { if_exists: true });
        self
    }

    /// `DROP EXPRESSION` (PostgreSQL 13+): turns a generated column into an ordinary one that keeps its
    /// current values.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_column("items", "total").drop_expression();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "items" ALTER COLUMN "total" DROP EXPRESSION"#]);
    /// ```
    pub fn drop_expression(&mut self) -> &mut Self {
        self.drop_expression = true;
        self
    }

    /// `ALTER TABLE IF EXISTS`: a missing table is skipped (with a server notice) instead of failing. Not
    /// with [`comment`](Self::comment), whose `COMMENT ON COLUMN` has no such form.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_column("posts", "title").set_not_null().if_table_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE IF EXISTS "posts" ALTER COLUMN "title" SET NOT NULL"#]);
    /// ```
    pub fn if_table_exists(&mut self) -> &mut Self {
        self.if_table_exists = true;
        self
    }
}

impl Reverse for AddColumns {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        if self.if_not_exists {
            return Err(ctx.irreversible(&may_have_skipped("IF NOT EXISTS", "column")));
        }
        if self.if_table_exists {
            return Err(ctx.irreversible(&may_have_done_nothing()));
        }
        Ok(vec![DropColumns::new(
            self.table.clone(),
            self.columns.iter().map(|c| c.name.clone()).collect(),
        )
        .into()])
    }
}

impl Reverse for DropColumns {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped columns' definitions are not known"))
    }
}

impl Reverse for RenameColumn {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        if self.if_table_exists {
            return Err(ctx.irreversible(&may_have_done_nothing()));
        }
        Ok(vec![RenameColumn::new(
            self.table.clone(),
            self.to.clone(),
            self.from.clone(),
        )
        .into()])
    }
}

impl Reverse for AlterColumn {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the column's previous definition is not known"))
    }
}
