//! The closed set of operations a migration can record.

use crate::ops::*;

/// One recorded operation. The variant names mirror node-pg-migrate's `pgm.*` methods in snake_case.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Operation {
    Sql(Sql),
    Irreversible(Irreversible),
    CreateTable(CreateTable),
    DropTable(DropTable),
    RenameTable(RenameTable),
    AddColumns(AddColumns),
    DropColumns(DropColumns),
    RenameColumn(RenameColumn),
    AlterColumn(AlterColumn),
    CreateIndex(CreateIndex),
    DropIndex(DropIndex),
    AddConstraint(AddConstraint),
    DropConstraint(DropConstraint),
    ValidateConstraint(ValidateConstraint),
}

impl Operation {
    /// The builder method that records this operation, as shown in errors and plans.
    pub fn name(&self) -> &'static str {
        match self {
            Operation::Sql(_) => "sql",
            Operation::Irreversible(_) => "irreversible",
            Operation::CreateTable(_) => "create_table",
            Operation::DropTable(_) => "drop_table",
            Operation::RenameTable(_) => "rename_table",
            Operation::AddColumns(_) => "add_columns",
            Operation::DropColumns(_) => "drop_columns",
            Operation::RenameColumn(_) => "rename_column",
            Operation::AlterColumn(_) => "alter_column",
            Operation::CreateIndex(_) => "create_index",
            Operation::DropIndex(_) => "drop_index",
            Operation::AddConstraint(_) => "add_constraint",
            Operation::DropConstraint(_) => "drop_constraint",
            Operation::ValidateConstraint(_) => "validate_constraint",
        }
    }

    /// Whether PostgreSQL refuses to run this operation inside a transaction block.
    pub fn requires_no_transaction(&self) -> bool {
        match self {
            Operation::CreateIndex(op) => op.concurrently,
            Operation::DropIndex(op) => op.concurrently,
            _ => false,
        }
    }
}

macro_rules! impl_from_op {
    ($($variant:ident),* $(,)?) => {
        $(impl From<$variant> for Operation {
            fn from(op: $variant) -> Self {
                Operation::$variant(op)
            }
        })*
    };
}

impl_from_op!(
    Sql,
    Irreversible,
    CreateTable,
    DropTable,
    RenameTable,
    AddColumns,
    DropColumns,
    RenameColumn,
    AlterColumn,
    CreateIndex,
    DropIndex,
    AddConstraint,
    DropConstraint,
    ValidateConstraint,
);
