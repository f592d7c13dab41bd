//! Extension operations written back as Rust ([`ToRust`]).

use super::{CreateExtension, DropExtension};
use crate::error::DslError;
use crate::to_rust::{ident, idents, lit, Chain, ToRust};

impl ToRust for CreateExtension {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let CreateExtension {
            names,
            if_not_exists,
            schema,
            comment,
            drop_cascade,
        } = self;
        Ok(Chain::pgm(op, &[idents(names)])
            .flag(*if_not_exists, "if_not_exists")
            .some(schema.as_ref(), "schema", ident)
            .some(comment.as_ref(), "comment", |c| lit(c))
            .flag(*drop_cascade, "drop_cascade")
            .statement())
    }
}

impl ToRust for DropExtension {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropExtension {
            names,
            if_exists,
            cascade,
        } = self;
        Ok(Chain::pgm(op, &[idents(names)])
            .flag(*if_exists, "if_exists")
            .flag(*cascade, "cascade")
            .statement())
    }
}
