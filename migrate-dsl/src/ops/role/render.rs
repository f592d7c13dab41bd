//! Roles.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::quote_ident;
use crate::ops::*;
use crate::quote::literal;
use crate::render::{Needs, Render};
use crate::value::Change;

/// A role list, each quoted (keywords such as `PUBLIC` as keywords), after checking the names.
pub(crate) fn role_list(
    ctx: Ctx,
    roles: &[RoleSpec],
    what: &'static str,
) -> Result<String, DslError> {
    if roles.is_empty() {
        return Err(ctx.invalid(format!("no {what} given")));
    }
    roles
        .iter()
        .map(|r| match r {
            RoleSpec::Role(name) => ctx.ident(name, "role").map(|()| quote_ident(name)),
            RoleSpec::Keyword(k) => Ok((*k).to_owned()),
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|v| v.join(", "))
}

fn options_sql(o: &RoleOptions) -> Vec<String> {
    let mut out = Vec::new();
    let mut flag = |value: Option<bool>, yes: &str| {
        if let Some(v) = value {
            out.push(if v {
                yes.to_owned()
            } else {
                format!("NO{yes}")
            });
        }
    };
    flag(o.superuser, "SUPERUSER");
    flag(o.createdb, "CREATEDB");
    flag(o.createrole, "CREATEROLE");
    flag(o.inherit, "INHERIT");
    flag(o.login, "LOGIN");
    flag(o.replication, "REPLICATION");
    flag(o.bypassrls, "BYPASSRLS");
    if let Some(limit) = o.connection_limit {
        out.push(format!("CONNECTION LIMIT {limit}"));
    }
    match &o.password {
        Change::Set(p) => out.push(format!("PASSWORD {}", literal(p))),
        Change::Remove => out.push("PASSWORD NULL".to_owned()),
        Change::Keep => {}
    }
    if let Some(t) = &o.valid_until {
        out.push(format!("VALID UNTIL {}", literal(t)));
    }
    out
}

fn check_limit(ctx: Ctx, o: &RoleOptions) -> Result<(), DslError> {
    match o.connection_limit {
        Some(limit) if limit < -1 => Err(ctx.invalid(format!(
            "connection limit {limit}: use -1 for no limit, or 0 and up"
        ))),
        _ => Ok(()),
    }
}

impl Render for CreateRole {
    fn needs_server(&self) -> Vec<Needs> {
        crate::ops::role_spec_needs(self.in_role.iter().chain(&self.members).chain(&self.admins))
    }

    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.ident(&self.name, "role")?;
        check_limit(ctx, &self.options)?;
        let mut parts = options_sql(&self.options);
        for (list, keyword) in [
            (&self.in_role, "IN ROLE"),
            (&self.members, "ROLE"),
            (&self.admins, "ADMIN"),
        ] {
            if !list.is_empty() {
                parts.push(format!("{keyword} {}", role_list(ctx, list, "roles")?));
            }
        }
        let mut sql = format!("CREATE ROLE {}", quote_ident(&self.name));
        if !parts.is_empty() {
            sql.push_str(" WITH ");
            sql.push_str(&parts.join(" "));
        }
        Ok(vec![sql])
    }
}

impl Render for AlterRole {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.ident(&self.name, "role")?;
        check_limit(ctx, &self.options)?;
        let parts = options_sql(&self.options);
        if parts.is_empty() {
            return Err(ctx.invalid("nothing to alter; chain `login(..)`, `password(..)`, ..."));
        }
        Ok(vec![format!(
            "ALTER ROLE {} WITH {}",
            quote_ident(&self.name),
            parts.join(" ")
        )])
    }
}

impl Render for DropRole {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.ident(&self.name, "role")?;
        Ok(vec![format!(
            "DROP ROLE {}{}",
            if self.if_exists { "IF EXISTS " } else { "" },
            quote_ident(&self.name)
        )])
    }
}

impl Render for RenameRole {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        ctx.ident(&self.from, "role")?;
        ctx.ident(&self.to, "role")?;
        Ok(vec![format!(
            "ALTER ROLE {} RENAME TO {}",
            quote_ident(&self.from),
            quote_ident(&self.to)
        )])
    }
}

/// `CURRENT_ROLE` as a role specification (PostgreSQL 14; `CURRENT_USER` is the same role on every major).
pub(crate) fn role_spec_needs<'a>(roles: impl IntoIterator<Item = &'a RoleSpec>) -> Vec<Needs> {
    roles
        .into_iter()
        .filter(|r| matches!(r, RoleSpec::Keyword(k) if *k == "CURRENT_ROLE"))
        .map(|_| Needs::new(14, "CURRENT_ROLE as a role name"))
        .take(1)
        .collect()
}
