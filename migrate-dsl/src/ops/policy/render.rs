//! Row-level-security policies. Written by hand: sea-query has no policy statements.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::Ident;
use crate::name::{quote_ident, quote_name};
use crate::ops::{check_sql, *};
use crate::quote::literal;
use crate::render::*;

/// The role specifications PostgreSQL accepts as keywords in `TO`. Anything else is a role name and is quoted,
/// so `Editors` stays `"Editors"` (node-pg-migrate writes roles unquoted, which folds them to lower case).
const ROLE_KEYWORDS: [&str; 4] = ["PUBLIC", "CURRENT_USER", "SESSION_USER", "CURRENT_ROLE"];

fn role_list(ctx: Ctx, roles: &[String]) -> Result<String, DslError> {
    roles
        .iter()
        .map(|role| {
            if let Some(keyword) = ROLE_KEYWORDS.iter().find(|k| k.eq_ignore_ascii_case(role)) {
                return Ok((*keyword).to_owned());
            }
            let ident = Ident::new(role.as_str());
            ctx.ident(&ident, "role")?;
            Ok(quote_ident(&ident))
        })
        .collect::<Result<Vec<_>, DslError>>()
        .map(|roles| roles.join(", "))
}

impl Render for CreatePolicy {
    fn needs_server(&self) -> Vec<Needs> {
        policy_role_needs(&self.roles)
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        ctx.ident(&self.name, "policy")?;
        match self.command {
            Some(PolicyCommand::Select | PolicyCommand::Delete) if self.with_check.is_some() => {
                return Err(ctx.invalid("only INSERT, UPDATE and ALL policies can have WITH CHECK"))
            }
            Some(PolicyCommand::Insert) if self.using.is_some() => {
                return Err(ctx.invalid("an INSERT policy cannot have USING; use `with_check`"))
            }
            _ => {}
        }
        let mut sql = format!(
            "CREATE POLICY {} ON {}",
            quote_ident(&self.name),
            quote_name(&self.table)
        );
        match self.restrictive {
            Some(true) => sql.push_str(" AS RESTRICTIVE"),
            Some(false) => sql.push_str(" AS PERMISSIVE"),
            None => {}
        }
        if let Some(command) = self.command {
            sql.push_str(&format!(" FOR {}", command.as_sql()));
        }
        if !self.roles.is_empty() {
            sql.push_str(&format!(" TO {}", role_list(ctx, &self.roles)?));
        }
        if let Some(expression) = &self.using {
            check_sql(ctx, expression, "USING expression")?;
            sql.push_str(&format!(" USING ({expression})"));
        }
        if let Some(expression) = &self.with_check {
            check_sql(ctx, expression, "WITH CHECK expression")?;
            sql.push_str(&format!(" WITH CHECK ({expression})"));
        }
        let mut out = vec![sql];
        if let Some(text) = &self.comment {
            out.push(format!(
                "COMMENT ON POLICY {} ON {} IS {}",
                quote_ident(&self.name),
                quote_name(&self.table),
                literal(text)
            ));
        }
        Ok(out)
    }
}

impl Render for AlterPolicy {
    fn needs_server(&self) -> Vec<Needs> {
        policy_role_needs(&self.roles)
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        ctx.ident(&self.name, "policy")?;
        let mut sql = format!(
            "ALTER POLICY {} ON {}",
            quote_ident(&self.name),
            quote_name(&self.table)
        );
        if self.roles.is_empty() && self.using.is_none() && self.with_check.is_none() {
            return Err(ctx.invalid("nothing to alter; chain `to`, `using` or `with_check`"));
        }
        if !self.roles.is_empty() {
            sql.push_str(&format!(" TO {}", role_list(ctx, &self.roles)?));
        }
        if let Some(expression) = &self.using {
            check_sql(ctx, expression, "USING expression")?;
            sql.push_str(&format!(" USING ({expression})"));
        }
        if let Some(expression) = &self.with_check {
            check_sql(ctx, expression, "WITH CHECK expression")?;
            sql.push_str(&format!(" WITH CHECK ({expression})"));
        }
        Ok(vec![sql])
    }
}

impl Render for DropPolicy {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        ctx.ident(&self.name, "policy")?;
        Ok(vec![format!(
            "DROP POLICY {}{} ON {}",
            if self.if_exists { "IF EXISTS " } else { "" },
            quote_ident(&self.name),
            quote_name(&self.table)
        )])
    }
}

impl Render for RenamePolicy {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.name(&self.table, "table")?;
        ctx.ident(&self.from, "policy")?;
        ctx.ident(&self.to, "policy")?;
        Ok(vec![format!(
            "ALTER POLICY {} ON {} RENAME TO {}",
            quote_ident(&self.from),
            quote_name(&self.table),
            quote_ident(&self.to)
        )])
    }
}

/// A policy's `TO` list: role names, or keywords recognised in any letter case.
fn policy_role_needs(roles: &[String]) -> Vec<Needs> {
    roles
        .iter()
        .filter(|r| r.eq_ignore_ascii_case("CURRENT_ROLE"))
        .map(|_| Needs::new(14, "CURRENT_ROLE as a role name"))
        .take(1)
        .collect()
}
