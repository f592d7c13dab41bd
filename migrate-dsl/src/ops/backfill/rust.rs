//! The end of a backfill's kept values written back as Rust ([`ToRust`]).

use super::DropKeptValues;
use crate::error::DslError;
use crate::to_rust::{name, Chain, ToRust};

impl ToRust for DropKeptValues {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let DropKeptValues { table } = self;
        Ok(Chain::pgm(op, &[name(table)]).statement())
    }
}
