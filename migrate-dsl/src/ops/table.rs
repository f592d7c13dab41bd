use crate::column::Column;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::ops::{Constraint, IndexColumn};
use crate::reverse::Reverse;

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
    pub(crate) table: Name,
    /// In order: `(true, option)` for `INCLUDING option`, `(false, option)` for `EXCLUDING option`.
    pub(crate) options: Vec<(bool, LikeOption)>,
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
    pub(crate) strategy: PartitionStrategy,
    pub(crate) keys: Vec<IndexColumn>,
}

/// `CREATE TABLE`, recorded by [`MigrationBuilder::create_table`](crate::MigrationBuilder::create_table).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTable {
    pub(crate) name: Name,
    pub(crate) columns: Vec<Column>,
    pub(crate) if_not_exists: bool,
    pub(crate) comment: Option<String>,
    pub(crate) temporary: bool,
    pub(crate) unlogged: bool,
    pub(crate) inherits: Vec<Name>,
    pub(crate) like: Vec<Like>,
    pub(crate) partition_by: Option<PartitionBy>,
    /// Named table constraints, after the columns.
    pub(crate) constraints: Vec<(Ident, Constraint)>,
    /// `CASCADE` for the reverse `DROP TABLE`.
    pub(crate) cascade: bool,
}

impl CreateTable {
    /// `CREATE TABLE IF NOT EXISTS`. The reverse is then `DROP TABLE IF EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_table("tags", [column("id", "bigserial").primary_key()]).if_not_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE TABLE IF NOT EXISTS "tags" (
    ///     "id" bigserial PRIMARY KEY
    /// )"#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP TABLE IF EXISTS "tags""#]);
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

    /// A named table constraint (`CONSTRAINT name ...` after the columns): any [`Constraint`] except the
    /// `USING INDEX` forms, with its deferrability and comment. Constraints spanning several columns
    /// (composite keys, exclusion constraints) are written this way.
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
    /// ```
    pub fn constraint(&mut self, name: impl Into<Ident>, constraint: Constraint) -> &mut Self {
        self.constraints.push((name.into(), constraint));
        self
    }
}

/// `DROP TABLE`, recorded by [`MigrationBuilder::drop_table`](crate::MigrationBuilder::drop_table).
#[derive(Debug, Clone, PartialEq)]
pub struct DropTable {
    pub(crate) name: Name,
    pub(crate) if_exists: bool,
    pub(crate) cascade: bool,
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
    pub(crate) from: Name,
    pub(crate) to: Ident,
}

impl Reverse for CreateTable {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        // Only create-time drop options reach the drop: never the columns (node-pg-migrate passed the column
        // map as drop options, so a column named `cascade` dropped with CASCADE).
        let drop = if self.temporary {
            DropTable {
                name: Name::qualified("pg_temp", self.name.name.clone()),
                if_exists: true,
                cascade: self.cascade,
            }
        } else {
            DropTable {
                name: self.name.clone(),
                if_exists: self.if_not_exists,
                cascade: self.cascade,
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
        Ok(vec![RenameTable {
            from: self.from.sibling(self.to.clone()),
            to: self.from.name.clone(),
        }
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
    pub(crate) name: Name,
    /// `ENABLE` / `DISABLE`.
    pub(crate) rls_enabled: Option<RowLevelSecurity>,
    /// `FORCE` / `NO FORCE`.
    pub(crate) rls_forced: Option<RowLevelSecurity>,
    /// `Some(true)` for `SET LOGGED`, `Some(false)` for `SET UNLOGGED`.
    pub(crate) logged: Option<bool>,
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
