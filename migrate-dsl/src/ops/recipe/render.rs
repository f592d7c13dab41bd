//! Composite recipes.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{quote_ident, quote_name};
use crate::ops::SetNotNull;
use crate::render::Render;
use crate::safeguard::{Object, Safeguard};

/// Four statements in three transactions: the check is added `NOT VALID` (a brief `ACCESS EXCLUSIVE`),
/// validated in its own transaction (`SHARE UPDATE EXCLUSIVE`: reads and writes go on during the scan),
/// then `SET NOT NULL` finds the valid check and skips its own scan (PostgreSQL 12+), and the check is
/// dropped. The first statement drops a leftover check of a failed earlier run, so the migration can be
/// run again.
impl Render for SetNotNull {
    fn starts_transaction(&self, index: usize) -> bool {
        index == 1 || index == 2
    }

    // The leftover it drops must be its own: a constraint of that name that an earlier attempt did not add
    // belongs to someone else.
    // And the column must allow NULLs before: otherwise the recipe changes nothing, and its reverse (DROP
    // NOT NULL) would remove a NOT NULL it did not add.
    fn safeguard(&self, index: usize) -> Option<Safeguard> {
        match index {
            0 => Some(Safeguard::ClearsLeftover(Object::Constraint {
                name: self.check_name(),
                table: self.table.clone(),
            })),
            2 => Some(Safeguard::SetsNotNull(Object::Column {
                table: self.table.clone(),
                column: self.column.clone(),
            })),
            _ => None,
        }
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        ctx.ident(&self.column, "column")?;
        let check = self.check_name();
        ctx.ident(&check, "check constraint (<table>_<column>_not_null)")?;
        let table = quote_name(&self.table);
        let column = quote_ident(&self.column);
        let check = quote_ident(&check);
        Ok(vec![
            format!(
                "ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {check}, ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID"
            ),
            format!("ALTER TABLE {table} VALIDATE CONSTRAINT {check}"),
            format!("ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL"),
            format!("ALTER TABLE {table} DROP CONSTRAINT {check}"),
        ])
    }
}
