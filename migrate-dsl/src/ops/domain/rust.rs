//! Domain operations written back as Rust ([`ToRust`]).

use super::{AlterDomain, CreateDomain, DropDomain, RenameDomain};
use crate::error::DslError;
use crate::to_rust::{ident, lit, name, value, Chain, ToRust};
use crate::value::Change;

impl ToRust for CreateDomain {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let CreateDomain {
            name: domain,
            data_type,
            collation,
            default,
            not_null,
            check,
            constraint_name,
            comment,
            drop_cascade,
        } = self;
        Ok(Chain::pgm(op, &[name(domain), lit(data_type)])
            .some(collation.as_ref(), "collation", name)
            .some(default.as_ref(), "default", value)
            .flag(*not_null, "not_null")
            .some(check.as_ref(), "check", |c| lit(c))
            .some(constraint_name.as_ref(), "constraint_name", ident)
            .some(comment.as_ref(), "comment", |c| lit(c))
            .flag(*drop_cascade, "drop_cascade")
            .statement())
    }
}

impl ToRust for AlterDomain {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let AlterDomain {
            name: domain,
            default,
            not_null,
            check,
            constraint_name,
            not_valid,
        } = self;
        let mut w = Chain::pgm(op, &[name(domain)]);
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
        w.some(check.as_ref(), "add_check", |c| lit(c))
            .some(constraint_name.as_ref(), "constraint_name", ident)
            .flag(*not_valid, "not_valid");
        Ok(w.statement())
    }
}

impl ToRust for DropDomain {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropDomain {
            name: domain,
            if_exists,
            cascade,
        } = self;
        Ok(Chain::pgm(op, &[name(domain)])
            .flag(*if_exists, "if_exists")
            .flag(*cascade, "cascade")
            .statement())
    }
}

impl ToRust for RenameDomain {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RenameDomain { from, to } = self;
        Ok(Chain::pgm(op, &[name(from), ident(to)]).statement())
    }
}
