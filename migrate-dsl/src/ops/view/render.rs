//! Views. Written by hand: sea-query has no view statements.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{quote_ident, quote_list, quote_name};
use crate::ops::{check_sql, check_word, *};
use crate::quote::literal;
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
        ctx.name(&self.name, "view")?;
        check_sql(ctx, &self.definition, "view definition")?;
        if self.recursive && self.columns.is_empty() {
            return Err(ctx.invalid("a recursive view needs its column names; chain `columns`"));
        }
        if self.temporary && self.name.schema.is_some() {
            return Err(ctx.invalid(
                "a temporary view lives in the session's temporary schema; do not qualify its name",
            ));
        }
        if self.check_option.is_some() && self.options.iter().any(|(n, _)| n == "check_option") {
            return Err(ctx
                .invalid("the check option is given twice: with `check_option` and as an option"));
        }
        let mut sql = format!(
            "CREATE {}{}{}VIEW {}",
            if self.or_replace { "OR REPLACE " } else { "" },
            if self.temporary { "TEMPORARY " } else { "" },
            if self.recursive { "RECURSIVE " } else { "" },
            quote_name(&self.name)
        );
        if !self.columns.is_empty() {
            ctx.idents(&self.columns, "column")?;
            sql.push_str(&format!(" ({})", quote_list(&self.columns)));
        }
        if !self.options.is_empty() {
            sql.push_str(&format!(
                " WITH ({})",
                option_list(ctx, &self.options, "view option")?
            ));
        }
        sql.push_str(&format!(" AS {}", self.definition));
        if let Some(option) = self.check_option {
            sql.push_str(&format!(" WITH {} CHECK OPTION", option.as_sql()));
        }
        let mut out = vec![sql];
        if let Some(text) = &self.comment {
            out.push(format!(
                "COMMENT ON VIEW {} IS {}",
                quote_name(&self.name),
                literal(text)
            ));
        }
        Ok(out)
    }
}

impl Render for DropView {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "view")?;
        Ok(vec![format!(
            "DROP VIEW {}{}{}",
            if self.if_exists { "IF EXISTS " } else { "" },
            quote_name(&self.name),
            if self.cascade { " CASCADE" } else { "" }
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
        ctx.name(&self.name, "view")?;
        if let Some((name, _)) = self.set.iter().find(|(n, _)| self.reset.contains(n)) {
            return Err(ctx.invalid(format!("option {name:?} is both set and reset")));
        }
        let mut out = Vec::new();
        if !self.set.is_empty() {
            out.push(format!(
                "ALTER VIEW {} SET ({})",
                quote_name(&self.name),
                option_list(ctx, &self.set, "view option")?
            ));
        }
        if !self.reset.is_empty() {
            out.push(format!(
                "ALTER VIEW {} RESET ({})",
                quote_name(&self.name),
                name_list(ctx, &self.reset, "view option")?
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
        ctx.name(&self.view, "view")?;
        ctx.ident(&self.column, "column")?;
        let action = match &self.default {
            Change::Set(value) => format!("SET DEFAULT {}", value.to_sql()),
            Change::Remove => "DROP DEFAULT".to_owned(),
            Change::Keep => {
                return Err(ctx.invalid("nothing to alter; chain `set_default` or `drop_default`"))
            }
        };
        Ok(vec![format!(
            "ALTER VIEW {} ALTER COLUMN {} {action}",
            quote_name(&self.view),
            quote_ident(&self.column)
        )])
    }
}

impl Render for RenameView {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.from, "view")?;
        ctx.ident(&self.to, "view")?;
        Ok(vec![format!(
            "ALTER VIEW {} RENAME TO {}",
            quote_name(&self.from),
            quote_ident(&self.to)
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
