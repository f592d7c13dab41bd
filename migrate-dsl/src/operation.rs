//! The closed set of operations a migration can record.
//!
//! Adding an operation: define its struct (and `impl Reverse`) in `ops/<kind>.rs`, `impl Render` in
//! `render/<kind>.rs`, the builder method with a doctest in `builder/<kind>.rs`, and one line in the list below.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::ops::*;
use crate::render::Render;
use crate::reverse::Reverse;

macro_rules! operations {
    ($($variant:ident => $name:literal,)*) => {
        /// One recorded operation. The variant names mirror node-pg-migrate's `pgm.*` methods; [`name`](Self::name)
        /// gives the builder method in snake_case.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum Operation {
            $(
                #[doc = concat!("Recorded by `pgm.", $name, "(..)`.")]
                $variant($variant),
            )*
        }

        impl Operation {
            /// The builder method that records this operation, as shown in errors and plans.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Operation::$variant(_) => $name,)*
                }
            }

            /// Whether PostgreSQL refuses to run this operation inside a transaction block.
            pub fn requires_no_transaction(&self) -> bool {
                match self {
                    $(Operation::$variant(op) => Render::outside_transaction(op),)*
                }
            }

            /// The SQL statements of the operation recorded at 1-based `position`.
            pub(crate) fn render(&self, position: usize) -> Result<Vec<String>, DslError> {
                let ctx = Ctx { op: self.name(), position };
                match self {
                    $(Operation::$variant(op) => Render::render(op, ctx),)*
                }
            }

            /// The operations that undo the one recorded at 1-based `position`.
            pub(crate) fn reverse(&self, position: usize) -> Result<Vec<Operation>, DslError> {
                let ctx = Ctx { op: self.name(), position };
                match self {
                    $(Operation::$variant(op) => Reverse::reverse(op, ctx),)*
                }
            }
        }

        $(
            impl From<$variant> for Operation {
                fn from(op: $variant) -> Self {
                    Operation::$variant(op)
                }
            }
        )*
    };
}

operations! {
    // Raw SQL and markers
    Sql => "sql",
    Irreversible => "irreversible",
    // Tables
    CreateTable => "create_table",
    DropTable => "drop_table",
    RenameTable => "rename_table",
    AlterTable => "alter_table",
    // Columns
    AddColumns => "add_columns",
    DropColumns => "drop_columns",
    RenameColumn => "rename_column",
    AlterColumn => "alter_column",
    // Indexes
    CreateIndex => "create_index",
    DropIndex => "drop_index",
    RenameIndex => "rename_index",
    // Constraints
    AddConstraint => "add_constraint",
    DropConstraint => "drop_constraint",
    ValidateConstraint => "validate_constraint",
    RenameConstraint => "rename_constraint",
}
