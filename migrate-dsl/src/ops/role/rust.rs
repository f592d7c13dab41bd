//! Role operations written back as Rust ([`ToRust`]).

use super::{AlterRole, CreateRole, DropRole, RenameRole, RoleOptions, RoleSpec};
use crate::error::DslError;
use crate::to_rust::{array, ident, lit, refuse, Chain, ToRust};
use crate::value::Change;

/// Roles as the strings the builder takes: a keyword (`PUBLIC`, `CURRENT_USER`, ..) as its word. A role
/// *named* like a keyword has no such string (the string reads as the keyword), so it is refused.
pub(crate) fn role_specs(roles: &[RoleSpec], op: &'static str) -> Result<String, DslError> {
    let written = roles
        .iter()
        .map(|role| match role {
            RoleSpec::Keyword(keyword) => Ok(lit(keyword)),
            RoleSpec::Role(name) => {
                let keyword = ["PUBLIC", "CURRENT_USER", "SESSION_USER", "CURRENT_ROLE"]
                    .iter()
                    .any(|k| name.as_str().eq_ignore_ascii_case(k));
                if keyword {
                    Err(refuse(
                        op,
                        format!(
                            "a role named {:?} (the string reads as the keyword)",
                            name.as_str()
                        ),
                    ))
                } else {
                    Ok(ident(name))
                }
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(array(written, "&str"))
}

fn options(options: &RoleOptions, w: &mut Chain) {
    let RoleOptions {
        superuser,
        createdb,
        createrole,
        inherit,
        login,
        replication,
        bypassrls,
        connection_limit,
        password,
        valid_until,
    } = options;
    for (setting, setter) in [
        (superuser, "superuser"),
        (createdb, "createdb"),
        (createrole, "createrole"),
        (inherit, "inherit"),
        (login, "login"),
        (replication, "replication"),
        (bypassrls, "bypassrls"),
    ] {
        w.some(*setting, setter, |yes| yes.to_string());
    }
    w.some(*connection_limit, "connection_limit", |limit| {
        limit.to_string()
    });
    match password {
        Change::Keep => {}
        Change::Set(password) => {
            w.set("password", &[lit(password)]);
        }
        Change::Remove => {
            w.set("no_password", &[]);
        }
    }
    w.some(valid_until.as_ref(), "valid_until", |t| lit(t));
}

impl ToRust for CreateRole {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let CreateRole {
            name,
            options: role_options,
            in_role,
            members,
            admins,
        } = self;
        let mut w = Chain::pgm(op, &[ident(name)]);
        options(role_options, &mut w);
        for (roles, setter) in [
            (in_role, "in_role"),
            (members, "members"),
            (admins, "admins"),
        ] {
            if !roles.is_empty() {
                w.set(setter, &[role_specs(roles, op)?]);
            }
        }
        Ok(w.statement())
    }
}

impl ToRust for AlterRole {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let AlterRole {
            name,
            options: role_options,
        } = self;
        let mut w = Chain::pgm(op, &[ident(name)]);
        options(role_options, &mut w);
        Ok(w.statement())
    }
}

impl ToRust for DropRole {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropRole { name, if_exists } = self;
        Ok(Chain::pgm(op, &[ident(name)])
            .flag(*if_exists, "if_exists")
            .statement())
    }
}

impl ToRust for RenameRole {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RenameRole { from, to } = self;
        Ok(Chain::pgm(op, &[ident(from), ident(to)]).statement())
    }
}
