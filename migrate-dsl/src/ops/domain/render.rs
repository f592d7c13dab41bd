//! Domains.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{quote_ident, quote_name};
use crate::ops::*;
use crate::quote::literal;
use crate::render::*;
use crate::value::Change;

impl Render for CreateDomain {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "domain")?;
        if self.data_type.trim().is_empty() {
            return Err(ctx.invalid("the domain has no underlying type"));
        }
        let mut sql = format!(
            "CREATE DOMAIN {} AS {}",
            quote_name(&self.name),
            self.data_type
        );
        if let Some(collation) = &self.collation {
            ctx.name(collation, "collation")?;
            sql.push_str(&format!(" COLLATE {}", quote_name(collation)));
        }
        if let Some(default) = &self.default {
            sql.push_str(&format!(" DEFAULT {}", default.to_sql()));
        }
        if self.not_null {
            sql.push_str(" NOT NULL");
        }
        match (&self.check, &self.constraint_name) {
            (Some(check), name) => {
                if let Some(name) = name {
                    ctx.ident(name, "constraint")?;
                    sql.push_str(&format!(" CONSTRAINT {}", quote_ident(name)));
                }
                sql.push_str(&format!(" CHECK ({check})"));
            }
            (None, Some(_)) => {
                return Err(ctx.invalid(
                    "`constraint_name` names the domain's check; give the check with `check`",
                ))
            }
            (None, None) => {}
        }
        let mut out = vec![sql];
        if let Some(text) = &self.comment {
            out.push(format!(
                "COMMENT ON DOMAIN {} IS {}",
                quote_name(&self.name),
                literal(text)
            ));
        }
        Ok(out)
    }
}

impl Render for AlterDomain {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "domain")?;
        let domain = quote_name(&self.name);
        let mut out = Vec::new();
        match &self.default {
            Change::Set(v) => out.push(format!("ALTER DOMAIN {domain} SET DEFAULT {}", v.to_sql())),
            Change::Remove => out.push(format!("ALTER DOMAIN {domain} DROP DEFAULT")),
            Change::Keep => {}
        }
        match self.not_null {
            Some(true) => out.push(format!("ALTER DOMAIN {domain} SET NOT NULL")),
            Some(false) => out.push(format!("ALTER DOMAIN {domain} DROP NOT NULL")),
            None => {}
        }
        match &self.check {
            Some(check) => {
                let name = match &self.constraint_name {
                    Some(name) => {
                        ctx.ident(name, "constraint")?;
                        format!("CONSTRAINT {} ", quote_ident(name))
                    }
                    None => String::new(),
                };
                out.push(format!(
                    "ALTER DOMAIN {domain} ADD {name}CHECK ({check}){}",
                    if self.not_valid { " NOT VALID" } else { "" }
                ));
            }
            None if self.constraint_name.is_some() => {
                return Err(ctx.invalid(
                    "`constraint_name` names an added check; give the check with `add_check`",
                ))
            }
            None if self.not_valid => {
                return Err(ctx.invalid(
                    "`not_valid` applies to an added check; give the check with `add_check`",
                ))
            }
            None => {}
        }
        if out.is_empty() {
            return Err(ctx.invalid(
                "nothing to alter; chain `set_default`, `set_not_null`, `add_check`, ...",
            ));
        }
        Ok(out)
    }
}

impl Render for DropDomain {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.name, "domain")?;
        Ok(vec![format!(
            "DROP DOMAIN {}{}{}",
            if self.if_exists { "IF EXISTS " } else { "" },
            quote_name(&self.name),
            if self.cascade { " CASCADE" } else { "" }
        )])
    }
}

impl Render for RenameDomain {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.from, "domain")?;
        ctx.ident(&self.to, "domain")?;
        // RENAME TO takes a bare name: the domain stays in its schema.
        Ok(vec![format!(
            "ALTER DOMAIN {} RENAME TO {}",
            quote_name(&self.from),
            quote_ident(&self.to)
        )])
    }
}
