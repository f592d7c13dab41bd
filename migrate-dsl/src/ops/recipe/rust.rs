//! The safe recipes written back as Rust ([`ToRust`]).

use super::SetNotNull;
use crate::error::DslError;
use crate::to_rust::{ident, name, Chain, ToRust};

impl ToRust for SetNotNull {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let SetNotNull { table, column } = self;
        Ok(Chain::pgm(op, &[name(table), ident(column)]).statement())
    }
}
