//! Table constraints.

use crate::builder::MigrationBuilder;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::ops::*;

impl MigrationBuilder {
    /// `ALTER TABLE table ADD CONSTRAINT name ...`. Reversed by `DROP CONSTRAINT name`. With `None` as the
    /// name, it is derived as PostgreSQL would derive it (see [`ConstraintName`]) and written out, so the
    /// SQL shows it and the reverse drops exactly it.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint("posts", "posts_lat_check", Constraint::check("lat BETWEEN -90 AND 90"));
    /// pgm.add_constraint("posts", "posts_pkey", Constraint::primary_key(["id"]));
    /// pgm.add_constraint("comments", "comments_post_fk",
    ///     Constraint::foreign_key(["post_id"], "posts", ["id"]).on_delete(FkAction::Cascade));
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "posts" ADD CONSTRAINT "posts_lat_check" CHECK (lat BETWEEN -90 AND 90)"#,
    ///     r#"ALTER TABLE "posts" ADD CONSTRAINT "posts_pkey" PRIMARY KEY ("id")"#,
    ///     r#"ALTER TABLE "comments" ADD CONSTRAINT "comments_post_fk" FOREIGN KEY ("post_id") REFERENCES "posts" ("id") ON DELETE CASCADE"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap()[0], r#"ALTER TABLE "comments" DROP CONSTRAINT "comments_post_fk""#);
    ///
    /// // Without names, as node-pg-migrate allows; derived as PostgreSQL derives them.
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.add_constraint("posts", None, Constraint::primary_key(["id"]));
    /// pgm.add_constraint("posts", None, Constraint::unique(["author_id", "slug"]));
    /// pgm.add_constraint("comments", None, Constraint::foreign_key(["post_id"], "posts", ["id"]));
    /// pgm.add_constraint("posts", None, Constraint::check("lat BETWEEN -90 AND 90"));
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "posts" ADD CONSTRAINT "posts_pkey" PRIMARY KEY ("id")"#,
    ///     r#"ALTER TABLE "posts" ADD CONSTRAINT "posts_author_id_slug_key" UNIQUE ("author_id", "slug")"#,
    ///     r#"ALTER TABLE "comments" ADD CONSTRAINT "comments_post_id_fkey" FOREIGN KEY ("post_id") REFERENCES "posts" ("id")"#,
    ///     r#"ALTER TABLE "posts" ADD CONSTRAINT "posts_lat_check" CHECK (lat BETWEEN -90 AND 90)"#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn add_constraint(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<ConstraintName>,
        constraint: Constraint,
    ) -> &mut AddConstraint {
        record!(
            self,
            AddConstraint,
            AddConstraint {
                table: table.into(),
                name: name.into().0,
                constraint,
                not_valid: false,
                if_table_exists: false,
            }
        )
    }

    /// `ALTER TABLE table RENAME CONSTRAINT name TO new_name`. Reversed by the opposite rename. Renaming a
    /// unique, primary key or exclusion constraint renames its index too.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_constraint(("app", "posts"), "posts_lat_check", "posts_latitude_check");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER TABLE "app"."posts" RENAME CONSTRAINT "posts_lat_check" TO "posts_latitude_check""#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"ALTER TABLE "app"."posts" RENAME CONSTRAINT "posts_latitude_check" TO "posts_lat_check""#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn rename_constraint(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<Ident>,
        new_name: impl Into<Ident>,
    ) -> &mut RenameConstraint {
        record!(
            self,
            RenameConstraint,
            RenameConstraint {
                table: table.into(),
                from: name.into(),
                to: new_name.into(),
                if_table_exists: false,
            }
        )
    }

    /// `ALTER TABLE table DROP CONSTRAINT name`. Irreversible.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_constraint("posts", "posts_lat_check");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "posts" DROP CONSTRAINT "posts_lat_check""#]);
    /// ```
    #[track_caller]
    pub fn drop_constraint(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<Ident>,
    ) -> &mut DropConstraint {
        record!(
            self,
            DropConstraint,
            DropConstraint {
                table: table.into(),
                name: name.into(),
                if_exists: false,
                cascade: false,
                if_table_exists: false,
            }
        )
    }

    /// `ALTER TABLE table VALIDATE CONSTRAINT name`: checks the existing rows of a constraint added
    /// `NOT VALID`, taking only a `SHARE UPDATE EXCLUSIVE` lock, so reads and writes continue. Its reverse is
    /// nothing.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.validate_constraint("comments", "comments_post_id_fkey");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER TABLE "comments" VALIDATE CONSTRAINT "comments_post_id_fkey""#]);
    /// assert!(pgm.reversed().unwrap().to_sql().unwrap().is_empty());
    /// ```
    #[track_caller]
    pub fn validate_constraint(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<Ident>,
    ) -> &mut Self {
        self.operations
            .push(Operation::ValidateConstraint(ValidateConstraint {
                table: table.into(),
                name: name.into(),
            }));
        self
    }
}
