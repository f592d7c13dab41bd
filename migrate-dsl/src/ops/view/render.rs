//! Views. Written by hand: sea-query has no view statements.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::ops::{check_sql, check_word, *};
use crate::quote::{literal, quote_ident, quote_list, quote_name};
use crate::render::*;
use crate::safeguard::{Object, Safeguard};
use crate::value::Change;
use crate::value::Value;

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

pub(crate) fn name_list(ctx: Ctx, names: &[String], what: &str) -> Result<String, DslError> {
    names.iter().try_for_each(|n| check_word(ctx, n, what))?;
    Ok(names.join(", "))
}

impl Render for CreateView {
    fn needs_server(&self) -> Vec<Needs> {
        view_option_needs(self.options.iter().map(|(name, _)| name.as_str()))
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
        view_option_needs(
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
            Change::Set(value) => format!("SET DEFAULT {}", value.to_sql()),
            Change::Remove => "DROP DEFAULT".to_owned(),
            Change::Keep => {
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

/// View options that older servers reject as unrecognized parameters.
fn view_option_needs<'a>(names: impl Iterator<Item = &'a str>) -> Vec<Needs> {
    names
        .filter(|name| name.eq_ignore_ascii_case("security_invoker"))
        .map(|_| Needs::new(15, "the view option security_invoker"))
        .collect()
}
