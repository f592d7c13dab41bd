//! Grants and revokes.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::name::{quote_ident, quote_list, quote_name};
use crate::ops::{role_list, *};
use crate::quote::literal;
use crate::render::{Needs, Render};
use crate::safeguard::{GrantCheck, Safeguard};

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

/// The role OID a role specification names, as SQL (`NULL` when there is no such role: the `GRANT` then
/// fails on its own).
fn role_oid(role: &RoleSpec) -> String {
    match role {
        RoleSpec::Role(name) => format!("to_regrole({})::oid", literal(&quote_ident(name))),
        RoleSpec::Keyword("PUBLIC") => "0::oid".to_owned(),
        RoleSpec::Keyword("SESSION_USER") => {
            "(SELECT oid FROM pg_roles WHERE rolname = SESSION_USER)".to_owned()
        }
        RoleSpec::Keyword(_) => {
            "(SELECT oid FROM pg_roles WHERE rolname = CURRENT_USER)".to_owned()
        }
    }
}

fn oid_array(items: impl Iterator<Item = String>) -> String {
    format!("ARRAY[{}]::oid[]", items.collect::<Vec<_>>().join(", "))
}

/// The privileges as `aclexplode` names them; `ALL` is every one of `allowed`.
fn privilege_names(list: &[Privilege], allowed: &[Privilege]) -> String {
    let names: Vec<String> = if list.contains(&Privilege::All) {
        allowed
            .iter()
            .filter(|p| **p != Privilege::All)
            .map(|p| literal(p.as_sql()))
            .collect()
    } else {
        list.iter().map(|p| literal(p.as_sql())).collect()
    };
    format!("ARRAY[{}]", names.join(", "))
}

/// Who holds a privilege, as text: `PUBLIC` or the role.
const GRANTEE: &str = "CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END";

impl Render for GrantRoles {
    fn needs_server(&self) -> Vec<Needs> {
        crate::ops::role_spec_needs(self.roles.iter().chain(&self.to))
    }

    fn safeguard(&self, _index: usize) -> Option<Safeguard> {
        Some(Safeguard::GrantsNothingHeld(GrantCheck {
            held_query: format!(
                "SELECT format('membership of %s in %s', m.member::regrole, m.roleid::regrole) \
                 FROM pg_auth_members m WHERE m.roleid = ANY ({}) AND m.member = ANY ({})",
                oid_array(self.roles.iter().map(role_oid)),
                oid_array(self.to.iter().map(role_oid))
            ),
        }))
    }

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
    fn needs_server(&self) -> Vec<Needs> {
        crate::ops::role_spec_needs(self.roles.iter().chain(&self.from))
    }

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
    fn needs_server(&self) -> Vec<Needs> {
        crate::ops::role_spec_needs(&self.0.roles)
    }

    fn safeguard(&self, _index: usize) -> Option<Safeguard> {
        let p = &self.0;
        let schemas = oid_array(
            p.on.iter()
                .map(|s| format!("to_regnamespace({})::oid", literal(&quote_ident(s)))),
        );
        Some(Safeguard::GrantsNothingHeld(GrantCheck {
            held_query: format!(
                "SELECT format('%s on schema %s for %s', a.privilege_type, n.nspname, {GRANTEE}) \
                 FROM pg_namespace n CROSS JOIN LATERAL aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a \
                 WHERE n.oid = ANY ({schemas}) AND a.grantee = ANY ({}) AND a.privilege_type = ANY ({})",
                oid_array(p.roles.iter().map(role_oid)),
                privilege_names(&p.privileges, SCHEMA_PRIVILEGES)
            ),
        }))
    }

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
    fn needs_server(&self) -> Vec<Needs> {
        crate::ops::role_spec_needs(&self.0.roles)
    }

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
    fn needs_server(&self) -> Vec<Needs> {
        crate::ops::role_spec_needs(&self.0.roles)
    }

    // ON ALL TABLES IN SCHEMA has no derived reverse, so nothing to protect; granting to tables that already
    // have the privilege is its normal use.
    fn safeguard(&self, _index: usize) -> Option<Safeguard> {
        let p = &self.0;
        let TablesTarget::Tables(tables) = &p.on else {
            return None;
        };
        let tables = oid_array(
            tables
                .iter()
                .map(|t| format!("to_regclass({})::oid", literal(&quote_name(t)))),
        );
        Some(Safeguard::GrantsNothingHeld(GrantCheck {
            held_query: format!(
                "SELECT format('%s on %s for %s', a.privilege_type, c.oid::regclass, {GRANTEE}) \
                 FROM pg_class c CROSS JOIN LATERAL aclexplode(coalesce(c.relacl, \
                 acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner))) a \
                 WHERE c.oid = ANY ({tables}) AND a.grantee = ANY ({}) AND a.privilege_type = ANY ({})",
                oid_array(p.roles.iter().map(role_oid)),
                privilege_names(&p.privileges, TABLE_PRIVILEGES)
            ),
        }))
    }

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
    fn needs_server(&self) -> Vec<Needs> {
        crate::ops::role_spec_needs(&self.0.roles)
    }

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
