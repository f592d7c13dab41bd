//! Tables.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::operation::Reverse;
use crate::ops::Column;
use crate::ops::{Constraint, ConstraintName, IndexColumn};
use crate::reverse::may_have_skipped;
use crate::safeguard::Object;

mod partition;
mod render;
pub(crate) mod rust;

pub use partition::*;

impl MigrationBuilder {
    /// `CREATE TABLE name (columns)`. Reversed by `DROP TABLE`, with the drop options recorded here
    /// ([`CreateTable::cascade`], and `IF EXISTS` after [`CreateTable::if_not_exists`]). Chain table options:
    /// [`temporary`](CreateTable::temporary), [`unlogged`](CreateTable::unlogged),
    /// [`inherits`](CreateTable::inherits), [`like`](CreateTable::like),
    /// [`partition_by`](CreateTable::partition_by), [`constraint`](CreateTable::constraint),
    /// [`comment`](CreateTable::comment).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table(("app", "posts"), [
    ///     column("id", "bigserial").primary_key(),
    ///     column("created_at", "timestamptz").not_null().default(expr("now()")),
    /// ]);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TABLE "app"."posts" (
    ///     "id" bigserial PRIMARY KEY,
    ///     "created_at" timestamptz NOT NULL DEFAULT now()
    /// )"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP TABLE "app"."posts""#]);
    /// ```
    #[track_caller]
    pub fn create_table<C: Into<Column>>(
        &mut self,
        name: impl Into<Name>,
        columns: impl IntoIterator<Item = C>,
    ) -> &mut CreateTable {
        self.record(CreateTable::new(
            name.into(),
            columns.into_iter().map(Into::into).collect(),
        ))
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
    #[track_caller]
    pub fn drop_table(&mut self, name: impl Into<Name>) -> &mut DropTable {
        self.record(DropTable::new(name.into()))
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
    #[track_caller]
    pub fn rename_table(
        &mut self,
        name: impl Into<Name>,
        new_name: impl Into<Ident>,
    ) -> &mut RenameTable {
        self.record(RenameTable::new(name.into(), new_name.into()))
    }

    /// `ALTER TABLE name ...` for options of the table itself: chain
    /// [`row_level_security`](AlterTable::row_level_security), [`set_logged`](AlterTable::set_logged) or
    /// [`set_unlogged`](AlterTable::set_unlogged). Irreversible: the previous settings are not known (enabling
    /// row-level security on a table that already had it is a no-op, so disabling it would not undo that).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_table(("app", "documents")).row_level_security(RowLevelSecurity::Enable).set_logged();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "app"."documents" ENABLE ROW LEVEL SECURITY, SET LOGGED"#]);
    /// assert!(pgm.reversed().unwrap_err().to_string().contains("previous row-level security"));
    /// ```
    #[track_caller]
    pub fn alter_table(&mut self, name: impl Into<Name>) -> &mut AlterTable {
        self.record(AlterTable::new(name.into()))
    }
}

/// What `LIKE source` copies besides column names, types and `NOT NULL`: `INCLUDING` / `EXCLUDING` options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LikeOption {
    Comments,
    /// PostgreSQL 14+.
    Compression,
    Constraints,
    Defaults,
    Generated,
    Identity,
    Indexes,
    Statistics,
    Storage,
    All,
}

impl LikeOption {
    pub(crate) fn as_sql(self) -> &'static str {
        match self {
            LikeOption::Comments => "COMMENTS",
            LikeOption::Compression => "COMPRESSION",
            LikeOption::Constraints => "CONSTRAINTS",
            LikeOption::Defaults => "DEFAULTS",
            LikeOption::Generated => "GENERATED",
            LikeOption::Identity => "IDENTITY",
            LikeOption::Indexes => "INDEXES",
            LikeOption::Statistics => "STATISTICS",
            LikeOption::Storage => "STORAGE",
            LikeOption::All => "ALL",
        }
    }
}

/// A `LIKE source [INCLUDING ...] [EXCLUDING ...]` clause of [`CreateTable::like`]. A table name converts
/// into a plain `LIKE source`.
///
/// ```
/// use migrate_dsl::prelude::*;
/// let mut pgm = MigrationBuilder::new();
/// pgm.create_table("posts_archive", [column("archived_at", "timestamptz")])
///     .like(Like::table("posts").including(LikeOption::All).excluding(LikeOption::Indexes));
/// assert_eq!(pgm.to_sql().unwrap(), [
///     r#"CREATE TABLE "posts_archive" (
///     LIKE "posts" INCLUDING ALL EXCLUDING INDEXES,
///     "archived_at" timestamptz
/// )"#,
/// ]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Like {
    table: Name,
    /// In order: `(true, option)` for `INCLUDING option`, `(false, option)` for `EXCLUDING option`.
    options: Vec<(bool, LikeOption)>,
}

impl Like {
    /// `LIKE table`: copies column names, types and `NOT NULL` constraints.
    pub fn table(table: impl Into<Name>) -> Self {
        Like {
            table: table.into(),
            options: Vec::new(),
        }
    }

    /// `INCLUDING option`; options apply in order, so `INCLUDING ALL EXCLUDING INDEXES` is all but indexes.
    pub fn including(mut self, option: LikeOption) -> Self {
        self.options.push((true, option));
        self
    }

    /// `EXCLUDING option`.
    pub fn excluding(mut self, option: LikeOption) -> Self {
        self.options.push((false, option));
        self
    }
}

impl<T: Into<Name>> From<T> for Like {
    fn from(table: T) -> Self {
        Like::table(table)
    }
}

/// How [`CreateTable::partition_by`] splits rows among partitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PartitionStrategy {
    /// `RANGE`: each partition holds a range of keys (`FOR VALUES FROM .. TO ..`).
    Range,
    /// `LIST`: each partition holds listed key values (`FOR VALUES IN (..)`).
    List,
    /// `HASH`: rows spread by key hash (`FOR VALUES WITH (MODULUS .., REMAINDER ..)`).
    Hash,
}

impl PartitionStrategy {
    pub(crate) fn as_sql(self) -> &'static str {
        match self {
            PartitionStrategy::Range => "RANGE",
            PartitionStrategy::List => "LIST",
            PartitionStrategy::Hash => "HASH",
        }
    }
}

/// `PARTITION BY strategy (keys)` of a partitioned table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PartitionBy {
    strategy: PartitionStrategy,
    keys: Vec<IndexColumn>,
}

/// `CREATE TABLE`, recorded by [`MigrationBuilder::create_table`](crate::MigrationBuilder::create_table).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTable {
    name: Name,
    columns: Vec<Column>,
    if_not_exists: bool,
    comment: Option<String>,
    temporary: bool,
    unlogged: bool,
    inherits: Vec<Name>,
    like: Vec<Like>,
    partition_by: Option<PartitionBy>,
    /// Table constraints, after the columns; `None` names are derived as PostgreSQL would.
    constraints: Vec<(Option<Ident>, Constraint)>,
    /// `CASCADE` for the reverse `DROP TABLE`.
    cascade: bool,
}

impl CreateTable {
    /// The table this operation certainly creates: `None` with `if_not_exists`, when it may have existed.
    pub(crate) fn certainly_creates(&self) -> Option<&Name> {
        (!self.if_not_exists).then_some(&self.name)
    }

    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name, columns: Vec<Column>) -> Self {
        CreateTable {
            name,
            columns,
            if_not_exists: false,
            comment: None,
            temporary: false,
            unlogged: false,
            inherits: Vec::new(),
            like: Vec::new(),
            partition_by: None,
            constraints: Vec::new(),
            cascade: false,
        }
    }
}

impl CreateTable {
    /// `CREATE TABLE IF NOT EXISTS`: an existing table is skipped (with a server notice, which the run
    /// shows), whatever its columns. There is then no automatic reverse: dropping the table could drop one this
    /// migration did not create, with its data.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("tags", [column("id", "bigserial").primary_key()]).if_not_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE TABLE IF NOT EXISTS "tags" (
    ///     "id" bigserial PRIMARY KEY
    /// )"#]);
    /// assert!(pgm.reversed().unwrap_err().to_string().contains("may have existed before this migration"));
    /// ```
    pub fn if_not_exists(&mut self) -> &mut Self {
        self.if_not_exists = true;
        self
    }

    /// A table comment, written as `COMMENT ON TABLE` after the `CREATE TABLE`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("tags", [column("label", "text")]).comment("Free-form labels");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TABLE "tags" (
    ///     "label" text
    /// )"#,
    ///     r#"COMMENT ON TABLE "tags" IS 'Free-form labels'"#,
    /// ]);
    /// ```
    pub fn comment(&mut self, text: impl Into<String>) -> &mut Self {
        self.comment = Some(text.into());
        self
    }

    /// `CASCADE` for the reverse: the derived `down` becomes `DROP TABLE ... CASCADE`, which also drops
    /// objects that came to depend on the table (views, other tables' foreign keys). The `CREATE TABLE` itself
    /// is unchanged. Columns never become drop options, even a column named `cascade`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("tags", [column("cascade", "boolean")]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP TABLE "tags""#]);
    ///
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("tags", [column("label", "text")]).cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE TABLE "tags" (
    ///     "label" text
    /// )"#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP TABLE "tags" CASCADE"#]);
    /// ```
    pub fn cascade(&mut self) -> &mut Self {
        self.cascade = true;
        self
    }

    /// `CREATE TEMPORARY TABLE`: the table lives in the session's temporary schema and disappears when the
    /// session ends, so it cannot be schema-qualified. Its reverse is `DROP TABLE IF EXISTS pg_temp.name`:
    /// qualified with `pg_temp`, so a `down` run in a later session can never drop a permanent table of the
    /// same name, and `IF EXISTS` because the temporary table is normally gone by then.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("import_rows", [column("line", "text")]).temporary();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE TEMPORARY TABLE "import_rows" (
    ///     "line" text
    /// )"#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP TABLE IF EXISTS "pg_temp"."import_rows""#]);
    /// ```
    pub fn temporary(&mut self) -> &mut Self {
        self.temporary = true;
        self
    }

    /// `CREATE UNLOGGED TABLE`: not written to the write-ahead log, so faster to write, but truncated after a
    /// crash and not replicated. Cannot be combined with [`temporary`](Self::temporary).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("page_views", [column("path", "text")]).unlogged();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE UNLOGGED TABLE "page_views" (
    ///     "path" text
    /// )"#]);
    ///
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("page_views", [column("path", "text")]).unlogged().temporary();
    /// assert!(pgm.to_sql().unwrap_err().to_string().contains("TEMPORARY and UNLOGGED"));
    /// ```
    pub fn unlogged(&mut self) -> &mut Self {
        self.unlogged = true;
        self
    }

    /// `INHERITS (parents)`: the table gets the parents' columns and `CHECK` constraints, and its rows show
    /// in queries on the parents. The column list may then be empty.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("cities_capital", [column("country", "text")]).inherits(["cities"]);
    /// pgm.create_table(("app", "towns"), Vec::<Column>::new()).inherits([("app", "places")]);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TABLE "cities_capital" (
    ///     "country" text
    /// ) INHERITS ("cities")"#,
    ///     r#"CREATE TABLE "app"."towns" () INHERITS ("app"."places")"#,
    /// ]);
    /// ```
    pub fn inherits<N: Into<Name>>(&mut self, parents: impl IntoIterator<Item = N>) -> &mut Self {
        self.inherits.extend(parents.into_iter().map(Into::into));
        self
    }

    /// `LIKE source [INCLUDING ...] [EXCLUDING ...]`: copies another table's column definitions (see
    /// [`Like`]). It comes first in the table, so the copied columns come before the table's own; call it
    /// again to copy several tables.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("posts_draft", Vec::<Column>::new()).like(Like::table("posts").including(LikeOption::Defaults));
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TABLE "posts_draft" (
    ///     LIKE "posts" INCLUDING DEFAULTS
    /// )"#,
    /// ]);
    /// ```
    pub fn like(&mut self, source: impl Into<Like>) -> &mut Self {
        self.like.push(source.into());
        self
    }

    /// `PARTITION BY RANGE | LIST | HASH (keys)`: a partitioned table, whose rows live in partitions created
    /// later with `PARTITION OF`. Keys are columns or [`IndexColumn::expression`]s, optionally with a
    /// collation and an operator class (no sort order). A primary key or unique constraint must include the
    /// key columns.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("measurements", [column("taken_at", "timestamptz").not_null(), column("value", "double precision")])
    ///     .partition_by(PartitionStrategy::Range, ["taken_at"]);
    /// pgm.create_table("customers", [column("region", "text")])
    ///     .partition_by(PartitionStrategy::List, [IndexColumn::expression("lower(region)").collate("C")]);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TABLE "measurements" (
    ///     "taken_at" timestamptz NOT NULL,
    ///     "value" double precision
    /// ) PARTITION BY RANGE ("taken_at")"#,
    ///     r#"CREATE TABLE "customers" (
    ///     "region" text
    /// ) PARTITION BY LIST ((lower(region)) COLLATE "C")"#,
    /// ]);
    /// ```
    pub fn partition_by<C: Into<IndexColumn>>(
        &mut self,
        strategy: PartitionStrategy,
        keys: impl IntoIterator<Item = C>,
    ) -> &mut Self {
        self.partition_by = Some(PartitionBy {
            strategy,
            keys: keys.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// A table constraint (`CONSTRAINT name ...` after the columns): any [`Constraint`] except the
    /// `USING INDEX` forms, with its deferrability and comment. Constraints spanning several columns
    /// (composite keys, exclusion constraints) are written this way. With `None` as the name, it is derived
    /// as PostgreSQL would derive it (see [`ConstraintName`]) and written out.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("order_lines", [column("order_id", "bigint"), column("line", "int"), column("qty", "int")])
    ///     .constraint("order_lines_pkey", Constraint::primary_key(["order_id", "line"]))
    ///     .constraint("order_lines_qty_check", Constraint::check("qty > 0").comment("no empty lines"));
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE TABLE "order_lines" (
    ///     "order_id" bigint,
    ///     "line" int,
    ///     "qty" int,
    ///     CONSTRAINT "order_lines_pkey" PRIMARY KEY ("order_id", "line"),
    ///     CONSTRAINT "order_lines_qty_check" CHECK (qty > 0)
    /// )"#,
    ///     r#"COMMENT ON CONSTRAINT "order_lines_qty_check" ON "order_lines" IS 'no empty lines'"#,
    /// ]);
    ///
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("order_lines", [column("order_id", "bigint").references("orders"), column("qty", "int").check("qty > 0")])
    ///     .constraint(None, Constraint::unique(["order_id", "qty"]))
    ///     .constraint(None, Constraint::foreign_key(["order_id"], "orders", ["id"]))
    ///     .constraint(None, Constraint::checks(["qty < 100", "order_id > 0 AND qty > 0"]));
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE TABLE "order_lines" (
    ///     "order_id" bigint REFERENCES "orders",
    ///     "qty" int CHECK (qty > 0),
    ///     CONSTRAINT "order_lines_order_id_qty_key" UNIQUE ("order_id", "qty"),
    ///     CONSTRAINT "order_lines_order_id_fkey1" FOREIGN KEY ("order_id") REFERENCES "orders" ("id"),
    ///     CONSTRAINT "order_lines_qty_check1" CHECK (qty < 100),
    ///     CONSTRAINT "order_lines_check" CHECK (order_id > 0 AND qty > 0)
    /// )"#]);
    /// ```
    pub fn constraint(
        &mut self,
        name: impl Into<ConstraintName>,
        constraint: Constraint,
    ) -> &mut Self {
        self.constraints
            .push((name.into().into_inner(), constraint));
        self
    }
}

/// `DROP TABLE`, recorded by [`MigrationBuilder::drop_table`](crate::MigrationBuilder::drop_table).
#[derive(Debug, Clone, PartialEq)]
pub struct DropTable {
    name: Name,
    if_exists: bool,
    cascade: bool,
}

impl DropTable {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name) -> Self {
        DropTable {
            name,
            if_exists: false,
            cascade: false,
        }
    }
}

impl DropTable {
    /// `DROP TABLE IF EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_table("tags").if_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP TABLE IF EXISTS "tags""#]);
    /// ```
    pub fn if_exists(&mut self) -> &mut Self {
        self.if_exists = true;
        self
    }

    /// `CASCADE`: also drop dependent objects (views, foreign keys).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_table("tags").cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP TABLE "tags" CASCADE"#]);
    /// ```
    pub fn cascade(&mut self) -> &mut Self {
        self.cascade = true;
        self
    }
}

/// `ALTER TABLE ... RENAME TO`, recorded by [`MigrationBuilder::rename_table`](crate::MigrationBuilder::rename_table).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameTable {
    from: Name,
    to: Ident,
}

impl RenameTable {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(from: Name, to: Ident) -> Self {
        RenameTable { from, to }
    }
}

impl Reverse for CreateTable {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        if self.if_not_exists {
            return Err(ctx.irreversible(&may_have_skipped("IF NOT EXISTS", "table")));
        }
        // Only create-time drop options reach the drop: never the columns (node-pg-migrate passed the column
        // map as drop options, so a column named `cascade` dropped with CASCADE).
        let drop = if self.temporary {
            DropTable {
                if_exists: true,
                cascade: self.cascade,
                ..DropTable::new(Name::qualified("pg_temp", self.name.name.clone()))
            }
        } else {
            DropTable {
                cascade: self.cascade,
                ..DropTable::new(self.name.clone())
            }
        };
        Ok(vec![drop.into()])
    }
}

impl Reverse for DropTable {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped table's definition is not known"))
    }
}

impl Reverse for RenameTable {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RenameTable::new(
            self.from.sibling(self.to.clone()),
            self.from.name.clone(),
        )
        .into()])
    }
}

/// Row-level security settings of [`AlterTable::row_level_security`]. Enabling and forcing are separate
/// switches: `Force` makes the policies apply to the table's owner too, and has effect only while row-level
/// security is enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RowLevelSecurity {
    /// `ENABLE ROW LEVEL SECURITY`: policies apply (with none, no rows are visible to non-owners).
    Enable,
    /// `DISABLE ROW LEVEL SECURITY`: policies are kept but not applied.
    Disable,
    /// `FORCE ROW LEVEL SECURITY`: policies apply to the table owner as well.
    Force,
    /// `NO FORCE ROW LEVEL SECURITY`: the owner bypasses policies again.
    NoForce,
}

impl RowLevelSecurity {
    pub(crate) fn as_sql(self) -> &'static str {
        match self {
            RowLevelSecurity::Enable => "ENABLE ROW LEVEL SECURITY",
            RowLevelSecurity::Disable => "DISABLE ROW LEVEL SECURITY",
            RowLevelSecurity::Force => "FORCE ROW LEVEL SECURITY",
            RowLevelSecurity::NoForce => "NO FORCE ROW LEVEL SECURITY",
        }
    }
}

/// `ALTER TABLE` options of the table itself, recorded by
/// [`MigrationBuilder::alter_table`](crate::MigrationBuilder::alter_table). All changes go into one statement.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterTable {
    name: Name,
    /// `ENABLE` / `DISABLE`.
    rls_enabled: Option<RowLevelSecurity>,
    /// `FORCE` / `NO FORCE`.
    rls_forced: Option<RowLevelSecurity>,
    /// `Some(true)` for `SET LOGGED`, `Some(false)` for `SET UNLOGGED`.
    logged: Option<bool>,
}

impl AlterTable {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name) -> Self {
        AlterTable {
            name,
            rls_enabled: None,
            rls_forced: None,
            logged: None,
        }
    }
}

impl AlterTable {
    /// Row-level security: enable or disable it, force it on the owner or not. Enabling and forcing are
    /// independent, so both can be chained; a later call for the same switch replaces the earlier one.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_table("documents")
    ///     .row_level_security(RowLevelSecurity::Enable)
    ///     .row_level_security(RowLevelSecurity::Force);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "documents" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY"#,
    /// ]);
    /// ```
    pub fn row_level_security(&mut self, setting: RowLevelSecurity) -> &mut Self {
        match setting {
            RowLevelSecurity::Enable | RowLevelSecurity::Disable => {
                self.rls_enabled = Some(setting)
            }
            RowLevelSecurity::Force | RowLevelSecurity::NoForce => self.rls_forced = Some(setting),
        }
        self
    }

    /// `SET LOGGED`: writes the table to the write-ahead log again. Rewrites the whole table under an
    /// `ACCESS EXCLUSIVE` lock.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_table("page_views").set_logged();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "page_views" SET LOGGED"#]);
    /// ```
    pub fn set_logged(&mut self) -> &mut Self {
        self.logged = Some(true);
        self
    }

    /// `SET UNLOGGED`: stops writing the table to the write-ahead log (truncated after a crash, not
    /// replicated). Rewrites the whole table under an `ACCESS EXCLUSIVE` lock.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_table("page_views").set_unlogged();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "page_views" SET UNLOGGED"#]);
    /// ```
    pub fn set_unlogged(&mut self) -> &mut Self {
        self.logged = Some(false);
        self
    }
}

impl Reverse for AlterTable {
    // Each setting is idempotent (enabling an enabled table is a no-op), so the previous state cannot be
    // inferred from the new one: undoing `ENABLE` with `DISABLE` would be wrong whenever it was already enabled.
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible(
            "the table's previous row-level security and logging settings are not known",
        ))
    }
}

impl CreateTable {
    /// See [`Operation::creates`](crate::Operation::creates).
    pub(crate) fn creates(&self, ctx: Ctx) -> Vec<Object> {
        let mut out = Vec::new();
        if self.columns.iter().any(Column::is_primary_key) {
            let name = Ident(format!("{}_pkey", self.name.name().as_str()));
            out.extend(Constraint::primary_key(Vec::<Ident>::new()).objects(&self.name, name));
        }
        for ((_, c), names) in self
            .constraints
            .iter()
            .zip(self.constraint_names(ctx).unwrap_or_default())
        {
            for name in names {
                out.extend(c.objects(&self.name, name));
            }
        }
        out
    }
}

impl MigrationBuilder {
    /// `ALTER TABLE table ATTACH PARTITION partition FOR VALUES ...`: makes an existing table a partition of the
    /// partitioned `table` (see [`CreateTable::partition_by`]), for the rows within `bound`. Reversed by
    /// `DETACH PARTITION`. PostgreSQL scans the new partition to check its rows fit the bound (a `CHECK`
    /// constraint matching the bound, added and validated beforehand, lets it skip the scan), and takes a
    /// `SHARE UPDATE EXCLUSIVE` lock on `table`, so reads and writes of the other partitions continue.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.attach_partition(
    ///     ("app", "measurements"),
    ///     ("app", "measurements_2026_11"),
    ///     PartitionBound::range(["2026-11-01"], ["2026-12-01"]),
    /// );
    /// pgm.attach_partition("regions", "regions_eu", PartitionBound::list(["de", "fr"]));
    /// pgm.attach_partition("events", "events_0", PartitionBound::hash(4, 0));
    /// pgm.attach_partition("events_by_day", "events_other", PartitionBound::Default);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "app"."measurements" ATTACH PARTITION "app"."measurements_2026_11" FOR VALUES FROM ('2026-11-01') TO ('2026-12-01')"#,
    ///     r#"ALTER TABLE "regions" ATTACH PARTITION "regions_eu" FOR VALUES IN ('de', 'fr')"#,
    ///     r#"ALTER TABLE "events" ATTACH PARTITION "events_0" FOR VALUES WITH (MODULUS 4, REMAINDER 0)"#,
    ///     r#"ALTER TABLE "events_by_day" ATTACH PARTITION "events_other" DEFAULT"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap()[3],
    ///     r#"ALTER TABLE "app"."measurements" DETACH PARTITION "app"."measurements_2026_11""#);
    /// ```
    #[track_caller]
    pub fn attach_partition(
        &mut self,
        table: impl Into<Name>,
        partition: impl Into<Name>,
        bound: PartitionBound,
    ) -> &mut AttachPartition {
        self.record(AttachPartition::new(table.into(), partition.into(), bound))
    }

    /// `ALTER TABLE table DETACH PARTITION partition`: the partition becomes a table of its own, keeping its
    /// rows. Irreversible (the partition's bound is not known); write a `down` with
    /// [`attach_partition`](Self::attach_partition).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.detach_partition("measurements", "measurements_2025_01");
    /// assert_eq!(pgm.to_sql().unwrap(),
    ///     [r#"ALTER TABLE "measurements" DETACH PARTITION "measurements_2025_01""#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn detach_partition(
        &mut self,
        table: impl Into<Name>,
        partition: impl Into<Name>,
    ) -> &mut DetachPartition {
        self.record(DetachPartition::new(table.into(), partition.into()))
    }
}
