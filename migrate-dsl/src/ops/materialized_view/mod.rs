//! Materialized views.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::operation::Reverse;
use crate::reverse::may_have_skipped;
use crate::value::Value;

mod render;
mod rust;

impl MigrationBuilder {
    /// `CREATE MATERIALIZED VIEW name AS definition`. Reversed by `DROP MATERIALIZED VIEW`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_materialized_view("post_counts", "SELECT author_id, count(*) AS posts FROM posts GROUP BY author_id")
    ///     .with_data(false);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE MATERIALIZED VIEW "post_counts" AS SELECT author_id, count(*) AS posts FROM posts GROUP BY author_id WITH NO DATA"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP MATERIALIZED VIEW "post_counts""#]);
    /// ```
    #[track_caller]
    pub fn create_materialized_view(
        &mut self,
        name: impl Into<Name>,
        definition: impl Into<String>,
    ) -> &mut CreateMaterializedView {
        self.record(CreateMaterializedView::new(name.into(), definition.into()))
    }

    /// `DROP MATERIALIZED VIEW name`. Irreversible.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_materialized_view("post_counts");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP MATERIALIZED VIEW "post_counts""#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn drop_materialized_view(&mut self, name: impl Into<Name>) -> &mut DropMaterializedView {
        self.record(DropMaterializedView::new(name.into()))
    }

    /// `ALTER MATERIALIZED VIEW name ...`: chain the changes; each becomes one statement. Irreversible.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_materialized_view("post_counts")
    ///     .cluster_on("post_counts_author_id_index")
    ///     .set_storage_parameter("fillfactor", 90);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER MATERIALIZED VIEW "post_counts" CLUSTER ON "post_counts_author_id_index""#,
    ///     r#"ALTER MATERIALIZED VIEW "post_counts" SET (fillfactor = 90)"#,
    /// ]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn alter_materialized_view(&mut self, name: impl Into<Name>) -> &mut AlterMaterializedView {
        self.record(AlterMaterializedView::new(name.into()))
    }

    /// `ALTER MATERIALIZED VIEW name RENAME TO new_name`. Reversed by the opposite rename.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_materialized_view(("app", "post_counts"), "author_stats");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER MATERIALIZED VIEW "app"."post_counts" RENAME TO "author_stats""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"ALTER MATERIALIZED VIEW "app"."author_stats" RENAME TO "post_counts""#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn rename_materialized_view(
        &mut self,
        name: impl Into<Name>,
        new_name: impl Into<Ident>,
    ) -> &mut RenameMaterializedView {
        self.record(RenameMaterializedView::new(name.into(), new_name.into()))
    }

    /// `ALTER MATERIALIZED VIEW view RENAME COLUMN column TO new_name`. Reversed by the opposite rename.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_materialized_view_column("post_counts", "posts", "post_count");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER MATERIALIZED VIEW "post_counts" RENAME COLUMN "posts" TO "post_count""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"ALTER MATERIALIZED VIEW "post_counts" RENAME COLUMN "post_count" TO "posts""#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn rename_materialized_view_column(
        &mut self,
        view: impl Into<Name>,
        column: impl Into<Ident>,
        new_name: impl Into<Ident>,
    ) -> &mut RenameMaterializedViewColumn {
        self.record(RenameMaterializedViewColumn::new(
            view.into(),
            column.into(),
            new_name.into(),
        ))
    }

    /// `REFRESH MATERIALIZED VIEW name`. Reversed by refreshing again (the replaced rows cannot be restored;
    /// see [`RefreshMaterializedView::with_data`] for `WITH NO DATA`).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.refresh_materialized_view("post_counts").concurrently();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"REFRESH MATERIALIZED VIEW CONCURRENTLY "post_counts""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"REFRESH MATERIALIZED VIEW CONCURRENTLY "post_counts""#]);
    /// ```
    #[track_caller]
    pub fn refresh_materialized_view(
        &mut self,
        name: impl Into<Name>,
    ) -> &mut RefreshMaterializedView {
        self.record(RefreshMaterializedView::new(name.into()))
    }
}

/// `CREATE MATERIALIZED VIEW`, recorded by
/// [`MigrationBuilder::create_materialized_view`](crate::MigrationBuilder::create_materialized_view).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateMaterializedView {
    name: Name,
    definition: String,
    if_not_exists: bool,
    columns: Vec<Ident>,
    tablespace: Option<Ident>,
    storage: Vec<(String, Value)>,
    with_data: Option<bool>,
    comment: Option<String>,
}

impl CreateMaterializedView {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name, definition: String) -> Self {
        CreateMaterializedView {
            name,
            definition,
            if_not_exists: false,
            columns: Vec::new(),
            tablespace: None,
            storage: Vec::new(),
            with_data: None,
            comment: None,
        }
    }
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
    name: Name,
    if_exists: bool,
    cascade: bool,
}

impl DropMaterializedView {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name) -> Self {
        DropMaterializedView {
            name,
            if_exists: false,
            cascade: false,
        }
    }
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
    name: Name,
    changes: Vec<MaterializedViewChange>,
}

impl AlterMaterializedView {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name) -> Self {
        AlterMaterializedView {
            name,
            changes: Vec::new(),
        }
    }
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
    from: Name,
    to: Ident,
}

impl RenameMaterializedView {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(from: Name, to: Ident) -> Self {
        RenameMaterializedView { from, to }
    }
}

/// `ALTER MATERIALIZED VIEW ... RENAME COLUMN`, recorded by
/// [`MigrationBuilder::rename_materialized_view_column`](crate::MigrationBuilder::rename_materialized_view_column).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameMaterializedViewColumn {
    view: Name,
    from: Ident,
    to: Ident,
}

impl RenameMaterializedViewColumn {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(view: Name, from: Ident, to: Ident) -> Self {
        RenameMaterializedViewColumn { view, from, to }
    }
}

/// `REFRESH MATERIALIZED VIEW`, recorded by
/// [`MigrationBuilder::refresh_materialized_view`](crate::MigrationBuilder::refresh_materialized_view).
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshMaterializedView {
    name: Name,
    concurrently: bool,
    with_data: Option<bool>,
}

impl RefreshMaterializedView {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name) -> Self {
        RefreshMaterializedView {
            name,
            concurrently: false,
            with_data: None,
        }
    }
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

impl Reverse for CreateMaterializedView {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        if self.if_not_exists {
            return Err(ctx.irreversible(&may_have_skipped("IF NOT EXISTS", "materialized view")));
        }
        Ok(vec![DropMaterializedView::new(self.name.clone()).into()])
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
        Ok(vec![RenameMaterializedView::new(
            self.from.sibling(self.to.clone()),
            self.from.name.clone(),
        )
        .into()])
    }
}

impl Reverse for RenameMaterializedViewColumn {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RenameMaterializedViewColumn::new(
            self.view.clone(),
            self.to.clone(),
            self.from.clone(),
        )
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
            concurrently: self.concurrently && !emptied,
            with_data: if emptied { None } else { self.with_data },
            ..RefreshMaterializedView::new(self.name.clone())
        }
        .into()])
    }
}
