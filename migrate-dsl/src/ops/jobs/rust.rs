//! Gates on background jobs written back as Rust ([`ToRust`]).

use super::RequireBackgroundJobs;
use crate::error::DslError;
use crate::to_rust::{lit, Chain, ToRust};

impl ToRust for RequireBackgroundJobs {
    fn to_rust(&self, op: &'static str) -> Result<String, DslError> {
        let RequireBackgroundJobs { migration } = self;
        Ok(Chain::pgm(op, &[lit(migration)]).statement())
    }
}
