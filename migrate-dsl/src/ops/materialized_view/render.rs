//! Materialized views. Written by hand: sea-query has no view statements.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::ops::{check_sql, *};
use crate::quote::{literal, quote_ident, quote_list, quote_name};
use crate::render::*;

impl Render for CreateMaterializedView {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.name, "materialized view")?;
        check_sql(ctx, &o.definition, "view definition")?;
        let mut sql = format!(
            "CREATE MATERIALIZED VIEW {}{}",
            if o.if_not_exists {
                "IF NOT EXISTS "
            } else {
                ""
            },
            quote_name(&o.name)
        );
        if !o.columns.is_empty() {
            ctx.idents(&o.columns, "column")?;
            sql.push_str(&format!(" ({})", quote_list(&o.columns)));
        }
        if !o.storage.is_empty() {
            sql.push_str(&format!(
                " WITH ({})",
                option_list(ctx, &o.storage, "storage parameter")?
            ));
        }
        if let Some(tablespace) = &o.tablespace {
            ctx.ident(tablespace, "tablespace")?;
            sql.push_str(&format!(" TABLESPACE {}", quote_ident(tablespace)));
        }
        sql.push_str(&format!(" AS {}", o.definition));
        match o.with_data {
            Some(true) => sql.push_str(" WITH DATA"),
            Some(false) => sql.push_str(" WITH NO DATA"),
            None => {}
        }
        let mut out = vec![sql];
        if let Some(text) = &o.comment {
            out.push(format!(
                "COMMENT ON MATERIALIZED VIEW {} IS {}",
                quote_name(&o.name),
                literal(text)
            ));
        }
        Ok(out)
    }
}

impl Render for DropMaterializedView {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.name, "materialized view")?;
        Ok(vec![format!(
            "DROP MATERIALIZED VIEW {}{}{}",
            if o.if_exists { "IF EXISTS " } else { "" },
            quote_name(&o.name),
            if o.cascade { " CASCADE" } else { "" }
        )])
    }
}

impl Render for AlterMaterializedView {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.name, "materialized view")?;
        if o.changes.is_empty() {
            return Err(ctx.invalid(
                "nothing to alter; chain `cluster_on`, `depends_on_extension`, `set_storage_parameter`, ...",
            ));
        }
        let view = quote_name(&o.name);
        // One statement per change: `DEPENDS ON EXTENSION` cannot be combined with other actions, and separate
        // statements keep each change readable in the plan.
        o.changes
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
        let o = self;
        ctx.name(&o.from, "materialized view")?;
        ctx.ident(&o.to, "materialized view")?;
        Ok(vec![format!(
            "ALTER MATERIALIZED VIEW {} RENAME TO {}",
            quote_name(&o.from),
            quote_ident(&o.to)
        )])
    }
}

impl Render for RenameMaterializedViewColumn {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.view, "materialized view")?;
        ctx.ident(&o.from, "column")?;
        ctx.ident(&o.to, "column")?;
        Ok(vec![format!(
            "ALTER MATERIALIZED VIEW {} RENAME COLUMN {} TO {}",
            quote_name(&o.view),
            quote_ident(&o.from),
            quote_ident(&o.to)
        )])
    }
}

impl Render for RefreshMaterializedView {
    // REFRESH ... CONCURRENTLY is allowed in a transaction block (PostgreSQL documents no restriction, unlike
    // CREATE INDEX CONCURRENTLY), so the default `outside_transaction` (false) is right.
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.name, "materialized view")?;
        if o.concurrently && o.with_data == Some(false) {
            return Err(ctx.invalid("CONCURRENTLY and WITH NO DATA cannot be used together"));
        }
        let mut sql = format!(
            "REFRESH MATERIALIZED VIEW {}{}",
            if o.concurrently { "CONCURRENTLY " } else { "" },
            quote_name(&o.name)
        );
        match o.with_data {
            Some(true) => sql.push_str(" WITH DATA"),
            Some(false) => sql.push_str(" WITH NO DATA"),
            None => {}
        }
        Ok(vec![sql])
    }
}
