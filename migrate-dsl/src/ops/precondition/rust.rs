//! Preconditions written back as Rust ([`ToRust`]).

use super::Precondition;
use crate::error::DslError;
use crate::to_rust::{lit, Chain, ToRust};

impl ToRust for Precondition {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let Precondition { name, sql } = self;
        Ok(Chain::pgm(op, &[lit(name), lit(sql)]).statement())
    }
}
