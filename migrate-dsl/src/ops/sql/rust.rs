//! Raw SQL and the irreversible marker written back as Rust ([`ToRust`]).

use super::{Irreversible, Sql};
use crate::error::DslError;
use crate::to_rust::{lit, Chain, ToRust};

impl ToRust for Sql {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let Sql { sql } = self;
        Ok(Chain::pgm(op, &[lit(sql)]).statement())
    }
}

impl ToRust for Irreversible {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let Irreversible { reason } = self;
        Ok(Chain::pgm(op, &[lit(reason)]).statement())
    }
}
