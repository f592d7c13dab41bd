//! Tables and columns: built with sea-query where it has the statement.

use sea_query::{PostgresQueryBuilder, Table};

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::ops::*;
use crate::quote::{literal, quote_ident, quote_name};

use super::*;

impl Render for CreateTable {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.name, "table")?;
        ctx.columns(&o.columns)?;
        let mut stmt = Table::create();
        stmt.table(table_ref(&o.name));
        if o.if_not_exists {
            stmt.if_not_exists();
        }
        for c in &o.columns {
            stmt.col(column_def(c));
        }
        let mut out = vec![stmt.to_string(PostgresQueryBuilder)];
        if let Some(text) = &o.comment {
            out.push(format!(
                "COMMENT ON TABLE {} IS {}",
                quote_name(&o.name),
                literal(text)
            ));
        }
        out.extend(column_comments(&o.name, &o.columns));
        Ok(out)
    }
}

impl Render for DropTable {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.name, "table")?;
        let mut stmt = Table::drop();
        stmt.table(table_ref(&o.name));
        if o.if_exists {
            stmt.if_exists();
        }
        if o.cascade {
            stmt.cascade();
        }
        Ok(vec![stmt.to_string(PostgresQueryBuilder)])
    }
}

impl Render for RenameTable {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.from, "table")?;
        ctx.ident(&o.to, "table")?;
        // RENAME TO takes a bare name: the table stays in its schema.
        Ok(vec![Table::rename()
            .table(table_ref(&o.from), alias(&o.to))
            .to_string(PostgresQueryBuilder)])
    }
}

impl Render for AddColumns {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.table, "table")?;
        ctx.columns(&o.columns)?;
        let mut stmt = Table::alter();
        stmt.table(table_ref(&o.table));
        for c in &o.columns {
            if o.if_not_exists {
                stmt.add_column_if_not_exists(column_def(c));
            } else {
                stmt.add_column(column_def(c));
            }
        }
        let mut out = vec![stmt.to_string(PostgresQueryBuilder)];
        out.extend(column_comments(&o.table, &o.columns));
        Ok(out)
    }
}

impl Render for DropColumns {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.table, "table")?;
        ctx.idents(&o.columns, "column")?;
        // sea-query has no CASCADE on DROP COLUMN, so this statement is written here.
        let cascade = if o.cascade { " CASCADE" } else { "" };
        let if_exists = if o.if_exists { "IF EXISTS " } else { "" };
        let actions: Vec<String> = o
            .columns
            .iter()
            .map(|c| format!("DROP COLUMN {if_exists}{}{cascade}", quote_ident(c)))
            .collect();
        Ok(vec![format!(
            "ALTER TABLE {} {}",
            quote_name(&o.table),
            actions.join(", ")
        )])
    }
}

impl Render for RenameColumn {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.table, "table")?;
        ctx.ident(&o.from, "column")?;
        ctx.ident(&o.to, "column")?;
        Ok(vec![Table::alter()
            .table(table_ref(&o.table))
            .rename_column(alias(&o.from), alias(&o.to))
            .to_string(PostgresQueryBuilder)])
    }
}

impl Render for AlterColumn {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.table, "table")?;
        ctx.ident(&o.column, "column")?;
        if o.using.is_some() && o.set_type.is_none() {
            return Err(
                ctx.invalid("`using` converts values to a new type; give the type with `set_type`")
            );
        }
        let col = quote_ident(&o.column);
        let mut actions = Vec::new();
        if let Some(ty) = &o.set_type {
            let using = o
                .using
                .as_ref()
                .map(|u| format!(" USING {u}"))
                .unwrap_or_default();
            actions.push(format!("ALTER COLUMN {col} SET DATA TYPE {ty}{using}"));
        }
        match &o.default {
            Some(Some(v)) => actions.push(format!("ALTER COLUMN {col} SET DEFAULT {}", v.to_sql())),
            Some(None) => actions.push(format!("ALTER COLUMN {col} DROP DEFAULT")),
            None => {}
        }
        match o.not_null {
            Some(true) => actions.push(format!("ALTER COLUMN {col} SET NOT NULL")),
            Some(false) => actions.push(format!("ALTER COLUMN {col} DROP NOT NULL")),
            None => {}
        }
        let mut out = Vec::new();
        if !actions.is_empty() {
            out.push(format!(
                "ALTER TABLE {} {}",
                quote_name(&o.table),
                actions.join(", ")
            ));
        }
        if let Some(comment) = &o.comment {
            let text = comment
                .as_deref()
                .map_or_else(|| "NULL".to_owned(), literal);
            out.push(format!(
                "COMMENT ON COLUMN {}.{col} IS {text}",
                quote_name(&o.table)
            ));
        }
        if out.is_empty() {
            return Err(ctx.invalid(
                "nothing to alter; chain `set_type`, `set_default`, `set_not_null`, ...",
            ));
        }
        Ok(out)
    }
}
