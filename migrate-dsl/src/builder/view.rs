//! Views and materialized views.

use crate::builder::MigrationBuilder;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::ops::*;

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
        record!(
            self,
            CreateView,
            CreateView {
                name: name.into(),
                definition: definition.into(),
                or_replace: false,
                temporary: false,
                recursive: false,
                columns: Vec::new(),
                check_option: None,
                options: Vec::new(),
                comment: None,
            }
        )
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
        record!(
            self,
            DropView,
            DropView {
                name: name.into(),
                if_exists: false,
                cascade: false,
            }
        )
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
        record!(
            self,
            AlterView,
            AlterView {
                name: name.into(),
                set: Vec::new(),
                reset: Vec::new(),
            }
        )
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
        record!(
            self,
            AlterViewColumn,
            AlterViewColumn {
                view: view.into(),
                column: column.into(),
                default: None,
            }
        )
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
    pub fn rename_view(&mut self, name: impl Into<Name>, new_name: impl Into<Ident>) -> &mut Self {
        self.operations.push(Operation::RenameView(RenameView {
            from: name.into(),
            to: new_name.into(),
        }));
        self
    }

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
        record!(
            self,
            CreateMaterializedView,
            CreateMaterializedView {
                name: name.into(),
                definition: definition.into(),
                if_not_exists: false,
                columns: Vec::new(),
                tablespace: None,
                storage: Vec::new(),
                with_data: None,
                comment: None,
            }
        )
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
        record!(
            self,
            DropMaterializedView,
            DropMaterializedView {
                name: name.into(),
                if_exists: false,
                cascade: false,
            }
        )
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
        record!(
            self,
            AlterMaterializedView,
            AlterMaterializedView {
                name: name.into(),
                changes: Vec::new(),
            }
        )
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
    ) -> &mut Self {
        self.operations
            .push(Operation::RenameMaterializedView(RenameMaterializedView {
                from: name.into(),
                to: new_name.into(),
            }));
        self
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
    ) -> &mut Self {
        self.operations
            .push(Operation::RenameMaterializedViewColumn(
                RenameMaterializedViewColumn {
                    view: view.into(),
                    from: column.into(),
                    to: new_name.into(),
                },
            ));
        self
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
        record!(
            self,
            RefreshMaterializedView,
            RefreshMaterializedView {
                name: name.into(),
                concurrently: false,
                with_data: None,
            }
        )
    }
}
