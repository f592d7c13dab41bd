//! Column operations and column definitions written back as Rust ([`ToRust`]).

use super::{AddColumns, AlterColumn, DropColumns, IdentityChange, RenameColumn};
use super::{Column, FkAction, FkMatch, Identity, IdentityKind, References};
use crate::error::DslError;
use crate::to_rust::{ident, idents, int, lit, name, refuse, value, Chain, ToRust};
use crate::value::Change;

/// A `column(..)` definition with its setters.
pub(crate) fn column(c: &Column, op: &'static str) -> Result<String, DslError> {
    let Column {
        name: column_name,
        data_type,
        not_null,
        primary_key,
        unique,
        default,
        check,
        references: fk,
        comment,
        collation,
        generated,
        identity: id,
        orphan_fk_option,
    } = c;
    if let Some(option) = orphan_fk_option {
        return Err(refuse(
            op,
            format!(
                "column {:?}: `{option}` without `references` (no foreign key to write it on)",
                column_name.as_str()
            ),
        ));
    }
    let mut w = Chain::call("column", &[ident(column_name), lit(data_type)]);
    w.flag(*not_null, "not_null")
        .flag(*primary_key, "primary_key")
        .flag(*unique, "unique")
        .some(default.as_ref(), "default", value)
        .some(check.as_ref(), "check", |c| lit(c));
    if let Some(fk) = fk {
        references(fk, &mut w, column_name.as_str(), op)?;
    }
    w.some(collation.as_ref(), "collate", name)
        .some(generated.as_ref(), "generated_always_as", |g| lit(g))
        .some(id.as_ref(), "identity", identity)
        .some(comment.as_ref(), "comment", |c| lit(c));
    Ok(w.expression())
}

/// A column's `REFERENCES` clause as its setters.
fn references(
    fk: &References,
    w: &mut Chain,
    column_name: &str,
    op: &'static str,
) -> Result<(), DslError> {
    let References {
        table,
        columns,
        on_delete,
        on_update,
        match_type,
        deferrable,
        constraint_name,
    } = fk;
    match columns.as_slice() {
        [] => w.set("references", &[name(table)]),
        [one] => w.set("references_column", &[name(table), ident(one)]),
        _ => {
            return Err(refuse(
                op,
                format!("column {column_name:?}: a column's foreign key to several columns"),
            ))
        }
    };
    w.some(*on_delete, "on_delete", fk_action)
        .some(*on_update, "on_update", fk_action)
        .some(*match_type, "match_type", fk_match)
        .some(*deferrable, "deferrable", |d| d.to_string())
        .some(
            constraint_name.as_ref(),
            "references_constraint_name",
            ident,
        );
    Ok(())
}

pub(crate) fn fk_action(action: FkAction) -> String {
    match action {
        FkAction::NoAction => "FkAction::NoAction",
        FkAction::Restrict => "FkAction::Restrict",
        FkAction::Cascade => "FkAction::Cascade",
        FkAction::SetNull => "FkAction::SetNull",
        FkAction::SetDefault => "FkAction::SetDefault",
    }
    .to_owned()
}

pub(crate) fn fk_match(match_type: FkMatch) -> String {
    match match_type {
        FkMatch::Simple => "FkMatch::Simple",
        FkMatch::Full => "FkMatch::Full",
    }
    .to_owned()
}

/// `Identity::always()` / `Identity::by_default()` with its sequence options.
pub(crate) fn identity(identity: &Identity) -> String {
    let Identity {
        kind,
        start,
        increment,
        minvalue,
        maxvalue,
        cache,
        cycle,
    } = identity;
    let mut w = Chain::call(
        match kind {
            IdentityKind::Always => "Identity::always",
            IdentityKind::ByDefault => "Identity::by_default",
        },
        &[],
    );
    w.some(*start, "start", int)
        .some(*increment, "increment", int)
        .some(*minvalue, "minvalue", int)
        .some(*maxvalue, "maxvalue", int)
        .some(*cache, "cache", int);
    match cycle {
        Some(true) => w.set("cycle", &[]),
        Some(false) => w.set("no_cycle", &[]),
        None => &mut w,
    };
    w.expression()
}

/// The columns of `create_table` and `add_columns`.
pub(crate) fn columns(columns: &[Column], op: &'static str) -> Result<String, DslError> {
    let written = columns
        .iter()
        .map(|c| column(c, op))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(crate::to_rust::array(written, "Column"))
}

impl ToRust for AddColumns {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let AddColumns {
            table,
            columns: added,
            if_not_exists,
            if_table_exists,
        } = self;
        Ok(Chain::pgm(op, &[name(table), columns(added, op)?])
            .flag(*if_not_exists, "if_not_exists")
            .flag(*if_table_exists, "if_table_exists")
            .statement())
    }
}

impl ToRust for DropColumns {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropColumns {
            table,
            columns,
            if_exists,
            cascade,
            if_table_exists,
        } = self;
        Ok(Chain::pgm(op, &[name(table), idents(columns)])
            .flag(*if_exists, "if_exists")
            .flag(*cascade, "cascade")
            .flag(*if_table_exists, "if_table_exists")
            .statement())
    }
}

impl ToRust for RenameColumn {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RenameColumn {
            table,
            from,
            to,
            if_table_exists,
        } = self;
        Ok(Chain::pgm(op, &[name(table), ident(from), ident(to)])
            .flag(*if_table_exists, "if_table_exists")
            .statement())
    }
}

impl ToRust for AlterColumn {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let AlterColumn {
            table,
            column,
            set_type,
            using,
            default,
            not_null,
            comment,
            collation,
            identity: id,
            drop_expression,
            if_table_exists,
        } = self;
        let mut w = Chain::pgm(op, &[name(table), ident(column)]);
        w.some(set_type.as_ref(), "set_type", |t| lit(t))
            .some(using.as_ref(), "using", |u| lit(u));
        match default {
            Change::Keep => {}
            Change::Set(v) => {
                w.set("set_default", &[value(v)]);
            }
            Change::Remove => {
                w.set("drop_default", &[]);
            }
        }
        match not_null {
            Some(true) => w.set("set_not_null", &[]),
            Some(false) => w.set("drop_not_null", &[]),
            None => &mut w,
        };
        match comment {
            Change::Keep => {}
            Change::Set(text) => {
                w.set("comment", &[format!("Some({})", lit(text))]);
            }
            Change::Remove => {
                w.set("comment", &["None::<&str>".to_owned()]);
            }
        }
        w.some(collation.as_ref(), "collate", name);
        match id {
            Some(IdentityChange::Add(i)) => w.set("add_identity", &[identity(i)]),
            Some(IdentityChange::Set(i)) => w.set("set_identity", &[identity(i)]),
            Some(IdentityChange::Drop { if_exists: false }) => w.set("drop_identity", &[]),
            Some(IdentityChange::Drop { if_exists: true }) => w.set("drop_identity_if_exists", &[]),
            None => &mut w,
        };
        w.flag(*drop_expression, "drop_expression")
            .flag(*if_table_exists, "if_table_exists");
        Ok(w.statement())
    }
}
