//! Column definitions, shared by `create_table` and `add_columns`.

use crate::name::{Ident, Name};
use crate::value::Value;

/// What a foreign key does when the referenced row is deleted or updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FkAction {
    NoAction,
    Restrict,
    Cascade,
    SetNull,
    SetDefault,
}

impl FkAction {
    pub(crate) fn as_sql(self) -> &'static str {
        match self {
            FkAction::NoAction => "NO ACTION",
            FkAction::Restrict => "RESTRICT",
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
        }
    }
}

/// The target of a foreign key: a table and, optionally, its columns (default: its primary key).
#[derive(Debug, Clone, PartialEq)]
pub struct References {
    pub(crate) table: Name,
    pub(crate) columns: Vec<Ident>,
    pub(crate) on_delete: Option<FkAction>,
    pub(crate) on_update: Option<FkAction>,
}

/// A column definition. Build it with [`column()`] and chain options.
///
/// Unlike the operation builders (`&mut self`), column options take and return the definition by value:
/// definitions are small values written inline in array literals (`[column(..), column(..).not_null()]`),
/// where every element must have the same type.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub(crate) name: Ident,
    pub(crate) data_type: String,
    pub(crate) not_null: bool,
    pub(crate) primary_key: bool,
    pub(crate) unique: bool,
    pub(crate) default: Option<Value>,
    pub(crate) check: Option<String>,
    pub(crate) references: Option<References>,
    pub(crate) comment: Option<String>,
}

/// Starts a column definition: a name and a SQL type, written as PostgreSQL spells it (`text`,
/// `varchar(255)`, `timestamptz`, `point`, `integer[]`). The type is SQL, not an identifier, so it is not quoted.
///
/// ```
/// use migrate_dsl::prelude::*;
/// let mut pgm = MigrationBuilder::new();
/// pgm.add_columns("posts", [column("rating", "smallint").not_null().default(0).check("rating BETWEEN 0 AND 5")]);
/// assert_eq!(pgm.to_sql().unwrap(), [
///     r#"ALTER TABLE "posts" ADD COLUMN "rating" smallint NOT NULL DEFAULT 0 CHECK (rating BETWEEN 0 AND 5)"#,
/// ]);
/// ```
pub fn column(name: impl Into<Ident>, data_type: impl Into<String>) -> Column {
    Column {
        name: name.into(),
        data_type: data_type.into(),
        not_null: false,
        primary_key: false,
        unique: false,
        default: None,
        check: None,
        references: None,
        comment: None,
    }
}

impl Column {
    /// `NOT NULL`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("tags", [column("label", "text").not_null()]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE TABLE "tags" ( "label" text NOT NULL )"#]);
    /// ```
    pub fn not_null(mut self) -> Self {
        self.not_null = true;
        self
    }

    /// `PRIMARY KEY`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("tags", [column("id", "bigserial").primary_key()]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE TABLE "tags" ( "id" bigserial PRIMARY KEY )"#]);
    /// ```
    pub fn primary_key(mut self) -> Self {
        self.primary_key = true;
        self
    }

    /// `UNIQUE`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("users", [column("email", "text").unique()]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE TABLE "users" ( "email" text UNIQUE )"#]);
    /// ```
    pub fn unique(mut self) -> Self {
        self.unique = true;
        self
    }

    /// `DEFAULT`: a literal (`"draft"`, `0`, `false`) or an [`expr`](crate::expr) such as `expr("now()")`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("posts", [column("status", "text").default("it's draft")]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE TABLE "posts" ( "status" text DEFAULT 'it''s draft' )"#]);
    /// ```
    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(value.into());
        self
    }

    /// A column `CHECK (expression)`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("posts", [column("lat", "double precision").check("lat BETWEEN -90 AND 90")]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE TABLE "posts" ( "lat" double precision CHECK (lat BETWEEN -90 AND 90) )"#]);
    /// ```
    pub fn check(mut self, expression: impl Into<String>) -> Self {
        self.check = Some(expression.into());
        self
    }

    /// `REFERENCES table`: a foreign key to the table's primary key.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("comments", [column("post_id", "bigint").not_null().references("posts").on_delete(FkAction::Cascade)]);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TABLE "comments" ( "post_id" bigint NOT NULL REFERENCES "posts" ON DELETE CASCADE )"#,
    /// ]);
    /// ```
    pub fn references(mut self, table: impl Into<Name>) -> Self {
        self.references = Some(References {
            table: table.into(),
            columns: Vec::new(),
            on_delete: None,
            on_update: None,
        });
        self
    }

    /// `REFERENCES table (column)`: a foreign key to a named column.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("comments", [column("post_uid", "uuid").references_column(("app", "posts"), "uid")]);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TABLE "comments" ( "post_uid" uuid REFERENCES "app"."posts" ("uid") )"#,
    /// ]);
    /// ```
    pub fn references_column(mut self, table: impl Into<Name>, column: impl Into<Ident>) -> Self {
        self.references = Some(References {
            table: table.into(),
            columns: vec![column.into()],
            on_delete: None,
            on_update: None,
        });
        self
    }

    /// `ON DELETE action` for the column's foreign key (ignored without [`references`](Self::references)).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_columns("posts", [column("author_id", "bigint").references("users").on_delete(FkAction::SetNull)]);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "posts" ADD COLUMN "author_id" bigint REFERENCES "users" ON DELETE SET NULL"#,
    /// ]);
    /// ```
    pub fn on_delete(mut self, action: FkAction) -> Self {
        if let Some(r) = &mut self.references {
            r.on_delete = Some(action);
        }
        self
    }

    /// `ON UPDATE action` for the column's foreign key (ignored without [`references`](Self::references)).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_columns("posts", [column("author_id", "bigint").references("users").on_update(FkAction::Cascade)]);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "posts" ADD COLUMN "author_id" bigint REFERENCES "users" ON UPDATE CASCADE"#,
    /// ]);
    /// ```
    pub fn on_update(mut self, action: FkAction) -> Self {
        if let Some(r) = &mut self.references {
            r.on_update = Some(action);
        }
        self
    }

    /// A column comment, written as `COMMENT ON COLUMN` after the table statement.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_columns("posts", [column("lat", "double precision").comment("WGS84 latitude")]);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "posts" ADD COLUMN "lat" double precision"#,
    ///     r#"COMMENT ON COLUMN "posts"."lat" IS 'WGS84 latitude'"#,
    /// ]);
    /// ```
    pub fn comment(mut self, text: impl Into<String>) -> Self {
        self.comment = Some(text.into());
        self
    }
}
