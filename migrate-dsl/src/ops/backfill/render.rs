//! Backfills run batch by batch in the engine, so what is rendered here is what a reviewer needs: the plan
//! as a comment and the statement each batch runs (`$1` is the primary key where the previous batch ended;
//! `$1, $2, ..` for a composite key).

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::quote_name;
use crate::ops::{Backfill, BatchWork, DropKeptValues};
use crate::quote::ident;
use crate::render::Render;

impl Render for Backfill {
    fn outside_transaction(&self) -> bool {
        // Each batch commits on its own; inside one transaction the batches would be one big UPDATE. A
        // background job is only queued by the migration: the queueing is part of its transaction.
        !self.background
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        if self.batch_size == 0 {
            return Err(ctx.invalid("batch_size must be at least 1"));
        }
        if let BatchWork::Set(assignments) = &self.work
            && assignments.trim().is_empty()
        {
            return Err(ctx.invalid("empty SET assignments"));
        }
        if self.keep_previous && self.assigned_columns().is_none() {
            return Err(ctx.invalid(
                "keep_previous_values needs SQL assignments whose columns can be read (`col = expr, ..`): \
                 the columns Rust batch code or unusual assignments write are not known",
            ));
        }
        if self.keep_previous && self.background {
            return Err(ctx.invalid(
                "keep_previous_values is not available for a background job: run the backfill in the \
                 migration (without in_background) to keep the values it overwrites",
            ));
        }
        let pacing = &self.pacing;
        if let Some((min, max)) = pacing.batch_bounds
            && (min == 0 || min > max)
        {
            return Err(ctx.invalid(format!(
                "adaptive_batch_size({min}, {max}): the bounds must be 1 <= min <= max"
            )));
        }
        if pacing.target_batch_time.is_some_and(|t| t.is_zero()) {
            return Err(ctx.invalid("target_batch_time must be more than zero"));
        }
        if let Some(limit) = &pacing.max_replica_lag
            && (limit.max_bytes() == Some(0) || limit.max_time().is_some_and(|t| t.is_zero()))
        {
            return Err(ctx.invalid(
                    "max_replica_lag of zero would wait for ever; use LagLimit::off() to watch no replica",
                ));
        }
        if pacing
            .pause_while
            .as_deref()
            .is_some_and(|sql| sql.trim().is_empty())
        {
            return Err(ctx.invalid("pause_while needs a query"));
        }
        let mut out = self.plan_sql(None);
        out.push(
            "-- <primary key>: the table's primary key columns, read when the backfill starts (`sql` against a database where the table exists shows them)"
                .to_owned(),
        );
        Ok(out)
    }
}

impl Render for DropKeptValues {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        Ok(vec![format!(
            "-- drop the values backfills of {} kept for their downs (side tables next to the migrations table, run by the engine): those downs can no longer restore them",
            quote_name(&self.table)
        )])
    }
}

impl Backfill {
    /// The plan as comments: how the table is walked, and the statement each batch runs. `primary_key` is
    /// the table's primary key columns (unquoted, in key order) when known; otherwise `<primary key>` stands
    /// in for them.
    ///
    /// ```
    /// use migrate_dsl::{prelude::*, Operation};
    /// let mut pgm = MigrationBuilder::new();
    /// pgm.backfill("pairs", "label = a || '/' || b").batch_size(300);
    /// let Some(Operation::Backfill(spec)) = pgm.operations().first() else { unreachable!() };
    /// assert_eq!(spec.plan_sql(Some(&["a".to_owned(), "b".to_owned()])), [
    ///     r#"-- backfill "pairs" in batches of 300 rows in primary-key order ("a", "b"), each batch its own transaction; resumes where it stopped"#,
    ///     r#"-- each batch: UPDATE "pairs" SET label = a || '/' || b WHERE ("a", "b") IN (SELECT "a", "b" FROM "pairs" WHERE ("a", "b") > ($1, $2) ORDER BY "a", "b" LIMIT 300)"#,
    /// ]);
    /// ```
    pub fn plan_sql(&self, primary_key: Option<&[String]>) -> Vec<String> {
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
        // The key as a select list, as one value to compare (a row for a composite key), and where the
        // previous batch ended.
        let (columns, key, after, order) = match primary_key {
            Some(columns) if !columns.is_empty() => {
                let list = columns
                    .iter()
                    .map(|c| ident(c))
                    .collect::<Vec<_>>()
                    .join(", ");
                if columns.len() == 1 {
                    (
                        list.clone(),
                        list.clone(),
                        "$1".to_owned(),
                        format!(" ({list})"),
                    )
                } else {
                    let params = (1..=columns.len())
                        .map(|i| format!("${i}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    (
                        list.clone(),
                        format!("({list})"),
                        format!("({params})"),
                        format!(" ({list})"),
                    )
                }
            }
            _ => (
                "<primary key>".to_owned(),
                "<primary key>".to_owned(),
                "$1".to_owned(),
                String::new(),
            ),
        };
        // A size that adapts is known batch by batch only.
        let (batches, limit) = if self.pacing.fixed_size {
            (
                format!("in batches of {} rows", self.batch_size),
                self.batch_size.to_string(),
            )
        } else {
            (
                format!(
                    "in batches sized toward the target batch time ({} rows at first)",
                    self.batch_size
                ),
                "<batch size>".to_owned(),
            )
        };
        let quoted_columns = || {
            self.assigned_columns()
                .unwrap_or_default()
                .iter()
                .map(|c| ident(c))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let plan = match &self.work {
            BatchWork::Restore { up_position, .. } => format!(
                "-- restore {} of {table} from the values the backfill at position {up_position} of the up kept, {batches} in primary-key order{order}, each batch its own transaction{pause}; then drop the side table",
                quoted_columns()
            ),
            _ if self.background => format!(
                "-- queue a background job (run by `migrate work`): backfill {table} {batches} in primary-key order{order}, each batch its own transaction{pause}"
            ),
            _ => format!(
                "-- backfill {table} {batches} in primary-key order{order}, each batch its own transaction{pause}; resumes where it stopped"
            ),
        };
        let rows =
            format!("FROM {table} WHERE {key} > {after}{filter} ORDER BY {columns} LIMIT {limit}");
        let batch = match &self.work {
            BatchWork::Set(assignments) => format!(
                "-- each batch: UPDATE {table} SET {assignments} WHERE {key} IN (SELECT {columns} {rows})"
            ),
            BatchWork::Rust(_) => format!(
                "-- each batch: SELECT * {rows} FOR NO KEY UPDATE and Rust code over those rows (locked until the batch commits), in the batch's transaction"
            ),
            BatchWork::Restore { .. } => format!(
                "-- each batch: UPDATE {table} SET ({}) = (<the kept values of the row>) WHERE {key} IN (SELECT {columns} {rows}) AND the row has kept values",
                quoted_columns()
            ),
        };
        let mut lines = vec![plan];
        if self.keep_previous {
            lines.push(format!(
                "-- each batch first keeps {columns} and the previous {} of its rows (locked) in a side table, for the down to restore",
                quoted_columns()
            ));
        }
        lines.push(batch);
        lines.extend(self.pacing.comment());
        lines
    }
}
