//! Trigger operations written back as Rust ([`ToRust`]).

use super::{
    CreateTrigger, DropTrigger, RenameTrigger, TriggerEvent, TriggerFunction, TriggerTiming,
};
use crate::error::DslError;
use crate::ops::function::rust::inline_trigger_function;
use crate::to_rust::{ident, idents, lit, name, refuse, values, Chain, ToRust};

impl ToRust for CreateTrigger {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let CreateTrigger {
            table,
            name: trigger,
            function,
            arguments,
            timing,
            events,
            for_each_row,
            when,
            constraint,
            deferrable,
            initially_deferred,
            comment,
            language_without_function,
        } = self;
        if *language_without_function {
            return Err(refuse(
                op,
                "`language` on a trigger that calls an existing function",
            ));
        }
        if *initially_deferred && !*deferrable {
            return Err(refuse(op, "initially deferred without deferrable"));
        }
        let mut w = match function {
            TriggerFunction::Existing(function) => {
                Chain::pgm(op, &[name(table), ident(trigger), name(function)])
            }
            TriggerFunction::Inline(function) => {
                let (body, setters) = inline_trigger_function(function, table, trigger, op)?;
                let mut w = Chain::pgm(
                    "create_trigger_with_function",
                    &[name(table), ident(trigger), body],
                );
                for (setter, argument) in setters {
                    w.set(setter, &[argument]);
                }
                w
            }
        };
        match timing {
            Some(TriggerTiming::Before) => w.set("before", &[]),
            Some(TriggerTiming::After) => w.set("after", &[]),
            Some(TriggerTiming::InsteadOf) => w.set("instead_of", &[]),
            None => &mut w,
        };
        for event in events {
            match event {
                TriggerEvent::Insert => w.set("on_insert", &[]),
                TriggerEvent::Update(columns) if columns.is_empty() => w.set("on_update", &[]),
                TriggerEvent::Update(columns) => w.set("on_update_of", &[idents(columns)]),
                TriggerEvent::Delete => w.set("on_delete", &[]),
                TriggerEvent::Truncate => w.set("on_truncate", &[]),
            };
        }
        w.flag(*for_each_row, "for_each_row")
            .some(when.as_ref(), "when", |c| lit(c))
            .flag(*constraint, "constraint");
        if *initially_deferred {
            w.set("initially_deferred", &[]);
        } else {
            w.flag(*deferrable, "deferrable");
        }
        if !arguments.is_empty() {
            w.set("arguments", &[values(arguments)]);
        }
        w.some(comment.as_ref(), "comment", |c| lit(c));
        Ok(w.statement())
    }
}

impl ToRust for DropTrigger {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropTrigger {
            table,
            name: trigger,
            if_exists,
            cascade,
        } = self;
        Ok(Chain::pgm(op, &[name(table), ident(trigger)])
            .flag(*if_exists, "if_exists")
            .flag(*cascade, "cascade")
            .statement())
    }
}

impl ToRust for RenameTrigger {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RenameTrigger { table, from, to } = self;
        Ok(Chain::pgm(op, &[name(table), ident(from), ident(to)]).statement())
    }
}
