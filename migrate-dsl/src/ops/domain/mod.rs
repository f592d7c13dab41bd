//! Domains.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{Ident, Name};
use crate::operation::Operation;
use crate::operation::Reverse;
use crate::value::Change;
use crate::value::Value;

mod render;
mod rust;

impl MigrationBuilder {
    /// `CREATE DOMAIN name AS data_type`, with a default, collation, `NOT NULL` and a check chained on it.
    /// Reversed by `DROP DOMAIN` (with `CASCADE` when [`drop_cascade`](CreateDomain::drop_cascade) was
    /// given). Unlike node-pg-migrate, `not_null` and `check` can be combined.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_domain(("app", "email"), "text")
    ///     .not_null()
    ///     .check("VALUE LIKE '%@%'")
    ///     .constraint_name("email_has_at");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE DOMAIN "app"."email" AS text NOT NULL CONSTRAINT "email_has_at" CHECK (VALUE LIKE '%@%')"#,
    /// ]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP DOMAIN "app"."email""#]);
    /// ```
    #[track_caller]
    pub fn create_domain(
        &mut self,
        name: impl Into<Name>,
        data_type: impl Into<String>,
    ) -> &mut CreateDomain {
        self.record(CreateDomain::new(name.into(), data_type.into()))
    }

    /// `ALTER DOMAIN name ...`: chain the changes; each becomes its own statement, as PostgreSQL takes one
    /// change per `ALTER DOMAIN`. Irreversible (the previous definition is not known), so a migration using it
    /// needs a `down`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_domain("quantity").set_default(0).set_not_null();
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER DOMAIN "quantity" SET DEFAULT 0"#,
    ///     r#"ALTER DOMAIN "quantity" SET NOT NULL"#,
    /// ]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn alter_domain(&mut self, name: impl Into<Name>) -> &mut AlterDomain {
        self.record(AlterDomain::new(name.into()))
    }

    /// `DROP DOMAIN name`. Irreversible: the domain's definition is not known to the builder.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_domain(("app", "email"));
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP DOMAIN "app"."email""#]);
    /// assert!(pgm.reversed().is_err());
    /// ```
    #[track_caller]
    pub fn drop_domain(&mut self, name: impl Into<Name>) -> &mut DropDomain {
        self.record(DropDomain::new(name.into()))
    }

    /// `ALTER DOMAIN name RENAME TO new_name` (the domain stays in its schema). Reversed by the opposite
    /// rename.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.rename_domain(("app", "email"), "email_address");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER DOMAIN "app"."email" RENAME TO "email_address""#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [
    ///     r#"ALTER DOMAIN "app"."email_address" RENAME TO "email""#,
    /// ]);
    /// ```
    #[track_caller]
    pub fn rename_domain(
        &mut self,
        name: impl Into<Name>,
        new_name: impl Into<Ident>,
    ) -> &mut RenameDomain {
        self.record(RenameDomain::new(name.into(), new_name.into()))
    }
}

/// `CREATE DOMAIN`, recorded by [`MigrationBuilder::create_domain`](crate::MigrationBuilder::create_domain).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateDomain {
    name: Name,
    data_type: String,
    collation: Option<Name>,
    default: Option<Value>,
    not_null: bool,
    check: Option<String>,
    constraint_name: Option<Ident>,
    comment: Option<String>,
    drop_cascade: bool,
}

impl CreateDomain {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name, data_type: String) -> Self {
        CreateDomain {
            name,
            data_type,
            collation: None,
            default: None,
            not_null: false,
            check: None,
            constraint_name: None,
            comment: None,
            drop_cascade: false,
        }
    }
}

impl CreateDomain {
    /// `COLLATE collation`, for a domain over a collatable type; qualify with a tuple
    /// (`("pg_catalog", "C")`) if needed.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_domain("code", "text").collation("C");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE DOMAIN "code" AS text COLLATE "C""#]);
    /// ```
    pub fn collation(&mut self, collation: impl Into<Name>) -> &mut Self {
        self.collation = Some(collation.into());
        self
    }

    /// `DEFAULT`: a literal or an [`expr`](crate::expr), used by columns of the domain that have no default
    /// of their own.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_domain("quantity", "integer").default(0);
    /// pgm.create_domain("label", "text").default("it's new");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE DOMAIN "quantity" AS integer DEFAULT 0"#,
    ///     r#"CREATE DOMAIN "label" AS text DEFAULT 'it''s new'"#,
    /// ]);
    /// ```
    pub fn default(&mut self, value: impl Into<Value>) -> &mut Self {
        self.default = Some(value.into());
        self
    }

    /// `NOT NULL`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_domain("email", "text").not_null();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE DOMAIN "email" AS text NOT NULL"#]);
    /// ```
    pub fn not_null(&mut self) -> &mut Self {
        self.not_null = true;
        self
    }

    /// `CHECK (expression)`, where `VALUE` stands for the value being checked. Name the constraint with
    /// [`constraint_name`](Self::constraint_name), or PostgreSQL names it `{domain}_check`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_domain("quantity", "integer").not_null().check("VALUE >= 0");
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"CREATE DOMAIN "quantity" AS integer NOT NULL CHECK (VALUE >= 0)"#]);
    /// ```
    pub fn check(&mut self, expression: impl Into<String>) -> &mut Self {
        self.check = Some(expression.into());
        self
    }

    /// `CONSTRAINT name` for the [`check`](Self::check); without a check it is refused.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_domain("quantity", "integer").check("VALUE >= 0").constraint_name("quantity_non_negative");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE DOMAIN "quantity" AS integer CONSTRAINT "quantity_non_negative" CHECK (VALUE >= 0)"#,
    /// ]);
    ///
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_domain("quantity", "integer").constraint_name("quantity_non_negative");
    /// assert!(pgm.to_sql().unwrap_err().to_string().contains("`check`"));
    /// ```
    pub fn constraint_name(&mut self, name: impl Into<Ident>) -> &mut Self {
        self.constraint_name = Some(name.into());
        self
    }

    /// A domain comment, written as `COMMENT ON DOMAIN` after the `CREATE DOMAIN`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_domain("email", "text").comment("an address as typed by the user");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"CREATE DOMAIN "email" AS text"#,
    ///     r#"COMMENT ON DOMAIN "email" IS 'an address as typed by the user'"#,
    /// ]);
    /// ```
    pub fn comment(&mut self, text: impl Into<String>) -> &mut Self {
        self.comment = Some(text.into());
        self
    }

    /// The derived reverse drops the domain with `CASCADE`, taking columns of the domain along.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_domain("email", "text").drop_cascade();
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), [r#"DROP DOMAIN "email" CASCADE"#]);
    /// ```
    pub fn drop_cascade(&mut self) -> &mut Self {
        self.drop_cascade = true;
        self
    }
}

/// `ALTER DOMAIN`, recorded by [`MigrationBuilder::alter_domain`](crate::MigrationBuilder::alter_domain).
/// PostgreSQL takes one change per statement, so each change is its own statement.
#[derive(Debug, Clone, PartialEq)]
pub struct AlterDomain {
    name: Name,
    /// `Some(None)` drops the default.
    default: Change<Value>,
    not_null: Option<bool>,
    check: Option<String>,
    constraint_name: Option<Ident>,
    not_valid: bool,
}

impl AlterDomain {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name) -> Self {
        AlterDomain {
            name,
            default: Change::Keep,
            not_null: None,
            check: None,
            constraint_name: None,
            not_valid: false,
        }
    }
}

impl AlterDomain {
    /// `SET DEFAULT`: a literal or an [`expr`](crate::expr).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_domain("quantity").set_default(1);
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER DOMAIN "quantity" SET DEFAULT 1"#]);
    /// ```
    pub fn set_default(&mut self, value: impl Into<Value>) -> &mut Self {
        self.default = Change::Set(value.into());
        self
    }

    /// `DROP DEFAULT`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_domain("quantity").drop_default();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER DOMAIN "quantity" DROP DEFAULT"#]);
    /// ```
    pub fn drop_default(&mut self) -> &mut Self {
        self.default = Change::Remove;
        self
    }

    /// `SET NOT NULL`: scans every column of the domain, failing if one holds a NULL.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_domain("quantity").set_not_null();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER DOMAIN "quantity" SET NOT NULL"#]);
    /// ```
    pub fn set_not_null(&mut self) -> &mut Self {
        self.not_null = Some(true);
        self
    }

    /// `DROP NOT NULL`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_domain("quantity").drop_not_null();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER DOMAIN "quantity" DROP NOT NULL"#]);
    /// ```
    pub fn drop_not_null(&mut self) -> &mut Self {
        self.not_null = Some(false);
        self
    }

    /// `ADD CHECK (expression)`: checks every existing value of the domain unless [`not_valid`](Self::not_valid).
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_domain("quantity").add_check("VALUE < 1000").constraint_name("quantity_small");
    /// assert_eq!(pgm.to_sql().unwrap(), [
    ///     r#"ALTER DOMAIN "quantity" ADD CONSTRAINT "quantity_small" CHECK (VALUE < 1000)"#,
    /// ]);
    /// ```
    pub fn add_check(&mut self, expression: impl Into<String>) -> &mut Self {
        self.check = Some(expression.into());
        self
    }

    /// `CONSTRAINT name` for the [`add_check`](Self::add_check); without a check it is refused.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_domain("quantity").set_not_null().constraint_name("quantity_small");
    /// assert!(pgm.to_sql().unwrap_err().to_string().contains("`add_check`"));
    /// ```
    pub fn constraint_name(&mut self, name: impl Into<Ident>) -> &mut Self {
        self.constraint_name = Some(name.into());
        self
    }

    /// `NOT VALID`: add the check without scanning existing values; only new values are checked until the
    /// constraint is validated.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.alter_domain("quantity").add_check("VALUE < 1000").not_valid();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"ALTER DOMAIN "quantity" ADD CHECK (VALUE < 1000) NOT VALID"#]);
    /// ```
    pub fn not_valid(&mut self) -> &mut Self {
        self.not_valid = true;
        self
    }
}

/// `DROP DOMAIN`, recorded by [`MigrationBuilder::drop_domain`](crate::MigrationBuilder::drop_domain).
#[derive(Debug, Clone, PartialEq)]
pub struct DropDomain {
    name: Name,
    if_exists: bool,
    cascade: bool,
}

impl DropDomain {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(name: Name) -> Self {
        DropDomain {
            name,
            if_exists: false,
            cascade: false,
        }
    }
}

impl DropDomain {
    /// `DROP DOMAIN IF EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_domain("email").if_exists();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP DOMAIN IF EXISTS "email""#]);
    /// ```
    pub fn if_exists(&mut self) -> &mut Self {
        self.if_exists = true;
        self
    }

    /// `CASCADE`: also drop the columns of the domain.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_domain("email").cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), [r#"DROP DOMAIN "email" CASCADE"#]);
    /// ```
    pub fn cascade(&mut self) -> &mut Self {
        self.cascade = true;
        self
    }
}

/// `ALTER DOMAIN ... RENAME TO`, recorded by [`MigrationBuilder::rename_domain`](crate::MigrationBuilder::rename_domain).
#[derive(Debug, Clone, PartialEq)]
pub struct RenameDomain {
    from: Name,
    to: Ident,
}

impl RenameDomain {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(from: Name, to: Ident) -> Self {
        RenameDomain { from, to }
    }
}

impl Reverse for CreateDomain {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![DropDomain {
            cascade: self.drop_cascade,
            ..DropDomain::new(self.name.clone())
        }
        .into()])
    }
}

impl Reverse for AlterDomain {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the domain's previous definition is not known"))
    }
}

impl Reverse for DropDomain {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped domain's definition is not known"))
    }
}

impl Reverse for RenameDomain {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![RenameDomain::new(
            self.from.sibling(self.to.clone()),
            self.from.name.clone(),
        )
        .into()])
    }
}
