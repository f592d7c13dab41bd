//! Grants and revokes.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::ops::*;
use crate::quote::{quote_ident, quote_list, quote_name};

use super::role::role_list;
use super::Render;

fn privileges(ctx: Ctx, list: &[Privilege], allowed: &[Privilege]) -> Result<String, DslError> {
    if list.is_empty() {
        return Err(ctx.invalid("no privileges given"));
    }
    for p in list {
        if !allowed.contains(p) {
            return Err(ctx.invalid(format!(
                "{} is not a privilege on this kind of object",
                p.as_sql()
            )));
        }
    }
    Ok(list
        .iter()
        .map(|p| p.as_sql())
        .collect::<Vec<_>>()
        .join(", "))
}

const SCHEMA_PRIVILEGES: &[Privilege] = &[Privilege::Usage, Privilege::Create, Privilege::All];
const TABLE_PRIVILEGES: &[Privilege] = &[
    Privilege::Select,
    Privilege::Insert,
    Privilege::Update,
    Privilege::Delete,
    Privilege::Truncate,
    Privilege::References,
    Privilege::Trigger,
    Privilege::All,
];

fn schemas(ctx: Ctx, list: &[crate::name::Ident]) -> Result<String, DslError> {
    if list.is_empty() {
        return Err(ctx.invalid("no schemas given"));
    }
    list.iter().try_for_each(|s| ctx.ident(s, "schema"))?;
    Ok(format!("SCHEMA {}", quote_list(list)))
}

fn tables(ctx: Ctx, target: &TablesTarget) -> Result<String, DslError> {
    match target {
        TablesTarget::Tables(list) => {
            if list.is_empty() {
                return Err(ctx.invalid("no tables given"));
            }
            list.iter().try_for_each(|t| ctx.name(t, "table"))?;
            Ok(format!(
                "TABLE {}",
                list.iter().map(quote_name).collect::<Vec<_>>().join(", ")
            ))
        }
        TablesTarget::AllInSchemas(list) => {
            if list.is_empty() {
                return Err(ctx.invalid("no schemas given"));
            }
            list.iter().try_for_each(|s| ctx.ident(s, "schema"))?;
            Ok(format!(
                "ALL TABLES IN SCHEMA {}",
                list.iter().map(quote_ident).collect::<Vec<_>>().join(", ")
            ))
        }
    }
}

fn grant(privileges: String, on: String, roles: String, grant_option: bool) -> String {
    format!(
        "GRANT {privileges} ON {on} TO {roles}{}",
        if grant_option {
            " WITH GRANT OPTION"
        } else {
            ""
        }
    )
}

fn revoke(
    privileges: String,
    on: String,
    roles: String,
    grant_option: bool,
    cascade: bool,
) -> String {
    format!(
        "REVOKE {}{privileges} ON {on} FROM {roles}{}",
        if grant_option {
            "GRANT OPTION FOR "
        } else {
            ""
        },
        if cascade { " CASCADE" } else { "" }
    )
}

impl Render for GrantRoles {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        Ok(vec![format!(
            "GRANT {} TO {}{}",
            role_list(ctx, &self.roles, "roles to grant")?,
            role_list(ctx, &self.to, "grantees")?,
            if self.with_admin_option {
                " WITH ADMIN OPTION"
            } else {
                ""
            }
        )])
    }
}

impl Render for RevokeRoles {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        Ok(vec![format!(
            "REVOKE {}{} FROM {}{}",
            if self.admin_option_for {
                "ADMIN OPTION FOR "
            } else {
                ""
            },
            role_list(ctx, &self.roles, "roles to revoke")?,
            role_list(ctx, &self.from, "roles to revoke from")?,
            if self.cascade { " CASCADE" } else { "" }
        )])
    }
}

impl Render for GrantOnSchemas {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let p = &self.0;
        Ok(vec![grant(
            privileges(ctx, &p.privileges, SCHEMA_PRIVILEGES)?,
            schemas(ctx, &p.on)?,
            role_list(ctx, &p.roles, "grantees")?,
            p.grant_option,
        )])
    }
}

impl Render for RevokeOnSchemas {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let p = &self.0;
        Ok(vec![revoke(
            privileges(ctx, &p.privileges, SCHEMA_PRIVILEGES)?,
            schemas(ctx, &p.on)?,
            role_list(ctx, &p.roles, "roles to revoke from")?,
            p.grant_option,
            p.cascade,
        )])
    }
}

impl Render for GrantOnTables {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let p = &self.0;
        Ok(vec![grant(
            privileges(ctx, &p.privileges, TABLE_PRIVILEGES)?,
            tables(ctx, &p.on)?,
            role_list(ctx, &p.roles, "grantees")?,
            p.grant_option,
        )])
    }
}

impl Render for RevokeOnTables {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        let p = &self.0;
        Ok(vec![revoke(
            privileges(ctx, &p.privileges, TABLE_PRIVILEGES)?,
            tables(ctx, &p.on)?,
            role_list(ctx, &p.roles, "roles to revoke from")?,
            p.grant_option,
            p.cascade,
        )])
    }
}
