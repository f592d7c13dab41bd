//! Sequence operations written back as Rust ([`ToRust`]).

use super::{
    AlterSequence, CreateSequence, DropSequence, RenameSequence, Restart, SequenceOptions,
};
use crate::error::DslError;
use crate::to_rust::{ident, int, lit, name, refuse, Chain, ToRust};
use crate::value::Change;

/// The setters `create_sequence` and `alter_sequence` share. `owned_by_none` is only `alter_sequence`'s.
fn options(
    options: &SequenceOptions,
    w: &mut Chain,
    owned_by_none: bool,
    op: &'static str,
) -> Result<(), DslError> {
    let SequenceOptions {
        data_type,
        increment,
        minvalue,
        maxvalue,
        start,
        cache,
        cycle,
        owned_by,
    } = options;
    w.some(data_type.as_ref(), "data_type", |t| lit(t))
        .some(*increment, "increment", int);
    for (change, set, remove) in [
        (minvalue, "minvalue", "no_minvalue"),
        (maxvalue, "maxvalue", "no_maxvalue"),
    ] {
        match change {
            Change::Keep => {}
            Change::Set(v) => {
                w.set(set, &[int(*v)]);
            }
            Change::Remove => {
                w.set(remove, &[]);
            }
        }
    }
    w.some(*start, "start", int).some(*cache, "cache", int);
    match cycle {
        Some(true) => w.set("cycle", &[]),
        Some(false) => w.set("no_cycle", &[]),
        None => &mut *w,
    };
    match owned_by {
        Change::Keep => {}
        Change::Set((table, column)) => {
            w.set("owned_by", &[name(table), ident(column)]);
        }
        Change::Remove if owned_by_none => {
            w.set("owned_by_none", &[]);
        }
        Change::Remove => return Err(refuse(op, "`OWNED BY NONE` on a new sequence")),
    }
    Ok(())
}

impl ToRust for CreateSequence {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let CreateSequence {
            name: sequence,
            temporary,
            if_not_exists,
            options: sequence_options,
            comment,
            drop_cascade,
        } = self;
        let mut w = Chain::pgm(op, &[name(sequence)]);
        w.flag(*temporary, "temporary")
            .flag(*if_not_exists, "if_not_exists");
        options(sequence_options, &mut w, false, op)?;
        w.some(comment.as_ref(), "comment", |c| lit(c))
            .flag(*drop_cascade, "drop_cascade");
        Ok(w.statement())
    }
}

impl ToRust for AlterSequence {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let AlterSequence {
            name: sequence,
            options: sequence_options,
            restart,
        } = self;
        let mut w = Chain::pgm(op, &[name(sequence)]);
        options(sequence_options, &mut w, true, op)?;
        match restart {
            Some(Restart::AtStart) => w.set("restart", &[]),
            Some(Restart::With(v)) => w.set("restart_with", &[int(*v)]),
            None => &mut w,
        };
        Ok(w.statement())
    }
}

impl ToRust for DropSequence {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropSequence {
            name: sequence,
            if_exists,
            cascade,
        } = self;
        Ok(Chain::pgm(op, &[name(sequence)])
            .flag(*if_exists, "if_exists")
            .flag(*cascade, "cascade")
            .statement())
    }
}

impl ToRust for RenameSequence {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RenameSequence { from, to } = self;
        Ok(Chain::pgm(op, &[name(from), ident(to)]).statement())
    }
}
