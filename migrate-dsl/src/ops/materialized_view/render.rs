//! Materialized views. Written by hand: sea-query has no view statements.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{quote_ident, quote_list, quote_name};
use crate::ops::{check_sql, *};
use crate::quote::literal;
use crate::render::*;

impl Render for CreateMaterializedView {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "materialized view")?;
        check_sql(ctx, &self.definition, "view definition")?;
        let mut sql = format!(
            "CREATE MATERIALIZED VIEW {}{}",
            if self.if_not_exists {
                "IF NOT EXISTS "
            } else {
                ""
            },
            quote_name(&self.name)
        );
        if !self.columns.is_empty() {
            ctx.idents(&self.columns, "column")?;
            sql.push_str(&format!(" ({})", quote_list(&self.columns)));
        }
        if !self.storage.is_empty() {
            sql.push_str(&format!(
                " WITH ({})",
                option_list(ctx, &self.storage, "storage parameter")?
            ));
        }
        if let Some(tablespace) = &self.tablespace {
            ctx.ident(tablespace, "tablespace")?;
            sql.push_str(&format!(" TABLESPACE {}", quote_ident(tablespace)));
        }
        sql.push_str(&format!(" AS {}", self.definition));
        match self.with_data {
            Some(true) => sql.push_str(" WITH DATA"),
            Some(false) => sql.push_str(" WITH NO DATA"),
            None => {}
        }
        let mut out = vec![sql];
        if let Some(text) = &self.comment {
            out.push(format!(
                "COMMENT ON MATERIALIZED VIEW {} IS {}",
                quote_name(&self.name),
                literal(text)
            ));
        }
        Ok(out)
    }
}

impl Render for DropMaterializedView {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "materialized view")?;
        Ok(vec![format!(
            "DROP MATERIALIZED VIEW {}{}{}",
            if self.if_exists { "IF EXISTS " } else { "" },
            quote_name(&self.name),
            if self.cascade { " CASCADE" } else { "" }
        )])
    }
}

impl Render for AlterMaterializedView {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "materialized view")?;
        if self.changes.is_empty() {
            return Err(ctx.invalid(
                "nothing to alter; chain `cluster_on`, `depends_on_extension`, `set_storage_parameter`, ...",
            ));
        }
        let view = quote_name(&self.name);
        // One statement per change: `DEPENDS ON EXTENSION` cannot be combined with other actions, and separate
        // statements keep each change readable in the plan.
        self.changes
            .iter()
            .map(|change| {
                let action = match change {
                    MaterializedViewChange::ClusterOn(index) => {
                        ctx.ident(index, "index")?;
                        format!("CLUSTER ON {}", quote_ident(index))
                    }
                    MaterializedViewChange::SetWithoutCluster => "SET WITHOUT CLUSTER".to_owned(),
                    MaterializedViewChange::DependsOnExtension(ext) => {
                        ctx.ident(ext, "extension")?;
                        format!("DEPENDS ON EXTENSION {}", quote_ident(ext))
                    }
                    MaterializedViewChange::NoDependsOnExtension(ext) => {
                        ctx.ident(ext, "extension")?;
                        format!("NO DEPENDS ON EXTENSION {}", quote_ident(ext))
                    }
                    MaterializedViewChange::Set(items) => {
                        format!("SET ({})", option_list(ctx, items, "storage parameter")?)
                    }
                    MaterializedViewChange::Reset(names) => {
                        format!("RESET ({})", name_list(ctx, names, "storage parameter")?)
                    }
                };
                Ok(format!("ALTER MATERIALIZED VIEW {view} {action}"))
            })
            .collect()
    }
}

impl Render for RenameMaterializedView {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.from, "materialized view")?;
        ctx.ident(&self.to, "materialized view")?;
        Ok(vec![format!(
            "ALTER MATERIALIZED VIEW {} RENAME TO {}",
            quote_name(&self.from),
            quote_ident(&self.to)
        )])
    }
}

impl Render for RenameMaterializedViewColumn {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.view, "materialized view")?;
        ctx.ident(&self.from, "column")?;
        ctx.ident(&self.to, "column")?;
        Ok(vec![format!(
            "ALTER MATERIALIZED VIEW {} RENAME COLUMN {} TO {}",
            quote_name(&self.view),
            quote_ident(&self.from),
            quote_ident(&self.to)
        )])
    }
}

impl Render for RefreshMaterializedView {
    // REFRESH ... CONCURRENTLY is allowed in a transaction block (PostgreSQL documents no restriction, unlike
    // CREATE INDEX CONCURRENTLY), so the default `outside_transaction` (false) is right.
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "materialized view")?;
        if self.concurrently && self.with_data == Some(false) {
            return Err(ctx.invalid("CONCURRENTLY and WITH NO DATA cannot be used together"));
        }
        let mut sql = format!(
            "REFRESH MATERIALIZED VIEW {}{}",
            if self.concurrently {
                "CONCURRENTLY "
            } else {
                ""
            },
            quote_name(&self.name)
        );
        match self.with_data {
            Some(true) => sql.push_str(" WITH DATA"),
            Some(false) => sql.push_str(" WITH NO DATA"),
            None => {}
        }
        Ok(vec![sql])
    }
}
