//! Grants and revokes written back as Rust ([`ToRust`]).

use super::{
    GrantOnSchemas, GrantOnTables, GrantRoles, Privilege, Privileges, RevokeOnSchemas,
    RevokeOnTables, RevokeRoles, TablesTarget,
};
use crate::error::DslError;
use crate::name::Name;
use crate::ops::role::rust::role_specs;
use crate::to_rust::{array, idents, name, refuse, Chain, ToRust};

fn privileges(privileges: &[Privilege]) -> String {
    let written = privileges
        .iter()
        .map(|p| {
            match p {
                Privilege::Select => "Privilege::Select",
                Privilege::Insert => "Privilege::Insert",
                Privilege::Update => "Privilege::Update",
                Privilege::Delete => "Privilege::Delete",
                Privilege::Truncate => "Privilege::Truncate",
                Privilege::References => "Privilege::References",
                Privilege::Trigger => "Privilege::Trigger",
                Privilege::Usage => "Privilege::Usage",
                Privilege::Create => "Privilege::Create",
                Privilege::All => "Privilege::All",
            }
            .to_owned()
        })
        .collect();
    array(written, "Privilege")
}

/// Tables as one array: bare strings or tuples when they are all alike, else each a `Name` (one element type).
fn tables(tables: &[Name]) -> String {
    let qualified = tables.iter().filter(|t| t.schema.is_some()).count();
    if qualified == 0 || qualified == tables.len() {
        return array(tables.iter().map(name).collect(), "&str");
    }
    array(
        tables
            .iter()
            .map(|t| format!("migrate_dsl::Name::from({})", name(t)))
            .collect(),
        "&str",
    )
}

/// `pgm.<op>(on, privileges, roles)` and the option every privilege operation has, under its own setter.
fn privilege_call(
    op: &'static str,
    on: String,
    granted: &Privileges<impl Sized>,
    option: &str,
) -> Result<Chain, DslError> {
    let Privileges {
        on: _,
        privileges: list,
        roles,
        grant_option,
        cascade: _,
    } = granted;
    let mut w = Chain::pgm(op, &[on, privileges(list), role_specs(roles, op)?]);
    w.flag(*grant_option, option);
    Ok(w)
}

impl ToRust for GrantRoles {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let GrantRoles {
            roles,
            to,
            with_admin_option,
        } = self;
        Ok(
            Chain::pgm(op, &[role_specs(roles, op)?, role_specs(to, op)?])
                .flag(*with_admin_option, "with_admin_option")
                .statement(),
        )
    }
}

impl ToRust for RevokeRoles {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RevokeRoles {
            roles,
            from,
            admin_option_for,
            cascade,
        } = self;
        Ok(
            Chain::pgm(op, &[role_specs(roles, op)?, role_specs(from, op)?])
                .flag(*admin_option_for, "admin_option_for")
                .flag(*cascade, "cascade")
                .statement(),
        )
    }
}

impl ToRust for GrantOnSchemas {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let GrantOnSchemas(granted) = self;
        if granted.cascade {
            return Err(refuse(op, "CASCADE on a grant"));
        }
        Ok(privilege_call(op, idents(&granted.on), granted, "with_grant_option")?.statement())
    }
}

impl ToRust for RevokeOnSchemas {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RevokeOnSchemas(revoked) = self;
        Ok(
            privilege_call(op, idents(&revoked.on), revoked, "grant_option_for")?
                .flag(revoked.cascade, "cascade")
                .statement(),
        )
    }
}

impl ToRust for GrantOnTables {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let GrantOnTables(granted) = self;
        if granted.cascade {
            return Err(refuse(op, "CASCADE on a grant"));
        }
        let (method, on) = match &granted.on {
            TablesTarget::Tables(list) => (op, tables(list)),
            TablesTarget::AllInSchemas(schemas) => {
                ("grant_on_all_tables_in_schemas", idents(schemas))
            }
        };
        Ok(privilege_call(method, on, granted, "with_grant_option")?.statement())
    }
}

impl ToRust for RevokeOnTables {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RevokeOnTables(revoked) = self;
        let TablesTarget::Tables(list) = &revoked.on else {
            return Err(refuse(op, "a revoke on all tables in schemas"));
        };
        Ok(
            privilege_call(op, tables(list), revoked, "grant_option_for")?
                .flag(revoked.cascade, "cascade")
                .statement(),
        )
    }
}
