//! Automatic reversal: each operation has its own typed reverse, so options recorded at create time (a
//! schema, a derived index name, `CONCURRENTLY`) reach the statement that undoes it.

use crate::error::DslError;
use crate::operation::Operation;
use crate::ops::*;
use crate::render::index_name;

/// The operations that undo `op`, recorded at 1-based `position`, or why there are none.
pub(crate) fn reverse(op: &Operation, position: usize) -> Result<Vec<Operation>, DslError> {
    let irreversible = |reason: &str| DslError::Irreversible {
        op: op.name(),
        position,
        reason: (!reason.is_empty()).then(|| reason.to_owned()),
    };
    Ok(match op {
        Operation::Sql(_) => {
            return Err(irreversible("raw SQL has no known reverse"));
        }
        Operation::Irreversible(o) => return Err(irreversible(&o.reason)),
        Operation::CreateTable(o) => {
            vec![DropTable {
                name: o.name.clone(),
                if_exists: false,
                cascade: false,
            }
            .into()]
        }
        Operation::DropTable(_) => {
            return Err(irreversible("the dropped table's definition is not known"))
        }
        Operation::RenameTable(o) => {
            vec![RenameTable {
                from: o.from.sibling(o.to.clone()),
                to: o.from.name.clone(),
            }
            .into()]
        }
        Operation::AddColumns(o) => vec![DropColumns {
            table: o.table.clone(),
            columns: o.columns.iter().map(|c| c.name.clone()).collect(),
            if_exists: false,
            cascade: false,
        }
        .into()],
        Operation::DropColumns(_) => {
            return Err(irreversible(
                "the dropped columns' definitions are not known",
            ))
        }
        Operation::RenameColumn(o) => {
            vec![RenameColumn {
                table: o.table.clone(),
                from: o.to.clone(),
                to: o.from.clone(),
            }
            .into()]
        }
        Operation::AlterColumn(_) => {
            return Err(irreversible(
                "the column's previous definition is not known",
            ))
        }
        Operation::CreateIndex(o) => {
            let name = index_name(op.name(), position, &o.table, &o.columns, &o.name, o.unique)?;
            vec![DropIndex {
                table: o.table.clone(),
                columns: Vec::new(),
                name: Some(name),
                unique: o.unique,
                concurrently: o.concurrently,
                if_exists: o.if_not_exists,
                cascade: false,
            }
            .into()]
        }
        Operation::DropIndex(_) => {
            return Err(irreversible("the dropped index's definition is not known"))
        }
        Operation::AddConstraint(o) => vec![DropConstraint {
            table: o.table.clone(),
            name: o.name.clone(),
            if_exists: false,
            cascade: false,
        }
        .into()],
        Operation::DropConstraint(_) => {
            return Err(irreversible(
                "the dropped constraint's definition is not known",
            ));
        }
        // Validation only proves existing rows: undoing it needs nothing.
        Operation::ValidateConstraint(_) => Vec::new(),
    })
}
