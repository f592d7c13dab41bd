//! Schemas.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::Ident;
use crate::operation::Operation;
use crate::operation::Reverse;
use crate::reverse::may_have_skipped;

mod render;
mod rust;

impl MigrationBuilder {
    /// `CREATE SCHEMA name`. Reversed by `DROP SCHEMA` (with `CASCADE` when
    /// [`drop_cascade`](CreateSchema::drop_cascade) was given); with
    /// [`if_not_exists`](CreateSchema::if_not_exists) there is no automatic reverse.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_schema("app").authorization("app_owner");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE SCHEMA "app" AUTHORIZATION "app_owner""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP SCHEMA "app""#]);
    /// ```
    #[track_caller]
    pub fn create_schema(&mut self, name: impl Into<Ident>) -> &mut CreateSchema {
        self.record(CreateSchema::new(name.into()))
    }

    /// `DROP SCHEMA name`. Irreversible: what the schema held is not known to the builder.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_schema("legacy").if_exists().cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP SCHEMA IF EXISTS "legacy" CASCADE"#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn drop_schema(&mut self, name: impl Into<Ident>) -> &mut DropSchema {
        self.record(DropSchema::new(name.into()))
    }

    /// `ALTER SCHEMA name RENAME TO new_name`. Reversed by the opposite rename. Code and `search_path`
    /// settings that name the old schema stop finding it.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_schema("app", "core");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER SCHEMA "app" RENAME TO "core""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"ALTER SCHEMA "core" RENAME TO "app""#]);
    /// ```
    #[track_caller]
    pub fn rename_schema(
        &mut self,
        name: impl Into<Ident>,
        new_name: impl Into<Ident>,
    ) -> &mut RenameSchema {
        self.record(RenameSchema::new(name.into(), new_name.into()))
    }
}

/// `CREATE SCHEMA`, recorded by [`MigrationBuilder::create_schema`](crate::MigrationBuilder::create_schema).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateSchema {
    name: Ident,
    if_not_exists: bool,
    authorization: Option<Ident>,
    comment: Option<String>,
    drop_cascade: bool,
}

impl CreateSchema {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Ident) -> Self {
        CreateSchema {
            name,
            if_not_exists: false,
            authorization: None,
            comment: None,
            drop_cascade: false,
        }
    }
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
    name: Ident,
    if_exists: bool,
    cascade: bool,
}

impl DropSchema {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Ident) -> Self {
        DropSchema {
            name,
            if_exists: false,
            cascade: false,
        }
    }
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
    from: Ident,
    to: Ident,
}

impl RenameSchema {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(from: Ident, to: Ident) -> Self {
        RenameSchema { from, to }
    }
}

impl Reverse for CreateSchema {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        if self.if_not_exists {
            return Err(ctx.irreversible(&may_have_skipped("IF NOT EXISTS", "schema")));
        }
        Ok(vec![DropSchema {
            cascade: self.drop_cascade,
            ..DropSchema::new(self.name.clone())
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
        Ok(vec![
            RenameSchema::new(self.to.clone(), self.from.clone()).into()
        ])
    }
}
