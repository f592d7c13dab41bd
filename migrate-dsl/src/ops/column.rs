use crate::column::Column;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::reverse::Reverse;
use crate::value::Value;

/// `ALTER TABLE ... ADD COLUMN`, recorded by [`MigrationBuilder::add_columns`](crate::MigrationBuilder::add_columns).
#[derive(Debug, Clone, PartialEq)]
pub struct AddColumns {
    pub(crate) table: Name,
    pub(crate) columns: Vec<Column>,
    pub(crate) if_not_exists: bool,
}

impl AddColumns {
    /// `ADD COLUMN IF NOT EXISTS`, so a re-run after a partial failure is harmless.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_columns("posts", [column("body", "text")]).if_not_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "posts" ADD COLUMN IF NOT EXISTS "body" text"#]);
    /// ```
    pub fn if_not_exists(&mut self) -> &mut Self {
        self.if_not_exists = true;
        self
    }
}

/// `ALTER TABLE ... DROP COLUMN`, recorded by [`MigrationBuilder::drop_columns`](crate::MigrationBuilder::drop_columns).
#[derive(Debug, Clone, PartialEq)]
pub struct DropColumns {
    pub(crate) table: Name,
    pub(crate) columns: Vec<Ident>,
    pub(crate) if_exists: bool,
    pub(crate) cascade: bool,
}

impl DropColumns {
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
    pub(crate) table: Name,
    pub(crate) from: Ident,
    pub(crate) to: Ident,
}

/// `ALTER TABLE ... ALTER COLUMN`, recorded by [`MigrationBuilder::alter_column`](crate::MigrationBuilder::alter_column).
/// All changes go into one statement, so the table lock is taken once.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterColumn {
    pub(crate) table: Name,
    pub(crate) column: Ident,
    pub(crate) set_type: Option<String>,
    pub(crate) using: Option<String>,
    /// `Some(None)` drops the default.
    pub(crate) default: Option<Option<Value>>,
    pub(crate) not_null: Option<bool>,
    /// `Some(None)` removes the comment.
    pub(crate) comment: Option<Option<String>>,
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
        self.default = Some(Some(value.into()));
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
        self.default = Some(None);
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
        self.comment = Some(text.map(Into::into));
        self
    }
}

impl Reverse for AddColumns {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![DropColumns {
            table: self.table.clone(),
            columns: self.columns.iter().map(|c| c.name.clone()).collect(),
            if_exists: false,
            cascade: false,
        }
        .into()])
    }
}

impl Reverse for DropColumns {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped columns' definitions are not known"))
    }
}

impl Reverse for RenameColumn {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RenameColumn {
            table: self.table.clone(),
            from: self.to.clone(),
            to: self.from.clone(),
        }
        .into()])
    }
}

impl Reverse for AlterColumn {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the column's previous definition is not known"))
    }
}
