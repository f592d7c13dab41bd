//! Table constraints.

use crate::builder::MigrationBuilder;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::ops::*;

impl MigrationBuilder {
    /// `ALTER TABLE table ADD CONSTRAINT name ...`. The name is required so the reverse (`DROP CONSTRAINT`)
    /// and later migrations can refer to it exactly.
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
    /// ```
    #[track_caller]
    pub fn add_constraint(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<Ident>,
        constraint: Constraint,
    ) -> &mut AddConstraint {
        record!(
            self,
            AddConstraint,
            AddConstraint {
                table: table.into(),
                name: name.into(),
                constraint,
                not_valid: false,
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
    ) -> &mut Self {
        self.operations
            .push(Operation::RenameConstraint(RenameConstraint {
                table: table.into(),
                from: name.into(),
                to: new_name.into(),
            }));
        self
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
                cascade: false
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
