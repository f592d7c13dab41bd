//! Row-level-security policies.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::operation::Reverse;

mod render;
mod rust;

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
        self.record(CreatePolicy::new(table.into(), name.into()))
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
        self.record(AlterPolicy::new(table.into(), name.into()))
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
        self.record(DropPolicy::new(table.into(), name.into()))
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
    ) -> &mut RenamePolicy {
        self.record(RenamePolicy::new(
            table.into(),
            name.into(),
            new_name.into(),
        ))
    }
}

/// The command a row-level-security policy applies to (`FOR ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PolicyCommand {
    /// `ALL` (the default): every command.
    All,
    /// `SELECT`: which rows are visible (`USING` only).
    Select,
    /// `INSERT`: which new rows are allowed (`WITH CHECK` only).
    Insert,
    /// `UPDATE`: which rows can be updated (`USING`) and into what (`WITH CHECK`).
    Update,
    /// `DELETE`: which rows can be deleted (`USING` only).
    Delete,
}

impl PolicyCommand {
    pub(crate) fn as_sql(self) -> &'static str {
        match self {
            PolicyCommand::All => "ALL",
            PolicyCommand::Select => "SELECT",
            PolicyCommand::Insert => "INSERT",
            PolicyCommand::Update => "UPDATE",
            PolicyCommand::Delete => "DELETE",
        }
    }
}

/// `CREATE POLICY`, recorded by [`MigrationBuilder::create_policy`](crate::MigrationBuilder::create_policy).
#[derive(Debug, Clone, PartialEq)]
pub struct CreatePolicy {
    table: Name,
    name: Ident,
    restrictive: Option<bool>,
    command: Option<PolicyCommand>,
    roles: Vec<String>,
    using: Option<String>,
    with_check: Option<String>,
    comment: Option<String>,
}

impl CreatePolicy {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(table: Name, name: Ident) -> Self {
        CreatePolicy {
            table,
            name,
            restrictive: None,
            command: None,
            roles: Vec::new(),
            using: None,
            with_check: None,
            comment: None,
        }
    }
}

impl CreatePolicy {
    /// `AS RESTRICTIVE`: rows must pass this policy as well as one permissive policy.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_policy("posts", "not_deleted").restrictive().using("deleted_at IS NULL");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE POLICY "not_deleted" ON "posts" AS RESTRICTIVE USING (deleted_at IS NULL)"#]);
    /// ```
    pub fn restrictive(&mut self) -> &mut Self {
        self.restrictive = Some(true);
        self
    }

    /// `AS PERMISSIVE` (the default), written explicitly.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_policy("posts", "own_posts").permissive().using("author = current_user");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE POLICY "own_posts" ON "posts" AS PERMISSIVE USING (author = current_user)"#]);
    /// ```
    pub fn permissive(&mut self) -> &mut Self {
        self.restrictive = Some(false);
        self
    }

    /// `FOR command`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_policy("posts", "read_published").command(PolicyCommand::Select).using("published");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE POLICY "read_published" ON "posts" FOR SELECT USING (published)"#]);
    /// ```
    pub fn command(&mut self, command: PolicyCommand) -> &mut Self {
        self.command = Some(command);
        self
    }

    /// `TO roles`. Role names are quoted identifiers (so `"Editors"` keeps its case), except the keywords
    /// `PUBLIC`, `CURRENT_USER`, `SESSION_USER` and `CURRENT_ROLE`, recognised in any case.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_policy("posts", "editors_all").to(["Editors", "current_user"]).using("true");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE POLICY "editors_all" ON "posts" TO "Editors", CURRENT_USER USING (true)"#]);
    /// ```
    pub fn to<R: Into<String>>(&mut self, roles: impl IntoIterator<Item = R>) -> &mut Self {
        self.roles = roles.into_iter().map(Into::into).collect();
        self
    }

    /// `USING (expression)`: which existing rows the policy lets through.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_policy("posts", "own_posts").using("author = current_user");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE POLICY "own_posts" ON "posts" USING (author = current_user)"#]);
    /// ```
    pub fn using(&mut self, expression: impl Into<String>) -> &mut Self {
        self.using = Some(expression.into());
        self
    }

    /// `WITH CHECK (expression)`: which new or updated rows the policy accepts.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_policy("posts", "write_own").command(PolicyCommand::Insert).with_check("author = current_user");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE POLICY "write_own" ON "posts" FOR INSERT WITH CHECK (author = current_user)"#]);
    /// ```
    pub fn with_check(&mut self, expression: impl Into<String>) -> &mut Self {
        self.with_check = Some(expression.into());
        self
    }

    /// A comment, written as `COMMENT ON POLICY` after the `CREATE POLICY`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_policy("posts", "own_posts").using("true").comment("authors see their posts");
    /// assert_eq!(pgm.to_sql().unwrap()[1], r#"COMMENT ON POLICY "own_posts" ON "posts" IS 'authors see their posts'"#);
    /// ```
    pub fn comment(&mut self, text: impl Into<String>) -> &mut Self {
        self.comment = Some(text.into());
        self
    }
}

/// `ALTER POLICY`, recorded by [`MigrationBuilder::alter_policy`](crate::MigrationBuilder::alter_policy).
#[derive(Debug, Clone, PartialEq)]
pub struct AlterPolicy {
    table: Name,
    name: Ident,
    roles: Vec<String>,
    using: Option<String>,
    with_check: Option<String>,
}

impl AlterPolicy {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(table: Name, name: Ident) -> Self {
        AlterPolicy {
            table,
            name,
            roles: Vec::new(),
            using: None,
            with_check: None,
        }
    }
}

impl AlterPolicy {
    /// `TO roles`, quoted as in [`CreatePolicy::to`].
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_policy("posts", "own_posts").to(["PUBLIC"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER POLICY "own_posts" ON "posts" TO PUBLIC"#]);
    /// ```
    pub fn to<R: Into<String>>(&mut self, roles: impl IntoIterator<Item = R>) -> &mut Self {
        self.roles = roles.into_iter().map(Into::into).collect();
        self
    }

    /// A new `USING (expression)`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_policy("posts", "own_posts").using("author = session_user");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER POLICY "own_posts" ON "posts" USING (author = session_user)"#]);
    /// ```
    pub fn using(&mut self, expression: impl Into<String>) -> &mut Self {
        self.using = Some(expression.into());
        self
    }

    /// A new `WITH CHECK (expression)`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_policy("posts", "own_posts").with_check("author = session_user");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER POLICY "own_posts" ON "posts" WITH CHECK (author = session_user)"#]);
    /// ```
    pub fn with_check(&mut self, expression: impl Into<String>) -> &mut Self {
        self.with_check = Some(expression.into());
        self
    }
}

/// `DROP POLICY`, recorded by [`MigrationBuilder::drop_policy`](crate::MigrationBuilder::drop_policy).
#[derive(Debug, Clone, PartialEq)]
pub struct DropPolicy {
    table: Name,
    name: Ident,
    if_exists: bool,
}

impl DropPolicy {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(table: Name, name: Ident) -> Self {
        DropPolicy {
            table,
            name,
            if_exists: false,
        }
    }
}

impl DropPolicy {
    /// `DROP POLICY IF EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_policy("posts", "own_posts").if_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP POLICY IF EXISTS "own_posts" ON "posts""#]);
    /// ```
    pub fn if_exists(&mut self) -> &mut Self {
        self.if_exists = true;
        self
    }
}

/// `ALTER POLICY ... RENAME TO`, recorded by [`MigrationBuilder::rename_policy`](crate::MigrationBuilder::rename_policy).
#[derive(Debug, Clone, PartialEq)]
pub struct RenamePolicy {
    table: Name,
    from: Ident,
    to: Ident,
}

impl RenamePolicy {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(table: Name, from: Ident, to: Ident) -> Self {
        RenamePolicy { table, from, to }
    }
}

impl Reverse for CreatePolicy {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![
            DropPolicy::new(self.table.clone(), self.name.clone()).into()
        ])
    }
}

impl Reverse for AlterPolicy {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the policy's previous roles and expressions are not known"))
    }
}

impl Reverse for DropPolicy {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped policy's definition is not known"))
    }
}

impl Reverse for RenamePolicy {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RenamePolicy::new(
            self.table.clone(),
            self.to.clone(),
            self.from.clone(),
        )
        .into()])
    }
}
