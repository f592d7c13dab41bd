//! Casts between types.

use crate::builder::MigrationBuilder;
use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::Name;
use crate::operation::Operation;
use crate::operation::Reverse;

mod render;
mod rust;
pub(crate) use render::check_type;

impl MigrationBuilder {
    /// `CREATE CAST (source AS target) method`. Types are SQL text. Reversed by `DROP CAST`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_cast("cents", "numeric", CastMethod::Function {
    ///     name: ("app", "cents_to_numeric").into(),
    ///     arguments: vec!["cents".into()],
    /// });
    /// assert_eq!(pgm.to_sql().unwrap(),
    ///     [r#"CREATE CAST (cents AS numeric) WITH FUNCTION "app"."cents_to_numeric"(cents)"#]);
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), ["DROP CAST (cents AS numeric)"]);
    /// ```
    #[track_caller]
    pub fn create_cast(
        &mut self,
        source: impl Into<String>,
        target: impl Into<String>,
        method: CastMethod,
    ) -> &mut CreateCast {
        self.record(CreateCast::new(
            source.into(),
            target.into(),
            method,
            CastContext::Explicit,
        ))
    }

    /// `DROP CAST (source AS target)`. No automatic reverse.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_cast("cents", "numeric");
    /// assert_eq!(pgm.to_sql().unwrap(), ["DROP CAST (cents AS numeric)"]);
    /// ```
    #[track_caller]
    pub fn drop_cast(
        &mut self,
        source: impl Into<String>,
        target: impl Into<String>,
    ) -> &mut DropCast {
        self.record(DropCast::new(source.into(), target.into()))
    }
}

/// How a cast converts.
#[derive(Debug, Clone, PartialEq)]
pub enum CastMethod {
    /// `WITH FUNCTION name(argument types)`.
    Function { name: Name, arguments: Vec<String> },
    /// `WITHOUT FUNCTION`: the types are binary-coercible.
    WithoutFunction,
    /// `WITH INOUT`: through the types' text output and input functions.
    Inout,
}

/// When a cast applies without being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CastContext {
    /// Only explicit `CAST(..)` / `::` (the default).
    Explicit,
    /// `AS ASSIGNMENT`: also in assignments (`INSERT`, `UPDATE`).
    Assignment,
    /// `AS IMPLICIT`: anywhere.
    Implicit,
}

/// `CREATE CAST (source AS target)`, recorded by [`MigrationBuilder::create_cast`](crate::MigrationBuilder::create_cast).
#[derive(Debug, Clone, PartialEq)]
pub struct CreateCast {
    source: String,
    target: String,
    method: CastMethod,
    context: CastContext,
    drop_cascade: bool,
}

impl CreateCast {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(
        source: String,
        target: String,
        method: CastMethod,
        context: CastContext,
    ) -> Self {
        CreateCast {
            source,
            target,
            method,
            context,
            drop_cascade: false,
        }
    }
}

impl CreateCast {
    /// `AS ASSIGNMENT`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_cast("money_amount", "numeric", CastMethod::Inout).as_assignment();
    /// assert_eq!(pgm.to_sql().unwrap(), ["CREATE CAST (money_amount AS numeric) WITH INOUT AS ASSIGNMENT"]);
    /// ```
    pub fn as_assignment(&mut self) -> &mut Self {
        self.context = CastContext::Assignment;
        self
    }

    /// `AS IMPLICIT`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_cast("cents", "bigint", CastMethod::WithoutFunction).as_implicit();
    /// assert_eq!(pgm.to_sql().unwrap(), ["CREATE CAST (cents AS bigint) WITHOUT FUNCTION AS IMPLICIT"]);
    /// ```
    pub fn as_implicit(&mut self) -> &mut Self {
        self.context = CastContext::Implicit;
        self
    }

    /// The reverse `DROP CAST` gets `CASCADE`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.create_cast("cents", "bigint", CastMethod::WithoutFunction).drop_cascade();
    /// assert_eq!(pgm.reversed().unwrap().to_sql().unwrap(), ["DROP CAST (cents AS bigint) CASCADE"]);
    /// ```
    pub fn drop_cascade(&mut self) -> &mut Self {
        self.drop_cascade = true;
        self
    }
}

impl Reverse for CreateCast {
    fn reverse(&self, _ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Ok(vec![DropCast {
            cascade: self.drop_cascade,
            ..DropCast::new(self.source.clone(), self.target.clone())
        }
        .into()])
    }
}

/// `DROP CAST (source AS target)`, recorded by [`MigrationBuilder::drop_cast`](crate::MigrationBuilder::drop_cast).
#[derive(Debug, Clone, PartialEq)]
pub struct DropCast {
    source: String,
    target: String,
    if_exists: bool,
    cascade: bool,
}

impl DropCast {
    /// The operation with its required parts; the options start unset.
    pub(crate) fn new(source: String, target: String) -> Self {
        DropCast {
            source,
            target,
            if_exists: false,
            cascade: false,
        }
    }
}

impl DropCast {
    /// `IF EXISTS`.
    ///
    /// ```
    /// use migrate_dsl::prelude::*;
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.drop_cast("cents", "bigint").if_exists().cascade();
    /// assert_eq!(pgm.to_sql().unwrap(), ["DROP CAST IF EXISTS (cents AS bigint) CASCADE"]);
    /// ```
    pub fn if_exists(&mut self) -> &mut Self {
        self.if_exists = true;
        self
    }

    /// `CASCADE`.
    pub fn cascade(&mut self) -> &mut Self {
        self.cascade = true;
        self
    }
}

impl Reverse for DropCast {
    fn reverse(&self, ctx: Ctx) -> Result<Vec<Operation>, DslError> {
        Err(ctx.irreversible("the dropped cast's method and context are not known"))
    }
}
