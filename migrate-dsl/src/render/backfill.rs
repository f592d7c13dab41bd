//! Backfills run batch by batch in the engine, so what is rendered here is what a reviewer needs: the plan
//! as a comment and the statement each batch runs (`$1` is the primary key where the previous batch ended).

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::ops::{Backfill, BatchWork};
use crate::quote::quote_name;

use super::Render;

impl Render for Backfill {
    fn outside_transaction(&self) -> bool {
        // Each batch commits on its own; inside one transaction the batches would be one big UPDATE.
        true
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        if self.batch_size == 0 {
            return Err(ctx.invalid("batch_size must be at least 1"));
        }
        let table = quote_name(&self.table);
        let filter = self
            .where_clause
            .as_ref()
            .map(|w| format!(" AND ({w})"))
            .unwrap_or_default();
        let pause = if self.pause.is_zero() {
            String::new()
        } else {
            format!(", pausing {} ms after each", self.pause.as_millis())
        };
        let plan = format!(
            "-- backfill {table} in batches of {} rows in primary-key order, each batch its own transaction{pause}; resumes where it stopped",
            self.batch_size
        );
        let keys = format!(
            "SELECT <primary key> FROM {table} WHERE <primary key> > $1{filter} ORDER BY <primary key> LIMIT {}",
            self.batch_size
        );
        let batch = match &self.work {
            BatchWork::Set(assignments) => {
                if assignments.trim().is_empty() {
                    return Err(ctx.invalid("empty SET assignments"));
                }
                format!("-- each batch: UPDATE {table} SET {assignments} WHERE <primary key> IN ({keys})")
            }
            BatchWork::Rust(_) => format!(
                "-- each batch: {} and Rust code over those rows, in the batch's transaction",
                keys.replacen("SELECT <primary key>", "SELECT *", 1)
            ),
        };
        Ok(vec![plan, batch])
    }
}
