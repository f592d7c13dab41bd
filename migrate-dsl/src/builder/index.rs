//! Indexes.

use crate::builder::MigrationBuilder;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::ops::*;

impl MigrationBuilder {
    /// `CREATE INDEX ... ON table (columns)`. Reversed by dropping the index (with the same name, schema and
    /// `CONCURRENTLY`). With `CONCURRENTLY` the statements get `IF NOT EXISTS` / `IF EXISTS`: they run
    /// outside a transaction, so a migration that failed after them must be able to run again.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_index("comments", ["post_id", "created_at"]).concurrently();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE INDEX CONCURRENTLY IF NOT EXISTS "comments_post_id_created_at_index" ON "comments" ("post_id", "created_at")"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"DROP INDEX CONCURRENTLY IF EXISTS "comments_post_id_created_at_index""#,
    /// ]);
    /// ```
    #[track_caller]
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
                nulls_not_distinct: false,
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
    #[track_caller]
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

    /// `ALTER INDEX name RENAME TO new_name`. The index stays in its schema: qualify it with a tuple when it
    /// is not on the `search_path` (an index lives in its table's schema). Reversed by the opposite rename, in
    /// the same schema.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_index(("app", "posts_title_index"), "posts_headline_index");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER INDEX "app"."posts_title_index" RENAME TO "posts_headline_index""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"ALTER INDEX "app"."posts_headline_index" RENAME TO "posts_title_index""#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn rename_index(&mut self, name: impl Into<Name>, new_name: impl Into<Ident>) -> &mut Self {
        self.operations.push(Operation::RenameIndex(RenameIndex {
            from: name.into(),
            to: new_name.into(),
        }));
        self
    }
}
