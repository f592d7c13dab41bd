//! Views and materialized views. Written by hand: sea-query has no view statements.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::ops::*;
use crate::quote::{literal, quote_ident, quote_list, quote_name};
use crate::safeguard::{Object, Safeguard};
use crate::value::Value;

use super::function::{check_sql, check_word};
use super::*;

/// `a = 1, b = true`: view options or storage parameters. Names are checked to be plain words and written
/// bare; values are literals or expressions.
pub(crate) fn option_list(
    ctx: Ctx,
    options: &[(String, Value)],
    what: &str,
) -> Result<String, DslError> {
    options
        .iter()
        .map(|(name, value)| {
            check_word(ctx, name, what)?;
            Ok(format!("{name} = {}", value.to_sql()))
        })
        .collect::<Result<Vec<_>, DslError>>()
        .map(|items| items.join(", "))
}

fn name_list(ctx: Ctx, names: &[String], what: &str) -> Result<String, DslError> {
    names.iter().try_for_each(|n| check_word(ctx, n, what))?;
    Ok(names.join(", "))
}

impl Render for CreateView {
    fn needs_server(&self) -> Vec<Needs> {
        super::version::view_option_needs(self.options.iter().map(|(name, _)| name.as_str()))
    }

    fn safeguard(&self, index: usize) -> Option<Safeguard> {
        (index == 0 && self.or_replace && !self.temporary).then(|| {
            Safeguard::RecordsPrevious(Object::View {
                name: self.name.clone(),
            })
        })
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.name, "view")?;
        check_sql(ctx, &o.definition, "view definition")?;
        if o.recursive && o.columns.is_empty() {
            return Err(ctx.invalid("a recursive view needs its column names; chain `columns`"));
        }
        if o.temporary && o.name.schema.is_some() {
            return Err(ctx.invalid(
                "a temporary view lives in the session's temporary schema; do not qualify its name",
            ));
        }
        if o.check_option.is_some() && o.options.iter().any(|(n, _)| n == "check_option") {
            return Err(ctx
                .invalid("the check option is given twice: with `check_option` and as an option"));
        }
        let mut sql = format!(
            "CREATE {}{}{}VIEW {}",
            if o.or_replace { "OR REPLACE " } else { "" },
            if o.temporary { "TEMPORARY " } else { "" },
            if o.recursive { "RECURSIVE " } else { "" },
            quote_name(&o.name)
        );
        if !o.columns.is_empty() {
            ctx.idents(&o.columns, "column")?;
            sql.push_str(&format!(" ({})", quote_list(&o.columns)));
        }
        if !o.options.is_empty() {
            sql.push_str(&format!(
                " WITH ({})",
                option_list(ctx, &o.options, "view option")?
            ));
        }
        sql.push_str(&format!(" AS {}", o.definition));
        if let Some(option) = o.check_option {
            sql.push_str(&format!(" WITH {} CHECK OPTION", option.as_sql()));
        }
        let mut out = vec![sql];
        if let Some(text) = &o.comment {
            out.push(format!(
                "COMMENT ON VIEW {} IS {}",
                quote_name(&o.name),
                literal(text)
            ));
        }
        Ok(out)
    }
}

impl Render for DropView {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.name, "view")?;
        Ok(vec![format!(
            "DROP VIEW {}{}{}",
            if o.if_exists { "IF EXISTS " } else { "" },
            quote_name(&o.name),
            if o.cascade { " CASCADE" } else { "" }
        )])
    }
}

impl Render for AlterView {
    fn needs_server(&self) -> Vec<Needs> {
        super::version::view_option_needs(
            self.set
                .iter()
                .map(|(name, _)| name.as_str())
                .chain(self.reset.iter().map(String::as_str)),
        )
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.name, "view")?;
        if let Some((name, _)) = o.set.iter().find(|(n, _)| o.reset.contains(n)) {
            return Err(ctx.invalid(format!("option {name:?} is both set and reset")));
        }
        let mut out = Vec::new();
        if !o.set.is_empty() {
            out.push(format!(
                "ALTER VIEW {} SET ({})",
                quote_name(&o.name),
                option_list(ctx, &o.set, "view option")?
            ));
        }
        if !o.reset.is_empty() {
            out.push(format!(
                "ALTER VIEW {} RESET ({})",
                quote_name(&o.name),
                name_list(ctx, &o.reset, "view option")?
            ));
        }
        if out.is_empty() {
            return Err(ctx.invalid(
                "nothing to alter; chain `check_option`, `set_option`, `reset_option`, ...",
            ));
        }
        Ok(out)
    }
}

impl Render for AlterViewColumn {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.view, "view")?;
        ctx.ident(&o.column, "column")?;
        let action = match &o.default {
            Some(Some(value)) => format!("SET DEFAULT {}", value.to_sql()),
            Some(None) => "DROP DEFAULT".to_owned(),
            None => {
                return Err(ctx.invalid("nothing to alter; chain `set_default` or `drop_default`"))
            }
        };
        Ok(vec![format!(
            "ALTER VIEW {} ALTER COLUMN {} {action}",
            quote_name(&o.view),
            quote_ident(&o.column)
        )])
    }
}

impl Render for RenameView {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let o = self;
        ctx.name(&o.from, "view")?;
        ctx.ident(&o.to, "view")?;
        Ok(vec![format!(
            "ALTER VIEW {} RENAME TO {}",
            quote_name(&o.from),
            quote_ident(&o.to)
        )])
    }
}

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
