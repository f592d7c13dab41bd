use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::reverse::Reverse;

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
    pub(crate) table: Name,
    pub(crate) name: Ident,
    pub(crate) restrictive: Option<bool>,
    pub(crate) command: Option<PolicyCommand>,
    pub(crate) roles: Vec<String>,
    pub(crate) using: Option<String>,
    pub(crate) with_check: Option<String>,
    pub(crate) comment: Option<String>,
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
    pub(crate) table: Name,
    pub(crate) name: Ident,
    pub(crate) roles: Vec<String>,
    pub(crate) using: Option<String>,
    pub(crate) with_check: Option<String>,
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
    pub(crate) table: Name,
    pub(crate) name: Ident,
    pub(crate) if_exists: bool,
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
    pub(crate) table: Name,
    pub(crate) from: Ident,
    pub(crate) to: Ident,
}

impl Reverse for CreatePolicy {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![DropPolicy {
            table: self.table.clone(),
            name: self.name.clone(),
            if_exists: false,
        }
        .into()])
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
        Ok(vec![RenamePolicy {
            table: self.table.clone(),
            from: self.to.clone(),
            to: self.from.clone(),
        }
        .into()])
    }
}
