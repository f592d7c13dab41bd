//! Raw SQL and the `irreversible` marker.

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::ops::*;
use crate::render::Render;

impl Render for Sql {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        if self.sql.trim().is_empty() {
            return Err(DslError::EmptySql {
                op: ctx.op,
                position: ctx.position,
            });
        }
        Ok(vec![self.sql.clone()])
    }
}

impl Render for Irreversible {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        Err(DslError::Refused {
            op: ctx.op,
            position: ctx.position,
            reason: self.reason.clone(),
        })
    }
}
