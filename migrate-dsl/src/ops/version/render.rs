//! Version gates render through their resolved form ([`MigrationBuilder::for_server`]); only their
//! comment lines render here.
//!
//! [`MigrationBuilder::for_server`]: crate::MigrationBuilder::for_server

use crate::ctx::Ctx;
use crate::error::DslError;
use crate::ops::*;
use crate::render::*;

impl Render for SincePg {
    fn render(&self, ctx: Ctx) -> Result<Vec<String>, DslError> {
        // `MigrationBuilder::statements` resolves every gate first, so this is never reached.
        Err(ctx.invalid("since_pg must be resolved before it is rendered"))
    }

    fn outside_transaction(&self) -> bool {
        !self.then.is_transactional() || !self.otherwise.is_transactional()
    }
}

impl Render for SincePgNote {
    fn render(&self, _ctx: Ctx) -> Result<Vec<String>, DslError> {
        Ok(vec![self.text.clone()])
    }
}
