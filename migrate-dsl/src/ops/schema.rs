use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::Ident;
use crate::operation::Operation;
use crate::reverse::{may_have_skipped, Reverse};

/// `CREATE SCHEMA`, recorded by [`MigrationBuilder::create_schema`](crate::MigrationBuilder::create_schema).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateSchema {
    pub(crate) name: Ident,
    pub(crate) if_not_exists: bool,
    pub(crate) authorization: Option<Ident>,
    pub(crate) comment: Option<String>,
    pub(crate) drop_cascade: bool,
}

impl CreateSchema {
    /// `CREATE SCHEMA IF NOT EXISTS`: an existing schema is skipped (with a server notice, which the run
    /// shows). There is then no automatic reverse: dropping the schema could drop one this migration did not
    /// create.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_schema("app").if_not_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE SCHEMA IF NOT EXISTS "app""#]);
    /// assert!(pgm.reversed().unwrap_err().to_string().contains("may have existed before this migration"));
    /// ```
    pub fn if_not_exists(&mut self) -> &mut Self {
        self.if_not_exists = true;
        self
    }

    /// `AUTHORIZATION role`: the role that owns the schema (by default the role running the migration).
    /// Naming another role needs membership in it, or superuser.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_schema("reporting").authorization("analyst");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE SCHEMA "reporting" AUTHORIZATION "analyst""#]);
    /// ```
    pub fn authorization(&mut self, role: impl Into<Ident>) -> &mut Self {
        self.authorization = Some(role.into());
        self
    }

    /// A schema comment, written as `COMMENT ON SCHEMA` after the `CREATE SCHEMA`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_schema("app").comment("application tables");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE SCHEMA "app""#,
    ///     r#"COMMENT ON SCHEMA "app" IS 'application tables'"#,
    /// ]);
    /// ```
    pub fn comment(&mut self, text: impl Into<String>) -> &mut Self {
        self.comment = Some(text.into());
        self
    }

    /// The derived reverse drops the schema with `CASCADE`, together with everything created in it.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_schema("app").drop_cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE SCHEMA "app""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP SCHEMA "app" CASCADE"#]);
    /// ```
    pub fn drop_cascade(&mut self) -> &mut Self {
        self.drop_cascade = true;
        self
    }
}

/// `DROP SCHEMA`, recorded by [`MigrationBuilder::drop_schema`](crate::MigrationBuilder::drop_schema).
#[derive(Debug, Clone, PartialEq)]
pub struct DropSchema {
    pub(crate) name: Ident,
    pub(crate) if_exists: bool,
    pub(crate) cascade: bool,
}

impl DropSchema {
    /// `DROP SCHEMA IF EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_schema("legacy").if_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP SCHEMA IF EXISTS "legacy""#]);
    /// ```
    pub fn if_exists(&mut self) -> &mut Self {
        self.if_exists = true;
        self
    }

    /// `CASCADE`: also drop every object in the schema.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_schema("legacy").cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP SCHEMA "legacy" CASCADE"#]);
    /// ```
    pub fn cascade(&mut self) -> &mut Self {
        self.cascade = true;
        self
    }
}

/// `ALTER SCHEMA ... RENAME TO`, recorded by [`MigrationBuilder::rename_schema`](crate::MigrationBuilder::rename_schema).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameSchema {
    pub(crate) from: Ident,
    pub(crate) to: Ident,
}

impl Reverse for CreateSchema {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        if self.if_not_exists {
            return Err(ctx.irreversible(&may_have_skipped("IF NOT EXISTS", "schema")));
        }
        Ok(vec![DropSchema {
            name: self.name.clone(),
            if_exists: false,
            cascade: self.drop_cascade,
        }
        .into()])
    }
}

impl Reverse for DropSchema {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped schema's contents are not known"))
    }
}

impl Reverse for RenameSchema {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RenameSchema {
            from: self.to.clone(),
            to: self.from.clone(),
        }
        .into()])
    }
}
