//! Indexes. Written by hand: sea-query's index statement has no `CONCURRENTLY`, `INCLUDE` or expressions.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::ops::*;
use crate::quote::{quote_ident, quote_list, quote_name};

use super::*;

impl Render for CreateIndex {
    fn outside_transaction(&self) -> bool {
        self.concurrently
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.table, "table")?;
        let name = index_name(
            ctx.op,
            ctx.position,
            &o.table,
            &o.columns,
            &o.name,
            o.unique,
        )?;
        o.include.iter().try_for_each(|c| ctx.ident(c, "column"))?;
        let elements: Vec<String> = o
            .columns
            .iter()
            .map(|c| {
                let target = match &c.target {
                    IndexTarget::Column(col) => {
                        ctx.ident(col, "column")?;
                        quote_ident(col)
                    }
                    IndexTarget::Expression(e) => format!("({e})"),
                };
                Ok(if c.descending {
                    format!("{target} DESC")
                } else {
                    target
                })
            })
            .collect::<Result<_, DslError>>()?;
        let mut sql = format!(
            "CREATE {}INDEX {}{}{} ON {}",
            if o.unique { "UNIQUE " } else { "" },
            if o.concurrently { "CONCURRENTLY " } else { "" },
            // CONCURRENTLY runs outside a transaction: if a later statement of the migration fails, this one
            // stays committed, and running the migration again must not fail on it.
            if o.if_not_exists || o.concurrently {
                "IF NOT EXISTS "
            } else {
                ""
            },
            quote_ident(&name),
            quote_name(&o.table)
        );
        if let Some(method) = &o.method {
            sql.push_str(&format!(" USING {method}"));
        }
        sql.push_str(&format!(" ({})", elements.join(", ")));
        if !o.include.is_empty() {
            sql.push_str(&format!(" INCLUDE ({})", quote_list(&o.include)));
        }
        if let Some(predicate) = &o.where_clause {
            sql.push_str(&format!(" WHERE {predicate}"));
        }
        Ok(vec![sql])
    }
}

impl Render for DropIndex {
    fn outside_transaction(&self) -> bool {
        self.concurrently
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.table, "table")?;
        let name = index_name(
            ctx.op,
            ctx.position,
            &o.table,
            &o.columns,
            &o.name,
            o.unique,
        )?;
        Ok(vec![format!(
            "DROP INDEX {}{}{}{}",
            if o.concurrently { "CONCURRENTLY " } else { "" },
            // Outside a transaction too: re-runnable after a partial failure.
            if o.if_exists || o.concurrently {
                "IF EXISTS "
            } else {
                ""
            },
            // An index lives in its table's schema.
            quote_name(&o.table.sibling(name)),
            if o.cascade { " CASCADE" } else { "" }
        )])
    }
}
