//! The online changes written back as Rust ([`ToRust`]).

use super::{AddConstraintOnline, ChangeColumnTypeOnline, OnlinePhase, RenameColumnOnline, Retype};
use crate::error::DslError;
use crate::ops::constraint::rust::add_constraint;
use crate::to_rust::{duration, ident, lit, name, refuse, Chain, ToRust};

/// The call of an online column change, `rename_column_online` or `change_column_type_online`: its head, the
/// phase and the backfill's pacing.
fn online_column(change: &RenameColumnOnline, op: &'static str) -> Result<Chain, DslError> {
    let RenameColumnOnline {
        table,
        from,
        to,
        phase,
        batch_size,
        pause,
        retype,
    } = change;
    let mut w = match retype {
        None => Chain::pgm(op, &[name(table), ident(from), ident(to)]),
        Some(Retype { new_type, .. }) => {
            Chain::pgm(op, &[name(table), ident(from), ident(to), lit(new_type)])
        }
    };
    if let Some(Retype {
        new_type: _,
        using,
        back,
        old_type,
    }) = retype
    {
        w.some(using.as_ref(), "using", |u| lit(u))
            .some(back.as_ref(), "back", |b| lit(b))
            .some(old_type.as_ref(), "old_type", |t| lit(t));
    }
    match phase {
        OnlinePhase::Expand => {}
        OnlinePhase::Contract => {
            w.set("contract", &[]);
        }
        OnlinePhase::UndoExpand | OnlinePhase::UndoContract => {
            return Err(refuse(
                op,
                "the undo of a phase (only a derived `down` holds it)",
            ))
        }
    }
    w.some(*batch_size, "batch_size", |rows| rows.to_string());
    if !pause.is_zero() {
        w.set("pause", &[duration(*pause)]);
    }
    Ok(w)
}

impl ToRust for RenameColumnOnline {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        if self.retype.is_some() {
            return Err(refuse(
                op,
                "a type change (`change_column_type_online` records it)",
            ));
        }
        Ok(online_column(self, op)?.statement())
    }
}

impl ToRust for ChangeColumnTypeOnline {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let ChangeColumnTypeOnline(change) = self;
        if change.retype.is_none() {
            return Err(refuse(op, "a change without its new type"));
        }
        Ok(online_column(change, op)?.statement())
    }
}

impl ToRust for AddConstraintOnline {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let AddConstraintOnline { add, per_partition } = self;
        let (mut w, options) = add_constraint(add, op)?;
        for (on, setter) in options {
            if on {
                return Err(refuse(
                    op,
                    format!("`{setter}` (the online recipe has no such option)"),
                ));
            }
        }
        w.flag(*per_partition, "per_partition");
        Ok(w.statement())
    }
}
