//! View operations written back as Rust ([`ToRust`]).

use super::{AlterView, AlterViewColumn, CheckOption, CreateView, DropView, RenameView};
use crate::error::DslError;
use crate::to_rust::{ident, idents, lit, name, value, Chain, ToRust};
use crate::value::Change;

impl ToRust for CreateView {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let CreateView {
            name: view,
            definition,
            or_replace,
            temporary,
            recursive,
            columns,
            check_option,
            options,
            comment,
        } = self;
        let mut w = Chain::pgm(op, &[name(view), lit(definition)]);
        w.flag(*or_replace, "or_replace")
            .flag(*temporary, "temporary")
            .flag(*recursive, "recursive");
        if !columns.is_empty() {
            w.set("columns", &[idents(columns)]);
        }
        w.some(*check_option, "check_option", |o| {
            match o {
                CheckOption::Local => "CheckOption::Local",
                CheckOption::Cascaded => "CheckOption::Cascaded",
            }
            .to_owned()
        });
        for (option, v) in options {
            w.set("option", &[lit(option), value(v)]);
        }
        w.some(comment.as_ref(), "comment", |c| lit(c));
        Ok(w.statement())
    }
}

impl ToRust for DropView {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropView {
            name: view,
            if_exists,
            cascade,
        } = self;
        Ok(Chain::pgm(op, &[name(view)])
            .flag(*if_exists, "if_exists")
            .flag(*cascade, "cascade")
            .statement())
    }
}

impl ToRust for AlterView {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let AlterView {
            name: view,
            set,
            reset,
        } = self;
        let mut w = Chain::pgm(op, &[name(view)]);
        // `check_option(..)` records the same as setting the option by its name.
        for (option, v) in set {
            w.set("set_option", &[lit(option), value(v)]);
        }
        for option in reset {
            w.set("reset_option", &[lit(option)]);
        }
        Ok(w.statement())
    }
}

impl ToRust for AlterViewColumn {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let AlterViewColumn {
            view,
            column,
            default,
        } = self;
        let mut w = Chain::pgm(op, &[name(view), ident(column)]);
        match default {
            Change::Keep => {}
            Change::Set(v) => {
                w.set("set_default", &[value(v)]);
            }
            Change::Remove => {
                w.set("drop_default", &[]);
            }
        }
        Ok(w.statement())
    }
}

impl ToRust for RenameView {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RenameView { from, to } = self;
        Ok(Chain::pgm(op, &[name(from), ident(to)]).statement())
    }
}
