//! Version gates render through their resolved form ([`MigrationBuilder::for_server`]); only their
//! comment lines render here.
//!
//! [`MigrationBuilder::for_server`]: crate::MigrationBuilder::for_server

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::ops::*;

use super::*;

impl Render for SincePg {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        // `MigrationBuilder::statements` resolves every gate first, so this is never reached.
        Err(ctx.invalid("since_pg must be resolved before it is rendered"))
    }

    fn outside_transaction(&self) -> bool {
        !self.then.is_transactional() || !self.otherwise.is_transactional()
    }
}

impl Render for SincePgNote {
    fn render(&self, _ctx: Ctx) -> Result<Vec<String>, DslError> {
        Ok(vec![self.text.clone()])
    }
}

/// `UNIQUE NULLS NOT DISTINCT` (PostgreSQL 15).
pub(super) fn constraint_needs(constraint: &Constraint) -> Vec<Needs> {
    match &constraint.kind {
        ConstraintKind::Unique {
            nulls_not_distinct: true,
            ..
        } => vec![Needs::new(15, "UNIQUE NULLS NOT DISTINCT")],
        _ => Vec::new(),
    }
}

/// View options that older servers reject as unrecognized parameters.
pub(super) fn view_option_needs<'a>(names: impl Iterator<Item = &'a str>) -> Vec<Needs> {
    names
        .filter(|name| name.eq_ignore_ascii_case("security_invoker"))
        .map(|_| Needs::new(15, "the view option security_invoker"))
        .collect()
}

/// `CURRENT_ROLE` as a role specification (PostgreSQL 14; `CURRENT_USER` is the same role on every major).
pub(super) fn role_spec_needs<'a>(roles: impl IntoIterator<Item = &'a RoleSpec>) -> Vec<Needs> {
    roles
        .into_iter()
        .filter(|r| matches!(r, RoleSpec::Keyword(k) if *k == "CURRENT_ROLE"))
        .map(|_| Needs::new(14, "CURRENT_ROLE as a role name"))
        .take(1)
        .collect()
}

/// A policy's `TO` list: role names, or keywords recognised in any letter case.
pub(super) fn policy_role_needs(roles: &[String]) -> Vec<Needs> {
    roles
        .iter()
        .filter(|r| r.eq_ignore_ascii_case("CURRENT_ROLE"))
        .map(|_| Needs::new(14, "CURRENT_ROLE as a role name"))
        .take(1)
        .collect()
}
