use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::ops::RestorePrevious;
use crate::reverse::{may_have_skipped, Reverse};
use crate::safeguard::Object;
use crate::value::Value;

/// `WITH [LOCAL | CASCADED] CHECK OPTION` of an updatable view: rows written through the view must satisfy its
/// `WHERE` (`Local`: this view's only; `Cascaded`: also the views it is built on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckOption {
    /// `LOCAL`
    Local,
    /// `CASCADED`
    Cascaded,
}

impl CheckOption {
    pub(crate) fn as_sql(self) -> &'static str {
        match self {
            CheckOption::Local => "LOCAL",
            CheckOption::Cascaded => "CASCADED",
        }
    }
}

/// `CREATE VIEW`, recorded by [`MigrationBuilder::create_view`](crate::MigrationBuilder::create_view).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateView {
    pub(crate) name: Name,
    pub(crate) definition: String,
    pub(crate) or_replace: bool,
    pub(crate) temporary: bool,
    pub(crate) recursive: bool,
    pub(crate) columns: Vec<Ident>,
    pub(crate) check_option: Option<CheckOption>,
    pub(crate) options: Vec<(String, Value)>,
    pub(crate) comment: Option<String>,
}

impl CreateView {
    /// `CREATE OR REPLACE VIEW`. Before it runs, the engine records the view it replaces (query, column
    /// names, options, comment), or that there was none, with the migration; the derived `down` restores that
    /// view exactly (`CREATE OR REPLACE VIEW` again, which keeps its owner, privileges and dependents), or
    /// drops the view when there was none. PostgreSQL cannot remove columns this way: when the new view
    /// added columns, the `down` stops with that reason, and needs to be written.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_view("recent_posts", "SELECT * FROM posts").or_replace();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE OR REPLACE VIEW "recent_posts" AS SELECT * FROM posts"#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [[
    ///     r#"-- restore_previous: view "recent_posts" as it was before operation #1 of the `up`"#,
    ///     "--   (as recorded when the `up` ran; run by the engine, not shown as SQL), or, if it did not exist then:",
    ///     r#"--   DROP VIEW "recent_posts""#,
    /// ].join("\n")]);
    /// ```
    pub fn or_replace(&mut self) -> &mut Self {
        self.or_replace = true;
        self
    }

    /// `CREATE TEMPORARY VIEW`: gone when the session ends, so it has no reverse and cannot be
    /// schema-qualified.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_view("scratch", "SELECT 1 AS one").temporary();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE TEMPORARY VIEW "scratch" AS SELECT 1 AS one"#]);
    /// ```
    pub fn temporary(&mut self) -> &mut Self {
        self.temporary = true;
        self
    }

    /// `CREATE RECURSIVE VIEW name (columns)`: the definition may refer to the view itself. Needs
    /// [`columns`](Self::columns).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_view("one_to_ten", "VALUES (1) UNION ALL SELECT n + 1 FROM one_to_ten WHERE n < 10")
    ///     .recursive()
    ///     .columns(["n"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE RECURSIVE VIEW "one_to_ten" ("n") AS VALUES (1) UNION ALL SELECT n + 1 FROM one_to_ten WHERE n < 10"#,
    /// ]);
    /// ```
    pub fn recursive(&mut self) -> &mut Self {
        self.recursive = true;
        self
    }

    /// The view's column names, instead of those of the query.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_view("titles", "SELECT id, title FROM posts").columns(["post_id", "Title"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE VIEW "titles" ("post_id", "Title") AS SELECT id, title FROM posts"#]);
    /// ```
    pub fn columns<I: Into<Ident>>(&mut self, columns: impl IntoIterator<Item = I>) -> &mut Self {
        self.columns = columns.into_iter().map(Into::into).collect();
        self
    }

    /// `WITH LOCAL CHECK OPTION` / `WITH CASCADED CHECK OPTION`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_view("published", "SELECT * FROM posts WHERE published").check_option(CheckOption::Local);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE VIEW "published" AS SELECT * FROM posts WHERE published WITH LOCAL CHECK OPTION"#,
    /// ]);
    /// ```
    pub fn check_option(&mut self, option: CheckOption) -> &mut Self {
        self.check_option = Some(option);
        self
    }

    /// A view option in `WITH (...)`: `security_barrier`, `security_invoker`; may be chained.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_view("my_posts", "SELECT * FROM posts WHERE author = current_user")
    ///     .option("security_barrier", true)
    ///     .option("security_invoker", true);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE VIEW "my_posts" WITH (security_barrier = true, security_invoker = true) AS SELECT * FROM posts WHERE author = current_user"#,
    /// ]);
    /// ```
    pub fn option(&mut self, name: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        self.options.push((name.into(), value.into()));
        self
    }

    /// A comment, written as `COMMENT ON VIEW` after the `CREATE VIEW`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_view("titles", "SELECT title FROM posts").comment("for the sitemap");
    /// assert_eq!(pgm.to_sql().unwrap()[1], r#"COMMENT ON VIEW "titles" IS 'for the sitemap'"#);
    /// ```
    pub fn comment(&mut self, text: impl Into<String>) -> &mut Self {
        self.comment = Some(text.into());
        self
    }
}

/// `DROP VIEW`, recorded by [`MigrationBuilder::drop_view`](crate::MigrationBuilder::drop_view).
#[derive(Debug, Clone, PartialEq)]
pub struct DropView {
    pub(crate) name: Name,
    pub(crate) if_exists: bool,
    pub(crate) cascade: bool,
}

impl DropView {
    /// `DROP VIEW IF EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_view("titles").if_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP VIEW IF EXISTS "titles""#]);
    /// ```
    pub fn if_exists(&mut self) -> &mut Self {
        self.if_exists = true;
        self
    }

    /// `CASCADE`: also drop views built on this one.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_view("titles").cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP VIEW "titles" CASCADE"#]);
    /// ```
    pub fn cascade(&mut self) -> &mut Self {
        self.cascade = true;
        self
    }
}

/// `ALTER VIEW ... SET / RESET (options)`, recorded by
/// [`MigrationBuilder::alter_view`](crate::MigrationBuilder::alter_view).
#[derive(Debug, Clone, PartialEq)]
pub struct AlterView {
    pub(crate) name: Name,
    pub(crate) set: Vec<(String, Value)>,
    pub(crate) reset: Vec<String>,
}

impl AlterView {
    /// Sets the check option (`check_option` in the view's options).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_view("published").check_option(CheckOption::Cascaded);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER VIEW "published" SET (check_option = 'cascaded')"#]);
    /// ```
    pub fn check_option(&mut self, option: CheckOption) -> &mut Self {
        let value = option.as_sql().to_ascii_lowercase();
        self.set.push(("check_option".to_owned(), value.into()));
        self
    }

    /// Removes the check option.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_view("published").no_check_option();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER VIEW "published" RESET (check_option)"#]);
    /// ```
    pub fn no_check_option(&mut self) -> &mut Self {
        self.reset.push("check_option".to_owned());
        self
    }

    /// Sets a view option (`security_barrier`, `security_invoker`); may be chained.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_view("my_posts").set_option("security_barrier", true);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER VIEW "my_posts" SET (security_barrier = true)"#]);
    /// ```
    pub fn set_option(&mut self, name: impl Into<String>, value: impl Into<Value>) -> &mut Self {
        self.set.push((name.into(), value.into()));
        self
    }

    /// Resets a view option to its default; may be chained.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_view("my_posts").reset_option("security_barrier");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER VIEW "my_posts" RESET (security_barrier)"#]);
    /// ```
    pub fn reset_option(&mut self, name: impl Into<String>) -> &mut Self {
        self.reset.push(name.into());
        self
    }
}

/// `ALTER VIEW ... ALTER COLUMN ... SET / DROP DEFAULT`, recorded by
/// [`MigrationBuilder::alter_view_column`](crate::MigrationBuilder::alter_view_column).
#[derive(Debug, Clone, PartialEq)]
pub struct AlterViewColumn {
    pub(crate) view: Name,
    pub(crate) column: Ident,
    /// `Some(Some(v))` sets the default, `Some(None)` drops it.
    pub(crate) default: Option<Option<Value>>,
}

impl AlterViewColumn {
    /// `SET DEFAULT value`: used by `INSERT`s through the view that leave the column out.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_view_column("published", "created_at").set_default(expr("now()"));
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER VIEW "published" ALTER COLUMN "created_at" SET DEFAULT now()"#]);
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
    /// pgm.alter_view_column("published", "created_at").drop_default();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER VIEW "published" ALTER COLUMN "created_at" DROP DEFAULT"#]);
    /// ```
    pub fn drop_default(&mut self) -> &mut Self {
        self.default = Some(None);
        self
    }
}

/// `ALTER VIEW ... RENAME TO`, recorded by [`MigrationBuilder::rename_view`](crate::MigrationBuilder::rename_view).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameView {
    pub(crate) from: Name,
    pub(crate) to: Ident,
}

/// `CREATE MATERIALIZED VIEW`, recorded by
/// [`MigrationBuilder::create_materialized_view`](crate::MigrationBuilder::create_materialized_view).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateMaterializedView {
    pub(crate) name: Name,
    pub(crate) definition: String,
    pub(crate) if_not_exists: bool,
    pub(crate) columns: Vec<Ident>,
    pub(crate) tablespace: Option<Ident>,
    pub(crate) storage: Vec<(String, Value)>,
    pub(crate) with_data: Option<bool>,
    pub(crate) comment: Option<String>,
}

impl CreateMaterializedView {
    /// `IF NOT EXISTS`: an existing materialized view is skipped (with a server notice, which the run
    /// shows). There is then no automatic reverse: dropping it could drop one this migration did not create.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_materialized_view("post_counts", "SELECT 1 AS n").if_not_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE MATERIALIZED VIEW IF NOT EXISTS "post_counts" AS SELECT 1 AS n"#]);
    /// assert!(pgm.reversed().unwrap_err().to_string().contains("may have existed before this migration"));
    /// ```
    pub fn if_not_exists(&mut self) -> &mut Self {
        self.if_not_exists = true;
        self
    }

    /// The view's column names, instead of those of the query.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_materialized_view("post_counts", "SELECT author, count(*) FROM posts GROUP BY author")
    ///     .columns(["author", "posts"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE MATERIALIZED VIEW "post_counts" ("author", "posts") AS SELECT author, count(*) FROM posts GROUP BY author"#,
    /// ]);
    /// ```
    pub fn columns<I: Into<Ident>>(&mut self, columns: impl IntoIterator<Item = I>) -> &mut Self {
        self.columns = columns.into_iter().map(Into::into).collect();
        self
    }

    /// `TABLESPACE name`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_materialized_view("post_counts", "SELECT 1 AS n").tablespace("fast_ssd");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE MATERIALIZED VIEW "post_counts" TABLESPACE "fast_ssd" AS SELECT 1 AS n"#]);
    /// ```
    pub fn tablespace(&mut self, name: impl Into<Ident>) -> &mut Self {
        self.tablespace = Some(name.into());
        self
    }

    /// A storage parameter in `WITH (...)` (`fillfactor`, `autovacuum_enabled`, ...); may be chained.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_materialized_view("post_counts", "SELECT 1 AS n").storage_parameter("fillfactor", 70);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE MATERIALIZED VIEW "post_counts" WITH (fillfactor = 70) AS SELECT 1 AS n"#]);
    /// ```
    pub fn storage_parameter(
        &mut self,
        name: impl Into<String>,
        value: impl Into<Value>,
    ) -> &mut Self {
        self.storage.push((name.into(), value.into()));
        self
    }

    /// `WITH DATA` (`true`, PostgreSQL's default) or `WITH NO DATA` (`false`): create it empty and unscannable
    /// until the first refresh.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_materialized_view("post_counts", "SELECT 1 AS n").with_data(false);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE MATERIALIZED VIEW "post_counts" AS SELECT 1 AS n WITH NO DATA"#]);
    /// ```
    pub fn with_data(&mut self, with_data: bool) -> &mut Self {
        self.with_data = Some(with_data);
        self
    }

    /// A comment, written as `COMMENT ON MATERIALIZED VIEW` after the `CREATE`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_materialized_view("post_counts", "SELECT 1 AS n").comment("refreshed nightly");
    /// assert_eq!(pgm.to_sql().unwrap()[1], r#"COMMENT ON MATERIALIZED VIEW "post_counts" IS 'refreshed nightly'"#);
    /// ```
    pub fn comment(&mut self, text: impl Into<String>) -> &mut Self {
        self.comment = Some(text.into());
        self
    }
}

/// `DROP MATERIALIZED VIEW`, recorded by
/// [`MigrationBuilder::drop_materialized_view`](crate::MigrationBuilder::drop_materialized_view).
#[derive(Debug, Clone, PartialEq)]
pub struct DropMaterializedView {
    pub(crate) name: Name,
    pub(crate) if_exists: bool,
    pub(crate) cascade: bool,
}

impl DropMaterializedView {
    /// `DROP MATERIALIZED VIEW IF EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_materialized_view("post_counts").if_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP MATERIALIZED VIEW IF EXISTS "post_counts""#]);
    /// ```
    pub fn if_exists(&mut self) -> &mut Self {
        self.if_exists = true;
        self
    }

    /// `CASCADE`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_materialized_view("post_counts").cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP MATERIALIZED VIEW "post_counts" CASCADE"#]);
    /// ```
    pub fn cascade(&mut self) -> &mut Self {
        self.cascade = true;
        self
    }
}

/// One change made by `ALTER MATERIALIZED VIEW`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum MaterializedViewChange {
    ClusterOn(Ident),
    SetWithoutCluster,
    DependsOnExtension(Ident),
    NoDependsOnExtension(Ident),
    Set(Vec<(String, Value)>),
    Reset(Vec<String>),
}

/// `ALTER MATERIALIZED VIEW`, recorded by
/// [`MigrationBuilder::alter_materialized_view`](crate::MigrationBuilder::alter_materialized_view).
#[derive(Debug, Clone, PartialEq)]
pub struct AlterMaterializedView {
    pub(crate) name: Name,
    pub(crate) changes: Vec<MaterializedViewChange>,
}

impl AlterMaterializedView {
    /// `CLUSTER ON index`: the index a later `CLUSTER` orders the rows by.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_materialized_view("post_counts").cluster_on("post_counts_author_index");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER MATERIALIZED VIEW "post_counts" CLUSTER ON "post_counts_author_index""#]);
    /// ```
    pub fn cluster_on(&mut self, index: impl Into<Ident>) -> &mut Self {
        self.changes
            .push(MaterializedViewChange::ClusterOn(index.into()));
        self
    }

    /// `SET WITHOUT CLUSTER`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_materialized_view("post_counts").set_without_cluster();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER MATERIALIZED VIEW "post_counts" SET WITHOUT CLUSTER"#]);
    /// ```
    pub fn set_without_cluster(&mut self) -> &mut Self {
        self.changes.push(MaterializedViewChange::SetWithoutCluster);
        self
    }

    /// `DEPENDS ON EXTENSION name`: dropping the extension then drops the view.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_materialized_view("post_counts").depends_on_extension("pg_trgm");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER MATERIALIZED VIEW "post_counts" DEPENDS ON EXTENSION "pg_trgm""#]);
    /// ```
    pub fn depends_on_extension(&mut self, extension: impl Into<Ident>) -> &mut Self {
        self.changes
            .push(MaterializedViewChange::DependsOnExtension(extension.into()));
        self
    }

    /// `NO DEPENDS ON EXTENSION name`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_materialized_view("post_counts").no_depends_on_extension("pg_trgm");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER MATERIALIZED VIEW "post_counts" NO DEPENDS ON EXTENSION "pg_trgm""#]);
    /// ```
    pub fn no_depends_on_extension(&mut self, extension: impl Into<Ident>) -> &mut Self {
        self.changes
            .push(MaterializedViewChange::NoDependsOnExtension(
                extension.into(),
            ));
        self
    }

    /// `SET (parameter = value)` for a storage parameter; consecutive calls share one `SET`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_materialized_view("post_counts").set_storage_parameter("fillfactor", 80).set_storage_parameter("autovacuum_enabled", false);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER MATERIALIZED VIEW "post_counts" SET (fillfactor = 80, autovacuum_enabled = false)"#,
    /// ]);
    /// ```
    pub fn set_storage_parameter(
        &mut self,
        name: impl Into<String>,
        value: impl Into<Value>,
    ) -> &mut Self {
        let item = (name.into(), value.into());
        match self.changes.last_mut() {
            Some(MaterializedViewChange::Set(items)) => items.push(item),
            _ => self.changes.push(MaterializedViewChange::Set(vec![item])),
        }
        self
    }

    /// `RESET (parameter)`: back to the default; consecutive calls share one `RESET`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_materialized_view("post_counts").reset_storage_parameter("fillfactor");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER MATERIALIZED VIEW "post_counts" RESET (fillfactor)"#]);
    /// ```
    pub fn reset_storage_parameter(&mut self, name: impl Into<String>) -> &mut Self {
        let name = name.into();
        match self.changes.last_mut() {
            Some(MaterializedViewChange::Reset(items)) => items.push(name),
            _ => self.changes.push(MaterializedViewChange::Reset(vec![name])),
        }
        self
    }
}

/// `ALTER MATERIALIZED VIEW ... RENAME TO`, recorded by
/// [`MigrationBuilder::rename_materialized_view`](crate::MigrationBuilder::rename_materialized_view).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameMaterializedView {
    pub(crate) from: Name,
    pub(crate) to: Ident,
}

/// `ALTER MATERIALIZED VIEW ... RENAME COLUMN`, recorded by
/// [`MigrationBuilder::rename_materialized_view_column`](crate::MigrationBuilder::rename_materialized_view_column).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameMaterializedViewColumn {
    pub(crate) view: Name,
    pub(crate) from: Ident,
    pub(crate) to: Ident,
}

/// `REFRESH MATERIALIZED VIEW`, recorded by
/// [`MigrationBuilder::refresh_materialized_view`](crate::MigrationBuilder::refresh_materialized_view).
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshMaterializedView {
    pub(crate) name: Name,
    pub(crate) concurrently: bool,
    pub(crate) with_data: Option<bool>,
}

impl RefreshMaterializedView {
    /// `CONCURRENTLY`: readers are not blocked while it refreshes. Needs a unique index on the view and a
    /// populated view. Unlike `CREATE INDEX CONCURRENTLY` it runs fine inside a transaction.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.refresh_materialized_view("post_counts").concurrently();
    /// assert!(pgm.is_transactional());
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"REFRESH MATERIALIZED VIEW CONCURRENTLY "post_counts""#]);
    /// ```
    pub fn concurrently(&mut self) -> &mut Self {
        self.concurrently = true;
        self
    }

    /// `WITH DATA` (`true`, the default) or `WITH NO DATA` (`false`: empty the view and leave it unscannable).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.refresh_materialized_view("post_counts").with_data(false);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"REFRESH MATERIALIZED VIEW "post_counts" WITH NO DATA"#]);
    /// // Undoing "empty the view" means filling it again.
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"REFRESH MATERIALIZED VIEW "post_counts""#]);
    /// ```
    pub fn with_data(&mut self, with_data: bool) -> &mut Self {
        self.with_data = Some(with_data);
        self
    }
}

impl Reverse for CreateView {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        if self.temporary {
            // A later `down` runs in another session, where the view no longer exists; dropping by name there
            // could hit a permanent view of the same name.
            return Err(ctx.irreversible("a temporary view ends with the session that created it"));
        }
        let drop = DropView {
            name: self.name.clone(),
            if_exists: false,
            cascade: false,
        };
        if self.or_replace {
            // The view it replaced (if any) is recorded when the `up` runs; the `down` puts it back.
            return Ok(vec![RestorePrevious {
                object: Object::View {
                    name: self.name.clone(),
                },
                up_position: ctx.position,
                drop: Box::new(drop.into()),
            }
            .into()]);
        }
        Ok(vec![drop.into()])
    }
}

impl Reverse for DropView {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped view's definition is not known"))
    }
}

impl Reverse for AlterView {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the view's previous options are not known"))
    }
}

impl Reverse for AlterViewColumn {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the column's previous default is not known"))
    }
}

impl Reverse for RenameView {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RenameView {
            from: self.from.sibling(self.to.clone()),
            to: self.from.name.clone(),
        }
        .into()])
    }
}

impl Reverse for CreateMaterializedView {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        if self.if_not_exists {
            return Err(ctx.irreversible(&may_have_skipped("IF NOT EXISTS", "materialized view")));
        }
        Ok(vec![DropMaterializedView {
            name: self.name.clone(),
            if_exists: false,
            cascade: false,
        }
        .into()])
    }
}

impl Reverse for DropMaterializedView {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped materialized view's definition is not known"))
    }
}

impl Reverse for AlterMaterializedView {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the materialized view's previous settings are not known"))
    }
}

impl Reverse for RenameMaterializedView {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RenameMaterializedView {
            from: self.from.sibling(self.to.clone()),
            to: self.from.name.clone(),
        }
        .into()])
    }
}

impl Reverse for RenameMaterializedViewColumn {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RenameMaterializedViewColumn {
            view: self.view.clone(),
            from: self.to.clone(),
            to: self.from.clone(),
        }
        .into()])
    }
}

/// A refresh changes rows, not the schema, and the rows it replaced cannot be brought back. Its reverse
/// refreshes again, as node-pg-migrate does: the view then holds the data as it is at that point of `down`,
/// the closest a refresh can get to "as before". One difference: `WITH NO DATA` empties the view, and emptying
/// it again would undo nothing, so its reverse fills the view (a plain `REFRESH`: `CONCURRENTLY` needs a
/// populated view).
impl Reverse for RefreshMaterializedView {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        let emptied = self.with_data == Some(false);
        Ok(vec![RefreshMaterializedView {
            name: self.name.clone(),
            concurrently: self.concurrently && !emptied,
            with_data: if emptied { None } else { self.with_data },
        }
        .into()])
    }
}
