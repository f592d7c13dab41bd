//! Extensions.

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
    /// `CREATE EXTENSION name`, one statement per name, in order. Reversed by one `DROP EXTENSION` of them all
    /// (with `IF EXISTS` and `CASCADE` when [`if_not_exists`](CreateExtension::if_not_exists) and
    /// [`drop_cascade`](CreateExtension::drop_cascade) were given).
    ///
    /// Extensions need privileges: a superuser, or for extensions marked trusted (`citext`, `hstore`,
    /// `pgcrypto`, ...) the `CREATE` privilege on the database. The extension must also be installed on the
    /// server (see `pg_available_extensions`).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_extension(["citext", "uuid-ossp"]);
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE EXTENSION "citext""#,
    ///     r#"CREATE EXTENSION "uuid-ossp""#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP EXTENSION "citext", "uuid-ossp""#]);
    /// ```
    #[track_caller]
    pub fn create_extension<I: Into<Ident>>(
        &mut self,
        names: impl IntoIterator<Item = I>,
    ) -> &mut CreateExtension {
        self.record(CreateExtension::new(
            names.into_iter().map(Into::into).collect(),
        ))
    }

    /// `DROP EXTENSION name, ...` in one statement. Irreversible: the extensions' schema and version, and
    /// what `CASCADE` dropped with them, are not known. Needs ownership of the extensions (or superuser).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_extension(["citext", "hstore"]).if_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP EXTENSION IF EXISTS "citext", "hstore""#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn drop_extension<I: Into<Ident>>(
        &mut self,
        names: impl IntoIterator<Item = I>,
    ) -> &mut DropExtension {
        self.record(DropExtension::new(
            names.into_iter().map(Into::into).collect(),
        ))
    }
}

/// `CREATE EXTENSION`, recorded by [`MigrationBuilder::create_extension`](crate::MigrationBuilder::create_extension).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateExtension {
    names: Vec<Ident>,
    if_not_exists: bool,
    schema: Option<Ident>,
    comment: Option<String>,
    drop_cascade: bool,
}

impl CreateExtension {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(names: Vec<Ident>) -> Self {
        CreateExtension {
            names,
            if_not_exists: false,
            schema: None,
            comment: None,
            drop_cascade: false,
        }
    }
}

impl CreateExtension {
    /// `CREATE EXTENSION IF NOT EXISTS`: an installed extension is skipped (with a server notice, which the
    /// run shows). There is then no automatic reverse: dropping the extension could drop one this migration
    /// did not install, and everything using it.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_extension(["citext"]).if_not_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE EXTENSION IF NOT EXISTS "citext""#]);
    /// assert!(pgm.reversed().unwrap_err().to_string().contains("may have existed before this migration"));
    /// ```
    pub fn if_not_exists(&mut self) -> &mut Self {
        self.if_not_exists = true;
        self
    }

    /// `SCHEMA name`: the schema that receives the extension's objects (it must exist).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_extension(["hstore", "citext"]).schema("extensions");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE EXTENSION "hstore" SCHEMA "extensions""#,
    ///     r#"CREATE EXTENSION "citext" SCHEMA "extensions""#,
    /// ]);
    /// ```
    pub fn schema(&mut self, schema: impl Into<Ident>) -> &mut Self {
        self.schema = Some(schema.into());
        self
    }

    /// An extension comment, written as `COMMENT ON EXTENSION`, replacing the one the extension ships with.
    /// Only for a single extension: one comment for several would be a copy-paste accident.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_extension(["citext"]).comment("case-insensitive emails");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE EXTENSION "citext""#,
    ///     r#"COMMENT ON EXTENSION "citext" IS 'case-insensitive emails'"#,
    /// ]);
    /// ```
    pub fn comment(&mut self, text: impl Into<String>) -> &mut Self {
        self.comment = Some(text.into());
        self
    }

    /// The derived reverse drops the extensions with `CASCADE`, taking columns and objects that use their
    /// types and functions along.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_extension(["citext"]).drop_cascade();
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP EXTENSION "citext" CASCADE"#]);
    /// ```
    pub fn drop_cascade(&mut self) -> &mut Self {
        self.drop_cascade = true;
        self
    }
}

/// `DROP EXTENSION`, recorded by [`MigrationBuilder::drop_extension`](crate::MigrationBuilder::drop_extension).
#[derive(Debug, Clone, PartialEq)]
pub struct DropExtension {
    names: Vec<Ident>,
    if_exists: bool,
    cascade: bool,
}

impl DropExtension {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(names: Vec<Ident>) -> Self {
        DropExtension {
            names,
            if_exists: false,
            cascade: false,
        }
    }
}

impl DropExtension {
    /// `DROP EXTENSION IF EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_extension(["citext"]).if_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP EXTENSION IF EXISTS "citext""#]);
    /// ```
    pub fn if_exists(&mut self) -> &mut Self {
        self.if_exists = true;
        self
    }

    /// `CASCADE`: also drop the objects that use the extension's types and functions.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_extension(["citext"]).cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP EXTENSION "citext" CASCADE"#]);
    /// ```
    pub fn cascade(&mut self) -> &mut Self {
        self.cascade = true;
        self
    }
}

impl Reverse for CreateExtension {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        if self.if_not_exists {
            return Err(ctx.irreversible(&may_have_skipped("IF NOT EXISTS", "extension")));
        }
        Ok(vec![DropExtension {
            cascade: self.drop_cascade,
            ..DropExtension::new(self.names.clone())
        }
        .into()])
    }
}

impl Reverse for DropExtension {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible(
            "the dropped extensions' schema, version and the objects dropped with them are not known",
        ))
    }
}
