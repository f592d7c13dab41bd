//! The `pgm` migration builder: typed PostgreSQL DDL operations, their SQL and their automatic reverse.
//!
//! A migration file brings the builder into scope with `use migrate_dsl::prelude::*;` and records operations
//! on the [`MigrationBuilder`] it is given. Recording never touches the database: operations are inert data
//! ([`Operation`]); [`MigrationBuilder::statements`] renders them and [`MigrationBuilder::reversed`] derives
//! the `down` of a migration that has none.
//!
//! Rules that hold for every operation:
//! - names are identifiers and are always quoted; schema-qualify with a tuple `("app", "posts")`;
//! - literal values and SQL expressions are different types ([`Value`], [`expr`]);
//! - names longer than PostgreSQL's 63 bytes are refused instead of being silently truncated.
#![forbid(unsafe_code)]
#![deny(missing_debug_implementations)]

mod builder;
mod ctx;
mod error;
mod name;
mod operation;
mod ops;
mod quote;
mod render;
mod reverse;
mod safeguard;
mod split;
mod to_rust;
mod value;

pub use builder::{MigrationBuilder, Statement};
pub use error::DslError;
pub use name::{Ident, Name, MAX_IDENTIFIER_BYTES};
pub use operation::Operation;
pub use ops::*;
/// The driver data code ([`MigrationBuilder::db`]) talks through, for its types.
pub use postgres;
pub use quote::{ident, literal};
pub use safeguard::{GrantCheck, Object, Safeguard};
pub use split::{split_statements, SplitStatement};
pub use to_rust::rust_literal;
pub use value::{expr, Value};

/// Everything a migration file needs: `use migrate_dsl::prelude::*;`.
pub mod prelude {
    pub use crate::{
        column, expr, ident, literal, param, CastMethod, CheckOption, Column, Constraint, FkAction,
        FunctionParam, IndexColumn, MigrationBuilder, OperatorMember, PolicyCommand, Privilege,
        TypeDefinition, Value,
    };
    // Table, column, constraint and index options.
    pub use crate::{
        FkMatch, Identity, IdentityKind, Like, LikeOption, PartitionBound, PartitionStrategy,
        RowLevelSecurity,
    };
}
