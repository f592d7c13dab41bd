//! Casts between types.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::Name;
use crate::operation::Operation;
use crate::reverse::Reverse;

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
    pub(crate) source: String,
    pub(crate) target: String,
    pub(crate) method: CastMethod,
    pub(crate) context: CastContext,
    pub(crate) drop_cascade: bool,
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
            source: self.source.clone(),
            target: self.target.clone(),
            if_exists: false,
            cascade: self.drop_cascade,
        }
        .into()])
    }
}

/// `DROP CAST (source AS target)`, recorded by [`MigrationBuilder::drop_cast`](crate::MigrationBuilder::drop_cast).
#[derive(Debug, Clone, PartialEq)]
pub struct DropCast {
    pub(crate) source: String,
    pub(crate) target: String,
    pub(crate) if_exists: bool,
    pub(crate) cascade: bool,
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
