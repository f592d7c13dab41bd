//! Tables and their columns.

use crate::builder::MigrationBuilder;
use crate::column::Column;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::ops::*;

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
        record!(
            self,
            CreateTable,
            CreateTable {
                name: name.into(),
                columns: columns.into_iter().map(Into::into).collect(),
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
        )
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
        record!(
            self,
            DropTable,
            DropTable {
                name: name.into(),
                if_exists: false,
                cascade: false
            }
        )
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
    pub fn rename_table(&mut self, name: impl Into<Name>, new_name: impl Into<Ident>) -> &mut Self {
        self.operations.push(Operation::RenameTable(RenameTable {
            from: name.into(),
            to: new_name.into(),
        }));
        self
    }

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
        record!(
            self,
            AddColumns,
            AddColumns {
                table: table.into(),
                columns: columns.into_iter().map(Into::into).collect(),
                if_not_exists: false,
            }
        )
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
        record!(
            self,
            DropColumns,
            DropColumns {
                table: table.into(),
                columns: columns.into_iter().map(Into::into).collect(),
                if_exists: false,
                cascade: false,
            }
        )
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
    ) -> &mut Self {
        self.operations.push(Operation::RenameColumn(RenameColumn {
            table: table.into(),
            from: column.into(),
            to: new_name.into(),
        }));
        self
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
        record!(
            self,
            AlterColumn,
            AlterColumn {
                table: table.into(),
                column: column.into(),
                set_type: None,
                using: None,
                default: None,
                not_null: None,
                comment: None,
                collation: None,
                identity: None,
                drop_expression: false,
            }
        )
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
        record!(
            self,
            AlterTable,
            AlterTable {
                name: name.into(),
                rls_enabled: None,
                rls_forced: None,
                logged: None,
            }
        )
    }
}
