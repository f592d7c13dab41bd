//! Schema operations written back as Rust ([`ToRust`]).

use super::{CreateSchema, DropSchema, RenameSchema};
use crate::error::DslError;
use crate::to_rust::{ident, lit, Chain, ToRust};

impl ToRust for CreateSchema {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let CreateSchema {
            name,
            if_not_exists,
            authorization,
            comment,
            drop_cascade,
        } = self;
        Ok(Chain::pgm(op, &[ident(name)])
            .flag(*if_not_exists, "if_not_exists")
            .some(authorization.as_ref(), "authorization", ident)
            .some(comment.as_ref(), "comment", |c| lit(c))
            .flag(*drop_cascade, "drop_cascade")
            .statement())
    }
}

impl ToRust for DropSchema {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropSchema {
            name,
            if_exists,
            cascade,
        } = self;
        Ok(Chain::pgm(op, &[ident(name)])
            .flag(*if_exists, "if_exists")
            .flag(*cascade, "cascade")
            .statement())
    }
}

impl ToRust for RenameSchema {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RenameSchema { from, to } = self;
        Ok(Chain::pgm(op, &[ident(from), ident(to)]).statement())
    }
}
