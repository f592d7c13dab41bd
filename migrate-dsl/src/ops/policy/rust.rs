//! Policy operations written back as Rust ([`ToRust`]).

use super::{AlterPolicy, CreatePolicy, DropPolicy, PolicyCommand, RenamePolicy};
use crate::error::DslError;
use crate::to_rust::{ident, lit, name, strings, Chain, ToRust};

impl ToRust for CreatePolicy {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let CreatePolicy {
            table,
            name: policy,
            restrictive,
            command,
            roles,
            using,
            with_check,
            comment,
        } = self;
        let mut w = Chain::pgm(op, &[name(table), ident(policy)]);
        match restrictive {
            Some(true) => w.set("restrictive", &[]),
            Some(false) => w.set("permissive", &[]),
            None => &mut w,
        };
        w.some(*command, "command", |c| {
            match c {
                PolicyCommand::All => "PolicyCommand::All",
                PolicyCommand::Select => "PolicyCommand::Select",
                PolicyCommand::Insert => "PolicyCommand::Insert",
                PolicyCommand::Update => "PolicyCommand::Update",
                PolicyCommand::Delete => "PolicyCommand::Delete",
            }
            .to_owned()
        });
        if !roles.is_empty() {
            w.set("to", &[strings(roles)]);
        }
        w.some(using.as_ref(), "using", |u| lit(u))
            .some(with_check.as_ref(), "with_check", |c| lit(c))
            .some(comment.as_ref(), "comment", |c| lit(c));
        Ok(w.statement())
    }
}

impl ToRust for AlterPolicy {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let AlterPolicy {
            table,
            name: policy,
            roles,
            using,
            with_check,
        } = self;
        let mut w = Chain::pgm(op, &[name(table), ident(policy)]);
        if !roles.is_empty() {
            w.set("to", &[strings(roles)]);
        }
        w.some(using.as_ref(), "using", |u| lit(u))
            .some(with_check.as_ref(), "with_check", |c| lit(c));
        Ok(w.statement())
    }
}

impl ToRust for DropPolicy {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropPolicy {
            table,
            name: policy,
            if_exists,
        } = self;
        Ok(Chain::pgm(op, &[name(table), ident(policy)])
            .flag(*if_exists, "if_exists")
            .statement())
    }
}

impl ToRust for RenamePolicy {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RenamePolicy { table, from, to } = self;
        Ok(Chain::pgm(op, &[name(table), ident(from), ident(to)]).statement())
    }
}
