//! Views.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::operation::Reverse;
use crate::ops::RestorePrevious;
use crate::safeguard::Object;
use crate::value::Change;
use crate::value::Value;

mod render;
mod rust;
pub(crate) use render::{name_list, option_list};

impl MigrationBuilder {
    /// `CREATE VIEW name AS definition`; the definition is a query written as SQL. Reversed by `DROP VIEW`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_view(("app", "published_posts"), "SELECT id, title FROM app.posts WHERE published")
    ///     .check_option(CheckOption::Cascaded);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE VIEW "app"."published_posts" AS SELECT id, title FROM app.posts WHERE published WITH CASCADED CHECK OPTION"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP VIEW "app"."published_posts""#]);
    /// ```
    #[track_caller]
    pub fn create_view(
        &mut self,
        name: impl Into<Name>,
        definition: impl Into<String>,
    ) -> &mut CreateView {
        self.record(CreateView::new(name.into(), definition.into()))
    }

    /// `DROP VIEW name`. Irreversible.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_view(("app", "published_posts"));
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP VIEW "app"."published_posts""#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn drop_view(&mut self, name: impl Into<Name>) -> &mut DropView {
        self.record(DropView::new(name.into()))
    }

    /// `ALTER VIEW name SET (...)` / `RESET (...)`: chain the changes. Irreversible (the previous options are
    /// not known).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_view("published_posts").check_option(CheckOption::Local).reset_option("security_barrier");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER VIEW "published_posts" SET (check_option = 'local')"#,
    ///     r#"ALTER VIEW "published_posts" RESET (security_barrier)"#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn alter_view(&mut self, name: impl Into<Name>) -> &mut AlterView {
        self.record(AlterView::new(name.into()))
    }

    /// `ALTER VIEW view ALTER COLUMN column SET / DROP DEFAULT`. Irreversible.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_view_column("published_posts", "published").set_default(true);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER VIEW "published_posts" ALTER COLUMN "published" SET DEFAULT true"#]);
    /// ```
    #[track_caller]
    pub fn alter_view_column(
        &mut self,
        view: impl Into<Name>,
        column: impl Into<Ident>,
    ) -> &mut AlterViewColumn {
        self.record(AlterViewColumn::new(view.into(), column.into()))
    }

    /// `ALTER VIEW name RENAME TO new_name` (the view stays in its schema). Reversed by the opposite rename.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_view(("app", "published_posts"), "live_posts");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER VIEW "app"."published_posts" RENAME TO "live_posts""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"ALTER VIEW "app"."live_posts" RENAME TO "published_posts""#]);
    /// ```
    #[track_caller]
    pub fn rename_view(
        &mut self,
        name: impl Into<Name>,
        new_name: impl Into<Ident>,
    ) -> &mut RenameView {
        self.record(RenameView::new(name.into(), new_name.into()))
    }
}

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
    name: Name,
    definition: String,
    or_replace: bool,
    temporary: bool,
    recursive: bool,
    columns: Vec<Ident>,
    check_option: Option<CheckOption>,
    options: Vec<(String, Value)>,
    comment: Option<String>,
}

impl CreateView {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name, definition: String) -> Self {
        CreateView {
            name,
            definition,
            or_replace: false,
            temporary: false,
            recursive: false,
            columns: Vec::new(),
            check_option: None,
            options: Vec::new(),
            comment: None,
        }
    }
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
    name: Name,
    if_exists: bool,
    cascade: bool,
}

impl DropView {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name) -> Self {
        DropView {
            name,
            if_exists: false,
            cascade: false,
        }
    }
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
    name: Name,
    set: Vec<(String, Value)>,
    reset: Vec<String>,
}

impl AlterView {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name) -> Self {
        AlterView {
            name,
            set: Vec::new(),
            reset: Vec::new(),
        }
    }
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
    view: Name,
    column: Ident,
    /// `Some(Some(v))` sets the default, `Some(None)` drops it.
    default: Change<Value>,
}

impl AlterViewColumn {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(view: Name, column: Ident) -> Self {
        AlterViewColumn {
            view,
            column,
            default: Change::Keep,
        }
    }
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
        self.default = Change::Set(value.into());
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
        self.default = Change::Remove;
        self
    }
}

/// `ALTER VIEW ... RENAME TO`, recorded by [`MigrationBuilder::rename_view`](crate::MigrationBuilder::rename_view).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameView {
    from: Name,
    to: Ident,
}

impl RenameView {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(from: Name, to: Ident) -> Self {
        RenameView { from, to }
    }
}

impl Reverse for CreateView {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        if self.temporary {
            // A later `down` runs in another session, where the view no longer exists; dropping by name there
            // could hit a permanent view of the same name.
            return Err(ctx.irreversible("a temporary view ends with the session that created it"));
        }
        let drop = DropView::new(self.name.clone());
        if self.or_replace {
            // The view it replaced (if any) is recorded when the `up` runs; the `down` puts it back.
            return Ok(vec![RestorePrevious::new(
                ctx,
                Object::View {
                    name: self.name.clone(),
                },
                drop,
            )
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
        Ok(vec![RenameView::new(
            self.from.sibling(self.to.clone()),
            self.from.name.clone(),
        )
        .into()])
    }
}
