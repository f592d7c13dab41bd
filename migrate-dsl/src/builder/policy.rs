//! Row-level-security policies.

use crate::builder::MigrationBuilder;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::ops::*;

impl MigrationBuilder {
    /// `CREATE POLICY name ON table ...`. Policies only take effect once row-level security is enabled on the
    /// table. Reversed by `DROP POLICY`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_policy(("app", "posts"), "authors_edit_own")
    ///     .command(PolicyCommand::Update)
    ///     .to(["Authors"])
    ///     .using("author = current_user")
    ///     .with_check("author = current_user");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE POLICY "authors_edit_own" ON "app"."posts" FOR UPDATE TO "Authors" USING (author = current_user) WITH CHECK (author = current_user)"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP POLICY "authors_edit_own" ON "app"."posts""#]);
    /// ```
    #[track_caller]
    pub fn create_policy(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<Ident>,
    ) -> &mut CreatePolicy {
        record!(
            self,
            CreatePolicy,
            CreatePolicy {
                table: table.into(),
                name: name.into(),
                restrictive: None,
                command: None,
                roles: Vec::new(),
                using: None,
                with_check: None,
                comment: None,
            }
        )
    }

    /// `ALTER POLICY name ON table ...`: chain the changes. Irreversible (the previous definition is not known).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_policy("posts", "authors_edit_own").to(["Authors", "Editors"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER POLICY "authors_edit_own" ON "posts" TO "Authors", "Editors""#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn alter_policy(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<Ident>,
    ) -> &mut AlterPolicy {
        record!(
            self,
            AlterPolicy,
            AlterPolicy {
                table: table.into(),
                name: name.into(),
                roles: Vec::new(),
                using: None,
                with_check: None,
            }
        )
    }

    /// `DROP POLICY name ON table`. Irreversible.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_policy("posts", "authors_edit_own");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP POLICY "authors_edit_own" ON "posts""#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn drop_policy(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<Ident>,
    ) -> &mut DropPolicy {
        record!(
            self,
            DropPolicy,
            DropPolicy {
                table: table.into(),
                name: name.into(),
                if_exists: false,
            }
        )
    }

    /// `ALTER POLICY name ON table RENAME TO new_name`. Reversed by the opposite rename.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_policy("posts", "authors_edit_own", "own_posts_update");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER POLICY "authors_edit_own" ON "posts" RENAME TO "own_posts_update""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"ALTER POLICY "own_posts_update" ON "posts" RENAME TO "authors_edit_own""#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn rename_policy(
        &mut self,
        table: impl Into<Name>,
        name: impl Into<Ident>,
        new_name: impl Into<Ident>,
    ) -> &mut Self {
        self.operations.push(Operation::RenamePolicy(RenamePolicy {
            table: table.into(),
            from: name.into(),
            to: new_name.into(),
        }));
        self
    }
}
